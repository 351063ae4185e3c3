"""The worker's side of the narrative pause: fire the dialogue's pause intent when it is due.

The pause is a job (intake/conversations/pauses.py). When it is due, the worker reads the
conversation's tracker from any Rasa replica and fires the intent only if the resident has
written nothing since and the dialogue still waits for more of what happened; what the bot
says then goes to the resident like any message between turns (a text, or the open chat).
Running it twice (a worker died mid-job) fires it once and passes the words on once: the
tracker shows the pause already fired, and the job notes when its words were passed on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from intake import jobs
from intake.conversations import messaging, pauses, web_sessions
from intake.crypto import Keyring
from intake.db import Database
from webhooks.rasa_client import RasaClient

log = logging.getLogger(__name__)

# The dialogue's intent for a pause (bot/domain.yml) and the question it waits on (bot/actions/forms.py).
PAUSE_INTENT = "EXTERNAL_narrative_pause"
WAITING_SLOT = "narrative_more"


def _is_external(event: dict[str, Any]) -> bool:
    return bool((event.get("metadata") or {}).get("is_external"))


def _intent(event: dict[str, Any]) -> str:
    return str(((event.get("parse_data") or {}).get("intent") or {}).get("name") or "")


def already_fired(events: list[dict[str, Any]], after: float) -> list[str] | None:
    """Return what the bot said when this pause fired, or None if it has not fired (after message ``after``)."""
    seen_after = False
    said: list[str] | None = None
    for event in events:
        if event.get("event") == "user":
            if said is not None:
                break
            if not _is_external(event) and event.get("timestamp") == after:
                seen_after = True
            elif seen_after and _is_external(event) and _intent(event) == PAUSE_INTENT:
                said = []
        elif said is not None and event.get("event") == "bot" and event.get("text"):
            said.append(str(event["text"]))
    return said


def still_waiting(tracker: dict[str, Any], after: float) -> bool:
    """Tell whether message ``after`` is still the resident's latest and the dialogue waits for more."""
    events = tracker.get("events") or []
    latest = next((e for e in reversed(events) if e.get("event") == "user" and not _is_external(e)), None)
    if latest is None or latest.get("timestamp") != after:
        return False  # they wrote since (the pause is superseded), or the conversation started over
    slots = tracker.get("slots") or {}
    return bool((tracker.get("active_loop") or {}).get("name")) and slots.get("requested_slot") == WAITING_SLOT


@dataclass
class DialoguePauses:
    """Runs the ``dialogue.pause`` jobs."""

    database: Database
    keyring: Keyring
    rasa: RasaClient

    def handlers(self) -> dict[str, jobs.Handler]:
        """The job kinds this runs."""
        return {pauses.KIND: self.fire}

    def fire(self, payload: dict[str, Any]) -> None:
        """Fire a due pause, once, and pass on what the bot said (DialogueUnavailable retries the job)."""
        conversation_id, after, key = str(payload["conversation_id"]), float(payload["after"]), str(payload["key"])
        tracker = self.rasa.tracker(conversation_id=conversation_id)
        said = already_fired(tracker.get("events") or [], after)
        if said is None:
            if not still_waiting(tracker, after):
                log.info("pause of a conversation superseded: the resident wrote, or the dialogue moved on")
                return
            said = list(self.rasa.trigger_intent(conversation_id=conversation_id, intent=PAUSE_INTENT).texts)
        if said:
            self._pass_on(conversation_id, key, payload, said)

    def _pass_on(self, conversation_id: str, key: str, payload: dict[str, Any], texts: list[str]) -> None:
        with self.database.session() as session:
            if pauses.is_delivered(session, key=key):
                session.rollback()
                return
            queued = messaging.queue_dialogue_messages(session, conversation_id=conversation_id, texts=texts)
            if queued is None:
                queued = web_sessions.record_dialogue_messages(
                    session, keyring=self.keyring, conversation_id=conversation_id, texts=texts
                )
            if queued is None:
                log.warning("a pause fired in a conversation no channel can reach between turns")
            pauses.mark_delivered(session, key=key, payload=payload)
            session.commit()
