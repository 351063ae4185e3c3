"""The status page ``/status``: a filer proves a report by its tracking number and PIN and reads where it stands."""

from __future__ import annotations

from flask import current_app, g, request
from flask.typing import ResponseReturnValue

from intake.cases import filing as complaints
from intake.cases import tracking
from intake.conversations import web_sessions
from intake.errors import NotFound, PinLocked
from web.extensions import limiter, tracking_limit_key
from web.session import get_session, keyring
from webhooks.pages.common import _check_csrf, _page, bp
from webhooks.pages.texts import EXPIRED, MERGED, NEED_BOTH, NO_MATCH, PIN_LOCKED, STATUS_TEXT
from webhooks.webtext import (
    local_date,
    wt,
)

# -- the status page ---------------------------------------------------------------------------


def _tracking_key() -> str:
    return tracking_limit_key(request.form.get("tracking_number", ""))


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
    except (NotFound, PinLocked) as exc:
        get_session().commit()  # NOTE: the wrong try counts toward the case's lock though the answer is a refusal
        if isinstance(exc, PinLocked):
            phone = current_app.config["HEARD_SETTINGS"].office_phone
            locked = wt(g.lang, PIN_LOCKED, phone=phone)
            return _page("web/status.html", 423, errors={"form": locked}, result=None, number=number)
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
