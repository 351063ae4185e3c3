"""Read when something happened from a resident's words, in the nine languages, with the time they gave.

Heard's own rules (bot/actions/date_words.py) read relative days ("the day before yesterday"), day
parts and clock times ("after 3 pm", "hom qua 7h toi", "ម្សិលមិញ ម៉ោង៧យប់", "ਕੱਲ੍ਹ ਸ਼ਾਮ 7 ਵਜੇ"),
weekdays and dates, in every language's own words and digits; dateparser reads what they do not,
where it knows the language (it has no Hmong and misses most relative phrases with a time).
Relative words count from when the message arrived, in the office's time zone; a moment still to
come is flagged, never taken silently. The resident's raw words are always kept by the caller.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
import unicodedata
import zoneinfo
from dataclasses import dataclass
from typing import Any

from bot.actions import date_words as words

DEFAULT_TIMEZONE = "America/Los_Angeles"
# How far a clock time may be from the day or day part it belongs to, in folded characters.
NEAR = 18
# A moment up to this far ahead of the message is a clock a little fast, not the future.
SLACK = dt.timedelta(minutes=15)
_LATIN_EDGE = r"[a-z0-9]"
_LATIN_LANGUAGES = ("en", "es", "tl", "vi", "hmn")
_GURMUKHI_EDGE = r"[a-z0-9\u0a00-\u0a7f]"
# Vietnamese words that fold to a day part's letters: "tôi" (I) and "tới" (arrive) are not "tối" (evening).
_VI_FALSE_FRIENDS = re.compile(r"(?i)\b(t[ôớ]i)\b")


def office_zone() -> dt.tzinfo:
    """The office's time zone (``HEARD_OFFICE_TIMEZONE``), the one Settings.office_timezone reads."""
    name = (os.environ.get("HEARD_OFFICE_TIMEZONE") or "").strip() or DEFAULT_TIMEZONE
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(DEFAULT_TIMEZONE)


@dataclass(frozen=True)
class When:
    """A moment read from a message: aware, in the office's zone; ``words`` are the resident's own."""

    moment: dt.datetime
    has_time: bool
    words: str
    future: bool = False


def normalize(text: str, language: str = "") -> tuple[str, list[int]]:
    """Fold ``text`` for matching (lower case, Latin accents off, any script's digits in ASCII).

    Returns the folded text and, for each of its characters, where it came from in ``text``.
    """
    if language == "vi":
        text = _VI_FALSE_FRIENDS.sub(lambda m: m.group(1)[0] + "~" + m.group(1)[2], text)
    out: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        digit = unicodedata.decimal(char, None)
        if digit is not None:
            pieces = str(digit)
        else:
            decomposed = unicodedata.normalize("NFKD", char.lower())
            pieces = "".join(c for c in decomposed if not (unicodedata.combining(c) and ord(c) < 0x0370))
            pieces = pieces.replace("đ", "d").replace("’", "'")
        for piece in pieces:
            out.append(piece)
            origin.append(index)
    # NOTE: left decomposed (never NFC again): the words in date_words.py are folded the same way,
    # so Khmer, Lao and Gurmukhi marks match however the resident's keyboard composed them.
    return "".join(out), origin


def _fold(word: str, language: str = "") -> str:
    return normalize(word, language)[0]


def _edges(language: str, word: str) -> tuple[str, str]:
    """The look-arounds that make ``word`` a whole word (none in scripts written without spaces)."""
    first = word[:1]
    if language == "pa" or "\u0a00" <= first <= "\u0a7f":
        return rf"(?<!{_GURMUKHI_EDGE})", rf"(?!{_GURMUKHI_EDGE})"
    if first.isascii():
        return rf"(?<!{_LATIN_EDGE})", rf"(?!{_LATIN_EDGE})"
    return "", ""


def _alternation(language: str, items: list[str]) -> str:
    folded = sorted({_fold(w, language) for w in items}, key=len, reverse=True)
    return "|".join(re.escape(w).replace(r"\ ", r"\s*") for w in folded)


def _languages(language: str) -> list[str]:
    """The rule sets a message in ``language`` is read with: its own, then English (texts mix them)."""
    base = "zh" if language.startswith("zh") else language
    return [base, "en"] if base != "en" else ["en"]


# "Last" before or after a weekday: "last fri", "el viernes pasado", "noong nakaraang biyernes", "thu 6 tuan truoc".
_LAST_BEFORE = re.compile(r"(?<![a-z])(?:last|nakaraang|noong nakaraang)\s*$")
_LAST_AFTER = re.compile(r"\s*(?:pasado|tuan truoc|tuan roi)(?![a-z])")
# English words read in another language's message only when they cannot be that language's own words:
# full month and weekday names, never "may" (Tagalog "there is"), "march" (March Lane) or short forms.
_BORROWED_MONTHS = {
    "january",
    "february",
    "april",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
}


def _own(language: str, lang: str, table: dict[str, dict[str, int]]) -> dict[str, int]:
    """The words of ``table`` in ``lang`` that a message in ``language`` is read with."""
    entries = table.get(lang, {})
    if lang != "en" or _languages(language) == ["en"]:
        return entries
    if table is words.NUMBERS:
        return {}
    if table is words.MONTHS:
        return {w: n for w, n in entries.items() if w in _BORROWED_MONTHS}
    return {w: n for w, n in entries.items() if len(w) > 5}


@dataclass(frozen=True)
class _Rules:
    days: list[tuple[re.Pattern[str], int, str | None]]
    days_ago: list[re.Pattern[str]]
    parts: list[tuple[re.Pattern[str], str]]
    clocks: list[re.Pattern[str]]
    weekdays: list[tuple[re.Pattern[str], int]]
    dates: list[re.Pattern[str]]
    numbers: dict[str, int]
    months: dict[str, int]
    day_first: bool


def _word(language: str, word: str) -> re.Pattern[str]:
    folded = _fold(word, language)
    before, after = _edges(language, folded)
    return re.compile(before + re.escape(folded).replace(r"\ ", r"\s*") + after)


@functools.cache
def _rules(language: str) -> _Rules:
    days: list[tuple[re.Pattern[str], int, str | None]] = []
    days_ago: list[re.Pattern[str]] = []
    parts: list[tuple[re.Pattern[str], str]] = []
    clocks: list[re.Pattern[str]] = []
    weekdays: list[tuple[re.Pattern[str], int]] = []
    dates: list[re.Pattern[str]] = []
    numbers: dict[str, int] = {}
    months: dict[str, int] = {}
    for lang in _languages(language):
        numbers.update({_fold(k, lang): v for k, v in _own(language, lang, words.NUMBERS).items()})
        months.update({_fold(k, lang): v for k, v in _own(language, lang, words.MONTHS).items()})
    num = r"(?:\d{1,2}|" + _alternation(language, list(numbers)) + ")" if numbers else r"\d{1,2}"
    month = _alternation(language, list(months)) or "(?!)"
    clocks += [re.compile(r"(?<!\d)" + p) for p in words.CLOCK_ANY]  # "8:30pm" before "at 8"
    for lang in _languages(language):
        for phrase, (back, part) in sorted(words.DAYS.get(lang, {}).items(), key=lambda kv: -len(kv[0])):
            days.append((_word(lang, phrase), back, part))
        days_ago += [re.compile(p.replace("{NUM}", f"(?P<n>{num})")) for p in words.DAYS_AGO.get(lang, [])]
        for phrase, part in sorted(words.PARTS.get(lang, {}).items(), key=lambda kv: -len(kv[0])):
            parts.append((_word(lang, phrase), part))
        for pattern in words.CLOCKS.get(lang, []):
            before = rf"(?<!{_LATIN_EDGE})" if lang in _LATIN_LANGUAGES else ""
            clocks.append(re.compile(before + pattern.replace("{NUM}", num) + r"(?!\d)"))
        weekdays += [
            (_word(lang, w), i)
            for w, i in sorted(_own(language, lang, words.WEEKDAYS).items(), key=lambda kv: -len(kv[0]))
        ]
        for pattern in words.DATE_PATTERNS.get(lang, []):
            dates.append(re.compile(r"(?<!\d)" + pattern.replace("{MONTH}", f"(?:{month})") + r"(?!\d)"))
    dates.append(re.compile(r"(?<![\d/])(?P<a>\d{1,2})\s*/\s*(?P<b>\d{1,2})(?:\s*/\s*(?P<y>\d{2}|\d{4}))?(?![\d/])"))
    dates.append(re.compile(r"(?<![\d\-])(?P<a>\d{1,2})-(?P<b>\d{1,2})(?:-(?P<y>\d{2}|\d{4}))?(?![\d\-])"))
    day_first = ("zh" if language.startswith("zh") else language) in words.DAY_FIRST
    return _Rules(days, days_ago, parts, clocks, weekdays, dates, numbers, months, day_first)


@dataclass(frozen=True)
class _Hit:
    start: int
    end: int
    value: Any


def _number(rules: _Rules, text: str | None) -> int | None:
    if text is None:
        return None
    text = re.sub(r"\s+", " ", text.strip())
    if text.isdigit():
        return int(text)
    return rules.numbers.get(text) or rules.numbers.get(text.replace(" ", ""))


def _find_days(rules: _Rules, folded: str, today: dt.date) -> list[_Hit]:
    """Every day the message names: (date, day part it carries)."""
    hits: list[_Hit] = []
    for pattern, back, part in rules.days:
        for m in pattern.finditer(folded):
            hits.append(_Hit(m.start(), m.end(), (today - dt.timedelta(days=back), part)))
    for pattern in rules.days_ago:
        for m in pattern.finditer(folded):
            n = _number(rules, m.group("n"))
            if n is not None and n <= 60:
                hits.append(_Hit(m.start(), m.end(), (today - dt.timedelta(days=n), None)))
    for pattern, weekday in rules.weekdays:
        for m in pattern.finditer(folded):
            back = (today.weekday() - weekday) % 7
            if back == 0 and (_LAST_BEFORE.search(folded[: m.start()]) or _LAST_AFTER.match(folded[m.end() :])):
                back = 7  # "last Friday" said on a Friday
            hits.append(_Hit(m.start(), m.end(), (today - dt.timedelta(days=back), None)))
    for pattern in rules.dates:
        for m in pattern.finditer(folded):
            day = _date_of(rules, m, today)
            if day is not None:
                hits.append(_Hit(m.start(), m.end(), (day, None)))
    # NOTE: where phrases overlap ("ayer" inside "antes de ayer") the longest wins.
    hits.sort(key=lambda h: (h.start, -(h.end - h.start)))
    kept: list[_Hit] = []
    for hit in hits:
        if kept and hit.start < kept[-1].end:
            continue
        kept.append(hit)
    return kept


def _date_of(rules: _Rules, m: re.Match[str], today: dt.date) -> dt.date | None:
    groups = m.groupdict()
    if "a" in groups and groups.get("a") is not None:
        a, b = int(groups["a"]), int(groups["b"])
        day, month = (a, b) if rules.day_first else (b, a)
        if month > 12 and day <= 12:
            day, month = month, day
    else:
        day = int(groups["d"])
        raw_month = groups.get("m")
        if raw_month is None:
            month = today.month
        else:
            raw = re.sub(r"\s+", "", raw_month)
            month = int(raw) if raw.isdigit() else rules.months.get(raw, 0)
    year_text = groups.get("y")
    year = today.year
    if year_text:
        year = int(year_text) + (2000 if len(year_text) == 2 else 0)
    try:
        found = dt.date(year, month, day)
    except ValueError:
        return None
    if groups.get("m") is None and "a" not in groups and found > today:
        # "the 28th" said on the 4th: last month's
        previous = (found.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
        try:
            return previous.replace(day=day)
        except ValueError:
            return None
    if not year_text and found > today:
        try:
            found = found.replace(year=year - 1)  # a date without a year is the last one that passed
        except ValueError:
            return None
    return found


def _find_parts(rules: _Rules, folded: str) -> list[_Hit]:
    hits = [_Hit(m.start(), m.end(), part) for pattern, part in rules.parts for m in pattern.finditer(folded)]
    hits.sort(key=lambda h: (h.start, -(h.end - h.start)))
    kept: list[_Hit] = []
    for hit in hits:
        if not kept or hit.start >= kept[-1].end:
            kept.append(hit)
    return kept


def _find_clocks(rules: _Rules, folded: str) -> list[_Hit]:
    """Every clock time: (hour, minute, "am"/"pm"/None, day part tied to it or None)."""
    hits: list[_Hit] = []
    taken: list[tuple[int, int]] = []
    for pattern in rules.clocks:
        for m in pattern.finditer(folded):
            if any(m.start() < end and start < m.end() for start, end in taken):
                continue
            groups = m.groupdict()
            part = words.AFTERNOON if groups.get("part") else None
            if groups.get("thum"):
                thum = _number(rules, groups["thum"])
                if thum is None or not 1 <= thum <= 6:
                    continue
                hour, minute, marker = 18 + thum, 0, None
            else:
                hour_value = _number(rules, groups.get("h"))
                if hour_value is None:
                    continue
                hour = hour_value
                minute = int(groups.get("m") or groups.get("m2") or 0)
                if groups.get("half"):
                    minute = 30
                ap = (groups.get("ap") or "").replace(".", "").replace(" ", "")
                marker = "am" if ap.startswith("a") else "pm" if ap.startswith("p") else None
            if hour > 24 or minute > 59:
                continue
            taken.append((m.start(), m.end()))
            hits.append(_Hit(m.start(), m.end(), (hour, minute, marker, part)))
    hits.sort(key=lambda h: h.start)
    return hits


def _distance(a: _Hit, b: _Hit) -> int:
    return max(a.start - b.end, b.start - a.end, 0)


def _hour(hour: int, marker: str | None, part: str | None) -> int:
    """The hour on a 24-hour clock, from the hour said, its am/pm and its day part."""
    if marker == "pm":
        return hour if hour >= 12 else hour + 12
    if marker == "am":
        return 0 if hour == 12 else hour
    if hour >= 13:
        return hour % 24
    if part in (words.AFTERNOON, words.EVENING):
        return hour if hour == 12 else hour + 12
    if part == words.NIGHT:
        return hour + 12 if 6 <= hour <= 11 else (0 if hour == 12 else hour)
    if part in (words.MORNING, words.EARLY):
        return 0 if hour == 12 else hour
    if part == words.MIDNIGHT:
        return 0 if hour == 12 else hour
    # NOTE: no am/pm and no day part: 1 to 6 is read as the afternoon ("after 3"); the read-back shows it.
    return hour + 12 if 1 <= hour <= 6 else hour


def read_when(
    language: str, text: str, *, now: dt.datetime | None = None, zone: dt.tzinfo | None = None, search: bool = False
) -> When | None:
    """Read the day (and time) a message says something happened, or None.

    ``now`` is when the message arrived (aware; default: now); relative words count from it in ``zone``
    (default: the office's). ``search`` reads it out of a longer story, where a clock time must sit
    near the day it belongs to and only the words around them are kept.
    """
    zone = zone or office_zone()
    now = (now or dt.datetime.now(dt.timezone.utc)).astimezone(zone)
    if not text.strip():
        return None
    folded, origin = normalize(text, "zh" if language.startswith("zh") else language)
    rules = _rules(language)
    days = _find_days(rules, folded, now.date())
    clocks = _find_clocks(rules, folded)
    parts = _find_parts(rules, folded)
    if not days:
        if search or not clocks:
            return _dateparser(language, text, now, zone) if not search else None
        # A time alone answers "when": today, or yesterday when that time has not come yet today.
        days = [_Hit(clocks[0].start, clocks[0].start, (now.date(), None))]
    day_hit = days[0]
    day, day_part = day_hit.value
    used = [day_hit]
    clock = next((c for c in clocks if not search or _distance(c, day_hit) <= NEAR * 2), None)
    part = day_part
    if clock is not None:
        used.append(clock)
        part = clock.value[3] or part
        near = [p for p in parts if _distance(p, clock) <= NEAR]
        if near:
            used.append(near[0])
        part = clock.value[3] or (near[0].value if near else None) or day_part
    elif part is None:
        near_day = [p for p in parts if _distance(p, day_hit) <= NEAR]
        if near_day:
            used.append(near_day[0])
    moment, has_time = _moment(day, clock, part, zone)
    if clock is not None and day_part == words.NIGHT and moment.hour < 5:
        moment += dt.timedelta(days=1)  # "last night at 2": the small hours of the next day
    if (
        clock is not None
        and clock.value[2] is None
        and moment > now + SLACK
        and moment - dt.timedelta(hours=12) >= dt.datetime.combine(day, dt.time(), zone)
    ):
        moment -= dt.timedelta(hours=12)  # "today at 9", said at 10 in the morning
    if days[0].start == days[0].end and moment > now + SLACK:
        moment -= dt.timedelta(days=1)  # a time alone, not yet come today: yesterday's
    start = min(h.start for h in used if h.end > h.start)
    end = max(h.end for h in used)
    raw = text[origin[start] : origin[end - 1] + 1] if search else text.strip()
    return When(moment=moment, has_time=has_time, words=raw.strip(), future=moment > now + SLACK)


def _moment(day: dt.date, clock: _Hit | None, part: str | None, zone: dt.tzinfo) -> tuple[dt.datetime, bool]:
    if clock is not None:
        hour, minute, marker, _ = clock.value
        hour = _hour(hour, marker, part)
        if hour == 24:
            hour = 0
        return dt.datetime.combine(day, dt.time(hour, minute), zone), True
    if part == words.NOON:
        return dt.datetime.combine(day, dt.time(12, 0), zone), True
    return dt.datetime.combine(day, dt.time(), zone), False


def _dateparser(language: str, text: str, now: dt.datetime, zone: dt.tzinfo) -> When | None:
    """Fall back on dateparser for a whole answer, in the languages it knows."""
    import dateparser

    base = "zh" if language.startswith("zh") else language
    languages = ["en"] if base in ("en", "hmn") else [base, "en"]
    settings: dict[str, Any] = {
        "PREFER_DATES_FROM": "past",
        "RETURN_AS_TIMEZONE_AWARE": True,
        "TIMEZONE": str(zone),
        "RELATIVE_BASE": now.replace(tzinfo=None),
    }
    try:
        found = dateparser.parse(text, languages=languages, settings=settings)
    except Exception:  # dateparser fails on some scripts; the raw words are kept anyway
        return None
    if found is None:
        return None
    found = found.astimezone(zone)
    has_time = not (found.second or found.microsecond) and (found.hour, found.minute) != (0, 0)
    if found.second or found.microsecond:
        # NOTE: no time of day was said (dateparser filled in the current one): keep the day only.
        found = found.replace(hour=0, minute=0, second=0, microsecond=0)
    return When(moment=found, has_time=has_time, words=text.strip(), future=found > now + SLACK)


def arrival(metadata: dict[str, Any], events: list[dict[str, Any]]) -> dt.datetime:
    """When the resident's latest message arrived: the channel's stamp, else Rasa's, else now."""
    now = dt.datetime.now(dt.timezone.utc)
    stamp = metadata.get("received_at")
    if isinstance(stamp, str):
        try:
            received = dt.datetime.fromisoformat(stamp)
        except ValueError:
            received = None
        if (
            received is not None
            and received.tzinfo is not None
            and now - dt.timedelta(days=30) <= received <= now + SLACK
        ):
            return received
    for event in reversed(events):
        if event.get("event") == "user" and isinstance(event.get("timestamp"), (int, float)):
            return dt.datetime.fromtimestamp(float(event["timestamp"]), dt.timezone.utc)
    return now
