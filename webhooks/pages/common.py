"""What every resident page shares: the blueprint, language, the draft's cookie, CSRF, headers and error pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, g, make_response, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException, MethodNotAllowed, RequestEntityTooLarge
from werkzeug.wsgi import LimitedStream

from intake.conversations import web_sessions
from intake.conversations.web_sessions import SessionGone
from intake.enums import Channel
from intake.models import WebSession
from web.session import get_session, keyring
from webhooks.pages.texts import COOKIE, DRAIN_MAX_BYTES, ERROR_PAGES, EVIDENCE_FILES_PER_SEND, OTHER_ERROR, PAGE_CSP
from webhooks.webtext import (
    PAGE_LANGUAGE_NAMES,
    PAGE_LANGUAGES,
    best_page_language,
    chinese_script,
    direction,
    page_language,
    wt,
)

# NOTE: rooted at webhooks/, where the templates and static files of every resident page live.
bp = Blueprint(
    "web",
    __name__,
    root_path=str(Path(__file__).resolve().parent.parent),
    template_folder="templates",
    static_folder="static/web",
    static_url_path="/web/static",
)


# -- language, cookie, CSRF -----------------------------------------------------------------


def _value(name: str) -> str | None:
    """Return a query or form value; only the query's when the body is too large to read."""
    try:
        return request.values.get(name)
    except HTTPException:
        return request.args.get(name)


def _language() -> str:
    """The page's language: the one named, the draft's, then the browser's (``zh-Hant`` included)."""
    named = _value("lang")
    remembered = g.get("draft_language")
    accepted = [lang for lang, _ in request.accept_languages]
    if remembered == "zh":
        # NOTE: a draft keeps its data language only; the browser says which way its Chinese is written.
        remembered = next((found for found in map(page_language, accepted) if chinese_script(found)), "zh-Hans")
    return best_page_language([named, remembered, *accepted])


def _nonce() -> str:
    """Return this browser's random cookie value, creating it (set on the response) when missing.

    NOTE: a value the browser sends (perhaps planted by someone else) serves only as the key of
    its CSRF tokens; a draft's token always comes from the server (see ``form.report_step``).
    """
    if "web_nonce" not in g:
        existing = request.cookies.get(COOKIE, "")
        g.web_nonce = existing if 20 <= len(existing) <= 128 else web_sessions.new_token()
        g.set_cookie = g.web_nonce != existing
    return str(g.web_nonce)


def rotate(web: WebSession) -> None:
    """Give the draft a fresh token for the browser (the one it sent opens nothing any more); the caller commits."""
    g.web_nonce = web_sessions.rotate_token(web, keyring=keyring())
    g.set_cookie = True


def _csrf_token() -> str:
    """The forms' CSRF token: bound to the draft while there is one (it outlives cookie rotation), else the cookie."""
    web = g.get("web_session") or _draft_session()
    if web is not None:
        return keyring().digest("web-csrf", f"draft:{web.conversation_id}")[:40]
    return keyring().digest("web-csrf", _nonce())[:40]


def _check_csrf() -> bool:
    import hmac

    sent = request.form.get("csrf", "")
    cookie = request.cookies.get(COOKIE, "")
    if not sent or not cookie:
        return False
    # NOTE: bytes, because compare_digest refuses str holding anything but ASCII (a TypeError, a 500).
    web = g.get("web_session") or _draft_session()
    subject = f"draft:{web.conversation_id}" if web is not None else cookie
    expected = keyring().digest("web-csrf", subject)[:40]
    return hmac.compare_digest(sent.encode("utf-8", "surrogatepass"), expected.encode())


def _draft_session() -> WebSession | None:
    cookie = request.cookies.get(COOKIE, "")
    if not cookie:
        return None
    try:
        web = web_sessions.find_session(get_session(), keyring=keyring(), token=cookie, channel=Channel.WEB_FORM)
    except SessionGone:
        return None
    g.draft_language = web.language.value if web.language else None
    g.web_session = web
    return web


def _with_lang(endpoint: str, **values: Any) -> str:
    return url_for(endpoint, lang=g.lang, **values)


def _media_max_bytes() -> int:
    return int(current_app.extensions["heard.channel_settings"].media_max_bytes)


@bp.before_request
def _prepare() -> None:
    if request.endpoint == "web.report_evidence":
        # Before anything reads the form: the app's limit is for words, not files.
        request.max_content_length = _media_max_bytes() * EVIDENCE_FILES_PER_SEND + 1024 * 1024
    try:
        # NOTE: the body is read here, first: a multipart body refused halfway reads as an empty
        # form afterwards, so the refusal must surface now, not be mistaken for a missing token.
        request.form  # noqa: B018
    except RequestEntityTooLarge:
        g.lang = _language()
        raise
    g.lang = _language()


def tr(message: str, **values: Any) -> str:
    """Say ``message`` in the page's language (templates' gettext)."""
    return wt(g.get("lang"), message, **values)


@bp.context_processor
def _context() -> dict[str, Any]:
    return {
        "tr": tr,
        "lang": g.lang,
        "dir": direction(g.lang),
        "languages": [(code, PAGE_LANGUAGE_NAMES[code]) for code in PAGE_LANGUAGES],
        "csrf_token": _csrf_token(),
        "leave_url": url_for("web.leave"),
        "with_lang": _with_lang,
        "from_review": _value("from") == "review",
    }


@bp.after_request
def _headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = PAGE_CSP
    response.headers["Cache-Control"] = "no-store"
    response.headers.setdefault("Content-Language", g.get("lang", "en"))
    if g.get("clear_cookie"):
        response.delete_cookie(COOKIE, path="/", samesite="Lax", secure=request.is_secure, httponly=True)
    elif g.get("set_cookie"):
        response.set_cookie(COOKIE, str(g.web_nonce), path="/", samesite="Lax", secure=request.is_secure, httponly=True)
    return response


def _page(template: str, status: int = 200, **context: Any) -> ResponseReturnValue:
    return render_template(template, **context), status


def error_page(code: int, exc: HTTPException | None = None) -> Response:
    """Answer an error on a resident's page with a small page in their language: no trace, a way on."""
    g.lang = g.get("lang") or _language()
    heading, message = ERROR_PAGES.get(code, OTHER_ERROR)
    context = {**_context(), "code": code, "heading": heading, "message": message}
    response = make_response(render_template("web/error.html", **context), code)
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    response.headers["Content-Security-Policy"] = PAGE_CSP
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Language"] = g.lang
    return response


def _discard_body() -> None:
    """Read a refused body to its end, so the browser is still listening when the answer comes."""
    length = request.content_length or 0
    if not length or length > DRAIN_MAX_BYTES:
        return
    # Where the form parser stopped, if it started (a cached property), else the untouched input.
    stream = request.__dict__.get("stream") or LimitedStream(request.environ["wsgi.input"], length)
    try:
        while stream.read(1024 * 1024):
            pass
    except (OSError, HTTPException):  # the browser went away, or the limit cut the stream: answer anyway
        return
