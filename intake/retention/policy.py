"""The retention schedule, read once from ``HEARD_RETENTION_*`` (a period of ``never`` turns a rule off)."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from intake.errors import ConfigurationError

# NOTE: the defaults keep the resident's words long, and their contact details short. Destroying a
# record too early cannot be undone and may break a records law (complaint records often have a
# legal minimum); keeping it longer is undone by a shorter setting. Contact details are needed only
# while a closed case may still be appealed or asked about.
DEFAULTS: dict[str, int] = {
    "HEARD_RETENTION_CONTACT_MONTHS": 12,
    "HEARD_RETENTION_CONTENT_YEARS": 15,
    "HEARD_RETENTION_DRAFT_DAYS": 30,
    "HEARD_RETENTION_SESSION_DAYS": 30,
    "HEARD_RETENTION_JOB_DAYS": 14,
    "HEARD_RETENTION_SPOOL_DAYS": 2,
}
NEVER = ("never", "off")


@dataclass(frozen=True)
class RetentionPolicy:
    """How long each class of data is kept; None keeps it for ever."""

    contact_months: int | None = DEFAULTS["HEARD_RETENTION_CONTACT_MONTHS"]
    content_years: int | None = DEFAULTS["HEARD_RETENTION_CONTENT_YEARS"]
    draft_days: int | None = DEFAULTS["HEARD_RETENTION_DRAFT_DAYS"]
    session_days: int | None = DEFAULTS["HEARD_RETENTION_SESSION_DAYS"]
    job_days: int | None = DEFAULTS["HEARD_RETENTION_JOB_DAYS"]
    spool_days: int | None = DEFAULTS["HEARD_RETENTION_SPOOL_DAYS"]

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> RetentionPolicy:
        """Read the schedule from ``env``, refusing a period that is not a whole number or ``never``."""
        return cls(
            contact_months=_period(env, "HEARD_RETENTION_CONTACT_MONTHS"),
            content_years=_period(env, "HEARD_RETENTION_CONTENT_YEARS"),
            draft_days=_period(env, "HEARD_RETENTION_DRAFT_DAYS"),
            session_days=_period(env, "HEARD_RETENTION_SESSION_DAYS"),
            job_days=_period(env, "HEARD_RETENTION_JOB_DAYS"),
            spool_days=_period(env, "HEARD_RETENTION_SPOOL_DAYS"),
        )

    def rule(self, name: str) -> str:
        """Name a rule as the audit log records it, e.g. ``HEARD_RETENTION_CONTACT_MONTHS=12``."""
        value = getattr(self, name.removeprefix("HEARD_RETENTION_").lower())
        return f"{name}={'never' if value is None else value}"


def _period(env: Mapping[str, str], name: str) -> int | None:
    raw = (env.get(name) or "").strip().lower()
    if not raw:
        return DEFAULTS[name]
    if raw in NEVER:
        return None
    if not raw.isdigit() or not raw.isascii():
        raise ConfigurationError(f"{name} must be a whole number or 'never', not {raw!r}")
    return int(raw)


def months_before(when: dt.datetime, months: int) -> dt.datetime:
    """Return ``when`` moved back ``months`` calendar months (the day clipped to the month's end)."""
    index = when.year * 12 + when.month - 1 - months
    year, month = divmod(index, 12)
    day = min(when.day, calendar.monthrange(year, month + 1)[1])
    return when.replace(year=year, month=month + 1, day=day)
