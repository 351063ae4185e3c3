"""The personal slots leave the action server sealed and reach the actions open (issue 17, bot/sealing.py)."""

from __future__ import annotations

import asyncio
import os
import signal
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


def test_the_action_server_answers_only_rasas_token(tmp_path):
    import json as _json
    import socket
    import urllib.error
    import urllib.request

    from bot.sealing import actions_token

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "HEARD_FERNET_KEYS": Fernet.generate_key().decode(),
        "HEARD_INTERNAL_TOKEN": "internal-token-for-this-test",
        "HEARD_INSTANCE_DIR": str(tmp_path),
    }
    token = actions_token(env)
    assert token and token != env["HEARD_INTERNAL_TOKEN"]
    server = subprocess.Popen(
        [sys.executable, "-m", "bot.action_server", "--actions", "bot.actions", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # Sanic's manager has a worker process: both go at the end
    )
    base = f"http://127.0.0.1:{port}"

    def status(path: str, body: dict[str, Any] | None = None) -> int:
        data = None if body is None else _json.dumps(body).encode()
        request = urllib.request.Request(base + path, data=data, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return int(answer.status)
        except urllib.error.HTTPError as refused:
            with refused:  # NOTE: the error holds the answer's socket
                return int(refused.code)

    try:
        jobs_wait_for_health(server, base)
        call = {"next_action": "action_not_there", "tracker": {"sender_id": "x", "slots": {}, "events": []}}
        assert status("/webhook", call) == 401
        assert status("/webhook?token=guess", call) == 401
        assert status("/actions") == 401
        assert status(f"/webhook?token={token}", call) == 404  # through the guard: no such action
        assert status(f"/actions?token={token}") == 200
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:  # Sanic's manager may outwait SIGTERM
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def jobs_wait_for_health(server: subprocess.Popen[bytes], base: str) -> None:
    import urllib.request

    from intake import jobs

    def up() -> bool:
        assert server.poll() is None, "the action server stopped"
        try:
            with urllib.request.urlopen(base + "/health", timeout=2) as answer:
                return int(answer.status) == 200
        except OSError:
            return False

    assert jobs.wait_for(up, timeout=60, interval=0.3), "the action server did not come up"


def test_an_action_that_fails_does_not_quote_the_opened_slots(fernet):
    class Fails(Action):
        def name(self) -> str:
            return "action_fails"

        def run(self, dispatcher: Any, tracker: Any, domain: Any) -> list[dict[str, Any]]:
            raise RuntimeError("boom")

    executor = SealingExecutor(fernet)
    executor.register_action(Fails)
    sealed = seal_value(fernet, "Ana Ruiz")
    tracker = {"sender_id": "a", "slots": {"contact_name": sealed}, "latest_message": {}, "events": []}
    call = {"next_action": "action_fails", "domain": {"slots": {}}, "domain_digest": "x", "tracker": tracker}
    with pytest.raises(RuntimeError):
        asyncio.run(executor.run(call))
    assert call["tracker"]["slots"]["contact_name"] == sealed  # rasa-sdk's error answer quotes this body


def test_options_the_server_cannot_honour_are_refused(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HEARD_FERNET_KEYS": Fernet.generate_key().decode(), "HEARD_INTERNAL_TOKEN": "t"}
    result = subprocess.run(
        [sys.executable, "-m", "bot.action_server", "--actions", "bot.actions", "--ssl-certificate", "x.pem"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode != 0 and "does not take ssl_certificate" in result.stderr
