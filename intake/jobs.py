"""Background jobs kept in the database: they survive restarts, retry with back-off, and fail visibly.

A job is claimed by taking a lease (``locked_until``) in one short transaction; the
work runs outside any transaction, while a heartbeat thread keeps renewing the lease;
the outcome is written in another transaction. So any number of workers can run: a
job is never run by two at once, however long it takes. A worker that dies mid-job
stops renewing, its lease runs out, and the job is claimed again; that death counts
as an attempt, and a job out of attempts is parked as dead (``intake jobs retry-dead``
queues it again). Handlers must still be safe to run twice (every one here is keyed by
the provider's ids): a worker cut off from the database can lose its lease.

Jobs carry a priority (``priority_of``): a resident's reply and every send go before
media and translations, and each worker keeps a lane of its own for them, so a long
translation never holds up a reply.

Idle workers poll twice a second. On PostgreSQL they also ``LISTEN`` on ``heard_jobs``:
``enqueue`` sends a ``NOTIFY`` in the caller's transaction (delivered at commit), which
wakes every worker at once, so they poll less often (``LISTENING_POLL_SECONDS``) and a
new job still starts within milliseconds of its commit.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import random
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from intake.db import Database, utcnow
from intake.enums import JobState
from intake.models import Job, WorkerHeartbeat

log = logging.getLogger(__name__)

DEFAULT_LEASE = dt.timedelta(minutes=2)
BACKOFF_BASE_SECONDS = 2.0
BACKOFF_CAP_SECONDS = 15 * 60.0
# Lower runs first. Replies and sends are what a resident waits for.
URGENT, NORMAL, BULK = 0, 50, 100
URGENT_KINDS = frozenset({"sms.turn", "sms.send"})
BULK_PREFIXES = ("translate.",)
HEARTBEAT_STALE = dt.timedelta(minutes=2)
# An idle worker goes round twice a second; its heartbeat is written at most this often.
HEARTBEAT_EVERY_SECONDS = 5.0
DIED = "the worker running it stopped before it finished (its lease ran out)"
NOTIFY_CHANNEL = "heard_jobs"
# While a worker LISTENs, polling only catches jobs that become due later (run_after) and missed wake-ups.
LISTENING_POLL_SECONDS = 2.0


class RetryLater(Exception):
    """Raised by a handler that cannot run yet (a resource is busy); not counted as a failure."""

    def __init__(self, delay_seconds: float, reason: str = "") -> None:
        super().__init__(reason or f"retry in {delay_seconds:.1f} s")
        self.delay_seconds = delay_seconds


Handler = Callable[[dict[str, Any]], None]
# What became of a job that ran: finished, waiting for a busy resource, to be retried, or given up.
Outcome = Literal["done", "waiting", "retrying", "failed"]


def priority_of(kind: str) -> int:
    """Return the priority a job of ``kind`` runs at: replies and sends first, translations last."""
    if kind in URGENT_KINDS:
        return URGENT
    return BULK if kind.startswith(BULK_PREFIXES) else NORMAL


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
        priority=priority_of(kind),
    )
    if dedupe_key is None:
        session.add(job)
        session.flush()
        _notify(session, kind)
        return job
    try:
        with session.begin_nested():
            session.add(job)
    except IntegrityError:  # another transaction enqueued it first
        found = session.scalars(select(Job).where(Job.dedupe_key == dedupe_key)).one()
        return found
    _notify(session, kind)
    return job


def _notify(session: Session, kind: str) -> None:
    """Wake listening workers when this transaction commits (PostgreSQL; a no-op elsewhere)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_notify(NOTIFY_CHANNEL, kind[:64])))


class Wakeup:
    """Events the worker's lanes sleep on; on PostgreSQL a thread sets them on every ``NOTIFY``."""

    def __init__(self, database: Database, stopping: threading.Event) -> None:
        self.database = database
        self.stopping = stopping
        self.lanes: list[threading.Event] = []
        self.listening = threading.Event()
        self._lock = threading.Lock()
        self.sleeping = 0  # lanes idle right now (tests wait for this)

    def sleep(self, woken: threading.Event, seconds: float) -> None:
        """Sleep a lane until woken or ``seconds`` pass."""
        with self._lock:
            self.sleeping += 1
        try:
            woken.wait(seconds)
        finally:
            with self._lock:
                self.sleeping -= 1

    def lane(self) -> threading.Event:
        event = threading.Event()
        self.lanes.append(event)
        return event

    def ring(self) -> None:
        for event in self.lanes:
            event.set()

    def start(self) -> bool:
        """Start listening when the database can; return whether it does."""
        if self.database.engine.dialect.name != "postgresql":
            return False
        threading.Thread(target=self._listen, name="job-listener", daemon=True).start()
        return True

    def _listen(self) -> None:
        while not self.stopping.is_set():
            try:
                with self.database.engine.connect() as conn:
                    conn = conn.execution_options(isolation_level="AUTOCOMMIT")
                    conn.exec_driver_sql(f"LISTEN {NOTIFY_CHANNEL}")
                    driver = conn.connection.driver_connection
                    self.listening.set()
                    self.ring()  # catch anything enqueued before the LISTEN took hold
                    while not self.stopping.is_set():
                        for _note in driver.notifies(timeout=1.0, stop_after=1):  # type: ignore[union-attr]
                            self.ring()
            except Exception:  # the database went away: poll meanwhile, listen again shortly
                self.listening.clear()
                log.warning("job listener lost its connection; polling until it is back", exc_info=True)
                self.stopping.wait(LISTENING_POLL_SECONDS)
        self.listening.clear()


def _claimable(now: dt.datetime) -> Any:
    return (
        Job.state == JobState.QUEUED,
        Job.run_after <= now,
        or_(Job.locked_until.is_(None), Job.locked_until < now),
    )


def _reap(session: Session, now: dt.datetime) -> None:
    """Settle jobs whose worker died (lease ran out while running): queued again, or dead when out of attempts."""
    query = select(Job.id).where(Job.state == JobState.RUNNING, Job.locked_until < now)
    if session.get_bind().dialect.name == "postgresql":
        # NOTE: rows another worker is claiming right now are left to it, so two reapers never deadlock.
        query = query.with_for_update(skip_locked=True)
    orphans = list(session.scalars(query))
    if not orphans:
        return
    stale = (Job.id.in_(orphans), Job.state == JobState.RUNNING, Job.locked_until < now)
    cleared = {"locked_by": None, "locked_until": None, "updated_at": now}
    session.execute(
        update(Job)
        .where(*stale, Job.attempts >= Job.max_attempts)
        .values(state=JobState.DEAD, last_error=f"{DIED} on its last attempt", **cleared)
    )
    session.execute(
        update(Job)
        .where(*stale, Job.attempts < Job.max_attempts)
        .values(state=JobState.QUEUED, last_error=DIED, **cleared)
    )
    log.warning("jobs %s: their worker stopped mid-job; settled", orphans)


def claim(
    database: Database,
    *,
    owner: str,
    job_id: int | None = None,
    kinds: Iterable[str] | None = None,
    lease: dt.timedelta = DEFAULT_LEASE,
) -> Job | None:
    """Take the lease on one ready job (``job_id``, or the most urgent ready one) and return it."""
    now = utcnow()
    with database.session() as session:
        _reap(session, now)
        session.commit()
        query = select(Job.id).where(*_claimable(now))
        if job_id is not None:
            query = query.where(Job.id == job_id)
        if kinds is not None:
            query = query.where(Job.kind.in_(list(kinds)))
        query = query.order_by(Job.priority, Job.run_after, Job.id).limit(1)
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


class _LeaseKeeper:
    """Renew a running job's lease every third of its length until the handler returns."""

    def __init__(self, database: Database, job_id: int, owner: str, lease: dt.timedelta) -> None:
        self.database, self.job_id, self.owner, self.lease = database, job_id, owner, lease
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"lease-{job_id}", daemon=True)

    def __enter__(self) -> _LeaseKeeper:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.done.set()
        self.thread.join()

    def _run(self) -> None:
        interval = self.lease.total_seconds() / 3
        while not self.done.wait(interval):
            try:
                if not self.renew():
                    log.error("job %s: lease lost to another worker; its outcome will not be recorded", self.job_id)
                    return
            except Exception:  # the database blinked: try again at the next beat, well inside the lease
                log.exception("job %s: lease renewal failed", self.job_id)

    def renew(self) -> bool:
        """Push the lease forward; False when this worker no longer holds it."""
        with self.database.session() as session:
            renewed = session.execute(
                update(Job)
                .where(Job.id == self.job_id, Job.locked_by == self.owner, Job.state == JobState.RUNNING)
                .values(locked_until=utcnow() + self.lease)
            )
            session.commit()
            return bool(renewed.rowcount == 1)  # type: ignore[attr-defined]


def run_claimed(
    database: Database,
    job: Job,
    handlers: dict[str, Handler],
    *,
    owner: str,
    lease: dt.timedelta = DEFAULT_LEASE,
) -> Outcome:
    """Run a claimed job's handler, keeping its lease while it runs, and record the outcome."""
    handler = handlers.get(job.kind)
    if handler is None:
        _finish(database, job, owner, state=JobState.DEAD, last_error=f"no handler for job kind {job.kind!r}")
        log.error("job %s: no handler for kind %s", job.id, job.kind)
        return "failed"
    try:
        with _LeaseKeeper(database, job.id, owner, lease):
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
            _finish(database, job, owner, state=JobState.DEAD, last_error=error)
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


def run_ready(
    database: Database,
    handlers: dict[str, Handler],
    *,
    limit: int = 100,
    kinds: Iterable[str] | None = None,
    lease: dt.timedelta = DEFAULT_LEASE,
) -> int:
    """Run ready jobs (of ``kinds``, else any handled), most urgent first, until none is left; return how many ran."""
    owner = worker_name()
    wanted = list(handlers if kinds is None else kinds)
    ran = 0
    while ran < limit:
        job = claim(database, owner=owner, kinds=wanted, lease=lease)
        if job is None:
            break
        run_claimed(database, job, handlers, owner=owner, lease=lease)
        ran += 1
    return ran


def retry_dead(session: Session, *, kind: str | None = None, job_ids: Iterable[int] | None = None) -> list[int]:
    """Queue dead jobs (of ``kind``, or these ids) again with fresh attempts; return their ids."""
    query = select(Job.id).where(Job.state == JobState.DEAD)
    if kind is not None:
        query = query.where(Job.kind == kind)
    if job_ids is not None:
        query = query.where(Job.id.in_(list(job_ids)))
    found = list(session.scalars(query.order_by(Job.id)))
    if found:
        # NOTE: last_error stays, so whoever looks next sees why it had died.
        session.execute(
            update(Job)
            .where(Job.id.in_(found), Job.state == JobState.DEAD)
            .values(state=JobState.QUEUED, attempts=0, run_after=utcnow(), updated_at=utcnow())
        )
        _notify(session, "retry")
    return found


def dead_jobs(session: Session, *, limit: int = 100) -> list[Job]:
    """The dead jobs, most recently failed first."""
    query = select(Job).where(Job.state == JobState.DEAD).order_by(Job.updated_at.desc(), Job.id.desc())
    return list(session.scalars(query.limit(limit)))


@dataclass(frozen=True)
class QueueHealth:
    """How the queue stands, for ``/healthz``."""

    queued: int
    due: int
    running: int
    dead: int
    oldest_due_at: dt.datetime | None
    last_heartbeat: dt.datetime | None
    workers_seen: int


def queue_health(
    session: Session, *, now: dt.datetime | None = None, recent: dt.timedelta | None = None
) -> QueueHealth:
    """Count queued, due, running and dead jobs; find the oldest due job and the workers' last heartbeats."""
    now = now or utcnow()
    recent = recent or HEARTBEAT_STALE
    counts = dict(session.execute(select(Job.state, func.count()).group_by(Job.state)).tuples().all())
    due, oldest = session.execute(
        select(func.count(), func.min(Job.run_after)).where(Job.state == JobState.QUEUED, Job.run_after <= now)
    ).one()
    last = session.scalar(select(func.max(WorkerHeartbeat.beat_at)))
    seen = session.scalar(select(func.count()).where(WorkerHeartbeat.beat_at >= now - recent)) or 0
    return QueueHealth(
        queued=counts.get(JobState.QUEUED, 0),
        due=due,
        running=counts.get(JobState.RUNNING, 0),
        dead=counts.get(JobState.DEAD, 0),
        oldest_due_at=oldest,
        last_heartbeat=last,
        workers_seen=seen,
    )


def record_heartbeat(database: Database, *, name: str, started_at: dt.datetime) -> None:
    """Record that worker ``name`` finished a round now; forget workers silent for a day."""
    now = utcnow()
    with database.session() as session:
        beat = session.get(WorkerHeartbeat, name)
        if beat is None:
            session.add(WorkerHeartbeat(name=name, started_at=started_at, beat_at=now))
        else:
            beat.beat_at = now
        session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.beat_at < now - dt.timedelta(days=1)))
        session.commit()


def _process_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"[:100]


@dataclass
class Worker:
    """The ``worker`` process: runs ready jobs and periodic chores until told to stop.

    Run as many as you like, on as many machines: leases keep them off each other's
    jobs. Each runs two lanes: the main one (chores, heartbeat, every job, most
    urgent first) and an urgent one that takes only replies and sends, so those
    never wait behind a long translation in the main lane.
    """

    database: Database
    handlers: dict[str, Handler]
    chores: list[Callable[[], None]] = field(default_factory=list)
    poll_seconds: float = 0.5
    lease: dt.timedelta = DEFAULT_LEASE
    stopping: threading.Event = field(default_factory=threading.Event)
    name: str = field(default_factory=_process_name)
    started_at: dt.datetime = field(default_factory=utcnow)
    _last_beat: float | None = field(default=None, init=False, repr=False)
    wakeup: Wakeup | None = field(default=None, init=False, repr=False)

    def run_once(self) -> int:
        """Record a heartbeat, do every chore once, then run the ready jobs; return how many jobs ran."""
        if self._last_beat is None or time.monotonic() - self._last_beat >= HEARTBEAT_EVERY_SECONDS:
            try:
                record_heartbeat(self.database, name=self.name, started_at=self.started_at)
                self._last_beat = time.monotonic()
            except Exception:  # a missed heartbeat shows on /healthz; it must not stop the jobs
                log.exception("worker heartbeat failed")
        for chore in self.chores:
            try:
                chore()
            except Exception:  # a failing chore must not stop the jobs
                log.exception("worker chore %s failed", getattr(chore, "__name__", chore))
        return run_ready(self.database, self.handlers, lease=self.lease)

    def run_urgent(self) -> int:
        """Run the ready replies and sends only; return how many ran."""
        urgent = [kind for kind in self.handlers if priority_of(kind) == URGENT]
        return run_ready(self.database, self.handlers, kinds=urgent, lease=self.lease) if urgent else 0

    def run_forever(self) -> None:
        """Run both lanes until ``stopping`` is set, each sleeping briefly (or until woken) when idle."""
        log.info("worker %s started with job kinds: %s", self.name, ", ".join(sorted(self.handlers)))
        wakeup = self.wakeup = Wakeup(self.database, self.stopping)
        main_lane, urgent_lane = wakeup.lane(), wakeup.lane()

        def wake_on_stop() -> None:
            self.stopping.wait()
            wakeup.ring()

        threading.Thread(target=wake_on_stop, name="stop-waker", daemon=True).start()
        if wakeup.start():
            log.info("worker %s listens for new jobs (PostgreSQL NOTIFY)", self.name)
        urgent = threading.Thread(
            target=self._loop, args=(self.run_urgent, urgent_lane, wakeup), name="urgent-lane", daemon=True
        )
        urgent.start()
        self._loop(self.run_once, main_lane, wakeup)
        urgent.join()
        log.info("worker %s stopped", self.name)

    def _loop(self, step: Callable[[], int], woken: threading.Event, wakeup: Wakeup) -> None:
        while not self.stopping.is_set():
            woken.clear()
            try:
                ran = step()
            except Exception:  # e.g. the database is down: wait and try again
                log.exception("worker loop failed; retrying")
                ran = 0
            if ran == 0:
                idle = (
                    max(self.poll_seconds, LISTENING_POLL_SECONDS) if wakeup.listening.is_set() else self.poll_seconds
                )
                wakeup.sleep(woken, idle)


def wait_for(predicate: Callable[[], bool], *, timeout: float, interval: float = 0.05) -> bool:
    """Poll ``predicate`` until it holds or ``timeout`` seconds pass; return whether it held."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)
