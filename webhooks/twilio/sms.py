"""``POST /twilio/sms`` and ``POST /twilio/status``: texts in (SMS, MMS and WhatsApp), delivery reports in."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, abort, current_app, request
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import OperationalError
from werkzeug.datastructures import MultiDict

from intake.conversations import messaging
from intake.conversations.messaging import InboundText, MediaRef
from web.clock import request_started
from web.session import get_session, keyring
from webhooks.twilio import signature
from webhooks.twilio.channel import SmsChannel

log = logging.getLogger(__name__)
bp = Blueprint("twilio_sms", __name__, url_prefix="/twilio")

MAX_MEDIA = 10
# Fields Twilio sends that help investigators and carry no personal data.
KEPT_FIELDS = ("AccountSid", "MessagingServiceSid", "NumSegments", "NumMedia", "SmsStatus", "ApiVersion")


def channel() -> SmsChannel:
    return current_app.extensions["heard.sms"]  # type: ignore[no-any-return]


def _xml(body: str) -> Response:
    return Response(body, mimetype="application/xml")


def fields() -> MultiDict[str, str]:
    """Return the request's fields, whether Twilio posted a form or JSON."""
    if request.mimetype == "application/json":
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            abort(400, "the JSON body must be an object")
        return MultiDict({str(k): "" if v is None else str(v) for k, v in data.items()})
    return request.form


def parse_inbound(form: MultiDict[str, str]) -> InboundText:
    """Read Twilio's form fields into an InboundText; 400 when the essentials are missing."""
    sid = (form.get("MessageSid") or form.get("SmsMessageSid") or "").strip()
    sender = (form.get("From") or "").strip()
    if not sid or not sender or len(sid) > 64:
        abort(400, "MessageSid and From are required")
    try:
        count = min(int(form.get("NumMedia") or "0"), MAX_MEDIA)
    except ValueError:
        count = 0
    media = tuple(
        MediaRef(url=form[f"MediaUrl{i}"], content_type=form.get(f"MediaContentType{i}") or "")
        for i in range(count)
        if form.get(f"MediaUrl{i}")
    )
    meta = {key: form[key] for key in KEPT_FIELDS if form.get(key)}
    # NOTE: NUL and other control characters cannot be stored in PostgreSQL text; keep the rest.
    body = "".join(c for c in form.get("Body") or "" if c in "\n\t" or c >= " ")
    return InboundText(
        provider_id=sid,
        from_number=sender,
        to_number=(form.get("To") or "").strip(),
        body=body,
        media=media,
        meta=meta,
    )


@bp.post("/sms")
def receive_sms() -> ResponseReturnValue:
    """Store a resident's text first, then answer it inline or with an honest holding reply."""
    signature.verify()
    received_at = request_started()
    inbound = parse_inbound(fields())
    sms = channel()
    try:
        session = get_session()
        message, created = messaging.receive_text(session, keyring=keyring(), inbound=inbound)
        session.commit()
        message_id = message.id
    except OperationalError:
        log.exception("database unavailable; message %s kept in the spool", inbound.provider_id)
        sms.spool.put(inbound)
        return _xml(sms.holding_answer(inbound.body))
    if not created:
        return _xml(sms.replay_answer(message_id, received_at=received_at))
    return _xml(sms.answer_inline(message_id, received_at=received_at))


@bp.post("/status")
def delivery_status() -> ResponseReturnValue:
    """Record a delivery report; late or repeated reports never move a message backwards."""
    signature.verify()
    form = fields()
    sid = (form.get("MessageSid") or "").strip()
    status = (form.get("MessageStatus") or form.get("SmsStatus") or "").strip()
    if not sid or not status:
        abort(400, "MessageSid and MessageStatus are required")
    session = get_session()
    messaging.record_delivery_status(session, provider_id=sid, status=status, error_code=form.get("ErrorCode") or None)
    session.commit()
    return Response(status=204)
