"""The status page ``/status``: a filer proves a report by its tracking number and PIN and reads where it stands."""

from __future__ import annotations

from flask import current_app, g, request
from flask.typing import ResponseReturnValue

from intake.cases import filing as complaints
from intake.cases import tracking
from intake.conversations import web_sessions
from intake.errors import NotFound
from web.extensions import limiter
from web.session import get_session, keyring
from webhooks.pages.common import _check_csrf, _page, bp
from webhooks.pages.texts import EXPIRED, MERGED, NEED_BOTH, NO_MATCH, STATUS_TEXT
from webhooks.webtext import (
    local_date,
    wt,
)

# -- the status page ---------------------------------------------------------------------------


def _tracking_key() -> str:
    number = request.form.get("tracking_number", "")
    return f"case:{tracking.normalize_digits(number) or number[:20]}"


@bp.route("/status", methods=["GET", "POST"])
@limiter.limit("20 per minute; 300 per day", methods=["POST"])
@limiter.limit("10 per hour", key_func=_tracking_key, methods=["POST"])
def status() -> ResponseReturnValue:
    """Tell a filer the status of their report, proven by its tracking number and PIN."""
    if request.method == "GET":
        return _page("web/status.html", errors={}, result=None, number="")
    if not _check_csrf():
        return _page("web/message.html", 400, heading=EXPIRED, message=None, restart=False)
    number = web_sessions.clean_text(request.form.get("tracking_number", ""))[:40]
    pin = web_sessions.clean_text(request.form.get("pin", ""))[:20]
    if not number or not pin:
        return _page("web/status.html", 422, errors={"form": wt(g.lang, NEED_BOTH)}, result=None, number=number)
    try:
        view = complaints.look_up_status(get_session(), keyring=keyring(), tracking_text=number, pin=pin)
    except NotFound:
        return _page("web/status.html", 404, errors={"form": wt(g.lang, NO_MATCH)}, result=None, number=number)
    zone = current_app.config["HEARD_SETTINGS"].office_zone
    result = {
        "tracking_number": tracking.format_tracking_number(view.tracking_number),
        "status": wt(g.lang, STATUS_TEXT[view.status]),
        "filed": local_date(view.filed_at, g.lang, zone),
        "updated": local_date(view.last_update, g.lang, zone),
        "merged": wt(g.lang, MERGED) if view.merged else None,
    }
    return _page("web/status.html", errors={}, result=result, number="")
