"""The ``intake report`` commands: the board report as HTML or PDF, and the open-data export."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import NoReturn

import click

from intake import audit
from intake.config import Settings
from intake.db import Database
from intake.errors import IntakeError
from intake.reports.board import Quarter, ReportSettings


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no user name in some containers
        return "cli:unknown"


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


def _settings(ctx: click.Context) -> Settings:
    obj = ctx.find_object(Settings)
    return obj if obj is not None else Settings.from_env()


@click.group("report", invoke_without_command=True)
@click.option("--period", metavar="YYYYQN", help="The quarter, e.g. 2026Q3 (default: the last quarter that ended).")
@click.option("--format", "fmt", type=click.Choice(["html", "pdf"]), default="html", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, writable=True, path_type=Path), help="The file to write.")
@click.pass_context
def report(ctx: click.Context, period: str | None, fmt: str, out: Path | None) -> None:
    """Write the quarterly board report (exact counts: for the office and the board, not for publication).

    `intake report open-data --out DIR` writes the de-identified files for publication.
    """
    if ctx.invoked_subcommand is not None:
        return
    if out is None:
        raise click.UsageError("give --out FILE for the report")
    from intake.reports.board import board_report, default_period
    from intake.reports.render import render_html, render_pdf

    settings = _settings(ctx)
    report_settings = ReportSettings.from_env()
    database = Database(settings.database_url)
    try:
        with database.session() as session:
            quarter = Quarter.parse(period) if period else default_period(report_settings)
            made = board_report(session, period=quarter, settings=report_settings)
            content = render_pdf(made) if fmt == "pdf" else render_html(made).encode("utf-8")
            out.write_bytes(content)
            audit.record(
                session,
                actor=_actor(),
                action="report.generated",
                summary={"period": str(quarter), "format": fmt, "cases": made.total},
            )
            session.commit()
    except IntakeError as exc:
        _fail(str(exc))
    finally:
        database.dispose()
    click.echo(f"wrote the {fmt.upper()} board report for {quarter} ({made.total} cases) to {out}", err=True)


@report.command("open-data")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path), help="The folder to write.")
@click.option("--since", metavar="YYYY-MM", help="First month (default: the month of the first case).")
@click.option("--until", metavar="YYYY-MM", help="Last month (default and latest: the last month that has ended).")
@click.pass_context
def open_data(ctx: click.Context, out: Path, since: str | None, until: str | None) -> None:
    """Write de-identified monthly tables (CSV and JSON), a data dictionary and a README into OUT."""
    from intake.reports.open_data import write_open_data

    settings = _settings(ctx)
    database = Database(settings.database_url)
    try:
        with database.session() as session:
            written = write_open_data(
                session, out_dir=out, settings=ReportSettings.from_env(), actor=_actor(), since=since, until=until
            )
            session.commit()
    except IntakeError as exc:
        _fail(str(exc))
    finally:
        database.dispose()
    click.echo(
        f"wrote {len(written.files)} files for {written.months[0]} to {written.months[-1]} "
        f"({written.cases} cases, counts under 5 withheld) to {out}",
        err=True,
    )
