"""``POST /twilio/sms`` and ``POST /twilio/status``: texts in (SMS, MMS and WhatsApp), delivery reports in."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, abort, current_app, request
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import OperationalError
from werkzeug.datastructures import MultiDict

from intake.conversations import messaging
from web.clock import request_started
from web.session import get_session, keyring
from webhooks.twilio import signature
from webhooks.twilio.channel import SmsChannel
from webhooks.twilio.fields import parse_inbound

log = logging.getLogger(__name__)
bp = Blueprint("twilio_sms", __name__, url_prefix="/twilio")


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


@bp.post("/sms")
def receive_sms() -> ResponseReturnValue:
    """Store a resident's text first, then answer it inline or with an honest holding reply."""
    signature.verify(quarantine=True)
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
