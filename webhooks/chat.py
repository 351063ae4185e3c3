"""The web chat: its JSON API under ``/chat/api/`` and the widget's files under ``/chat/``.

The widget holds a per-session token (``Authorization: Bearer``), never a cookie, so any
city page may embed it. Each message is stored before it is relayed to the dialogue
(Rasa's REST channel, the language as metadata); the dialogue's answers are stored and
returned. When the conversation files its case the session ends: the token then opens
nothing, and the browser forgets it.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, g, jsonify, request, send_from_directory
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from intake import evidence, inputs
from intake.conversations import messaging, web_sessions
from intake.conversations.web_sessions import SessionGone
from intake.enums import Channel, MessageState
from intake.errors import ValidationError
from intake.models import Message, WebSession
from web.extensions import limiter
from web.session import get_session, keyring, storage
from webhooks.rasa_client import MESSAGE_ID, DialogueUnavailable, RasaClient, api_token
from webhooks.webtext import (
    LANGUAGES,
    N_,
    PAGE_LANGUAGE_NAMES,
    PAGE_LANGUAGES,
    best_language,
    chinese_script,
    direction,
    supported,
    wt,
)

log = logging.getLogger(__name__)
bp = Blueprint("chat", __name__, url_prefix="/chat")
STATIC_DIR = Path(__file__).resolve().parent / "static" / "chat"
API_CSP = "default-src 'none'; frame-ancestors 'none'"
RASA_EXTENSION = "heard.chat.rasa"

# Everything the widget itself says, by the key widget.js uses.
STRINGS = {
    "launcher": N_("Make a report by chat"),
    "title": N_("Chat with the police review office"),
    "close": N_("Close chat"),
    "leave": N_("Leave quickly"),
    "language": N_("Language"),
    "you": N_("You:"),
    "heard": N_("Heard:"),
    "input": N_("Type your message"),
    "hint": N_("Press Enter to send. Press Shift and Enter for a new line."),
    "send": N_("Send"),
    "attach": N_("Attach a photo, video, audio or PDF file"),
    "smaller": N_("Smaller text"),
    "larger": N_("Larger text"),
    "size": N_("Text size"),
    "end": N_("End chat"),
    "end_confirm": N_("End this chat? Your report will not be sent, and the chat will be cleared from this browser."),
    "end_yes": N_("Yes, end the chat"),
    "end_no": N_("No, keep chatting"),
    "welcome": N_(
        "Hello. This chat is run by the city's independent police review office, not by the police. "
        "If you are in danger now, call 911. Tell us what happened, or ask about a report you already made."
    ),
    "waiting": N_("Waiting for an answer…"),
    "filed": N_(
        "Your report was sent. Write down your tracking number and PIN now: "
        "they will not be shown again after you leave this page."
    ),
    "new_chat": N_("Start a new chat"),
    "you_sent_file": N_("You sent a file: {name}"),
    "error": N_("Something went wrong. Nothing you sent was lost. Please try again."),
    "form_link": N_("Make a report with a simple form"),
}
HOLDING = N_(
    "We received your message, but our assistant cannot answer right now. "
    "Your words are saved, and we will try again in a moment."
)
FILE_RECEIVED = N_("We received your file {name}. It will be kept with your report.")
FILE_TYPE = N_("We could not accept this file, because it is not a photo, video, audio recording or PDF document.")
FILE_SIZE = N_("We could not accept this file, because it is larger than {size} MB.")
FILE_EMPTY = N_("We could not accept this file, because it is empty.")
TOO_FAST = N_("You are sending very quickly. Please wait a minute and try again.")
ENDED = N_("This chat has ended. You can start a new one.")
EMPTY = N_("Please type a message.")
TOO_LONG = N_("The message is too long. Please send at most {limit} characters at a time.")
ERROR = STRINGS["error"]
NOT_FOUND = N_("We could not find this page.")


def _session_key() -> str:
    """Rate-limit bucket of the session the request names (its token's plain hash; no database)."""
    _, _, token = request.headers.get("Authorization", "").partition(" ")
    return "chat-session:" + hashlib.sha256(token.strip().encode()).hexdigest()[:32]


def _rasa() -> RasaClient:
    return current_app.extensions[RASA_EXTENSION]  # type: ignore[no-any-return]


def _payload() -> dict[str, Any]:
    """The request's JSON object, read once; a body nested too deep to read is refused (400)."""
    if "chat_payload" not in g:
        g.chat_payload = {}  # what the error answer reads if the body cannot be
        try:
            data = request.get_json(silent=True)
        except RecursionError:
            abort(400)
        g.chat_payload = data if isinstance(data, dict) else {}
    return g.chat_payload  # type: ignore[no-any-return]


def _language(web: WebSession | None = None) -> str:
    """The language to answer in: the one the widget names, the session's, then the browser's."""
    try:
        named = _payload().get("lang") or request.form.get("lang") or request.args.get("lang")
    except HTTPException:  # a body too large to read still gets an answer in a language
        named = request.args.get("lang")
    remembered = web.language.value if web is not None and web.language else None
    accepted = [lang for lang, _ in request.accept_languages]
    return best_language([str(named) if named else None, remembered, *accepted])


def _dialogue_metadata(language: str) -> dict[str, Any]:
    """The metadata a message goes to the dialogue with: Chinese says which script the widget shows."""
    data = _payload()
    named = data.get("script")
    if named not in ("Hans", "Hant"):
        named = chinese_script(str(data.get("lang") or ""))
    script = {"script": named} if language == "zh" and named else {}
    metadata: dict[str, Any] = {"channel": Channel.WEB_CHAT.value, "language": language, **script}
    pause = current_app.extensions["heard.channel_settings"].narrative_pause_seconds
    if pause is not None:
        metadata["narrative_pause_seconds"] = pause  # as the SMS channel does; the widget fetches what follows
    return metadata


def _error(status: int, message: str, code: str, language: str | None = None) -> tuple[Response, int]:
    lang = language or _language()
    return jsonify(
        {"error": wt(lang, message, limit=web_sessions.CHAT_MESSAGE_MAX_CHARS), "code": code, "lang": lang}
    ), status


def _token() -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _web_session() -> WebSession:
    return web_sessions.find_session(get_session(), keyring=keyring(), token=_token(), channel=Channel.WEB_CHAT)


def _bot_item(message: Message) -> dict[str, Any]:
    return {
        "id": message.id,
        "from": "heard",
        "text": web_sessions.said_text(keyring(), message),
        "lang": message.language.value if message.language else None,
    }


@bp.errorhandler(SessionGone)
def _gone(exc: SessionGone) -> ResponseReturnValue:
    return _error(410 if exc.reason != "unknown" else 401, ENDED, f"session_{exc.reason}")


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> ResponseReturnValue:
    if exc.code == 429:
        return _error(429, TOO_FAST, "rate_limited")
    if isinstance(exc, RequestEntityTooLarge):
        size = current_app.extensions["heard.channel_settings"].media_max_bytes // (1024 * 1024)
        lang = _language()
        return jsonify({"error": wt(lang, FILE_SIZE, size=size), "code": "too_large", "lang": lang}), 413
    if exc.code == 404:
        return _error(404, NOT_FOUND, "not_found")
    return _error(exc.code or 500, ERROR, exc.name.lower().replace(" ", "_"))


@bp.get("/widget.js")
@limiter.exempt
def widget_js() -> ResponseReturnValue:
    """Serve the widget's script (no build step; the file is the source)."""
    return send_from_directory(STATIC_DIR, "widget.js", mimetype="text/javascript", max_age=300)


@bp.get("/widget.css")
@limiter.exempt
def widget_css() -> ResponseReturnValue:
    """Serve the widget's styles."""
    return send_from_directory(STATIC_DIR, "widget.css", mimetype="text/css", max_age=300)


@bp.get("/api/strings")
@limiter.exempt
def strings() -> ResponseReturnValue:
    """Give the widget its words in each language its picker offers (Chinese in both scripts), with their names."""
    response = jsonify(
        {
            "languages": [
                {"code": code, "name": PAGE_LANGUAGE_NAMES[code], "dir": direction(code)} for code in PAGE_LANGUAGES
            ],
            # The data languages too ("zh"): the answers name theirs, and older widgets pick by them.
            "strings": {
                code: {key: wt(code, text) for key, text in STRINGS.items()} for code in (*PAGE_LANGUAGES, *LANGUAGES)
            },
            "leave_url": current_app.config.get("HEARD_LEAVE_URL"),
        }
    )
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.post("/api/sessions")
@limiter.limit("10 per minute; 100 per hour")
def open_session() -> ResponseReturnValue:
    """Start a chat; the token in the answer is the only key to it."""
    language = _language()
    session = get_session()
    _, token = web_sessions.open_session(session, keyring=keyring(), channel=Channel.WEB_CHAT, language=language)
    session.commit()
    return jsonify({"token": token, "lang": language}), 201


def _relay(web: WebSession) -> tuple[list[dict[str, Any]], bool]:
    """Relay every waiting message of the conversation in order; return the answers and whether some wait on."""
    session = get_session()
    answers: list[dict[str, Any]] = []
    for message in web_sessions.waiting_messages(session, web=web):
        if not web_sessions.claim(session, message_id=message.id):
            continue
        language = message.language.value if message.language else _language(web)
        # NOTE: commit before the dialogue runs: its actions file through this app, and SQLite
        # allows one writer, so no transaction may stay open across the call.
        session.commit()
        try:
            answer = _rasa().send(
                sender=web.conversation_id,
                text=message.body,
                metadata={**_dialogue_metadata(language), MESSAGE_ID: f"web_chat:{message.id}"},
            )
        except DialogueUnavailable as exc:
            log.warning("dialogue unavailable for web chat message %s: %s", message.id, exc)
            web_sessions.release(session, message_id=message.id)
            session.commit()
            return answers, True
        if answer.redact:
            messaging.hide_pin(message)  # staff, and the resident after a reload, see it masked
        said = supported(answer.language) or language
        texts = list(answer.texts)
        if not texts:
            # NOTE: a turn the dialogue answers with no words (a failed action, say) must not leave the
            # resident waiting in silence: they are told so, and may write again.
            log.warning("the dialogue said nothing to web chat message %s", message.id)
            texts = [wt(said, ERROR)]
        replies = web_sessions.record_chat_replies(
            session, web=web, keyring=keyring(), inbound=message, texts=texts, language=said
        )
        session.commit()
        answers.extend(_bot_item(reply) for reply in replies)
    return answers, False


def _turn_answer(web: WebSession, answers: list[dict[str, Any]], pending: bool) -> ResponseReturnValue:
    session = get_session()
    filed = web_sessions.settle_filing(session, web=web)
    language = web.language.value if web.language else _language(web)
    session.commit()
    if pending:
        answers.append({"id": None, "from": "heard", "text": wt(language, HOLDING), "lang": language})
    return jsonify({"messages": answers, "lang": language, "filed": filed, "pending": pending})


def _replay(web: WebSession, message: Message) -> ResponseReturnValue:
    """Answer a repeated request with the replies the first one got (the network may have lost them)."""
    replies = messaging.replies_to(get_session(), message_id=message.id)
    language = web.language.value if web.language else _language(web)
    filed = web.end_reason == web_sessions.ENDED_FILED
    return jsonify({"messages": [_bot_item(r) for r in replies], "lang": language, "filed": filed, "pending": False})


@bp.post("/api/messages")
@limiter.limit("30 per minute; 600 per hour", key_func=_session_key)
@limiter.limit("120 per minute")
def send_message() -> ResponseReturnValue:
    """Store the resident's message, relay it to the dialogue and answer with what it said."""
    data = _payload()
    client_id = inputs.storable(str(data.get("id") or "")[:64]) or None
    session = get_session()
    web = web_sessions.find_session(
        session, keyring=keyring(), token=_token(), channel=Channel.WEB_CHAT, ended=client_id is not None
    )
    if web.ended_at is not None:
        # NOTE: only the repeat of a message already answered is served after the session ended:
        # the turn that filed the case holds the receipt, and its answer may have been lost.
        known = web_sessions.find_message(session, web=web, keyring=keyring(), client_id=client_id or "")
        if known is None or web.end_reason != web_sessions.ENDED_FILED:
            raise SessionGone(web.end_reason or web_sessions.ENDED_ABANDONED)
        return _replay(web, known)
    text = data.get("text")
    language = _language(web)
    try:
        message, created = web_sessions.receive_chat_message(
            session,
            web=web,
            keyring=keyring(),
            text=text if isinstance(text, str) else "",
            language=language,
            client_id=client_id,
        )
    except ValidationError as exc:
        if "is empty" in exc.errors.get("text", ""):
            return _error(422, EMPTY, "empty", language)
        return _error(422, TOO_LONG, "too_long", language)
    session.commit()
    if not created and message.state is not MessageState.RECEIVED:
        return _replay(web, message)
    answers, pending = _relay(web)
    return _turn_answer(web, answers, pending)


@bp.post("/api/retry")
@limiter.limit("10 per minute", key_func=_session_key)
def retry() -> ResponseReturnValue:
    """Relay the messages that wait because the dialogue did not answer before."""
    web = _web_session()
    get_session().commit()
    answers, pending = _relay(web)
    return _turn_answer(web, answers, pending)


@bp.get("/api/transcript")
@limiter.limit("60 per minute", key_func=_session_key)
def transcript() -> ResponseReturnValue:
    """Give the chat so far back to the browser that holds the token (after a reload)."""
    web = _web_session()
    session = get_session()
    items = [item.as_dict() for item in web_sessions.transcript(session, web=web)]
    waiting = bool(web_sessions.waiting_messages(session, web=web))
    language = web.language.value if web.language else _language(web)
    session.commit()
    return jsonify({"messages": items, "lang": language, "pending": waiting})


@bp.get("/api/updates")
@limiter.limit("20 per minute", key_func=_session_key)
def updates() -> ResponseReturnValue:
    """Give what the dialogue said between turns (it moved on after a pause) since message ``after``."""
    web = _web_session()
    session = get_session()
    after = inputs.whole_number(request.args.get("after", "0")) or 0
    said = web_sessions.said_between_turns(session, web=web, after=after)
    language = web.language.value if web.language else _language(web)
    session.commit()
    return jsonify({"messages": [_bot_item(m) for m in said], "lang": language})


@bp.post("/api/uploads")
@limiter.limit("20 per hour", key_func=_session_key)
@limiter.limit("60 per hour")
def upload() -> ResponseReturnValue:
    """Keep a photo, video, audio recording or PDF the resident sends; it joins their case when filed."""
    max_bytes = current_app.extensions["heard.channel_settings"].media_max_bytes
    request.max_content_length = max_bytes + 64 * 1024
    web = _web_session()
    language = _language(web)
    sent = request.files.get("file")
    if sent is None:
        return _error(422, FILE_EMPTY, "empty", language)
    data = sent.stream.read(max_bytes + 1)
    declared = sent.mimetype or "application/octet-stream"
    try:
        real_type = evidence.check(data, declared, max_bytes=max_bytes)
    except evidence.EvidenceRejected as exc:
        message = {"type": FILE_TYPE, "size": FILE_SIZE}.get(exc.reason, FILE_EMPTY)
        text = wt(language, message, size=max_bytes // (1024 * 1024))
        return jsonify({"error": text, "code": f"file_{exc.reason}", "lang": language}), 422
    stored = evidence.store(storage(), keyring(), data, real_type)
    name = web_sessions.upload_name(sent.filename)
    session = get_session()
    attachment = web_sessions.record_upload(session, web=web, stored=stored, filename=name, declared_type=declared)
    session.commit()
    info = {"name": name, "type": attachment.content_type, "size": attachment.size_bytes}
    return jsonify(
        {
            "messages": [
                {"id": -attachment.id, "from": "you", "text": "", "lang": language, "file": info},
                {"id": None, "from": "heard", "text": wt(language, FILE_RECEIVED, name=name or "-"), "lang": language},
            ],
            "lang": language,
        }
    ), 201


@bp.post("/api/end")
@limiter.limit("30 per minute")
def end() -> ResponseReturnValue:
    """Forget the session: the token opens nothing any more (what was sent stays with the office)."""
    try:
        web = _web_session()
    except SessionGone:
        return Response(status=204)
    web_sessions.end_session(web, reason=web_sessions.ENDED_ABANDONED)
    get_session().commit()
    return Response(status=204)


@bp.route("/api/<path:rest>", methods=["GET", "POST"])
def unknown(rest: str) -> ResponseReturnValue:
    """Answer an unknown API path in JSON, like every other API error."""
    return _error(404, NOT_FOUND, "not_found")


def _allowed_origin(app: Flask, origin: str) -> str | None:
    allowed = app.config["HEARD_CHAT_ORIGINS"]
    if "*" in allowed:
        return "*"
    return origin if origin in allowed else None


@bp.after_request
def _headers(response: Response) -> Response:
    # NOTE: the token travels in a header, never a cookie, so allowing other origins (the
    # city's pages that embed the widget) exposes nothing ambient; deployers may narrow it.
    origin = _allowed_origin(current_app, request.headers.get("Origin", ""))
    if origin:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Headers"] = "Authorization, Content-Type"
        response.headers["Access-Control-Allow-Methods"] = "GET, POST"
        response.headers["Access-Control-Max-Age"] = "600"
        response.headers.add("Vary", "Origin")
    if request.path.startswith("/chat/api/"):
        response.headers["Content-Security-Policy"] = API_CSP
        response.headers.setdefault("Cache-Control", "no-store")
    else:
        # The widget's files are loaded by other sites' pages.
        response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


def init_app(app: Flask) -> None:
    """Register the chat and give it its own client of the dialogue."""
    origins = app.config.get("HEARD_CHAT_ORIGINS") or os.environ.get("HEARD_CHAT_ORIGINS") or "*"
    app.config["HEARD_CHAT_ORIGINS"] = [o.strip() for o in str(origins).split(",") if o.strip()]
    settings = app.extensions["heard.channel_settings"]
    token = api_token(configured=settings.rasa_token, internal_token=app.extensions["heard.keyring"].internal_token)
    app.extensions.setdefault(RASA_EXTENSION, RasaClient(settings.rasa_url, timeout=30.0, token=token))
    app.register_blueprint(bp)
