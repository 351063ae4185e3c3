"""The report form ``/report``: one question per page, files, the read-back, filing; and the demo city page ``/``."""

from __future__ import annotations

from typing import Any

from flask import current_app, g, redirect, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from intake import evidence, inputs
from intake.cases import filing as complaints
from intake.cases import tracking
from intake.conversations import resume, web_sessions
from intake.enums import Channel, Language
from intake.errors import IdempotencyConflict
from web.extensions import limiter
from web.session import get_session, keyring, storage
from webhooks.pages.common import (
    _check_csrf,
    _discard_body,
    _draft_session,
    _language,
    _media_max_bytes,
    _page,
    _value,
    _with_lang,
    bp,
    error_page,
    rotate,
)
from webhooks.pages.steps import STEP_BY_SLUG, Step, _step_errors, steps_for, validate
from webhooks.pages.texts import (
    ACTOR,
    ANONYMOUS,
    COMMENDATION,
    COMPLAINT,
    EVIDENCE_MAX_FILES,
    EXPIRED,
    FILE_ACCEPT,
    FILE_EMPTY,
    FILE_PRIVATE,
    FILE_SIZE,
    FILE_TOO_MANY,
    FILE_TYPE,
    FILES_TOO_LARGE,
    NO_FILES,
    NOT_GIVEN,
)
from webhooks.webtext import (
    data_language,
    megabytes,
    wt,
)

# -- the demo city page -----------------------------------------------------------------------


@bp.get("/")
def demo() -> ResponseReturnValue:
    """A mock city page that embeds the chat widget, as a city's site would."""
    return _page("web/demo.html", leave_target=current_app.config["HEARD_LEAVE_URL"])


# -- the report form ---------------------------------------------------------------------------


def _uploads() -> list[tuple[int, str]]:
    """Return this draft's files as (id, name), oldest first."""
    web = g.get("web_session")
    if web is None:
        return []
    return [(a.id, a.filename or "-") for a in web_sessions.pending_uploads(get_session(), web=web)]


def _render_step(
    step: Step,
    draft: dict[str, Any],
    errors: dict[str, str],
    status: int = 200,
    links: list[tuple[str, str]] | None = None,
) -> ResponseReturnValue:
    chosen = steps_for(draft)
    slugs = [s.slug for s in chosen]
    number = slugs.index(step.slug) + 1 if step.slug in slugs else 1
    back = _with_lang("web.report_step", slug=slugs[number - 2]) if number > 1 else None
    error_links = links or [
        (f.name if f.kind != "radio" else f"{f.name}-{f.options[0][0]}", errors[f.name])
        for f in step.fields
        if f.name in errors
    ]
    files = step.slug == "evidence"
    return _page(
        "web/step.html",
        status,
        step=step,
        draft=draft,
        errors=errors,
        error_links=error_links,
        number=number,
        total=len(chosen) + 1,
        back=back,
        from_review=_value("from") == "review",
        uploads=_uploads() if files else [],
        hint_values={"size": megabytes(_media_max_bytes(), g.lang)} if files else {},
        formats=", ".join(evidence.format_names()),
        accept=FILE_ACCEPT,
        private_hint=FILE_PRIVATE,
    )


def _next(step: Step, draft: dict[str, Any]) -> ResponseReturnValue:
    """Go on from an answered question: to the next one, or back to the read-back it came from."""
    chosen = [s.slug for s in steps_for(draft)]
    from_review = request.form.get("from") == "review"
    if step.slug == "anonymous" and draft.get("anonymous") == "no" and from_review:
        return redirect(_with_lang("web.report_step", slug="contact", **{"from": "review"}), 303)
    following = chosen[chosen.index(step.slug) + 1 :] if step.slug in chosen else []
    if following and not from_review:
        return redirect(_with_lang("web.report_step", slug=following[0]), 303)
    return redirect(_with_lang("web.report_review"), 303)


@bp.get("/report")
def report_start() -> ResponseReturnValue:
    """The first question, with the notice that this is not the police and not an emergency line."""
    return report_step("kind")


@bp.route("/report/<slug>", methods=["GET", "POST"])
def report_step(slug: str) -> ResponseReturnValue:
    """Ask one question; on POST keep the answer and go to the next question."""
    step = STEP_BY_SLUG.get(slug)
    if step is None:
        return error_page(404)
    web = _draft_session()
    g.lang = _language()
    draft = web_sessions.load_draft(web, keyring=keyring()) if web else {}
    if step.slug != "kind" and not draft.get("kind"):
        return redirect(_with_lang("web.report_start"), 303)
    if request.method == "GET":
        if step not in steps_for(draft):
            return redirect(_with_lang("web.report_review"), 303)
        if web is not None and draft:
            rotate(web)  # the page shows the draft's answers
            get_session().commit()
        return _render_step(step, draft, {})
    if not _check_csrf():
        return _page("web/message.html", 400, heading=EXPIRED, message=None, restart=True)
    session = get_session()
    if web is None:
        # NOTE: the draft's token comes from the server, never from the cookie the browser sent.
        web, _ = web_sessions.open_session(
            session, keyring=keyring(), channel=Channel.WEB_FORM, language=data_language(g.lang)
        )
        g.web_session = web
    rotate(web)
    for f in step.fields:
        value = web_sessions.clean_text(request.form.get(f.name, ""))
        if f.kind == "radio" and value not in {key for key, _ in f.options}:
            value = ""
        draft[f.name] = value
    draft["language"] = data_language(g.lang)
    web.language = Language(data_language(g.lang))
    web_sessions.save_draft(web, keyring=keyring(), draft=draft)
    session.commit()
    errors = _step_errors(step, draft)
    if errors:
        return _render_step(step, draft, errors, 422)
    return _next(step, draft)


@bp.route("/report/evidence", methods=["GET", "POST"])
@limiter.limit("60 per hour", methods=["POST"])
def report_evidence() -> ResponseReturnValue:
    """Ask for photos, video and other files; on POST keep the ones that pass the checks, then go on.

    A refused file is named in the error; the files accepted with it are kept, and so is every answer.
    """
    if request.method == "GET":
        return report_step("evidence")
    step = STEP_BY_SLUG["evidence"]
    web = _draft_session()
    g.lang = _language()
    draft = web_sessions.load_draft(web, keyring=keyring()) if web else {}
    if not _check_csrf():
        return _page("web/message.html", 400, heading=EXPIRED, message=None, restart=True)
    if web is None or not draft.get("kind"):
        return redirect(_with_lang("web.report_start"), 303)
    if step not in steps_for(draft):
        return redirect(_with_lang("web.report_review"), 303)
    session = get_session()
    max_bytes = _media_max_bytes()
    size = megabytes(max_bytes, g.lang)
    room = EVIDENCE_MAX_FILES - len(web_sessions.pending_uploads(session, web=web))
    refused: list[str] = []
    for sent in request.files.getlist("evidence"):
        name = web_sessions.upload_name(sent.filename)
        data = sent.stream.read(max_bytes + 1)
        if not name and not data:
            continue  # the empty part a browser sends when no file was chosen
        declared = sent.mimetype or "application/octet-stream"
        try:
            real_type = evidence.check(data, declared, max_bytes=max_bytes)
        except evidence.EvidenceRejected as exc:
            message = {"type": FILE_TYPE, "size": FILE_SIZE}.get(exc.reason, FILE_EMPTY)
            refused.append(wt(g.lang, message, name=name or "-", size=size))
            continue
        if room <= 0:
            refused.append(wt(g.lang, FILE_TOO_MANY, name=name or "-", limit=EVIDENCE_MAX_FILES))
            continue
        stored = evidence.store(storage(), keyring(), data, real_type)
        web_sessions.record_upload(session, web=web, stored=stored, filename=name, declared_type=declared)
        room -= 1
    removed = request.form.get("remove", "")
    removed_id = inputs.whole_number(removed)
    if removed_id is not None:
        web_sessions.remove_upload(session, web=web, attachment_id=removed_id, storage=storage())
    draft["language"] = data_language(g.lang)
    web.language = Language(data_language(g.lang))
    web_sessions.save_draft(web, keyring=keyring(), draft=draft)
    rotate(web)
    session.commit()
    if refused:
        return _render_step(step, draft, {"evidence": " ".join(refused)}, 422, [("evidence", m) for m in refused])
    if removed:
        back_here = {"from": "review"} if request.form.get("from") == "review" else {}
        return redirect(_with_lang("web.report_evidence", **back_here), 303)
    return _next(step, draft)


def _evidence_too_large() -> ResponseReturnValue:
    """Show the files question again when the files chosen were too large to receive at all."""
    web = _draft_session()
    g.lang = _language()
    draft = web_sessions.load_draft(web, keyring=keyring()) if web else {}
    if not draft.get("kind"):
        return error_page(413)
    message = wt(g.lang, FILES_TOO_LARGE, size=megabytes(_media_max_bytes(), g.lang))
    return _render_step(STEP_BY_SLUG["evidence"], draft, {"evidence": message}, 413)


def _summary(draft: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for step in steps_for(draft):
        if step.slug == "contact":
            continue
        values: list[tuple[str | None, str]] = []
        if step.slug == "evidence":
            values = [(None, name) for _, name in _uploads()] or [(None, wt(g.lang, NO_FILES))]
        elif step.slug == "kind":
            kind = COMPLAINT if draft.get("kind") == "complaint" else COMMENDATION
            values = [(None, wt(g.lang, kind))]
        elif step.slug == "anonymous":
            if draft.get("anonymous") == "yes":
                values = [(None, wt(g.lang, ANONYMOUS))]
            else:
                contact = STEP_BY_SLUG["contact"]
                for f in contact.fields:
                    raw = draft.get(f.name) or ""
                    if f.kind == "radio":
                        raw = wt(g.lang, dict(f.options)[raw]) if raw in dict(f.options) else ""
                    values.append((wt(g.lang, f.label), raw or wt(g.lang, NOT_GIVEN)))
        else:
            for f in step.fields:
                raw = draft.get(f.name) or ""
                if raw:
                    values.append((wt(g.lang, f.label) if len(step.fields) > 1 else None, raw))
            values = values or [(None, wt(g.lang, NOT_GIVEN))]
        change = "contact" if step.slug == "anonymous" and draft.get("anonymous") == "no" else step.slug
        rows.append(
            {"label": wt(g.lang, step.summary or step.title), "values": values, "slug": step.slug, "change": change}
        )
    return rows


@bp.route("/report/review", methods=["GET", "POST"])
def report_review() -> ResponseReturnValue:
    """Read the whole report back; on POST, file it and show the tracking number and PIN once."""
    web = _draft_session()
    g.lang = _language()
    draft = web_sessions.load_draft(web, keyring=keyring()) if web else {}
    if request.method == "POST" and not _check_csrf():
        return _page("web/message.html", 400, heading=EXPIRED, message=None, restart=True)
    if web is None or not draft.get("kind"):
        return redirect(_with_lang("web.report_start"), 303)
    submission, errors = validate(draft, g.lang)
    if submission is None:
        first = next((s for s in steps_for(draft) if any(f.name in errors for f in s.fields)), STEP_BY_SLUG["what"])
        return redirect(_with_lang("web.report_step", slug=first.slug), 303)
    if request.method == "GET":
        rotate(web)  # the read-back shows every answer
        get_session().commit()
        return _page("web/review.html", rows=_summary(draft), total=len(steps_for(draft)) + 1)
    session = get_session()
    # NOTE: a draft begun by text files under the text draft's own key, so it files once, wherever it ends.
    text_draft = draft.get("resume_draft_id")
    try:
        receipt, _ = complaints.file_case_idempotently(
            session,
            keyring=keyring(),
            scope=resume.BOT_SCOPE if text_draft else ACTOR,
            key=str(text_draft) if text_draft else web.conversation_id,
            submission=submission,
            actor=ACTOR,
            conversation_id=web.conversation_id,
        )
    except IdempotencyConflict:
        return _page("web/message.html", 409, heading=EXPIRED, message=None, restart=True)
    case = complaints.get_case(session, tracking_number=receipt.tracking_number)
    if draft.get("resume_conversation_id"):
        complaints.join_text_evidence(session, case=case, conversation_id=str(draft["resume_conversation_id"]))
    web_sessions.end_session(web, reason=web_sessions.ENDED_FILED, case_id=case.id)
    session.commit()
    g.clear_cookie = True
    return _page(
        "web/done.html",
        tracking_number=tracking.format_tracking_number(receipt.tracking_number),
        pin=receipt.pin,
        anonymous=submission.anonymous,
    )


@bp.get("/report/leave")
def leave() -> ResponseReturnValue:
    """Forget this browser's draft and go to a neutral site (works without JavaScript)."""
    web = _draft_session()
    if web is not None:
        web_sessions.end_session(web, reason=web_sessions.ENDED_ABANDONED)
        get_session().commit()
    g.clear_cookie = True
    response = redirect(current_app.config["HEARD_LEAVE_URL"], 303)
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> ResponseReturnValue:
    if isinstance(exc, RequestEntityTooLarge):
        _discard_body()
        _draft_session()  # the form's own language field could not be read: the draft's language is next
        g.lang = _language()
        if request.endpoint == "web.report_evidence":
            return _evidence_too_large()
    return error_page(exc.code or 500, exc)
