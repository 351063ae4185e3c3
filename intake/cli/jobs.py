"""The ``intake jobs`` commands: see the background queue and queue dead jobs again."""

from __future__ import annotations

import click
from sqlalchemy import select

from intake import jobs as queue
from intake.config import Settings
from intake.db import Database
from intake.enums import JobState
from intake.models import Job


@click.group("jobs")
def jobs() -> None:
    """Background jobs."""


@jobs.command("status")
@click.pass_obj
def jobs_status(settings: Settings) -> None:
    """Print the queue's depth, the oldest due job, dead jobs and the workers' last heartbeat."""
    database = Database(settings.database_url)
    try:
        with database.session() as session:
            health = queue.queue_health(session)
            dead = session.scalars(select(Job).where(Job.state == JobState.DEAD).order_by(Job.id)).all()
    finally:
        database.dispose()
    click.echo(f"queued {health.queued} (due {health.due}), running {health.running}, dead {health.dead}")
    click.echo(f"oldest due job: {health.oldest_due_at.isoformat() if health.oldest_due_at else 'none'}")
    click.echo(f"last worker heartbeat: {health.last_heartbeat.isoformat() if health.last_heartbeat else 'never'}")
    for job in dead:
        click.echo(f"dead job {job.id} {job.kind} after {job.attempts} attempts: {job.last_error or ''}")


@jobs.command("retry-dead")
@click.option("--kind", help="Only dead jobs of this kind, e.g. translate.case.")
@click.option("--id", "job_ids", type=int, multiple=True, help="Only this job (repeatable).")
@click.pass_obj
def jobs_retry_dead(settings: Settings, kind: str | None, job_ids: tuple[int, ...]) -> None:
    """Queue dead jobs again with fresh attempts (after fixing what killed them)."""
    database = Database(settings.database_url)
    try:
        with database.session() as session:
            queued = queue.retry_dead(session, kind=kind, job_ids=job_ids or None)
            session.commit()
    finally:
        database.dispose()
    click.echo(f"queued {len(queued)} dead jobs again" + (f": {', '.join(map(str, queued))}" if queued else ""))
