"""The dialogue keeps nothing a resident typed in clear (issue 17, item 1).

Whole conversations by web chat and by text message go through the real Rasa, action server and
queue; then the tracker store's SQLite file (and its WAL) is searched byte for byte for every
narrative word, name, email, phone and PIN the residents typed. A finished draft leaves only the
scrubbed history; an abandoned one is swept by the worker's chore, and the resident is told.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
import xml.etree.ElementTree as ET
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app import create_app
from intake.enums import Direction
from intake.models import Case, DialogueScrub, Message
from tests.bot.conftest import make_twilio_app, stored_tracker_events
from tests.twilio_fake import post_signed, sms_form
from webhooks.dialogue_sweep import DISCARDED, DraftSweep

pytestmark = pytest.mark.slow

TRACKING = re.compile(r"\b(\d{3}-\d{3}-\d{4})\b")
# What the scrubbed history may hold: no user event, no bot utterance, no slot but these.
SCRUBBED_TYPES = {"action", "session_started", "slot"}
KEPT_SLOTS = {"language", "language_chosen", "notice_shown"}


def tracker_file(bot_stack: Any) -> Path:
    return Path(bot_stack.env["HEARD_INSTANCE_DIR"]) / "rasa-tracker.db"


def stored_bytes(path: Path) -> bytes:
    """The SQLite file and its companions, as they lie on disk (deleted pages included)."""
    return b"".join(Path(f"{path}{s}").read_bytes() for s in ("", "-wal", "-journal") if Path(f"{path}{s}").exists())


def assert_nothing_typed_is_stored(raw: bytes, typed: list[str]) -> None:
    # NOTE: every needle is at least 6 characters: a shorter one could turn up by chance in base64 ciphertext.
    assert all(len(word) >= 6 for word in typed), typed
    found = [word for word in typed if word.encode("utf-8") in raw or word.lower().encode("utf-8") in raw]
    assert not found, f"the tracker store holds in clear: {found}"


def assert_scrubbed(events: list[dict[str, Any]], language: str) -> None:
    assert events, "the conversation's history is gone altogether"
    assert {e["event"] for e in events} <= SCRUBBED_TYPES, [e["event"] for e in events]
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert set(slots) <= KEPT_SLOTS and slots["language"] == language


def _receipt(replies: list[str]) -> tuple[str, str]:
    text = " ".join(replies)
    number = TRACKING.search(text)
    assert number, text
    pin = re.search(r"\b(\d{6})\b", text.replace(number.group(1), ""))
    assert pin, text
    return number.group(1), pin.group(1)


def test_a_web_chat_complaint_and_status_check_leave_nothing_typed_in_the_tracker_store(bot_stack, keyring):
    narrative = "the deputy smashed my tangerine accordion beside Quillfeather fountain"
    typed = [
        "smashed",
        "tangerine",
        "accordion",
        "Quillfeather",
        "fountain",
        "Ximena",
        "Quartzfield",
        "555 0177",
        "5550177",
    ]
    talk = bot_stack.conversation(language="en")
    for line in [
        "i want to file a complaint about a cop",
        narrative,
        "done",
        "idk",
        "Harbor St",
        "idk",
        "no one",
        "no one",
        "no",
        "Ximena Quartzfield",
        "1",  # by text: the number is asked (the Twilio test below types an email address)
        "209 555 0177",
        "after work",
    ]:
        assert talk.say(line)
    number, pin = _receipt(talk.say("yes"))
    status = bot_stack.conversation(language="en")
    for line in ["what is the status of my report", number]:
        status.say(line)
    answer = " ".join(status.say(pin))
    assert number in answer, answer  # the status was told: the PIN was taken
    path = tracker_file(bot_stack)
    assert_nothing_typed_is_stored(stored_bytes(path), [*typed, pin])
    assert_scrubbed(stored_tracker_events(bot_stack, talk.sender), "en")
    assert_scrubbed(stored_tracker_events(bot_stack, status.sender), "en")
    # The conversation goes on after the scrub, in the language it kept.
    assert talk.say("hello")


def test_while_a_draft_is_open_the_personal_slots_hold_sealed_tokens(bot_stack, keyring):
    """Rasa's own state (what its HTTP API, its logs and its store see) holds tokens for name, phone, email."""
    from bot.sealing import PERSONAL_SLOTS, SLOT_PREFIX, load_fernet, open_value
    from webhooks.rasa_client import RasaClient, api_token

    talk = bot_stack.conversation(language="en")
    for line in [
        "i want to file a complaint about a cop",
        "the officer kicked over my sunflower planter on Juniper Lane",
        "done",
        "idk",
        "Juniper Lane",
        "idk",
        "no one",
        "no one",
        "no",
        "Wendolyn Brightwater",
        "3",  # by email: the address is asked
        "wendolyn.brightwater@example.org",
    ]:
        assert talk.say(line)
    rasa = RasaClient(bot_stack.rasa_url, token=api_token(configured=None, internal_token=keyring.internal_token))
    tracker = rasa.tracker(conversation_id=talk.sender)
    slots = tracker["slots"]
    held = {name: slots[name] for name in PERSONAL_SLOTS if slots.get(name) is not None}
    assert {"contact_name", "contact_email"} <= set(held), slots
    assert all(str(value).startswith(SLOT_PREFIX) for value in held.values()), held
    state = json.dumps({"slots": slots, "latest_action": tracker.get("latest_action")})
    for typed in ("Wendolyn", "Brightwater", "wendolyn.brightwater"):
        assert typed.lower() not in state.lower(), f"Rasa's state holds {typed!r} in clear"
    # The tokens are the resident's answers, sealed with Heard's key: the report files with them.
    fernet = load_fernet({"HEARD_FERNET_KEYS": bot_stack.env["HEARD_FERNET_KEYS"]})
    assert open_value(fernet, held["contact_name"]) == "Wendolyn Brightwater"
    assert open_value(fernet, held["contact_email"]) == "wendolyn.brightwater@example.org"
    number, _ = _receipt(talk.say("yes"))  # no safe times for email: the summary came after the address
    with bot_stack.database.session() as s:
        case = s.scalars(select(Case).where(Case.tracking_number == number.replace("-", ""))).one()
        assert case.contact is not None
        assert keyring.decrypt(case.contact.name_token) == "Wendolyn Brightwater"
        assert keyring.decrypt(case.contact.email_token) == "wendolyn.brightwater@example.org"


def test_a_cancelled_draft_is_scrubbed(bot_stack, keyring):
    talk = bot_stack.conversation(language="es")
    for line in ["quiero poner una queja", "el agente rompió mi guitarra amarillenta", "listo"]:
        talk.say(line)
    assert talk.say("cancelar")
    said = " ".join(talk.say("sí"))
    assert "no se envió nada" in said, said  # the draft was dropped
    path = tracker_file(bot_stack)
    assert_nothing_typed_is_stored(stored_bytes(path), ["guitarra", "amarillenta"])
    assert_scrubbed(stored_tracker_events(bot_stack, talk.sender), "es")


def _sms_bodies(data: bytes) -> str:
    return "\n".join(m.text or "" for m in ET.fromstring(data).iter("Message"))


def test_a_text_message_complaint_leaves_nothing_typed_in_the_tracker_store(bot_stack, keyring, fake_twilio, tmp_path):
    app = make_twilio_app(bot_stack, keyring, fake_twilio, tmp_path)
    client = app.test_client()
    phone = "+12095550388"

    def text(body: str) -> str:
        response = post_signed(client, "/twilio/sms", sms_form(body, sender=phone))
        assert response.status_code == 200, response.data
        return _sms_bodies(response.data)

    for line in [
        "I want to file a complaint about a cop",
        "the sergeant kicked my periwinkle bicycle outside Marblewood library",
        "done",
        "idk",
        "Elm St",
        "idk",
        "no one",
        "no one",
        "no",
        "Oluwaseun Brightwater",
        "3",  # by email: the address is asked (the number they write from rides in every message)
    ]:
        assert text(line)
    summary = text("seun.brightwater@example.net")
    assert "Brightwater" in summary  # the read-back still shows the resident their answers
    _, pin = _receipt([text("yes")])
    typed = [
        "sergeant",
        "kicked",
        "periwinkle",
        "bicycle",
        "Marblewood",
        "library",
        "Oluwaseun",
        "Brightwater",
        "seun.brightwater@example.net",
        phone,
        phone[2:],
        "5550388",
        pin,
    ]
    path = tracker_file(bot_stack)
    assert_nothing_typed_is_stored(stored_bytes(path), typed)
    with closing(sqlite3.connect(path)) as db:
        senders = {row[0] for row in db.execute("SELECT DISTINCT sender_id FROM events")}
    with bot_stack.database.session() as s:
        mine = s.scalars(
            select(Message.conversation_id).where(
                Message.body.contains("periwinkle"), Message.conversation_id.in_(senders)
            )
        ).first()
    assert mine
    assert_scrubbed(stored_tracker_events(bot_stack, mine), "en")


def _poll(condition: Any, seconds: float = 30.0) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError("the condition did not come true in time")


def test_an_abandoned_web_chat_draft_is_swept_and_the_resident_told(bot_stack, keyring, tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "HEARD_INSTANCE_DIR": str(tmp_path),
            "DATABASE": bot_stack.database,
            "KEYRING": keyring,
            "RASA_URL": bot_stack.rasa_url,
        }
    )
    client = app.test_client()
    token = client.post("/chat/api/sessions", json={"lang": "vi"}).json["token"]
    auth = {"Authorization": f"Bearer {token}"}
    for line in ["tôi muốn khiếu nại cảnh sát", "viên cảnh sát đá chiếc xe đạp màu hoa cà của tôi"]:
        assert client.post("/chat/api/messages", json={"text": line, "lang": "vi"}, headers=auth).status_code == 200
    with bot_stack.database.session() as s:
        conversation = s.scalars(
            select(Message.conversation_id).where(
                Message.body.contains("hoa cà"), Message.direction == Direction.INBOUND
            )
        ).one()
    assert any(e["event"] == "user" for e in stored_tracker_events(bot_stack, conversation))  # sealed while open

    # Not yet silent long enough: nothing is scrubbed.
    patient = DraftSweep(database=bot_stack.database, keyring=keyring, rasa_url=bot_stack.rasa_url)
    patient.sweep()
    assert conversation not in _scrubbed_ids(bot_stack)
    assert any(e["event"] == "user" for e in stored_tracker_events(bot_stack, conversation))

    # An hour's window, swept as if two hours had passed: Rasa still checks the silence by its own
    # clock, so the window is made one second long there.
    sweep = DraftSweep(
        database=bot_stack.database,
        keyring=keyring,
        rasa_url=bot_stack.rasa_url,
        abandon_hours=1 / 3600,
    )
    _poll(lambda: sweep.sweep() >= 0 and conversation in _scrubbed_ids(bot_stack))
    assert_scrubbed(stored_tracker_events(bot_stack, conversation), "vi")
    with bot_stack.database.session() as s:
        assert s.get(DialogueScrub, conversation).outcome == "abandoned"
        told = s.scalars(
            select(Message).where(Message.conversation_id == conversation, Message.direction == Direction.OUTBOUND)
        ).all()
    transcript = client.get("/chat/api/transcript", headers=auth).json
    texts = json.dumps(transcript, ensure_ascii=False)
    assert told and DISCARDED not in texts  # told in Vietnamese, not in English
    assert "hủy" in texts or "bỏ" in texts, texts
    # Swept once: a later sweep leaves it be until the resident writes again.
    with bot_stack.database.session() as s:
        first = s.get(DialogueScrub, conversation).scrubbed_at
    sweep.sweep()
    with bot_stack.database.session() as s:
        assert s.get(DialogueScrub, conversation).scrubbed_at == first


def _scrubbed_ids(bot_stack: Any) -> set[str]:
    with bot_stack.database.session() as s:
        return set(s.scalars(select(DialogueScrub.conversation_id)))


def test_rasas_tokens_are_not_on_its_command_line(bot_stack, keyring):
    """Any user of the machine can read a command line (`ps`); the API token and the actions token stay off it."""
    from bot.sealing import actions_token
    from webhooks.rasa_client import api_token

    assert bot_stack.rasa is not None
    command_line = Path(f"/proc/{bot_stack.rasa.pid}/cmdline").read_bytes().decode("utf-8", "replace")
    assert "rasa" in command_line and "--enable-api" in command_line  # it is Rasa's own process
    for token in (api_token(configured=None, internal_token=keyring.internal_token), actions_token(bot_stack.env)):
        assert token and token not in command_line


def test_rasas_rest_channel_answers_only_heards_token(bot_stack):
    """Its metadata names the channel and phone a report is filed under: nobody else on the machine may post."""
    import urllib.error
    import urllib.request

    forged = json.dumps(
        {"sender": "forger", "message": "hello", "metadata": {"channel": "sms", "phone": "+12095550123"}}
    )
    for headers in ({}, {"Authorization": "Bearer guess"}, {"Authorization": "Basic x"}):
        request = urllib.request.Request(
            f"{bot_stack.rasa_url}/webhooks/rest/webhook",
            data=forged.encode(),
            headers={"Content-Type": "application/json", **headers},
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=30)
        refused.value.close()  # NOTE: the error holds the answer's socket
        assert refused.value.code == 401, headers
    assert bot_stack.conversation(language="en").say("hello")  # Heard's own token is answered
