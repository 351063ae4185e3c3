"""The report pages in the console: who reaches them, what they show, and that each view is audited."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from console import reports as report_pages
from intake.db import utcnow
from intake.enums import Role
from intake.models import AuditEntry
from intake.reports import render as report_render
from intake.reports.board import Quarter, ReportSettings
from tests.console.conftest import file, sign_in


@pytest.fixture(autouse=True)
def pages(app):
    """Register the report pages as create_app does once the lead wires them (registering twice is harmless)."""
    report_pages.init_app(app)
    report_pages.init_app(app)


@pytest.fixture
def flagged(session, keyring):
    """Three complaints naming badge 4471 (over the default threshold of 3) and one naming 5521."""
    cases = [file(session, keyring, officers=text) for text in ("placa 4471", "badge #4471", "Officer, badge 4471")]
    file(session, keyring, officers="badge 5521")
    session.flush()
    return cases


def _period() -> str:
    return str(Quarter.containing(utcnow(), ReportSettings().zone))


def _last(session, action):
    return session.scalars(
        select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()


def test_a_supervisor_reads_the_report_with_charts_and_a_way_to_early_warning(client, session, team, flagged):
    sign_in(client, team[Role.SUPERVISOR])
    response = client.get(f"/console/reports/?period={_period()}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f"Report to the review board: {_period()}" in page
    assert page.count('role="img"') == 5 and "<script" not in page and " style=" not in page
    assert 'href="/console/reports/report.css"' in page and 'href="/console/reports/early-warning"' in page
    assert "script-src 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"
    entry = _last(session, "report.viewed")
    assert entry.actor == f"staff:{team[Role.SUPERVISOR].id}" and entry.summary["period"] == _period()
    assert entry.summary["cases"] == 4
    for case in flagged:  # incomplete cases link to the case page
        assert f'href="/console/cases/{case.id}"' in page


def test_an_auditor_reads_the_report_but_not_the_flags(client, session, team, flagged):
    sign_in(client, team[Role.AUDITOR])
    page = client.get("/console/reports/").get_data(as_text=True)
    assert "Report to the review board" in page and "early-warning" not in page
    response = client.get("/console/reports/early-warning")
    assert response.status_code == 403 and "4471" not in response.get_data(as_text=True)
    assert client.get("/console/reports/early-warning/badge:4471").status_code == 403
    entry = _last(session, "access.denied")
    assert entry.summary == {"attempted": "view_early_warning", "role": "auditor"}
    assert _last(session, "early_warning.viewed") is None


@pytest.mark.parametrize("role", [Role.INTAKE, Role.LIAISON])
def test_intake_staff_and_the_liaison_reach_no_report_page(client, session, team, flagged, role):
    sign_in(client, team[role])
    for url in ("/console/reports/", f"/console/reports/board-{_period()}.pdf", "/console/reports/early-warning"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "4471" not in response.get_data(as_text=True)
    assert _last(session, "access.denied").summary["role"] == role.value


def test_a_supervisor_sees_the_flag_and_its_cases_and_both_views_are_audited(client, session, team, flagged):
    sign_in(client, team[Role.SUPERVISOR])
    page = client.get("/console/reports/early-warning").get_data(as_text=True)
    assert 'href="/console/reports/early-warning/badge:4471"' in page and "Badge 4471" in page
    assert "5521" not in page  # under the threshold
    assert _last(session, "early_warning.viewed").summary["flags"] == ["badge:4471"]
    detail = client.get("/console/reports/early-warning/badge:4471")
    assert detail.status_code == 200
    links = re.findall(r'href="/console/cases/(\d+)"', detail.get_data(as_text=True))
    assert sorted(map(int, links)) == sorted(case.id for case in flagged)
    assert _last(session, "early_warning.flag_viewed").summary == {
        "flag": "badge:4471",
        "case_ids": [case.id for case in flagged],
    }
    assert client.get("/console/reports/early-warning/badge:5521").status_code == 404
    assert client.get("/console/reports/early-warning/name:smith").status_code == 404


def test_the_threshold_comes_from_the_configuration(app, client, session, team, flagged):
    app.extensions["heard.reports"] = ReportSettings(early_warning_threshold=4)
    sign_in(client, team[Role.SUPERVISOR])
    page = client.get("/console/reports/early-warning").get_data(as_text=True)
    assert "No badge or unit reaches the threshold." in page


def test_signed_out_visitors_are_sent_to_sign_in_and_bad_periods_refused(client, team):
    assert client.get("/console/reports/").status_code == 303
    sign_in(client, team[Role.SUPERVISOR])
    assert client.get("/console/reports/?period=2026Q9").status_code == 400
    assert client.get("/console/reports/?period=2999Q1").status_code == 400
    css = client.get("/console/reports/report.css")
    assert css.status_code == 200 and css.mimetype == "text/css" and ".board-report" in css.get_data(as_text=True)


def test_the_pdf_download_says_when_it_cannot_be_made(client, session, team, monkeypatch):
    def unavailable(report):
        raise report_render.PdfUnavailable("no WeasyPrint here")

    monkeypatch.setattr(report_render, "render_pdf", unavailable)
    sign_in(client, team[Role.SUPERVISOR])
    response = client.get(f"/console/reports/board-{_period()}.pdf")
    assert response.status_code == 501 and "WeasyPrint" in response.get_data(as_text=True)


def test_the_pdf_download(client, session, team, flagged):
    pytest.importorskip("weasyprint", reason="PDF needs WeasyPrint (requirements/service.in) and Pango (apt)")
    sign_in(client, team[Role.AUDITOR])
    response = client.get(f"/console/reports/board-{_period()}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    assert f'filename="heard-board-report-{_period()}.pdf"' in response.headers["Content-Disposition"]
    assert _last(session, "report.viewed").summary["period"] == _period()
