"""Every catalog has every message of its template, with the same named placeholders."""

import re
import string
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent / "locales"
LANGUAGES = ["en", "es", "tl", "vi", "zh", "zh_Hant", "km", "hmn", "lo", "pa"]
TRANSLATED = [lang for lang in LANGUAGES if lang != "en"]
DOMAINS = sorted(p.stem for p in ROOT.glob("*.pot"))
# The staff console is in English and Spanish; every resident-facing domain in all languages.
STAFF_LANGUAGES = {"console": ["en", "es"]}
PAIRS = [(d, lang) for d in DOMAINS for lang in STAFF_LANGUAGES.get(d, LANGUAGES)]


def _catalog(path):
    with path.open("rb") as handle:
        return read_po(handle, abort_invalid=True)


def _placeholders(text):
    """Named placeholders: {name} (the channels) and %(name)s (Flask-Babel, the console)."""
    if isinstance(text, tuple):  # a plural: every form has the same placeholders
        return set().union(*(_placeholders(form) for form in text))
    if "%(" in text:
        return set(re.findall(r"%\((\w+)\)", text))
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def _keyed(catalog):
    return {(m.context, m.id): m for m in catalog if m.id}


@pytest.mark.parametrize(("domain", "language"), PAIRS)
def test_catalog_has_every_message_with_its_placeholders(domain, language):
    template = _keyed(_catalog(ROOT / f"{domain}.pot"))
    catalog = _keyed(_catalog(ROOT / language / "LC_MESSAGES" / f"{domain}.po"))
    missing = sorted(str(key[1])[:60] for key in template if key not in catalog)
    assert not missing, f"{language} lacks {len(missing)} messages: {missing[:5]}"
    problems = []
    for key, message in template.items():
        translated = catalog[key]
        if translated.fuzzy:
            problems.append(f"fuzzy: {key[1][:50]}")
        if language == "en":
            continue
        if not translated.string:
            problems.append(f"untranslated: {key[1][:50]}")
        elif _placeholders(translated.string) != _placeholders(message.id):
            problems.append(f"placeholders differ: {key[1][:50]} -> {translated.string[:50]}")
    assert not problems, f"{language}: {problems[:8]}"


@pytest.mark.parametrize("language", TRANSLATED)
@pytest.mark.parametrize("domain", ["bot", "messages", "web"])
def test_machine_drafted_catalogs_say_so_in_their_header(domain, language):
    # NOTE: every translation so far is a machine draft; a reviewed catalog replaces the
    # marker with a "Reviewed by" line, and then this test should name who reviewed it.
    path = ROOT / language / "LC_MESSAGES" / f"{domain}.po"
    header = path.read_text(encoding="utf-8").split('msgid ""', 1)[0].lower()
    assert "machine-drafted" in header or "reviewed by" in header
    if "machine-drafted" in header:
        assert re.search(r"needs review", header)
    # What was reviewed, how, and what still needs a fluent human reviewer (issue 15 item 6).
    assert "review status" in header and "needs a fluent human reviewer" in header


@pytest.mark.parametrize("language", TRANSLATED)
def test_keyword_lists_are_plain_pipe_separated_words(language):
    catalog = _catalog(ROOT / language / "LC_MESSAGES" / "bot.po")
    for message in catalog:
        if message.context == "keywords" and message.string:
            words = message.string.split("|")
            assert all(w.strip() == w and w for w in words), (language, message.string)
            assert not re.search(r"[{}]", message.string)


# Where each domain's messages live in the code, and the keywords that mark them.
SOURCES = {
    "bot": (["-k", "t:2", "-k", "_", "-k", "keyword_set:2c,3", "-k", "matches:3c,4"], "bot/actions"),
    "messages": (["-k", "t:2", "-k", "_"], "webhooks"),
    "web": (["-k", "wt:2", "-k", "N_", "-k", "tr"], "webhooks"),
    "console": (["-k", "_", "-k", "_l", "-k", "ngettext:1,2"], "console"),
}


def test_every_domain_has_its_sources():
    assert sorted(SOURCES) == DOMAINS


@pytest.mark.parametrize("domain", sorted(SOURCES))
def test_the_template_is_up_to_date_with_the_code(tmp_path, domain):
    """`make catalogs` was run after the last change to a message in the code."""
    import subprocess
    import sys

    keywords, source = SOURCES[domain]
    out = tmp_path / f"{domain}.pot"
    pybabel = Path(sys.executable).parent / "pybabel"
    subprocess.run(
        [
            pybabel,
            "extract",
            "-F",
            ROOT / "babel.cfg",
            *keywords,
            "--no-default-keywords",
            "-o",
            out,
            ROOT.parent / source,
        ],
        check=True,
        capture_output=True,
    )
    fresh = set(_keyed(_catalog(out)))
    committed = set(_keyed(_catalog(ROOT / f"{domain}.pot")))
    assert fresh == committed, {
        "not in template": sorted(fresh - committed)[:5],
        "stale": sorted(committed - fresh)[:5],
    }
