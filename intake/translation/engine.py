"""Offline machine translation with Argos Translate packages.

Packages (``.argosmodel`` files) are installed into the instance folder by
``intake translate install`` and never fetched at run time. Which packages are
installed decides what can be translated: a direct pair, else a pivot through
English, else :class:`NoTranslationPair`, which tells the caller that the case
needs an interpreter.

A document is split into sentences (by the package's MiniSBD model when it
carries one, else by :func:`split_sentences`), and all its sentences go to
CTranslate2 in one call, batched by tokens. Every result names the engine and
the packages that made it, because a translation is an aid, never the record.

Argos Translate reads its folders from the environment when it is first
imported, so it is imported lazily, after :func:`_argos` has pointed those
folders into the instance folder.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import re
import shutil
import sys
import threading
import uuid
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from types import ModuleType
from typing import Any, Protocol

from intake.errors import ConfigurationError, IntakeError

log = logging.getLogger(__name__)

ENGINE = "argos"
PIVOT = "en"
# Heard's language code -> the Argos codes that serve it, preferred first.
# Argos calls Simplified Chinese "zh" and Traditional Chinese "zt".
ARGOS_CODES: Mapping[str, tuple[str, ...]] = {"zh": ("zh", "zt")}
# A sentence longer than this many tokens is cut into pieces of it: a model's
# position table is finite, and a message with no punctuation is one "sentence".
MAX_SEGMENT_TOKENS = 200
# An archive that unpacks to more than this is refused (real models are ~100 MB).
MAX_PACKAGE_BYTES = 2 * 1024**3


class NoTranslationPair(IntakeError):
    """No installed package, direct or through English, translates between two languages."""

    def __init__(self, source: str, target: str) -> None:
        super().__init__(f"no translation package from {source!r} to {target!r} is installed; an interpreter is needed")
        self.source = source
        self.target = target


class PackageError(IntakeError):
    """A translation package that cannot be installed or fetched."""


@dataclass(frozen=True)
class TranslationSettings:
    """Where packages live and how hard CTranslate2 may work.

    Defaults suit two cores: a beam of 2 is close to a beam of 4 in quality at
    half the cost, and one translation at a time using both cores is faster
    for one document than two translations on one core each.
    """

    packages_dir: Path
    beam_size: int = 2
    inter_threads: int = 1
    intra_threads: int = 2
    max_batch_tokens: int = 1024

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None, instance_dir: Path) -> TranslationSettings:
        """Read ``HEARD_TRANSLATE_*`` from ``environ`` (default: the process environment)."""
        env = os.environ if environ is None else environ
        packages_dir = Path(env.get("HEARD_TRANSLATE_PACKAGES_DIR") or instance_dir / "translation" / "packages")

        def number(name: str, default: int) -> int:
            raw = env.get(name) or str(default)
            try:
                value = int(raw)
            except ValueError:
                value = 0
            if value < 1:
                raise ConfigurationError(f"{name} must be a positive integer, not {raw!r}")
            return value

        return cls(
            packages_dir=packages_dir.resolve(),
            beam_size=number("HEARD_TRANSLATE_BEAM", cls.beam_size),
            inter_threads=number("HEARD_TRANSLATE_INTER_THREADS", cls.inter_threads),
            intra_threads=number("HEARD_TRANSLATE_THREADS", cls.intra_threads),
            max_batch_tokens=number("HEARD_TRANSLATE_BATCH_TOKENS", cls.max_batch_tokens),
        )

    @property
    def argos_home(self) -> Path:
        """Return the folder that stands in for Argos's ``~/.local``, ``~/.config`` and ``~/.cache``."""
        return self.packages_dir.parent / "argos-home"


@dataclass(frozen=True)
class InstalledModel:
    """One installed translation package."""

    name: str
    from_code: str
    to_code: str
    package_version: str
    path: Path
    has_splitter: bool

    @property
    def label(self) -> str:
        """Return how staff see the package, e.g. ``translate-es_en 1.0``."""
        return f"{self.name} {self.package_version}"


@dataclass(frozen=True)
class TranslationResult:
    """A machine translation and what produced it."""

    text: str
    engine: str
    models: tuple[str, ...]
    pivot: bool


class BatchTranslator(Protocol):
    """The part of ``ctranslate2.Translator`` the engine uses."""

    def translate_batch(self, source: list[list[str]], **options: Any) -> list[Any]: ...


TranslatorFactory = Callable[..., BatchTranslator]


# --- Argos Translate, imported on demand ------------------------------------

_import_lock = threading.Lock()


def _argos(settings: TranslationSettings) -> ModuleType:
    """Import ``argostranslate.package`` with its folders inside the instance folder; return it.

    NOTE: ``argostranslate.settings`` reads these variables once, at import, and
    creates the folders it names; set them for the import only, so that nothing
    lands in the home folder and no one else's XDG paths change.
    """
    with _import_lock:
        if "argostranslate.package" not in sys.modules:
            home = settings.argos_home
            overrides = {
                "ARGOS_PACKAGES_DIR": str(settings.packages_dir),
                "XDG_DATA_HOME": str(home / "data"),
                "XDG_CONFIG_HOME": str(home / "config"),
                "XDG_CACHE_HOME": str(home / "cache"),
                "ARGOS_DEVICE_TYPE": "cpu",
            }
            with _environment(overrides):
                return importlib.import_module("argostranslate.package")
        return sys.modules["argostranslate.package"]


@contextmanager
def _environment(overrides: Mapping[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in overrides}
    os.environ.update(overrides)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


# --- Packages ---------------------------------------------------------------


def list_models(settings: TranslationSettings) -> list[InstalledModel]:
    """Return the installed translation packages, by language pair."""
    if not settings.packages_dir.is_dir():
        return []
    package = _argos(settings)
    models = []
    for folder in sorted(settings.packages_dir.iterdir()):
        if folder.name.startswith(".") or not (folder / "metadata.json").is_file():
            continue
        try:
            pkg = package.Package(folder)
        except (OSError, ValueError) as exc:
            log.warning("skipping the broken translation package %s: %s", folder.name, exc)
            continue
        if pkg.type == "translate" and pkg.from_code and pkg.to_code:
            models.append(_installed_model(package, pkg))
    return sorted(models, key=lambda m: (m.from_code, m.to_code, m.package_version))


def installed_pairs(settings: TranslationSettings) -> list[str]:
    """Return the installed language pairs (``es-en``), read from the packages' metadata without loading Argos."""
    if not settings.packages_dir.is_dir():
        return []
    pairs = set()
    for metadata in settings.packages_dir.glob("*/metadata.json"):
        try:
            found = json.loads(metadata.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if found.get("type", "translate") == "translate" and found.get("from_code") and found.get("to_code"):
            pairs.add(f"{found['from_code']}-{found['to_code']}")
    return sorted(pairs)


def _installed_model(package: ModuleType, pkg: Any) -> InstalledModel:
    return InstalledModel(
        name=package.argospm_package_name(pkg),
        from_code=pkg.from_code,
        to_code=pkg.to_code,
        package_version=pkg.package_version or "0",
        path=Path(pkg.package_path),
        has_splitter=_minisbd_model(Path(pkg.package_path)) is not None,
    )


def _minisbd_model(folder: Path) -> Path | None:
    models = sorted((folder / "minisbd").glob("*.onnx"))
    return models[0] if models else None


_install_lock = threading.Lock()


def install_package(settings: TranslationSettings, path: Path) -> InstalledModel:
    """Install the ``.argosmodel`` file at ``path``, replacing any package for the same pair.

    Raises:
        PackageError: the file is not a translation package this engine can run.
    """
    package = _argos(settings)
    top = _check_archive(path)
    settings.packages_dir.mkdir(parents=True, exist_ok=True)
    staging = settings.packages_dir / f".staging-{uuid.uuid4().hex}"
    try:
        with zipfile.ZipFile(path) as archive:
            archive.extractall(staging)
        pkg = package.Package(staging / top)
        if pkg.type != "translate" or not pkg.from_code or not pkg.to_code:
            raise PackageError(f"{path.name} is not a translation package (type {pkg.type!r})")
        if not (staging / top / "model" / "model.bin").is_file() or getattr(pkg, "tokenizer", None) is None:
            raise PackageError(f"{path.name} lacks a CTranslate2 model or a tokenizer")
        version = re.sub(r"[^0-9A-Za-z]+", "_", pkg.package_version or "0")
        final = settings.packages_dir / f"{package.argospm_package_name(pkg)}-{version}"
        with _install_lock:
            for old in list_models(settings):
                if (old.from_code, old.to_code) == (pkg.from_code, pkg.to_code):
                    shutil.rmtree(old.path)
            if final.exists():
                shutil.rmtree(final)
            (staging / top).rename(final)
    except (OSError, zipfile.BadZipFile, ValueError) as exc:
        raise PackageError(f"cannot install {path.name}: {exc}") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    installed = _installed_model(package, package.Package(final))
    log.info("installed translation package %s (%s→%s)", installed.label, installed.from_code, installed.to_code)
    return installed


def _check_archive(path: Path) -> str:
    """Return the one folder a package archive holds, refusing anything unsafe to unpack."""
    if not zipfile.is_zipfile(path):
        raise PackageError(f"{path.name} is not an Argos Translate package (a zip archive ending in .argosmodel)")
    with zipfile.ZipFile(path) as archive:
        entries = archive.infolist()
    tops = set()
    for entry in entries:
        name = PurePosixPath(entry.filename)
        if name.is_absolute() or ".." in name.parts or "\\" in entry.filename:
            raise PackageError(f"{path.name} holds an unsafe path: {entry.filename!r}")
        tops.add(name.parts[0])
    if len(tops) != 1:
        raise PackageError(f"{path.name} must hold exactly one folder, not {sorted(tops)}")
    top = tops.pop()
    if f"{top}/metadata.json" not in {entry.filename for entry in entries}:
        raise PackageError(f"{path.name} has no {top}/metadata.json")
    if sum(entry.file_size for entry in entries) > MAX_PACKAGE_BYTES:
        raise PackageError(f"{path.name} unpacks to more than {MAX_PACKAGE_BYTES} bytes")
    return top


def install_from_index(settings: TranslationSettings, from_code: str, to_code: str) -> InstalledModel:
    """Download the pair's package from the Argos package index and install it (needs internet).

    The index is ``$ARGOS_PACKAGE_INDEX`` (Argos's own by default).
    """
    package = _argos(settings)
    argos_settings = sys.modules["argostranslate.settings"]
    index_file = Path(argos_settings.local_package_index)
    index_file.unlink(missing_ok=True)
    package.update_package_index()
    # NOTE: Argos logs a failed fetch and returns; without an index file its
    # get_available_packages() would retry forever, so check first.
    if not index_file.is_file():
        raise PackageError(f"cannot fetch the package index {argos_settings.remote_package_index}")
    available = package.get_available_packages()
    candidates = [
        p
        for source in ARGOS_CODES.get(from_code, (from_code,))
        for target in ARGOS_CODES.get(to_code, (to_code,))
        for p in available
        if (p.from_code, p.to_code) == (source, target)
    ]
    if not candidates:
        raise PackageError(f"the package index has no package from {from_code!r} to {to_code!r}")
    try:
        download = Path(candidates[0].download())
    except Exception as exc:  # Argos raises a bare Exception when every link fails
        raise PackageError(f"cannot download {candidates[0]}: {exc}") from exc
    try:
        return install_package(settings, download)
    finally:
        download.unlink(missing_ok=True)


def route(settings: TranslationSettings, source: str, target: str) -> list[InstalledModel] | None:
    """Return the packages that take ``source`` to ``target``: one, two through English, or None.

    The same language needs no package, so its route is empty.
    """
    return _route(list_models(settings), source, target)


def _route(models: Sequence[InstalledModel], source: str, target: str) -> list[InstalledModel] | None:
    if source == target:
        return []

    def direct(a: str, b: str) -> InstalledModel | None:
        for code_a in ARGOS_CODES.get(a, (a,)):
            for code_b in ARGOS_CODES.get(b, (b,)):
                for model in models:
                    if (model.from_code, model.to_code) == (code_a, code_b):
                        return model
        return None

    found = direct(source, target)
    if found is not None:
        return [found]
    if PIVOT in (source, target):
        return None
    first, second = direct(source, PIVOT), direct(PIVOT, target)
    if first is None or second is None:
        return None
    return [first, second]


# --- Sentences --------------------------------------------------------------

# A run of sentence-final marks, with any closing quotes or brackets; Latin
# marks end a sentence only before white space, CJK marks end it anywhere.
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’»)\]]*(?=\s)|[。！？]+[」』”’）)\"']*")


def split_sentences(text: str) -> list[str]:
    """Split ``text`` into sentences at ., !, ?, …, 。, ！, ？ and line breaks, without a model."""
    sentences = []
    for line in text.splitlines():
        start = 0
        for match in _SENTENCE_END.finditer(line):
            sentence = line[start : match.end()].strip()
            if sentence:
                sentences.append(sentence)
            start = match.end()
        tail = line[start:].strip()
        if tail:
            sentences.append(tail)
    return sentences


# --- Translation --------------------------------------------------------------


@dataclass
class _Loaded:
    pkg: Any
    translator: BatchTranslator
    split: Callable[[str], list[str]]


def _ctranslate2_translator(model_path: str, **options: Any) -> BatchTranslator:
    import ctranslate2

    translator: BatchTranslator = ctranslate2.Translator(model_path, **options)
    return translator


class TranslationEngine:
    """Translates documents with the installed packages; loads each model once and keeps it.

    Safe to share between threads. ``translator_factory`` makes the CTranslate2
    translator for a model folder; tests pass one that counts calls.
    """

    def __init__(self, settings: TranslationSettings, *, translator_factory: TranslatorFactory | None = None) -> None:
        self.settings = settings
        self._factory = translator_factory or _ctranslate2_translator
        self._lock = threading.Lock()
        self._loaded: dict[tuple[Path, int], _Loaded] = {}

    def route(self, source: str, target: str) -> list[InstalledModel] | None:
        """Return the packages that take ``source`` to ``target``, or None."""
        return route(self.settings, source, target)

    def translate(self, text: str, source: str, target: str) -> TranslationResult:
        """Translate ``text`` from ``source`` to ``target`` (Heard's language codes).

        Raises:
            NoTranslationPair: no package, direct or through English, serves the pair.
        """
        models = self.route(source, target)
        if models is None:
            raise NoTranslationPair(source, target)
        result = text
        if text.strip():
            for model in models:
                result = self._translate_document(self._load(model), result)
        return TranslationResult(
            text=result, engine=ENGINE, models=tuple(m.label for m in models), pivot=len(models) > 1
        )

    def _load(self, model: InstalledModel) -> _Loaded:
        key = (model.path, (model.path / "metadata.json").stat().st_mtime_ns)
        with self._lock:
            loaded = self._loaded.get(key)
            if loaded is None:
                package = _argos(self.settings)
                pkg = package.Package(model.path)
                translator = self._factory(
                    str(model.path / "model"),
                    device="cpu",
                    inter_threads=self.settings.inter_threads,
                    intra_threads=self.settings.intra_threads,
                    # NOTE: "auto" would requantize a float model to int8 on CPU;
                    # run the weights the package was built with.
                    compute_type="default",
                )
                loaded = _Loaded(pkg=pkg, translator=translator, split=self._splitter(pkg))
                self._loaded[key] = loaded
            return loaded

    def _splitter(self, pkg: Any) -> Callable[[str], list[str]]:
        """Use the package's MiniSBD model when it has one; never let Argos download one."""
        if _minisbd_model(Path(pkg.package_path)) is None:
            return split_sentences
        from argostranslate.sbd import MiniSBDSentencizer

        sentencizer = MiniSBDSentencizer(pkg)

        def split(line: str) -> list[str]:
            try:
                sentences = [s.strip() for s in sentencizer.split_sentences(line)]
            except Exception:  # NOTE: a splitter failure must not lose the translation
                log.warning("the sentence model of %s failed; splitting by punctuation", pkg.package_path.name)
                return split_sentences(line)
            return [s for s in sentences if s]

        return split

    def _translate_document(self, loaded: _Loaded, text: str) -> str:
        """Translate every line of ``text`` with one call to CTranslate2; keep the line breaks."""
        pkg = loaded.pkg
        segments: list[list[str]] = []
        owners: list[int] = []  # the line each segment belongs to
        lines = text.split("\n")
        for number, line in enumerate(lines):
            if not line.strip():
                continue
            for sentence in loaded.split(line):
                tokens = pkg.tokenizer.encode(sentence)
                for start in range(0, len(tokens), MAX_SEGMENT_TOKENS):
                    segments.append(tokens[start : start + MAX_SEGMENT_TOKENS])
                    owners.append(number)
        if not segments:
            return text
        prefix = [[pkg.target_prefix]] * len(segments) if pkg.target_prefix else None
        results = loaded.translator.translate_batch(
            segments,
            target_prefix=prefix,
            max_batch_size=self.settings.max_batch_tokens,
            batch_type="tokens",
            beam_size=self.settings.beam_size,
            replace_unknowns=True,
        )
        translated: dict[int, list[str]] = {}
        for owner, result in zip(owners, results, strict=True):
            tokens = result.hypotheses[0]
            if prefix and tokens[:1] == [pkg.target_prefix]:
                tokens = tokens[1:]
            translated.setdefault(owner, []).extend(tokens)
        # Each line's tokens are decoded together, so the model's own word
        # pieces decide the spacing between sentences (none in Chinese).
        return "\n".join(
            pkg.tokenizer.decode(translated[number]).strip() if number in translated else line
            for number, line in enumerate(lines)
        )


def translate_text(engine: TranslationEngine, text: str, source: str, target: str) -> TranslationResult:
    """Translate ``text`` with ``engine``; raise NoTranslationPair when no package serves the pair."""
    return engine.translate(text, source, target)
