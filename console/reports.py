"""The console's report pages: the board report (supervisors and auditors) and early warning (supervisors).

Thin, like every console view: parse the request, call one service in ``intake.reports.board`` or
``intake.reports.early_warning`` (which checks the role and writes the audit entry), commit, answer.
Sign-in, CSRF and the error pages are the console's own (``console.views``), so these pages
behave exactly like the rest of the console.
"""

from __future__ import annotations

import os

from flask import Flask, Response, abort, current_app, render_template, request, url_for
from flask.typing import ResponseReturnValue

from console import views
from intake.access.permissions import may_view_early_warning
from intake.errors import NotFound, PermissionDenied, ValidationError
from intake.reports import board as reports
from intake.reports import early_warning
from intake.reports import render as report_render
from intake.reports.board import Quarter, ReportSettings
from web.session import get_session

bp = views.section("reports", __name__, "/console/reports")
# How many quarters the page offers to choose from.
QUARTERS_OFFERED = 12


def init_app(app: Flask) -> None:
    """Register the report pages (once) with their settings from the application config or environment."""
    if bp.name in app.blueprints:
        return
    env = {
        name: str(app.config.get(name) or os.environ.get(name) or "")
        for name in ("HEARD_EARLY_WARNING_THRESHOLD", "HEARD_EARLY_WARNING_MONTHS")
    }
    env["HEARD_OFFICE_TIMEZONE"] = app.config["HEARD_SETTINGS"].office_timezone
    app.extensions["heard.reports"] = ReportSettings.from_env(env)
    app.register_blueprint(bp)


def _settings() -> ReportSettings:
    return current_app.extensions["heard.reports"]  # type: ignore[no-any-return]


def _period(text: str | None) -> Quarter:
    if not text:
        return reports.default_period(_settings())
    try:
        return Quarter.parse(text)
    except ValidationError as exc:
        abort(400, str(exc))


def _report(period: Quarter) -> reports.BoardReport:
    db = get_session()
    try:
        report = reports.board_report_for(db, viewer=views._viewer(), period=period, settings=_settings())
    except PermissionDenied as exc:
        views.refused(exc)
    except ValidationError as exc:
        abort(400, str(exc))
    db.commit()
    return report


@bp.get("/")
def board() -> ResponseReturnValue:
    """The quarterly board report, with its charts and tables."""
    period = _period(request.args.get("period"))
    report = _report(period)
    latest = reports.default_period(_settings()).shifted(1)
    return render_template(
        "console/reports.html",
        report=report,
        body=report_render.render_fragment(report, case_link=lambda case_id: url_for("console.case", case_id=case_id)),
        quarters=[latest.shifted(-back) for back in range(QUARTERS_OFFERED)],
        may_see_flags=may_view_early_warning(views._viewer()),
    )


@bp.get("/board-<period>.pdf")
def board_pdf(period: str) -> ResponseReturnValue:
    """The same report as a tagged PDF, downloaded."""
    report = _report(_period(period))
    try:
        pdf = report_render.render_pdf(report)
    except report_render.PdfUnavailable:
        abort(501, "PDF is not available on this server: WeasyPrint is not installed. Use the HTML report.")
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="heard-board-report-{report.period}.pdf"'},
    )


@bp.get("/report.css")
def stylesheet() -> ResponseReturnValue:
    """The report's own stylesheet (the console allows styles only from files)."""
    response = Response(report_render.report_css(), mimetype="text/css")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/early-warning")
def flags() -> ResponseReturnValue:
    """Badges and units named in several complaints: supervisors only, and every view is audited."""
    db = get_session()
    try:
        warning = early_warning.flags_for(db, viewer=views._viewer(), settings=_settings())
    except PermissionDenied as exc:
        views.refused(exc)
    db.commit()
    return render_template("console/reports_early_warning.html", warning=warning)


@bp.get("/early-warning/<identifier>")
def flag(identifier: str) -> ResponseReturnValue:
    """One flag and the complaints behind it, each linked to its case."""
    db = get_session()
    try:
        found = early_warning.flag_for(db, viewer=views._viewer(), identifier=identifier, settings=_settings())
    except PermissionDenied as exc:
        views.refused(exc)
    except NotFound:
        db.commit()
        abort(404)
    db.commit()
    return render_template("console/reports_flag.html", flag=found, settings=_settings())
