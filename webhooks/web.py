"""Answers every error in its caller's terms and sets security headers on every response.

Programs (the partner API, the internal API, the chat API, health checks) get JSON; a
resident's browser gets a small page in their language; Twilio's webhooks and the staff
console answer their own errors.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from webhooks import pages

log = logging.getLogger(__name__)

API_CSP = "default-src 'none'; frame-ancestors 'none'"
# Paths whose callers are programs: their errors are JSON.
JSON_PREFIXES = ("/api/", "/internal/", "/healthz", "/chat/api/")
# Paths whose blueprints answer their own errors (TwiML, the console's pages): left as they are.
OWN_PREFIXES = ("/twilio/", "/console")


def _json_error(status: int, message: str, **extra: object) -> tuple[Response, int]:
    return jsonify({"error": message, **extra}), status


def _resident_page() -> bool:
    return not request.path.startswith(JSON_PREFIXES + OWN_PREFIXES)


def _handle_http_error(exc: HTTPException) -> ResponseReturnValue | HTTPException:
    if request.path.startswith(JSON_PREFIXES):
        return _json_error(exc.code or 500, exc.description or exc.name)
    if not _resident_page():
        return exc
    return pages.error_page(exc.code or 500, exc)


def _handle_unexpected(exc: Exception) -> ResponseReturnValue:
    log.exception("unhandled error on %s %s", request.method, request.path)
    if _resident_page():
        try:
            return pages.error_page(500)
        except Exception:  # the page itself failed: fall back to the plain answer below
            log.exception("the error page failed on %s %s", request.method, request.path)
    return _json_error(500, "internal error; nothing you sent was lost, please try again")


def _security_headers(response: Response) -> Response:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if request.path.startswith(("/api/", "/internal/", "/healthz")):
        response.headers.setdefault("Content-Security-Policy", API_CSP)
        response.headers.setdefault("Cache-Control", "no-store")
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response


def init_app(app: Flask) -> None:
    """Register the error handlers and the header hook."""
    app.register_error_handler(HTTPException, _handle_http_error)
    app.register_error_handler(Exception, _handle_unexpected)
    app.after_request(_security_headers)
