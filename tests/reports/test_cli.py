"""``intake report`` and ``intake report open-data`` on a real, committed database."""

from __future__ import annotations

import csv
import json

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from intake.cli.reports import report
from intake.db import Database
from intake.models import AuditEntry
from tests.reports.seed import seed


@pytest.fixture
def seeded_url(fresh_database_url, keyring):
    database = Database(fresh_database_url)
    with database.session() as session:
        seed(session, keyring)
        session.commit()
    database.dispose()
    return fresh_database_url


def _run(url, tmp_path, *args):
    env = {"DATABASE_URL": url, "HEARD_INSTANCE_DIR": str(tmp_path / "instance"), "HEARD_OFFICE_TIMEZONE": "UTC"}
    return CliRunner().invoke(report, list(args), env=env, catch_exceptions=False)


def test_report_writes_the_html_report_and_open_data_and_audits_both(seeded_url, tmp_path):
    out = tmp_path / "board.html"
    result = _run(seeded_url, tmp_path, "--period", "2026Q3", "--format", "html", "--out", str(out))
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert "Report to the review board: 2026Q3" in html and html.count('role="img"') == 5

    folder = tmp_path / "open"
    result = _run(seeded_url, tmp_path, "open-data", "--out", str(folder), "--since", "2025-01", "--until", "2026-06")
    assert result.exit_code == 0, result.output
    assert "counts under 5 withheld" in result.output
    with (folder / "cases_by_channel.csv").open(encoding="utf-8") as handle:
        months = {row["month"] for row in csv.DictReader(handle)}
    assert min(months) == "2025-01" and max(months - {"all"}) == "2026-06"
    assert json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))["months"] == ["2025-01", "2026-06"]

    database = Database(seeded_url)
    with database.session() as session:
        actions = [e.action for e in session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(2))]
    database.dispose()
    assert actions == ["open_data.exported", "report.generated"]


def test_report_refuses_bad_input_with_one_line(fresh_database_url, tmp_path):
    url = fresh_database_url
    bad = _run(url, tmp_path, "--period", "2026Q9", "--out", str(tmp_path / "x.html"))
    assert bad.exit_code == 1 and "error: period: must be a quarter such as 2026Q3" in bad.output
    missing = _run(url, tmp_path, "--period", "2026Q3")
    assert missing.exit_code == 2 and "--out" in missing.output
    running = _run(url, tmp_path, "open-data", "--out", str(tmp_path / "o"), "--until", "2999-01")
    assert running.exit_code == 1 and "must be a month that has ended" in running.output


def test_report_writes_a_pdf(tmp_path, fresh_database_url):
    pytest.importorskip("weasyprint", reason="PDF needs WeasyPrint (requirements/service.in) and Pango (apt)")
    out = tmp_path / "board.pdf"
    result = _run(fresh_database_url, tmp_path, "--period", "2026Q3", "--format", "pdf", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF-")


def test_the_report_command_is_registered_with_intake():
    from intake.cli import main

    assert main.commands.get("report") is report, "add `main.add_command(report_group)` at the end of intake/cli.py"
