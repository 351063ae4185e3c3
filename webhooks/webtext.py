"""Resident-facing words of the web chat, the report form and the status page (the ``web`` catalogs).

Like ``webhooks.i18n`` but for the ``web`` domain, through gettext directly, because
Hmong has no CLDR locale. Code marks messages with ``N_`` where they are defined and
says them with ``wt(language, message)``; templates call ``tr(message)`` in the page's
language. ``make catalogs`` extracts all three (see the Makefile).
"""

from __future__ import annotations

import datetime as dt
import functools
import gettext
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from babel.dates import format_date
from babel.numbers import format_decimal

from nlu.languages import BABEL_LOCALES as REGISTRY_LOCALES
from nlu.languages import CODES, NATIVE_NAMES

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "web"
LANGUAGES = CODES
DEFAULT_LANGUAGE = "en"
# Each language's name in its own script, for the pickers.
LANGUAGE_NAMES = NATIVE_NAMES
# What the pickers offer: the nine languages, Chinese twice, for it is written two ways. A page
# shown in "zh-Hant" or "zh-Hans" files its case as "zh"; only the catalog it is read from differs.
PAGE_LANGUAGES = ("en", "es", "tl", "vi", "zh-Hans", "zh-Hant", "km", "hmn", "lo", "pa")
PAGE_LANGUAGE_NAMES = {
    **LANGUAGE_NAMES,
    "zh-Hans": "中文（简体）",
    "zh-Hant": "中文（繁體）",
}
# The catalog of each page language whose code is not a catalog's name.
CATALOGS = {"zh-Hans": "zh", "zh-Hant": "zh_Hant"}
# Where Chinese is written in Traditional characters when a tag names no script.
TRADITIONAL_REGIONS = frozenset({"tw", "hk", "mo"})
# None of the nine is written right to left; a language added later may be.
RTL_LANGUAGES: frozenset[str] = frozenset({"ar", "fa", "he", "ur"})
# Babel's locale per language for dates; CLDR has no Hmong, which falls back to English forms.
BABEL_LOCALES = {**REGISTRY_LOCALES, "zh-Hans": "zh_Hans", "zh-Hant": "zh_Hant"}


@functools.cache
def _translations(language: str) -> gettext.NullTranslations:
    return gettext.translation(DOMAIN, localedir=str(LOCALES_DIR), languages=[language], fallback=True)


def supported(language: str | None) -> str | None:
    """Return ``language`` when Heard speaks it (a region such as ``es-MX`` counts), else None."""
    if not language:
        return None
    code = language.strip().lower().replace("_", "-")
    if code in LANGUAGES:
        return code
    base = code.split("-")[0]
    if base == "fil":
        return "tl"
    return base if base in LANGUAGES else None


def best_language(candidates: Iterable[str | None]) -> str:
    """Return the first candidate Heard speaks, or English."""
    for candidate in candidates:
        found = supported(candidate)
        if found:
            return found
    return DEFAULT_LANGUAGE


def page_language(tag: str | None) -> str | None:
    """Return the picker's choice a language tag asks for, or None.

    Chinese names its script (``zh-Hant``, ``zh-Hans-HK``) or implies it by region: ``zh-TW``,
    ``zh-HK`` and ``zh-MO`` are read in Traditional characters, any other Chinese in Simplified.
    """
    found = supported(tag)
    if found != "zh" or not tag:
        return found
    subtags = tag.strip().lower().replace("_", "-").split("-")[1:]
    if "hant" in subtags or ("hans" not in subtags and TRADITIONAL_REGIONS.intersection(subtags)):
        return "zh-Hant"
    return "zh-Hans"


def best_page_language(candidates: Iterable[str | None]) -> str:
    """Return the first candidate the pickers offer, or English."""
    for candidate in candidates:
        found = page_language(candidate)
        if found:
            return found
    return DEFAULT_LANGUAGE


def data_language(page: str) -> str:
    """Return the language a case shown in page language ``page`` is filed in (``zh-Hant``: ``zh``)."""
    return supported(page) or DEFAULT_LANGUAGE


def chinese_script(page: str | None) -> str | None:
    """Return ``Hant`` or ``Hans`` for a Chinese page language, else None."""
    found = page_language(page)
    return found.split("-")[1] if found and found.startswith("zh-") else None


def direction(language: str) -> str:
    """Return the text direction of ``language`` for the ``dir`` attribute."""
    return "rtl" if language in RTL_LANGUAGES else "ltr"


def wt(language: str | None, message: str, **values: Any) -> str:
    """Return ``message`` in ``language`` (a data or a page language) with its named placeholders filled."""
    chosen = CATALOGS.get(language or "") or (language if language in LANGUAGES else DEFAULT_LANGUAGE)
    text = _translations(chosen).gettext(message)
    return text.format(**values) if values else text


def N_(message: str) -> str:
    """Mark a message for extraction where it is defined; it is translated where it is said."""
    return message


def local_date(value: dt.datetime, language: str, timezone: dt.tzinfo) -> str:
    """Return the date of ``value`` as people write it in ``language`` (Hmong: day month year)."""
    local = value.astimezone(timezone)
    if language == "hmn":
        return f"{local.day}/{local.month}/{local.year}"
    return str(format_date(local.date(), format="long", locale=BABEL_LOCALES.get(language, "en_US")))


def megabytes(size_bytes: int, language: str) -> str:
    """Return ``size_bytes`` in megabytes (MiB) as ``language`` writes numbers: ``10``, ``2,5``."""
    return str(
        format_decimal(size_bytes / (1024 * 1024), format="#,##0.##", locale=BABEL_LOCALES.get(language, "en_US"))
    )
