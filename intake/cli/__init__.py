"""The ``intake`` command: database, secrets, partners, staff, export and audit."""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import os
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import click
from sqlalchemy.orm import Session

from intake import audit, crypto, migrate
from intake.cli.jobs import jobs as jobs_group
from intake.cli.quarantine import quarantine_group
from intake.cli.reports import report as report_group
from intake.cli.retention import backup as backup_command
from intake.cli.retention import restore as restore_command
from intake.cli.retention import retention as retention_group
from intake.cli.translate import translate as translate_group
from intake.config import Settings
from intake.db import Database, utcnow
from intake.enums import Role
from intake.errors import IntakeError, NotFound, ValidationError
from intake.logs import install_redaction
from intake.private import lock_down, make_private_dir
from intake.rekey import Survey, reencrypt_everything
from intake.storage import Storage, from_settings


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no user name in some containers
        return "cli:unknown"


@contextmanager
def _session(settings: Settings) -> Iterator[Session]:
    database = Database(settings.database_url)
    try:
        with database.session() as session:
            yield session
    finally:
        database.dispose()


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


@click.group()
@click.pass_context
def main(ctx: click.Context) -> None:
    """Heard's intake queue, from the command line."""
    install_redaction()
    ctx.obj = Settings.from_env()
    lock_down(ctx.obj.instance_dir, ctx.obj.database_url)
    # NOTE: without secrets yet, the commands that write the audit log say so; the others work.
    with contextlib.suppress(IntakeError):
        audit.use_key(audit.chain_key(crypto.load_keyring(ctx.obj.instance_dir).hmac_key))


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.pass_obj
def db_upgrade(settings: Settings) -> None:
    """Migrate the database to the newest schema."""
    if settings.database_url.startswith("sqlite:///"):
        make_private_dir(Path(settings.database_url.removeprefix("sqlite:///")).parent)
    migrate.upgrade(settings.database_url)
    click.echo("database is at the newest schema")


@main.group("secrets")
def secrets_group() -> None:
    """Local secrets in the instance folder."""


@secrets_group.command("init")
@click.pass_obj
def secrets_init(settings: Settings) -> None:
    """Create instance/secrets.json unless it exists."""
    made = crypto.init_secrets(settings.instance_dir)
    path = settings.instance_dir / crypto.SECRETS_FILE
    click.echo(f"created {path}" if made else f"kept existing {path}")


@main.group()
def keys() -> None:
    """Encryption keys."""


@keys.command("rotate")
@click.pass_obj
def keys_rotate(settings: Settings) -> None:
    """Add a new primary key and re-encrypt every stored secret with it; run again to resume."""
    from_env = bool(os.environ.get("HEARD_FERNET_KEYS"))
    if from_env:
        click.echo("keys come from HEARD_FERNET_KEYS: put the new key first there; re-encrypting to the first key")
    elif crypto.begin_rotation(settings.instance_dir, now=utcnow().isoformat()):
        click.echo(f"added a new primary key to {crypto.SECRETS_FILE}")
    else:
        click.echo("resuming the rotation under way (no new key added)")
    keyring = crypto.load_keyring(settings.instance_dir)
    database = Database(settings.database_url)
    try:
        left = reencrypt_everything(database, _storage(settings), keyring=keyring, actor=_actor())
    finally:
        database.dispose()
    click.echo(f"re-encrypted {sum(left.rewritten.values())} values and files ({_kinds(left.rewritten)})")
    _report_left(left)
    click.echo(
        "restart every web and worker process so they load the new key; "
        "then run `intake keys retire` (it checks again before dropping anything)"
    )


@keys.command("retire")
@click.option(
    "--grace-hours",
    default=24.0,
    show_default=True,
    help="Wait this long after the rotation began: dialogues in progress hold phone numbers sealed "
    "with the old key in Rasa's tracker store, which Heard cannot rewrite.",
)
@click.pass_obj
def keys_retire(settings: Settings, grace_hours: float) -> None:
    """Drop the older keys, only when nothing stored needs them any more."""
    keyring = crypto.load_keyring(settings.instance_dir)
    if len(keyring.fernet_keys) < 2:
        click.echo("only one key is configured; nothing to retire")
        return
    started = crypto.rotation_started_at(settings.instance_dir)
    if started is not None:
        waited = (utcnow() - dt.datetime.fromisoformat(started)).total_seconds() / 3600
        if waited < grace_hours:
            _fail(
                f"the rotation began {waited:.1f} h ago; dialogues in progress may still hold values sealed "
                f"with the old key: wait until {grace_hours:g} h have passed (or pass --grace-hours)"
            )
    database = Database(settings.database_url)
    try:
        # NOTE: one more pass picks up what a process still on the old key wrote since `rotate`.
        left = reencrypt_everything(database, _storage(settings), keyring=keyring, actor=_actor())
    finally:
        database.dispose()
    if left.needs_old_keys:
        _report_left(left)
        _fail("older keys are still needed: restart every process on the new key, then run `intake keys retire`")
    if os.environ.get("HEARD_FERNET_KEYS"):
        click.echo("nothing needs the older keys: remove all but the first key from HEARD_FERNET_KEYS now")
        return
    dropped = crypto.retire_old_keys(settings.instance_dir)
    click.echo(f"nothing needs the older keys; removed {dropped} from {crypto.SECRETS_FILE}")


def _storage(settings: Settings) -> Storage:
    return from_settings(settings.storage_url, instance_dir=settings.instance_dir)


def _kinds(counts: Counter[str]) -> str:
    return ", ".join(f"{kind}: {n}" for kind, n in sorted(counts.items()) if n) or "nothing needed it"


def _report_left(left: Survey) -> None:
    if left.unreadable:
        click.echo(f"warning: no configured key opens {_kinds(left.unreadable)}", err=True)
    if left.needs_old_keys:
        click.echo(f"still under an older key: {_kinds(left.stale)}; do NOT remove the older keys yet")


@main.group()
def partner() -> None:
    """Partner organisations that file through the API."""


@partner.command("create")
@click.argument("name")
@click.pass_obj
def partner_create(settings: Settings, name: str) -> None:
    """Register a partner and print its API token (last line; shown only now)."""
    from intake.access.partners import create_partner

    with _session(settings) as session:
        try:
            created, token = create_partner(session, name=name, actor=_actor())
        except ValidationError as exc:
            _fail(str(exc))
            return
        session.commit()
        click.echo(f"partner {created.id} ({created.name}) created; its token, shown only this once:")
    click.echo(token)


@main.group()
def staff() -> None:
    """Staff accounts."""


@staff.command("create")
@click.option("--email", required=True)
@click.option("--role", required=True, type=click.Choice(Role.values()))
@click.option("--name", "display_name", default=None, help="Name shown in the console.")
@click.pass_obj
def staff_create(settings: Settings, email: str, role: str, display_name: str | None) -> None:
    """Create a staff account; the password is read from standard input when it is not a terminal."""
    from intake.access.staff import create_staff

    if sys.stdin.isatty():
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Again: "):
            _fail("the two passwords differ")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    with _session(settings) as session:
        try:
            user = create_staff(
                session, email=email, role=Role(role), password=password, actor=_actor(), display_name=display_name
            )
        except ValidationError as exc:
            _fail(str(exc))
            return
        session.commit()
        click.echo(f"staff {user.id} <{user.email}> created with role {user.role.value}")


@staff.command("totp")
@click.option("--email", required=True)
@click.pass_obj
def staff_totp(settings: Settings, email: str) -> None:
    """Require a one-time code at sign-in; print the secret for the authenticator app (last line; shown only now)."""
    from intake.access import totp
    from intake.access.staff import enable_totp

    keyring = crypto.load_keyring(settings.instance_dir)
    with _session(settings) as session:
        try:
            secret = enable_totp(session, keyring=keyring, email=email, actor=_actor())
        except ValidationError as exc:
            _fail(str(exc))
            return
        session.commit()
    click.echo(f"{email.strip().lower()} now signs in with a one-time code; add this to their authenticator app:")
    click.echo(totp.provisioning_uri(secret, account=email.strip().lower()))
    click.echo(secret)


@main.group("case")
def case_group() -> None:
    """One case."""


@case_group.command("unlock-pin")
@click.argument("tracking_number")
@click.pass_obj
def case_unlock_pin(settings: Settings, tracking_number: str) -> None:
    """Open a case's PIN again after too many wrong tries, once the filer has proven who they are to the office."""
    from intake.cases.filing import get_case, unlock_pin

    with _session(settings) as session:
        try:
            case = get_case(session, tracking_number=tracking_number)
        except NotFound as exc:
            _fail(str(exc))
            return
        unlock_pin(session, case=case, actor=_actor())
        session.commit()
    click.echo(f"the PIN of case {tracking_number} works again")


@main.command("export")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True)
@click.option("--include-contact", is_flag=True, help="Decrypt and include contact details.")
@click.option("--out", type=click.Path(dir_okay=False, writable=True), default="-", show_default=True)
@click.pass_obj
def export_cases(settings: Settings, fmt: str, include_contact: bool, out: str) -> None:
    """Export every case, one record each."""
    from intake.cases.export import write_export

    keyring = crypto.load_keyring(settings.instance_dir) if include_contact else None
    with _session(settings) as session, _open_out(out) as handle:
        count = write_export(
            session, keyring=keyring, out=handle, fmt=fmt, include_contact=include_contact, actor=_actor()
        )
        session.commit()
    click.echo(f"exported {count} cases", err=True)


@contextmanager
def _open_out(path: str) -> Iterator[IO[str]]:
    if path == "-":
        yield sys.stdout
        sys.stdout.flush()
        return
    with open(path, "w", encoding="utf-8", newline="") as handle:  # newline="": csv writes its own
        yield handle


@main.group("audit")
def audit_group() -> None:
    """The hash-chained audit log."""


@audit_group.command("verify")
@click.option(
    "--anchor",
    "anchor_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help=f"An anchor kept elsewhere to check against (default: instance/{audit.ANCHOR_FILE}).",
)
@click.pass_obj
def audit_verify(settings: Settings, anchor_path: Path | None) -> None:
    """Recompute the keyed chain and check it still reaches its anchor; exit 1 naming the first bad entry."""
    own_anchor = settings.instance_dir / audit.ANCHOR_FILE
    with _session(settings) as session:
        report = audit.verify_chain(session, anchor_path=anchor_path or own_anchor)
        if report.ok and anchor_path is not None:
            report = audit.verify_chain(session, anchor_path=own_anchor)
        if report.ok:
            # NOTE: what verified becomes the anchor, so cutting these entries later is caught.
            anchor = audit.advance_anchor(session, own_anchor)
    if report.ok:
        click.echo(f"audit chain intact: {report.checked} entries; anchored at entry {anchor.seq}")
        return
    click.echo(f"AUDIT CHAIN BROKEN at entry {report.first_bad_seq}: {report.problem}", err=True)
    sys.exit(1)


@audit_group.command("head")
@click.pass_obj
def audit_head(settings: Settings) -> None:
    """Print the chain's keyed head, one line of JSON, to keep somewhere the database's users cannot write."""
    with _session(settings) as session:
        click.echo(audit.current_anchor(session).as_json(audit.chain_key(_keyring(settings).hmac_key)))


def _keyring(settings: Settings) -> crypto.Keyring:
    return crypto.load_keyring(settings.instance_dir)


def run() -> None:
    """Entry point that turns expected errors into one clear line."""
    try:
        main(standalone_mode=True)
    except IntakeError as exc:
        _fail(str(exc))


main.add_command(translate_group)
main.add_command(jobs_group)
main.add_command(quarantine_group)
main.add_command(report_group)
main.add_command(retention_group)
main.add_command(backup_command)
main.add_command(restore_command)
