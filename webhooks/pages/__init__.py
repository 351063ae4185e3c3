"""The pages residents reach without JavaScript: the demo city page ``/``, the report form
``/report`` (one question per page, in the dialogue's order) and the status page ``/status``.

The draft lives on the server, encrypted, in a web session whose random token is the
``heard_web`` cookie; every form carries a CSRF token derived from it. Files the resident
adds are checked and stored like chat uploads and MMS, held by the session's conversation
until the case is filed. Filing goes through the same service functions as every other channel.
"""

from __future__ import annotations

import os

from flask import Flask

from webhooks.pages import form, resume, status  # noqa: F401  (their routes join the blueprint)
from webhooks.pages.common import bp, error_page
from webhooks.pages.texts import DEFAULT_LEAVE_URL

__all__ = ["bp", "error_page", "init_app"]


def init_app(app: Flask) -> None:
    """Register the pages; the neutral site "Leave quickly" goes to comes from HEARD_LEAVE_URL."""
    app.config.setdefault("HEARD_LEAVE_URL", os.environ.get("HEARD_LEAVE_URL") or DEFAULT_LEAVE_URL)
    app.register_blueprint(bp)


__all__ = ["bp", "init_app", "steps_for", "supported", "validate"]
