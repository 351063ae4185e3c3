"""The console's own language: English or Spanish, chosen by each staff member.

Residents' words are never translated here by the interface: this is only the console's
labels, buttons and messages (gettext domain ``console``, ``locales/{en,es}``).
"""

from __future__ import annotations

from flask import has_request_context, request, session

CONSOLE_LOCALES = ("en", "es")
DEFAULT_LOCALE = "en"


def is_console_request() -> bool:
    return has_request_context() and (request.path == "/console" or request.path.startswith("/console/"))


def select_locale() -> str:
    """The staff member's choice, else their browser's preference, else English."""
    if not is_console_request():
        return DEFAULT_LOCALE
    chosen = session.get("console_locale")
    if chosen in CONSOLE_LOCALES:
        return str(chosen)
    return request.accept_languages.best_match(CONSOLE_LOCALES) or DEFAULT_LOCALE
