"""A whole TTY call over a Twilio Media Stream: minimodem is the caller's TTY, Rasa the dialogue.

Frames are sent exactly as Twilio sends them (``connected``, ``start``, ``media``, ``mark``,
``stop``), the handshake signed as Twilio signs it; what Heard types back is decoded by
minimodem, a TTY implementation no one here wrote.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import time
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import select

from intake.cases import tracking
from intake.models import Case, Message
from streams import build_stream_server
from tests.tty.streams import connect, serving, signed_path
from tests.twilio_fake import ACCOUNT_SID, AUTH_TOKEN, PUBLIC_BASE_URL, FakeTwilio, sign
from webhooks.tty.modem import mulaw_decode, mulaw_encode, split_frames, to_int16

pytestmark = pytest.mark.slow

RATE = 8000
TRACKING = re.compile(r"(\d{3})[ -]?(\d{3})[ -]?(\d{4})")


@pytest.fixture(scope="module")
def minimodem() -> str:
    found = shutil.which("minimodem")
    if found is None:
        pytest.skip("minimodem is not installed (apt-get install minimodem; .ci/run does): it plays the caller's TTY")
    return found


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    twilio = FakeTwilio().start()
    yield twilio
    twilio.stop()


@pytest.fixture
def server(bot_stack, keyring, tmp_path, fake) -> Iterator[str]:  # type: ignore[no-untyped-def]
    stream_server = build_stream_server(
        {
            "TESTING": True,
            "HEARD_INSTANCE_DIR": str(tmp_path),
            "DATABASE": bot_stack.database,
            "KEYRING": keyring,
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_API_BASE_URL": fake.url,
            "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
            "RASA_URL": bot_stack.rasa_url,
        }
    )
    with serving(stream_server) as base:
        yield base


def dial(base: str, keyring: Any, minimodem: str, tmp_path: Path, call_sid: str, kind: str = "stream") -> Tty:
    """Open the stream Heard's TwiML would give Twilio for ``call_sid``."""
    return Tty(base, *signed_path(keyring, kind, call_sid), minimodem, tmp_path, call_sid)


class Tty:
    """The caller's TTY (minimodem) on the far end of Twilio's media stream."""

    def __init__(self, base: str, path: str, signature: str, minimodem: str, tmp_path: Path, call_sid: str) -> None:
        self.ws = connect(base, path, signature)
        self.call_sid = call_sid
        self.minimodem = minimodem
        self.tmp = tmp_path
        self.stream_sid = "MZ" + "1" * 32
        self.transcript: list[str] = []

    def start(self) -> None:
        self.ws.send(json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"}))
        self.ws.send(
            json.dumps(
                {
                    "event": "start",
                    "sequenceNumber": "1",
                    "start": {
                        "accountSid": ACCOUNT_SID,
                        "streamSid": self.stream_sid,
                        "callSid": self.call_sid,
                        "tracks": ["inbound"],
                        "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
                        "customParameters": {},
                    },
                    "streamSid": self.stream_sid,
                }
            )
        )

    def read(self) -> str:
        """Collect Heard's tones until its mark, play it back as Twilio does, and decode with minimodem."""
        audio = bytearray()
        while True:
            event = json.loads(self.ws.receive(timeout=120))
            if event["event"] == "media":
                audio += base64.b64decode(event["media"]["payload"])
            elif event["event"] == "mark":
                self.ws.send(json.dumps({"event": "mark", "streamSid": self.stream_sid, "mark": event["mark"]}))
                break
        path = self.tmp / "heard.wav"
        with wave.open(str(path), "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(RATE)
            wav.writeframes(to_int16(mulaw_decode(bytes(audio))).astype("<i2").tobytes())
        command = [self.minimodem, "--rx", "tdd", "--stopbits", "1.0", "-R", str(RATE), "-q", "-f", str(path)]
        text = subprocess.run(command, capture_output=True, check=True).stdout.decode()
        self.transcript.append(text)
        return text

    def type(self, line: str) -> None:
        """Type a line on the TTY (minimodem's tones through μ-law, in 20 ms frames)."""
        path = self.tmp / "typed.wav"
        subprocess.run(
            [self.minimodem, "--tx", "tdd", "-R", str(RATE), "-f", str(path)], input=line.encode(), check=True
        )
        with wave.open(str(path)) as wav:
            samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").astype(np.float64) / 32768
        silence = np.zeros(RATE // 4)
        for frame in split_frames(mulaw_encode(np.concatenate((silence, samples * 0.5, silence)))):
            self.ws.send(
                json.dumps(
                    {
                        "event": "media",
                        "streamSid": self.stream_sid,
                        "media": {"track": "inbound", "payload": base64.b64encode(frame).decode("ascii")},
                    }
                )
            )

    def say(self, line: str) -> str:
        self.type(line + " GA")
        return self.read()


def test_a_tty_call_files_a_complaint_with_its_typed_transcript(server, bot_stack, keyring, minimodem, tmp_path):
    tty = dial(server, keyring, minimodem, tmp_path, "CA" + "7" * 32)
    tty.start()
    greeting = tty.read()
    assert greeting.startswith("HEARD HERE") and greeting.rstrip().endswith("GA"), greeting
    tty.say("I WANT TO FILE A COMPLAINT")
    tty.say("THE OFFICER SHOVED ME")
    for line in ["DONE", "I DONT KNOW", "MAIN ST", "I DONT KNOW", "NO ONE", "NO ONE", "YES"]:
        assert tty.say(line).rstrip().endswith("GA")
    receipt = tty.say("YES")
    number = TRACKING.search(receipt)
    assert number, receipt
    tty.type("THANK YOU SK")
    goodbye = tty.read()
    assert "SK" in goodbye
    with bot_stack.database.session() as s:
        case = s.scalars(
            select(Case).where(Case.tracking_number == tracking.parse_tracking_number("-".join(number.groups())))
        ).one()
        assert case.channel.value == "tty" and case.narrative == "THE OFFICER SHOVED ME"
        typed = s.scalars(
            select(Message.body).where(Message.conversation_id == case.conversation_id, Message.direction == "inbound")
        ).all()
        assert typed[:2] == ["I WANT TO FILE A COMPLAINT", "THE OFFICER SHOVED ME"]
        assert "THANK YOU" in typed[-1]


def test_the_first_seconds_of_a_call_are_listened_to_for_a_tty(server, fake, keyring, minimodem, tmp_path):
    listener = dial(server, keyring, minimodem, tmp_path, "CA" + "8" * 32, kind="listen")
    listener.start()
    listener.type("HELLO GA")
    deadline = time.monotonic() + 20
    while not fake.redirected() and time.monotonic() < deadline:
        time.sleep(0.2)
    (moved,) = fake.redirected()
    assert '<Connect><Stream url="wss://heard.example.org/twilio/tty/stream/' in moved["Twiml"]
    # The stream it moves the call to is made for this call.
    found = re.search(r'<Stream url="(wss://heard\.example\.org(/twilio/tty/stream/[^"]+))"', moved["Twiml"])
    assert found is not None
    tty = Tty(server, found.group(2), sign(found.group(1), {}), minimodem, tmp_path, "CA" + "8" * 32)
    tty.start()
    assert tty.read().startswith("HEARD HERE")


def test_speech_on_a_call_is_not_taken_for_a_tty(server, fake, keyring, minimodem, tmp_path):
    from tests.tty.test_modem import speech_like

    listener = dial(server, keyring, minimodem, tmp_path, "CA" + "9" * 32, kind="listen")
    listener.start()
    for frame in split_frames(mulaw_encode(speech_like(4.0, seed=3))):
        listener.ws.send(
            json.dumps(
                {
                    "event": "media",
                    "streamSid": listener.stream_sid,
                    "media": {"track": "inbound", "payload": base64.b64encode(frame).decode("ascii")},
                }
            )
        )
    listener.ws.send(json.dumps({"event": "stop", "streamSid": listener.stream_sid, "stop": {}}))
    # The server closes the stream once it has heard every frame before "stop".
    deadline = time.monotonic() + 60
    while listener.ws.connected and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not listener.ws.connected
    assert fake.redirected() == []
