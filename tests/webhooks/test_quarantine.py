"""A text whose Twilio signature fails is kept sealed, raises an alert, and is released only if it then verifies."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from app import create_app
from intake import jobs
from intake.cli import main as intake_cli
from intake.db import Database
from intake.enums import Direction
from intake.models import Job, Message, QuarantinedRequest
from tests.twilio_fake import AUTH_TOKEN, PUBLIC_BASE_URL, FakeTwilio, post_signed, sign, sms_form
from tests.webhooks.test_twilio_sms import _settings

WRONG_BASE = "https://old-proxy.example.org"


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    twilio = FakeTwilio().start()
    yield twilio
    twilio.stop()


@pytest.fixture
def db(fresh_database_url: str) -> Iterator[Database]:
    database = Database(fresh_database_url)
    yield database
    database.dispose()


def _app(db: Database, keyring: Any, fake: FakeTwilio, tmp_path: Path, **extra: Any) -> Any:
    return create_app({**_settings(fake, tmp_path, **extra), "DATABASE": db, "KEYRING": keyring})


def _count(db: Database, model: Any) -> int:
    with db.session() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def _release(app: Any) -> None:
    """Run the worker's release job as `intake quarantine release` asks for it."""
    sms = app.extensions["heard.sms"]
    db = app.extensions["heard.database"]
    with db.session() as s:
        jobs.enqueue(s, kind="quarantine.release", payload={})
        s.commit()
    worker = jobs.Worker(database=db, handlers=sms.handlers(), chores=[])
    while worker.run_once():
        pass


def test_a_text_refused_for_a_wrong_public_url_is_kept_sealed_and_released_once_the_url_is_fixed(
    db, keyring, fake, tmp_path
):
    # A misconfigured deployment: Twilio signs https://heard.example.org, Heard believes it is the old proxy.
    wrong = _app(db, keyring, fake, tmp_path, PUBLIC_BASE_URL=WRONG_BASE)
    form = sms_form("An officer pushed me at the bus stop")
    refused = post_signed(wrong.test_client(), "/twilio/sms", form)
    assert refused.status_code == 403
    assert _count(db, Message) == 0 and _count(db, QuarantinedRequest) == 1
    with db.session() as s:
        sealed = s.scalars(select(QuarantinedRequest.sealed)).one()
    assert "bus stop" not in sealed and "+12095550142" not in sealed  # sealed, not in clear
    health = wrong.test_client().get("/healthz").get_json()
    assert health["components"]["quarantine"] == {
        "status": "alert",
        "waiting": 1,
        "oldest": health["components"]["quarantine"]["oldest"],
    }
    assert any("quarantine release" in alert for alert in health["alerts"])
    # Released while the configuration is still wrong: it stays kept, nothing is processed.
    _release(wrong)
    assert _count(db, Message) == 0
    with db.session() as s:
        row = s.scalars(select(QuarantinedRequest)).one()
        assert row.outcome is None and row.attempts == 1
    # The URL fixed: released, verified, stored and answered by REST.
    fixed = _app(db, keyring, fake, tmp_path)
    _release(fixed)
    with db.session() as s:
        message = s.scalars(select(Message)).one()
        assert message.body == "An officer pushed me at the bus stop" and message.reply_via == "rest"
        assert s.scalars(select(QuarantinedRequest.outcome)).one() == "released"
        assert s.scalar(select(func.count()).select_from(Job).where(Job.kind == "sms.turn")) == 1
    assert fixed.test_client().get("/healthz").get_json()["components"]["quarantine"]["status"] == "ok"
    # Releasing again changes nothing.
    _release(fixed)
    assert _count(db, Message) == 1


def test_a_forged_text_is_kept_but_never_processed(db, keyring, fake, tmp_path):
    app = _app(db, keyring, fake, tmp_path)
    client = app.test_client()
    form = sms_form("I withdraw my complaint")
    forged = [
        post_signed(client, "/twilio/sms", form, token="not-the-token"),
        client.post(
            "/twilio/sms",
            data={**form, "Body": "something else"},
            headers={"X-Twilio-Signature": sign(PUBLIC_BASE_URL + "/twilio/sms", form)},
        ),
        client.post("/twilio/sms", data=form, headers={"X-Twilio-Signature": sign(WRONG_BASE + "/twilio/sms", form)}),
    ]
    unsigned = client.post("/twilio/sms", data=form)
    assert [r.status_code for r in [*forged, unsigned]] == [403, 403, 403, 403]
    assert _count(db, QuarantinedRequest) == 3  # an unsigned request is not Twilio's: not kept
    _release(app)
    assert _count(db, Message) == 0 and _count(db, Job) == 1  # only the release job itself
    with db.session() as s:
        assert set(s.scalars(select(QuarantinedRequest.outcome))) == {None}


def test_a_text_refused_for_a_rotated_token_is_released_with_the_token_it_was_signed_with(db, keyring, fake, tmp_path):
    rotated = _app(db, keyring, fake, tmp_path, TWILIO_AUTH_TOKEN="a-new-token-nobody-gave-twilio")
    assert post_signed(rotated.test_client(), "/twilio/sms", sms_form("help")).status_code == 403
    _release(rotated)
    assert _count(db, Message) == 0
    _release(_app(db, keyring, fake, tmp_path, TWILIO_AUTH_TOKEN=AUTH_TOKEN))
    with db.session() as s:
        inbound = s.scalars(select(Message.body).where(Message.direction == Direction.INBOUND)).all()
    assert inbound == ["help"]


def test_intake_quarantine_status_and_release(db, keyring, fake, tmp_path, fresh_database_url, monkeypatch):
    wrong = _app(db, keyring, fake, tmp_path, PUBLIC_BASE_URL=WRONG_BASE)
    post_signed(wrong.test_client(), "/twilio/sms", sms_form("help"))
    monkeypatch.setenv("DATABASE_URL", fresh_database_url)
    monkeypatch.setenv("HEARD_INSTANCE_DIR", str(tmp_path))
    runner = CliRunner()
    status = runner.invoke(intake_cli, ["quarantine", "status"])
    assert status.exit_code == 0 and "waiting 1" in status.output and "/twilio/sms bad signature" in status.output
    release = runner.invoke(intake_cli, ["quarantine", "release"])
    assert release.exit_code == 0 and "re-verifies 1 kept text" in release.output
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Job).where(Job.kind == "quarantine.release")) == 1
