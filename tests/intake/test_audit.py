import threading

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from intake import audit
from intake.db import Database
from intake.models import AuditEntry, AuditHead


def _append(session, count):
    for i in range(count):
        audit.record(
            session,
            actor="staff:1",
            action="case.read",
            case_id=None,
            summary={"i": i},
            change={"secret": f"value {i}"},
        )


def _unlock_audit_log(session):
    """Do what an attacker with DDL rights would: switch the append-only trigger off."""
    if session.bind.dialect.name == "postgresql":
        session.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
    else:
        session.execute(text("DROP TRIGGER audit_log_no_update"))
        session.execute(text("DROP TRIGGER audit_log_no_delete"))


def test_an_untouched_chain_verifies(session):
    _append(session, 5)
    report = audit.verify_chain(session)
    assert report.ok and report.checked == 5


def test_entries_keep_a_digest_not_the_change(session):
    entry = audit.record(session, actor="cli:x", action="cases.exported", change={"phone": "+12095550142"})
    assert "+1209" not in str(entry.summary) and len(entry.digest) == 64
    assert entry.digest == audit.change_digest({"phone": "+12095550142"})


def test_the_database_refuses_update_and_delete(session):
    _append(session, 2)
    session.flush()
    for statement in ("UPDATE audit_log SET actor = 'x' WHERE seq = 1", "DELETE FROM audit_log WHERE seq = 1"):
        with pytest.raises(DatabaseError, match="append-only"), session.begin_nested():
            session.execute(text(statement))


def test_an_edited_row_is_named(session):
    _append(session, 5)
    _unlock_audit_log(session)
    session.execute(text("UPDATE audit_log SET actor = 'staff:2' WHERE seq = 3"))
    session.expire_all()
    report = audit.verify_chain(session)
    assert not report.ok and report.first_bad_seq == 3 and "altered" in report.problem


def test_an_edited_summary_is_named(session):
    _append(session, 4)
    _unlock_audit_log(session)
    entry = session.get(AuditEntry, 2)
    entry.summary = {"i": 99}
    session.flush()
    session.expire_all()
    report = audit.verify_chain(session)
    assert report.first_bad_seq == 2


def test_a_removed_row_is_named(session):
    _append(session, 5)
    _unlock_audit_log(session)
    session.execute(text("DELETE FROM audit_log WHERE seq = 2"))
    report = audit.verify_chain(session)
    assert report.first_bad_seq == 2 and "missing" in report.problem


def test_a_removed_last_row_is_caught_by_the_head(session):
    _append(session, 5)
    _unlock_audit_log(session)
    session.execute(text("DELETE FROM audit_log WHERE seq = 5"))
    report = audit.verify_chain(session)
    assert not report.ok and report.first_bad_seq == 5


def test_reordered_rows_are_named(session):
    _append(session, 5)
    _unlock_audit_log(session)
    two, three = session.get(AuditEntry, 2), session.get(AuditEntry, 3)
    fields = ("occurred_at", "actor", "action", "summary", "digest", "prev_hash", "hash")
    values2, values3 = ({f: getattr(e, f) for f in fields} for e in (two, three))
    for f in fields:
        setattr(two, f, values3[f])
        setattr(three, f, values2[f])
    session.flush()
    session.expire_all()
    report = audit.verify_chain(session)
    assert report.first_bad_seq == 2


def test_concurrent_appends_never_fork_the_chain(fresh_database_url):
    database = Database(fresh_database_url)
    errors = []

    def worker(n):
        try:
            for i in range(10):
                with database.session() as s:
                    audit.record(s, actor=f"staff:{n}", action="case.read", summary={"i": i})
                    s.commit()
        except Exception as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with database.session() as s:
        report = audit.verify_chain(s)
        assert report.ok and report.checked == 60
        assert s.scalar(select(AuditHead.seq)) == 60
    database.dispose()
