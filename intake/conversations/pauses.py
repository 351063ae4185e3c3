"""The narrative pause: a job in Heard's own queue, not a timer in one Rasa process's memory.

While a resident tells what happened, the dialogue asks "anything more?" and schedules a
pause; if they write nothing for that long, the worker fires the dialogue's pause intent
through Rasa's HTTP API, on any replica, after any restart. A new message from the resident
cancels the pending pause; a new pause supersedes the last one.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from intake import jobs
from intake.db import utcnow
from intake.enums import JobState
from intake.models import Job

KIND = "dialogue.pause"
# A pause longer than this is a mistake in a setting, not a pause.
MAX_SECONDS = 3600.0


def _prefix(conversation_id: str) -> str:
    return f"{KIND}:{conversation_id}:"


def schedule_pause(session: Session, *, conversation_id: str, seconds: float, after: float) -> Job:
    """Queue the pause of a conversation, due in ``seconds``, superseding any pending one.

    ``after`` is the timestamp of the resident's message the pause follows, as the tracker
    store has it: when the pause is due, it fires only if that is still their latest message.
    """
    if not 0 < seconds <= MAX_SECONDS:
        raise ValueError(f"a pause lasts more than 0 and at most {MAX_SECONDS:.0f} seconds")
    key = f"{_prefix(conversation_id)}{after!r}"
    cancel_pauses(session, conversation_id=conversation_id, keep=key)
    return jobs.enqueue(
        session,
        kind=KIND,
        payload={"conversation_id": conversation_id, "after": after, "key": key},
        dedupe_key=key[:200],
        run_after=utcnow() + dt.timedelta(seconds=seconds),
    )


def cancel_pauses(session: Session, *, conversation_id: str, keep: str | None = None) -> int:
    """Cancel the pending (not yet running) pauses of a conversation; return how many."""
    query = delete(Job).where(
        Job.kind == KIND,
        Job.state == JobState.QUEUED,
        Job.dedupe_key.startswith(_prefix(conversation_id), autoescape=True),
    )
    if keep is not None:
        query = query.where(Job.dedupe_key != keep)
    removed = session.execute(query)
    return int(removed.rowcount or 0)  # type: ignore[attr-defined]


def pending_pauses(session: Session, *, conversation_id: str) -> list[Job]:
    """Return the conversation's pauses still to fire (queued or running)."""
    return list(
        session.scalars(
            select(Job).where(
                Job.kind == KIND,
                Job.state.in_([JobState.QUEUED, JobState.RUNNING]),
                Job.dedupe_key.startswith(_prefix(conversation_id), autoescape=True),
            )
        )
    )


def mark_delivered(session: Session, *, key: str, payload: dict[str, Any]) -> None:
    """Note on the pause's job, in the caller's transaction, that what the bot said was passed on."""
    session.execute(update(Job).where(Job.dedupe_key == key).values(payload={**payload, "delivered": True}))


def is_delivered(session: Session, *, key: str) -> bool:
    """Tell whether the pause's words were passed on already (by an earlier attempt)."""
    payload = session.scalar(select(Job.payload).where(Job.dedupe_key == key))
    return bool((payload or {}).get("delivered"))
