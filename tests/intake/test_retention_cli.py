"""``intake retention apply`` as a user runs it, and the worker's daily run."""

from __future__ import annotations

import subprocess
from pathlib import Path

from sqlalchemy import select

from intake import audit, crypto, jobs
from intake.cases import lifecycle
from intake.db import Database
from intake.enums import Disposition, JobState, Status
from intake.models import Case, Job
from tests.factories import make_case
from tests.intake.test_backup import INTAKE, _env
from worker import RETENTION_JOB, build_worker


def _closed_case(url: str, instance: Path) -> tuple[Database, int]:
    keyring = crypto.load_keyring(instance, environ={})
    audit.use_key(audit.chain_key(keyring.hmac_key))
    database = Database(url)
    with database.session() as s:
        case, _ = make_case(s, keyring, narrative="Words to be purged one day")
        for step, disposition in ((Status.TRIAGE, None), (Status.CLOSED, Disposition.UNFOUNDED)):
            lifecycle.change_status(s, case=case, to=step, actor="test", reason="test", disposition=disposition)
        s.commit()
        return database, case.id


def _run(url: str, instance: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [INTAKE, *args], env={**_env(url, instance), **env}, capture_output=True, text=True, timeout=300, check=False
    )


def test_a_dry_run_prints_what_would_go_and_changes_nothing_then_the_run_purges_and_the_chain_verifies(
    fresh_database_url, tmp_path
):
    instance = tmp_path / "instance"
    assert _run(fresh_database_url, instance, "secrets", "init").returncode == 0
    database, case_id = _closed_case(fresh_database_url, instance)
    dry = _run(fresh_database_url, instance, "retention", "apply", "--dry-run", "--as-of", "2100-01-01")
    assert dry.returncode == 0, dry.stderr
    assert "dry run: nothing changed" in dry.stdout and "would purge contact details (1)" in dry.stdout
    with database.session() as s:
        assert s.get(Case, case_id).narrative == "Words to be purged one day"
    off = _run(
        fresh_database_url, instance, "retention", "apply", "--as-of", "2100-01-01",
        HEARD_RETENTION_CONTACT_MONTHS="never", HEARD_RETENTION_CONTENT_YEARS="never",
    )  # fmt: skip
    assert off.returncode == 0 and "purged contact" not in off.stdout
    done = _run(fresh_database_url, instance, "retention", "apply", "--as-of", "2100-01-01")
    assert done.returncode == 0 and "purged narrative, transcript" in done.stdout
    with database.session() as s:
        assert s.get(Case, case_id).narrative == ""
    database.dispose()
    verify = _run(fresh_database_url, instance, "audit", "verify")
    assert verify.returncode == 0, verify.stderr
    bad = _run(fresh_database_url, instance, "retention", "apply", "--as-of", "soon")
    assert bad.returncode == 2 and "YYYY-MM-DD" in bad.stderr


def test_the_worker_queues_one_retention_run_a_day_and_runs_it(fresh_database_url, tmp_path, keyring):
    worker = build_worker({"DATABASE_URL": fresh_database_url, "HEARD_INSTANCE_DIR": str(tmp_path), "KEYRING": keyring})
    try:
        for _ in range(3):
            worker.run_once()
        with worker.database.session() as s:
            runs = list(s.scalars(select(Job).where(Job.kind == RETENTION_JOB)))
        assert len(runs) == 1 and runs[0].state is JobState.DONE, [(r.state, r.last_error) for r in runs]
        assert jobs.priority_of(RETENTION_JOB) == jobs.NORMAL
    finally:
        worker.database.dispose()
