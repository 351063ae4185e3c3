"""TwiML answers: texts for the SMS webhook, and the media stream that moves a call onto the TTY path."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import request
from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import Connect, VoiceResponse

from intake.conversations import messaging
from webhooks.twilio import streams
from webhooks.twilio.config import ChannelSettings


def messages(bodies: Iterable[str]) -> str:
    """Answer with one ``<Message>`` per body (none: an empty, valid answer)."""
    response = MessagingResponse()
    for body in bodies:
        response.message(body)
    return str(response)


def websocket_url(settings: ChannelSettings) -> str:
    """Return the public wss:// base that Twilio connects streams to."""
    base = settings.public_base_url or request.host_url.rstrip("/")
    return base.replace("https://", "wss://", 1).replace("http://", "ws://", 1)


def connect_twiml(base: str, keyring: Any, call_sid: str, caller: str | None) -> VoiceResponse:
    """TwiML that moves the call ``call_sid`` onto the TTY path (``base``: the public wss:// base)."""
    response = VoiceResponse()
    connect = Connect()
    stream = connect.stream(url=base + streams.stream_path(keyring, "stream", call_sid))
    if caller and caller.startswith("+"):
        stream.parameter(name="caller", value=messaging.seal_phone(keyring, caller))
    response.append(connect)
    return response
