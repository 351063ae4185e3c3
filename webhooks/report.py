"""The pages residents reach without JavaScript: the demo city page ``/``, the report form
``/report`` (one question per page, in the dialogue's order) and the status page ``/status``.

The draft lives on the server, encrypted, in a web session whose random token is the
``heard_web`` cookie; every form carries a CSRF token derived from it. Files the resident
adds are checked and stored like chat uploads and MMS, held by the session's conversation
until the case is filed. Filing goes through the same service functions as every other channel.
"""

from __future__ import annotations

import datetime as dt
import os
import zoneinfo
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException, MethodNotAllowed, RequestEntityTooLarge
from werkzeug.wsgi import LimitedStream

from intake import evidence
from intake.cases import filing as complaints
from intake.cases import tracking
from intake.cases.filing import EMAIL_MAX_CHARS, FIELD_MAX_CHARS, NAME_MAX_CHARS, NARRATIVE_MAX_CHARS
from intake.conversations import web_sessions
from intake.conversations.web_sessions import SessionGone
from intake.enums import Channel, Language, Status
from intake.errors import IdempotencyConflict, NotFound, PinLocked, ValidationError
from intake.models import WebSession
from webhooks.extensions import limiter, tracking_limit_key
from webhooks.session import get_session, keyring
from webhooks.webtext import (
    N_,
    PAGE_LANGUAGE_NAMES,
    PAGE_LANGUAGES,
    best_page_language,
    chinese_script,
    data_language,
    direction,
    local_date,
    megabytes,
    page_language,
    supported,
    wt,
)

bp = Blueprint("web", __name__, template_folder="templates", static_folder="static/web", static_url_path="/web/static")
COOKIE = "heard_web"
ACTOR = "web_form"
DEFAULT_LEAVE_URL = "https://www.weather.gov/"
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)

COMPLAINT = N_("Make a complaint about police conduct")
COMMENDATION = N_("Thank an officer for good police work")
YES_ANONYMOUS = N_("Yes, stay anonymous")
NO_ANONYMOUS = N_("No, I will tell you how to reach me")
NOT_GIVEN = N_("(not given)")
ANONYMOUS = N_("Anonymous")
CHOOSE_ONE = N_("Please choose one.")
TELL_US = N_("Please tell us what happened.")
SHORTEN = N_("Please shorten this answer to at most {limit} characters.")
BAD_PHONE = N_("This is not a phone number we can call or text. Please check it.")
BAD_EMAIL = N_("This does not look like an email address. Please check it.")
NEED_PHONE = N_("To be contacted this way, please give a phone number.")
NEED_EMAIL = N_("To be contacted by email, please give an email address.")
FUTURE = N_("The date cannot be in the future.")
CHECK = N_("Please check this answer.")
EXPIRED = N_(
    "This page has expired, or your browser does not keep cookies for this site. "
    "If you already sent your report, it was received: use your tracking number and PIN to check on it."
)
NO_MATCH = N_("No report matches this tracking number and PIN. Please check them and try again.")
NEED_BOTH = N_("Please enter a tracking number and a PIN.")
PIN_LOCKED = N_(
    "This report is locked because a wrong PIN was entered too many times. "
    "To unlock it, call the intake office at {phone}."
)
DEFAULT_OFFICE_PHONE = "(209) 555-0100"
TOO_FAST = N_("You are sending very quickly. Please wait a minute and try again.")
NOT_FOUND = N_("We could not find this page.")
FILE_HINT = N_(
    "You can add photos, videos, sound recordings or PDF documents. Each file can be at most {size} MB. "
    "You can choose several files at once, or none."
)
FILE_PRIVATE = N_("Your files are kept encrypted and seen only by the intake office.")
NO_FILES = N_("No files added")
FILE_TYPE = N_("{name} was not added, because it is not a photo, video, sound recording or PDF document.")
FILE_SIZE = N_("{name} was not added, because it is larger than {size} MB.")
FILE_EMPTY = N_("{name} was not added, because it is empty.")
FILE_TOO_MANY = N_("{name} was not added, because a report can have at most {limit} files.")
FILES_TOO_LARGE = N_(
    "The files you chose are too large to send all at once, so none of them was added. "
    "Each file can be at most {size} MB: please choose fewer files at a time. Your other answers are saved."
)
# The page a resident sees when something fails, by HTTP status: a heading and what to do.
ERROR_PAGES = {
    404: (NOT_FOUND, N_("The address may be mistyped, or the page may have moved.")),
    405: (N_("This page cannot do what your browser asked."), N_("Please go back and try again.")),
    413: (
        N_("What you sent is too large."),
        N_("Please shorten it and try again. The answers you saved before were not lost."),
    ),
    429: (TOO_FAST, None),
    500: (
        N_("Something went wrong on our side."),
        N_("Nothing you sent before was lost. Please try again in a few minutes."),
    ),
}
OTHER_ERROR = (N_("This request could not be handled."), N_("Please go back and try again."))
# Phones pick from the camera and the gallery with wide types; the bytes are checked on arrival.
FILE_ACCEPT = "image/*,video/*,audio/*,application/pdf,.heic,.heif"
# A report keeps at most this many files; one submission may carry this many files of the largest size.
EVIDENCE_MAX_FILES = 10
EVIDENCE_FILES_PER_SEND = 4
# NOTE: a refused upload is read to its end (up to this much) so that the browser shows the
# answer instead of "connection reset"; beyond it the connection is simply closed.
DRAIN_MAX_BYTES = 100 * 1024 * 1024
# Said of a case closed as a duplicate; the other case's number is the office's to tell.
MERGED = N_(
    "This report was joined with another report about the same events; the intake office handles them together. "
    "Your tracking number and PIN still work."
)
STATUS_TEXT = {
    Status.RECEIVED: N_("received, waiting to be reviewed"),
    Status.TRIAGE: N_("being reviewed by the intake office"),
    Status.ASSIGNED: N_("assigned to an investigator"),
    Status.INVESTIGATING: N_("under investigation"),
    Status.REFERRED: N_("referred to the police department for action"),
    Status.CLOSED: N_("closed"),
    Status.WITHDRAWN: N_("withdrawn"),
}


@dataclass(frozen=True)
class Field:
    """One input of a question page; ``label`` and ``hint`` are catalog messages."""

    name: str
    label: str
    kind: str = "text"  # text, textarea, tel, email, date, time, radio, file
    hint: str | None = None
    options: tuple[tuple[str, str], ...] = ()
    autocomplete: str | None = None
    limit: int = FIELD_MAX_CHARS


@dataclass(frozen=True)
class Step:
    """One question of the report, one page; a single field's label is the page's heading."""

    slug: str
    title: str
    fields: tuple[Field, ...]
    hint: str | None = None
    summary: str | None = None
    only: str | None = None  # "complaint": asked only of a complaint; "contact": only if not anonymous
    names: tuple[str, ...] = field(default=())


STEPS = (
    Step(
        "kind",
        N_("What would you like to do?"),
        (
            Field(
                "kind",
                N_("What would you like to do?"),
                "radio",
                options=(("complaint", COMPLAINT), ("commendation", COMMENDATION)),
            ),
        ),
        summary=N_("Type of report"),
    ),
    Step(
        "what",
        N_("What happened?"),
        (
            Field(
                "narrative",
                N_("What happened?"),
                "textarea",
                N_("Tell us in your own words. Write as much as you need."),
                limit=NARRATIVE_MAX_CHARS,
            ),
        ),
        summary=N_("What happened"),
    ),
    Step(
        "when",
        N_("When did it happen?"),
        (
            Field(
                "when_text",
                N_("In your own words"),
                "text",
                N_("For example: Saturday, November 2, around 9 at night. If you do not know, leave it empty."),
            ),
            Field("when_date", N_("Date, if you know it"), "date"),
            Field("when_time", N_("Time, if you know it"), "time"),
        ),
        summary=N_("When"),
    ),
    Step(
        "where",
        N_("Where did it happen?"),
        (
            Field(
                "location",
                N_("Where did it happen?"),
                "textarea",
                N_("An address, a cross street or a place is enough."),
            ),
        ),
        summary=N_("Where"),
    ),
    Step(
        "officers",
        N_("Which officers were involved?"),
        (
            Field(
                "officers",
                N_("Which officers were involved?"),
                "textarea",
                N_("Names, badge numbers, car numbers or a description. If you do not know, leave it empty."),
            ),
        ),
        summary=N_("Officers"),
    ),
    Step(
        "injuries",
        N_("Was anyone hurt?"),
        (Field("injuries", N_("Was anyone hurt?"), "textarea", N_("If so, tell us who and how.")),),
        summary=N_("Injuries"),
        only="complaint",
    ),
    Step(
        "witnesses",
        N_("Did anyone else see it?"),
        (
            Field(
                "witnesses",
                N_("Did anyone else see it?"),
                "textarea",
                N_("Their names and how to reach them, if you know."),
            ),
        ),
        summary=N_("Witnesses"),
        only="complaint",
    ),
    Step(
        "evidence",
        N_("Do you have photos, videos or other files to add?"),
        (Field("evidence", N_("Do you have photos, videos or other files to add?"), "file", FILE_HINT),),
        summary=N_("Files"),
        only="complaint",
    ),
    Step(
        "anonymous",
        N_("Do you want to stay anonymous?"),
        (
            Field(
                "anonymous",
                N_("Do you want to stay anonymous?"),
                "radio",
                N_("If you stay anonymous, we will not ask your name, and we cannot contact you about your report."),
                options=(("yes", YES_ANONYMOUS), ("no", NO_ANONYMOUS)),
            ),
        ),
        summary=N_("How to reach you"),
    ),
    Step(
        "contact",
        N_("How can we reach you?"),
        (
            Field("name", N_("Your name"), "text", autocomplete="name", limit=NAME_MAX_CHARS),
            Field("phone", N_("Phone number"), "tel", autocomplete="tel", limit=40),
            Field("email", N_("Email address"), "email", autocomplete="email", limit=EMAIL_MAX_CHARS),
            Field(
                "preferred",
                N_("How should we contact you?"),
                "radio",
                options=(("sms", N_("Text message")), ("phone", N_("Phone call")), ("email", N_("Email"))),
            ),
            Field("times", N_("When is it safe to contact you?"), "text", N_("For example: weekdays after 5 pm.")),
        ),
        hint=N_(
            "Fill in only what you are comfortable with. "
            "Your contact details are kept encrypted and seen only by the intake office."
        ),
        only="contact",
    ),
)
STEP_BY_SLUG = {step.slug: step for step in STEPS}
# Where each error of complaints.parse_submission belongs on the form.
FIELD_OF_ERROR = {
    "kind": "kind",
    "narrative": "narrative",
    "incident_time_text": "when_text",
    "incident_time": "when_date",
    "location": "location",
    "officers": "officers",
    "injuries": "injuries",
    "witnesses": "witnesses",
    "contact.name": "name",
    "contact.phone": "phone",
    "contact.email": "email",
    "contact.preferred": "preferred",
}
FIELD_LIMITS = {f.name: f.limit for step in STEPS for f in step.fields}


def steps_for(draft: dict[str, Any]) -> list[Step]:
    """Return the questions this report asks, in order: a commendation and an anonymous report ask fewer."""
    chosen = []
    for step in STEPS:
        if step.only == "complaint" and draft.get("kind") == "commendation":
            continue
        if step.only == "contact" and draft.get("anonymous") != "no":
            continue
        chosen.append(step)
    return chosen


# -- language, cookie, CSRF -----------------------------------------------------------------


def _value(name: str) -> str | None:
    """Return a query or form value; only the query's when the body is too large to read."""
    try:
        return request.values.get(name)
    except HTTPException:
        return request.args.get(name)


def _language() -> str:
    """The page's language: the one named, the draft's, then the browser's (``zh-Hant`` included)."""
    named = _value("lang")
    remembered = g.get("draft_language")
    accepted = [lang for lang, _ in request.accept_languages]
    if remembered == "zh":
        # NOTE: a draft keeps its data language only; the browser says which way its Chinese is written.
        remembered = next((found for found in map(page_language, accepted) if chinese_script(found)), "zh-Hans")
    return best_page_language([named, remembered, *accepted])


def _nonce() -> str:
    """Return this browser's random cookie value, creating it (set on the response) when missing."""
    if "web_nonce" not in g:
        existing = request.cookies.get(COOKIE, "")
        g.web_nonce = existing if 20 <= len(existing) <= 128 else web_sessions.new_token()
        g.set_cookie = g.web_nonce != existing
    return str(g.web_nonce)


def _csrf_token() -> str:
    return keyring().digest("web-csrf", _nonce())[:40]


def _check_csrf() -> bool:
    import hmac

    sent = request.form.get("csrf", "")
    cookie = request.cookies.get(COOKIE, "")
    if not sent or not cookie:
        return False
    return hmac.compare_digest(sent, keyring().digest("web-csrf", cookie)[:40])


def _draft_session() -> WebSession | None:
    cookie = request.cookies.get(COOKIE, "")
    if not cookie:
        return None
    try:
        web = web_sessions.find_session(get_session(), keyring=keyring(), token=cookie, channel=Channel.WEB_FORM)
    except SessionGone:
        return None
    g.draft_language = web.language.value if web.language else None
    g.web_session = web
    return web


def _with_lang(endpoint: str, **values: Any) -> str:
    return url_for(endpoint, lang=g.lang, **values)


def _media_max_bytes() -> int:
    return int(current_app.extensions["heard.channel_settings"].media_max_bytes)


@bp.before_request
def _prepare() -> None:
    if request.endpoint == "web.report_evidence":
        # Before anything reads the form: the app's limit is for words, not files.
        request.max_content_length = _media_max_bytes() * EVIDENCE_FILES_PER_SEND + 1024 * 1024
    try:
        # NOTE: the body is read here, first: a multipart body refused halfway reads as an empty
        # form afterwards, so the refusal must surface now, not be mistaken for a missing token.
        request.form  # noqa: B018
    except RequestEntityTooLarge:
        g.lang = _language()
        raise
    g.lang = _language()


def tr(message: str, **values: Any) -> str:
    """Say ``message`` in the page's language (templates' gettext)."""
    return wt(g.get("lang"), message, **values)


@bp.context_processor
def _context() -> dict[str, Any]:
    return {
        "tr": tr,
        "lang": g.lang,
        "dir": direction(g.lang),
        "languages": [(code, PAGE_LANGUAGE_NAMES[code]) for code in PAGE_LANGUAGES],
        "csrf_token": _csrf_token(),
        "leave_url": url_for("web.leave"),
        "with_lang": _with_lang,
        "from_review": _value("from") == "review",
    }


@bp.after_request
def _headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = PAGE_CSP
    response.headers["Cache-Control"] = "no-store"
    response.headers.setdefault("Content-Language", g.get("lang", "en"))
    if g.get("clear_cookie"):
        response.delete_cookie(COOKIE, path="/", samesite="Lax", secure=request.is_secure, httponly=True)
    elif g.get("set_cookie"):
        response.set_cookie(COOKIE, str(g.web_nonce), path="/", samesite="Lax", secure=request.is_secure, httponly=True)
    return response


def _page(template: str, status: int = 200, **context: Any) -> ResponseReturnValue:
    return render_template(template, **context), status


def error_page(code: int, exc: HTTPException | None = None) -> Response:
    """Answer an error on a resident's page with a small page in their language: no trace, a way on."""
    g.lang = g.get("lang") or _language()
    heading, message = ERROR_PAGES.get(code, OTHER_ERROR)
    context = {**_context(), "code": code, "heading": heading, "message": message}
    response = make_response(render_template("web/error.html", **context), code)
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    response.headers["Content-Security-Policy"] = PAGE_CSP
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Language"] = g.lang
    return response


def _discard_body() -> None:
    """Read a refused body to its end, so the browser is still listening when the answer comes."""
    length = request.content_length or 0
    if not length or length > DRAIN_MAX_BYTES:
        return
    # Where the form parser stopped, if it started (a cached property), else the untouched input.
    stream = request.__dict__.get("stream") or LimitedStream(request.environ["wsgi.input"], length)
    try:
        while stream.read(1024 * 1024):
            pass
    except (OSError, HTTPException):  # the browser went away, or the limit cut the stream: answer anyway
        return


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> ResponseReturnValue:
    if isinstance(exc, RequestEntityTooLarge):
        _discard_body()
        _draft_session()  # the form's own language field could not be read: the draft's language is next
        g.lang = _language()
        if request.endpoint == "web.report_evidence":
            return _evidence_too_large()
    return error_page(exc.code or 500, exc)


# -- the demo city page -----------------------------------------------------------------------


@bp.get("/")
def demo() -> ResponseReturnValue:
    """A mock city page that embeds the chat widget, as a city's site would."""
    return _page("web/demo.html", leave_target=current_app.config["HEARD_LEAVE_URL"])


# -- the report form ---------------------------------------------------------------------------


def _submission_data(draft: dict[str, Any], language: str) -> tuple[dict[str, Any], dict[str, str]]:
    """Turn the draft into parse_submission's fields; return them and the form's own errors."""
    errors: dict[str, str] = {}
    data: dict[str, Any] = {
        "kind": draft.get("kind"),
        "channel": Channel.WEB_FORM.value,
        "language": data_language(language),
        "narrative": draft.get("narrative") or None,
        "location": draft.get("location") or None,
        "officers": draft.get("officers") or None,
        "anonymous": draft.get("anonymous") == "yes",
    }
    if draft.get("kind") != "commendation":
        data["injuries"] = draft.get("injuries") or None
        times = draft.get("times") if draft.get("anonymous") == "no" else None
        data["witnesses"] = (
            "\n".join(filter(None, [draft.get("witnesses"), times and f"contact times: {times}"])) or None
        )
    when_text, when_date, when_time = (
        draft.get("when_text") or "",
        draft.get("when_date") or "",
        draft.get("when_time") or "",
    )
    data["incident_time_text"] = when_text or None
    if when_date:
        zone = zoneinfo.ZoneInfo(os.environ.get("HEARD_OFFICE_TIMEZONE", "America/Los_Angeles"))
        try:
            day = dt.date.fromisoformat(when_date)
            clock = dt.time.fromisoformat(when_time) if when_time else None
        except ValueError:
            errors["when_date" if not when_time else "when_time"] = CHECK
        else:
            if day > dt.datetime.now(zone).date():
                errors["when_date"] = FUTURE
            elif clock is not None:
                data["incident_time"] = dt.datetime.combine(day, clock, tzinfo=zone).isoformat()
            else:
                # NOTE: a day without an hour is not an instant; it stays with the resident's words.
                data["incident_time_text"] = " — ".join(filter(None, [when_date, when_text]))
    if draft.get("anonymous") == "no":
        contact = {k: draft.get(k) or None for k in ("name", "phone", "email")}
        if draft.get("preferred"):
            contact["preferred"] = draft["preferred"]
        if any(contact.values()):
            data["contact"] = contact
    return data, errors


def _localized_errors(errors: dict[str, str]) -> dict[str, str]:
    """Map parse_submission's field errors to the form's fields, in words a resident reads."""
    shown: dict[str, str] = {}
    for key, text in errors.items():
        name = FIELD_OF_ERROR.get(key)
        if name is None:
            continue
        if name == "narrative" and ("required" in text or "empty" in text):
            shown[name] = wt(g.lang, TELL_US)
        elif "at most" in text:
            shown[name] = wt(g.lang, SHORTEN, limit=FIELD_LIMITS.get(name, FIELD_MAX_CHARS))
        elif name == "phone":
            shown[name] = wt(g.lang, BAD_PHONE)
        elif name == "email":
            shown[name] = wt(g.lang, BAD_EMAIL)
        elif name == "preferred":
            need = NEED_EMAIL if "email" in text else NEED_PHONE
            shown[name] = wt(g.lang, need)
        elif name == "when_date" and "future" in text:
            shown[name] = wt(g.lang, FUTURE)
        elif name == "kind":
            shown[name] = wt(g.lang, CHOOSE_ONE)
        else:
            shown[name] = wt(g.lang, CHECK)
    return shown


def validate(draft: dict[str, Any], language: str) -> tuple[complaints.Submission | None, dict[str, str]]:
    """Validate the whole draft as parse_submission does; return the submission or the form's errors."""
    data, own = _submission_data(draft, language)
    shown = {name: wt(language, message) for name, message in own.items()}
    if not draft.get("anonymous") and draft.get("narrative"):
        shown.setdefault("anonymous", wt(language, CHOOSE_ONE))
    try:
        submission = complaints.parse_submission(data)
    except ValidationError as exc:
        shown = {**_localized_errors(exc.errors), **shown}
        return None, shown
    return (submission if not shown else None), shown


def _step_errors(step: Step, draft: dict[str, Any]) -> dict[str, str]:
    names = {f.name for f in step.fields}
    probe = dict(draft)
    if step.slug == "kind":
        probe.setdefault("narrative", "-")
    if step.slug != "anonymous":
        probe.setdefault("anonymous", "yes" if step.slug not in ("contact",) else "no")
    _, errors = validate(probe, g.lang)
    found = {name: text for name, text in errors.items() if name in names}
    for f in step.fields:
        if f.kind == "radio" and f.name in ("kind", "anonymous") and not draft.get(f.name):
            found[f.name] = wt(g.lang, CHOOSE_ONE)
    return found


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
        return _render_step(step, draft, {})
    if not _check_csrf():
        return _page("web/message.html", 400, heading=EXPIRED, message=None, restart=True)
    session = get_session()
    if web is None:
        web, _ = web_sessions.open_session(
            session,
            keyring=keyring(),
            channel=Channel.WEB_FORM,
            language=data_language(g.lang),
            token=request.cookies[COOKIE],
        )
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
        stored = evidence.store(current_app.config["HEARD_SETTINGS"].instance_dir, keyring(), data, real_type)
        web_sessions.record_upload(session, web=web, stored=stored, filename=name, declared_type=declared)
        room -= 1
    removed = request.form.get("remove", "")
    if removed.isdigit():
        web_sessions.remove_upload(
            session, web=web, attachment_id=int(removed), instance_dir=current_app.config["HEARD_SETTINGS"].instance_dir
        )
    draft["language"] = data_language(g.lang)
    web.language = Language(data_language(g.lang))
    web_sessions.save_draft(web, keyring=keyring(), draft=draft)
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
        return _page("web/review.html", rows=_summary(draft), total=len(steps_for(draft)) + 1)
    session = get_session()
    try:
        receipt, _ = complaints.file_case_idempotently(
            session,
            keyring=keyring(),
            scope=ACTOR,
            key=web.conversation_id,
            submission=submission,
            actor=ACTOR,
            conversation_id=web.conversation_id,
        )
    except IdempotencyConflict:
        return _page("web/message.html", 409, heading=EXPIRED, message=None, restart=True)
    case = complaints.get_case(session, tracking_number=receipt.tracking_number)
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


# -- the status page ---------------------------------------------------------------------------


def _tracking_key() -> str:
    return tracking_limit_key(request.form.get("tracking_number", ""))


@bp.route("/status", methods=["GET", "POST"])
@limiter.limit("20 per minute; 300 per day", methods=["POST"])
@limiter.limit("10 per hour", key_func=_tracking_key, methods=["POST"])
def status() -> ResponseReturnValue:
    """Tell a filer the status of their report, proven by its tracking number and PIN."""
    if request.method == "GET":
        return _page("web/status.html", errors={}, result=None, number="")
    if not _check_csrf():
        return _page("web/message.html", 400, heading=EXPIRED, message=None, restart=False)
    number = web_sessions.clean_text(request.form.get("tracking_number", ""))[:40]
    pin = web_sessions.clean_text(request.form.get("pin", ""))[:20]
    if not number or not pin:
        return _page("web/status.html", 422, errors={"form": wt(g.lang, NEED_BOTH)}, result=None, number=number)
    try:
        view = complaints.look_up_status(get_session(), keyring=keyring(), tracking_text=number, pin=pin)
    except (NotFound, PinLocked) as exc:
        get_session().commit()  # NOTE: the wrong try counts toward the case's lock though the answer is a refusal
        if isinstance(exc, PinLocked):
            phone = os.environ.get("HEARD_OFFICE_PHONE") or DEFAULT_OFFICE_PHONE
            locked = wt(g.lang, PIN_LOCKED, phone=phone)
            return _page("web/status.html", 423, errors={"form": locked}, result=None, number=number)
        return _page("web/status.html", 404, errors={"form": wt(g.lang, NO_MATCH)}, result=None, number=number)
    zone = zoneinfo.ZoneInfo(os.environ.get("HEARD_OFFICE_TIMEZONE", "America/Los_Angeles"))
    result = {
        "tracking_number": tracking.format_tracking_number(view.tracking_number),
        "status": wt(g.lang, STATUS_TEXT[view.status]),
        "filed": local_date(view.filed_at, g.lang, zone),
        "updated": local_date(view.last_update, g.lang, zone),
        "merged": wt(g.lang, MERGED) if view.merged else None,
    }
    return _page("web/status.html", errors={}, result=result, number="")


def init_app(app: Flask) -> None:
    """Register the pages; the neutral site "Leave quickly" goes to comes from HEARD_LEAVE_URL."""
    app.config.setdefault("HEARD_LEAVE_URL", os.environ.get("HEARD_LEAVE_URL") or DEFAULT_LEAVE_URL)
    app.register_blueprint(bp)


__all__ = ["bp", "init_app", "steps_for", "supported", "validate"]
