"""Response clocks: the office's service targets and how long each case has waited."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from intake.config import DEFAULT_OFFICE_TIMEZONE
from intake.enums import Status
from intake.errors import ConfigurationError
from intake.models import (
    Case,
)


@dataclass(frozen=True)
class ServiceTargets:
    """The office's promises: acknowledge a case within so many working days, in its time zone.

    Working days are Monday to Friday; public holidays are not known yet.
    A case is acknowledged once it leaves ``received``.
    """

    acknowledge_working_days: int = 3
    timezone: str = DEFAULT_OFFICE_TIMEZONE

    def __post_init__(self) -> None:
        if self.acknowledge_working_days < 0:
            raise ConfigurationError("HEARD_ACK_WORKING_DAYS must be zero or more")
        try:
            zoneinfo.ZoneInfo(self.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise ConfigurationError(f"HEARD_OFFICE_TIMEZONE {self.timezone!r} is not a known time zone") from exc

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    def acknowledge_by(self, filed_at: dt.datetime) -> dt.datetime:
        """Return when a case filed at ``filed_at`` must be acknowledged (aware UTC)."""
        local = filed_at.astimezone(self.zone)
        while local.weekday() >= 5:  # filed at the weekend: the clock starts on Monday morning
            local = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(0), self.zone)
        for _ in range(self.acknowledge_working_days):
            local += dt.timedelta(days=1)
            while local.weekday() >= 5:
                local += dt.timedelta(days=1)
        return local.astimezone(dt.timezone.utc)

    def overdue_cutoff(self, now: dt.datetime) -> dt.datetime:
        """Return the filing time before which an unacknowledged case is overdue at ``now``."""
        local = now.astimezone(self.zone)
        if local.weekday() >= 5:  # at the weekend no deadline falls later than Friday's end
            friday = local.date() - dt.timedelta(days=local.weekday() - 4)
            local = dt.datetime.combine(friday, dt.time.max, self.zone)
        for _ in range(self.acknowledge_working_days):
            local -= dt.timedelta(days=1)
            while local.weekday() >= 5:
                local -= dt.timedelta(days=1)
        return local.astimezone(dt.timezone.utc)


@dataclass(frozen=True)
class Clock:
    """How long a case has waited, and whether it missed the acknowledgement target."""

    filed_at: dt.datetime
    updated_at: dt.datetime
    since_filed: dt.timedelta
    since_update: dt.timedelta
    acknowledge_by: dt.datetime | None  # None once acknowledged
    overdue: bool


def clock_of(case: Case, *, targets: ServiceTargets, now: dt.datetime) -> Clock:
    """Return a case's clock at ``now``."""
    waiting = case.status is Status.RECEIVED
    return Clock(
        filed_at=case.created_at,
        updated_at=case.updated_at,
        since_filed=now - case.created_at,
        since_update=now - case.updated_at,
        acknowledge_by=targets.acknowledge_by(case.created_at) if waiting else None,
        overdue=waiting and case.created_at < targets.overdue_cutoff(now),
    )
