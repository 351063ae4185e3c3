"""The board report as HTML (a whole document, or the part the console embeds) and as tagged PDF.

HTML comes from Jinja2 templates in ``intake/reports/templates`` (autoescaped; words marked
with ``_()`` for a later catalog, English only so far). The PDF is the same HTML through
WeasyPrint with ``pdf_variant="pdf/ua-1"``: a tagged PDF with the document's language and
title, headings, table headers and each chart as a figure whose alt text is the chart's
``<title>``. WeasyPrint is imported only when a PDF is asked for.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from intake.errors import ConfigurationError
from intake.reports import charts
from intake.reports.board import BoardReport, Tally
from intake.reports.names import KIND_NAMES, QUALITY_CHECKS

TEMPLATES = Path(__file__).resolve().parent / "templates"
CSS_FILE = TEMPLATES / "board.css"


class PdfUnavailable(ConfigurationError):
    """WeasyPrint, or the Pango library it needs, is not installed."""


@functools.cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
    )
    env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
    return env


def hours_text(hours: float | None) -> str:
    """Say a duration in hours under two days, in days from then on; a dash when nothing was measured."""
    if hours is None:
        return "—"
    if hours < 48:
        return f"{hours:.1f} hours"
    return f"{hours / 24:.1f} days"


def share_text(value: float | None) -> str:
    """Say a fraction as a whole percentage; a dash when there is nothing to divide."""
    return "—" if value is None else f"{value * 100:.0f}%"


def _alt_for_bars(what: str, period: str, tally: Tally) -> tuple[str, str]:
    present = [row for row in tally.rows if row.count]
    ranked = sorted(present, key=lambda row: -row.count)
    title = f"Bar chart of cases by {what}, {period}: {tally.total} cases in all."
    if not ranked:
        return title, "No cases were filed."
    top = ", ".join(f"{row.label} {row.count}" for row in ranked[:3])
    return title, f"Largest: {top}. {len(present)} of {len(tally.rows)} {what} values have cases."


def _charts(report: BoardReport) -> dict[str, Markup]:
    period = str(report.period)

    def bars(key: str, what: str, tally: Tally) -> Markup:
        title, description = _alt_for_bars(what, period, tally)
        rows = [(row.label, float(row.count)) for row in tally.rows]
        return Markup(charts.bar_chart(chart_id=f"chart-{key}", title=title, description=description, rows=rows))  # noqa: S704

    quarters = [str(t.quarter) for t in report.trends]
    complaints = [t.complaints for t in report.trends]
    commendations = [t.commendations for t in report.trends]
    acknowledge = [
        None if t.acknowledge_median_hours is None else round(t.acknowledge_median_hours / 24, 1) for t in report.trends
    ]
    close = [None if t.close_median_hours is None else round(t.close_median_hours / 24, 1) for t in report.trends]
    span = f"{quarters[0]} to {quarters[-1]}"
    trend_cases = charts.column_chart(
        chart_id="chart-trend-cases",
        title=f"Column chart of complaints and commendations filed per quarter, {span}.",
        description=(
            f"Complaints went from {complaints[0]} to {complaints[-1]}, highest {max(complaints)}; "
            f"commendations from {commendations[0]} to {commendations[-1]}, highest {max(commendations)}."
        ),
        categories=quarters,
        series=[
            charts.Series("Complaints", tuple(float(v) for v in complaints)),
            charts.Series("Commendations", tuple(float(v) for v in commendations)),
        ],
    )
    trend_times = charts.line_chart(
        chart_id="chart-trend-times",
        title=f"Line chart of median days to acknowledge and to close a complaint, per quarter, {span}.",
        description=(
            f"To acknowledge: {_series_words(quarters, acknowledge)}. To close: {_series_words(quarters, close)}."
        ),
        categories=quarters,
        series=[
            charts.Series("Days to acknowledge", tuple(acknowledge)),
            charts.Series("Days to close a complaint", tuple(close)),
        ],
    )
    return {
        "category": bars("category", "category", report.by_category),
        "channel": bars("channel", "channel", report.by_channel),
        "language": bars("language", "language", report.by_language),
        "trend_cases": Markup(trend_cases),  # noqa: S704
        "trend_times": Markup(trend_times),  # noqa: S704
    }


def _series_words(quarters: list[str], values: list[float | None]) -> str:
    known = [(q, v) for q, v in zip(quarters, values, strict=True) if v is not None]
    if not known:
        return "no case measured"
    return ", ".join(f"{q} {v:g}" for q, v in known)


def _context(report: BoardReport, case_link: Callable[[int], str] | None) -> dict[str, Any]:
    zone = zoneinfo.ZoneInfo(report.timezone)

    def day(value: dt.datetime) -> str:
        local = value.astimezone(zone)
        return f"{local.day} {local:%B %Y}"

    def moment(value: dt.datetime) -> str:
        local = value.astimezone(zone)
        return f"{local.day} {local:%B %Y, %H:%M} ({report.timezone})"

    return {
        "r": report,
        "last_day": report.end - dt.timedelta(microseconds=1),
        "charts": _charts(report),
        "checks": QUALITY_CHECKS,
        "kinds": KIND_NAMES,
        "case_link": case_link,
        "n": lambda value: f"{value:,}",
        "hours": hours_text,
        "share": share_text,
        "day": day,
        "moment": moment,
    }


def render_fragment(report: BoardReport, *, case_link: Callable[[int], str] | None = None) -> Markup:
    """Return the report's content (an ``<article>``) for a page that supplies its own document."""
    template = _environment().get_template("board_body.html")
    return Markup(template.render(_context(report, case_link)))  # noqa: S704


def report_css() -> str:
    """Return the report's stylesheet."""
    return CSS_FILE.read_text(encoding="utf-8")


def render_html(report: BoardReport) -> str:
    """Return the report as one self-contained HTML document (styles inside, no external file)."""
    template = _environment().get_template("board.html")
    return template.render(r=report, css=Markup(report_css()), body=render_fragment(report))  # noqa: S704


def render_pdf(report: BoardReport) -> bytes:
    """Return the report as a tagged PDF (PDF/UA-1), or raise PdfUnavailable."""
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:  # OSError: the Pango library is missing
        raise PdfUnavailable(f"PDF needs WeasyPrint and Pango ({exc}); install them, or use --format html") from exc
    pdf = HTML(string=render_html(report)).write_pdf(pdf_variant="pdf/ua-1")
    return bytes(pdf)
