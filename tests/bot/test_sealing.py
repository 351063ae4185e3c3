"""The personal slots leave the action server sealed and reach the actions open (issue 17, bot/sealing.py)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path
from typing import Any, ClassVar

import pytest
from cryptography.fernet import Fernet, MultiFernet
from rasa_sdk import Action
from rasa_sdk.events import SlotSet

from bot.action_server import SealingExecutor
from bot.sealing import SLOT_PREFIX, NoKey, load_fernet, open_slots, open_value, seal_events, seal_value

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def fernet() -> MultiFernet:
    return MultiFernet([Fernet(Fernet.generate_key())])


@pytest.mark.parametrize("value", ["Ana Ruiz", "ana@example.org", "+12095550142", "482193", "ສົມໃຈ", ["a", 1]])
def test_a_sealed_value_opens_to_itself_and_shows_nothing(fernet, value):
    sealed = seal_value(fernet, value)
    assert sealed.startswith(SLOT_PREFIX) and str(value) not in sealed
    assert open_value(fernet, sealed) == value
    assert seal_value(fernet, sealed) == sealed  # sealed once, never twice


def test_none_stays_none_so_a_form_still_asks(fernet):
    assert seal_value(fernet, None) is None and open_value(fernet, None) is None


def test_a_token_from_another_key_is_refused_not_passed_on(fernet):
    other = MultiFernet([Fernet(Fernet.generate_key())])
    with pytest.raises(NoKey):
        open_value(fernet, seal_value(other, "Ana Ruiz"))
    with pytest.raises(NoKey):
        open_value(fernet, SLOT_PREFIX + "not a token")


def test_only_the_personal_slots_are_sealed(fernet):
    events = [
        {"event": "slot", "name": "contact_name", "value": "Ana Ruiz"},
        {"event": "slot", "name": "pin", "value": "482193"},
        {"event": "slot", "name": "language", "value": "es"},
        {"event": "slot", "name": "narrative", "value": "words"},
        {"event": "followup", "name": "contact_name"},
    ]
    sealed = seal_events(fernet, events)
    assert sealed[0]["value"].startswith(SLOT_PREFIX) and sealed[1]["value"].startswith(SLOT_PREFIX)
    assert sealed[2:] == events[2:]
    tracker: dict[str, Any] = {"slots": {"contact_name": sealed[0]["value"], "language": "es"}, "events": sealed}
    open_slots(fernet, tracker)
    assert tracker["slots"] == {"contact_name": "Ana Ruiz", "language": "es"}
    assert tracker["events"][:2] == events[:2]


class _ReadsAndSets(Action):
    seen: ClassVar[dict[str, Any]] = {}

    def name(self) -> str:
        return "action_reads_and_sets"

    def run(self, dispatcher: Any, tracker: Any, domain: Any) -> list[dict[str, Any]]:
        _ReadsAndSets.seen = {"pin": tracker.get_slot("pin"), "validate": tracker.slots_to_validate()}
        dispatcher.utter_message(text=f"hello {tracker.get_slot('contact_name')}")
        return [SlotSet("contact_email", "ana@example.org"), SlotSet("language", "es")]


def test_the_executor_opens_for_the_action_and_seals_its_answer(fernet):
    executor = SealingExecutor(fernet)
    executor.register_action(_ReadsAndSets)
    name, pin = seal_value(fernet, "Ana Ruiz"), seal_value(fernet, "482193")
    call = {
        "next_action": "action_reads_and_sets",
        "domain": {"slots": {}},
        "domain_digest": "x",
        "tracker": {
            "sender_id": "a",
            "slots": {"contact_name": name, "pin": pin, "language": "es"},
            "latest_message": {},
            "events": [{"event": "action", "name": "x"}, {"event": "slot", "name": "pin", "value": pin}],
            "active_loop": {},
        },
    }
    result = asyncio.run(executor.run(call))
    assert result is not None
    assert _ReadsAndSets.seen == {"pin": "482193", "validate": {"pin": "482193"}}
    assert result.responses[0]["text"] == "hello Ana Ruiz"  # the bot's words are Rasa's to store sealed
    email, language = result.events
    assert email["value"].startswith(SLOT_PREFIX) and open_value(fernet, email["value"]) == "ana@example.org"
    assert language["value"] == "es"


def test_without_a_key_the_action_server_does_not_start(tmp_path):
    with pytest.raises(NoKey):
        load_fernet({"HEARD_INSTANCE_DIR": str(tmp_path)})
    env = {"PATH": "/usr/bin:/bin", "HEARD_INSTANCE_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "bot.action_server", "--actions", "bot.actions", "--port", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0 and "no Fernet key" in result.stderr
