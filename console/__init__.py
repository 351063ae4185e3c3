"""The staff triage console: a server-rendered Flask blueprint under ``/console/``."""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

from flask import Flask, Response, has_request_context, request
from flask.sessions import SecureCookieSessionInterface

from intake.errors import ConfigurationError
from intake.triage import ServiceTargets

# NOTE: no script at all, so an injected <script> cannot run; styles only from our own file.
CONSOLE_CSP = (
    "default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


class ConsoleSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, marked Secure whenever the request came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        configured = bool(app.config.get("SESSION_COOKIE_SECURE"))
        return configured or (has_request_context() and request.is_secure)


def _setting(app: Flask, name: str, default: str) -> str:
    value = app.config.get(name)
    if value is None:
        value = os.environ.get(name) or default
    return str(value)


def _int_setting(app: Flask, name: str, default: int) -> int:
    try:
        return int(_setting(app, name, str(default)))
    except ValueError as exc:
        raise ConfigurationError(f"{name} must be a whole number") from exc


def _security_headers(response: Response) -> Response:
    if request.path == "/console" or request.path.startswith("/console/"):
        response.headers.setdefault("Content-Security-Policy", CONSOLE_CSP)
        response.headers["Cache-Control"] = "no-store"
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        response.vary.add("Cookie")
    return response


def init_app(app: Flask) -> None:
    """Register the console, its settings, its session cookie and its security headers.

    Settings (application config or environment): ``HEARD_ACK_WORKING_DAYS`` (3),
    ``HEARD_OFFICE_TIMEZONE`` (read once by ``intake.config``), ``HEARD_CONSOLE_IDLE_MINUTES`` (60: a session unused
    this long ends), ``HEARD_CONSOLE_MAX_HOURS`` (12: a session ends this long after sign-in).
    """
    from console.views import bp

    targets = ServiceTargets(
        acknowledge_working_days=_int_setting(app, "HEARD_ACK_WORKING_DAYS", 3),
        timezone=app.config["HEARD_SETTINGS"].office_timezone,
    )
    settings: dict[str, Any] = {
        "targets": targets,
        "max_session_seconds": _int_setting(app, "HEARD_CONSOLE_MAX_HOURS", 12) * 3600,
    }
    app.extensions["heard.console"] = settings
    app.session_interface = ConsoleSessionInterface()
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = app.config.get("SESSION_COOKIE_SAMESITE") or "Lax"
    # The signed cookie is refused once it has not been re-signed for this long: an idle timeout.
    app.config["PERMANENT_SESSION_LIFETIME"] = dt.timedelta(minutes=_int_setting(app, "HEARD_CONSOLE_IDLE_MINUTES", 60))
    app.register_blueprint(bp)
    from console.reports import init_app as init_reports

    init_reports(app)
    from console.operations import init_app as init_operations

    init_operations(app)
    from console.privacy import init_app as init_resident_data

    init_resident_data(app)
    app.after_request(_security_headers)
