"""The console's operations page (supervisors): the background queue's health and its dead jobs, with a retry.

Thin, like every console view: the service in ``intake.triage.operations`` checks the role
and writes the audit entry. Sign-in, CSRF and the error pages are the console's own.
"""

from __future__ import annotations

from flask import Flask, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext

from console import views
from intake import inputs
from intake.errors import PermissionDenied
from intake.triage.operations import read_operations, retry_dead_jobs
from web.session import get_session

bp = views.section("operations", __name__, "/console/operations")


def init_app(app: Flask) -> None:
    """Register the operations page (once)."""
    if bp.name not in app.blueprints:
        app.register_blueprint(bp)


@bp.get("/")
def overview() -> ResponseReturnValue:
    """The queue's counts, the workers' last heartbeat, and every dead job with why it died."""
    db = get_session()
    try:
        page = read_operations(db, viewer=views._viewer())
    except PermissionDenied as exc:
        views.refused(exc)
    db.commit()
    return render_template("console/operations.html", page=page)


@bp.post("/retry")
def retry() -> ResponseReturnValue:
    """Queue one dead job (``job``) or all of them (no ``job``) again."""
    chosen = request.form.get("job", "")
    job_id = inputs.whole_number(chosen)
    if chosen and job_id is None:
        abort(400)
    db = get_session()
    try:
        queued = retry_dead_jobs(db, viewer=views._viewer(), job_ids=None if job_id is None else [job_id])
    except PermissionDenied as exc:
        views.refused(exc)
    db.commit()
    if queued:
        flash(ngettext("%(num)d job queued again.", "%(num)d jobs queued again.", len(queued)), "success")
    else:
        flash(_("No dead job to queue again: it may have been queued already."), "info")
    return redirect(url_for("operations.overview"), 303)
