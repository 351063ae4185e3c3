"""What a supervisor sees of the machinery: the background queue's health and its dead jobs, with a retry.

A dead job is work that failed every attempt (a send Twilio kept refusing, a translation
that crashed): nothing is lost, but nothing happens until someone looks. ``/healthz``
counts them for monitoring; this is where a supervisor reads why each died and queues
it again (``intake jobs retry-dead`` does the same from a shell). Both are audited.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from intake import audit, jobs
from intake.access.permissions import Action, actor_of, require
from intake.jobs import QueueHealth
from intake.logs import redact
from intake.models import StaffUser

# A job's error is shown cut to this, with phone numbers and e-mail addresses redacted.
ERROR_SHOWN = 300
DEAD_SHOWN = 100


@dataclass(frozen=True)
class DeadJob:
    """One dead job as the page shows it: never its payload (which may hold sealed personal data)."""

    id: int
    kind: str
    attempts: int
    failed_at: dt.datetime
    created_at: dt.datetime
    error: str


@dataclass(frozen=True)
class Operations:
    health: QueueHealth
    dead: list[DeadJob]


def read_operations(session: Session, *, viewer: StaffUser) -> Operations:
    """Return the queue's health and its dead jobs; supervisors only, audited."""
    require(session, viewer, Action.MANAGE_JOBS)
    health = jobs.queue_health(session)
    dead = [
        DeadJob(
            id=job.id,
            kind=job.kind,
            attempts=job.attempts,
            failed_at=job.updated_at,
            created_at=job.created_at,
            error=redact(job.last_error or "")[:ERROR_SHOWN],
        )
        for job in jobs.dead_jobs(session, limit=DEAD_SHOWN)
    ]
    audit.record(session, actor=actor_of(viewer), action="operations.read", summary={"dead": health.dead})
    return Operations(health=health, dead=dead)


def retry_dead_jobs(session: Session, *, viewer: StaffUser, job_ids: list[int] | None = None) -> list[int]:
    """Queue these dead jobs (or every dead job) again; supervisors only, audited. Return the ids queued."""
    require(session, viewer, Action.MANAGE_JOBS)
    queued = jobs.retry_dead(session, job_ids=job_ids)
    if queued:
        audit.record(
            session,
            actor=actor_of(viewer),
            action="jobs.retried",
            summary={"jobs": queued[:50], "count": len(queued)},
        )
    return queued
