"""The console's pages and forms. Thin: read the request, call one service, commit, answer.

Every rule about who may see or do what lives in ``intake.triage``; these views only
turn its refusals into 403 (or 404 when the case must not be known to exist).
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
import time
from collections.abc import Callable
from typing import Any, NoReturn

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from console import display, forms
from console.i18n import CONSOLE_LOCALES, select_locale
from intake import evidence, inputs, quarantine, redact, triage
from intake.access import staff
from intake.enums import Channel, Role
from intake.errors import ConfigurationError, IllegalTransition, NotFound, PermissionDenied, SignInRefused
from intake.errors import ValidationError as InvalidInput
from intake.models import StaffUser
from intake.retention import holds
from intake.triage import Action, ServiceTargets
from web.extensions import limiter
from web.session import get_session, keyring, storage

bp = Blueprint(
    "console",
    __name__,
    url_prefix="/console",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)
# Pages anyone may reach; everything else needs a signed-in, active staff member.
PUBLIC_ENDPOINTS = frozenset({"console.login", "console.login_code", "console.static", "console.set_language"})
# A password that matched waits this long for its one-time code.
CODE_WAIT_SECONDS = 300


def _targets() -> ServiceTargets:
    return current_app.extensions["heard.console"]["targets"]  # type: ignore[no-any-return]


def _viewer() -> StaffUser:
    return g.viewer  # type: ignore[no-any-return]


# ------------------------------------------------------------------ CSRF and sign-in checks


def csrf_token() -> str:
    """Return this session's CSRF token, making one on first use."""
    token = session.get("csrf")
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def _check_csrf() -> None:
    expected = session.get("csrf")
    given = request.form.get("csrf_token", "")
    if not isinstance(expected, str) or not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        abort(400, _("This form has expired or did not come from Heard. Go back, reload the page and try again."))


def _signed_in() -> StaffUser | None:
    """The staff member whose server-side session the cookie names; an ended session names nobody."""
    token = session.get("sid")
    if not isinstance(token, str):
        return None
    max_age = dt.timedelta(seconds=current_app.extensions["heard.console"]["max_session_seconds"])
    return staff.session_staff(get_session(), keyring=keyring(), token=token, max_age=max_age)


@bp.before_request
def _guard() -> ResponseReturnValue | None:
    if any("\x00" in value for value in [*request.args.values(), *request.form.values()]):
        # NOTE: no staff input holds a NUL; PostgreSQL's text columns refuse one, so refuse it here, plainly.
        abort(400, "A value contains a NUL character.")
    if request.method == "POST":
        _check_csrf()
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    viewer = _signed_in()
    if viewer is None:
        session.pop("sid", None)
        if request.method == "GET":
            flash(_("Please sign in."), "info")
        return redirect(url_for("console.login"), 303)
    g.viewer = viewer
    return None


def actor_label(actor: str) -> str:
    """Name the staff member behind an audit actor such as ``staff:3``; other actors as they are."""
    kind, _sep, ident = actor.partition(":")
    staff_id = inputs.whole_number(ident)
    if kind != "staff" or staff_id is None:
        return actor
    if "staff_names" not in g:
        g.staff_names = triage.staff_names(get_session())
    return str(g.staff_names.get(staff_id, actor))


@bp.context_processor
def _template_helpers() -> dict[str, Any]:
    viewer = g.get("viewer")
    return {
        "csrf_token": csrf_token,
        "actor_label": actor_label,
        "viewer": viewer,
        "can": (lambda action: viewer is not None and triage.can(viewer, action)),
        "Action": Action,
        "Channel": Channel,
        "console_locale": select_locale(),
        "quarantine_waiting": _quarantine_waiting(viewer),
        **display.helpers(_targets()),
    }


def _quarantine_waiting(viewer: Any) -> int:
    """Return how many texts wait in the quarantine, for a supervisor (who can act on it); 0 for others."""
    if viewer is None or viewer.role is not Role.SUPERVISOR:
        return 0
    return quarantine.state(get_session()).waiting


def _error_page(exc: HTTPException) -> ResponseReturnValue:
    return render_template("console/error.html", error=exc), exc.code or 500


for _code in (400, 403, 404, 405, 413, 429):
    bp.register_error_handler(_code, _error_page)


# ------------------------------------------------------------------ signing in and out


def _start_session(user: StaffUser) -> ResponseReturnValue:
    """Begin a fresh session for ``user``: nothing from before sign-in survives (no fixation).

    NOTE: the session lives on the server (``staff_sessions``); the signed cookie holds only
    its random token, so signing out, "sign out everywhere", a new password or a new role
    end it for any copy of the cookie.
    """
    db = get_session()
    token = staff.open_session(db, keyring=keyring(), user=user)
    db.commit()
    session.clear()
    session.permanent = True
    session["sid"] = token
    session["csrf"] = secrets.token_urlsafe(32)
    return redirect(url_for("console.queue"), 303)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"])
def login() -> ResponseReturnValue:
    """Sign in with email and password."""
    if request.method == "GET":
        csrf_token()
        return render_template("console/login.html")
    db = get_session()
    try:
        result = staff.sign_in(
            db,
            email=request.form.get("email", ""),
            password=request.form.get("password", ""),
            address=request.remote_addr or "",
            keyring=keyring(),
        )
    except SignInRefused:
        db.commit()  # the failure, its count and any lock-out are kept
        return render_template("console/login.html", refused=True, email=request.form.get("email", "")), 200
    db.commit()
    if result.needs_code:
        session.clear()
        session["pending_staff_id"] = result.user.id
        session["pending_at"] = time.time()
        session["csrf"] = secrets.token_urlsafe(32)
        return redirect(url_for("console.login_code"), 303)
    return _start_session(result.user)


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"])
def login_code() -> ResponseReturnValue:
    """Second step of signing in: the one-time code from an authenticator app."""
    pending = session.get("pending_staff_id")
    started = session.get("pending_at")
    if (
        not isinstance(pending, int)
        or not isinstance(started, (int, float))
        or time.time() - started > CODE_WAIT_SECONDS
    ):
        session.clear()
        return redirect(url_for("console.login"), 303)
    if request.method == "GET":
        return render_template("console/code.html")
    db = get_session()
    try:
        user = staff.check_code(
            db,
            keyring=keyring(),
            staff_id=pending,
            code=request.form.get("code", ""),
            address=request.remote_addr or "",
        )
    except SignInRefused:
        db.commit()
        return render_template("console/code.html", refused=True), 200
    db.commit()
    return _start_session(user)


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """Sign out and forget the session."""
    db = get_session()
    staff.end_session(db, keyring=keyring(), token=str(session.get("sid", "")))
    staff.signed_out(db, staff_id=_viewer().id)
    db.commit()
    session.clear()
    flash(_("You have signed out."), "info")
    return redirect(url_for("console.login"), 303)


@bp.post("/logout/everywhere")
def logout_everywhere() -> ResponseReturnValue:
    """Sign out of every browser this staff member is signed in on, this one included."""
    db = get_session()
    viewer = _viewer()
    staff.end_all_sessions(db, staff_id=viewer.id, reason=staff.ENDED_EVERYWHERE, actor=f"staff:{viewer.id}")
    db.commit()
    session.clear()
    flash(_("You have signed out on every device."), "info")
    return redirect(url_for("console.login"), 303)


# ------------------------------------------------------------------ pages


def _refused(exc: PermissionDenied) -> NoReturn:
    get_session().commit()  # keep the access.denied entry
    abort(404 if exc.conceal else 403)


def refused(exc: PermissionDenied) -> NoReturn:
    """Answer a refusal (403, or 404 where the case is concealed), keeping its access.denied entry."""
    _refused(exc)


def section(name: str, import_name: str, url_prefix: str) -> Blueprint:
    """A blueprint for a part of the console, behind the console's own sign-in, CSRF and error pages."""
    part = Blueprint(name, import_name, url_prefix=url_prefix, template_folder="templates")
    part.before_request(_guard)
    part.context_processor(_template_helpers)
    for code in (400, 403, 404, 405, 501):
        part.register_error_handler(code, _error_page)
    return part


@bp.get("/")
def queue() -> ResponseReturnValue:
    """The queue: filters, counts per status, one page of cases."""
    db = get_session()
    try:
        filters, sort, cursor = forms.parse_queue_args(request.args)
        page = triage.list_cases(
            db,
            viewer=_viewer(),
            filters=filters,
            targets=_targets(),
            sort=sort,
            cursor=cursor,
            limit=triage.PAGE_SIZE,
        )
    except InvalidInput as exc:
        db.rollback()
        return render_template("console/queue.html", page=None, errors=exc.errors, args=request.args), 400
    except PermissionDenied as exc:
        _refused(exc)
    db.commit()
    assignees = triage.assignable_staff(db) if _viewer().role is not Role.LIAISON else []
    kept: dict[str, Any] = forms.queue_args(request.args)
    return render_template(
        "console/queue.html",
        page=page,
        errors={},
        args=request.args,
        kept=kept,
        assignees=assignees,
        next_url=url_for("console.queue", **kept, cursor=page.next_cursor) if page.next_cursor else None,
        first_url=url_for("console.queue", **kept) if cursor else None,
    )


@bp.get("/cases/<int:case_id>")
def case(case_id: int) -> ResponseReturnValue:
    """One case: the resident's words, transcript, evidence, history, audit trail and the actions allowed."""
    db = get_session()
    try:
        view = triage.get_case_for(db, viewer=_viewer(), case_id=case_id, keyring=keyring(), targets=_targets())
    except PermissionDenied as exc:
        _refused(exc)
    except NotFound:
        abort(404)
    db.commit()
    return render_template("console/case.html", view=view, case=view.case)


def _evidence(case_id: int, attachment_id: int, *, preview: bool) -> tuple[triage.Evidence, bytes]:
    """Return an attachment the viewer may have, and its checked bytes; or answer 403/404 (keeping only a refusal)."""
    db = get_session()
    try:
        found = triage.get_attachment_for(
            db, viewer=_viewer(), case_id=case_id, attachment_id=attachment_id, preview=preview
        )
    except PermissionDenied as exc:
        _refused(exc)
    except NotFound:
        abort(404)
    try:
        data = evidence.load(storage(), keyring(), found.attachment.storage_key)
        triage.verify_evidence(found.attachment, data)
    except (OSError, ConfigurationError) as exc:
        db.rollback()
        current_app.logger.error("evidence %s cannot be served: %s", found.attachment.id, exc)
        abort(404, _("This file is missing or damaged; nothing was downloaded. Tell your administrator."))
    if found.redact:
        clean = redact.strip_metadata(data, found.attachment.content_type)
        if clean is None:  # NOTE: never the original instead: nothing is handed out, nothing recorded
            db.rollback()
            abort(404, _("This file cannot be given to you without its original details. Ask a supervisor."))
        data = clean
    return found, data


@bp.get("/cases/<int:case_id>/attachments/<int:attachment_id>")
def attachment(case_id: int, attachment_id: int) -> ResponseReturnValue:
    """Download one piece of evidence, decrypted, as a file (never shown inline)."""
    found, data = _evidence(case_id, attachment_id, preview=False)
    get_session().commit()
    response = Response(data, mimetype=found.attachment.content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{found.filename}"'
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/cases/<int:case_id>/attachments/<int:attachment_id>/preview")
def attachment_preview(case_id: int, attachment_id: int) -> ResponseReturnValue:
    """Show an image the resident sent inline on the case page, decrypted; only images the bytes prove."""
    found, data = _evidence(case_id, attachment_id, preview=True)
    image_type = evidence.inline_image_type(data)
    if image_type is None:
        get_session().rollback()  # nothing was shown, so nothing is recorded
        abort(404, _("This file cannot be shown here; download it instead."))
    get_session().commit()
    response = Response(data, mimetype=image_type)
    response.headers["Content-Disposition"] = f'inline; filename="{found.filename}"'
    # NOTE: the image alone, even when opened by itself: no script, no style, no frame, no plugin.
    response.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; frame-ancestors 'none'; sandbox"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/cases/<int:case_id>/attachments/<int:attachment_id>/share")
def share_attachment(case_id: int, attachment_id: int) -> ResponseReturnValue:
    """Share one original file (a recording, say) with the police liaison, with the reason given."""
    reason = request.form.get("reason", "")
    return _act(
        case_id,
        lambda: triage.share_with_liaison(
            get_session(), viewer=_viewer(), case_id=case_id, attachment_id=attachment_id, reason=reason
        ),
        _("The original file is shared with the police liaison."),
    )


@bp.post("/cases/<int:case_id>/attachments/<int:attachment_id>/unshare")
def unshare_attachment(case_id: int, attachment_id: int) -> ResponseReturnValue:
    """Stop sharing an original file with the police liaison."""
    return _act(
        case_id,
        lambda: triage.revoke_share(get_session(), viewer=_viewer(), case_id=case_id, attachment_id=attachment_id),
        _("The police liaison no longer has the original file."),
    )


@bp.get("/audit")
def audit_log() -> ResponseReturnValue:
    """The audit log, newest first, with whether the whole chain verifies."""
    db = get_session()
    before = request.args.get("before", "")
    case_filter = request.args.get("case", "")
    before_id, case_id = inputs.whole_number(before), inputs.whole_number(case_filter)
    if (before and before_id is None) or (case_filter and case_id is None):
        abort(400)
    try:
        page = triage.read_audit_log(db, viewer=_viewer(), before=before_id, case_id=case_id)
    except PermissionDenied as exc:
        _refused(exc)
    db.commit()
    kept: dict[str, Any] = {"case": case_filter} if case_filter else {}
    return render_template(
        "console/audit.html",
        page=page,
        case_filter=case_filter,
        next_url=url_for("console.audit_log", before=page.next_before, **kept) if page.next_before else None,
    )


# ------------------------------------------------------------------ actions on a case


def _act(case_id: int, change: Callable[[], object], done: str) -> ResponseReturnValue:
    """Run one change; commit it, or keep nothing but the refusal; then back to the case."""
    db = get_session()
    try:
        change()
    except PermissionDenied as exc:
        _refused(exc)  # refused before anything changed: only the access.denied entry is kept
    except NotFound:
        db.rollback()
        abort(404)
    except InvalidInput as exc:
        db.rollback()
        for message in exc.errors.values():
            flash(message, "error")
        return redirect(url_for("console.case", case_id=case_id), 303)
    except IllegalTransition as exc:
        db.rollback()
        flash(str(exc), "error")
        return redirect(url_for("console.case", case_id=case_id), 303)
    db.commit()
    flash(done, "success")
    return redirect(url_for("console.case", case_id=case_id), 303)


@bp.post("/cases/<int:case_id>/category")
def categorise(case_id: int) -> ResponseReturnValue:
    """Give the case a category."""
    category = request.form.get("category", "")
    return _act(
        case_id,
        lambda: triage.categorise(get_session(), viewer=_viewer(), case_id=case_id, category=category),
        _("The category is saved."),
    )


@bp.post("/cases/<int:case_id>/assign")
def assign(case_id: int) -> ResponseReturnValue:
    """Assign the case to a staff member."""

    def change() -> object:
        assignee_id = forms.positive_int(request.form, "assignee")
        return triage.assign(get_session(), viewer=_viewer(), case_id=case_id, assignee_id=assignee_id)

    return _act(case_id, change, _("The case is assigned."))


@bp.post("/cases/<int:case_id>/status")
def change_status(case_id: int) -> ResponseReturnValue:
    """Move the case to another status."""

    def change() -> object:
        return triage.change_status(
            get_session(), viewer=_viewer(), case_id=case_id, **forms.status_change(request.form)
        )

    return _act(case_id, change, _("The status is changed."))


@bp.post("/cases/<int:case_id>/notes")
def add_note(case_id: int) -> ResponseReturnValue:
    """Add an internal note."""
    body = request.form.get("body", "")
    return _act(
        case_id,
        lambda: triage.add_note(get_session(), viewer=_viewer(), case_id=case_id, body=body),
        _("The note is added."),
    )


@bp.post("/cases/<int:case_id>/reply")
def reply(case_id: int) -> ResponseReturnValue:
    """Preview a reply in the resident's language, or send the resident a text message."""
    text = request.form.get("text", "")
    if request.form.get("action") == "preview":
        db = get_session()
        try:
            preview = triage.preview_reply(
                db, viewer=_viewer(), case_id=case_id, text=text, engine=current_app.extensions["heard.translation"]
            )
            view = triage.get_case_for(db, viewer=_viewer(), case_id=case_id, keyring=keyring(), targets=_targets())
        except PermissionDenied as exc:
            _refused(exc)
        except NotFound:
            abort(404)
        except InvalidInput as exc:
            db.rollback()
            for message in exc.errors.values():
                flash(message, "error")
            return redirect(url_for("console.case", case_id=case_id), 303)
        db.commit()
        return render_template("console/case.html", view=view, case=view.case, preview=preview)
    original = request.form.get("translated_from") or None
    models = tuple(m for m in request.form.get("models", "").split("|") if m)
    return _act(
        case_id,
        lambda: triage.reply(
            get_session(), viewer=_viewer(), case_id=case_id, text=text, translated_from=original, models=models
        ),
        _("The reply is queued to be sent."),
    )


@bp.post("/cases/<int:case_id>/callback-done")
def callback_done(case_id: int) -> ResponseReturnValue:
    """Mark the resident's call-back request as done."""
    note = request.form.get("note", "")
    return _act(
        case_id,
        lambda: triage.mark_callback_done(get_session(), viewer=_viewer(), case_id=case_id, note=note),
        _("The call back is marked done."),
    )


@bp.post("/cases/<int:case_id>/merge")
def merge(case_id: int) -> ResponseReturnValue:
    """Close the case as a duplicate of another (named by tracking number) and link the two."""
    into, reason = request.form.get("into", ""), request.form.get("reason", "")
    return _act(
        case_id,
        lambda: triage.merge_case(get_session(), viewer=_viewer(), case_id=case_id, into=into, reason=reason),
        _("The case is closed as a duplicate and linked to the case it was merged into."),
    )


@bp.post("/cases/<int:case_id>/legal-hold")
def legal_hold(case_id: int) -> ResponseReturnValue:
    """Put a case on legal hold, or lift the hold, with a reason (supervisors only)."""
    reason = request.form.get("reason", "")
    if request.form.get("hold") == "clear":
        return _act(
            case_id,
            lambda: holds.clear_hold(get_session(), viewer=_viewer(), case_id=case_id, reason=reason),
            _("The legal hold is lifted; the retention schedule applies to this case again."),
        )
    return _act(
        case_id,
        lambda: holds.set_hold(get_session(), viewer=_viewer(), case_id=case_id, reason=reason),
        _("The case is on legal hold: the retention schedule will not purge it."),
    )


@bp.post("/cases/<int:case_id>/officers")
def add_officer(case_id: int) -> ResponseReturnValue:
    """Record an officer or unit involved in the case."""

    def change() -> object:
        return triage.add_officer(get_session(), viewer=_viewer(), case_id=case_id, **forms.officer(request.form))

    return _act(case_id, change, _("The officer is added."))


@bp.post("/cases/<int:case_id>/officers/<int:officer_id>")
def change_officer(case_id: int, officer_id: int) -> ResponseReturnValue:
    """Correct what the case records of an officer."""

    def change() -> object:
        return triage.change_officer(
            get_session(), viewer=_viewer(), case_id=case_id, officer_id=officer_id, **forms.officer(request.form)
        )

    return _act(case_id, change, _("The officer is saved."))


@bp.post("/cases/<int:case_id>/officers/<int:officer_id>/remove")
def remove_officer(case_id: int, officer_id: int) -> ResponseReturnValue:
    """Take an officer off the case (the record of them is kept)."""
    return _act(
        case_id,
        lambda: triage.remove_officer(get_session(), viewer=_viewer(), case_id=case_id, officer_id=officer_id),
        _("The officer is removed from the case."),
    )


@bp.post("/language")
def set_language() -> ResponseReturnValue:
    """Switch the console's language for this browser (the CSRF check ran before)."""
    chosen = request.form.get("locale", "")
    if chosen in CONSOLE_LOCALES:
        session["console_locale"] = chosen
    back = request.form.get("next", "")
    # NOTE: only a path inside the console, so the form cannot be used to redirect elsewhere.
    if not back.startswith("/console/") or back.startswith("//"):
        back = url_for("console.queue")
    return redirect(back, 303)
