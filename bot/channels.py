"""Rasa's REST channel, plus a way out for what the bot says after the resident's turn.

Loaded by the ``rasa`` process (``credentials.yml`` names ``bot.channels.HeardRestInput``);
it runs in Rasa's environment, so it needs nothing beyond Rasa and the standard library.
"""

from __future__ import annotations

import asyncio
import copy
import hmac
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from rasa.core.channels.channel import CollectingOutputChannel, OutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.shared.core.events import BotUttered, UserUttered
from sanic import Blueprint, response

from bot.actions import intake_client
from bot.sealing import rasa_api_token
from bot.tracker_store import heard_store

log = logging.getLogger(__name__)
# The metadata key naming the resident's message in Heard; a repeat with the same one is answered, not taken again.
HEARD_MESSAGE_ID = "heard_message_id"


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
        self.messages: list[dict[str, Any]] = getattr(inner, "messages", self.messages)
        self.turn_open = True

    @classmethod
    def name(cls) -> str:
        return "rest"

    async def _persist_message(self, message: dict[str, Any]) -> None:
        if self.turn_open:
            await self.inner._persist_message(message)
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


# How long a process remembers a turn it took, and how many it remembers at most.
TURN_MEMORY_SECONDS = 24 * 3600.0
TURN_MEMORY_LIMIT = 10_000


class TurnMemory:
    """The turns this process took, by the id Heard gave their message, and what the bot said in each.

    NOTE: Heard waits only so long for an answer; when it gave up, it cannot know whether its
    request reached the dialogue, so it asks again with the same ``heard_message_id``. The turn
    is taken once: a repeat waits for the first request's turn (still running, or done) and is
    answered with what the bot said then. After a restart of Rasa, the tracker store tells
    whether the message had been taken before, and what followed it.
    """

    def __init__(self, *, keep_seconds: float = TURN_MEMORY_SECONDS, limit: int = TURN_MEMORY_LIMIT) -> None:
        self.keep_seconds = keep_seconds
        self.limit = limit
        self._turns: OrderedDict[str, tuple[float, asyncio.Future[list[dict[str, Any]]]]] = OrderedDict()

    def recall(self, key: str) -> asyncio.Future[list[dict[str, Any]]] | None:
        """Return the turn already taken for ``key``, if this process remembers one."""
        self._forget_old()
        found = self._turns.get(key)
        return found[1] if found else None

    def begin(self, key: str) -> asyncio.Future[list[dict[str, Any]]]:
        """Note that the turn of ``key`` starts now; return where its answer will be."""
        future: asyncio.Future[list[dict[str, Any]]] = asyncio.get_running_loop().create_future()
        self._turns[key] = (time.monotonic(), future)
        return future

    def forget(self, key: str) -> None:
        """Forget a turn that failed before the dialogue kept it, so that it may be taken again."""
        self._turns.pop(key, None)

    def _forget_old(self) -> None:
        cutoff = time.monotonic() - self.keep_seconds
        for key, (started, future) in list(self._turns.items()):
            old = started < cutoff or len(self._turns) > self.limit
            if not old:
                break
            if future.done():
                del self._turns[key]


def said_after(tracker: Any, heard_message_id: str) -> list[dict[str, Any]] | None:
    """Return what the bot said after the user message with this id in a tracker, or None if it is not there."""
    said: list[dict[str, Any]] | None = None
    for event in tracker.events if tracker is not None else []:
        if isinstance(event, UserUttered):
            if said is not None:
                break
            if str((event.metadata or {}).get(HEARD_MESSAGE_ID) or "") == heard_message_id:
                said = []
        elif said is not None and isinstance(event, BotUttered):
            item: dict[str, Any] = {"recipient_id": tracker.sender_id}
            if event.text:
                item["text"] = event.text
            custom = (event.data or {}).get("custom")
            if custom:
                item["custom"] = custom
            said.append(item)
    return said


class HeardRestInput(RestInput):
    """The REST channel the webhooks relay to, at the same URL (``/webhooks/rest/webhook``)."""

    def __init__(self) -> None:
        super().__init__()
        self.turns = TurnMemory()
        self.agent: Any = None

    @classmethod
    def name(cls) -> str:
        return "rest"

    async def _taken_before(self, message: UserMessage, heard_message_id: str) -> list[dict[str, Any]] | None:
        if self.agent is None:
            return None
        tracker = await self.agent.tracker_store.retrieve(message.sender_id)
        return said_after(tracker, heard_message_id)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        async def take_turn(message: UserMessage) -> list[dict[str, Any]]:
            output = TurnOutput(message.output_channel)
            message.output_channel = output
            try:
                await on_new_message(message)
            finally:
                output.turn_open = False
            return list(output.messages)

        async def take_once(message: UserMessage, heard_message_id: str) -> list[dict[str, Any]]:
            """Take the turn unless the shared tracker store shows it taken (by any replica, before any restart)."""
            agent = self.agent
            if agent is None or not agent.is_ready():
                said = await self._taken_before(message, heard_message_id)
                return said if said is not None else await take_turn(message)
            # NOTE: checked and taken under the conversation's lock (Redis when replicated): a repeat that
            # reached another replica while the first was still running waits, then finds the turn taken.
            async with agent.lock_store.lock(message.sender_id):
                said = await self._taken_before(message, heard_message_id)
                if said is not None:
                    log.info("message %s was taken before (another replica, or before a restart)", heard_message_id)
                    return said
                output = TurnOutput(message.output_channel)
                message.output_channel = output
                try:
                    await agent.processor.handle_message(message)  # what agent.handle_message does inside the lock
                finally:
                    output.turn_open = False
                return list(output.messages)

        async def once(message: UserMessage, heard_message_id: str) -> list[dict[str, Any]]:
            key = f"{message.sender_id}\n{heard_message_id}"
            known = self.turns.recall(key)
            if known is not None:
                log.info("message %s came again: answered with what its turn said", heard_message_id)
                return list(await asyncio.shield(known))
            answer = self.turns.begin(key)  # before any await: a repeat arriving meanwhile waits for it
            try:
                said = await take_once(message, heard_message_id)
            except BaseException as exc:
                self.turns.forget(key)
                answer.set_exception(exc if isinstance(exc, Exception) else RuntimeError("the turn was stopped"))
                answer.exception()  # retrieved here, so an unanswered repeat leaves no warning behind
                raise
            answer.set_result(said)
            return said

        async def handle(message: UserMessage) -> None:
            heard_message_id = str((message.metadata or {}).get(HEARD_MESSAGE_ID) or "")
            if not heard_message_id:
                await take_turn(message)
                return
            collector = message.output_channel
            # NOTE: the turn runs on even when Heard stops waiting for this request (Sanic then
            # cancels the handler): cut short, it could leave the dialogue half-way through a turn.
            turn = asyncio.ensure_future(once(message, heard_message_id))
            said = await asyncio.shield(turn)
            if message.output_channel is collector:  # a repeat: the first turn's words are its answer
                collector.messages.extend(copy.deepcopy(said))

        blueprint = super().blueprint(handle)

        @blueprint.middleware("request")
        async def _remember_agent(request: Any) -> Any:
            self.agent = getattr(request.app.ctx, "agent", None)
            if request.path.endswith("/webhook") and not _from_heard(request):
                # NOTE: the channel files reports as whatever channel and phone its metadata names, so
                # it answers only Heard's webhooks (the token of Rasa's API), even on loopback.
                return response.json({"error": "a valid token is required"}, status=401)
            return None

        @blueprint.route("/scrub", methods=["POST"])
        async def scrub(request: Any) -> Any:
            """Scrub an idle conversation's history for Heard's worker (abandoned drafts); token-authenticated."""
            return await scrub_idle(request)

        return blueprint


def _from_heard(request: Any) -> bool:
    expected = rasa_api_token()
    scheme, _, token = str(request.headers.get("Authorization") or "").partition(" ")
    return (
        bool(expected) and scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), expected.encode())
    )


async def scrub_idle(request: Any) -> Any:
    """Replace an idle conversation's stored events by the scrubbed history, under Rasa's lock.

    Body: ``{"sender_id": ..., "idle_seconds": N}``. Answers whether a draft was open (so Heard
    tells the resident it was discarded), the conversation's language, or that it is not idle.
    """
    try:
        expected = intake_client._token()
    except intake_client.IntakeUnavailable:
        return response.json({"error": "no internal token"}, status=503)
    scheme, _, token = str(request.headers.get("Authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), expected.encode()):
        return response.json({"error": "a valid internal token is required"}, status=401)
    body = request.json if isinstance(request.json, dict) else {}
    sender = body.get("sender_id")
    idle = body.get("idle_seconds")
    if not isinstance(sender, str) or not sender or not isinstance(idle, (int, float)) or idle < 0:
        return response.json({"error": "sender_id (text) and idle_seconds (a number) are required"}, status=422)
    agent = getattr(request.app.ctx, "agent", None)
    store = heard_store(getattr(agent, "tracker_store", None))
    if agent is None or store is None:
        return response.json({"error": "the tracker store is not Heard's"}, status=503)
    async with agent.lock_store.lock(sender):
        tracker = await store.retrieve_full_tracker(sender)
        if tracker is None:
            return response.json({"found": False, "scrubbed": False})
        last = max((e.timestamp for e in tracker.events), default=0.0)
        if time.time() - last < float(idle):
            return response.json({"found": True, "scrubbed": False, "idle": False})
        draft_open = bool(tracker.active_loop_name or tracker.get_slot("draft_id") or tracker.get_slot("filing_failed"))
        language = tracker.get_slot("language")
        store.replace_with_scrubbed(tracker)
    return response.json({"found": True, "scrubbed": True, "draft_open": draft_open, "language": language})
