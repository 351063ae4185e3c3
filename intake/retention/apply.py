"""One retention run: every rule of the schedule, in order, each safe to interrupt and to run again."""

from __future__ import annotations

import datetime as dt

from intake.crypto import Keyring
from intake.db import Database
from intake.retention.cases import purge_cases
from intake.retention.housekeeping import (
    purge_drafts,
    purge_jobs,
    purge_phone_numbers,
    purge_sessions,
    purge_spool,
    purge_unfinished_writes,
)
from intake.retention.policy import RetentionPolicy
from intake.retention.report import RetentionReport
from intake.storage import Storage


def apply_schedule(
    database: Database,
    *,
    storage: Storage,
    keyring: Keyring,
    policy: RetentionPolicy,
    as_of: dt.datetime,
    actor: str,
    dry_run: bool = False,
) -> RetentionReport:
    """Purge everything the schedule says is due at ``as_of`` (or, with ``dry_run``, only say what)."""
    report = RetentionReport(dry_run=dry_run)
    purge_cases(database, storage=storage, keyring=keyring, policy=policy, as_of=as_of, report=report, actor=actor)
    purge_phone_numbers(database, policy=policy, as_of=as_of, report=report, actor=actor)
    purge_drafts(database, storage=storage, policy=policy, as_of=as_of, report=report, actor=actor)
    purge_sessions(database, policy=policy, as_of=as_of, report=report, actor=actor)
    purge_jobs(database, policy=policy, as_of=as_of, report=report, actor=actor)
    purge_spool(database, storage=storage, keyring=keyring, policy=policy, as_of=as_of, report=report, actor=actor)
    purge_unfinished_writes(database, storage=storage, report=report, actor=actor)
    if not dry_run:
        database.flush_deleted()  # the purged words out of SQLite's log too
    return report
