"""TwiML answers for the SMS webhook."""

from __future__ import annotations

from collections.abc import Iterable

from twilio.twiml.messaging_response import MessagingResponse


def messages(bodies: Iterable[str]) -> str:
    """Answer with one ``<Message>`` per body (none: an empty, valid answer)."""
    response = MessagingResponse()
    for body in bodies:
        response.message(body)
    return str(response)
