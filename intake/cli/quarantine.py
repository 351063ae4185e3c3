"""The ``intake quarantine`` commands: see the texts whose signature failed, and release them once fixed."""

from __future__ import annotations

import click

from intake import jobs, quarantine
from intake.config import Settings
from intake.db import Database


@click.group("quarantine")
def quarantine_group() -> None:
    """Texts whose Twilio signature failed, kept sealed and unprocessed."""


@quarantine_group.command("status")
@click.pass_obj
def quarantine_status(settings: Settings) -> None:
    """Print how many texts wait, since when, and why each was kept."""
    database = Database(settings.database_url)
    try:
        with database.session() as session:
            state = quarantine.state(session)
            rows = quarantine.waiting(session)
            click.echo(f"waiting {state.waiting}; oldest {state.oldest.isoformat() if state.oldest else 'none'}")
            for row in rows:
                click.echo(
                    f"{row.id} {row.received_at.isoformat()} {row.path} {row.reason}, {row.attempts} release(s) tried"
                )
    finally:
        database.dispose()


@quarantine_group.command("release")
@click.pass_obj
def quarantine_release(settings: Settings) -> None:
    """Have the worker verify each kept text again with its configuration, and process those that hold.

    Fix the configuration first (TWILIO_AUTH_TOKEN, PUBLIC_BASE_URL) and restart the worker:
    the check uses what the worker runs with. A text whose signature still fails stays kept.
    """
    database = Database(settings.database_url)
    try:
        with database.session() as session:
            waiting = quarantine.state(session).waiting
            job = jobs.enqueue(session, kind="quarantine.release", payload={})
            session.commit()
            click.echo(f"job {job.id}: the worker re-verifies {waiting} kept text(s); see `intake quarantine status`")
    finally:
        database.dispose()
