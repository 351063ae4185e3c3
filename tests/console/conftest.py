"""Builders for the console's tests: a team with one account per role, cases in any status, signed-in clients."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from intake.access import staff as staff_service
from intake.cases import filing as complaints
from intake.cases import lifecycle
from intake.conversations import messaging
from intake.enums import Channel, Direction, MessageState, Role, Status
from intake.models import Case, Correspondent, Message, StaffUser
from tests.factories import submission_data

PASSWORD = "correct horse battery"
CSRF = "test-csrf-token"
# The lifecycle's path to each status, from received.
PATHS = {
    Status.RECEIVED: [],
    Status.TRIAGE: [Status.TRIAGE],
    Status.ASSIGNED: [Status.TRIAGE, Status.ASSIGNED],
    Status.INVESTIGATING: [Status.TRIAGE, Status.ASSIGNED, Status.INVESTIGATING],
    Status.REFERRED: [Status.TRIAGE, Status.ASSIGNED, Status.INVESTIGATING, Status.REFERRED],
    Status.CLOSED: [Status.TRIAGE, Status.CLOSED],
    Status.WITHDRAWN: [Status.WITHDRAWN],
}


@pytest.fixture(autouse=True)
def quick_hashes(monkeypatch):
    """Argon2 with its production cost takes a quarter second a hash; tests need many."""
    monkeypatch.setattr(staff_service, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    staff_service._dummy_hash.cache_clear()
    yield
    staff_service._dummy_hash.cache_clear()


@pytest.fixture
def client(app, session):
    """A test client that shares the test's view of the database: flushed before, re-read after each request."""
    from flask.testing import FlaskClient

    class SharedClient(FlaskClient):
        def open(self, *args, **kwargs):
            session.flush()
            response = super().open(*args, **kwargs)
            session.expire_all()
            return response

    app.test_client_class = SharedClient
    return app.test_client()


@pytest.fixture
def team(session):
    """One active account per role, keyed by role."""
    members = {
        role: staff_service.create_staff(
            session, email=f"{role.value}@example.org", role=role, password=PASSWORD, actor="test"
        )
        for role in Role
    }
    session.flush()
    return members


def file(session, keyring, **overrides) -> Case:
    case, _ = complaints.file_case(
        session, keyring=keyring, submission=complaints.parse_submission(submission_data(**overrides)), actor="test"
    )
    return case


def move(session, case: Case, to: Status, *, assignee: StaffUser | None = None) -> Case:
    """Take ``case`` from received to ``to`` along the lifecycle."""
    for step in PATHS[to]:
        lifecycle.change_status(
            session,
            case=case,
            to=step,
            actor="test",
            reason="test",
            assignee=assignee if step is Status.ASSIGNED else None,
            disposition=_disposition(step),
        )
    session.flush()
    return case


def _disposition(step):
    from intake.enums import Disposition

    return Disposition.UNFOUNDED if step is Status.CLOSED else None


def sms_case(session, keyring, phone="+12095550142", **overrides) -> tuple[Case, Correspondent]:
    """File a case from a text-message conversation, as the SMS channel does."""
    correspondent = messaging.get_or_create_correspondent(
        session, keyring=keyring, phone=phone, service_number="+12095550100"
    )
    session.flush()
    session.add(
        Message(
            channel=Channel.SMS,
            direction=Direction.INBOUND,
            provider_id=f"SM{correspondent.id:032d}",
            conversation_id=correspondent.conversation_id,
            correspondent_id=correspondent.id,
            body="Hola, quiero poner una queja",
            state=MessageState.PROCESSED,
        )
    )
    session.flush()
    overrides.setdefault("channel", "sms")
    case, _ = complaints.file_case(
        session,
        keyring=keyring,
        submission=complaints.parse_submission(submission_data(**overrides)),
        actor="bot",
        conversation_id=correspondent.conversation_id,
    )
    return case, correspondent


def sign_in(client, user: StaffUser) -> str:
    """Open a server-side session for ``user`` and put its token in the client's cookie, as a real sign-in does."""
    app = client.application
    db = app.extensions["heard.database"].sessionmaker()
    try:
        token = staff_service.open_session(db, keyring=app.extensions["heard.keyring"], user=user)
        db.commit()
    finally:
        db.close()
    with client.session_transaction() as s:
        s.clear()
        s["sid"] = token
        s["csrf"] = CSRF
    return token
