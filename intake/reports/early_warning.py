"""Early warning: badges and units named in several complaints within a rolling window. Supervisors only.

Heard has no structured officer fields yet: ``Case.officers`` is the resident's own
words. This module reads badge and car/unit numbers out of those words, conservatively:

- a badge number is digits after a badge word (``badge``, ``badge no.``, ``placa``,
  ``tsapa``, ``chapa``, ``số hiệu``, ``警号``/``警號``/``警员编号``), or three to seven digits after
  a bare ``#`` that is not a car's; lists after the word count too (``badges 4471 and 4472``);
- a unit number is digits after a car or unit word (``car``, ``patrol car``, ``unit``,
  ``cruiser``, ``patrulla``, ``unidad``, ``carro``, ``xe số``, ``警车``/``警車``), unless a measure
  follows (``car 20 feet away``, ``unit 3 blocks``);
- digits in any script count as their value (``placa ៤៤៧១`` is badge 4471), and a number is
  kept as written otherwise (``04471`` and ``4471`` stay two numbers: Heard cannot know they
  are the same officer).

Not read: names (the same name is several people, and one officer is written many ways),
descriptions, numbers without a badge or car word, other languages' words for them, and
misspellings. A complaint naming no number is counted as unread, so the page says how much
it could not see. A flag is a prompt for a supervisor to look, never a finding.

A flag is raised for a badge or unit named in at least ``HEARD_EARLY_WARNING_THRESHOLD`` (3)
complaints filed in the last ``HEARD_EARLY_WARNING_MONTHS`` (12) months; commendations and
complaints closed as duplicates do not count. Every view of the flags, and of one flag's
cases, is written to the audit log.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake import audit
from intake.access.permissions import Action, actor_of, require
from intake.cases import tracking
from intake.db import utcnow
from intake.enums import Disposition, Kind, Status
from intake.errors import NotFound
from intake.models import Case, StaffUser
from intake.reports.board import ReportSettings, category_of

BADGE = "badge"
UNIT = "unit"
KINDS = (BADGE, UNIT)

_NUMBER_WORD = r"(?:numbers?|nos?\.?|num\.?|n[úu]mero|n[º°o]\.?|#|:)"
_LIST = r"(\d{1,7}(?:\s*(?:,|/|&|and|or|y|o)\s*\d{1,7})*)"
# Words in scripts with spaces must stand alone; Chinese ones need not (no spaces between words).
_BADGE_WORDS = r"(?:(?<!\w)(?:badges?|shields?|placas?|tsapa|chapa|s[ốo]\s*hi[ệe]u)|警[号號]|警[员員]编号|警[员員]編號)"
_UNIT_WORDS = (
    r"(?:(?<!\w)(?:(?:patrol|squad|police)\s+cars?|cars?|units?|cruisers?|patrullas?|unidad(?:es)?|carros?|"
    r"xe\s+s[ốo])|警[车車])"
)
# A number followed by one of these is a distance, a time or a count, not a unit.
_MEASURE = (
    r"\s*(?:feet|foot|ft|meters?|metres?|m\b|yards?|blocks?|miles?|mph|minutes?|mins?|hours?|hrs?|"
    r"seconds?|secs?|years?|pies|metros|cuadras|millas|minutos|horas|a[ñn]os)"
)
_BADGE = re.compile(rf"{_BADGE_WORDS}\s*(?:{_NUMBER_WORD}\s*)*{_LIST}(?!\d)", re.IGNORECASE)
_UNIT = re.compile(rf"{_UNIT_WORDS}\s*(?:{_NUMBER_WORD}\s*)*{_LIST}(?!\d)(?!{_MEASURE})", re.IGNORECASE)
_HASH = re.compile(r"(?<![\w#])#\s?(\d{3,7})(?!\d)")
_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True, order=True)
class Identifier:
    """A badge or unit number as read from a complaint."""

    kind: str
    number: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.number}"

    @classmethod
    def parse(cls, text: str) -> Identifier:
        """Read ``badge:4471`` back, or raise NotFound."""
        kind, _sep, number = text.partition(":")
        if kind not in KINDS or not number.isdigit() or not number.isascii() or len(number) > 7:
            raise NotFound("no such flag")
        return cls(kind, number)


def _ascii_digits(text: str) -> str:
    return "".join(str(unicodedata.digit(ch)) for ch in text)


def identifiers(officers: str | None) -> set[Identifier]:
    """Return the badge and unit numbers in an officers field (see the module's notes for the limits)."""
    if not officers:
        return set()
    text = unicodedata.normalize("NFKC", officers)
    found: set[Identifier] = set()
    taken: list[tuple[int, int]] = []
    for match in _UNIT.finditer(text):
        taken.append(match.span())
        found.update(Identifier(UNIT, _ascii_digits(n)) for n in _DIGITS.findall(match[1]))
    for match in _BADGE.finditer(text):
        taken.append(match.span())
        found.update(Identifier(BADGE, _ascii_digits(n)) for n in _DIGITS.findall(match[1]))
    for match in _HASH.finditer(text):
        if not any(start <= match.start() < end for start, end in taken):
            found.add(Identifier(BADGE, _ascii_digits(match[1])))
    return found


def months_before(when: dt.datetime, months: int) -> dt.datetime:
    """Return the same moment ``months`` calendar months earlier (the last day of a shorter month)."""
    index = when.year * 12 + when.month - 1 - months
    year, month = divmod(index, 12)
    day = min(when.day, calendar.monthrange(year, month + 1)[1])
    return when.replace(year=year, month=month + 1, day=day)


@dataclass(frozen=True)
class FlagCase:
    """A complaint behind a flag."""

    case_id: int
    tracking_number: str
    filed_at: dt.datetime
    status: Status
    category: str


@dataclass(frozen=True)
class Flag:
    """A badge or unit named in at least the threshold's number of complaints."""

    identifier: Identifier
    cases: tuple[FlagCase, ...]

    @property
    def count(self) -> int:
        return len(self.cases)


@dataclass(frozen=True)
class EarlyWarning:
    """The flags at a moment, and how much of the window Heard could read."""

    since: dt.datetime
    until: dt.datetime
    threshold: int
    months: int
    complaints: int
    unread: int  # complaints in the window with no badge or unit number Heard could read
    flags: tuple[Flag, ...]


def compute_flags(session: Session, *, settings: ReportSettings, now: dt.datetime | None = None) -> EarlyWarning:
    """Compute the flags with no permission check or audit; use flags_for or flag_for from a view."""
    until = now or utcnow()
    since = months_before(until, settings.early_warning_months)
    query = (
        select(Case)
        .where(Case.kind == Kind.COMPLAINT, Case.created_at >= since, Case.created_at <= until)
        .order_by(Case.created_at, Case.id)
    )
    named: dict[Identifier, list[FlagCase]] = defaultdict(list)
    complaints = unread = 0
    for case in session.scalars(query):
        if case.disposition is Disposition.DUPLICATE:
            continue
        complaints += 1
        found = identifiers(case.officers)
        if not found:
            unread += 1
        for identifier in found:
            named[identifier].append(
                FlagCase(
                    case_id=case.id,
                    tracking_number=tracking.format_tracking_number(case.tracking_number),
                    filed_at=case.created_at,
                    status=case.status,
                    category=category_of(case),
                )
            )
    flags = [
        Flag(identifier=identifier, cases=tuple(cases))
        for identifier, cases in named.items()
        if len(cases) >= settings.early_warning_threshold
    ]
    flags.sort(key=lambda flag: (-flag.count, flag.identifier))
    return EarlyWarning(
        since=since,
        until=until,
        threshold=settings.early_warning_threshold,
        months=settings.early_warning_months,
        complaints=complaints,
        unread=unread,
        flags=tuple(flags),
    )


def flags_for(
    session: Session, *, viewer: StaffUser, settings: ReportSettings, now: dt.datetime | None = None
) -> EarlyWarning:
    """Return the flags to a supervisor, and record which flags they saw; refuse anyone else."""
    require(session, viewer, Action.VIEW_EARLY_WARNING)
    warning = compute_flags(session, settings=settings, now=now)
    audit.record(
        session,
        actor=actor_of(viewer),
        action="early_warning.viewed",
        summary={
            "threshold": warning.threshold,
            "months": warning.months,
            "flags": [str(flag.identifier) for flag in warning.flags],
        },
    )
    return warning


def flag_for(
    session: Session,
    *,
    viewer: StaffUser,
    identifier: str,
    settings: ReportSettings,
    now: dt.datetime | None = None,
) -> Flag:
    """Return one flag (``badge:4471``) and its cases to a supervisor, and record the view; NotFound if not raised."""
    require(session, viewer, Action.VIEW_EARLY_WARNING)
    wanted = Identifier.parse(identifier)
    warning = compute_flags(session, settings=settings, now=now)
    flag = next((f for f in warning.flags if f.identifier == wanted), None)
    if flag is None:
        raise NotFound("no such flag")
    audit.record(
        session,
        actor=actor_of(viewer),
        action="early_warning.flag_viewed",
        summary={"flag": str(wanted), "case_ids": [c.case_id for c in flag.cases]},
    )
    return flag
