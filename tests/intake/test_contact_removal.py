"""Contact details taken out of what was written, and nothing else (intake/contact_removal.py, issue 17)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from intake import privacy
from intake.cases import lifecycle
from intake.contact_removal import CONTACT_DELETED, take_contact_out
from intake.db import utcnow
from intake.enums import Channel, Direction, Disposition, MessageState, Role, Status
from intake.models import Message
from tests.factories import make_case, make_staff


def _say(session, case, body, *, direction=Direction.INBOUND, state=MessageState.PROCESSED, **kw):  # type: ignore[no-untyped-def]
    message = Message(case_id=case.id, channel=Channel.SMS, direction=direction, conversation_id=case.conversation_id,
                      body=body, state=state, **kw)  # fmt: skip
    session.add(message)
    session.flush()
    return message


def test_only_the_stored_details_go_never_the_common_words_they_share(session, keyring):
    case, _ = make_case(session, keyring, contact={"name": "Will Park", "phone": "(209) 555-0199",
                                                   "email": "will@example.org", "preferred": "sms"})  # fmt: skip
    case.conversation_id = "sms-park"
    kept = _say(session, case, "I will walk to the park; Room 12 is mine, stopped 12/05, case 482-193-7703")
    named = _say(session, case, "This is Will Park, WILL PARK, at +1 (209) 555-0199 or will@example.org")
    take_contact_out(session, case=case, keyring=keyring)
    assert kept.body == "I will walk to the park; Room 12 is mine, stopped 12/05, case 482-193-7703"
    assert "Will" not in named.body and "PARK" not in named.body and "555" not in named.body
    assert "example.org" not in named.body and named.body.count(CONTACT_DELETED) == 4, named.body


def test_an_old_case_never_takes_the_report_its_phone_is_writing_now(session, keyring):
    supervisor = make_staff(session, Role.SUPERVISOR, "boss@example.org")
    case, _ = make_case(session, keyring)
    case.conversation_id = "sms-one-phone"
    case.created_at = utcnow() - dt.timedelta(days=900)
    added = _say(session, case, "one more thing", created_at=utcnow() - dt.timedelta(days=800))
    added.case_id = None
    today = _say(session, case, "a new report, written now")
    today.case_id = None
    waiting = _say(session, case, "the officer's car was 44", state=MessageState.RECEIVED)
    for step, disposition in ((Status.TRIAGE, None), (Status.CLOSED, Disposition.UNFOUNDED)):
        lifecycle.change_status(session, case=case, to=step, actor="test", reason="test", disposition=disposition)
    session.flush()
    privacy.erase_for(session, viewer=supervisor, case_id=case.id, reason="asked in writing")
    session.flush()
    bodies = {m.id: m.body for m in session.scalars(select(Message))}
    assert bodies[added.id] == privacy.ERASED  # what the resident added to this report
    assert bodies[today.id] == "a new report, written now"  # a new report being written
    assert bodies[waiting.id] == "the officer's car was 44"  # a text still waiting for its turn


def test_deleted_details_are_not_left_in_the_sqlite_file_or_its_log(tmp_path, keyring):
    from pathlib import Path

    from intake.db import Database
    from intake.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'heard.db'}"
    upgrade(url)
    database = Database(url)
    try:
        with database.session() as s:
            case, _ = make_case(s, keyring, contact={"name": "Quintessa Varnholt", "email": "qv@example.org",
                                                      "preferred": "email"})  # fmt: skip
            case.conversation_id = "chat-qv"
            _say(s, case, "me llamo Quintessa Varnholt, escriban a qv@example.org")
            # A long text spills into overflow pages, which an erasure frees (secure_delete zeroes them).
            _say(s, case, "Varnholt " + "relato largo " * 800)
            s.commit()
            privacy.forget_contact(s, case=case, keyring=keyring)
            s.commit()
        assert database.flush_deleted()
        on_disk = b"".join(p.read_bytes() for p in Path(tmp_path).glob("heard.db*"))
        assert b"Varnholt" not in on_disk and b"qv@example.org" not in on_disk
        with database.session() as s:  # then erased: the long text's pages are freed, and zeroed
            supervisor = make_staff(s, Role.SUPERVISOR, "boss@example.org")
            privacy.erase_for(s, viewer=supervisor, case_id=case.id, reason="asked in writing")
            s.commit()
        assert database.flush_deleted()
        on_disk = b"".join(p.read_bytes() for p in Path(tmp_path).glob("heard.db*"))
        assert b"relato largo" not in on_disk
    finally:
        database.dispose()
