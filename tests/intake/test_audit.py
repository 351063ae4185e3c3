import json
import threading

import pytest
from alembic import command
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from intake import audit
from intake.db import Database, utcnow
from intake.migrate import alembic_config, upgrade
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


# -- someone with the database but not the key (issue 16, item 14) ----------------------------


def _rechain_without_the_key(session, *, upto=None):
    """Recompute every hash and the head the way the published algorithm does, with no key: what an insider can."""
    entries = list(session.scalars(select(AuditEntry).order_by(AuditEntry.seq)))
    entries = entries if upto is None else entries[:upto]
    prev = audit.GENESIS_HASH
    for entry in entries:
        fields = {f: getattr(entry, f) for f in ("seq", "occurred_at", "actor", "action", "case_id", "summary")}
        entry.prev_hash = prev
        entry.hash = audit.entry_hash(prev_hash=prev, digest=entry.digest, key=None, **fields)
        prev = entry.hash
    session.flush()
    head = session.get(AuditHead, 1)
    head.seq, head.hash = len(entries), prev
    session.flush()
    session.expire_all()


def test_an_edit_rechained_without_the_key_is_caught(session):
    _append(session, 5)
    _unlock_audit_log(session)
    session.execute(text("UPDATE audit_log SET actor = 'staff:2' WHERE seq = 3"))
    _rechain_without_the_key(session)
    report = audit.verify_chain(session)
    assert not report.ok and report.first_bad_seq == 1 and "altered" in report.problem


def test_a_tail_cut_with_the_head_rewritten_is_caught_by_the_anchor(session, tmp_path):
    anchor = tmp_path / "instance" / audit.ANCHOR_FILE
    _append(session, 6)
    audit.advance_anchor(session, anchor)
    _unlock_audit_log(session)
    session.execute(text("DELETE FROM audit_log WHERE seq > 4"))
    last = session.get(AuditEntry, 4)
    head = session.get(AuditHead, 1)
    head.seq, head.hash = 4, last.hash  # the head rewritten to match: the database alone cannot tell
    session.flush()
    session.expire_all()
    assert audit.verify_chain(session).ok
    report = audit.verify_chain(session, anchor_path=anchor)
    assert not report.ok and report.first_bad_seq == 5 and "cut" in report.problem
    assert oct(anchor.stat().st_mode & 0o777) == "0o600"


def test_a_forged_anchor_is_refused(session, tmp_path):
    anchor = tmp_path / audit.ANCHOR_FILE
    _append(session, 3)
    audit.advance_anchor(session, anchor)
    forged = json.loads(anchor.read_text())
    forged["seq"] = 1
    anchor.write_text(json.dumps(forged))
    report = audit.verify_chain(session, anchor_path=anchor)
    assert not report.ok and "altered" in report.problem


def _legacy_database(url, *, broken=False):
    """A database at migration 0008 whose chain was written, unkeyed, before this change."""
    command.downgrade(alembic_config(url), "0008")  # the fixture's database is at head, still empty
    database = Database(url)
    prev = audit.GENESIS_HASH
    with database.engine.begin() as conn:
        for seq in (1, 2, 3):
            fields = {"seq": seq, "occurred_at": utcnow(), "actor": "staff:1", "action": "case.read", "case_id": None}
            fields |= {"summary": {"i": seq}, "digest": audit.change_digest({})}
            entry_hash = audit.entry_hash(prev_hash=prev, key=None, **fields)
            actor = "staff:2" if broken and seq == 2 else fields["actor"]  # edited after it was written
            row = {**fields, "actor": actor, "prev_hash": prev, "hash": entry_hash}
            conn.execute(AuditEntry.__table__.insert().values(**row))
            prev = entry_hash
        conn.execute(AuditHead.__table__.update().values(seq=3, hash=prev))
    return database


def test_migration_0009_keys_a_chain_written_before(fresh_database_url):
    database = _legacy_database(fresh_database_url)
    upgrade(fresh_database_url)
    with database.session() as s:
        assert audit.verify_chain(s).ok and audit.verify_chain(s).checked == 3
        audit.record(s, actor="staff:1", action="case.read")
        s.commit()
        assert audit.verify_chain(s).checked == 4
    database.dispose()


def test_migration_0009_will_not_bless_a_chain_already_broken(fresh_database_url):
    database = _legacy_database(fresh_database_url, broken=True)
    with pytest.raises(RuntimeError, match="broken at entry 2"):
        upgrade(fresh_database_url)
    database.dispose()


def test_the_anchor_never_moves_back(session, tmp_path):
    anchor = tmp_path / audit.ANCHOR_FILE
    _append(session, 3)
    assert audit.advance_anchor(session, anchor).seq == 3
    session.get(AuditHead, 1).seq = 1
    assert audit.advance_anchor(session, anchor).seq == 3
