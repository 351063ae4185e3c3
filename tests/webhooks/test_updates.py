"""Status updates to residents: each kind through the local stand-ins (Twilio, an SMTP relay), at safe times only.

The clock is a parameter: the composer is told "now" (a fixed morning in the office's zone,
always in the future), so the update waits in the queue until the resident's safe time; the
test then makes the waiting job due, as the passing of time would, and the worker sends it.
"""

from __future__ import annotations

import datetime as dt
import functools
import socket
from collections.abc import Iterator
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, update

from app import create_app
from intake import jobs
from intake.cases import tracking, updates
from intake.cases.updates import UpdateKind
from intake.db import Database, utcnow
from intake.enums import Channel, Direction, Disposition, JobState, MessageState, Role, Status
from intake.models import AuditEntry, Case, Correspondent, Job, Message, StaffUser
from intake.triage import actions as triage_actions
from intake.triage.case_view import callback_pending
from tests.factories import make_case, make_staff
from tests.twilio_fake import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    HEARD_NUMBER,
    PUBLIC_BASE_URL,
    FakeTwilio,
    post_signed,
    sms_form,
    whatsapp_form,
)
from tests.webhooks.test_mail import Relay
from webhooks.i18n import t
from webhooks.rasa_client import DialogueAnswer
from webhooks.updates import FINDINGS, TEXTS, UpdateComposer

LA = ZoneInfo("America/Los_Angeles")
NARRATIVE = "El oficial me empujó contra el carro y no me dijo por qué me paraba."


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class QuietDialogue:
    """A dialogue that answers a short question, so a resident has a conversation with Heard."""

    def send(self, *, sender: str, text: str, metadata: dict[str, Any]) -> DialogueAnswer:
        return DialogueAnswer(texts=("¿En qué le podemos ayudar?",), language="es")


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    fake = FakeTwilio().start()
    yield fake
    fake.stop()


@pytest.fixture
def relay() -> Iterator[Relay]:
    found, port = Relay(), _free_port()
    controller = Controller(found, hostname="127.0.0.1", port=port)
    controller.start()
    found.port = port  # type: ignore[attr-defined]
    yield found
    controller.stop()


@pytest.fixture
def db(fresh_database_url: str) -> Iterator[Database]:
    database = Database(fresh_database_url)
    yield database
    database.dispose()


@pytest.fixture
def app(db, keyring, fake_twilio, relay, tmp_path):  # type: ignore[no-untyped-def]
    return _make_app(db, keyring, fake_twilio, relay, tmp_path)


def _make_app(db, keyring, fake_twilio, relay, tmp_path, **extra):  # type: ignore[no-untyped-def]
    made = create_app(
        {
            **extra,
            "TESTING": True,
            "HEARD_INSTANCE_DIR": str(tmp_path),
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_API_BASE_URL": fake_twilio.url,
            "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
            "RASA_URL": f"http://127.0.0.1:{_free_port()}",
            "HEARD_SMS_RATE_PER_SECOND": "1000",
            "HEARD_SMTP_URL": f"smtp://127.0.0.1:{relay.port}?starttls=off",
            "HEARD_MAIL_FROM": "Heard <heard@city.example>",
            "DATABASE": db,
            "KEYRING": keyring,
        }
    )
    made.extensions["heard.sms"].rasa = QuietDialogue()
    return made


def _tomorrow_at(hour: int) -> dt.datetime:
    """A moment tomorrow in the office's zone: in the future, so nothing planned for it is due yet."""
    day = (utcnow().astimezone(LA) + dt.timedelta(days=1)).date()
    return dt.datetime.combine(day, dt.time(hour), tzinfo=LA).astimezone(dt.UTC)


def _composer(app: Any) -> UpdateComposer:
    return UpdateComposer(
        database=app.extensions["heard.database"], keyring=app.extensions["heard.keyring"], zone=LA, every_days=30
    )


def _compose(app: Any, now: dt.datetime) -> int:
    """Let the worker write the planned updates, as if it were ``now``."""
    composer = _composer(app)
    handler = functools.partial(composer.compose, now=now)
    return jobs.Worker(database=composer.database, handlers={updates.COMPOSE_KIND: handler}).run_once()


def _handlers(app: Any) -> dict[str, jobs.Handler]:
    return {**app.extensions["heard.sms"].handlers(), **app.extensions["heard.mail"].handlers()}


def _send_due(app: Any) -> int:
    """Run the sending jobs that are due by the real clock (none that wait for a safe time)."""
    return jobs.Worker(database=app.extensions["heard.database"], handlers=_handlers(app)).run_once()


def _time_passes(app: Any, to: dt.datetime | None = None) -> int:
    """Make every waiting job due and run the senders at ``to`` (default: the latest safe time planned)."""
    db = app.extensions["heard.database"]
    with db.session() as s:
        s.execute(update(Job).where(Job.state == JobState.QUEUED).values(run_after=utcnow()))
        planned = [m.meta["send_after"] for m in updates.updates_of(list(s.scalars(select(Message))))]
        s.commit()
    clock = to or (dt.datetime.fromisoformat(max(planned)) if planned else utcnow())
    # NOTE: the senders ask the resident's safe times at every try, by this clock.
    with mock.patch.object(updates, "utcnow", return_value=clock):
        return _send_due(app)


def _texting_case(app: Any, db: Database, keyring: Any, *, form: dict[str, str], **overrides: Any) -> tuple[int, str]:
    """A resident writes to Heard, then files a report from that conversation; return its id and PIN."""
    response = post_signed(app.test_client(), "/twilio/sms", form)
    assert response.status_code == 200
    with db.session() as s:
        resident = s.scalars(select(Correspondent)).one()
        case, receipt = make_case(s, keyring, narrative=NARRATIVE, **overrides)
        case.conversation_id = resident.conversation_id
        s.commit()
        return case.id, receipt.pin


def _supervisor(db: Database) -> int:
    with db.session() as s:
        found = s.scalars(select(StaffUser).where(StaffUser.role == Role.SUPERVISOR)).first()
        if found is None:
            found = make_staff(s, role=Role.SUPERVISOR, email="supervisor@example.org")
            s.commit()
        return found.id


def _move(db: Database, case_id: int, to: Status, **kwargs: Any) -> None:
    with db.session() as s:
        viewer = s.get(StaffUser, _supervisor(db))
        triage_actions.change_status(s, viewer=viewer, case_id=case_id, to=to, **kwargs)
        s.commit()


def _assign(db: Database, case_id: int) -> None:
    staff_id = _supervisor(db)
    with db.session() as s:
        triage_actions.assign(s, viewer=s.get(StaffUser, staff_id), case_id=case_id, assignee_id=staff_id)
        s.commit()


def _updates(db: Database, case_id: int) -> list[Message]:
    with db.session() as s:
        found = updates.updates_of(list(s.scalars(select(Message).where(Message.case_id == case_id))))
        s.expunge_all()
        return found


def _actions(db: Database, case_id: int) -> list[str]:
    with db.session() as s:
        return list(s.scalars(select(AuditEntry.action).where(AuditEntry.case_id == case_id).order_by(AuditEntry.seq)))


def _number(db: Database, case_id: int) -> str:
    with db.session() as s:
        case = s.get(Case, case_id)
        assert case is not None
        return tracking.format_tracking_number(case.tracking_number)


def test_an_acknowledgement_by_sms_waits_for_the_residents_safe_time_and_goes_in_spanish(app, db, keyring, fake_twilio):
    case_id, pin = _texting_case(
        app, db, keyring, form=sms_form("Hola"), witnesses="mi hermana\ncontact times: después de las 6 pm"
    )
    before = len(fake_twilio.sent())
    _move(db, case_id, Status.TRIAGE)
    assert "case.update_planned" in _actions(db, case_id)
    assert _compose(app, _tomorrow_at(10)) == 1
    (planned,) = _updates(db, case_id)
    assert planned.channel is Channel.SMS and planned.state is MessageState.QUEUED
    assert planned.meta["send_after"] == _tomorrow_at(18).isoformat() and planned.meta["safe_times_understood"]
    number = _number(db, case_id)
    expected = t("es", TEXTS[UpdateKind.ACKNOWLEDGED], tracking_number=number, finding="")
    assert planned.body == expected and planned.meta["english"].startswith(f"Update on your report {number}")
    _send_due(app)
    assert len(fake_twilio.sent()) == before  # 10:00 is not after 6 pm: nothing goes yet
    _time_passes(app)
    (sent,) = fake_twilio.sent()[before:]
    assert sent["To"] == "+12095550142" and sent["From"] == HEARD_NUMBER and sent["Body"] == expected
    assert "reporte" in sent["Body"] and pin not in sent["Body"] and "empujó" not in sent["Body"]
    assert "case.update_queued" in _actions(db, case_id)


def test_an_assignment_goes_on_whatsapp_inside_the_window_as_one_text(app, db, keyring, fake_twilio):
    case_id, _pin = _texting_case(app, db, keyring, form=whatsapp_form("Hola"), witnesses=None)
    before = len(fake_twilio.sent())
    _assign(db, case_id)  # through triage: an acknowledgement, then the assignment
    _compose(app, _tomorrow_at(10))  # no safe times given: 9:00 to 19:00 office time
    written = _updates(db, case_id)
    assert [m.meta["update"] for m in written] == ["acknowledged", "assigned"]
    assert all(not m.meta["safe_times_understood"] for m in written)
    # The acknowledgement had not gone yet: the assignment tells where the case is now, in one text.
    assert [m.state for m in written] == [MessageState.SUPPRESSED, MessageState.QUEUED]
    assert written[0].meta["superseded_by"] == "assigned" and "case.update_superseded" in _actions(db, case_id)
    _time_passes(app)
    (sent,) = fake_twilio.sent()[before:]
    assert sent["To"] == "whatsapp:+12095550142" and not sent.get("ContentSid")
    number = _number(db, case_id)
    assert sent["Body"] == t("es", TEXTS[UpdateKind.ASSIGNED], tracking_number=number, finding="")


def test_an_update_already_sent_is_not_taken_back(app, db, keyring, fake_twilio):
    case_id, _pin = _texting_case(app, db, keyring, form=sms_form("Hola"), witnesses=None)
    before = len(fake_twilio.sent())
    _move(db, case_id, Status.TRIAGE)
    _compose(app, _tomorrow_at(10))
    _time_passes(app)
    _assign(db, case_id)
    _compose(app, _tomorrow_at(11))
    _time_passes(app)
    bodies = [m["Body"] for m in fake_twilio.sent()[before:]]
    number = _number(db, case_id)
    assert bodies == [
        t("es", TEXTS[kind], tracking_number=number, finding="")
        for kind in (UpdateKind.ACKNOWLEDGED, UpdateKind.ASSIGNED)
    ]


def test_an_update_a_sender_has_begun_is_not_withdrawn(app, db, keyring, fake_twilio):
    case_id, _pin = _texting_case(app, db, keyring, form=sms_form("Hola"), witnesses=None)
    _move(db, case_id, Status.TRIAGE)
    _compose(app, _tomorrow_at(10))
    (acknowledged,) = _updates(db, case_id)
    with db.session() as s:  # a sender reserved its slot and is talking to Twilio right now
        s.execute(update(Message).where(Message.id == acknowledged.id).values(sent_at=utcnow()))
        s.commit()
    _assign(db, case_id)
    _compose(app, _tomorrow_at(11))
    first, second = _updates(db, case_id)
    assert first.state is MessageState.QUEUED and "superseded_by" not in first.meta
    assert second.meta["update"] == "assigned" and "case.update_superseded" not in _actions(db, case_id)


def test_a_held_whatsapp_update_withdrawn_by_a_newer_one_is_announced_by_one_template(
    db, keyring, fake_twilio, relay, tmp_path
):
    template = "HX" + "e5" * 16
    app = _make_app(db, keyring, fake_twilio, relay, tmp_path, HEARD_WHATSAPP_TEMPLATE_ES=template)
    case_id, _pin = _texting_case(app, db, keyring, form=whatsapp_form("Hola"), witnesses=None)
    with db.session() as s:  # the resident wrote two days ago: WhatsApp's 24-hour window is closed
        s.execute(
            update(Message)
            .where(Message.direction == Direction.INBOUND)
            .values(created_at=utcnow() - dt.timedelta(days=2))
        )
        s.commit()
    _move(db, case_id, Status.TRIAGE)
    _compose(app, _tomorrow_at(10))
    _time_passes(app)  # held for the window; the template tells the resident a text waits
    _time_passes(app)
    assert [m.get("ContentSid") for m in fake_twilio.sent()].count(template) == 1
    _assign(db, case_id)
    _compose(app, _tomorrow_at(11))
    _time_passes(app)
    _time_passes(app)
    assert [m.get("ContentSid") for m in fake_twilio.sent()].count(template) == 1  # told once already
    states = {m.meta["update"]: m.state for m in _updates(db, case_id)}
    assert states == {"acknowledged": MessageState.SUPPRESSED, "assigned": MessageState.HELD}


def test_a_text_whose_send_runs_late_waits_again_for_a_safe_time(app, db, keyring, fake_twilio):
    case_id, _pin = _texting_case(app, db, keyring, form=sms_form("Hola"), witnesses="contact times: 9-5")
    before = len(fake_twilio.sent())
    _move(db, case_id, Status.TRIAGE)
    _compose(app, _tomorrow_at(7))
    (planned,) = _updates(db, case_id)
    assert planned.meta["send_after"] == _tomorrow_at(9).isoformat()
    # The worker was down all day: the send job runs at 23:00, past the resident's window.
    assert _time_passes(app, to=_tomorrow_at(23)) == 1
    assert fake_twilio.sent()[before:] == [] and _updates(db, case_id)[0].state is MessageState.QUEUED
    with db.session() as s:
        job = s.scalars(select(Job).where(Job.kind == "sms.send", Job.state == JobState.QUEUED)).one()
        assert job.attempts == 0 and job.last_error is None  # waiting, not failing
    _time_passes(app, to=_tomorrow_at(9) + dt.timedelta(days=1))
    assert len(fake_twilio.sent()[before:]) == 1


def test_an_email_retried_after_the_safe_window_waits_for_the_next(app, db, keyring, relay):
    with db.session() as s:
        contact = {"name": "María López", "email": "maria@example.org", "preferred": "email"}
        case, _receipt = make_case(
            s, keyring, narrative=NARRATIVE, contact=contact, witnesses="contact times: mornings"
        )
        s.commit()
        case_id = case.id
    _move(db, case_id, Status.TRIAGE)
    _compose(app, _tomorrow_at(8))
    (planned,) = _updates(db, case_id)
    relay.busy = 1  # the relay is busy at 9:00 (451): the email is to be tried again
    _time_passes(app, to=_tomorrow_at(9))
    assert relay.letters() == []
    _time_passes(app, to=_tomorrow_at(14))  # the retry comes in the afternoon: not a safe time
    assert relay.letters() == []
    (kept,) = _updates(db, case_id)
    assert kept.state is MessageState.QUEUED and kept.id == planned.id
    _time_passes(app, to=_tomorrow_at(10) + dt.timedelta(days=1))
    assert len(relay.letters()) == 1


def test_a_closing_goes_by_email_with_the_finding_in_plain_words(app, db, keyring, relay):
    with db.session() as s:
        contact = {"name": "María López", "email": "maria@example.org", "preferred": "email"}
        case, receipt = make_case(s, keyring, narrative=NARRATIVE, contact=contact, witnesses="contact times: mornings")
        s.commit()
        case_id, pin = case.id, receipt.pin
    _move(db, case_id, Status.TRIAGE)
    _move(db, case_id, Status.CLOSED, reason="outside our remit", disposition=Disposition.NO_JURISDICTION)
    _compose(app, _tomorrow_at(15))
    planned = _updates(db, case_id)
    assert [m.meta["update"] for m in planned] == ["acknowledged", "closed"]
    assert all(m.meta["send_after"] == (_tomorrow_at(9) + dt.timedelta(days=1)).isoformat() for m in planned)
    _send_due(app)
    assert relay.received == []  # 15:00 is not in the morning
    _time_passes(app)
    (letter,) = relay.letters()  # the acknowledgement had not gone: the closing says it all
    plain = letter.get_body(("plain",)).get_content()
    assert t("es", FINDINGS[Disposition.NO_JURISDICTION]) in plain and "cerrado" in plain
    assert pin not in plain and "empujó" not in plain


def test_a_resident_who_chose_a_call_gets_a_call_back_task_for_staff(app, db, keyring):
    with db.session() as s:
        contact = {"name": "María López", "phone": "(209) 555-0142", "preferred": "phone"}
        case, _receipt = make_case(s, keyring, narrative=NARRATIVE, contact=contact, witnesses="contact times: 9-5")
        s.commit()
        case_id = case.id
    _move(db, case_id, Status.TRIAGE)
    _compose(app, _tomorrow_at(7))
    (task,) = _updates(db, case_id)
    assert task.channel is Channel.VOICE and task.meta["callback"] and task.state is MessageState.PENDING
    assert task.meta["send_after"] == _tomorrow_at(9).isoformat()
    assert task.meta["english"].startswith("Update on your report")
    with db.session() as s:
        case = s.get(Case, case_id)
        assert case is not None and callback_pending(s, case)


def test_nothing_goes_after_stop(app, db, keyring, fake_twilio):
    case_id, _pin = _texting_case(app, db, keyring, form=sms_form("Hola"))
    post_signed(app.test_client(), "/twilio/sms", sms_form("STOP"))
    _send_due(app)
    before = len(fake_twilio.sent())
    _move(db, case_id, Status.TRIAGE)
    _compose(app, _tomorrow_at(10))
    _time_passes(app)
    assert fake_twilio.sent()[before:] == [] and _updates(db, case_id) == []
    assert "case.update_withheld" in _actions(db, case_id)


def test_an_anonymous_filer_gets_nothing(app, db, keyring, fake_twilio):
    with db.session() as s:
        case, _receipt = make_case(s, keyring, anonymous=True, contact=None)
        s.commit()
        case_id = case.id
    _move(db, case_id, Status.TRIAGE)
    assert _compose(app, _tomorrow_at(10)) == 0
    assert "case.update_planned" not in _actions(db, case_id) and _updates(db, case_id) == []


def test_a_quiet_case_gets_one_reminder_per_period(app, db, keyring, fake_twilio):
    case_id, _pin = _texting_case(app, db, keyring, form=sms_form("Hola"))
    composer = _composer(app)
    assert composer.remind(now=utcnow() + dt.timedelta(days=29)) == 0
    later = utcnow() + dt.timedelta(days=31)
    assert composer.remind(now=later) == 1
    assert composer.remind(now=later) == 0  # the same quiet spell: once
    _compose(app, later)
    (reminder,) = _updates(db, case_id)
    assert reminder.meta["update"] == "reminder"
    assert composer.remind(now=later + dt.timedelta(days=1)) == 0  # the reminder is news
    assert composer.remind(now=utcnow() + dt.timedelta(days=62)) == 1  # a second quiet period


def test_staff_see_the_updates_on_the_case_page_in_both_languages(app, db, keyring):
    case_id, _pin = _texting_case(app, db, keyring, form=sms_form("Hola"), witnesses="contact times: after 6 pm")
    _move(db, case_id, Status.TRIAGE)
    from tests.console.conftest import sign_in

    client = app.test_client()
    with db.session() as s:
        reader = make_staff(s, role=Role.INTAKE, email="reader@example.org")
        s.commit()
        s.refresh(reader)
        s.expunge(reader)
    sign_in(client, reader)
    page = client.get(f"/console/cases/{case_id}").get_data(as_text=True)
    assert "Updates to the resident" in page and "acknowledged" in page
    _compose(app, _tomorrow_at(10))
    page = client.get(f"/console/cases/{case_id}").get_data(as_text=True)
    number = _number(db, case_id)
    assert t("es", TEXTS[UpdateKind.ACKNOWLEDGED], tracking_number=number, finding="").split(":")[0] in page
    assert f"Update on your report {number}" in page and "Planned for" in page


def test_a_planned_update_is_written_once_even_when_the_worker_repeats_it(app, db, keyring, fake_twilio):
    case_id, _pin = _texting_case(app, db, keyring, form=sms_form("Hola"))
    _move(db, case_id, Status.TRIAGE)
    with db.session() as s:
        payload = s.scalars(select(Job.payload).where(Job.kind == updates.COMPOSE_KIND)).one()
    composer = _composer(app)
    composer.compose(payload, now=_tomorrow_at(10))
    composer.compose(payload, now=_tomorrow_at(10))  # the worker died before it marked the job done
    assert len(_updates(db, case_id)) == 1


def test_a_text_update_goes_to_the_number_the_resident_gave_not_the_phone_they_wrote_from(
    app, db, keyring, fake_twilio
):
    case_id, _pin = _texting_case(app, db, keyring, form=sms_form("Hola", sender="+12095550177"))
    before = len(fake_twilio.sent())
    _move(db, case_id, Status.TRIAGE)
    _compose(app, _tomorrow_at(10))
    _time_passes(app)
    (sent,) = fake_twilio.sent()[before:]
    assert sent["To"] == "+12095550142" and sent["From"] == HEARD_NUMBER
