"""Chinese is one language written two ways: a resident is answered in the characters they write."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import actions, i18n
from bot.actions.forms import ValidateComplaintForm
from nlu.detect import chinese_script
from tests.bot.test_actions import DOMAIN


def chinese_tracker(*texts: str, metadata: dict[str, Any] | None = None) -> Tracker:
    """A Chinese conversation whose resident wrote ``texts``, the last one just now."""
    return Tracker(
        sender_id="test",
        slots={"language": "zh", "language_chosen": True},
        latest_message={
            "text": texts[-1],
            "intent": {"name": "file_complaint", "confidence": 0.9},
            "metadata": metadata or {},
        },
        events=[{"event": "user", "text": text} for text in texts],
        paused=False,
        followup_action=None,
        active_loop={"name": "complaint_form"},
        latest_action_name="action_listen",
    )


def ask_narrative(t: Tracker) -> str:
    dispatcher = CollectingDispatcher()
    actions.ActionAskNarrative().run(dispatcher, t, DOMAIN)
    return "\n".join(m["text"] for m in dispatcher.messages if m.get("text"))


@pytest.mark.parametrize(
    ("text", "script"),
    [
        ("我想投訴警察，佢哋喺度打人", "Hant"),
        ("我想投诉警察，他们打人", "Hans"),
        ("警察打了我", None),  # the same in both scripts
        ("the officer was rude", None),
    ],
)
def test_the_script_is_told_by_the_characters_only_one_way_writes(text, script):
    assert chinese_script(text) == script


def test_a_resident_writing_traditional_is_answered_in_traditional():
    reply = ask_narrative(chinese_tracker("我想投訴一個警員"))
    assert "發生了甚麼事" in reply and "发生了什么事" not in reply
    assert "獨立" in reply  # the notice too


def test_a_resident_writing_simplified_is_answered_in_simplified():
    reply = ask_narrative(chinese_tracker("我想投诉一个警察"))
    assert "发生了什么事" in reply and "發生了甚麼事" not in reply


def test_a_neutral_message_keeps_the_script_the_resident_wrote_before():
    reply = ask_narrative(chinese_tracker("我想投訴一個警員", "警察打了我"))
    assert "發生了甚麼事" in reply


def test_the_channel_can_say_the_script():
    reply = ask_narrative(chinese_tracker("你好", metadata={"language": "zh", "script": "Hant"}))
    assert "發生了甚麼事" in reply


def test_traditional_is_only_how_it_is_written_the_case_language_stays_zh():
    dispatcher = CollectingDispatcher()
    t = chinese_tracker("我想投訴一個警員")
    events = asyncio.run(ValidateComplaintForm().run(dispatcher, t, DOMAIN))
    assert all(not (e.get("name") == "language" and e.get("value") != "zh") for e in events)
    # NOTE: the next action, for another resident, starts from Simplified again.
    assert "发生了什么事" in ask_narrative(chinese_tracker("我想投诉一个警察"))


def test_traditional_yes_and_done_are_understood():
    i18n.use_chinese_script("Hant")
    try:
        assert "係" in i18n.yes_words("zh") and i18n.is_done("zh", "講完了")
    finally:
        i18n.use_chinese_script(None)
