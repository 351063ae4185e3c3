"""``intake retention apply``, ``intake backup`` and ``intake restore``."""

from __future__ import annotations

import datetime as dt
import getpass
import os
import sys
from pathlib import Path

import click

from intake import audit, crypto
from intake.config import Settings
from intake.db import Database, utcnow
from intake.errors import ConfigurationError
from intake.retention.apply import apply_schedule
from intake.retention.backup import BackupError, restore_backup, take_backup, verify_evidence
from intake.retention.policy import RetentionPolicy
from intake.storage import Storage, StorageError, from_settings


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no user name in some containers
        return "cli:unknown"


def _as_of(value: str | None) -> dt.datetime:
    if value is None:
        return utcnow()
    try:
        day = dt.date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter("give a date as YYYY-MM-DD", param_hint="--as-of") from exc
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc)


def _storage(settings: Settings) -> Storage:
    """The storage the service uses (HEARD_STORAGE_URL: files under the instance folder, or an S3 bucket)."""
    return from_settings(settings.storage_url, instance_dir=settings.instance_dir)


@click.group()
def retention() -> None:
    """The retention schedule (HEARD_RETENTION_*)."""


@retention.command("apply")
@click.option("--dry-run", is_flag=True, help="Print what would be purged and change nothing.")
@click.option("--as-of", "as_of", default=None, metavar="YYYY-MM-DD", help="Apply the schedule as on this day.")
@click.pass_obj
def retention_apply(settings: Settings, dry_run: bool, as_of: str | None) -> None:
    """Purge what the schedule says is due; safe to interrupt and to run again."""
    when = _as_of(as_of)
    policy = RetentionPolicy.from_env(os.environ)
    keyring = crypto.load_keyring(settings.instance_dir)
    database = Database(settings.database_url)
    try:
        report = apply_schedule(
            database,
            storage=_storage(settings),
            keyring=keyring,
            policy=policy,
            as_of=when,
            actor=_actor(),
            dry_run=dry_run,
        )
    except (ConfigurationError, StorageError) as exc:
        click.echo(f"error: {exc} (what was purged before stays purged; run it again)", err=True)
        sys.exit(1)
    finally:
        database.dispose()
    click.echo(f"retention as of {when.date().isoformat()}{' (dry run: nothing changed)' if dry_run else ''}:")
    for line in report.lines():
        click.echo(f"  {line}")


@click.command("backup")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path), help="A new, empty folder.")
@click.pass_obj
def backup(settings: Settings, out: Path) -> None:
    """Write a consistent backup (database, evidence, spool, SHA-256 manifest); never the keys."""
    try:
        storage = _storage(settings)
        manifest = take_backup(settings.database_url, storage, out, instance_dir=settings.instance_dir)
    except (BackupError, ConfigurationError, StorageError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    rows = sum(manifest.counts.values())
    click.echo(
        f"backed up the {manifest.engine} database ({rows} rows) and {len(manifest.files)} files"
        f" from {storage.describe()} to {out}"
    )
    click.echo("the keys are NOT in the backup: keep secrets.json (or HEARD_FERNET_KEYS) safe apart from it")


@click.command("restore")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.pass_obj
def restore(settings: Settings, folder: Path) -> None:
    """Restore a backup into an EMPTY instance, checking every SHA-256, then the evidence and the audit chain."""
    try:
        storage = _storage(settings)
        restored = restore_backup(folder, settings.database_url, storage)
    except (BackupError, ConfigurationError, StorageError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    click.echo(
        f"restored {sum(restored.counts.values())} rows and {restored.files} files into {storage.describe()};"
        " every SHA-256 matches"
    )
    try:
        keyring = crypto.load_keyring(settings.instance_dir)
    except Exception:  # the keys are put in place apart from the backup
        click.echo("no keys here yet: put secrets.json in place, then run `intake audit verify`")
        return
    audit.use_key(audit.chain_key(keyring.hmac_key))
    database = Database(settings.database_url)
    try:
        checked, problems = verify_evidence(database, storage, keyring)
        with database.session() as session:
            chain = audit.verify_chain(session)
    finally:
        database.dispose()
    for problem in problems:
        click.echo(f"error: {problem}", err=True)
    click.echo(f"{checked - len(problems)} of {checked} evidence files decrypt and match their SHA-256")
    if not chain.ok:
        click.echo(f"AUDIT CHAIN BROKEN at entry {chain.first_bad_seq}: {chain.problem}", err=True)
    if problems or not chain.ok:
        sys.exit(1)
    click.echo(f"audit chain intact: {chain.checked} entries")
