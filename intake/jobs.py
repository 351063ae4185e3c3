"""Background jobs kept in the database: they survive restarts, retry with back-off, and fail visibly.

A job is claimed by taking a lease (``locked_until``) in one short transaction; the
work runs outside any transaction; the outcome is written in another. A worker that
dies mid-job leaves an expired lease, and the job is claimed again. Handlers must
therefore be safe to run twice (every one here is keyed by the provider's ids).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import random
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from intake.db import Database, utcnow
from intake.enums import JobState
from intake.models import Job

log = logging.getLogger(__name__)

DEFAULT_LEASE = dt.timedelta(minutes=2)
BACKOFF_BASE_SECONDS = 2.0
BACKOFF_CAP_SECONDS = 15 * 60.0


class RetryLater(Exception):
    """Raised by a handler that cannot run yet (a resource is busy); not counted as a failure."""

    def __init__(self, delay_seconds: float, reason: str = "") -> None:
        super().__init__(reason or f"retry in {delay_seconds:.1f} s")
        self.delay_seconds = delay_seconds


Handler = Callable[[dict[str, Any]], None]
# What became of a job that ran: finished, waiting for a busy resource, to be retried, or given up.
Outcome = Literal["done", "waiting", "retrying", "failed"]


def worker_name() -> str:
    """Name this process and thread, for leases and logs."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"[:64]


def enqueue(
    session: Session,
    *,
    kind: str,
    payload: dict[str, Any],
    dedupe_key: str | None = None,
    run_after: dt.datetime | None = None,
    max_attempts: int = 10,
) -> Job:
    """Add a job in the caller's transaction; a job with the same ``dedupe_key`` is returned instead."""
    if dedupe_key is not None:
        existing = session.scalars(select(Job).where(Job.dedupe_key == dedupe_key)).first()
        if existing is not None:
            return existing
    job = Job(
        kind=kind,
        payload=payload,
        dedupe_key=dedupe_key,
        run_after=run_after or utcnow(),
        max_attempts=max_attempts,
    )
    if dedupe_key is None:
        session.add(job)
        session.flush()
        return job
    try:
        with session.begin_nested():
            session.add(job)
    except IntegrityError:  # another transaction enqueued it first
        found = session.scalars(select(Job).where(Job.dedupe_key == dedupe_key)).one()
        return found
    return job


def _claimable(now: dt.datetime) -> Any:
    return (
        Job.state.in_((JobState.QUEUED, JobState.RUNNING)),
        Job.run_after <= now,
        or_(Job.locked_until.is_(None), Job.locked_until < now),
    )


def claim(
    database: Database,
    *,
    owner: str,
    job_id: int | None = None,
    kinds: Iterable[str] | None = None,
    lease: dt.timedelta = DEFAULT_LEASE,
) -> Job | None:
    """Take the lease on one ready job (``job_id``, or the oldest ready one) and return it."""
    now = utcnow()
    with database.session() as session:
        query = select(Job.id).where(*_claimable(now))
        if job_id is not None:
            query = query.where(Job.id == job_id)
        if kinds is not None:
            query = query.where(Job.kind.in_(list(kinds)))
        query = query.order_by(Job.run_after, Job.id).limit(1)
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        found = session.scalars(query).first()
        if found is None:
            session.rollback()
            return None
        taken = session.execute(
            update(Job)
            .where(Job.id == found, *_claimable(now))
            .values(
                state=JobState.RUNNING,
                locked_by=owner,
                locked_until=now + lease,
                attempts=Job.attempts + 1,
                updated_at=now,
            )
        )
        if taken.rowcount != 1:  # type: ignore[attr-defined]
            session.rollback()
            return None
        job = session.get(Job, found)
        session.commit()
        return job


def backoff(attempts: int) -> float:
    """Seconds to wait after the ``attempts``-th failure: exponential, capped, with jitter."""
    delay: float = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2.0 ** max(0, attempts - 1))
    return delay * random.uniform(0.8, 1.2)


def _finish(database: Database, job: Job, owner: str, **values: Any) -> None:
    with database.session() as session:
        session.execute(
            update(Job)
            .where(Job.id == job.id, Job.locked_by == owner)
            .values(locked_by=None, locked_until=None, updated_at=utcnow(), **values)
        )
        session.commit()


def run_claimed(database: Database, job: Job, handlers: dict[str, Handler], *, owner: str) -> Outcome:
    """Run a claimed job's handler and record the outcome."""
    handler = handlers.get(job.kind)
    if handler is None:
        _finish(database, job, owner, state=JobState.FAILED, last_error=f"no handler for job kind {job.kind!r}")
        log.error("job %s: no handler for kind %s", job.id, job.kind)
        return "failed"
    try:
        handler(dict(job.payload))
    except RetryLater as wait:
        later = utcnow() + dt.timedelta(seconds=wait.delay_seconds)
        # NOTE: waiting for a busy resource is not a failed attempt.
        _finish(
            database, job, owner, state=JobState.QUEUED, run_after=later, attempts=job.attempts - 1, last_error=None
        )
        return "waiting"
    except Exception as exc:  # any failure is recorded on the job, never lost
        error = f"{type(exc).__name__}: {exc}"[:2000]
        if job.attempts >= job.max_attempts:
            log.error("job %s (%s) failed for good after %d attempts: %s", job.id, job.kind, job.attempts, error)
            _finish(database, job, owner, state=JobState.FAILED, last_error=error)
            return "failed"
        later = utcnow() + dt.timedelta(seconds=backoff(job.attempts))
        log.warning("job %s (%s) attempt %d failed, retrying: %s", job.id, job.kind, job.attempts, error)
        _finish(database, job, owner, state=JobState.QUEUED, run_after=later, last_error=error)
        return "retrying"
    _finish(database, job, owner, state=JobState.DONE, last_error=None)
    return "done"


def run_now(database: Database, job_id: int, handlers: dict[str, Handler]) -> Outcome | None:
    """Run one job at once if it is ready and unclaimed; None when someone else has it."""
    owner = worker_name()
    job = claim(database, owner=owner, job_id=job_id)
    if job is None:
        return None
    return run_claimed(database, job, handlers, owner=owner)


def run_ready(database: Database, handlers: dict[str, Handler], *, limit: int = 100) -> int:
    """Run ready jobs one after another until none is left (or ``limit``); return how many ran."""
    owner = worker_name()
    ran = 0
    while ran < limit:
        job = claim(database, owner=owner, kinds=handlers.keys())
        if job is None:
            break
        run_claimed(database, job, handlers, owner=owner)
        ran += 1
    return ran


@dataclass
class Worker:
    """The ``worker`` process: runs ready jobs and periodic chores until told to stop."""

    database: Database
    handlers: dict[str, Handler]
    chores: list[Callable[[], None]] = field(default_factory=list)
    poll_seconds: float = 0.5
    stopping: threading.Event = field(default_factory=threading.Event)

    def run_once(self) -> int:
        """Do every chore once, then run the ready jobs; return how many jobs ran."""
        for chore in self.chores:
            try:
                chore()
            except Exception:  # a failing chore must not stop the jobs
                log.exception("worker chore %s failed", getattr(chore, "__name__", chore))
        return run_ready(self.database, self.handlers)

    def run_forever(self) -> None:
        """Loop until ``stopping`` is set, sleeping briefly when there is nothing to do."""
        log.info("worker started with job kinds: %s", ", ".join(sorted(self.handlers)))
        while not self.stopping.is_set():
            try:
                ran = self.run_once()
            except Exception:  # e.g. the database is down: wait and try again
                log.exception("worker loop failed; retrying")
                ran = 0
            if ran == 0:
                self.stopping.wait(self.poll_seconds)
        log.info("worker stopped")


def wait_for(predicate: Callable[[], bool], *, timeout: float, interval: float = 0.05) -> bool:
    """Poll ``predicate`` until it holds or ``timeout`` seconds pass; return whether it held."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)
