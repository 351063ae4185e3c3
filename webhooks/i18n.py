"""Resident-facing words of the channels (holding replies, HELP, consent), from the ``messages`` catalogs.

Background threads answer residents outside any request, so the language is always
passed explicitly; Hmong, which CLDR lacks, works like the others through gettext.
"""

from __future__ import annotations

import functools
import gettext
from pathlib import Path
from typing import Any

from nlu.detect import chinese_script
from nlu.languages import CODES

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"
LANGUAGES = CODES
DEFAULT_LANGUAGE = "en"


@functools.cache
def _translations(language: str) -> gettext.NullTranslations:
    return gettext.translation(DOMAIN, localedir=str(LOCALES_DIR), languages=[language], fallback=True)


def t(language: str | None, message: str, *, writing: str = "", **values: Any) -> str:
    """Return ``message`` in ``language`` with its named placeholders filled.

    ``writing`` is what the resident just wrote: Chinese written in Traditional characters
    is answered in them (locales/zh_Hant).
    """
    chosen = language if language in LANGUAGES else DEFAULT_LANGUAGE
    if chosen == "zh" and chinese_script(writing) == "Hant":
        chosen = "zh_Hant"
    text = _translations(chosen).gettext(message)
    return text.format(**values) if values else text


def _(message: str) -> str:
    """Mark a message for extraction where it is defined; it is translated where it is said."""
    return message
