"""Rasa's REST channel, plus a way out for what the bot says after the resident's turn.

Loaded by the ``rasa`` process (``credentials.yml`` names ``bot.channels.HeardRestInput``);
it runs in Rasa's environment, so it needs nothing beyond Rasa and the standard library.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from rasa.core.channels.channel import CollectingOutputChannel, OutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint

from bot.actions import intake_client

log = logging.getLogger(__name__)


class TurnOutput(CollectingOutputChannel):
    """Answers go back in the HTTP response while the turn runs; afterwards to Heard's web app.

    NOTE: Rasa gives a reminder the output channel of the message that scheduled it. With the
    plain REST channel, what the bot says when the reminder fires (the narrative pause) lands in
    a list nobody reads any more; here it is posted to the internal API, which passes it on in
    the resident's channel (a text message).
    """

    def __init__(self, inner: OutputChannel) -> None:
        super().__init__()
        self.inner = inner
        self.messages = getattr(inner, "messages", self.messages)
        self.turn_open = True

    @classmethod
    def name(cls) -> str:
        return "rest"

    async def _persist_message(self, message: dict[str, Any]) -> None:
        if self.turn_open:
            await self.inner._persist_message(message)  # type: ignore[attr-defined]
            return
        text = message.get("text")
        if not text:
            return  # only words travel outside a turn (a language switch waits for the next one)
        recipient = str(message.get("recipient_id") or "")
        try:
            answer = await asyncio.to_thread(
                intake_client.post, f"/conversations/{quote(recipient, safe='')}/messages", {"texts": [text]}
            )
        except intake_client.IntakeUnavailable as exc:
            log.warning("a message after the turn could not reach the web app: %s", exc)
            return
        if answer.status >= 300:
            log.warning("the web app did not take a message after the turn: %s", answer.status)


class HeardRestInput(RestInput):
    """The REST channel the webhooks relay to, at the same URL (``/webhooks/rest/webhook``)."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        async def handle(message: UserMessage) -> None:
            output = TurnOutput(message.output_channel)
            message.output_channel = output
            try:
                await on_new_message(message)
            finally:
                output.turn_open = False

        return super().blueprint(handle)
