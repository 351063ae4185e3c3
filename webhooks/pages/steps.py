"""The report form's questions, one page each in the dialogue's order, and how a draft is checked."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, g

from intake import inputs
from intake.cases import filing as complaints
from intake.cases.filing import EMAIL_MAX_CHARS, FIELD_MAX_CHARS, NAME_MAX_CHARS, NARRATIVE_MAX_CHARS
from intake.enums import Channel
from intake.errors import ErrorCode, ValidationError, code_of
from webhooks.pages.texts import (
    BAD_EMAIL,
    BAD_PHONE,
    CHECK,
    CHOOSE_ONE,
    COMMENDATION,
    COMPLAINT,
    FILE_HINT,
    FUTURE,
    NEED_EMAIL,
    NEED_PHONE,
    NO_ANONYMOUS,
    SHORTEN,
    TELL_US,
    YES_ANONYMOUS,
)
from webhooks.webtext import (
    N_,
    data_language,
    wt,
)


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
        zone = current_app.config["HEARD_SETTINGS"].office_zone
        try:
            day = dt.date.fromisoformat(when_date)
            clock = dt.time.fromisoformat(when_time) if when_time else None
        except ValueError:
            errors["when_date" if not when_time else "when_time"] = CHECK
        else:
            if day.year < inputs.EARLIEST.year + 1:
                errors["when_date"] = CHECK
            elif day > dt.datetime.now(zone).date():
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
        code = code_of(text)
        if name == "narrative" and code in (ErrorCode.REQUIRED, ErrorCode.EMPTY):
            shown[name] = wt(g.lang, TELL_US)
        elif code is ErrorCode.TOO_LONG:
            shown[name] = wt(g.lang, SHORTEN, limit=FIELD_LIMITS.get(name, FIELD_MAX_CHARS))
        elif name == "phone":
            shown[name] = wt(g.lang, BAD_PHONE)
        elif name == "email":
            shown[name] = wt(g.lang, BAD_EMAIL)
        elif name == "preferred":
            shown[name] = wt(g.lang, NEED_EMAIL if code is ErrorCode.NEEDS_EMAIL else NEED_PHONE)
        elif name == "when_date" and code is ErrorCode.FUTURE:
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
