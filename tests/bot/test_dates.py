"""Reading when something happened, with the time given, the way residents text it in each language.

Every input here was written for this test in the language's own texting style (no accents, digits of
the script, day parts, the words for "around" and "after"); none is taken from tests/corpora.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from bot.actions.dates import arrival, office_zone, read_when

LA = zoneinfo.ZoneInfo("America/Los_Angeles")
# Friday 4 December 2026, half past three in the afternoon at the office.
NOW = dt.datetime(2026, 12, 4, 15, 30, tzinfo=LA)
THU, WED, TUE, SAT = (3, 12, 3), (2, 12, 2), (1, 12, 1), (5, 11, 28)


def _read(language: str, text: str) -> tuple[int, int, int, int | None, int | None]:
    when = read_when(language, text, now=NOW, zone=LA)
    assert when is not None, f"{language}: {text!r} not read"
    assert not when.future, f"{language}: {text!r} read as still to come"
    moment = when.moment.astimezone(LA)
    hour, minute = (moment.hour, moment.minute) if when.has_time else (None, None)
    return moment.weekday(), moment.month, moment.day, hour, minute


# (language, words, (weekday, month, day), (hour, minute) or None when no time was said)
CASES = [
    # English, as texted
    ("en", "the day before yesterday after 3 pm", WED, (15, 0)),
    ("en", "yesterday around 4 in the afternoon", THU, (16, 0)),
    ("en", "yesterday evening around 7", THU, (19, 0)),
    ("en", "last night like 11ish", THU, (23, 0)),
    ("en", "yday at 9:45pm", THU, (21, 45)),
    ("en", "saturday around 9 at night", SAT, (21, 0)),
    ("en", "last fri like 10pm", (4, 11, 27), (22, 0)),
    ("en", "11/28 at 8:30pm", SAT, (20, 30)),
    ("en", "nov 28th", SAT, None),
    ("en", "3 days ago", TUE, None),
    ("en", "this morning around 8", (4, 12, 4), (8, 0)),
    ("en", "on the 28th around 10pm", SAT, (22, 0)),
    # Spanish, with and without accents
    ("es", "antier después de las 3 de la tarde", WED, (15, 0)),
    ("es", "ayer como a las 4 de la tarde", THU, (16, 0)),
    ("es", "ayer en la noche como a las 7", THU, (19, 0)),
    ("es", "anoche tipo 11", THU, (23, 0)),
    ("es", "el sabado como a las nueve de la noche", SAT, (21, 0)),
    ("es", "28 de noviembre", SAT, None),
    ("es", "hace 2 dias a las 8 y media de la mañana", WED, (8, 30)),
    # Tagalog and Taglish, Spanish-born hour words
    ("tl", "kahapon mga alas tres ng hapon", THU, (15, 0)),
    ("tl", "kagabi bandang alas 10", THU, (22, 0)),
    ("tl", "kamakalawa ng gabi mga 8pm", WED, (20, 0)),
    ("tl", "nung sabado alas siyete y medya ng gabi", SAT, (19, 30)),
    # Vietnamese, fast-typed without diacritics and with them
    ("vi", "hom qua khoang 7h toi", THU, (19, 0)),
    ("vi", "hqua luc 4g chieu", THU, (16, 0)),
    ("vi", "hôm kia lúc 3 giờ chiều", WED, (15, 0)),
    ("vi", "toi qua tam 9h30", THU, (21, 30)),
    ("vi", "tối hôm qua khoảng 8 giờ rưỡi", THU, (20, 30)),
    ("vi", "ngay 28 thang 11", SAT, None),
    # Chinese, Simplified, Traditional and Cantonese
    ("zh", "昨天晚上7点左右", THU, (19, 0)),
    ("zh", "前天下午三点多", WED, (15, 0)),
    ("zh", "琴晚九點半", THU, (21, 30)),
    ("zh", "11月28号晚上8点", SAT, (20, 0)),
    ("zh", "星期六", SAT, None),
    # Khmer, with Khmer digits
    ("km", "ម្សិលមិញ ម៉ោង៧យប់", THU, (19, 0)),
    ("km", "ម្សិលម្ង៉ៃ ម៉ោង៣រសៀល", WED, (15, 0)),
    ("km", "យប់មិញ ប្រហែលម៉ោង១០", THU, (22, 0)),
    ("km", "ម្សិលមិញ ព្រឹក ម៉ោងប្រាំបី", THU, (8, 0)),
    ("km", "ថ្ងៃទី២៨ ខែវិច្ឆិកា", SAT, None),
    # Hmong (RPA), which dateparser does not know
    ("hmn", "nag hmo 7 teev tsaus ntuj", THU, (19, 0)),
    ("hmn", "hnub ua ntej nag hmo thaum 3 teev tav su", WED, (15, 0)),
    ("hmn", "nag hmo thaum cuaj teev hmo ntuj", THU, (21, 0)),
    ("hmn", "peb hnub dhau los", TUE, None),
    # Lao, with Lao digits and night hours
    ("lo", "ມື້ວານ 7 ໂມງແລງ", THU, (19, 0)),
    ("lo", "ມື້ວານ ໗ ໂມງແລງ", THU, (19, 0)),
    ("lo", "ມື້ຊືນ ບ່າຍ 3 ໂມງ", WED, (15, 0)),
    ("lo", "ມື້ວານ ປະມານ 2 ທຸ່ມ", THU, (20, 0)),
    ("lo", "ວັນທີ 28 ພະຈິກ", SAT, None),
    # Punjabi (Gurmukhi), with Gurmukhi digits
    ("pa", "ਕੱਲ੍ਹ ਸ਼ਾਮ 7 ਵਜੇ", THU, (19, 0)),
    ("pa", "ਪਰਸੋਂ ਦੁਪਹਿਰ 3 ਵਜੇ ਤੋਂ ਬਾਅਦ", WED, (15, 0)),
    ("pa", "ਕੱਲ੍ਹ ਰਾਤ ੧੦ ਕੁ ਵਜੇ", THU, (22, 0)),
    ("pa", "ਕੱਲ੍ਹ ਸਵੇਰੇ ਸਾਢੇ 9 ਵਜੇ", THU, (9, 30)),
    ("pa", "28 ਨਵੰਬਰ", SAT, None),
]


@pytest.mark.parametrize(("language", "text", "day", "time"), CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_a_day_and_the_time_given_are_read_in_every_language(language, text, day, time):
    weekday, month, date, hour, minute = _read(language, text)
    assert (weekday, month, date) == day
    assert (None if hour is None else (hour, minute)) == time


@pytest.mark.parametrize("language", ["en", "es", "tl", "vi", "zh", "km", "hmn", "lo", "pa"])
def test_a_message_without_a_day_or_time_is_not_read(language):
    assert read_when(language, "the officer was rude and would not give his name", now=NOW, zone=LA) is None


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "tomorrow at 5"),
        ("tl", "bukas ng umaga"),
        ("vi", "ngay mai luc 9h"),
        ("zh", "明天下午"),
        ("km", "ថ្ងៃស្អែក"),
    ],
)
def test_a_moment_still_to_come_is_flagged_never_taken_silently(language, text):
    when = read_when(language, text, now=NOW, zone=LA)
    assert when is not None and when.future


def test_a_time_alone_is_today_or_yesterday_when_it_has_not_come_yet():
    assert _read("en", "around 9pm") == (*THU, 21, 0)
    assert _read("en", "around 10am") == (4, 12, 4, 10, 0)


def test_today_at_an_hour_not_yet_come_reads_the_morning_hour():
    assert _read("en", "today at 9") == (4, 12, 4, 9, 0)


def test_numbers_that_count_officers_or_hours_are_not_times():
    when = read_when("en", "yesterday there were about 3 officers for 2 hours", now=NOW, zone=LA)
    assert when is not None and not when.has_time


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "I sat in my car and waited for the officer"),
        ("vi", "tôi muốn khiếu nại cảnh sát"),
        ("vi", "canh sat chan toi lai"),
        ("tl", "may 5 na pulis doon"),
        ("es", "me dijo que me callara, que era un mal hijo"),
    ],
)
def test_words_that_only_look_like_days_are_not_read(language, text):
    assert read_when(language, text, now=NOW, zone=LA, search=True) is None


def test_vietnamese_i_and_arrive_are_not_evening():
    # "tôi" (I) and "tới" (arrive) fold to the letters of "tối" (evening)
    assert _read("vi", "hôm qua cảnh sát tới lúc 9h") == (*THU, 9, 0)


def test_relative_days_count_in_the_office_zone_from_when_the_message_arrived():
    # 07:30 UTC on Saturday is still Friday 23:30 in California: "yesterday" is Thursday there.
    arrived = dt.datetime(2026, 12, 5, 7, 30, tzinfo=dt.timezone.utc)
    when = read_when("en", "yesterday at 6pm", now=arrived, zone=LA)
    assert when is not None and when.moment.astimezone(LA).date() == dt.date(2026, 12, 3)
    when = read_when("en", "yesterday at 6pm", now=arrived, zone=zoneinfo.ZoneInfo("Asia/Manila"))
    assert when is not None and when.moment.date() == dt.date(2026, 12, 4)


def test_the_office_zone_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("HEARD_OFFICE_TIMEZONE", "America/Chicago")
    assert str(office_zone()) == "America/Chicago"
    monkeypatch.setenv("HEARD_OFFICE_TIMEZONE", "Not/AZone")
    assert str(office_zone()) == "America/Los_Angeles"


def test_arrival_is_the_channels_stamp_else_rasas_else_now():
    stamp = dt.datetime(2026, 12, 4, 20, 0, tzinfo=dt.timezone.utc)
    assert arrival({"received_at": stamp.isoformat()}, []) == stamp
    rasa = {"event": "user", "timestamp": stamp.timestamp() + 60}
    assert arrival({"received_at": "garbage"}, [rasa]) == stamp + dt.timedelta(seconds=60)
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=3)
    assert arrival({"received_at": later.isoformat()}, []) < later  # a stamp from the future is ignored


def test_a_story_keeps_only_the_words_of_the_day_and_time():
    story = "ok so yesterday around 4 in the afternoon i was walking my dog and the cop stopped me"
    when = read_when("en", story, now=NOW, zone=LA, search=True)
    assert when is not None and when.words == "yesterday around 4 in the afternoon"
    assert when.moment.hour == 16
