"""The review board's quarterly report: counts, clocks, trends, language access and data quality.

A quarter is a calendar quarter in the office's time zone (``HEARD_OFFICE_TIMEZONE``).
Every figure is about the cases *filed* in that quarter. Status, disposition and the
two clocks are read from each case's status history as it stood at the quarter's end
(or now, for the quarter still running), so the report for a past quarter comes out
the same whenever it is made. Language access and data quality describe the cases as
they are when the report is made: a late translation or a corrected field counts.

- Time to acknowledge: from filing to the case's first move out of ``received``, for
  every case. Time to close: from filing to its first move to ``closed``, complaints
  only (a commendation's acknowledgement would flatter the figure); a reopened case
  keeps its first closing.
- The median is the middle value (the mean of the two middle ones for an even count);
  the 90th percentile is the nearest rank, the smallest value with at least 90 % of the
  values at or below it.

The report shows exact counts, small ones included: it is for the office and the
board, not for publication. What is published is the open data (``intake.reports.open_data``).
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import statistics
import zoneinfo
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from intake import audit
from intake.access.permissions import Action, actor_of, require
from intake.cases import tracking
from intake.config import DEFAULT_OFFICE_TIMEZONE, office_timezone
from intake.db import utcnow
from intake.enums import Disposition, Kind, Language, Status
from intake.errors import ConfigurationError, ValidationError
from intake.models import Case, StaffUser, Translation
from intake.reports.names import (
    CATEGORY_NAMES,
    CHANNEL_NAMES,
    DISPOSITION_NAMES,
    KIND_NAMES,
    LANGUAGE_NAMES,
    QUALITY_CHECKS,
    STATUS_NAMES,
    UNCATEGORISED,
)

UTC = dt.timezone.utc
TREND_QUARTERS = 8
HOUR = dt.timedelta(hours=1)
_QUARTER = re.compile(r"^\s*(\d{4})\s*-?\s*[Qq]\s*([1-4])\s*$")


# ---------------------------------------------------------------- settings and periods


@dataclass(frozen=True)
class ReportSettings:
    """What the reports read from the environment.

    ``HEARD_OFFICE_TIMEZONE`` (read by ``intake.config``) decides quarters and months;
    ``HEARD_EARLY_WARNING_THRESHOLD`` (3) complaints naming the same badge or unit within
    ``HEARD_EARLY_WARNING_MONTHS`` (12) months raise a flag.
    """

    timezone: str = DEFAULT_OFFICE_TIMEZONE
    early_warning_threshold: int = 3
    early_warning_months: int = 12

    def __post_init__(self) -> None:
        try:
            zoneinfo.ZoneInfo(self.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise ConfigurationError(f"HEARD_OFFICE_TIMEZONE {self.timezone!r} is not a known time zone") from exc
        if self.early_warning_threshold < 1:
            raise ConfigurationError("HEARD_EARLY_WARNING_THRESHOLD must be 1 or more")
        if not 1 <= self.early_warning_months <= 120:
            raise ConfigurationError("HEARD_EARLY_WARNING_MONTHS must be between 1 and 120")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ReportSettings:
        """Read the settings from ``environ`` (default: the process environment)."""
        env = os.environ if environ is None else environ

        def number(name: str, default: int) -> int:
            raw = (env.get(name) or "").strip() or str(default)
            try:
                return int(raw)
            except ValueError as exc:
                raise ConfigurationError(f"{name} must be a whole number, not {raw!r}") from exc

        return cls(
            timezone=office_timezone(env),
            early_warning_threshold=number("HEARD_EARLY_WARNING_THRESHOLD", 3),
            early_warning_months=number("HEARD_EARLY_WARNING_MONTHS", 12),
        )

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


@dataclass(frozen=True, order=True)
class Quarter:
    """A calendar quarter, written ``2026Q3``."""

    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> Quarter:
        """Read ``2026Q3`` (or ``2026-Q3``, ``2026q3``), or raise ValidationError."""
        match = _QUARTER.match(text or "")
        if match is None or not 1970 <= int(match[1]) <= 9998:
            raise ValidationError({"period": f"must be a quarter such as 2026Q3, not {text!r}"})
        return cls(int(match[1]), int(match[2]))

    @classmethod
    def containing(cls, when: dt.datetime, zone: dt.tzinfo) -> Quarter:
        """Return the quarter ``when`` falls in, in ``zone``."""
        local = when.astimezone(zone)
        return cls(local.year, (local.month - 1) // 3 + 1)

    def shifted(self, quarters: int) -> Quarter:
        """Return the quarter ``quarters`` later (earlier when negative)."""
        index = self.year * 4 + self.number - 1 + quarters
        return Quarter(index // 4, index % 4 + 1)

    def bounds(self, zone: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
        """Return the quarter's start and the next one's, as aware UTC datetimes."""
        following = self.shifted(1)
        start = dt.datetime(self.year, 3 * (self.number - 1) + 1, 1, tzinfo=zone)
        end = dt.datetime(following.year, 3 * (following.number - 1) + 1, 1, tzinfo=zone)
        return start.astimezone(UTC), end.astimezone(UTC)

    def __str__(self) -> str:
        return f"{self.year}Q{self.number}"


# ---------------------------------------------------------------- the report's parts


@dataclass(frozen=True)
class Row:
    """One line of a count table."""

    code: str
    label: str
    count: int


@dataclass(frozen=True)
class Tally:
    """Counts of cases by one field, every possible value listed (zeros too)."""

    rows: tuple[Row, ...]

    @property
    def total(self) -> int:
        return sum(row.count for row in self.rows)

    def count(self, code: str) -> int:
        """Return the count for ``code`` (0 when it is not a row)."""
        return next((row.count for row in self.rows if row.code == code), 0)

    def as_dict(self) -> dict[str, int]:
        return {row.code: row.count for row in self.rows}


@dataclass(frozen=True)
class Clock:
    """How long something took, over the cases that reached it; ``waiting`` had not yet."""

    measured: int
    waiting: int
    median_hours: float | None
    p90_hours: float | None


@dataclass(frozen=True)
class TrendPoint:
    """One quarter of the trend."""

    quarter: Quarter
    complaints: int
    commendations: int
    acknowledge_median_hours: float | None
    close_median_hours: float | None
    non_english: int


@dataclass(frozen=True)
class LanguageRow:
    """Language access for one language."""

    code: str
    label: str
    cases: int
    needs_interpreter: int
    covered: int  # translated or flagged for an interpreter


@dataclass(frozen=True)
class LanguageAccess:
    """Cases per language, interpreters needed and translation coverage."""

    rows: tuple[LanguageRow, ...]
    needs_interpreter: int
    non_english: int
    covered: int

    @property
    def coverage(self) -> float | None:
        """Share of non-English cases translated or flagged for an interpreter (None with no such case)."""
        return self.covered / self.non_english if self.non_english else None


@dataclass(frozen=True)
class Completeness:
    """A case's data-quality checks and its score (the share passed, 0 to 1)."""

    checks: dict[str, bool]

    @property
    def score(self) -> float:
        return sum(self.checks.values()) / len(self.checks)

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(name for name, passed in self.checks.items() if not passed)


@dataclass(frozen=True)
class CaseToFix:
    """A case whose record is incomplete, with what is missing."""

    case_id: int
    tracking_number: str
    kind: str
    filed_at: dt.datetime
    completeness: Completeness


@dataclass(frozen=True)
class DataQuality:
    """The office's completeness over the quarter's cases, and the cases to fix."""

    cases: int
    mean_score: float | None
    complete: int
    passed: dict[str, int]
    to_fix: tuple[CaseToFix, ...]


@dataclass(frozen=True)
class Commendations:
    """Commendations received in the quarter."""

    count: int
    acknowledged: int
    by_channel: Tally


@dataclass(frozen=True)
class BoardReport:
    """Everything the quarterly board report shows."""

    period: Quarter
    timezone: str
    start: dt.datetime
    end: dt.datetime
    as_of: dt.datetime  # the quarter's end, or when the report was made for a quarter still running
    generated_at: dt.datetime
    total: int
    by_kind: Tally
    by_category: Tally
    by_channel: Tally
    by_language: Tally
    by_status: Tally
    by_disposition: Tally
    acknowledge: Clock
    close: Clock
    trends: tuple[TrendPoint, ...]
    commendations: Commendations
    language_access: LanguageAccess
    quality: DataQuality

    @property
    def complete(self) -> bool:
        """Tell whether the quarter had ended when the report was made."""
        return self.as_of >= self.end


# ---------------------------------------------------------------- per-case facts


def completeness(case: Case) -> Completeness:
    """Score a case's record: what happened and when given, the time parsed, a location, a category."""
    if case.record_quality is not None:  # its words were purged on schedule: the score they had
        return Completeness(checks=dict(case.record_quality))
    return Completeness(
        checks={
            "required_fields": bool((case.narrative or "").strip()) and bool((case.incident_time_text or "").strip()),
            "incident_time_parsed": case.incident_at is not None,
            "location_given": bool((case.location or "").strip()),
            "category_set": bool((case.category or "").strip()),
        }
    )


@dataclass(frozen=True)
class _Facts:
    """What the report needs of one case, as at a moment."""

    case: Case
    status: Status
    disposition: Disposition | None
    acknowledged_after: dt.timedelta | None
    closed_after: dt.timedelta | None


def _facts(case: Case, as_of: dt.datetime) -> _Facts:
    status = Status.RECEIVED
    disposition: Disposition | None = None
    acknowledged_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    for change in case.status_changes:  # in the order they happened
        if change.created_at >= as_of:
            continue
        status = change.to_status
        disposition = change.disposition if change.to_status is Status.CLOSED else None
        if acknowledged_at is None and change.from_status is Status.RECEIVED:
            acknowledged_at = change.created_at
        if closed_at is None and change.to_status is Status.CLOSED:
            closed_at = change.created_at
    return _Facts(
        case=case,
        status=status,
        disposition=disposition,
        acknowledged_after=acknowledged_at - case.created_at if acknowledged_at else None,
        closed_after=closed_at - case.created_at if closed_at else None,
    )


def nearest_rank(values: Sequence[float], fraction: float) -> float | None:
    """Return the nearest-rank percentile (``fraction`` 0.9 for the 90th), or None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(fraction * len(ordered))) - 1]


def _clock(durations: Iterable[dt.timedelta | None]) -> Clock:
    hours: list[float] = []
    waiting = 0
    for duration in durations:
        if duration is None:
            waiting += 1
        else:
            hours.append(duration / HOUR)
    return Clock(
        measured=len(hours),
        waiting=waiting,
        median_hours=statistics.median(hours) if hours else None,
        p90_hours=nearest_rank(hours, 0.9),
    )


def _acknowledge_clock(facts: Sequence[_Facts]) -> Clock:
    return _clock(f.acknowledged_after for f in facts)


def _close_clock(facts: Sequence[_Facts]) -> Clock:
    # A withdrawn complaint will never close; it is neither measured nor waiting.
    return _clock(
        f.closed_after
        for f in facts
        if f.case.kind is Kind.COMPLAINT and (f.closed_after is not None or f.status is not Status.WITHDRAWN)
    )


def _tally(values: Iterable[str], names: Mapping[str, str]) -> Tally:
    counts = Counter(values)
    rows = [Row(code, label, counts.pop(code, 0)) for code, label in names.items()]
    rows += [Row(code, code, count) for code, count in sorted(counts.items())]  # values no list knows
    return Tally(rows=tuple(rows))


def category_of(case: Case) -> str:
    """Return a case's category, or ``uncategorised``."""
    return (case.category or "").strip() or UNCATEGORISED


def flagged_for_interpreter(case: Case) -> bool:
    """Tell whether a case is marked as needing an interpreter."""
    return case.needs_interpreter or case.translation_status == "needs_interpreter"


# ---------------------------------------------------------------- building the report


def load_cases(session: Session, start: dt.datetime, end: dt.datetime) -> list[Case]:
    """Return the cases filed in [start, end), oldest first, with their status history."""
    query = (
        select(Case)
        .where(Case.created_at >= start, Case.created_at < end)
        .order_by(Case.created_at, Case.id)
        .options(selectinload(Case.status_changes))
    )
    return list(session.scalars(query))


def _translated_case_ids(session: Session, start: dt.datetime, end: dt.datetime) -> set[int]:
    query = (
        select(Translation.case_id)
        .join(Case, Case.id == Translation.case_id)
        .where(Case.created_at >= start, Case.created_at < end)
        .distinct()
    )
    return set(session.scalars(query))


def _language_access(cases: Sequence[Case], translated: set[int]) -> LanguageAccess:
    rows = []
    for code, label in LANGUAGE_NAMES.items():
        mine = [c for c in cases if c.language.value == code]
        english = code == Language.EN.value
        covered = 0 if english else sum(c.id in translated or flagged_for_interpreter(c) for c in mine)
        rows.append(
            LanguageRow(
                code=code,
                label=label,
                cases=len(mine),
                needs_interpreter=sum(flagged_for_interpreter(c) for c in mine),
                covered=covered,
            )
        )
    return LanguageAccess(
        rows=tuple(rows),
        needs_interpreter=sum(r.needs_interpreter for r in rows),
        non_english=sum(r.cases for r in rows if r.code != Language.EN.value),
        covered=sum(r.covered for r in rows),
    )


def _quality(cases: Sequence[Case]) -> DataQuality:
    scored = [(case, completeness(case)) for case in cases]
    to_fix = [
        CaseToFix(
            case_id=case.id,
            tracking_number=tracking.format_tracking_number(case.tracking_number),
            kind=case.kind.value,
            filed_at=case.created_at,
            completeness=score,
        )
        for case, score in scored
        if score.score < 1
    ]
    to_fix.sort(key=lambda item: (item.completeness.score, item.filed_at, item.case_id))
    return DataQuality(
        cases=len(scored),
        mean_score=statistics.fmean(s.score for _c, s in scored) if scored else None,
        complete=sum(s.score == 1 for _c, s in scored),
        passed={name: sum(s.checks[name] for _c, s in scored) for name in QUALITY_CHECKS},
        to_fix=tuple(to_fix),
    )


def _trend_point(quarter: Quarter, cases: Sequence[Case], zone: dt.tzinfo, now: dt.datetime) -> TrendPoint:
    start, end = quarter.bounds(zone)
    as_of = min(end, now)
    facts = [_facts(c, as_of) for c in cases if start <= c.created_at < end]
    return TrendPoint(
        quarter=quarter,
        complaints=sum(f.case.kind is Kind.COMPLAINT for f in facts),
        commendations=sum(f.case.kind is Kind.COMMENDATION for f in facts),
        acknowledge_median_hours=_acknowledge_clock(facts).median_hours,
        close_median_hours=_close_clock(facts).median_hours,
        non_english=sum(f.case.language is not Language.EN for f in facts),
    )


def board_report(
    session: Session, *, period: Quarter, settings: ReportSettings, now: dt.datetime | None = None
) -> BoardReport:
    """Compute the board report for ``period`` (no permission check: the CLI and board_report_for call this)."""
    now = now or utcnow()
    zone = settings.zone
    start, end = period.bounds(zone)
    if start > now:
        raise ValidationError({"period": f"{period} has not started yet"})
    as_of = min(end, now)
    trend_start, _ = period.shifted(-(TREND_QUARTERS - 1)).bounds(zone)
    history = load_cases(session, trend_start, end)
    cases = [c for c in history if c.created_at >= start]
    facts = [_facts(c, as_of) for c in cases]
    translated = _translated_case_ids(session, start, end)
    commendations = [f for f in facts if f.case.kind is Kind.COMMENDATION]
    closed = [f for f in facts if f.status is Status.CLOSED and f.disposition is not None]
    return BoardReport(
        period=period,
        timezone=settings.timezone,
        start=start,
        end=end,
        as_of=as_of,
        generated_at=now,
        total=len(cases),
        by_kind=_tally((c.kind.value for c in cases), KIND_NAMES),
        by_category=_tally((category_of(c) for c in cases), CATEGORY_NAMES),
        by_channel=_tally((c.channel.value for c in cases), CHANNEL_NAMES),
        by_language=_tally((c.language.value for c in cases), LANGUAGE_NAMES),
        by_status=_tally((f.status.value for f in facts), STATUS_NAMES),
        by_disposition=_tally((f.disposition.value for f in closed if f.disposition), DISPOSITION_NAMES),
        acknowledge=_acknowledge_clock(facts),
        close=_close_clock(facts),
        trends=tuple(
            _trend_point(period.shifted(-back), history, zone, now) for back in range(TREND_QUARTERS - 1, -1, -1)
        ),
        commendations=Commendations(
            count=len(commendations),
            acknowledged=sum(f.disposition is Disposition.ACKNOWLEDGED for f in commendations),
            by_channel=_tally((f.case.channel.value for f in commendations), CHANNEL_NAMES),
        ),
        language_access=_language_access(cases, translated),
        quality=_quality(cases),
    )


def board_report_for(
    session: Session,
    *,
    viewer: StaffUser,
    period: Quarter,
    settings: ReportSettings,
    now: dt.datetime | None = None,
) -> BoardReport:
    """Return the board report for a supervisor or auditor, and record that they read it."""
    require(session, viewer, Action.VIEW_REPORTS)
    report = board_report(session, period=period, settings=settings, now=now)
    audit.record(
        session,
        actor=actor_of(viewer),
        action="report.viewed",
        summary={"period": str(period), "cases": report.total},
    )
    return report


def default_period(settings: ReportSettings, now: dt.datetime | None = None) -> Quarter:
    """Return the last quarter that has ended."""
    return Quarter.containing(now or utcnow(), settings.zone).shifted(-1)
