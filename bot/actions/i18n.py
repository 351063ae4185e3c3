"""Catalog look-ups, keywords and locale formatting for the bot's nine languages."""

from __future__ import annotations

import datetime as dt
import functools
import gettext
import re
import unicodedata
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from babel.dates import format_date, format_time

from bot.actions.spoken import for_channel
from nlu.languages import BABEL_LOCALES as REGISTRY_LOCALES
from nlu.languages import CODES, NATIVE_NAMES

LOCALES_DIR = Path(__file__).resolve().parents[2] / "locales"
DOMAIN = "bot"
LANGUAGES = CODES
DEFAULT_LANGUAGE = "en"

# The nine languages written in their own scripts, for the language menu.
LANGUAGE_NAMES = NATIVE_NAMES
# Babel's locale for each language; CLDR has no Hmong, handled by hand below.
BABEL_LOCALES = REGISTRY_LOCALES


# Chinese is one language written two ways; a resident who writes Traditional characters
# is answered from locales/zh_Hant. NOTE: common.resolve_language sets this at the start of
# every action (it is how each action learns its language), so it never outlives the turn.
_chinese_script: ContextVar[str | None] = ContextVar("chinese_script", default=None)


def use_chinese_script(script: str | None) -> None:
    """Answer Chinese in Traditional ("Hant") or Simplified (anything else) for this action."""
    _chinese_script.set(script)


# The conversation's channel (message metadata "channel"): a call hears its own wording of a text
# (bot/actions/spoken.py). NOTE: common.resolve_language sets it at the start of every action.
_channel: ContextVar[str | None] = ContextVar("channel", default=None)


def use_channel(channel: str | None) -> None:
    """Word this action's texts for ``channel`` ("voice", "tty"; anything else: as written)."""
    _channel.set(channel)


def current_channel() -> str | None:
    return _channel.get()


def _catalog(language: str | None) -> str:
    language = language or DEFAULT_LANGUAGE
    return "zh_Hant" if language == "zh" and _chinese_script.get() == "Hant" else language


@functools.cache
def _translations(language: str) -> gettext.NullTranslations:
    return gettext.translation(DOMAIN, localedir=str(LOCALES_DIR), languages=[language], fallback=True)


def t(language: str | None, message: str, **values: Any) -> str:
    """Return ``message`` in ``language``, worded for the conversation's channel, with its placeholders filled."""
    text = _translations(_catalog(language)).gettext(for_channel(_channel.get(), message))
    return text.format(**values) if values else text


def keyword_set(language: str | None, context: str, english: str) -> set[str]:
    """Return the words that mean ``context`` in the language, and always the English ones too."""
    localized = _translations(_catalog(language)).pgettext(context, english)
    words = {fold(w) for w in (english + "|" + localized).split("|")}
    return {w for w in words if w}


def fold(text: str) -> str:
    """Lower-case, strip accents and punctuation, so "Sí!" matches "si"."""
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    # NOTE: drop combining marks only for Latin letters; Khmer, Lao and Gurmukhi need theirs.
    kept = [c for c in decomposed if not (unicodedata.combining(c) and ord(c) < 0x0370)]
    cleaned = re.sub(r"[\s.!?¡¿,;:。！？、~…។៕।॥\"“”‘’«»「」『』()]+", " ", unicodedata.normalize("NFC", "".join(kept)))
    return cleaned.strip()


def matches(language: str | None, text: str, context: str, english: str) -> bool:
    """Tell whether the whole of ``text`` is one of the keywords."""
    return fold(text) in keyword_set(language, context, english)


def yes_words(language: str | None) -> set[str]:
    return keyword_set(language, "keywords", "yes|y|yeah|yep|ya|ok|okay|sure|correct|right")


def no_words(language: str | None) -> set[str]:
    return keyword_set(language, "keywords", "no|n|nah|nope|not")


def is_done(language: str | None, text: str) -> bool:
    return matches(language, text, "keywords", "done|finished|that's all|that is all|nothing else|no more")


def is_skip(language: str | None, text: str) -> bool:
    return matches(language, text, "keywords", "skip|pass|none|don't know|i don't know|idk")


def is_language_command(text: str) -> bool:
    """Tell whether ``text`` asks for the language menu, in any of the nine languages."""
    return any(matches(language, text, "keywords", "language|languages|lang") for language in LANGUAGES)


def format_day(language: str | None, value: dt.datetime) -> str:
    """Format a date (and the time when one was given) the way the language writes it."""
    language = language or DEFAULT_LANGUAGE
    has_time = (value.hour, value.minute) != (0, 0)
    if language == "hmn":
        text = f"hnub tim {value.day} lub {value.month} hli ntuj, xyoo {value.year}"
        return f"{text}, {value:%H:%M}" if has_time else text
    locale = BABEL_LOCALES.get(_catalog(language), "en_US")
    text = format_date(value, format="full", locale=locale)
    return f"{text}, {format_time(value, format='short', locale=locale)}" if has_time else text
