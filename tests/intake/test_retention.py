"""The retention schedule on a real database (SQLite and PostgreSQL), committed as the worker and CLI commit."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text

from intake import audit, evidence
from intake.cases import lifecycle
from intake.conversations import messaging
from intake.crypto import Keyring
from intake.db import Database, utcnow
from intake.enums import Channel, Direction, Disposition, JobState, Language, MessageState, Role, Status
from intake.errors import ConfigurationError, PermissionDenied, ValidationError
from intake.models import (
    Attachment,
    AuditEntry,
    Case,
    Contact,
    Job,
    Message,
    QuarantinedRequest,
    ResumeCode,
    SignInThrottle,
    StaffNote,
    Translation,
    WebSession,
)
from intake.reports import open_data
from intake.reports.board import Quarter, ReportSettings, board_report
from intake.retention import holds
from intake.retention.apply import apply_schedule
from intake.retention.policy import RetentionPolicy, months_before
from intake.storage import FolderStorage, Storage
from tests.factories import make_case as file_case
from tests.factories import make_staff, submission_data
from tests.s3 import s3_endpoint, storage_env, storage_for  # noqa: F401 - fixtures used by name
from webhooks.twilio.spool import Spool

FAR_FUTURE = dt.datetime(2100, 1, 1, tzinfo=dt.timezone.utc)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 4
# Words only the purged case holds, to search the whole database for afterwards.
SECRET_WORDS = ("Zanzibarfence", "Quillmoor", "Ottoline Verbeck", "ottoline@example.org")


@pytest.fixture
def db(fresh_database_url: str) -> Iterator[Database]:
    database = Database(fresh_database_url)
    yield database
    database.dispose()


def _close(session: Any, case: Case) -> None:
    for step, disposition in ((Status.TRIAGE, None), (Status.CLOSED, Disposition.UNFOUNDED)):
        lifecycle.change_status(session, case=case, to=step, actor="test", reason="test", disposition=disposition)


def _scenario(db: Database, keyring: Keyring, storage: Storage) -> dict[str, Any]:
    """Three cases: one closed (to be purged), one closed on legal hold, one open; each with words and a file."""
    ids: dict[str, Any] = {}
    with db.session() as s:
        supervisor = make_staff(s, Role.SUPERVISOR, "boss@example.org")
        for name in ("purged", "held", "open"):
            words = f"{SECRET_WORDS[0]} pushed me at {SECRET_WORDS[1]}" if name == "purged" else f"The {name} story"
            contact = {
                "name": SECRET_WORDS[2],
                "email": SECRET_WORDS[3],
                "phone": "(209) 555-0199",
                "preferred": "email",
            }
            case, receipt = file_case(
                s,
                keyring,
                narrative=words,
                location=f"{SECRET_WORDS[1]} Street" if name == "purged" else "Main Street",
                contact=contact if name == "purged" else submission_data()["contact"],
                channel="sms",
            )
            case.category = "force"
            case.conversation_id = f"conv-{name}"
            stored = evidence.store(storage, keyring, JPEG + name.encode(), "image/jpeg")
            s.add(
                Attachment(
                    case_id=case.id,
                    content_type="image/jpeg",
                    size_bytes=len(JPEG) + len(name),
                    sha256=stored.sha256,
                    storage_key=stored.storage_key,
                    filename=f"{name}.jpg",
                )
            )
            s.add(
                Message(
                    case_id=case.id,
                    channel=Channel.SMS,
                    direction=Direction.INBOUND,
                    conversation_id=case.conversation_id,
                    body=words,
                    state=MessageState.PROCESSED,
                )
            )
            s.add(
                Translation(
                    key=f"t-{name}",
                    case_id=case.id,
                    field="narrative",
                    source_language=Language.ES,
                    target_language=Language.EN,
                    source_digest="0" * 64,
                    text=words,
                    engine="argos",
                    models=["es-en"],
                )
            )
            s.add(StaffNote(case_id=case.id, author_id=supervisor.id, body=f"Called {name}: {words}"))
            s.flush()
            if name != "open":
                _close(s, case)
            ids[name] = (case.id, receipt.tracking_number, stored.storage_key)
        s.commit()
        holds.set_hold(s, viewer=supervisor, case_id=ids["held"][0], reason="Litigation: Doe v. City, 2026-CV-113")
        s.commit()
        ids["supervisor"] = supervisor.id
    return ids


def _report_counts(db: Database) -> tuple[Any, Any]:
    """The open data's tables and the board report, as they stand (one fixed 'now')."""
    zone = dt.timezone.utc
    now = utcnow()
    with db.session() as s:
        cases = list(s.scalars(select(Case).order_by(Case.id)))
        for case in cases:
            _ = case.status_changes
        month = open_data.month_of(now, zone)
        tables = [table.counts for table in open_data.count_tables(cases, (month,), zone)]
        board = board_report(
            s, period=Quarter.containing(now, zone), settings=ReportSettings(timezone="UTC"), now=now + dt.timedelta(1)
        )
    return tables, (board.total, board.by_kind, board.by_category, board.by_disposition, board.by_language,
                    board.by_channel, board.language_access, board.quality)  # fmt: skip


def _database_text(db: Database) -> str:
    """Every row of every table of Heard's, as text, to search for what must be gone."""
    with db.session() as s:
        names = [
            row[0]
            for row in s.execute(
                text(
                    "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
                    if db.engine.dialect.name == "sqlite"
                    else "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                )
            )
        ]
        return "\n".join(
            json.dumps([list(map(str, row)) for row in s.execute(text(f'SELECT * FROM "{name}"'))]) for name in names
        )


def test_a_far_future_run_leaves_only_de_identified_records_and_held_cases_and_reports_still_count_them(
    db,
    keyring,
    tmp_path,
    storage_env,  # noqa: F811
):
    storage = storage_for(storage_env, tmp_path)
    ids = _scenario(db, keyring, storage)
    before = _report_counts(db)
    policy = RetentionPolicy()

    dry = apply_schedule(
        db, storage=storage, keyring=keyring, policy=policy, as_of=FAR_FUTURE, actor="test", dry_run=True
    )
    purged_number = ids["purged"][1]
    assert any("would purge contact details" in line and purged_number in line for line in dry.lines())
    assert any("would purge narrative" in line and purged_number in line for line in dry.lines())
    assert not any(ids["held"][1] in line for line in dry.lines()) and dry.kept_on_hold == 1
    assert all(word in _database_text(db) for word in SECRET_WORDS[:2])
    assert storage.exists(ids["purged"][2])

    done = apply_schedule(db, storage=storage, keyring=keyring, policy=policy, as_of=FAR_FUTURE, actor="test")
    assert [line.replace("would purge", "purged") for line in dry.lines()] == done.lines()

    everything = _database_text(db)
    assert not [word for word in SECRET_WORDS[:2] if word in everything]
    assert not storage.exists(ids["purged"][2])
    assert storage.exists(ids["held"][2]) and storage.exists(ids["open"][2])
    with db.session() as s:
        purged = s.get(Case, ids["purged"][0])
        assert purged is not None and purged.narrative == "" and purged.location is None
        assert purged.contact_purged_at is not None and purged.content_purged_at is not None
        # The de-identified record stays.
        record = (purged.kind.value, purged.status, purged.disposition, purged.category, purged.language)
        assert record == ("complaint", Status.CLOSED, Disposition.UNFOUNDED, "force", Language.ES)
        assert purged.channel is Channel.SMS
        assert s.get(Contact, purged.id) is None
        assert s.scalar(select(Message.body).where(Message.case_id == purged.id)) == ""
        assert s.scalar(select(Translation.text).where(Translation.case_id == purged.id)) == ""
        assert s.scalar(select(StaffNote.body).where(StaffNote.case_id == purged.id)) == ""
        for name in ("held", "open"):
            kept = s.get(Case, ids[name][0])
            assert kept is not None and kept.narrative == f"The {name} story" and kept.contact is not None
            assert kept.content_purged_at is None and kept.contact_purged_at is None
        entries = list(s.scalars(select(AuditEntry).where(AuditEntry.action == "retention.purged")))
        assert {(e.case_id, e.summary["class"], e.summary["rule"]) for e in entries} == {
            (purged.id, "contact details", "HEARD_RETENTION_CONTACT_MONTHS=12"),
            (purged.id, "narrative, transcript, translations, notes and files", "HEARD_RETENTION_CONTENT_YEARS=15"),
        }
        assert audit.verify_chain(s).ok
    assert _report_counts(db) == before

    again = apply_schedule(db, storage=storage, keyring=keyring, policy=policy, as_of=FAR_FUTURE, actor="test")
    assert again.removals == []


def test_nothing_is_purged_before_its_time_and_the_periods_count_from_the_closing(db, keyring, tmp_path):
    ids = _scenario(db, keyring, FolderStorage(tmp_path))
    policy = RetentionPolicy(contact_months=12, content_years=15)
    now = utcnow()
    early = apply_schedule(db, storage=FolderStorage(tmp_path), keyring=keyring, policy=policy, as_of=now, actor="test")
    assert not [r for r in early.removals if r.case]
    with db.session() as s:
        typed = Message(
            case_id=ids["purged"][0],
            channel=Channel.SMS,
            direction=Direction.INBOUND,
            conversation_id="conv-purged",
            body=f"soy {SECRET_WORDS[2]}, llamen al 209 555 0199",
            state=MessageState.PROCESSED,
        )
        s.add(typed)
        s.commit()
        typed_id = typed.id
    contact_only = apply_schedule(
        db, storage=FolderStorage(tmp_path), keyring=keyring, policy=policy, as_of=months_before(now, -13), actor="test"
    )
    assert [(r.data_class, r.case) for r in contact_only.removals if r.case] == [("contact details", ids["purged"][1])]
    with db.session() as s:
        case = s.get(Case, ids["purged"][0])
        assert case is not None and case.contact is None and case.narrative.startswith(SECRET_WORDS[0])
        # The details went from what the resident typed too; the rest of the words stay until their time.
        body = s.get(Message, typed_id).body
        assert "Ottoline" not in body and "555 0199" not in body and body.startswith("soy [contact details deleted]")


def test_a_legal_hold_is_a_supervisors_with_a_reason_audited_and_once_lifted_the_schedule_applies(
    db, keyring, tmp_path
):
    ids = _scenario(db, keyring, FolderStorage(tmp_path))
    held_id = ids["held"][0]
    with db.session() as s:
        intake_staff = make_staff(s, Role.INTAKE, "clerk@example.org")
        s.commit()
        with pytest.raises(PermissionDenied):
            holds.clear_hold(s, viewer=intake_staff, case_id=held_id, reason="done")
        s.commit()  # the refusal is audited
        supervisor = s.get(type(intake_staff), ids["supervisor"])
        with pytest.raises(ValidationError):
            holds.clear_hold(s, viewer=supervisor, case_id=held_id, reason="   ")
        s.rollback()
        holds.clear_hold(s, viewer=supervisor, case_id=held_id, reason="Case settled")
        s.commit()
        actions = [
            (e.action, e.summary.get("reason"))
            for e in s.scalars(select(AuditEntry).where(AuditEntry.case_id == held_id).order_by(AuditEntry.seq))
            if e.action.startswith(("case.hold", "access.denied"))
        ]
        assert actions == [
            ("case.hold_set", "Litigation: Doe v. City, 2026-CV-113"),
            ("access.denied", None),
            ("case.hold_cleared", "Case settled"),
        ]
    report = apply_schedule(
        db, storage=FolderStorage(tmp_path), keyring=keyring, policy=RetentionPolicy(), as_of=FAR_FUTURE, actor="test"
    )
    assert {r.case for r in report.removals if r.case} == {ids["purged"][1], ids["held"][1]}


def test_unfiled_texts_files_drafts_sessions_finished_jobs_and_the_drained_spool_go_on_schedule(db, keyring, tmp_path):
    old = utcnow() - dt.timedelta(days=400)
    storage = FolderStorage(tmp_path)
    spool = Spool(storage, keyring)
    inbound = messaging.InboundText(
        provider_id="SMdrained", from_number="+12095550142", to_number="+12095550100", body="hola", media=(), meta={}
    )
    waiting = messaging.InboundText(
        provider_id="SMwaiting", from_number="+12095550142", to_number="+12095550100", body="sigo", media=(), meta={}
    )
    drained_path, waiting_path = (tmp_path / spool.put(inbound), tmp_path / spool.put(waiting))
    half_written = tmp_path / "spool" / "sms" / "abc.tmp123"
    half_written.write_bytes(b"partial")
    for path in (drained_path, waiting_path, half_written):
        os.utime(path, (old.timestamp(), old.timestamp()))
    draft_file = evidence.store(storage, keyring, JPEG + b"draft", "image/jpeg")
    with db.session() as s:
        s.add_all(
            [
                Message(channel=Channel.SMS, direction=Direction.INBOUND, provider_id="SMdrained", body="hola",
                        state=MessageState.PROCESSED, created_at=old),
                Message(channel=Channel.SMS, direction=Direction.INBOUND, provider_id="SMstuck", body="still waiting",
                        state=MessageState.RECEIVED, created_at=old),
                Message(channel=Channel.SMS, direction=Direction.INBOUND, provider_id="SMnew", body="new words",
                        state=MessageState.PROCESSED),
                Attachment(content_type="image/jpeg", size_bytes=1, sha256=draft_file.sha256,
                           storage_key=draft_file.storage_key, conversation_id="c1", created_at=old),
                WebSession(token_digest="a" * 64, channel=Channel.WEB_FORM, conversation_id="web-old",
                           draft_token=keyring.encrypt("{}"), created_at=old, last_seen_at=old),
                WebSession(token_digest="b" * 64, channel=Channel.WEB_FORM, conversation_id="web-new"),
                Job(kind="sms.send", payload={}, state=JobState.DONE, updated_at=old),
                Job(kind="sms.send", payload={}, state=JobState.DEAD, updated_at=old),
                Job(kind="sms.send", payload={}, state=JobState.DONE),
            ]
        )  # fmt: skip
        s.commit()
    report = apply_schedule(
        db, storage=FolderStorage(tmp_path), keyring=keyring, policy=RetentionPolicy(), as_of=utcnow(), actor="test"
    )
    assert {r.data_class: r.count for r in report.removals} == {
        "unfiled texts": 1,
        "unfiled files": 1,
        "unfiled web form drafts": 1,
        "web sessions": 1,
        "finished jobs": 1,
        "drained spool files": 2,
    }
    assert not drained_path.exists() and not half_written.exists() and waiting_path.exists()
    assert not (tmp_path / draft_file.storage_key).exists()
    with db.session() as s:
        bodies = {provider: body for provider, body in s.execute(select(Message.provider_id, Message.body))}
        assert bodies == {"SMdrained": "", "SMstuck": "still waiting", "SMnew": "new words"}
        assert sorted(s.scalars(select(Job.state))) == sorted([JobState.DEAD, JobState.DONE])
        assert list(s.scalars(select(WebSession.conversation_id))) == ["web-new"]
        pruned = {
            e.summary["class"]: e.summary for e in s.scalars(select(AuditEntry)) if e.action == "retention.pruned"
        }
        assert pruned["finished jobs"] == {"class": "finished jobs", "rule": "HEARD_RETENTION_JOB_DAYS=14", "count": 1}
        assert audit.verify_chain(s).ok
        assert s.scalar(select(func.count()).select_from(Attachment)) == 0
    assert (
        apply_schedule(
            db, storage=FolderStorage(tmp_path), keyring=keyring, policy=RetentionPolicy(), as_of=utcnow(), actor="test"
        ).removals
        == []
    )


def test_the_schedule_is_read_from_the_environment_with_never_turning_a_rule_off():
    policy = RetentionPolicy.from_env({"HEARD_RETENTION_CONTACT_MONTHS": "6", "HEARD_RETENTION_CONTENT_YEARS": "never"})
    assert policy.contact_months == 6 and policy.content_years is None and policy.job_days == 14
    assert policy.rule("HEARD_RETENTION_CONTENT_YEARS") == "HEARD_RETENTION_CONTENT_YEARS=never"
    for bad in ("-1", "six", "1.5", "٣"):
        with pytest.raises(ConfigurationError):
            RetentionPolicy.from_env({"HEARD_RETENTION_JOB_DAYS": bad})
    assert months_before(dt.datetime(2026, 3, 31, tzinfo=dt.timezone.utc), 1).day == 28


def test_a_run_that_fails_mid_case_leaves_the_case_whole_or_done_and_the_next_run_finishes(
    db, keyring, tmp_path, monkeypatch
):
    ids = _scenario(db, keyring, FolderStorage(tmp_path))
    real_record = audit.record

    def crash_on_content(session: Any, **entry: Any) -> Any:
        if entry.get("summary", {}).get("class", "").startswith("narrative"):
            raise RuntimeError("the machine stopped")
        return real_record(session, **entry)

    monkeypatch.setattr(audit, "record", crash_on_content)
    with pytest.raises(RuntimeError):
        apply_schedule(
            db, storage=FolderStorage(tmp_path), keyring=keyring, policy=RetentionPolicy(), as_of=FAR_FUTURE, actor="t"
        )
    with db.session() as s:
        case = s.get(Case, ids["purged"][0])
        assert case is not None and case.contact_purged_at is not None and case.contact is None
        # The content purge rolled back whole: the words are there, the case is still due.
        assert case.content_purged_at is None and case.narrative.startswith(SECRET_WORDS[0])
    monkeypatch.setattr(audit, "record", real_record)
    done = apply_schedule(
        db, storage=FolderStorage(tmp_path), keyring=keyring, policy=RetentionPolicy(), as_of=FAR_FUTURE, actor="t"
    )
    assert [(r.data_class, r.case) for r in done.removals if r.case] == [
        ("narrative, transcript, translations, notes and files", ids["purged"][1])
    ]
    assert not (tmp_path / ids["purged"][2]).exists()
    with db.session() as s:
        assert s.get(Case, ids["purged"][0]).narrative == "" and audit.verify_chain(s).ok


def test_a_silent_texters_number_goes_once_their_cases_contact_details_are_gone_and_comes_back_if_they_write(
    db, keyring, tmp_path
):
    from intake.models import ConsentChange, Correspondent

    old = utcnow() - dt.timedelta(days=800)
    with db.session() as s:
        silent = messaging.get_or_create_correspondent(s, keyring=keyring, phone="+12095550101", service_number=None)
        with_case = messaging.get_or_create_correspondent(s, keyring=keyring, phone="+12095550102", service_number=None)
        recent = messaging.get_or_create_correspondent(s, keyring=keyring, phone="+12095550103", service_number=None)
        s.flush()
        silent.opted_out = True
        s.add(ConsentChange(correspondent_id=silent.id, opted_out=True, keyword="STOP"))
        case, _ = file_case(s, keyring)  # open: its contact details stay, and so does its resident's number
        for who, when, case_id in ((silent, old, None), (with_case, old, case.id), (recent, utcnow(), None)):
            who.created_at = who.updated_at = old
            s.add(Message(channel=Channel.SMS, direction=Direction.INBOUND, correspondent_id=who.id, body="",
                          state=MessageState.PROCESSED, created_at=when, case_id=case_id))  # fmt: skip
        s.commit()
        ids = (silent.id, with_case.id, recent.id)
    report = apply_schedule(
        db, storage=FolderStorage(tmp_path), keyring=keyring, policy=RetentionPolicy(), as_of=utcnow(), actor="test"
    )
    assert [(r.data_class, r.count) for r in report.removals if "phone" in r.data_class] == [
        ("phone numbers of residents who texted", 1)
    ]
    with db.session() as s:
        tokens = [s.get(Correspondent, i).phone_token for i in ids]
        assert tokens[0] is None and tokens[1] and tokens[2]
        assert s.get(Correspondent, ids[0]).opted_out  # the consent record stays
        again = messaging.get_or_create_correspondent(s, keyring=keyring, phone="+12095550101", service_number=None)
        assert again.id == ids[0] and keyring.decrypt(again.phone_token) == "+12095550101"
        s.commit()


def test_half_written_files_a_crash_left_go_after_a_day_by_the_clock_never_by_as_of(db, keyring, tmp_path):
    storage = FolderStorage(tmp_path)
    stored = evidence.store(storage, keyring, JPEG + b"kept", "image/jpeg")
    folder = (tmp_path / stored.storage_key).parent
    crashed = [folder / f".{Path(stored.storage_key).name}.tmp4242", tmp_path / "spool" / "sms" / ".a1b2.msg.tmp77"]
    writing = folder / ".c3d4.bin.tmp99"  # a write going on now
    not_ours = folder / ".notes.txt"
    for path in [*crashed, writing, not_ours]:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"partial")
    two_days_ago = (utcnow() - dt.timedelta(days=2)).timestamp()
    for path in [*crashed, not_ours]:
        os.utime(path, (two_days_ago, two_days_ago))
    far = utcnow() + dt.timedelta(days=365 * 80)
    dry = apply_schedule(
        db, storage=storage, keyring=keyring, policy=RetentionPolicy(), as_of=far, actor="t", dry_run=True
    )
    assert {r.data_class: r.count for r in dry.removals}["unfinished file writes"] == 2
    assert all(path.exists() for path in crashed)
    report = apply_schedule(db, storage=storage, keyring=keyring, policy=RetentionPolicy(), as_of=far, actor="test")
    assert {r.data_class: r.count for r in report.removals}["unfinished file writes"] == 2
    assert not any(path.exists() for path in crashed)
    assert writing.exists() and not_ours.exists()
    with db.session() as s:
        pruned = [e.summary for e in s.scalars(select(AuditEntry)) if e.action == "retention.pruned"]
        assert {"class": "unfinished file writes", "rule": "a write a crash left, after 1 day", "count": 2} in pruned
        assert audit.verify_chain(s).ok


def _text(s: Any, case_id: int | None, body: str, *, conversation: str, state: MessageState, **kw: Any) -> int:
    message = Message(
        case_id=case_id,
        channel=Channel.SMS,
        direction=Direction.INBOUND,
        conversation_id=conversation,
        body=body,
        state=state,
        **kw,
    )
    s.add(message)
    s.flush()
    return message.id


def test_purging_one_case_leaves_the_texts_of_another_case_from_the_same_phone(db, keyring, tmp_path):
    """One phone, two reports: the old closed one is purged; the held one, and what came between, stay."""
    with db.session() as s:
        supervisor = make_staff(s, Role.SUPERVISOR, "boss@example.org")
        old, _ = file_case(s, keyring, narrative="Old words of the first report", channel="sms")
        held, _ = file_case(s, keyring, narrative="Words of the second report", channel="sms")
        for case in (old, held):
            case.conversation_id = "sms-one-phone"
        ids = {
            "old": _text(s, old.id, "first report text", conversation="sms-one-phone", state=MessageState.PROCESSED),
            "held": _text(s, held.id, "second report text", conversation="sms-one-phone", state=MessageState.PROCESSED),
            "between": _text(s, None, "after filing: badge 4411", conversation="sms-one-phone",
                             state=MessageState.PROCESSED),
            "waiting": _text(s, None, "a text still waiting", conversation="sms-one-phone",
                             state=MessageState.RECEIVED),
        }  # fmt: skip
        _close(s, old)
        s.commit()
        holds.set_hold(s, viewer=supervisor, case_id=held.id, reason="Litigation: Doe v. City")
        s.commit()
        old_id = old.id
    apply_schedule(db, storage=FolderStorage(tmp_path), keyring=keyring, policy=RetentionPolicy(), as_of=FAR_FUTURE,
                   actor="test")  # fmt: skip
    with db.session() as s:
        bodies = {name: s.get(Message, i).body for name, i in ids.items()}
        assert s.get(Case, old_id).content_purged_at is not None
    assert bodies == {
        "old": "",
        "held": "second report text",
        "between": "after filing: badge 4411",
        "waiting": "a text still waiting",
    }


def test_texts_sent_after_filing_are_the_cases_not_unfiled_drafts(db, keyring, tmp_path):
    long_ago = utcnow() - dt.timedelta(days=400)
    with db.session() as s:
        case, _ = file_case(s, keyring, narrative="An open report", channel="sms")
        case.conversation_id = "sms-after"
        case.created_at = long_ago - dt.timedelta(days=1)  # filed, then the resident wrote again
        after = _text(s, None, "one more thing: car 12", conversation="sms-after", state=MessageState.PROCESSED,
                      created_at=long_ago)  # fmt: skip
        stray = _text(s, None, "hola?", conversation="sms-never-filed", state=MessageState.PROCESSED,
                      created_at=long_ago)  # fmt: skip
        s.commit()
    apply_schedule(db, storage=FolderStorage(tmp_path), keyring=keyring, policy=RetentionPolicy(), as_of=utcnow(),
                   actor="test")  # fmt: skip
    with db.session() as s:
        assert s.get(Message, after).body == "one more thing: car 12"
        assert s.get(Message, stray).body == ""  # a conversation that never filed is a draft


def test_a_far_future_run_takes_no_live_draft_session_or_lockout(db, keyring, tmp_path):
    with db.session() as s:
        draft = _text(s, None, "writing my report now", conversation="sms-live", state=MessageState.PROCESSED)
        s.add(WebSession(token_digest="c" * 64, channel=Channel.WEB_FORM, conversation_id="web-live",
                         draft_token=keyring.encrypt("{}")))  # fmt: skip
        s.add(SignInThrottle(key_digest="d" * 64, failures=10, wait_until=utcnow() + dt.timedelta(hours=1)))
        s.commit()
    apply_schedule(db, storage=FolderStorage(tmp_path), keyring=keyring, policy=RetentionPolicy(), as_of=FAR_FUTURE,
                   actor="test")  # fmt: skip
    with db.session() as s:
        assert s.get(Message, draft).body == "writing my report now"
        assert s.scalar(select(func.count()).select_from(WebSession)) == 1
        assert s.scalar(select(WebSession.draft_token)) is not None
        assert s.scalar(select(func.count()).select_from(SignInThrottle)) == 1


def test_spent_resume_codes_and_released_quarantined_texts_lose_what_they_sealed(db, keyring, tmp_path):
    long_ago = utcnow() - dt.timedelta(days=60)
    sealed = keyring.encrypt('{"name": "Ana"}')
    with db.session() as s:
        codes = [
            ResumeCode(code_digest=digest, conversation_id="c", draft_id="d", language="es", sealed_answers=sealed,
                       created_at=long_ago, expires_at=expires, used_at=used)
            for digest, expires, used in (
                ("1" * 64, long_ago + dt.timedelta(hours=1), None),  # expired long ago
                ("2" * 64, utcnow() + dt.timedelta(hours=1), long_ago),  # used long ago
                ("3" * 64, utcnow() + dt.timedelta(hours=1), None),  # still usable
            )
        ]  # fmt: skip
        kept = [
            QuarantinedRequest(path="/twilio/sms", sealed=sealed, reason="signature", received_at=long_ago,
                               released_at=released, outcome="released" if released else None)
            for released in (long_ago, None)
        ]  # fmt: skip
        s.add_all([*codes, *kept])
        s.commit()
    apply_schedule(db, storage=FolderStorage(tmp_path), keyring=keyring, policy=RetentionPolicy(), as_of=utcnow(),
                   actor="test")  # fmt: skip
    with db.session() as s:
        answers = {c.code_digest[0]: c.sealed_answers for c in s.scalars(select(ResumeCode))}
        assert answers == {"1": None, "2": None, "3": sealed}
        assert [q.released_at for q in s.scalars(select(QuarantinedRequest))] == [None]  # the waiting one stays
