"""Turn the console's query strings and form posts into the services' arguments, or name what is wrong."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from intake import inputs
from intake.cases.officers import LIMITS as OFFICER_FIELDS
from intake.enums import Channel, Disposition, Kind, Language, Status, StrEnum
from intake.errors import ValidationError
from intake.triage import UNASSIGNED, CaseFilters, Sort

# The query-string names of the queue's filters, as the filter form sends them.
FILTER_FIELDS = (
    "status",
    "kind",
    "category",
    "language",
    "channel",
    "assignee",
    "interpreter",
    "injury",
    "overdue",
    "from",
    "to",
    "q",
    "sort",
)


def _enum[E: StrEnum](args: Mapping[str, str], name: str, cls: type[E], errors: dict[str, str]) -> E | None:
    value = (args.get(name) or "").strip()
    if not value:
        return None
    try:
        return cls(value)
    except ValueError:
        errors[name] = f"must be one of: {', '.join(cls.values())}"
        return None


def _yes_no(args: Mapping[str, str], name: str, errors: dict[str, str]) -> bool | None:
    value = (args.get(name) or "").strip().lower()
    if value in ("", "any"):
        return None
    if value in ("yes", "no"):
        return value == "yes"
    errors[name] = "must be yes, no or any"
    return None


def _date(args: Mapping[str, str], name: str, errors: dict[str, str]) -> dt.date | None:
    value = (args.get(name) or "").strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        errors[name] = "must be a date like 2026-11-24"
        return None


def _assignee(args: Mapping[str, str], errors: dict[str, str]) -> int | None:
    value = (args.get("assignee") or "").strip()
    if not value:
        return None
    if value == "none":
        return UNASSIGNED
    number = inputs.whole_number(value)
    if number:
        return number
    errors["assignee"] = "must be a staff member or none"
    return None


def parse_queue_args(args: Mapping[str, str]) -> tuple[CaseFilters, Sort, str | None]:
    """Read the queue's filters, sort and cursor from a query string, or raise ValidationError."""
    errors: dict[str, str] = {}
    filters = CaseFilters(
        status=_enum(args, "status", Status, errors),
        kind=_enum(args, "kind", Kind, errors),
        category=(args.get("category") or "").strip() or None,
        language=_enum(args, "language", Language, errors),
        channel=_enum(args, "channel", Channel, errors),
        assignee_id=_assignee(args, errors),
        needs_interpreter=_yes_no(args, "interpreter", errors),
        injury_reported=_yes_no(args, "injury", errors),
        overdue=_yes_no(args, "overdue", errors),
        filed_from=_date(args, "from", errors),
        filed_to=_date(args, "to", errors),
        text=(args.get("q") or "").strip() or None,
    )
    sort = _enum(args, "sort", Sort, errors) or Sort.NEWEST
    if filters.filed_from and filters.filed_to and filters.filed_from > filters.filed_to:
        errors["to"] = "must not be before the start date"
    if errors:
        raise ValidationError(errors)
    cursor = (args.get("cursor") or "").strip() or None
    return filters, sort, cursor


def queue_args(args: Mapping[str, str]) -> dict[str, str]:
    """Return the filter arguments worth keeping in a link (no cursor, no empty values)."""
    return {name: args[name] for name in FILTER_FIELDS if args.get(name)}


def status_change(form: Mapping[str, str]) -> dict[str, Any]:
    """Read the status form: where to, why, and the disposition when closing."""
    errors: dict[str, str] = {}
    to = _enum(form, "to", Status, errors)
    disposition = _enum(form, "disposition", Disposition, errors)
    if to is None and "to" not in errors:
        errors["to"] = "choose the new status"
    if errors:
        raise ValidationError(errors)
    return {"to": to, "reason": form.get("reason") or None, "disposition": disposition}


def positive_int(form: Mapping[str, str], name: str) -> int:
    """Read a positive whole number from a form field, or raise ValidationError."""
    value = (form.get(name) or "").strip()
    number = inputs.whole_number(value)
    if not number:
        raise ValidationError({name: "choose one"})
    return number


def officer(form: Mapping[str, str]) -> dict[str, str | None]:
    """Read the officer form: name, badge number, unit and description, each optional (the service checks them)."""
    return {name: form.get(name) for name in OFFICER_FIELDS}
