"""TTY callers over Twilio Media Streams: Baudot tones in and out, each typed line a turn of the dialogue.

``/twilio/tty/stream`` is the bidirectional stream of ``<Connect><Stream>``: the caller's
8 kHz μ-law audio is decoded as Baudot; a line ends when the caller types GA (go ahead);
the dialogue's answer is sent back as Baudot tones ending in GA, and the caller's audio is
ignored while Heard is sending (a TTY is half-duplex; our own tones echo back). SK ends
the call. ``/twilio/tty/listen`` hears the first seconds of every call (``<Start><Stream>``)
and moves the call onto the TTY path when it hears Baudot, because a TTY user cannot hear
the spoken menu.

These are the calls' logic, one Twilio event at a time, with no network of their own: the
stream server (``webhooks/tty/server.py``) holds the websockets, apart from the web process.
"""

from __future__ import annotations

import base64
import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from intake.conversations import inbound, messaging
from intake.db import utcnow
from intake.enums import Channel, Direction, Language, MessageState
from intake.models import Message
from webhooks.rasa_client import DialogueUnavailable
from webhooks.tty.modem import BaudotDemodulator, BaudotModulator, mulaw_decode, mulaw_encode, split_frames
from webhooks.twilio import streams
from webhooks.twilio.channel import SmsChannel
from webhooks.twilio.twiml import connect_twiml

log = logging.getLogger(__name__)

END_OF_TURN = re.compile(r"(?:^|\s)G\s?A\s*$")
END_OF_CALL = re.compile(r"(?:^|\s)S\s?K\s*$")
LISTEN_SECONDS = 15.0
# NOTE: about ten minutes of typing at a TTY's six characters a second; a longer line without GA
# is taken as a turn when it reaches this, so the buffer never grows without limit and nothing is lost.
MAX_LINE_CHARS = 4000
# NOTE: Baudot carries no accents and few symbols; the bot's English answers, uppercased.
# TTY etiquette: each turn ends with GA (go ahead), the call with SK (stop keying); the bot's own words
# are worded for a TTY (bot/actions/spoken.py: "type", never "text us" or "reply by text").
GREETING = (
    "HEARD HERE. THE CITY'S INDEPENDENT LINE FOR REPORTS ABOUT POLICE. IN DANGER NOW? HANG UP, CALL 911. "
    "END EACH TURN WITH GA, TYPE SK TO HANG UP."
)
UNAVAILABLE = "SORRY, OUR SYSTEM IS NOT ANSWERING. PLEASE TYPE IT AGAIN IN A MINUTE, OR CALL BACK LATER. GA"
NO_ANSWER = "SORRY, NO ANSWER CAME TO THAT. PLEASE TYPE IT AGAIN. GA"
GOODBYE = "THANK YOU FOR CALLING HEARD. GOODBYE SK SK"


class Session:
    """What a stream's logic shares: frames to send back, gathered until the server sends them."""

    outbox: list[str]

    def handle(self, event: dict[str, Any]) -> bool:
        """Take one Twilio event; return True when the stream should close."""
        raise NotImplementedError

    def handle_all(self, events: list[dict[str, Any]]) -> bool:
        """Take events in order until one ends the stream; return True if one did."""
        return any(self.handle(event) for event in events)

    def drain(self) -> list[str]:
        """Return the frames to send, in order, and forget them."""
        frames, self.outbox = self.outbox, []
        return frames


@dataclass
class TtyCall(Session):
    """One TTY call on a bidirectional media stream."""

    channel: SmsChannel
    max_line_chars: int = MAX_LINE_CHARS
    outbox: list[str] = field(default_factory=list)
    stream_sid: str = ""
    call_sid: str = ""
    caller: str | None = None
    buffer: str = ""
    sending: str | None = None  # the mark we wait for while our tones play
    closing: bool = False
    marks: int = 0
    turns: int = 0
    demodulator: BaudotDemodulator = field(default_factory=BaudotDemodulator)
    modulator: BaudotModulator = field(default_factory=BaudotModulator)

    @property
    def conversation_id(self) -> str:
        return messaging.conversation_id_for(self.channel.keyring, Channel.TTY, self.call_sid)

    def handle(self, event: dict[str, Any]) -> bool:
        """Take one event of the stream; return True when the call is over (stopped, or the goodbye played)."""
        kind = event.get("event")
        if kind == "start":
            self.start(event["start"])
        elif kind == "media" and self.call_sid:
            self.closing = self.closing or self.hear(event["media"])
        elif kind == "mark":
            if (event.get("mark") or {}).get("name") == self.sending:
                self.sending = None
                self.demodulator = BaudotDemodulator()  # drop what our own echo left half-heard
                if self.closing:
                    return True  # the goodbye has played: hang up
        elif kind == "stop":
            return True
        return False

    def start(self, start: dict[str, Any]) -> None:
        self.stream_sid = str(start.get("streamSid") or "")
        self.call_sid = str(start.get("callSid") or "")
        self.caller = streams.sealed_caller(self.channel.keyring, (start.get("customParameters") or {}).get("caller"))
        self.turn("hello", record=False, lead=GREETING)

    def hear(self, media: dict[str, Any]) -> bool:
        """Decode the caller's audio; return True when the caller signed off."""
        if media.get("track", "inbound") != "inbound" or self.sending:
            return False  # half-duplex: while Heard sends, what comes in is our own echo
        self.buffer += self.demodulator.feed(mulaw_decode(base64.b64decode(media["payload"], validate=True)))
        typed = self.buffer.replace("\n", " ").strip()
        if len(typed) >= self.max_line_chars and not END_OF_CALL.search(typed):
            # NOTE: a line this long without GA is taken as a turn, so the buffer stays bounded and nothing is lost.
            log.info("a TTY line reached %d characters without GA; taking it as a turn", self.max_line_chars)
            self.buffer = ""
            self.turn(END_OF_TURN.sub("", typed).strip())
            return False
        if END_OF_CALL.search(typed):
            line = END_OF_CALL.sub("", typed).strip()
            if line:
                self.record(line, Direction.INBOUND)
            self.send(GOODBYE)
            return True
        if END_OF_TURN.search(typed):
            self.buffer = ""
            line = END_OF_TURN.sub("", typed).strip()
            if line:
                self.turn(line)
        return False

    def turn(self, line: str, *, record: bool = True, lead: str | None = None) -> None:
        """Relay one typed line to the dialogue and type its answer back."""
        heard = self.record(line, Direction.INBOUND) if record else None
        metadata: dict[str, Any] = {"channel": Channel.TTY.value, "language": "en"}
        if self.caller:
            metadata["phone"] = messaging.seal_phone(self.channel.keyring, self.caller)
            metadata["phone_last_digits"] = self.caller[-4:]
        try:
            answer = self.channel.rasa.send(sender=self.conversation_id, text=line, metadata=metadata)
            if answer.redact and heard is not None:
                self.hide_pin(heard)
            reply = " ".join(" ".join(text.split()) for text in answer.texts) + " GA"
            if not any(text.strip() for text in answer.texts):
                log.warning("the dialogue said nothing to a TTY turn; asking again")
                reply = NO_ANSWER
        except DialogueUnavailable:
            reply = UNAVAILABLE
        if lead:
            reply = lead + " " + reply
        self.record(reply, Direction.OUTBOUND)
        self.send(reply)

    def send(self, text: str) -> None:
        """Type ``text`` to the caller as Baudot tones, then a mark to learn when it has played."""
        audio = mulaw_encode(self.modulator.modulate(text.upper()))
        for frame in split_frames(audio):
            payload = base64.b64encode(frame).decode("ascii")
            media = {"event": "media", "streamSid": self.stream_sid, "media": {"payload": payload}}
            self.outbox.append(json.dumps(media))
        self.marks += 1
        self.sending = f"reply-{self.marks}"
        self.outbox.append(json.dumps({"event": "mark", "streamSid": self.stream_sid, "mark": {"name": self.sending}}))

    def record(self, text: str, direction: Direction) -> int:
        """Keep the typed transcript, both ways, on the conversation (and so on its case); return the line's id."""
        self.turns += 1
        with self.channel.database.session() as session:
            case = messaging.latest_case_of_conversation(session, conversation_id=self.conversation_id)
            message = Message(
                channel=Channel.TTY,
                direction=direction,
                provider_id=f"{self.call_sid}:tty:{self.turns}"[:128],
                conversation_id=self.conversation_id,
                case_id=case.id if case else None,
                language=Language.EN,
                body=messaging.redact_pins(text) if direction == Direction.OUTBOUND else text,
                state=MessageState.PROCESSED if direction == Direction.INBOUND else MessageState.SENT,
                sent_at=utcnow() if direction == Direction.OUTBOUND else None,
            )
            if direction is Direction.INBOUND:
                message, _ = inbound.store_inbound(session, message=message)
            else:
                session.add(message)
            session.commit()
            return message.id

    def hide_pin(self, message_id: int) -> None:
        """Keep a typed line the dialogue took as the caller's PIN only masked."""
        with self.channel.database.session() as session:
            message = session.get(Message, message_id)
            if message is not None:
                messaging.hide_pin(message)
                session.commit()


@dataclass
class TtyListener(Session):
    """Hears the first seconds of a call; moves it to the TTY path if a TTY is typing."""

    channel: SmsChannel
    # The public wss:// base the call's streams connect to.
    base: str
    outbox: list[str] = field(default_factory=list)
    call_sid: str = ""
    caller: str | None = None
    heard_seconds: float = 0.0
    demodulator: BaudotDemodulator = field(default_factory=BaudotDemodulator)

    def handle(self, event: dict[str, Any]) -> bool:
        """Take one event; return True when listening is over (a TTY heard, the seconds up, or stopped)."""
        kind = event.get("event")
        if kind == "start":
            start = event["start"]
            self.call_sid = str(start.get("callSid") or "")
            sealed = (start.get("customParameters") or {}).get("caller")
            self.caller = streams.sealed_caller(self.channel.keyring, sealed)
        elif kind == "media" and self.call_sid:
            samples = mulaw_decode(base64.b64decode(event["media"]["payload"], validate=True))
            self.heard_seconds += samples.size / 8000
            self.demodulator.feed(samples)
            if self.demodulator.frames >= 3:
                log.info("Baudot tones heard on a call; moving it to the TTY path")
                twiml = connect_twiml(self.base, self.channel.keyring, self.call_sid, self.caller)
                self.channel.gateway.redirect_call(self.call_sid, str(twiml))
                return True
        elif kind == "stop":
            return True
        return self.heard_seconds >= LISTEN_SECONDS
