"""Rasa's SQL tracker store, keeping nothing a resident typed in clear (issue 17).

Loaded by the ``rasa`` process (``scripts/rasa-run`` names ``bot.tracker_store.HeardTrackerStore``);
it runs in Rasa's environment, so it needs nothing beyond Rasa, ``cryptography`` and the standard
library. Two rules:

- **Every event is sealed at rest.** The ``data`` column (the event as JSON: a resident's text and
  its parse, the bot's words, slot values) is written Fernet-encrypted with Heard's key
  (``HEARD_FERNET_KEYS``, or ``fernet_keys`` in ``instance/secrets.json``); the other columns hold
  only event types, intent, action and slot names and times. Rows written before this store
  (plain JSON) are still read.
- **A finished draft leaves only a scrubbed history.** When a turn sets the slot ``scrub_history``
  (the actions do whenever a report is filed or cancelled, or a status check or an addition ends),
  every stored event of that conversation, in every session, is replaced in one transaction by a
  short history that keeps the language and nothing else. ``replace_with_scrubbed`` does the same
  for the worker's sweep of abandoned drafts (``bot/channels.py``'s ``/webhooks/rest/scrub``).
"""

from __future__ import annotations

import json
import time
from typing import Any

from cryptography.fernet import InvalidToken
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

from bot.sealing import NoKey, load_fernet
from bot.tracker_rekey import open_rows

SEALED_PREFIX = "heard-sealed:"
SCRUB_SLOT = "scrub_history"
# The only slots a scrubbed history keeps: none of them holds anything the resident typed.
KEPT_SLOTS = ("language", "language_chosen", "notice_shown")


def scrubbed_events(language: str | None, kept: dict[str, Any], *, now: float | None = None) -> list[dict[str, Any]]:
    """Return the history a finished conversation keeps: a new session, its language, nothing typed."""
    stamp = time.time() if now is None else now
    events: list[dict[str, Any]] = [
        {"event": "action", "name": "action_session_start", "timestamp": stamp},
        {"event": "session_started", "timestamp": stamp},
    ]
    values = {**{k: v for k, v in kept.items() if k in KEPT_SLOTS}, "language": language}
    events += [
        {"event": "slot", "name": name, "value": values[name], "timestamp": stamp}
        for name in KEPT_SLOTS
        if values.get(name) is not None
    ]
    events.append({"event": "action", "name": "action_listen", "timestamp": stamp})
    return events


class HeardTrackerStore(SQLTrackerStore):
    """An SQL tracker store (SQLite or PostgreSQL) that seals every event and scrubs finished drafts."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.fernet = load_fernet()  # NOTE: first: without a key Rasa fails to start rather than keep clear text
        super().__init__(*args, **kwargs)

    def seal(self, data: dict[str, Any]) -> str:
        return SEALED_PREFIX + self.fernet.encrypt(json.dumps(data).encode("utf-8")).decode("ascii")

    def unseal(self, stored: str) -> dict[str, Any]:
        if not stored.startswith(SEALED_PREFIX):
            return dict(json.loads(stored))  # a row from before sealing
        try:
            return dict(json.loads(self.fernet.decrypt(stored[len(SEALED_PREFIX) :].encode("ascii"))))
        except InvalidToken as exc:
            raise NoKey("a stored event cannot be opened with the configured keys") from exc

    def _row(self, sender_id: str, data: dict[str, Any], type_name: str) -> Any:
        return self.SQLEvent(
            sender_id=sender_id,
            type_name=type_name,
            timestamp=data.get("timestamp"),
            intent_name=(data.get("parse_data") or {}).get("intent", {}).get("name"),
            action_name=data.get("name"),
            data=self.seal(data),
        )

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Store the turn's new events sealed; or, when the turn ended a draft, only the scrubbed history."""
        await self.stream_events(tracker)
        with self.session_scope() as session:
            new = list(self._additional_events(session, tracker))
            if any(isinstance(e, SlotSet) and e.key == SCRUB_SLOT and e.value for e in new):
                self._replace(session, tracker.sender_id, self._scrubbed(tracker))
                return
            for event in new:
                session.add(self._row(tracker.sender_id, event.as_dict(), event.type_name))
            session.commit()

    @staticmethod
    def _scrubbed(tracker: DialogueStateTracker) -> list[dict[str, Any]]:
        kept = {name: tracker.get_slot(name) for name in KEPT_SLOTS}
        return scrubbed_events(tracker.get_slot("language"), kept)

    def _replace(self, session: Any, sender_id: str, events: list[dict[str, Any]]) -> None:
        """Delete every stored event of the conversation and write ``events`` instead, in one transaction."""
        session.query(self.SQLEvent).filter(self.SQLEvent.sender_id == sender_id).delete(synchronize_session=False)
        for data in events:
            session.add(self._row(sender_id, data, str(data["event"])))
        session.commit()

    def replace_with_scrubbed(self, tracker: DialogueStateTracker) -> list[dict[str, Any]]:
        """Replace a conversation's stored history with the scrubbed one (the caller holds Rasa's lock)."""
        events = self._scrubbed(tracker)
        with self.session_scope() as session:
            self._replace(session, tracker.sender_id, events)
        return events

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool) -> DialogueStateTracker | None:
        with self.session_scope() as session:
            rows = self._event_query(
                session, sender_id, fetch_events_from_all_sessions=fetch_events_from_all_sessions
            ).all()
            events, unreadable = open_rows(self.fernet, [(row.id, row.data) for row in rows])
        if unreadable:
            # NOTE: sealed under a key no longer listed (retired before `scripts/rasa-rekey` ran, or a
            # wrong key list). Refused, not skipped: Rasa counts the stored rows to know which events
            # of a turn are new, so a tracker rebuilt without some would never save again.
            raise NoKey(
                f"{len(unreadable)} stored events open with no listed key: list the key, run scripts/rasa-rekey"
            )
        if self.domain and events:
            return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        return None


def heard_store(store: Any) -> HeardTrackerStore | None:
    """Find Heard's store inside the wrappers Rasa puts around a tracker store."""
    seen = 0
    while store is not None and seen < 5:
        if isinstance(store, HeardTrackerStore):
            return store
        store = getattr(store, "_tracker_store", None)
        seen += 1
    return None
