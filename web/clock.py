"""When a request arrived: the clock a webhook's answer must beat starts there, not when the view runs.

``RequestClock`` wraps the WSGI application and stamps each request on entry. A front
proxy that stamps requests itself (nginx ``proxy_set_header X-Request-Start "t=${msec}"``,
Heroku's router) saw the request earlier, before it waited in any queue, so an earlier
``X-Request-Start`` wins. NOTE: the header is trusted only to make the clock earlier,
never later: a forged one can at worst send a reply by REST instead of inline.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from flask import request

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

ENVIRON_KEY = "heard.request_started"
# A proxy stamp older than this is a wrong clock, not a queue.
MAX_QUEUE_SECONDS = 120.0


def parse_request_start(value: str | None) -> float | None:
    """Read an ``X-Request-Start`` stamp (``t=`` optional; seconds, milliseconds or microseconds) as epoch seconds."""
    if not value:
        return None
    try:
        stamp = float(value.strip().removeprefix("t="))
    except ValueError:
        return None
    if stamp > 1e14:
        return stamp / 1e6
    if stamp > 1e11:
        return stamp / 1e3
    return stamp


def arrival(environ: dict[str, Any], entered: float) -> float:
    """Return when the request arrived: the proxy's stamp when it is earlier and plausible, else ``entered``."""
    stamped = parse_request_start(environ.get("HTTP_X_REQUEST_START"))
    if stamped is not None and entered - MAX_QUEUE_SECONDS <= stamped < entered:
        return stamped
    return entered


class RequestClock:
    """WSGI middleware: stamp every request with the time it arrived (epoch seconds)."""

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        environ.setdefault(ENVIRON_KEY, arrival(environ, time.time()))
        return self.app(environ, start_response)


def request_started() -> float:
    """Return when the current request arrived (now, if it came in without the clock)."""
    started = request.environ.get(ENVIRON_KEY)
    return float(started) if started is not None else arrival(request.environ, time.time())
