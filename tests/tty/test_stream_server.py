"""The stream server, attacked as an outsider would: idle streams, replayed handshakes, huge frames, endless lines.

The first test starts the real processes (gunicorn with ``gunicorn.conf.py``, and
``python -m streams``) and holds streams open while a signed text is sent; the others run the
same server in a thread of the test, on a real socket, with a real websocket client.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import shlex
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from simple_websocket import Client, ConnectionClosed
from sqlalchemy import select

from intake.crypto import init_secrets, load_keyring
from intake.db import Database
from intake.enums import Channel, Direction
from intake.migrate import upgrade
from intake.models import Message
from streams import build_stream_server
from tests.bot.conftest import _free_port
from tests.tty.streams import close_code_at_open, connect, serving, signed_path
from tests.twilio_fake import ACCOUNT_SID, AUTH_TOKEN, HEARD_NUMBER, PUBLIC_BASE_URL, FakeTwilio, sign, sms_form
from webhooks.tty.modem import BaudotModulator, mulaw_encode, split_frames

ROOT = Path(__file__).resolve().parents[2]
STREAM_URL = re.compile(r'<Stream url="(wss://heard\.example\.org(/twilio/tty/stream/[^"]+))"')
UPGRADE = {
    "Connection": "Upgrade",
    "Upgrade": "websocket",
    "Sec-WebSocket-Version": "13",
    "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
}
TRY_AGAIN_LATER, MESSAGE_TOO_BIG, POLICY_VIOLATION, GOING_AWAY = 1013, 1009, 1008, 1001


def start_frame(call_sid: str, stream_sid: str = "MZ" + "1" * 32) -> str:
    """Twilio's ``start`` event for a call."""
    start = {
        "accountSid": ACCOUNT_SID,
        "streamSid": stream_sid,
        "callSid": call_sid,
        "tracks": ["inbound"],
        "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
        "customParameters": {},
    }
    return json.dumps({"event": "start", "sequenceNumber": "1", "start": start, "streamSid": stream_sid})


def media_frames(text: str, stream_sid: str = "MZ" + "1" * 32) -> Iterator[str]:
    """Twilio ``media`` events carrying ``text`` typed as Baudot tones."""
    for frame in split_frames(mulaw_encode(BaudotModulator().modulate(text) * 0.5)):
        media = {"track": "inbound", "payload": base64.b64encode(frame).decode("ascii")}
        yield json.dumps({"event": "media", "streamSid": stream_sid, "media": media})


def closed_with(ws: Client, seconds: float = 30) -> int | None:
    """Read until the server closes the stream; return its close code (None: still open at the deadline)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            ws.receive(timeout=0.5)
        except ConnectionClosed as closed:
            return int(closed.reason)
    return None


def first_frame(ws: Client, seconds: float = 60) -> dict[str, Any]:
    """Return the first event the server sends."""
    raw = ws.receive(timeout=seconds)
    assert raw is not None, "the stream server sent nothing"
    return json.loads(raw)  # type: ignore[no-any-return]


def until_mark(ws: Client, seconds: float = 60) -> dict[str, Any]:
    """Read the server's tones until its mark (the end of what it typed); return the mark."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        raw = ws.receive(timeout=max(0.1, deadline - time.monotonic()))
        if raw is not None and json.loads(raw)["event"] == "mark":
            return json.loads(raw)  # type: ignore[no-any-return]
    raise AssertionError("no mark came")


# -- the real processes --------------------------------------------------------------------------


def _wait_http(url: str, seconds: float, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, f"{process.args} exited with {process.returncode}"
        try:
            requests.get(url, timeout=10)  # the first answer waits for a worker to boot
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer in {seconds} s")


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """``web`` (gunicorn with gunicorn.conf.py) and ``streams`` as the Procfile runs them, at most 20 streams."""
    fake = FakeTwilio().start()
    instance = tmp_path / "instance"
    init_secrets(instance)
    url = f"sqlite:///{instance / 'heard.db'}"
    upgrade(url)
    web_port, streams_port = _free_port(), _free_port()
    env = {
        **os.environ,
        "HEARD_INSTANCE_DIR": str(instance),
        "DATABASE_URL": url,
        "PORT": str(web_port),
        "HEARD_TTY_BIND": f"127.0.0.1:{streams_port}",
        "HEARD_TTY_MAX_STREAMS": "20",
        "HEARD_TTY_IDLE_SECONDS": "600",
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_API_BASE_URL": fake.url,
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "RASA_URL": f"http://127.0.0.1:{_free_port()}",  # no dialogue: the webhook answers with its holding reply
        "WEB_CONCURRENCY": "2",
        "WEB_THREADS": "4",
    }
    for name in ("HEARD_BIND", "HEARD_FERNET_KEYS", "HEARD_HMAC_KEY", "SECRET_KEY"):
        env.pop(name, None)
    procfile = dict(line.split(": ", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line.strip())
    started: list[subprocess.Popen[bytes]] = []
    logs = {name: (tmp_path / f"{name}.log").open("wb") for name in ("web", "streams")}
    try:
        for name in ("web", "streams"):
            command = shlex.split(procfile[name])
            started.append(subprocess.Popen(command, cwd=ROOT, env=env, stdout=logs[name], stderr=subprocess.STDOUT))
        _wait_http(f"http://127.0.0.1:{web_port}/healthz", 60, started[0])
        _wait_http(f"http://127.0.0.1:{streams_port}/healthz", 60, started[1])
        yield {
            "web": f"http://127.0.0.1:{web_port}",
            "streams": f"ws://127.0.0.1:{streams_port}",
            "keyring": load_keyring(instance, {}),
        }
    finally:
        for process in started:
            process.terminate()
        for process in started:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for log in logs.values():
            log.close()
        fake.stop()


def _tty_twiml(web: str, call_sid: str) -> tuple[str, str]:
    """Answer a call's menu with 0 (the TTY path) as Twilio would; return the stream's public URL and path."""
    form = {"AccountSid": ACCOUNT_SID, "CallSid": call_sid, "From": "+12095550147", "To": HEARD_NUMBER, "Digits": "0"}
    path = "/twilio/voice/language"
    answer = requests.post(
        web + path, data=form, headers={"X-Twilio-Signature": sign(PUBLIC_BASE_URL + path, form)}, timeout=10
    )
    assert answer.status_code == 200, answer.text
    found = STREAM_URL.search(answer.text)
    assert found is not None, answer.text
    return found.group(1), found.group(2)


def test_twenty_idle_streams_leave_a_signed_text_answered_and_one_more_is_closed(processes):
    web, base = processes["web"], processes["streams"]
    held = []
    for n in range(21):
        call_sid = f"CA{n:032d}"
        url, path = _tty_twiml(web, call_sid)
        if n < 20:
            ws = connect(base, path, sign(url, {}))
            ws.send(json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"}))
            ws.send(start_frame(call_sid))
            assert first_frame(ws)["event"] in ("media", "mark")  # the greeting: this stream is served
            held.append(ws)
        else:
            # One over the cap is closed at once, cleanly, with "try again later".
            assert close_code_at_open(base, path, sign(url, {})) == TRY_AGAIN_LATER
    assert requests.get(base.replace("ws://", "http://") + "/healthz", timeout=10).json()["streams"] == 20
    # With 20 streams held open and idle, a signed text is answered well inside Twilio's 15 s.
    form = sms_form("I want to report an officer")
    answer = requests.post(
        web + "/twilio/sms",
        data=form,
        headers={"X-Twilio-Signature": sign(PUBLIC_BASE_URL + "/twilio/sms", form)},
        timeout=10,
    )
    assert answer.status_code == 200 and "<Response" in answer.text
    assert requests.get(web + "/healthz", timeout=10).status_code in (200, 503)
    # The web process serves no stream: its request threads are never held by one.
    assert requests.get(web + _tty_twiml(web, "CA" + "5" * 32)[1], headers=UPGRADE, timeout=10).status_code == 404
    for ws in held:
        assert ws.connected
        ws.close()


# -- the server in a thread ----------------------------------------------------------------------


@pytest.fixture
def stream_server(tmp_path: Path, keyring: Any) -> Iterator[Callable[..., Any]]:
    """Start a stream server with the given ``HEARD_TTY_*`` settings; yield (ws base, database)."""
    fake = FakeTwilio().start()
    url = f"sqlite:///{tmp_path / 'heard.db'}"
    upgrade(url)
    database = Database(url)
    servers: list[Any] = []

    def start(**settings: str) -> tuple[str, Database]:
        server = build_stream_server(
            {
                "HEARD_INSTANCE_DIR": str(tmp_path),
                "DATABASE": database,
                "KEYRING": keyring,
                "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
                "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
                "TWILIO_API_BASE_URL": fake.url,
                "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
                "RASA_URL": f"http://127.0.0.1:{_free_port()}",
                **{f"HEARD_TTY_{name.upper()}": value for name, value in settings.items()},
            }
        )
        context = serving(server)
        servers.append(context)
        return context.__enter__(), database

    yield start
    for context in reversed(servers):
        context.__exit__(None, None, None)
    database.engine.dispose()
    fake.stop()


def test_an_unsigned_forged_or_expired_handshake_is_refused(stream_server, keyring):
    base, _ = stream_server()
    http = base.replace("ws://", "http://")
    path, signature = signed_path(keyring, "stream", "CA" + "1" * 32)
    wss = PUBLIC_BASE_URL.replace("https://", "wss://")
    # A signed URL whose token ran out, or was never one of Heard's, is refused as well as a bad signature.
    stale = "/twilio/tty/stream/1000." + "0" * 32
    for attempt, signed in (
        (path, ""),
        (path, sign("wss://evil.example" + path, {})),
        (path, signature.swapcase()),
        (stale, sign(wss + stale, {})),
        ("/twilio/tty/stream/anything", sign(wss + "/twilio/tty/stream/anything", {})),
    ):
        refused = requests.get(http + attempt, headers={**UPGRADE, "X-Twilio-Signature": signed}, timeout=10)
        assert refused.status_code == 403, attempt
    opened = requests.get(http + path, headers={**UPGRADE, "X-Twilio-Signature": signature}, timeout=10, stream=True)
    assert opened.status_code == 101
    opened.close()


def test_a_replayed_handshake_opens_no_stream_for_another_call(stream_server, keyring, tmp_path):
    base, database = stream_server()
    call_a, call_b = "CA" + "a" * 32, "CA" + "b" * 32
    path, signature = signed_path(keyring, "stream", call_a)
    # The captured handshake of call A, replayed with call B's CallSid in its start frame.
    replay = connect(base, path, signature)
    replay.send(start_frame(call_b))
    assert closed_with(replay) == POLICY_VIOLATION
    # The same handshake for the call it was made for opens; a second copy of it, at once or later, does not.
    real = connect(base, path, signature)
    real.send(start_frame(call_a))
    assert first_frame(real)["event"] in ("media", "mark")
    again = requests.get(
        base.replace("ws://", "http://") + path, headers={**UPGRADE, "X-Twilio-Signature": signature}, timeout=10
    )
    assert again.status_code == 403
    real.close()
    with database.session() as s:
        conversations = set(s.scalars(select(Message.conversation_id).where(Message.channel == Channel.TTY)))
    from intake.conversations import messaging

    assert conversations == {messaging.conversation_id_for(keyring, Channel.TTY, call_a)}


def test_a_handshake_used_on_one_stream_process_opens_nothing_on_another(stream_server, keyring):
    first, _ = stream_server()
    second, _ = stream_server()  # a second stream process on the same database
    call = "CA" + "7" * 32
    path, signature = signed_path(keyring, "stream", call)
    real = connect(first, path, signature)
    real.send(start_frame(call))
    assert first_frame(real)["event"] in ("media", "mark")
    # The same captured handshake, for the same call, on the other process.
    replay = connect(second, path, signature)
    replay.send(start_frame(call))
    assert closed_with(replay) == POLICY_VIOLATION
    real.close()


def test_a_listen_handshake_opens_no_tty_stream(stream_server, keyring):
    base, _ = stream_server()
    call = "CA" + "c" * 32
    path, _signature = signed_path(keyring, "listen", call)
    moved = path.replace("/listen/", "/stream/")
    ws = connect(base, moved, sign(PUBLIC_BASE_URL.replace("https://", "wss://") + moved, {}))
    ws.send(start_frame(call))
    assert closed_with(ws) == POLICY_VIOLATION


def test_a_huge_frame_is_refused_and_the_server_keeps_serving(stream_server, keyring):
    base, _ = stream_server()
    call = "CA" + "d" * 32
    ws = connect(base, *signed_path(keyring, "stream", call))
    ws.send(start_frame(call))
    assert first_frame(ws)["event"] in ("media", "mark")
    with contextlib.suppress(ConnectionClosed, OSError):  # the server may close before the frame is all written
        ws.send(json.dumps({"event": "media", "media": {"payload": "A" * 5_600_000}}))
    # Closed at once (the close frame itself may be lost when the socket is reset under a frame still being sent).
    assert closed_with(ws) in (MESSAGE_TOO_BIG, 1005, 1006)
    # A frame just over the limit, written whole, is answered with "message too big".
    other = "CA" + "e" * 32
    ws = connect(base, *signed_path(keyring, "stream", other))
    ws.send(start_frame(other))
    assert first_frame(ws)["event"] in ("media", "mark")
    ws.send(json.dumps({"event": "media", "media": {"payload": "A" * 17_000}}))
    assert closed_with(ws) == MESSAGE_TOO_BIG
    # The server still serves the next call.
    third = "CA" + "8" * 32
    fresh = connect(base, *signed_path(keyring, "stream", third))
    fresh.send(start_frame(third))
    assert first_frame(fresh)["event"] in ("media", "mark")
    fresh.close()


def test_an_endless_line_without_ga_is_taken_as_a_turn_at_the_limit(stream_server, keyring):
    base, database = stream_server(max_line_chars="40")
    call = "CA" + "f" * 32
    ws = connect(base, *signed_path(keyring, "stream", call))
    ws.send(start_frame(call))
    greeting = until_mark(ws)
    ws.send(json.dumps({"event": "mark", "streamSid": "MZ" + "1" * 32, "mark": greeting["mark"]}))
    for frame in media_frames("THE OFFICER " * 20):  # 240 characters, no GA
        ws.send(frame)
    answer = until_mark(ws)  # Heard answered before any GA
    assert answer["mark"]["name"] != greeting["mark"]["name"]
    with database.session() as s:
        typed = list(
            s.scalars(
                select(Message.body).where(Message.channel == Channel.TTY, Message.direction == Direction.INBOUND)
            )
        )
    assert typed and all(0 < len(line) <= 41 for line in typed), typed
    assert "OFFICER" in typed[0]
    ws.close()


def test_an_idle_stream_is_closed(stream_server, keyring):
    base, _ = stream_server(idle_seconds="1")
    ws = connect(base, *signed_path(keyring, "stream", "CA" + "9" * 32))
    assert closed_with(ws) == GOING_AWAY


def test_a_frame_that_is_not_a_media_event_closes_the_stream(stream_server, keyring):
    base, _ = stream_server()
    for bad in ("not json", "[1, 2]", "[" * 5_000 + "]" * 5_000):
        call = "CA" + "7" * 32
        ws = connect(base, *signed_path(keyring, "stream", call))
        ws.send(bad)
        assert closed_with(ws) == 1007
    call = "CA" + "6" * 32
    ws = connect(base, *signed_path(keyring, "stream", call))
    ws.send(start_frame(call))
    greeting = until_mark(ws)
    ws.send(json.dumps({"event": "mark", "mark": greeting["mark"]}))
    ws.send(json.dumps({"event": "media", "media": {"payload": "not base64!"}}))
    assert closed_with(ws) == 1007
