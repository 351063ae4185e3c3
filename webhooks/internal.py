"""The internal API the bot's custom actions call (``/internal/v1``), token-authenticated.

Deploy it reachable from the action server only; the token is ``HEARD_INTERNAL_TOKEN``
(or ``internal_token`` in ``instance/secrets.json``).
"""

from __future__ import annotations

import hmac
import json
from typing import Any

from flask import Blueprint, abort, current_app, jsonify, request
from flask.typing import ResponseReturnValue

from intake.cases import filing as complaints
from intake.cases import tracking
from intake.conversations import messaging, pauses, resume, web_sessions
from intake.enums import Channel, Kind, Language
from intake.errors import ConfigurationError, IdempotencyConflict, NotFound, PinLocked, ValidationError
from web.extensions import limiter, tracking_limit_key
from web.session import get_session, keyring
from webhooks.api import NOT_FOUND_MESSAGE, json_body, unprocessable

bp = Blueprint("internal", __name__, url_prefix="/internal/v1")
BOT_ACTOR = "bot"


@bp.before_request
def _authenticate() -> ResponseReturnValue | None:
    expected = keyring().internal_token
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if not expected or scheme.lower() != "bearer" or not hmac.compare_digest(token.strip(), expected):
        return jsonify({"error": "a valid internal token is required"}), 401
    return None


# As long as the column that keeps it (a conversation id is a keyed hash, far shorter).
CONVERSATION_ID_MAX_CHARS = 64


def _object() -> dict[str, Any]:
    body = json_body()
    if not isinstance(body, dict):
        raise ValidationError({"body": "must be a JSON object"})
    conversation_id = body.get("conversation_id")
    if conversation_id is not None and (
        not isinstance(conversation_id, str) or len(conversation_id) > CONVERSATION_ID_MAX_CHARS
    ):
        # NOTE: the dialogue's ids are keyed hashes; anything else is refused here, never cut by the database.
        raise ValidationError({"conversation_id": f"must be text of at most {CONVERSATION_ID_MAX_CHARS} characters"})
    return _unsealed(body)


def _unsealed(body: dict[str, Any]) -> dict[str, Any]:
    """Open a contact phone the channel sealed for the dialogue (Rasa keeps only ciphertext).

    The proving ``phone`` stays sealed until ``_proof`` opens it: a plain number is never taken.
    """
    contact = body.get("contact")
    if isinstance(contact, dict) and isinstance(contact.get("phone"), str):
        try:
            contact["phone"] = messaging.unseal_phone(keyring(), contact["phone"])
        except ConfigurationError as exc:
            raise ValidationError({"contact.phone": "is sealed with a key this installation does not have"}) from exc
    return body


PIN_LOCKED = "pin_locked"


def _refused(exc: NotFound | PinLocked) -> ResponseReturnValue:
    """Answer a failed proof, after keeping the wrong try it counted (it must count though the request fails)."""
    get_session().commit()
    if isinstance(exc, PinLocked):
        # NOTE: the dialogue tells the resident, in their language, to call the office to unlock it.
        return jsonify({"error": PIN_LOCKED, "message": "too many wrong tries: this case's PIN is locked"}), 423
    abort(404, NOT_FOUND_MESSAGE)


PIN_NEEDED = "is required: a phone number proves the filer only for a status answered by text to that phone"


def _proof(body: dict[str, Any], *, phone_may_prove: bool = False) -> dict[str, str | None]:
    """Return the filer's proof: the PIN, or (for a status only) a phone the SMS channel sealed.

    NOTE: a caller ID can be spoofed and a spoken answer goes to whoever called, so voice and
    TTY seals prove nothing; nor does a plain number, which anyone could type into the dialogue.
    """
    tracking_text = str(body.get("tracking_number") or "")
    pin = body.get("pin")
    if pin not in (None, ""):
        return {"tracking_text": tracking_text, "pin": str(pin), "phone": None}
    value = body.get("phone")
    if not phone_may_prove or not isinstance(value, str) or not value:
        raise ValidationError({"pin": PIN_NEEDED})
    try:
        sealed = messaging.open_sealed_phone(keyring(), value)
    except (ConfigurationError, ValueError, KeyError) as exc:
        raise ValidationError({"phone": "is sealed with a key this installation does not have"}) from exc
    if sealed is None:
        raise ValidationError({"phone": "must be sealed by the channel; a plain number proves nothing"})
    if sealed.channel is not Channel.SMS:
        raise ValidationError({"pin": PIN_NEEDED})
    return {"tracking_text": tracking_text, "pin": None, "phone": sealed.phone}


@bp.post("/cases")
def file_case() -> ResponseReturnValue:
    """File the case a conversation gathered, once per draft."""
    try:
        body = _object()
        draft_id = str(body.pop("draft_id", "") or "")
        conversation_id = body.pop("conversation_id", None)
        if not draft_id:
            raise ValidationError({"draft_id": "is required"})
        submission = complaints.parse_submission(body)
    except ValidationError as exc:
        return unprocessable(exc.errors)
    session = get_session()
    try:
        receipt, replayed = complaints.file_case_idempotently(
            session,
            keyring=keyring(),
            scope="bot",
            key=draft_id,
            submission=submission,
            actor=BOT_ACTOR,
            conversation_id=str(conversation_id) if conversation_id else None,
        )
    except IdempotencyConflict as exc:
        if resume.moved_to_web(session, draft_id=draft_id):
            # NOTE: the resident finished this draft on the web: it was filed there, once.
            return jsonify({"error": FINISHED_ON_WEB}), 409
        return jsonify({"error": str(exc)}), 409
    session.commit()
    return jsonify({**receipt.as_dict(), "replayed": replayed}), 201


FINISHED_ON_WEB = "finished_on_web"
RESUME_TOO_MANY = "too_many_codes"


@bp.post("/resume-codes")
@limiter.limit("30 per minute")
def issue_resume_code() -> ResponseReturnValue:
    """Give a texting resident a one-time code that opens their draft on the web form.

    The code is in the answer only (never logged); the answers so far are sealed in Heard's database.
    """
    try:
        body = _object()
        conversation_id, draft_id = body.get("conversation_id"), body.get("draft_id")
        if not isinstance(conversation_id, str) or not conversation_id:
            raise ValidationError({"conversation_id": "is required"})
        if not isinstance(draft_id, str) or not 0 < len(draft_id) <= CONVERSATION_ID_MAX_CHARS:
            raise ValidationError({"draft_id": f"must be text of at most {CONVERSATION_ID_MAX_CHARS} characters"})
        language = str(body.get("language") or Language.EN.value)
        if language not in Language.values():
            raise ValidationError({"language": "is not a known language"})
        if language == Language.ZH.value:
            # NOTE: kept as the page's language, so the form answers in the way the resident writes Chinese.
            language = "zh-Hant" if body.get("script") == "Hant" else "zh-Hans"
        answers = resume.clean_answers(body.get("answers") or {})
        if answers.get("phone", "").startswith("sealed:"):
            answers["phone"] = messaging.unseal_phone(keyring(), answers["phone"]) or ""
    except (ValidationError, ConfigurationError, ValueError, KeyError) as exc:
        errors = exc.errors if isinstance(exc, ValidationError) else {"answers.phone": "cannot be opened"}
        return unprocessable(errors)
    session = get_session()
    if resume.draft_filed(session, draft_id=draft_id):
        return jsonify({"error": FINISHED_ON_WEB}), 409
    try:
        code, expires = resume.issue_code(
            session,
            keyring=keyring(),
            conversation_id=conversation_id,
            draft_id=draft_id,
            language=language,
            answers=answers,
        )
    except resume.ResumeRefused:
        return jsonify({"error": RESUME_TOO_MANY}), 429
    session.commit()
    base = current_app.extensions["heard.channel_settings"].public_base_url or request.host_url.rstrip("/")
    url = f"{base}/report/resume?lang={language}"
    return jsonify({"code": resume.format_code(code), "url": url, "expires_at": expires.isoformat()}), 201


def _tracking_key() -> str:
    try:
        body = json.loads(request.get_data(cache=True))  # cached: the view reads the same body again
    except (ValueError, RecursionError):
        body = None
    return tracking_limit_key(str(body.get("tracking_number") or "") if isinstance(body, dict) else "")


@bp.post("/status")
@limiter.limit("60 per minute")
@limiter.limit("20 per hour", key_func=_tracking_key)
def status() -> ResponseReturnValue:
    """Tell a case's status to a filer proven by PIN, or by the filing phone when the answer is texted to it."""
    try:
        proof = _proof(_object(), phone_may_prove=True)
    except ValidationError as exc:
        return unprocessable(exc.errors)
    try:
        view = complaints.look_up_status(get_session(), keyring=keyring(), **proof)  # type: ignore[arg-type]
    except (NotFound, PinLocked) as exc:
        return _refused(exc)
    return jsonify(view.as_dict())


@bp.post("/information")
@limiter.limit("60 per minute")
@limiter.limit("20 per hour", key_func=_tracking_key)
def add_information() -> ResponseReturnValue:
    """Add a filer's further words to their case."""
    try:
        body = _object()
        channel = Channel(body.get("channel") or Channel.WEB_CHAT.value)
        proof = _proof(body)
    except (ValidationError, ValueError) as exc:
        errors = exc.errors if isinstance(exc, ValidationError) else {"channel": "is not a known channel"}
        return unprocessable(errors)
    session = get_session()
    try:
        case = complaints.prove_case(session, keyring=keyring(), **proof)  # type: ignore[arg-type]
    except (NotFound, PinLocked) as exc:
        return _refused(exc)
    try:
        complaints.add_information(
            session,
            case=case,
            text=body.get("text"),  # type: ignore[arg-type]
            channel=channel,
            actor=BOT_ACTOR,
            conversation_id=body.get("conversation_id"),
        )
    except ValidationError as exc:
        return unprocessable(exc.errors)
    session.commit()
    return jsonify({"tracking_number": tracking.format_tracking_number(case.tracking_number)}), 201


@bp.post("/callbacks")
def request_callback() -> ResponseReturnValue:
    """Record that a resident asks a person to call back: on their case if proven, else as a new case."""
    try:
        body = _object()
    except ValidationError as exc:
        return unprocessable(exc.errors)
    session = get_session()
    text = str(body.get("text") or "").strip() or "-"
    channel = body.get("channel") or Channel.WEB_CHAT.value
    if body.get("tracking_number") and body.get("pin"):
        # NOTE: words land on a case only with its PIN; without it the request becomes a case of its own.
        try:
            case = complaints.prove_case(session, keyring=keyring(), **_proof(body))  # type: ignore[arg-type]
        except (NotFound, PinLocked, ValidationError):
            session.commit()  # the wrong try counts; the request becomes a case of its own
            case = None
        if case is not None:
            complaints.add_information(
                session,
                case=case,
                text=text,
                channel=Channel(channel),
                actor=BOT_ACTOR,
                action="case.callback_requested",
            )
            session.commit()
            return jsonify({"tracking_number": tracking.format_tracking_number(case.tracking_number)}), 201
    try:
        submission = complaints.parse_submission(
            {
                "kind": Kind.COMPLAINT.value,
                "channel": channel,
                "language": body.get("language") or Language.EN.value,
                "narrative": text,
                "contact": body.get("contact"),
            }
        )
    except ValidationError as exc:
        return unprocessable(exc.errors)
    case, receipt = complaints.file_case(
        session, keyring=keyring(), submission=submission, actor=BOT_ACTOR, conversation_id=body.get("conversation_id")
    )
    complaints.mark_callback_request(session, case=case, actor=BOT_ACTOR)
    session.commit()
    return jsonify(receipt.as_dict()), 201


@bp.post("/conversations/<conversation_id>/messages")
def dialogue_messages(conversation_id: str) -> ResponseReturnValue:
    """Pass on what the dialogue said between a resident's turns (Rasa's reminders): by text, or to the chat."""
    try:
        body = _object()
        texts = body.get("texts")
        if not isinstance(texts, list) or not texts or not all(isinstance(t, str) and t.strip() for t in texts):
            raise ValidationError({"texts": "must be a list of messages"})
    except ValidationError as exc:
        return unprocessable(exc.errors)
    session = get_session()
    queued = messaging.queue_dialogue_messages(session, conversation_id=conversation_id, texts=texts)
    if queued is None:
        # NOTE: an open web chat keeps them in its transcript, and the widget fetches them; no other
        # channel can be reached between turns (bot/actions/actions.py pauses no other).
        queued = web_sessions.record_dialogue_messages(
            session, keyring=keyring(), conversation_id=conversation_id, texts=texts
        )
    if queued is None:
        abort(404, NOT_FOUND_MESSAGE)
    session.commit()
    return jsonify({"queued": len(queued)}), 202


@bp.post("/conversations/<conversation_id>/pause")
def schedule_pause(conversation_id: str) -> ResponseReturnValue:
    """Queue the narrative pause of a conversation: the worker fires it when the resident stays silent."""
    try:
        body = _object()
        if len(conversation_id) > CONVERSATION_ID_MAX_CHARS:
            raise ValidationError({"conversation_id": f"at most {CONVERSATION_ID_MAX_CHARS} characters"})
        seconds, after = body.get("seconds"), body.get("after")
        if isinstance(seconds, bool) or not isinstance(seconds, int | float):
            raise ValidationError({"seconds": "must be a number"})
        if isinstance(after, bool) or not isinstance(after, int | float):
            raise ValidationError({"after": "must be the timestamp of the resident's message"})
        if not 0 < seconds <= pauses.MAX_SECONDS:
            raise ValidationError({"seconds": f"must be above 0 and at most {pauses.MAX_SECONDS:.0f}"})
    except ValidationError as exc:
        return unprocessable(exc.errors)
    session = get_session()
    job = pauses.schedule_pause(session, conversation_id=conversation_id, seconds=float(seconds), after=float(after))
    session.commit()
    return jsonify({"due_at": job.run_after.isoformat()}), 202
