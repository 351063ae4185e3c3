"""The stream server: TTY media streams served apart from the web process's request threads.

A TTY call holds its websocket for the whole call, and every call holds one for its first
seconds; in the web process each would hold a gunicorn thread, and a few idle ones would
starve the texts' webhooks. Here one asyncio loop holds every stream (an idle one costs a
socket, not a thread); the blocking parts of a turn (the dialogue, the database, the modem)
run in a pool with a thread per stream at most. The reverse proxy sends ``/twilio/tty/`` here.

Every stream is refused (403) unless Twilio signed its handshake, its URL's token is live,
and (at ``start``) the token was made for that very call; at most ``max_streams`` are open
(the next is closed at once with 1013, "try again later"); a stream that sends nothing for
``idle_seconds`` is closed; a frame over ``max_frame_bytes`` is closed with 1009.
"""

from __future__ import annotations

import asyncio
import binascii
import contextlib
import json
import logging
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web
from twilio.request_validator import RequestValidator

from intake.errors import ConfigurationError
from webhooks.tty.stream import MAX_LINE_CHARS, Session, TtyCall, TtyListener
from webhooks.twilio import streams
from webhooks.twilio.channel import SmsChannel
from webhooks.twilio.config import ChannelSettings

log = logging.getLogger(__name__)

# Events read ahead of a stream's logic; a sender faster than that waits (TCP's back-pressure).
READ_AHEAD = 256
CLOSE_REASONS = {
    WSCloseCode.GOING_AWAY: b"idle",
    WSCloseCode.POLICY_VIOLATION: b"not this call's stream",
    WSCloseCode.INVALID_TEXT: b"not a media stream event",
    WSCloseCode.UNSUPPORTED_DATA: b"text frames only",
}
# What a frame holds when a stream's logic cannot read it.
BAD_FRAME = (KeyError, TypeError, ValueError, AttributeError, binascii.Error, RecursionError)


@dataclass(frozen=True)
class End:
    """The end of a stream's events: how to close it (None: the other side closed it)."""

    code: WSCloseCode | None


@dataclass(frozen=True)
class StreamLimits:
    """How many streams, how idle, how big a frame, how long a line."""

    max_streams: int = 40
    idle_seconds: float = 30.0
    # NOTE: Twilio's frames are 20 ms of audio (under 1 KB of JSON); a start frame with its parameters a few KB.
    max_frame_bytes: int = 16 * 1024
    max_line_chars: int = MAX_LINE_CHARS
    max_call_seconds: float = 2 * 3600.0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> StreamLimits:
        """Read ``HEARD_TTY_*``; a value that is not a positive number is a configuration error."""
        names = {
            "max_streams": ("HEARD_TTY_MAX_STREAMS", int),
            "idle_seconds": ("HEARD_TTY_IDLE_SECONDS", float),
            "max_frame_bytes": ("HEARD_TTY_MAX_FRAME_BYTES", int),
            "max_line_chars": ("HEARD_TTY_MAX_LINE_CHARS", int),
            "max_call_seconds": ("HEARD_TTY_MAX_CALL_SECONDS", float),
        }
        values: dict[str, Any] = {}
        for attribute, (name, kind) in names.items():
            raw = env.get(name)
            if not raw:
                continue
            try:
                values[attribute] = kind(raw)
            except ValueError as exc:
                raise ConfigurationError(f"{name} must be a number: {exc}") from exc
            if values[attribute] <= 0:
                raise ConfigurationError(f"{name} must be above 0")
        return cls(**values)


class StreamServer:
    """Serve ``/twilio/tty/stream/<token>`` and ``/twilio/tty/listen/<token>``."""

    def __init__(
        self, *, channel: SmsChannel, settings: ChannelSettings, limits: StreamLimits, trusted_proxies: int = 0
    ) -> None:
        self.channel = channel
        self.settings = settings
        self.limits = limits
        self.trusted_proxies = trusted_proxies
        self.live = 0
        self.calls: set[tuple[str, str]] = set()  # (kind, CallSid) of every stream open now
        self.spent: dict[str, int] = {}  # tokens already used, until they expire
        self.pool = ThreadPoolExecutor(max_workers=limits.max_streams, thread_name_prefix="tty")

    def app(self) -> web.Application:
        """Return the aiohttp application."""
        app = web.Application(client_max_size=self.limits.max_frame_bytes)
        app.router.add_get("/twilio/tty/stream/{token}", self.stream)
        app.router.add_get("/twilio/tty/listen/{token}", self.listen)
        app.router.add_get("/healthz", self.health)
        app.on_cleanup.append(self._close_pool)
        return app

    async def _close_pool(self, _app: web.Application) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)

    async def health(self, _request: web.Request) -> web.Response:
        """Report the streams open and the cap."""
        return web.json_response({"status": "ok", "streams": self.live, "max_streams": self.limits.max_streams})

    async def stream(self, request: web.Request) -> web.StreamResponse:
        """A TTY call's bidirectional stream."""
        return await self.serve(request, "stream")

    async def listen(self, request: web.Request) -> web.StreamResponse:
        """The first seconds of a call, listened to for Baudot tones."""
        return await self.serve(request, "listen")

    def public_base(self, request: web.Request) -> str:
        """Return the public ws(s):// base Twilio connected to."""
        base = self.settings.public_base_url
        if not base:
            scheme, host = request.scheme, request.host
            if self.trusted_proxies:
                scheme = _forwarded(request.headers.get("X-Forwarded-Proto"), self.trusted_proxies) or scheme
                host = _forwarded(request.headers.get("X-Forwarded-Host"), self.trusted_proxies) or host
            base = f"{scheme}://{host}"
        return base.replace("https://", "wss://", 1).replace("http://", "ws://", 1)

    def signed(self, request: web.Request) -> bool:
        """Tell whether Twilio signed this handshake: its wss:// URL, with no parameters."""
        signature = request.headers.get("X-Twilio-Signature", "")
        if not self.settings.auth_token or not signature:
            return False
        url = self.public_base(request) + request.raw_path
        return bool(RequestValidator(self.settings.auth_token).validate(url, {}, signature))

    async def serve(self, request: web.Request, kind: str) -> web.StreamResponse:
        """Check the handshake, then hold the stream, or close it at once when the cap is reached."""
        token = request.match_info["token"]
        if not self.signed(request) or not streams.token_is_live(token):
            log.warning("TTY %s refused: bad or missing signature, or an expired token", kind)
            raise web.HTTPForbidden()
        now = int(time.time())
        self.spent = {spent: until for spent, until in self.spent.items() if until >= now}
        if token in self.spent:
            log.warning("TTY %s refused: its token was used already", kind)
            raise web.HTTPForbidden()
        ws = web.WebSocketResponse(max_msg_size=self.limits.max_frame_bytes, autoping=False, timeout=5.0)
        if self.live >= self.limits.max_streams:
            log.warning("TTY %s closed at once: %d streams open, the most allowed", kind, self.live)
            await ws.prepare(request)
            await ws.close(code=WSCloseCode.TRY_AGAIN_LATER, message=b"too many streams")
            return ws
        self.live += 1
        try:
            await ws.prepare(request)
            await self.converse(ws, kind, token, self.session(request, kind))
        finally:
            self.live -= 1
        return ws

    def session(self, request: web.Request, kind: str) -> Session:
        if kind == "stream":
            return TtyCall(channel=self.channel, max_line_chars=self.limits.max_line_chars)
        return TtyListener(channel=self.channel, base=self.public_base(request))

    async def converse(self, ws: web.WebSocketResponse, kind: str, token: str, session: Session) -> None:
        """Read events ahead (bounded) while the stream's logic takes them in batches, until either ends."""
        queue: asyncio.Queue[dict[str, Any] | End] = asyncio.Queue(maxsize=READ_AHEAD)
        bound: list[tuple[str, str]] = []
        reader = asyncio.create_task(self._read(ws, kind, token, queue, bound))
        try:
            code = await self._process(ws, session, queue)
            if code is not None and not ws.closed:
                await ws.close(code=code, message=CLOSE_REASONS.get(code, b""))
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
            for call in bound:
                self.calls.discard(call)

    async def _read(
        self,
        ws: web.WebSocketResponse,
        kind: str,
        token: str,
        queue: asyncio.Queue[dict[str, Any] | End],
        bound: list[tuple[str, str]],
    ) -> None:
        """Put each event on ``queue`` (nothing before a ``start`` bound to this call); end it with an ``End``."""
        idle_until = time.monotonic() + self.limits.idle_seconds
        ends = time.monotonic() + self.limits.max_call_seconds
        while True:
            message = await self._receive(ws, min(idle_until, ends))
            if isinstance(message, End):
                await queue.put(message)
                return
            if message.type is WSMsgType.PING:
                await ws.pong(message.data)  # NOTE: a ping is answered, but keeps no stream alive
                continue
            if message.type is not WSMsgType.TEXT:
                await queue.put(End(WSCloseCode.UNSUPPORTED_DATA))
                return
            idle_until = time.monotonic() + self.limits.idle_seconds
            event = _event(message.data)
            if event is None:
                await queue.put(End(WSCloseCode.INVALID_TEXT))
                return
            if event.get("event") == "start" and not bound:
                call = self._bind(kind, token, event)
                if call is None:
                    await queue.put(End(WSCloseCode.POLICY_VIOLATION))
                    return
                self.calls.add(call)
                bound.append(call)
            elif not bound or event.get("event") == "start":
                continue  # "connected", anything before "start", or a second "start": nothing to act on
            await queue.put(event)

    async def _receive(self, ws: web.WebSocketResponse, deadline: float) -> Any:
        """Return the next message, or an ``End`` when the stream closed or stayed idle past ``deadline``."""
        try:
            message = await ws.receive(timeout=max(0.01, deadline - time.monotonic()))
        except asyncio.TimeoutError:  # noqa: UP041 - NOTE: not yet the builtin on Python 3.10
            log.info("TTY stream closed: idle or too long")
            return End(WSCloseCode.GOING_AWAY)
        if message.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR):
            if message.type is WSMsgType.ERROR:
                log.warning("TTY stream closed: %s", message.data)
            return End(None)
        return message

    async def _process(
        self, ws: web.WebSocketResponse, session: Session, queue: asyncio.Queue[dict[str, Any] | End]
    ) -> WSCloseCode | None:
        """Hand the events read so far to the stream's logic at once; send what it says; return how to close."""
        loop = asyncio.get_running_loop()
        while True:
            batch = [await queue.get()]
            while isinstance(batch[-1], dict) and not queue.empty():
                batch.append(queue.get_nowait())
            events = [event for event in batch if isinstance(event, dict)]
            if events:
                code = await self._handle(loop, session, events)
                try:
                    for frame in session.drain():
                        await ws.send_str(frame)
                except (ConnectionError, RuntimeError):
                    return None  # the other side has gone
                if code is not None:
                    return code
            if isinstance(batch[-1], End):
                return batch[-1].code

    def _bind(self, kind: str, token: str, event: dict[str, Any]) -> tuple[str, str] | None:
        """Return the stream's (kind, CallSid) when the token was made for this call and no other stream has it."""
        start = event.get("start")
        call_sid = start.get("callSid") if isinstance(start, dict) else None
        if not isinstance(call_sid, str) or not streams.token_binds(self.channel.keyring, kind, token, call_sid):
            log.warning("TTY %s refused: its start names a call the URL was not made for", kind)
            return None
        if (kind, call_sid) in self.calls or token in self.spent:
            log.warning("TTY %s refused: the call has a stream open already, or had one", kind)
            return None
        self.spent[token] = streams.token_expiry(token) or 0
        # NOTE: and in the database, so another stream process refuses the same handshake too.
        if not streams.claim_token(self.channel.database, self.channel.keyring, token):
            log.warning("TTY %s refused: its token was used already by another stream process", kind)
            return None
        return (kind, call_sid)

    async def _handle(
        self, loop: asyncio.AbstractEventLoop, session: Session, events: list[dict[str, Any]]
    ) -> WSCloseCode | None:
        """Run the stream's logic for ``events`` in the pool; return how to close the stream, or None to go on."""
        try:
            done = await loop.run_in_executor(self.pool, session.handle_all, events)
        except BAD_FRAME:
            log.warning("TTY stream closed: a frame its logic cannot read")
            return WSCloseCode.INVALID_TEXT
        except Exception:
            log.exception("TTY stream closed: its logic failed")
            return WSCloseCode.INTERNAL_ERROR
        return WSCloseCode.OK if done else None


def _event(data: str) -> dict[str, Any] | None:
    """Return a frame's event, or None when it is not a JSON object."""
    try:
        event = json.loads(data)
    except (ValueError, RecursionError):
        return None
    return event if isinstance(event, dict) else None


def _forwarded(value: str | None, hops: int) -> str | None:
    """Return the value the ``hops``-th trusted proxy from the right set in a comma-separated header."""
    parts = [part.strip() for part in (value or "").split(",") if part.strip()]
    return parts[-hops] if len(parts) >= hops else None


def run(server: StreamServer, bind: str) -> None:
    """Serve until SIGTERM or SIGINT on ``bind`` (host:port)."""
    host, _, port = bind.rpartition(":")
    web.run_app(
        server.app(),
        host=host or "127.0.0.1",
        port=int(port),
        access_log_format='%a "%r" %s %b %Tfs',
        print=None,
        shutdown_timeout=5.0,
    )
