"""The board report: every figure against a direct computation from the seeded specs, permissions, HTML and PDF."""

from __future__ import annotations

import datetime as dt
import math
import re
import statistics
import zoneinfo
from collections import Counter
from xml.etree import ElementTree

import pytest
from sqlalchemy import select

from intake.enums import Disposition, Kind, Language, Role, Status
from intake.errors import ConfigurationError, PermissionDenied, ValidationError
from intake.models import AuditEntry
from intake.reports import board as reports
from intake.reports import names
from intake.reports.board import Quarter
from intake.reports.render import render_fragment, render_html, render_pdf
from intake.triage import CATEGORIES
from tests.factories import make_staff
from tests.reports.seed import NOW, PERIOD, Spec

UTC = dt.timezone.utc


@pytest.fixture(scope="module")
def database(seeded):
    """Every test here reads the seeded office, each in its own rolled-back transaction."""
    return seeded[0]


@pytest.fixture
def specs(seeded):
    return seeded[1]


# ---------------------------------------------------------------- direct computations from the specs


def status_at(spec: Spec, as_of: dt.datetime) -> tuple[Status, Disposition | None]:
    status, disposition = Status.RECEIVED, None
    for when, _from, to, given in spec.events():
        if when < as_of:
            status, disposition = to, (given if to is Status.CLOSED else None)
    return status, disposition


def hours_to(spec: Spec, as_of: dt.datetime, *, closing: bool) -> float | None:
    for when, from_status, to, _given in spec.events():
        if when >= as_of:
            return None
        if (closing and to is Status.CLOSED) or (not closing and from_status is Status.RECEIVED):
            return (when - spec.filed).total_seconds() / 3600
    return None


def p90(values):
    return sorted(values)[math.ceil(0.9 * len(values)) - 1] if values else None


def median(values):
    return statistics.median(values) if values else None


def expected_clocks(chosen: list[Spec], as_of: dt.datetime):
    ack = [hours_to(s, as_of, closing=False) for s in chosen]
    complaints = [s for s in chosen if s.kind is Kind.COMPLAINT]
    close = [hours_to(s, as_of, closing=True) for s in complaints]
    close_waiting = sum(
        1
        for s, h in zip(complaints, close, strict=True)
        if h is None and status_at(s, as_of)[0] is not Status.WITHDRAWN
    )
    ack_done = [h for h in ack if h is not None]
    close_done = [h for h in close if h is not None]
    return (
        (len(ack_done), len(ack) - len(ack_done), median(ack_done), p90(ack_done)),
        (len(close_done), close_waiting, median(close_done), p90(close_done)),
    )


def in_quarter(specs, quarter: Quarter):
    start, end = quarter.bounds(UTC)
    return [s for s in specs if start <= s.filed < end], min(end, NOW)


def approx(value):
    return None if value is None else pytest.approx(value, abs=1e-6)


def clock_tuple(clock):
    return (clock.measured, clock.waiting, approx(clock.median_hours), approx(clock.p90_hours))


# ---------------------------------------------------------------- periods and percentiles


def test_quarters_parse_and_bound_in_the_office_zone():
    quarter = Quarter.parse(" 2026q3 ")
    assert str(quarter) == "2026Q3" and Quarter.parse("2026-Q3") == quarter
    start, end = quarter.bounds(zoneinfo.ZoneInfo("America/Los_Angeles"))
    assert start == dt.datetime(2026, 7, 1, 7, tzinfo=UTC) and end == dt.datetime(2026, 10, 1, 7, tzinfo=UTC)
    assert quarter.shifted(-7) == Quarter(2024, 4) and quarter.shifted(2) == Quarter(2027, 1)
    assert (
        Quarter.containing(dt.datetime(2026, 10, 1, 3, tzinfo=UTC), zoneinfo.ZoneInfo("America/Los_Angeles")) == quarter
    )
    for bad in ("2026Q5", "Q3 2026", "2026", ""):
        with pytest.raises(ValidationError):
            Quarter.parse(bad)


def test_nearest_rank_percentile():
    assert reports.nearest_rank([], 0.9) is None
    assert reports.nearest_rank([7.0], 0.9) == 7.0
    assert reports.nearest_rank([float(v) for v in range(1, 11)], 0.9) == 9.0
    assert reports.nearest_rank([float(v) for v in range(11, 0, -1)], 0.9) == 10.0


def test_every_console_category_has_a_report_name():
    assert set(CATEGORIES) <= set(names.CATEGORY_NAMES)


def test_settings_come_from_the_environment():
    settings = reports.ReportSettings.from_env(
        {"HEARD_OFFICE_TIMEZONE": "America/Los_Angeles", "HEARD_EARLY_WARNING_THRESHOLD": "5"}
    )
    assert settings.timezone == "America/Los_Angeles" and settings.early_warning_threshold == 5
    assert settings.early_warning_months == 12
    for bad in (
        {"HEARD_EARLY_WARNING_THRESHOLD": "0"},
        {"HEARD_EARLY_WARNING_THRESHOLD": "x"},
        {"HEARD_OFFICE_TIMEZONE": "Mars/Base"},
    ):
        with pytest.raises(ConfigurationError):
            reports.ReportSettings.from_env(bad)


# ---------------------------------------------------------------- the figures


def test_every_figure_matches_a_direct_computation(session, specs, settings):
    report = reports.board_report(session, period=Quarter.parse(PERIOD), settings=settings, now=NOW)
    chosen, as_of = in_quarter(specs, Quarter.parse(PERIOD))
    assert len(chosen) > 15, "the seed should put a fair number of cases in the quarter"
    assert report.as_of == as_of and report.complete

    assert report.total == len(chosen)
    assert report.by_kind.as_dict() == {k.value: sum(s.kind is k for s in chosen) for k in Kind}
    categories = Counter(s.category or "uncategorised" for s in chosen)
    assert {k: v for k, v in report.by_category.as_dict().items() if v} == dict(categories)
    assert {k: v for k, v in report.by_channel.as_dict().items() if v} == dict(Counter(s.channel.value for s in chosen))
    assert {k: v for k, v in report.by_language.as_dict().items() if v} == dict(
        Counter(s.language.value for s in chosen)
    )
    statuses = Counter(status_at(s, as_of)[0].value for s in chosen)
    assert {k: v for k, v in report.by_status.as_dict().items() if v} == dict(statuses)
    dispositions = Counter(d.value for s in chosen if (d := status_at(s, as_of)[1]) is not None)
    assert {k: v for k, v in report.by_disposition.as_dict().items() if v} == dict(dispositions)
    assert report.by_status.count(Status.CLOSED.value) == report.by_disposition.total

    ack, close = expected_clocks(chosen, as_of)
    assert clock_tuple(report.acknowledge) == ack
    assert clock_tuple(report.close) == close
    assert report.acknowledge.waiting >= 1, "the case acknowledged on 1 October waits at the quarter's end"

    commendations = [s for s in chosen if s.kind is Kind.COMMENDATION]
    assert report.commendations.count == len(commendations)
    assert report.commendations.acknowledged == sum(
        status_at(s, as_of)[1] is Disposition.ACKNOWLEDGED for s in commendations
    )
    assert {k: v for k, v in report.commendations.by_channel.as_dict().items() if v} == dict(
        Counter(s.channel.value for s in commendations)
    )

    access = report.language_access
    non_english = [s for s in chosen if s.language is not Language.EN]
    assert access.non_english == len(non_english)
    assert access.needs_interpreter == sum(s.needs_interpreter for s in chosen)
    assert access.covered == sum(s.translated or s.needs_interpreter for s in non_english)
    assert access.coverage == pytest.approx(access.covered / len(non_english))
    for row in access.rows:
        mine = [s for s in chosen if s.language.value == row.code]
        assert (row.cases, row.needs_interpreter) == (len(mine), sum(s.needs_interpreter for s in mine))

    checks = {s.case_id: [s.incident_text, s.incident_parsed, s.location_given, s.category is not None] for s in chosen}
    scores = {case_id: sum(passed) / 4 for case_id, passed in checks.items()}
    quality = report.quality
    assert quality.cases == len(chosen)
    assert quality.mean_score == pytest.approx(statistics.fmean(scores.values()))
    assert quality.complete == sum(score == 1 for score in scores.values())
    assert quality.passed == {
        name: sum(passed[i] for passed in checks.values()) for i, name in enumerate(names.QUALITY_CHECKS)
    }
    assert {item.case_id for item in quality.to_fix} == {case_id for case_id, score in scores.items() if score < 1}
    assert [item.completeness.score for item in quality.to_fix] == sorted(
        item.completeness.score for item in quality.to_fix
    )


def test_trends_show_each_quarter_as_of_its_own_end(session, specs, settings):
    report = reports.board_report(session, period=Quarter.parse(PERIOD), settings=settings, now=NOW)
    assert [str(t.quarter) for t in report.trends] == [
        "2024Q4", "2025Q1", "2025Q2", "2025Q3", "2025Q4", "2026Q1", "2026Q2", "2026Q3"
    ]  # fmt: skip
    for point in report.trends:
        chosen, as_of = in_quarter(specs, point.quarter)
        ack, close = expected_clocks(chosen, as_of)
        assert point.complaints == sum(s.kind is Kind.COMPLAINT for s in chosen)
        assert point.commendations == sum(s.kind is Kind.COMMENDATION for s in chosen)
        assert point.non_english == sum(s.language is not Language.EN for s in chosen)
        assert point.acknowledge_median_hours == approx(ack[2])
        assert point.close_median_hours == approx(close[2])
    assert report.trends[-1].complaints == report.by_kind.count("complaint")


def test_a_reopened_complaint_keeps_its_first_closing(session, specs, settings):
    report = reports.board_report(session, period=Quarter.parse(PERIOD), settings=settings, now=NOW)
    reopened = next(s for s in specs if s.reopen_hours)
    assert hours_to(reopened, NOW, closing=True) == pytest.approx(100)
    assert report.close.measured >= 1


def test_a_quarter_still_running_is_marked_and_a_future_one_refused(session, specs, settings):
    running = reports.board_report(session, period=Quarter(2026, 4), settings=settings, now=NOW)
    assert not running.complete and running.as_of == NOW
    assert running.total == sum(s.filed >= dt.datetime(2026, 10, 1, tzinfo=UTC) for s in specs)
    with pytest.raises(ValidationError):
        reports.board_report(session, period=Quarter(2027, 1), settings=settings, now=NOW)
    assert reports.default_period(settings, NOW) == Quarter(2026, 3)


def test_an_empty_quarter_reports_zeros_and_dashes(session, settings):
    report = reports.board_report(session, period=Quarter(2020, 1), settings=settings, now=NOW)
    assert report.total == 0 and report.acknowledge.median_hours is None and report.quality.mean_score is None
    assert "—" in render_html(report)


# ---------------------------------------------------------------- who may read it


@pytest.mark.parametrize("role", [Role.INTAKE, Role.LIAISON])
def test_only_supervisors_and_auditors_read_the_report_and_refusals_are_audited(session, settings, role):
    viewer = make_staff(session, role=role, email=f"{role.value}@example.org")
    with pytest.raises(PermissionDenied):
        reports.board_report_for(session, viewer=viewer, period=Quarter(2026, 3), settings=settings, now=NOW)
    entry = session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)).one()
    assert entry.action == "access.denied" and entry.summary["attempted"] == "view_reports"


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.AUDITOR])
def test_supervisors_and_auditors_read_the_report_and_it_is_audited(session, settings, role):
    viewer = make_staff(session, role=role, email=f"{role.value}@example.org")
    report = reports.board_report_for(session, viewer=viewer, period=Quarter(2026, 3), settings=settings, now=NOW)
    entry = session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)).one()
    assert entry.action == "report.viewed" and entry.actor == f"staff:{viewer.id}"
    assert entry.summary == {"period": "2026Q3", "cases": report.total}


# ---------------------------------------------------------------- rendering


def test_the_html_report_has_charts_with_text_alternatives_and_tables_beside_them(session, specs, settings):
    report = reports.board_report(session, period=Quarter.parse(PERIOD), settings=settings, now=NOW)
    html = render_html(report)
    assert html.startswith("<!doctype html>") and '<html lang="en">' in html
    assert "<script" not in html.lower() and " style=" not in html
    svgs = re.findall(r"<svg.*?</svg>", html, re.DOTALL)
    assert len(svgs) == 5
    for svg in svgs:
        tree = ElementTree.fromstring(svg)  # well-formed
        assert tree.get("role") == "img"
        title = tree.find("{http://www.w3.org/2000/svg}title")
        assert title is not None and len(title.text) > 30
        assert tree.get("aria-labelledby").split()[0] == title.get("id")
    pairs = re.findall(r'<div class="pair">(.*?)</div>', html, re.DOTALL)
    assert len(pairs) == 5 and all("<svg" in p and "<table" in p and "<caption>" in p for p in pairs)
    assert f"Bar chart of cases by category, {PERIOD}: {report.total} cases in all." in html
    assert f'<tfoot><tr><th scope="row">Total</th><td class="num">{report.total}</td>' in html
    for item in report.quality.to_fix:
        assert item.tracking_number in html
    assert "For the office and the board, not for publication" in html
    for spec in specs:  # the report names no resident and quotes none of their words
        for words in spec.secrets.values():
            assert words not in html


def test_the_console_fragment_links_cases_to_fix(session, specs, settings):
    report = reports.board_report(session, period=Quarter.parse(PERIOD), settings=settings, now=NOW)
    fragment = render_fragment(report, case_link=lambda case_id: f"/console/cases/{case_id}")
    assert fragment.startswith("<article") or "<article" in fragment[:200]
    for item in report.quality.to_fix:
        assert f'<a href="/console/cases/{item.case_id}">{item.tracking_number}</a>' in fragment


def test_the_pdf_is_tagged_with_alt_text_for_every_chart(session, specs, settings):
    pytest.importorskip("weasyprint", reason="PDF needs WeasyPrint (requirements/service.in) and Pango (apt)")
    pypdf = pytest.importorskip("pypdf", reason="reading the PDF's structure needs pypdf (requirements/dev.in)")
    import io

    report = reports.board_report(session, period=Quarter.parse(PERIOD), settings=settings, now=NOW)
    pdf = render_pdf(report)
    assert pdf.startswith(b"%PDF-")
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    root = reader.trailer["/Root"]
    assert root["/MarkInfo"]["/Marked"] is True or root["/MarkInfo"]["/Marked"] == pypdf.generic.BooleanObject(True)
    assert root["/Lang"] == "en"
    assert reader.metadata.title == f"Report to the review board: {PERIOD}"
    found: Counter[str] = Counter()
    alts: list[str] = []

    def walk(node):
        node = node.get_object()
        if not isinstance(node, dict):
            return
        role = node.get("/S")
        if role is not None:
            found[str(role)] += 1
            if role == "/Figure":
                alts.append(str(node.get("/Alt", "")))
        kids = node.get("/K")
        for kid in kids if isinstance(kids, list) else [kids] if kids is not None else []:
            walk(kid)

    walk(root["/StructTreeRoot"])
    assert found["/H1"] == 1 and found["/H2"] >= 7 and found["/Table"] >= 10 and found["/TH"] > 50
    assert len(alts) == 5 and all(alt.startswith(("Bar chart", "Column chart", "Line chart")) for alt in alts)
    text = "".join(page.extract_text() for page in reader.pages)
    assert "Report to the review board" in text and "Language access" in text
