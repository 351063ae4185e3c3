"""Safe contact times: a small reader of what residents write, conservative when unsure."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from intake.cases import contact_times
from intake.cases.contact_times import DEFAULT, EVERY_DAY, WEEKDAYS, SafeTimes, parse

LA = ZoneInfo("America/Los_Angeles")


@pytest.mark.parametrize(
    ("text", "days", "windows"),
    [
        ("after 6 pm", EVERY_DAY, ((18 * 60, 21 * 60),)),
        ("After 6", EVERY_DAY, ((18 * 60, 21 * 60),)),
        ("weekdays 9-5", WEEKDAYS, ((9 * 60, 17 * 60),)),
        ("9am-5pm", EVERY_DAY, ((9 * 60, 17 * 60),)),
        ("mornings", EVERY_DAY, ((9 * 60, 12 * 60),)),
        ("de noche", EVERY_DAY, ((17 * 60, 20 * 60),)),
        ("before 10 am", EVERY_DAY, ((8 * 60, 10 * 60),)),
        ("Saturday 10:00-14:00", frozenset({5}), ((10 * 60, 14 * 60),)),
        ("weekends", frozenset({5, 6}), ((9 * 60, 19 * 60),)),
    ],
)
def test_common_forms_are_read(text, days, windows):
    found = parse(text)
    assert found.understood and found.days == days and found.windows == windows


@pytest.mark.parametrize("text", ["", None, "not after 6", "call my sister first", "after 11 pm", "no weekends"])
def test_what_is_not_understood_for_certain_is_nine_to_seven(text):
    assert parse(text) == DEFAULT and DEFAULT.windows == ((9 * 60, 19 * 60),) and not DEFAULT.understood


def test_the_next_safe_time_is_now_inside_a_window_and_the_next_start_outside():
    times = SafeTimes(days=WEEKDAYS, windows=((18 * 60, 21 * 60),), understood=True)
    friday_noon = dt.datetime(2026, 12, 4, 12, 0, tzinfo=LA)
    assert times.next_safe(friday_noon, LA) == dt.datetime(2026, 12, 4, 18, 0, tzinfo=LA)
    friday_evening = dt.datetime(2026, 12, 4, 19, 30, tzinfo=LA)
    assert times.next_safe(friday_evening, LA) == friday_evening
    friday_late = dt.datetime(2026, 12, 4, 22, 0, tzinfo=LA)
    assert times.next_safe(friday_late, LA) == dt.datetime(2026, 12, 7, 18, 0, tzinfo=LA)  # Monday


def test_the_times_are_read_from_the_line_the_dialogue_and_the_form_write():
    assert contact_times.contact_times_of("mi hermana\ncontact times: after 6 pm") == "after 6 pm"
    assert contact_times.contact_times_of("mi hermana") is None and contact_times.contact_times_of(None) is None
