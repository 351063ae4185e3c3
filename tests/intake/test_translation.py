"""Offline translation through the real installer, Argos package objects, MiniSBD and CTranslate2.

The models are the tiny ones in tests/fixtures/argos (see its README): they
know only their training sentences, which they translate exactly.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import ctranslate2
import pytest
from click.testing import CliRunner

from intake.cli.translate import translate
from intake.config import Settings
from intake.errors import ConfigurationError
from intake.translation.engine import (
    ENGINE,
    NoTranslationPair,
    PackageError,
    TranslationEngine,
    TranslationSettings,
    install_package,
    list_models,
    route,
    split_sentences,
    translate_text,
)

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "argos"
ES_EN = FIXTURES / "translate-es_en-tiny.argosmodel"
EN_ES = FIXTURES / "translate-en_es-tiny.argosmodel"

# Training pairs of the fixture models (tests/fixtures/argos/build_model.py).
DOCUMENT = [
    ("El oficial me empujó.", "The officer pushed me."),
    ("Se llevaron mi teléfono.", "They took my phone."),
    ("Pasó el martes por la noche.", "It happened on Tuesday night."),
    ("Eran las diez de la noche.", "It was ten at night."),
    ("Fue cerca de la escuela.", "It was near the school."),
    ("Había dos oficiales.", "There were two officers."),
    ("Uno de ellos me insultó.", "One of them insulted me."),
    ("Me pusieron las esposas muy apretadas.", "They put the handcuffs on too tight."),
    ("Mi número de caso es 5821.", "My case number is 5821."),
    ("¿Dónde puedo recoger mi teléfono?", "Where can I pick up my phone?"),
]


def _settings(instance: Path) -> TranslationSettings:
    return TranslationSettings.from_env({}, instance)


class CountingTranslator:
    """A real ``ctranslate2.Translator`` that records the size of every ``translate_batch`` call."""

    def __init__(self, calls: list[tuple[int, dict]], model_path: str, **options) -> None:
        self._calls = calls
        self._translator = ctranslate2.Translator(model_path, **options)

    def translate_batch(self, source, **options):
        self._calls.append((len(source), options))
        return self._translator.translate_batch(source, **options)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> TranslationSettings:
    """Settings of an instance folder with both fixture packages installed."""
    settings = _settings(tmp_path_factory.mktemp("instance"))
    install_package(settings, ES_EN)
    install_package(settings, EN_ES)
    return settings


@pytest.fixture(scope="module")
def calls() -> list[tuple[int, dict]]:
    return []


@pytest.fixture(scope="module")
def engine(installed, calls) -> TranslationEngine:
    return TranslationEngine(installed, translator_factory=functools.partial(CountingTranslator, calls))


def _relabelled(package: Path, out: Path, from_code: str) -> Path:
    """Copy a package archive, claiming it translates from ``from_code`` (to test routing)."""
    with zipfile.ZipFile(package) as source, zipfile.ZipFile(out, "w") as target:
        for entry in source.infolist():
            data = source.read(entry)
            if entry.filename.endswith("/metadata.json"):
                metadata = json.loads(data)
                metadata["from_code"] = from_code
                data = json.dumps(metadata).encode()
            target.writestr(entry.filename.replace("es_en", f"{from_code}_en"), data)
    return out


# --- Settings ----------------------------------------------------------------


def test_settings_default_to_the_instance_folder_and_two_cores(tmp_path):
    settings = _settings(tmp_path)
    assert settings.packages_dir == tmp_path / "translation" / "packages"
    assert (settings.beam_size, settings.inter_threads, settings.intra_threads) == (2, 1, 2)
    assert settings.max_batch_tokens == 1024


def test_settings_read_the_environment(tmp_path):
    env = {
        "HEARD_TRANSLATE_PACKAGES_DIR": str(tmp_path / "models"),
        "HEARD_TRANSLATE_BEAM": "4",
        "HEARD_TRANSLATE_THREADS": "1",
        "HEARD_TRANSLATE_INTER_THREADS": "2",
        "HEARD_TRANSLATE_BATCH_TOKENS": "512",
    }
    settings = TranslationSettings.from_env(env, tmp_path)
    assert settings == TranslationSettings(tmp_path / "models", 4, 2, 1, 512)
    with pytest.raises(ConfigurationError, match="HEARD_TRANSLATE_BEAM"):
        TranslationSettings.from_env({"HEARD_TRANSLATE_BEAM": "wide"}, tmp_path)
    with pytest.raises(ConfigurationError, match="HEARD_TRANSLATE_THREADS"):
        TranslationSettings.from_env({"HEARD_TRANSLATE_THREADS": "-1"}, tmp_path)


# --- Installing and listing ---------------------------------------------------


def test_install_unpacks_into_the_instance_folder_and_lists_the_package(tmp_path):
    settings = _settings(tmp_path)
    assert list_models(settings) == []
    model = install_package(settings, ES_EN)
    assert (model.name, model.from_code, model.to_code, model.package_version) == ("translate-es_en", "es", "en", "0.1")
    assert model.label == "translate-es_en 0.1"
    assert model.path.parent == settings.packages_dir
    assert (model.path / "model" / "model.bin").is_file()
    assert model.has_splitter
    assert list_models(settings) == [model]
    assert [p.name for p in settings.packages_dir.iterdir()] == [model.path.name], "no staging folder left"


def test_installing_a_pair_again_replaces_it(tmp_path):
    settings = _settings(tmp_path)
    install_package(settings, ES_EN)
    install_package(settings, ES_EN)
    install_package(settings, EN_ES)
    assert [(m.from_code, m.to_code) for m in list_models(settings)] == [("en", "es"), ("es", "en")]
    assert not list_models(settings)[0].has_splitter


def test_install_refuses_what_is_not_a_safe_package(tmp_path):
    settings = _settings(tmp_path / "instance")
    text = tmp_path / "notes.argosmodel"
    text.write_text("not a zip")
    escaping = tmp_path / "escaping.argosmodel"
    with zipfile.ZipFile(escaping, "w") as archive:
        archive.writestr("pkg/metadata.json", "{}")
        archive.writestr("pkg/../../outside.txt", "x")
    two_folders = tmp_path / "two.argosmodel"
    with zipfile.ZipFile(two_folders, "w") as archive:
        archive.writestr("a/metadata.json", "{}")
        archive.writestr("b/metadata.json", "{}")
    no_model = tmp_path / "empty.argosmodel"
    with zipfile.ZipFile(no_model, "w") as archive:
        archive.writestr("pkg/metadata.json", json.dumps({"from_code": "es", "to_code": "en"}))
    for path, message in [
        (text, "not an Argos Translate package"),
        (escaping, "unsafe path"),
        (two_folders, "exactly one folder"),
        (no_model, "lacks a CTranslate2 model"),
    ]:
        with pytest.raises(PackageError, match=message):
            install_package(settings, path)
    assert list_models(settings) == []
    assert not (tmp_path / "outside.txt").exists()


# --- Routing -----------------------------------------------------------------------


def test_route_takes_a_direct_pair(installed):
    [es_en] = route(installed, "es", "en")
    [en_es] = route(installed, "en", "es")
    assert (es_en.from_code, es_en.to_code, en_es.from_code, en_es.to_code) == ("es", "en", "en", "es")
    assert route(installed, "es", "es") == []


@pytest.mark.parametrize("language", ["vi", "km", "hmn", "lo", "pa", "tl", "zh"])
def test_languages_without_a_package_have_no_route(installed, language):
    assert route(installed, language, "en") is None
    assert route(installed, "es", language) is None


def test_route_pivots_through_english_and_maps_chinese(tmp_path):
    settings = _settings(tmp_path / "instance")
    install_package(settings, EN_ES)
    install_package(settings, _relabelled(ES_EN, tmp_path / "tl_en.argosmodel", "tl"))
    install_package(settings, _relabelled(ES_EN, tmp_path / "zt_en.argosmodel", "zt"))
    assert [m.name for m in route(settings, "tl", "es")] == ["translate-tl_en", "translate-en_es"]
    assert [m.name for m in route(settings, "zh", "en")] == ["translate-zt_en"]
    assert route(settings, "es", "tl") is None

    # The pivot runs both models: the "Tagalog" model is the es→en one, so the
    # sentence goes to English and back.
    result = TranslationEngine(settings).translate("El oficial me empujó.", "tl", "es")
    assert result.text == "El oficial me empujó."
    assert result.pivot
    assert result.models == ("translate-tl_en 0.1", "translate-en_es 0.1")


# --- Translating ---------------------------------------------------------------------


def test_translates_a_training_sentence_exactly_and_labels_the_result(engine):
    result = translate_text(engine, "El oficial me empujó.", "es", "en")
    assert result.text == "The officer pushed me."
    assert result.engine == ENGINE == "argos"
    assert result.models == ("translate-es_en 0.1",)
    assert not result.pivot
    assert engine.translate("They took my phone.", "en", "es").text == "Se llevaron mi teléfono."


def test_a_document_goes_to_ctranslate2_in_one_token_batched_call(engine, calls):
    calls.clear()
    result = engine.translate(" ".join(es for es, _ in DOCUMENT), "es", "en")
    assert result.text == " ".join(en for _, en in DOCUMENT)
    [(sentences, options)] = calls
    assert sentences == len(DOCUMENT)
    assert options["batch_type"] == "tokens"
    assert options["max_batch_size"] == 1024
    assert options["beam_size"] == 2


def test_line_breaks_survive_and_each_direction_splits_its_own_way(engine):
    # es→en splits with the package's MiniSBD model, en→es with punctuation.
    spanish = "El oficial me empujó. Se llevaron mi teléfono.\n\n¿Dónde puedo recoger mi teléfono?"
    assert engine.translate(spanish, "es", "en").text == (
        "The officer pushed me. They took my phone.\n\nWhere can I pick up my phone?"
    )
    english = "They took my phone.\nNobody helped me. I need an interpreter."
    assert engine.translate(english, "en", "es").text == (
        "Se llevaron mi teléfono.\nNadie me ayudó. Necesito un intérprete."
    )


def test_the_package_splitter_is_used_when_the_package_has_one(engine, calls):
    # MiniSBD (in the es→en package) sees a sentence end with no space after
    # it; the punctuation splitter (for en→es, which has none) does not.
    calls.clear()
    result = engine.translate("El oficial me empujó.Se llevaron mi teléfono.", "es", "en")
    assert result.text == "The officer pushed me. They took my phone."
    engine.translate("They took my phone.Nobody helped me.", "en", "es")
    assert [segments for segments, _ in calls] == [2, 1]


@pytest.mark.parametrize(
    "text",
    [
        "😀🚓😡",
        "El oficial me empujó 😡🚓",
        "警察推了我。El oficial me empujó. Полиция! ضابط",
        "\u200b\ufeff\t",
        "...!!!???",
        "a" * 5000,
    ],
)
def test_odd_input_translates_without_crashing(engine, text):
    result = engine.translate(text, "es", "en")
    assert isinstance(result.text, str)
    assert result.models == ("translate-es_en 0.1",)


def test_empty_text_stays_empty(engine, calls):
    calls.clear()
    assert engine.translate("", "es", "en").text == ""
    assert engine.translate("  \n ", "es", "en").text == "  \n "
    assert calls == []


def test_a_long_document_is_still_one_call(engine, calls):
    sentences = [es for es, _ in DOCUMENT] * 30
    unpunctuated = " ".join(["el oficial me empujó"] * 300)
    calls.clear()
    result = engine.translate(" ".join(sentences) + "\n" + unpunctuated, "es", "en")
    assert result.text.startswith("The officer pushed me. They took my phone.")
    assert len(result.text.splitlines()) == 2
    [(segments, _)] = calls
    assert segments > len(sentences), "the run-on line was cut into segments"


def test_no_pair_tells_the_caller_to_find_an_interpreter(engine):
    with pytest.raises(NoTranslationPair, match="interpreter") as raised:
        engine.translate("Cảnh sát đã đẩy tôi.", "vi", "en")
    assert (raised.value.source, raised.value.target) == ("vi", "en")
    with pytest.raises(NoTranslationPair):
        engine.translate("", "en", "km")


def test_same_language_is_returned_untouched(engine):
    result = engine.translate("El oficial me empujó.", "es", "es")
    assert (result.text, result.models, result.pivot) == ("El oficial me empujó.", (), False)


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("Hola. ¿Qué pasó? ¡Me empujó!", ["Hola.", "¿Qué pasó?", "¡Me empujó!"]),
        ('He said "stop." Then he left', ['He said "stop."', "Then he left"]),
        ("It was 3.5 miles away... I walked", ["It was 3.5 miles away...", "I walked"]),
        ("警察推了我。他们拿走了我的手机！为什么？", ["警察推了我。", "他们拿走了我的手机！", "为什么？"]),
        ("line one\nline two\r\n\nline three", ["line one", "line two", "line three"]),
        ("", []),
        ("  ", []),
    ],
)
def test_local_splitter(text, sentences):
    assert split_sentences(text) == sentences


# --- No network, nothing outside the instance folder ----------------------------------

OFFLINE_SCRIPT = """
import json, socket, sys
from pathlib import Path

def refuse(*args, **kwargs):
    raise OSError("network access attempted")

socket.socket.connect = refuse
socket.socket.connect_ex = refuse
socket.create_connection = refuse
socket.getaddrinfo = refuse

from intake.translation import engine as translation

settings = translation.TranslationSettings.from_env({}, Path(sys.argv[1]))
for package in sys.argv[2:]:
    translation.install_package(settings, Path(package))
engine = translation.TranslationEngine(settings)
print(json.dumps([
    engine.translate("El oficial me empujó. Se llevaron mi teléfono.", "es", "en").text,
    engine.translate("Nobody helped me.", "en", "es").text,
]))
"""


def test_nothing_reaches_the_network_or_the_home_folder(tmp_path):
    home = tmp_path / "home"
    env = {**os.environ, "HOME": str(home), "PYTHONPATH": str(ROOT)}
    for name in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "ARGOS_PACKAGES_DIR"):
        env.pop(name, None)
    result = subprocess.run(
        [sys.executable, "-c", OFFLINE_SCRIPT, str(tmp_path / "instance"), str(ES_EN), str(EN_ES)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == ["The officer pushed me. They took my phone.", "Nadie me ayudó."]
    assert not home.exists(), "Argos wrote into the home folder"


# --- The command line ----------------------------------------------------------------------


def _cli(instance: Path, *args: str):
    settings = Settings.from_env({"HEARD_INSTANCE_DIR": str(instance)})
    return CliRunner().invoke(translate, list(args), obj=settings)


def test_cli_installs_and_lists(tmp_path):
    instance = tmp_path / "instance"
    empty = _cli(instance, "list")
    assert empty.exit_code == 0 and "no translation packages" in empty.output

    result = _cli(instance, "install", str(ES_EN))
    assert result.exit_code == 0, result.output
    assert "installed translate-es_en 0.1 (es → en)" in result.output
    assert (instance / "translation" / "packages" / "translate-es_en-0_1" / "metadata.json").is_file()
    _cli(instance, "install", str(EN_ES))

    listing = _cli(instance, "list")
    assert listing.exit_code == 0
    lines = listing.output.splitlines()
    assert "en → es  translate-en_es 0.1  sentences: punctuation" in lines
    assert "es → en  translate-es_en 0.1  sentences: MiniSBD" in lines
    assert "no pair to and from en (cases need an interpreter): tl, vi, zh, km, hmn, lo, pa" in lines


def test_cli_install_needs_exactly_one_source(tmp_path):
    assert _cli(tmp_path, "install").exit_code == 2
    assert _cli(tmp_path, "install", str(ES_EN), "--from-index", "es", "en").exit_code == 2
    bad = tmp_path / "bad.argosmodel"
    bad.write_text("nope")
    result = _cli(tmp_path, "install", str(bad))
    assert result.exit_code == 1 and "not an Argos Translate package" in result.output


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


def test_cli_installs_from_an_index(tmp_path):
    # A package index on loopback stands in for Argos's; the CLI runs in a
    # fresh process because Argos reads ARGOS_PACKAGE_INDEX when first imported.
    served = tmp_path / "served"
    served.mkdir()
    (served / "translate-es_en.argosmodel").write_bytes(ES_EN.read_bytes())
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=served))
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    index = [
        {
            "package_version": "0.1",
            "argos_version": "1.0",
            "from_code": "es",
            "from_name": "Spanish",
            "to_code": "en",
            "to_name": "English",
            "type": "translate",
            "links": [base + "translate-es_en.argosmodel"],
        }
    ]
    (served / "index.json").write_text(json.dumps(index))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    script = (
        "import sys; from intake.cli.translate import translate; from intake.config import Settings; "
        "translate(sys.argv[1:], obj=Settings.from_env())"
    )
    env = {
        **os.environ,
        "HOME": str(tmp_path / "home"),
        "HEARD_INSTANCE_DIR": str(tmp_path / "instance"),
        "ARGOS_PACKAGE_INDEX": base,
        "PYTHONPATH": str(ROOT),
    }
    try:
        ok = subprocess.run(
            [sys.executable, "-c", script, "install", "--from-index", "es", "en"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        missing = subprocess.run(
            [sys.executable, "-c", script, "install", "--from-index", "vi", "en"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        server.shutdown()
        server.server_close()
    assert ok.returncode == 0, ok.stderr
    assert "installed translate-es_en 0.1" in ok.stdout
    assert (tmp_path / "instance" / "translation" / "packages" / "translate-es_en-0_1").is_dir()
    assert missing.returncode == 1 and "no package from 'vi' to 'en'" in missing.stderr
    assert not (tmp_path / "home").exists()
