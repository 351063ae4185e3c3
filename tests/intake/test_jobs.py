"""The job queue with several workers: leases kept while a job runs, dead jobs parked, replies first."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select, update

from intake import jobs
from intake.db import Database, utcnow
from intake.enums import JobState
from intake.models import Job, WorkerHeartbeat


@pytest.fixture
def db(fresh_database_url: str) -> Iterator[Database]:
    database = Database(fresh_database_url)
    yield database
    database.dispose()


def _enqueue(db: Database, kind: str, **extra: Any) -> int:
    with db.session() as s:
        job = jobs.enqueue(s, kind=kind, payload={}, **extra)
        s.commit()
        return job.id


def _job(db: Database, job_id: int) -> Job:
    with db.session() as s:
        found = s.get(Job, job_id)
        assert found is not None
        return found


def _in_thread(worker: jobs.Worker) -> threading.Thread:
    thread = threading.Thread(target=worker.run_forever, daemon=True)
    thread.start()
    return thread


def test_a_job_that_outlives_its_lease_runs_once_with_two_workers(db):
    runs: list[float] = []

    def slow_translation(_payload: dict[str, Any]) -> None:
        runs.append(time.monotonic())
        time.sleep(1.5)  # five leases long

    lease = dt.timedelta(seconds=0.3)
    workers = [
        jobs.Worker(database=db, handlers={"translate.case": slow_translation}, lease=lease, poll_seconds=0.05)
        for _ in range(2)
    ]
    job_id = _enqueue(db, "translate.case")
    threads = [_in_thread(w) for w in workers]
    try:
        assert jobs.wait_for(lambda: _job(db, job_id).state == JobState.DONE, timeout=15)
        time.sleep(0.5)  # a second run would have started by now
    finally:
        for w in workers:
            w.stopping.set()
        for t in threads:
            t.join(10)
    assert len(runs) == 1
    assert _job(db, job_id).attempts == 1


def test_a_job_whose_worker_died_counts_an_attempt_and_is_parked_dead_at_the_limit(db):
    job_id = _enqueue(db, "translate.case", max_attempts=2)
    short = dt.timedelta(milliseconds=50)
    for attempt in (1, 2):  # the worker takes it, then its process dies mid-job
        taken = jobs.claim(db, owner=f"dead-worker-{attempt}", lease=short)
        assert taken is not None and taken.id == job_id and taken.attempts == attempt
        time.sleep(0.1)
    assert jobs.claim(db, owner="third") is None  # not a third run: parked
    parked = _job(db, job_id)
    assert parked.state == JobState.DEAD and parked.locked_by is None
    assert "stopped" in (parked.last_error or "")
    with db.session() as s:
        assert jobs.queue_health(s).dead == 1
        assert jobs.retry_dead(s) == [job_id]
        s.commit()
    ran: list[int] = []
    assert jobs.run_ready(db, {"translate.case": lambda _p: ran.append(1)}) == 1
    assert ran == [1] and _job(db, job_id).state == JobState.DONE


def test_a_handler_that_keeps_failing_is_parked_dead_not_retried_forever(db):
    job_id = _enqueue(db, "sms.send", max_attempts=2)

    def broken(_payload: dict[str, Any]) -> None:
        raise RuntimeError("provider said no")

    for _ in range(2):
        with db.session() as s:
            s.execute(update(Job).values(run_after=utcnow()))
            s.commit()
        jobs.run_ready(db, {"sms.send": broken})
    assert _job(db, job_id).state == JobState.DEAD
    assert jobs.run_ready(db, {"sms.send": broken}) == 0


def test_replies_and_sends_are_taken_before_older_translations(db):
    older = utcnow() - dt.timedelta(minutes=5)
    for n in range(3):
        _enqueue(db, "translate.case", run_after=older, dedupe_key=f"t{n}")
    _enqueue(db, "sms.send")
    _enqueue(db, "sms.turn")
    order: list[str] = []
    handlers = {kind: (lambda _p, k=kind: order.append(k)) for kind in ("translate.case", "sms.send", "sms.turn")}
    jobs.run_ready(db, handlers)
    assert sorted(order[:2]) == ["sms.send", "sms.turn"] and order[2:] == ["translate.case"] * 3


def test_a_send_does_not_wait_for_a_long_translation_in_the_same_worker(db):
    release = threading.Event()
    sent: list[int] = []
    worker = jobs.Worker(
        database=db,
        handlers={"translate.case": lambda _p: release.wait(20), "sms.send": lambda _p: sent.append(1)},
        poll_seconds=0.05,
    )
    translation = _enqueue(db, "translate.case")
    thread = _in_thread(worker)
    try:
        assert jobs.wait_for(lambda: _job(db, translation).state == JobState.RUNNING, timeout=10)
        send = _enqueue(db, "sms.send")
        assert jobs.wait_for(lambda: _job(db, send).state == JobState.DONE, timeout=10)
        assert _job(db, translation).state == JobState.RUNNING
    finally:
        release.set()
        worker.stopping.set()
        thread.join(20)
    assert sent == [1]


def test_each_worker_round_records_a_heartbeat(db):
    worker = jobs.Worker(database=db, handlers={})
    worker.run_once()
    with db.session() as s:
        beats = s.scalars(select(WorkerHeartbeat)).all()
        assert [b.name for b in beats] == [worker.name]
        assert utcnow() - beats[0].beat_at < dt.timedelta(seconds=10)
        assert jobs.queue_health(s).last_heartbeat == beats[0].beat_at


def test_on_postgresql_a_new_job_wakes_an_idle_worker_without_waiting_for_its_poll(db):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's; workers on SQLite poll (the other tests here)")
    ran = threading.Event()
    # A poll this long would leave the job waiting a minute: only the NOTIFY can start it in time.
    worker = jobs.Worker(database=db, handlers={"sms.send": lambda _p: ran.set()}, poll_seconds=60)
    thread = _in_thread(worker)
    try:
        assert jobs.wait_for(lambda: worker.wakeup is not None and worker.wakeup.listening.is_set(), timeout=10)
        assert worker.wakeup is not None
        assert jobs.wait_for(lambda: worker.wakeup.sleeping == 2, timeout=10)  # both lanes idle
        job_id = _enqueue(db, "sms.send", dedupe_key="wake-me")
        assert ran.wait(10), "the worker slept through the NOTIFY"
        assert jobs.wait_for(lambda: _job(db, job_id).state == JobState.DONE, timeout=10)
    finally:
        worker.stopping.set()
        thread.join(10)
    assert not thread.is_alive()


def test_a_worker_on_sqlite_polls_and_stops_promptly(db):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the PostgreSQL worker is the test above")
    ran = threading.Event()
    worker = jobs.Worker(database=db, handlers={"sms.send": lambda _p: ran.set()}, poll_seconds=0.05)
    thread = _in_thread(worker)
    try:
        _enqueue(db, "sms.send")
        assert ran.wait(10)
        assert worker.wakeup is not None and not worker.wakeup.listening.is_set()
    finally:
        worker.stopping.set()
        thread.join(10)
    assert not thread.is_alive()
