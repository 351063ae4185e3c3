"""The worker's sweep of abandoned drafts: the dialogue forgets what a silent resident typed (issue 17).

A conversation silent for ``HEARD_DRAFT_ABANDON_HOURS`` (default 72) has its history in Rasa's
tracker store replaced by the scrubbed one (``bot/channels.py``'s ``/webhooks/rest/scrub``, which
takes Rasa's lock for the conversation and checks again that it is idle). When a draft was open,
the resident is told, in their language, that it was discarded: by text, or in an open web chat;
a call cannot be reached afterwards.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import requests

from intake.conversations import messaging, scrub, web_sessions
from intake.crypto import Keyring
from intake.db import Database, utcnow
from intake.enums import Channel
from webhooks.i18n import _, t

log = logging.getLogger(__name__)
DISCARDED = _(
    "You did not finish your report for a long time, so it was discarded and nothing was sent. "
    "You can start again at any time."
)
# How often one worker looks for silent conversations.
SWEEP_EVERY_SECONDS = 300.0


@dataclass
class DraftSweep:
    """Scrub the dialogue's history of silent conversations; tell residents whose draft was dropped."""

    database: Database
    keyring: Keyring
    rasa_url: str
    abandon_hours: float = scrub.DEFAULT_ABANDON_HOURS
    every_seconds: float = SWEEP_EVERY_SECONDS
    clock: Callable[[], dt.datetime] = utcnow
    _last_run: float | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str], *, database: Database, keyring: Keyring) -> DraftSweep:
        return cls(
            database=database,
            keyring=keyring,
            rasa_url=(env.get("RASA_URL") or "http://127.0.0.1:5005").rstrip("/"),
            abandon_hours=scrub.abandon_hours(env),
        )

    def chore(self) -> None:
        """Sweep at most every ``every_seconds`` (the worker calls its chores twice a second)."""
        if self._last_run is not None and time.monotonic() - self._last_run < self.every_seconds:
            return
        self._last_run = time.monotonic()
        self.sweep()

    def sweep(self) -> int:
        """Scrub every conversation silent past the window; return how many were scrubbed."""
        idle_seconds = self.abandon_hours * 3600
        with self.database.session() as session:
            found = scrub.idle_conversations(session, idle_since=self.clock() - dt.timedelta(seconds=idle_seconds))
        done = 0
        for conversation in found:
            answer = self._ask_rasa(conversation.conversation_id, idle_seconds)
            if answer is None or (answer.get("found") and not answer.get("scrubbed")):
                continue  # Rasa is away, or the resident wrote meanwhile: the next sweep looks again
            outcome = "gone" if not answer.get("found") else "abandoned" if answer.get("draft_open") else "idle"
            with self.database.session() as session:
                if outcome == "abandoned":
                    self._tell(session, conversation, answer.get("language"))
                scrub.record_scrub(session, conversation_id=conversation.conversation_id, outcome=outcome)
                session.commit()
            done += 1
        return done

    def _ask_rasa(self, conversation_id: str, idle_seconds: float) -> dict[str, Any] | None:
        try:
            response = requests.post(
                f"{self.rasa_url}/webhooks/rest/scrub",
                json={"sender_id": conversation_id, "idle_seconds": idle_seconds},
                headers={"Authorization": f"Bearer {self.keyring.internal_token}"},
                timeout=(3.0, 30.0),
            )
        except requests.RequestException as exc:
            log.warning("the dialogue could not be reached to scrub a conversation: %s", type(exc).__name__)
            return None
        if response.status_code != 200:
            log.warning("the dialogue answered %s to a scrub", response.status_code)
            return None
        body = response.json()
        return body if isinstance(body, dict) else None

    def _tell(self, session: Any, conversation: scrub.IdleConversation, language: object) -> None:
        """Tell the resident their draft was discarded, where the channel can still reach them."""
        texts = [t(str(language) if language else None, DISCARDED)]
        if conversation.channel is Channel.SMS:
            messaging.queue_dialogue_messages(session, conversation_id=conversation.conversation_id, texts=texts)
        elif conversation.channel is Channel.WEB_CHAT:
            web_sessions.record_dialogue_messages(
                session, keyring=self.keyring, conversation_id=conversation.conversation_id, texts=texts
            )
