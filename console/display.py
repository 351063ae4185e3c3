"""How the console shows things: words for the queue's codes, times in the office's zone, sizes, names."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_datetime, format_timedelta
from babel.numbers import format_decimal
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from intake.cases import tracking
from intake.enums import Channel, Direction, Disposition, Kind, Language, Status
from intake.triage import CATEGORIES, ServiceTargets, Sort, previewable

STATUS_LABELS = {
    Status.RECEIVED: _l("Received"),
    Status.TRIAGE: _l("In triage"),
    Status.ASSIGNED: _l("Assigned"),
    Status.INVESTIGATING: _l("Investigating"),
    Status.REFERRED: _l("Referred"),
    Status.CLOSED: _l("Closed"),
    Status.WITHDRAWN: _l("Withdrawn"),
}
KIND_LABELS = {Kind.COMPLAINT: _l("Complaint"), Kind.COMMENDATION: _l("Commendation")}
CHANNEL_LABELS = {
    Channel.SMS: _l("Text message"),
    Channel.VOICE: _l("Phone call"),
    Channel.TTY: _l("TTY call"),
    Channel.RELAY: _l("Relay call"),
    Channel.WEB_CHAT: _l("Web chat"),
    Channel.WEB_FORM: _l("Web form"),
    Channel.PARTNER: _l("Partner organisation"),
    Channel.IN_PERSON: _l("In person"),
    Channel.MAIL: _l("Mail"),
    Channel.WHATSAPP: _l("WhatsApp"),
    Channel.EMAIL: _l("Email"),
}
CATEGORY_LABELS = {
    "use_of_force": _l("Use of force"),
    "discourtesy": _l("Discourtesy or offensive language"),
    "bias_or_profiling": _l("Bias or profiling"),
    "improper_stop_search_arrest": _l("Improper stop, search or arrest"),
    "failure_to_act": _l("Failure to act"),
    "property": _l("Property"),
    "other": _l("Other"),
    "commendation": _l("Commendation"),
    "callback_request": _l("Call-back request"),
}
DISPOSITION_LABELS = {
    Disposition.SUSTAINED: _l("Sustained"),
    Disposition.NOT_SUSTAINED: _l("Not sustained"),
    Disposition.EXONERATED: _l("Exonerated"),
    Disposition.UNFOUNDED: _l("Unfounded"),
    Disposition.POLICY_FAILURE: _l("Policy failure"),
    Disposition.MEDIATED: _l("Mediated"),
    Disposition.NO_JURISDICTION: _l("No jurisdiction"),
    Disposition.DUPLICATE: _l("Duplicate"),
    Disposition.ACKNOWLEDGED: _l("Acknowledged (commendation)"),
}
SORT_LABELS = {
    Sort.NEWEST: _l("Newest first"),
    Sort.OLDEST: _l("Oldest first"),
    Sort.RECENTLY_UPDATED: _l("Recently updated first"),
    Sort.LEAST_RECENTLY_UPDATED: _l("Longest without an update first"),
}
DIRECTION_LABELS = {Direction.INBOUND: _l("From the resident"), Direction.OUTBOUND: _l("From Heard")}
# CLDR has no Hmong (White Hmong, "hmn") names; these are the language's own and its English name.
_HMONG = ("Hmoob", "Hmong")


def _locale() -> Locale:
    locale = get_locale()
    return locale if locale is not None else Locale("en")


def language_name(code: Language | str) -> str:
    """Return a language's name in the viewer's language, with its own name beside it."""
    return _language_name(str(code), str(_locale()))


@functools.lru_cache(maxsize=256)
def _language_name(value: str, viewer_locale: str) -> str:
    # NOTE: cached: Babel parses locale data on every call, and a queue page names 50 languages.
    if value == Language.HMN.value:
        own, here = _HMONG
    else:
        try:
            own = Locale.parse(value).get_display_name(value) or value
        except (ValueError, UnknownLocaleError):
            own = value
        here = Locale.parse(viewer_locale).languages.get(value, value)
    return here if own.casefold() == here.casefold() else f"{here} ({own})"


def helpers(targets: ServiceTargets) -> dict[str, Any]:
    """Return the functions and tables every console template may use."""

    def when(value: dt.datetime | None) -> str:
        if value is None:
            return ""
        return format_datetime(value, "medium", tzinfo=targets.zone, locale=_locale())

    def iso(value: dt.datetime | None) -> str:
        return value.isoformat(timespec="seconds") if value else ""

    def when_iso(value: str) -> str:
        return when(dt.datetime.fromisoformat(value))

    def duration(value: dt.timedelta) -> str:
        return format_timedelta(value, threshold=1.5, locale=_locale())

    def size(value: int) -> str:
        if value < 1024:
            return f"{format_decimal(value, locale=_locale())} B"
        if value < 1024 * 1024:
            return f"{format_decimal(round(value / 1024, 1), locale=_locale())} KB"
        return f"{format_decimal(round(value / 1024 / 1024, 1), locale=_locale())} MB"

    def category(value: str | None) -> str:
        return str(CATEGORY_LABELS.get(value or "", value or ""))

    return {
        "when": when,
        "iso": iso,
        "when_iso": when_iso,
        "duration": duration,
        "size": size,
        "category_label": category,
        "language_name": language_name,
        "tracking": tracking.format_tracking_number,
        "previewable": previewable,
        "STATUS_LABELS": STATUS_LABELS,
        "KIND_LABELS": KIND_LABELS,
        "CHANNEL_LABELS": CHANNEL_LABELS,
        "CATEGORY_LABELS": CATEGORY_LABELS,
        "CATEGORIES": CATEGORIES,
        "DISPOSITION_LABELS": DISPOSITION_LABELS,
        "SORT_LABELS": SORT_LABELS,
        "DIRECTION_LABELS": DIRECTION_LABELS,
        "Status": Status,
        "Language": Language,
        "office_timezone": targets.timezone,
        "acknowledge_days": targets.acknowledge_working_days,
    }
