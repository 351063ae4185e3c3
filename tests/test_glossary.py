"""Each language's catalogs follow its glossary (locales/<lang>/GLOSSARY.md)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

LOCALES = Path(__file__).resolve().parent.parent / "locales"
GLOSSARIES = sorted(LOCALES.glob("*/GLOSSARY.md"))
# The concepts every glossary settles (issue 15 item 4).
TERMS = [
    "complaint",
    "commendation",
    "report",
    "tracking number",
    "PIN",
    "independent police review office",
    "anonymous",
    "officer",
    "cancel (a report)",
    "done",
    "skip",
]


def _rows(glossary: Path) -> dict[str, list[str]]:
    """Each row's term and the words it says to avoid (in backticks)."""
    rows = {}
    for line in glossary.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and cells[0] not in ("Term", "---"):
            rows[cells[0]] = re.findall(r"`([^`]+)`", cells[2])
    return rows


def test_there_are_glossaries():
    """One glossary for every resident language (issue 15 item 4)."""
    languages = {glossary.parent.name for glossary in GLOSSARIES}
    assert languages >= {"es", "tl", "vi", "zh", "zh_Hant", "km", "hmn", "lo", "pa"}


@pytest.mark.parametrize("glossary", GLOSSARIES, ids=lambda p: p.parent.name)
def test_the_glossary_settles_every_term(glossary):
    missing = [term for term in TERMS if term not in _rows(glossary)]
    assert not missing, missing


# Contexts of the lists of words the bot recognises in what residents write (never words it says).
WORD_LISTS = frozenset({"keywords", "contact-choice", "answer-start", "question-start"})


@pytest.mark.parametrize("glossary", GLOSSARIES, ids=lambda p: p.parent.name)
def test_the_catalogs_never_use_a_word_the_glossary_avoids(glossary):
    avoid = {word for words in _rows(glossary).values() for word in words}
    found = []
    for domain in ("bot", "messages", "web"):
        with (glossary.parent / "LC_MESSAGES" / f"{domain}.po").open("rb") as handle:
            catalog = read_po(handle)
        for message in catalog:
            if not message.id or message.context in WORD_LISTS:  # residents type every spelling
                continue
            text = " ".join(message.string) if isinstance(message.string, tuple) else message.string
            found += [f"{domain}: {word!r} in {text[:60]!r}" for word in avoid if word.lower() in text.lower()]
    assert not found, found
