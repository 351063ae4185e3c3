"""When a resident said it is safe to contact them: a small, conservative reading of what they wrote.

Residents write safe times as free text ("after 6 pm", "weekdays 9-5", "mornings"); it is
kept on the case as the line ``contact times: …`` of the witnesses field (see the dialogue and
the report form). Anything this reader does not understand for certain gives the office's
default window, 9:00 to 19:00 office time, every day.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

CONTACT_TIMES_PREFIX = "contact times: "
# NOTE: the default for what cannot be read, and the bounds of what can: nothing before 8:00 or after 21:00.
DEFAULT_WINDOW = (9 * 60, 19 * 60)
EARLIEST, LATEST = 8 * 60, 21 * 60
EVERY_DAY = frozenset(range(7))
WEEKDAYS = frozenset(range(5))
WEEKENDS = frozenset({5, 6})

_DAY_NAMES = {
    "mon": 0,
    "tue": 1,
    "wed": 2,
    "thu": 3,
    "fri": 4,
    "sat": 5,
    "sun": 6,
}
_PARTS_OF_DAY = (
    (re.compile(r"\bmornings?\b|\bma[ñn]anas?\b|\bbuổi sáng\b"), (9 * 60, 12 * 60)),
    (re.compile(r"\bafternoons?\b|\btardes?\b|\bbuổi chiều\b"), (12 * 60, 17 * 60)),
    (re.compile(r"\bevenings?\b|\bnights?\b|\bnoches?\b|\bbuổi tối\b"), (17 * 60, 20 * 60)),
)
_TIME = r"(\d{1,2})(?::(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?"
_RANGE = re.compile(rf"{_TIME}\s*(?:-|–|to|until|till|a)\s*{_TIME}")
_AFTER = re.compile(rf"\b(?:after|from|despu[eé]s de las?)\s+{_TIME}")
_BEFORE = re.compile(rf"\b(?:before|antes de las?)\s+{_TIME}")
# Words that turn a time around ("not after 6"); a reader this small must not guess at them.
_NEGATION = re.compile(r"\b(?:not|never|don'?t|no|except|but)\b")


@dataclass(frozen=True)
class SafeTimes:
    """The days (0 is Monday) and the windows (minutes after midnight, office time) safe to contact."""

    days: frozenset[int]
    windows: tuple[tuple[int, int], ...]
    understood: bool

    def allows(self, when: dt.datetime, zone: ZoneInfo) -> bool:
        """Tell whether ``when`` falls in a safe window."""
        local = when.astimezone(zone)
        minute = local.hour * 60 + local.minute
        return local.weekday() in self.days and any(start <= minute < end for start, end in self.windows)

    def next_safe(self, now: dt.datetime, zone: ZoneInfo) -> dt.datetime:
        """Return ``now`` when it is safe, else the start of the next safe window (aware UTC)."""
        if self.allows(now, zone):
            return now
        local = now.astimezone(zone)
        for offset in range(8):
            day = (local + dt.timedelta(days=offset)).date()
            if day.weekday() not in self.days:
                continue
            for start, _end in sorted(self.windows):
                begins = dt.datetime.combine(day, dt.time(start // 60, start % 60), tzinfo=zone)
                if begins > local:
                    return begins.astimezone(dt.UTC)
        raise AssertionError("a safe window always comes within a week")  # pragma: no cover


DEFAULT = SafeTimes(days=EVERY_DAY, windows=(DEFAULT_WINDOW,), understood=False)


def contact_times_of(witnesses: str | None) -> str | None:
    """Return what the resident wrote as their safe contact times, from the case's witnesses field."""
    for line in reversed((witnesses or "").splitlines()):
        if line.startswith(CONTACT_TIMES_PREFIX):
            return line[len(CONTACT_TIMES_PREFIX) :].strip() or None
    return None


def _minutes(hour: str, minute: str | None, meridiem: str | None) -> int | None:
    h, m = int(hour), int(minute or 0)
    if m >= 60 or h > 23:
        return None
    marker = (meridiem or "").replace(".", "")
    if marker:
        if not 1 <= h <= 12:
            return None
        h = h % 12 + (12 if marker == "pm" else 0)
    return h * 60 + m


def _range(match: re.Match[str]) -> tuple[int, int] | None:
    h1, m1, p1, h2, m2, p2 = match.groups()
    if p2 and not p1 and int(h1) <= 12:
        p1 = p2 if int(h1) < int(h2) or p2.startswith("a") else "am"  # "9-5pm" is 9 am to 5 pm
    start, end = _minutes(h1, m1, p1), _minutes(h2, m2, p2)
    if start is None or end is None:
        return None
    if end <= start and not p2 and int(h2) < 12:
        end += 12 * 60  # "9-5": office hours, the end in the afternoon
    return (start, end) if end > start else None


def _day_set(text: str) -> frozenset[int] | None:
    if re.search(r"\bweekdays?\b|\bentre semana\b|lunes a viernes|monday (?:to|-|through) friday", text):
        return WEEKDAYS
    if re.search(r"\bweekends?\b|fines? de semana", text):
        return WEEKENDS
    named = {number for name, number in _DAY_NAMES.items() if re.search(rf"\b{name}[a-z]*\b", text)}
    return frozenset(named) or None


def _windows(text: str) -> list[tuple[int, int]] | None:
    windows: list[tuple[int, int]] = []
    for match in _RANGE.finditer(text):
        found = _range(match)
        if found is None:
            return None
        windows.append(found)
    rest = _RANGE.sub(" ", text)
    for match in _AFTER.finditer(rest):
        start = _minutes(*match.groups())
        if start is None:
            return None
        if not match.group(3) and start < 12 * 60 and start < EARLIEST:
            start += 12 * 60  # "after 6": the evening
        windows.append((start, LATEST))
    for match in _BEFORE.finditer(rest):
        end = _minutes(*match.groups())
        if end is None:
            return None
        windows.append((EARLIEST, end))
    for pattern, window in _PARTS_OF_DAY:
        if pattern.search(rest):
            windows.append(window)
    return windows


def parse(text: str | None) -> SafeTimes:
    """Read safe contact times; anything not understood for certain is the office's default window."""
    cleaned = " ".join((text or "").lower().split())
    if not cleaned or _NEGATION.search(cleaned):
        return DEFAULT
    days = _day_set(cleaned)
    found = _windows(cleaned)
    if found is None:
        return DEFAULT
    windows = tuple((max(start, EARLIEST), min(end, LATEST)) for start, end in found)
    windows = tuple(w for w in windows if w[1] > w[0])
    if found and not windows:
        return DEFAULT  # only times outside 8:00-21:00: not a time Heard texts anyone
    if not windows and days is None:
        if re.search(r"\bany ?time\b|\bcualquier hora\b", cleaned):
            return SafeTimes(days=EVERY_DAY, windows=(DEFAULT_WINDOW,), understood=True)
        return DEFAULT
    return SafeTimes(days=days or EVERY_DAY, windows=windows or (DEFAULT_WINDOW,), understood=True)
