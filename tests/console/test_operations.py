"""The operations page: supervisors see the queue and its dead jobs and queue them again; nobody else does."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from intake import jobs
from intake.enums import JobState, Role
from intake.models import AuditEntry, Job
from tests.console.conftest import CSRF, sign_in


def _dead(session, kind: str, error: str) -> Job:
    job = jobs.enqueue(session, kind=kind, payload={"secret": "sealed-token-xyz"})
    job.state, job.attempts, job.last_error = JobState.DEAD, job.max_attempts, error
    session.flush()
    return job


def _last(session, action):
    return session.scalars(
        select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()


def test_a_supervisor_reads_why_each_job_died_without_its_payload_or_a_phone_number(client, session, team):
    _dead(session, "sms.send", "TwilioRestException: 21610 unsubscribed recipient +12095550142")
    _dead(session, "translate.case", "RuntimeError: model crashed")
    sign_in(client, team[Role.SUPERVISOR])
    page = client.get("/console/operations/").get_data(as_text=True)
    assert "2 jobs failed every attempt" in page
    assert "21610 unsubscribed recipient" in page and "model crashed" in page
    assert "+12095550142" not in page and "5550142" not in page  # redacted
    assert "sealed-token-xyz" not in page  # never the payload
    assert 'href="/console/operations/"' in client.get("/console/").get_data(as_text=True)
    entry = _last(session, "operations.read")
    assert entry.actor == f"staff:{team[Role.SUPERVISOR].id}" and entry.summary == {"dead": 2}


def test_a_supervisor_queues_one_dead_job_again_and_it_is_audited(client, session, team):
    first = _dead(session, "sms.send", "boom")
    second = _dead(session, "sms.send", "boom")
    sign_in(client, team[Role.SUPERVISOR])
    response = client.post("/console/operations/retry", data={"csrf_token": CSRF, "job": str(first.id)})
    assert response.status_code == 303
    assert session.get(Job, first.id).state is JobState.QUEUED and session.get(Job, first.id).attempts == 0
    assert session.get(Job, second.id).state is JobState.DEAD
    assert _last(session, "jobs.retried").summary == {"jobs": [first.id], "count": 1}
    client.post("/console/operations/retry", data={"csrf_token": CSRF})
    assert session.get(Job, second.id).state is JobState.QUEUED
    again = client.post("/console/operations/retry", data={"csrf_token": CSRF}, follow_redirects=True)
    assert "No dead job to queue again" in again.get_data(as_text=True)


@pytest.mark.parametrize("role", [Role.INTAKE, Role.AUDITOR, Role.LIAISON])
def test_other_roles_neither_see_nor_retry_dead_jobs(client, session, team, role):
    job = _dead(session, "sms.send", "boom")
    sign_in(client, team[role])
    assert client.get("/console/operations/").status_code == 403
    assert client.post("/console/operations/retry", data={"csrf_token": CSRF, "job": str(job.id)}).status_code == 403
    assert session.get(Job, job.id).state is JobState.DEAD
    assert 'href="/console/operations/"' not in client.get("/console/").get_data(as_text=True)
    assert _last(session, "access.denied").summary["attempted"] == "manage_jobs"


@pytest.mark.parametrize("value", ["x", "²", "1" * 30, "-1"])
def test_a_malformed_job_number_is_a_clear_400_and_retries_nothing(client, session, team, value):
    job = _dead(session, "sms.send", "boom")
    sign_in(client, team[Role.SUPERVISOR])
    assert client.post("/console/operations/retry", data={"csrf_token": CSRF, "job": value}).status_code == 400
    assert session.get(Job, job.id).state is JobState.DEAD


def test_retry_without_the_csrf_token_is_refused(client, session, team):
    job = _dead(session, "sms.send", "boom")
    sign_in(client, team[Role.SUPERVISOR])
    assert client.post("/console/operations/retry", data={"job": str(job.id)}).status_code in (400, 403)
    assert session.get(Job, job.id).state is JobState.DEAD
