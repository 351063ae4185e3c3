"""Flask extensions, created unbound here and bound by ``create_app``."""

from __future__ import annotations

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from intake.cases import tracking
from intake.conversations.web_sessions import clean_text

babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def tracking_limit_key(text: str) -> str:
    """Key a per-case limit on the tracking number as the look-up reads it.

    NOTE: keyed on the raw text, a tab, an ideographic space, a control character or another
    script's digits gave the same case a fresh budget. A text that is no tracking number can
    match no case, so it is keyed apart (the per-address limits still hold it).
    """
    cleaned = clean_text(text)[:40]
    number = tracking.parse_tracking_number(cleaned)
    return f"case:{number}" if number else f"unreadable:{cleaned}"
