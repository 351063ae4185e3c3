"""The status page ``/status``: a filer proves a report by its tracking number and PIN and reads where it stands."""

from __future__ import annotations

from flask import current_app, g, request
from flask.typing import ResponseReturnValue

from intake import privacy
from intake.cases import filing as complaints
from intake.cases import tracking
from intake.conversations import web_sessions
from intake.db import flush_deleted
from intake.errors import NotFound, OnLegalHold, PinLocked
from intake.models import Case
from web.extensions import limiter, tracking_limit_key
from web.session import get_session, keyring
from webhooks.pages.common import _check_csrf, _page, bp
from webhooks.pages.texts import (
    CONFIRM_FORGET,
    CONTACT_FORGOTTEN,
    CONTACT_HELD,
    EXPIRED,
    MERGED,
    NEED_BOTH,
    NO_MATCH,
    PIN_LOCKED,
    STATUS_TEXT,
    WORD_LABELS,
)
from webhooks.webtext import (
    local_date,
    megabytes,
    wt,
)

# -- the status page ---------------------------------------------------------------------------


def _tracking_key() -> str:
    return tracking_limit_key(request.form.get("tracking_number", ""))


def _proven_by_form() -> Case | ResponseReturnValue:
    """Check the form's CSRF token, then prove the case by the tracking number and PIN it carries."""
    if not _check_csrf():
        return _page("web/message.html", 400, heading=EXPIRED, message=None, restart=False)
    number = web_sessions.clean_text(request.form.get("tracking_number", ""))[:40]
    pin = web_sessions.clean_text(request.form.get("pin", ""))[:20]
    if not number or not pin:
        return _page("web/status.html", 422, errors={"form": wt(g.lang, NEED_BOTH)}, result=None, number=number)
    return _prove(number, pin)


@bp.route("/status", methods=["GET", "POST"])
@limiter.limit("20 per minute; 300 per day", methods=["POST"])
@limiter.limit("10 per hour", key_func=_tracking_key, methods=["POST"])
def status() -> ResponseReturnValue:
    """Tell a filer the status of their report, proven by its tracking number and PIN."""
    if request.method == "GET":
        return _page("web/status.html", errors={}, result=None, number="")
    case = _proven_by_form()
    if not isinstance(case, Case):
        return case
    return _page("web/status.html", errors={}, result=_result(case), held=_held(case), number="")


def _prove(number: str, pin: str) -> Case | ResponseReturnValue:
    """Return the case its tracking number and PIN prove, or the page that refuses them."""
    try:
        case = complaints.prove_case(get_session(), keyring=keyring(), tracking_text=number, pin=pin)
    except (NotFound, PinLocked) as exc:
        get_session().commit()  # NOTE: the wrong try counts toward the case's lock though the answer is a refusal
        if isinstance(exc, PinLocked):
            phone = current_app.config["HEARD_SETTINGS"].office_phone
            locked = wt(g.lang, PIN_LOCKED, phone=phone)
            return _page("web/status.html", 423, errors={"form": locked}, result=None, number=number)
        return _page("web/status.html", 404, errors={"form": wt(g.lang, NO_MATCH)}, result=None, number=number)
    get_session().commit()  # a right PIN gives back the try it took
    return case


def _result(case: Case) -> dict[str, str | None]:
    zone = current_app.config["HEARD_SETTINGS"].office_zone
    return {
        "tracking_number": tracking.format_tracking_number(case.tracking_number),
        "status": wt(g.lang, STATUS_TEXT[case.status]),
        "filed": local_date(case.created_at, g.lang, zone),
        "updated": local_date(case.updated_at, g.lang, zone),
        "merged": wt(g.lang, MERGED) if case.merged_into_id is not None else None,
    }


def _held(case: Case) -> dict[str, object]:
    """What Heard holds from the resident, with labels and dates in their language (issue 17)."""
    zone = current_app.config["HEARD_SETTINGS"].office_zone
    data = privacy.held_for_resident(get_session(), case=case)
    return {
        "tracking_number": data.tracking_number,
        "words": [(wt(g.lang, WORD_LABELS[field]), text) for field, text in data.words.items()],
        "transcript": [(m.from_resident, local_date(m.at, g.lang, zone), m.text) for m in data.transcript],
        "history": [(local_date(s.at, g.lang, zone), wt(g.lang, STATUS_TEXT[s.status])) for s in data.history],
        "files": [(f.name or f.content_type, megabytes(f.size_bytes, g.lang)) for f in data.files],
        "contact": [wt(g.lang, WORD_LABELS[field]) for field in data.contact_held],
    }


@bp.route("/status/contact", methods=["POST"])
@limiter.limit("20 per minute; 300 per day")
@limiter.limit("10 per hour", key_func=_tracking_key)
def forget_contact() -> ResponseReturnValue:
    """Delete the filer's contact details, proven again by the PIN and confirmed by a tick."""
    case = _proven_by_form()
    if not isinstance(case, Case):
        return case
    if request.form.get("confirm") != "yes":
        errors = {"forget": wt(g.lang, CONFIRM_FORGET)}
        return _page("web/status.html", 422, errors=errors, result=_result(case), held=_held(case), number="")
    try:
        privacy.forget_contact(get_session(), case=case, keyring=keyring())
    except OnLegalHold:
        get_session().rollback()
        phone = current_app.config["HEARD_SETTINGS"].office_phone
        errors = {"forget": wt(g.lang, CONTACT_HELD, phone=phone)}
        return _page("web/status.html", 409, errors=errors, result=_result(case), held=_held(case), number="")
    get_session().commit()
    flush_deleted(get_session().get_bind().engine)  # the deleted details out of SQLite's log too
    done = wt(g.lang, CONTACT_FORGOTTEN)
    return _page("web/status.html", errors={}, result=_result(case), held=_held(case), number="", done=done)
