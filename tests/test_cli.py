"""The ``intake`` command, run as a user runs it: a separate process on a real database."""

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from intake import audit, crypto
from intake.access import partners
from intake.db import Database
from tests.factories import submission_data

INTAKE = str(Path(sys.executable).parent / "intake")
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def env(fresh_database_url, tmp_path):
    # NOTE: the checkout under test comes first, not whichever copy the environment installed.
    return {
        **os.environ,
        "DATABASE_URL": fresh_database_url,
        "HEARD_INSTANCE_DIR": str(tmp_path / "instance"),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }


def intake(env, *args, stdin=""):
    return subprocess.run([INTAKE, *args], env=env, input=stdin, capture_output=True, text=True, timeout=120)


def test_db_upgrade_and_secrets_init_are_repeatable(env, tmp_path):
    for _ in range(2):
        assert intake(env, "db", "upgrade").returncode == 0
    first = intake(env, "secrets", "init")
    second = intake(env, "secrets", "init")
    assert "created" in first.stdout and "kept existing" in second.stdout
    assert (tmp_path / "instance" / crypto.SECRETS_FILE).exists()


def test_partner_create_prints_a_working_token_last(env, fresh_database_url):
    assert intake(env, "secrets", "init").returncode == 0  # the audit log is keyed with them
    result = intake(env, "partner", "create", "Stockton NAACP")
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip().splitlines()[-1]
    database = Database(fresh_database_url)
    with database.session() as s:
        partner = partners.authenticate(s, token=token)
        assert partner is not None and partner.name == "Stockton NAACP"
        assert token not in s.execute(text("SELECT token_digest FROM partners")).scalar_one()
    database.dispose()
    again = intake(env, "partner", "create", "Stockton NAACP")
    assert again.returncode == 1 and "already exists" in again.stderr


def test_staff_create_reads_the_password_from_stdin(env):
    assert intake(env, "secrets", "init").returncode == 0  # the audit log is keyed with them
    result = intake(
        env, "staff", "create", "--email", "Ana@City.gov", "--role", "supervisor", stdin="a long enough passphrase\n"
    )
    assert result.returncode == 0, result.stderr
    assert "ana@city.gov" in result.stdout and "supervisor" in result.stdout
    short = intake(env, "staff", "create", "--email", "b@city.gov", "--role", "intake", stdin="short\n")
    assert short.returncode == 1 and "at least 12" in short.stderr
    bad_role = intake(env, "staff", "create", "--email", "c@city.gov", "--role", "chief", stdin="x" * 20)
    assert bad_role.returncode == 2


def _file_one(env, fresh_database_url):
    from intake.cases import filing as complaints

    assert intake(env, "secrets", "init").returncode == 0
    keyring = crypto.load_keyring(Path(env["HEARD_INSTANCE_DIR"]), environ={})
    audit.use_key(audit.chain_key(keyring.hmac_key))  # as this installation's processes key the log
    database = Database(fresh_database_url)
    with database.session() as s:
        submission = complaints.parse_submission(submission_data())
        complaints.file_case(s, keyring=keyring, submission=submission, actor="test")
        s.commit()
    return database


def test_export_leaves_out_contact_unless_asked(env, fresh_database_url):
    _file_one(env, fresh_database_url).dispose()
    plain = intake(env, "export", "--format", "jsonl")
    assert plain.returncode == 0, plain.stderr
    record = json.loads(plain.stdout.splitlines()[0])
    assert record["narrative"] == submission_data()["narrative"]
    assert "contact_phone" not in record and "+1209" not in plain.stdout and "María" not in plain.stdout
    full = intake(env, "export", "--format", "csv", "--include-contact")
    rows = list(csv.DictReader(io.StringIO(full.stdout)))
    assert len(rows) == 1 and rows[0]["contact_phone"] == "+12095550142" and rows[0]["contact_name"] == "María López"
    assert "exported 1 cases" in full.stderr


def test_audit_verify_catches_a_row_edited_in_the_database(env, fresh_database_url):
    database = _file_one(env, fresh_database_url)
    assert intake(env, "partner", "create", "Partner A").returncode == 0
    assert intake(env, "export", "--format", "jsonl").returncode == 0
    ok = intake(env, "audit", "verify")
    assert ok.returncode == 0 and "intact: 3 entries" in ok.stdout

    with database.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
        else:
            conn.execute(text("DROP TRIGGER audit_log_no_update"))
        conn.execute(text("UPDATE audit_log SET actor = 'cli:someone-else' WHERE seq = 2"))
    database.dispose()
    broken = intake(env, "audit", "verify")
    assert broken.returncode == 1
    assert "AUDIT CHAIN BROKEN at entry 2" in broken.stderr


def test_key_rotation_re_encrypts_every_contact(env, fresh_database_url, tmp_path):
    _file_one(env, fresh_database_url).dispose()
    result = intake(env, "keys", "rotate")
    assert result.returncode == 0, result.stderr
    path = Path(env["HEARD_INSTANCE_DIR"]) / crypto.SECRETS_FILE
    data = json.loads(path.read_text())
    assert len(data["fernet_keys"]) == 2
    data["fernet_keys"] = data["fernet_keys"][:1]  # retire the old key
    path.write_text(json.dumps(data))
    export = intake(env, "export", "--format", "jsonl", "--include-contact")
    assert export.returncode == 0, export.stderr
    assert json.loads(export.stdout)["contact_phone"] == "+12095550142"


def test_a_configuration_error_is_one_clear_line(env):
    result = intake(env, "export", "--include-contact")
    assert result.returncode == 1
    assert "intake secrets init" in result.stderr and "Traceback" not in result.stderr


def test_case_unlock_pin_opens_a_locked_pin_again(env, fresh_database_url):
    from sqlalchemy import select

    from intake.cases import tracking
    from intake.models import Case

    database = _file_one(env, fresh_database_url)
    with database.session() as s:
        case = s.scalars(select(Case)).one()
        case.pin_failures, case.pin_locked_at = 10, case.created_at
        number = tracking.format_tracking_number(case.tracking_number)
        s.commit()
    result = intake(env, "case", "unlock-pin", number)
    assert result.returncode == 0, result.stderr
    with database.session() as s:
        case = s.scalars(select(Case)).one()
        assert case.pin_locked_at is None and case.pin_failures == 0
    database.dispose()
    assert intake(env, "case", "unlock-pin", "000-000-0000").returncode == 1


def test_audit_verify_catches_a_tail_cut_and_a_head_rewritten(env, fresh_database_url):
    database = _file_one(env, fresh_database_url)
    assert intake(env, "partner", "create", "Partner A").returncode == 0
    assert intake(env, "partner", "create", "Partner B").returncode == 0
    ok = intake(env, "audit", "verify")
    assert ok.returncode == 0 and "anchored at entry 3" in ok.stdout
    anchor = Path(env["HEARD_INSTANCE_DIR"]) / audit.ANCHOR_FILE
    assert oct(anchor.stat().st_mode & 0o777) == "0o600"

    # Someone with the database, not the instance folder: cut the last entry, make the head agree.
    with database.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
        else:
            conn.execute(text("DROP TRIGGER audit_log_no_delete"))
        conn.execute(text("DELETE FROM audit_log WHERE seq = 3"))
        second = conn.execute(text("SELECT hash FROM audit_log WHERE seq = 2")).scalar_one()
        conn.execute(text("UPDATE audit_head SET seq = 2, hash = :h"), {"h": second})
    database.dispose()
    broken = intake(env, "audit", "verify")
    assert broken.returncode == 1
    assert "AUDIT CHAIN BROKEN at entry 3" in broken.stderr and "cut" in broken.stderr
    # A head printed earlier and kept elsewhere catches it too.
    kept = Path(env["HEARD_INSTANCE_DIR"]).parent / "head-kept-elsewhere.json"
    kept.write_text(anchor.read_text())
    anchor.unlink()
    assert "cut" in intake(env, "audit", "verify", "--anchor", str(kept)).stderr


def test_jobs_retry_dead_queues_dead_jobs_again_and_status_names_them(env, fresh_database_url):
    from intake import jobs
    from intake.enums import JobState
    from intake.models import Job

    database = Database(fresh_database_url)
    with database.session() as s:
        dead = jobs.enqueue(s, kind="translate.case", payload={"case_id": 1})
        dead.state, dead.attempts, dead.last_error = JobState.DEAD, 10, "RuntimeError: model damaged"
        kept = jobs.enqueue(s, kind="sms.send", payload={"message_id": 1})
        kept.state = JobState.DEAD
        s.commit()
        ids = (dead.id, kept.id)
    status = intake(env, "jobs", "status")
    assert status.returncode == 0, status.stderr
    assert "dead 2" in status.stdout and "model damaged" in status.stdout
    result = intake(env, "jobs", "retry-dead", "--kind", "translate.case")
    assert result.returncode == 0, result.stderr
    assert f"queued 1 dead jobs again: {ids[0]}" in result.stdout
    with database.session() as s:
        again, left = s.get(Job, ids[0]), s.get(Job, ids[1])
        assert again is not None and again.state == JobState.QUEUED and again.attempts == 0
        assert left is not None and left.state == JobState.DEAD
    database.dispose()
