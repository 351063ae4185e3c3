"""The stream server in a thread of the test process, and a Twilio-like client for it."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import aiohttp
from aiohttp import web
from simple_websocket import Client

from tests.twilio_fake import PUBLIC_BASE_URL, sign
from webhooks.twilio import streams


def _apart(work: Any) -> Any:
    """Run ``work()`` in a thread of its own, so an event loop another test left running here does not matter."""
    result: dict[str, Any] = {}

    def run() -> None:
        try:
            result["value"] = work()
        except BaseException as exc:  # handed back to the caller below
            result["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result.get("value")


@contextmanager
def serving(server: Any) -> Iterator[str]:
    """Serve ``server`` (a StreamServer) on a free loopback port; yield its ws:// base."""
    loop = asyncio.new_event_loop()
    # A handler still finishing a turn when the test ends is cut short after 5 s (aiohttp waits 60 s by default).
    runner = web.AppRunner(server.app(), shutdown_timeout=5)

    def start() -> int:
        loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        loop.run_until_complete(site.start())
        return int(runner.addresses[0][1])

    port = _apart(start)
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield f"ws://127.0.0.1:{port}"
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=60)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=30)
        loop.close()


def signed_path(keyring: Any, kind: str, call_sid: str) -> tuple[str, str]:
    """Return a stream path made for ``call_sid`` and Twilio's signature of its public wss:// URL."""
    path = streams.stream_path(keyring, kind, call_sid)
    return path, sign(PUBLIC_BASE_URL.replace("https://", "wss://") + path, {})


def connect(base: str, path: str, signature: str) -> Client:
    """Open a stream as Twilio does: the handshake carries X-Twilio-Signature."""
    return Client.connect(base + path, headers={"X-Twilio-Signature": signature})


def close_code_at_open(base: str, path: str, signature: str, seconds: float = 10) -> int | None:
    """Open a stream and wait for the server to close it; return the close code (None: it stayed open).

    NOTE: aiohttp's client, since simple_websocket drops a close frame that arrives with the handshake's answer.
    """

    async def opened() -> int | None:
        async with (
            aiohttp.ClientSession() as client,
            client.ws_connect(base + path, headers={"X-Twilio-Signature": signature}) as ws,
        ):
            message = await ws.receive(timeout=seconds)
            return int(message.data) if message.type is aiohttp.WSMsgType.CLOSE else None

    return _apart(lambda: asyncio.run(opened()))  # type: ignore[no-any-return]
