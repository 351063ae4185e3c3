"""The partner intake API: ``/api/v1``. Thin views: verify, parse, call one service, answer."""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import Blueprint, Response, abort, g, jsonify, request
from flask.typing import ResponseReturnValue

from intake.access import partners
from intake.cases import filing as complaints
from intake.enums import Channel
from intake.errors import IdempotencyConflict, NotFound, PinLocked, ValidationError
from web.extensions import limiter, tracking_limit_key
from web.session import get_session, keyring
from webhooks.openapi import OPENAPI

log = logging.getLogger(__name__)
bp = Blueprint("api", __name__, url_prefix="/api/v1")

IDEMPOTENCY_KEY_MAX = 255
NOT_FOUND_MESSAGE = "no case matches that tracking number and PIN"


def _unauthorized() -> Response:
    response = jsonify({"error": "a valid partner token is required (Authorization: Bearer <token>)"})
    response.status_code = 401
    response.headers["WWW-Authenticate"] = 'Bearer realm="heard"'
    return response


@bp.before_request
def _authenticate() -> ResponseReturnValue | None:
    if request.endpoint == "api.openapi":
        return None
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return _unauthorized()
    partner = partners.authenticate(get_session(), token=token.strip())
    if partner is None:
        log.info("refused an API request with an unknown partner token")
        return _unauthorized()
    g.partner = partner
    return None


def unprocessable(errors: dict[str, str]) -> ResponseReturnValue:
    return jsonify({"error": "the request has invalid fields", "fields": errors}), 422


def json_body() -> Any:
    """Decode the body as strict UTF-8 JSON, or raise ValidationError."""
    raw = request.get_data(cache=False)
    if not raw.strip():
        raise ValidationError({"body": "is empty; send a JSON object"})
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationError({"body": f"is not valid UTF-8 (byte {exc.start})"}) from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        message = f"is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        raise ValidationError({"body": message}) from exc
    except RecursionError as exc:
        raise ValidationError({"body": "is nested too deeply"}) from exc


def _idempotency_key() -> str:
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key:
        raise ValidationError({"Idempotency-Key": "header is required (e.g. a UUID per complaint)"})
    if len(key) > IDEMPOTENCY_KEY_MAX or not key.isprintable():
        raise ValidationError({"Idempotency-Key": f"must be printable and at most {IDEMPOTENCY_KEY_MAX} characters"})
    return key


@bp.post("/complaints")
def file_complaint() -> ResponseReturnValue:
    """File a complaint or commendation once per Idempotency-Key."""
    try:
        key = _idempotency_key()
        submission = complaints.parse_submission(json_body(), default_channel=Channel.PARTNER)
    except ValidationError as exc:
        return unprocessable(exc.errors)
    session = get_session()
    try:
        receipt, replayed = complaints.file_case_idempotently(
            session,
            keyring=keyring(),
            scope=f"partner:{g.partner.id}",
            key=key,
            submission=submission,
            actor=f"partner:{g.partner.id}",
            partner_id=g.partner.id,
        )
    except IdempotencyConflict as exc:
        return jsonify({"error": str(exc)}), 409
    session.commit()
    response = jsonify(receipt.as_dict())
    response.status_code = 201
    response.headers["Idempotent-Replayed"] = "true" if replayed else "false"
    return response


def _tracking_key() -> str:
    return tracking_limit_key(str((request.view_args or {}).get("tracking_number", "")))


@bp.get("/complaints/<tracking_number>/status")
@limiter.limit("20 per minute; 300 per day")
@limiter.limit("10 per hour", key_func=_tracking_key)
def complaint_status(tracking_number: str) -> ResponseReturnValue:
    """Tell the status of a case to whoever knows its tracking number and PIN."""
    # NOTE: the header keeps the PIN out of URLs (proxies and browsers log those); ``?pin=`` still works.
    pin = request.headers.get("X-Heard-PIN") or request.args.get("pin", "")
    try:
        view = complaints.look_up_status(get_session(), keyring=keyring(), tracking_text=tracking_number, pin=pin)
    except (NotFound, PinLocked) as exc:
        get_session().commit()  # NOTE: the wrong try counts toward the case's lock though the answer is a refusal
        if isinstance(exc, PinLocked):
            return jsonify({"error": "pin_locked", "message": "too many wrong tries: this case's PIN is locked"}), 423
        abort(404, NOT_FOUND_MESSAGE)
    return jsonify(view.as_dict())


@bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    """Describe this API."""
    return jsonify(OPENAPI)
