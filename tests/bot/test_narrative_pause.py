"""The bot moves on after a pause while a resident tells what happened, through the running stack.

A resident texts (signed Twilio webhooks) to the real Rasa; the dialogue queues a pause job
in Heard's queue (intake/conversations/pauses.py); when they stop writing, a worker fires the
dialogue's pause intent through Rasa's HTTP API (webhooks/pause.py), and the question it asks
goes out as a text message, or waits in the web chat's transcript for the open widget to fetch it.
"""

from __future__ import annotations

import re
import time
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from sqlalchemy import select, update

from app import create_app
from intake import jobs
from intake.cases import tracking
from intake.conversations import pauses
from intake.db import utcnow
from intake.enums import Direction, JobState
from intake.models import Case, Job, Message
from tests.bot.conftest import make_twilio_app
from tests.twilio_fake import post_signed, sms_form

pytestmark = pytest.mark.slow

PAUSE_SECONDS = 3.0
PHONE = "+12095550299"
TRACKING = re.compile(r"\b(\d{3}-\d{3}-\d{4})\b")
WHEN = "When did it happen?"


@pytest.fixture(autouse=True)
def _pauses_fire(pause_worker: jobs.Worker) -> jobs.Worker:
    return pause_worker


def _pending_pauses(database: Any) -> list[Job]:
    with database.session() as s:
        return [j for j in s.scalars(select(Job).where(Job.kind == pauses.KIND, Job.state == JobState.QUEUED))]


@pytest.fixture
def sms_app(bot_stack, keyring, fake_twilio, tmp_path):  # type: ignore[no-untyped-def]
    return make_twilio_app(bot_stack, keyring, fake_twilio, tmp_path, HEARD_NARRATIVE_PAUSE_SECONDS=str(PAUSE_SECONDS))


def _text(app: Any, body: str) -> str:
    response = post_signed(app.test_client(), "/twilio/sms", sms_form(body, sender=PHONE))
    assert response.status_code == 200, response.data
    return "\n".join(m.text or "" for m in ET.fromstring(response.data).iter("Message"))


def _messages_between_turns(database: Any) -> list[str]:
    """What Heard texted this resident on its own, not in answer to one of their messages."""
    with database.session() as s:
        inbound = s.scalars(select(Message).where(Message.direction == Direction.INBOUND)).all()
        conversation = {m.conversation_id for m in inbound if m.body == "he pushed me against the car"}
        return list(
            s.scalars(
                select(Message.body)
                .where(
                    Message.conversation_id.in_(conversation),
                    Message.direction == Direction.OUTBOUND,
                    Message.reply_to_id.is_(None),
                )
                .order_by(Message.id)
            )
        )


def _send_queued(app: Any) -> None:
    """Run the worker's round: queued texts go out through (the stand-in of) Twilio."""
    db = app.extensions["heard.database"]
    with db.session() as s:
        s.execute(update(Job).where(Job.state == JobState.QUEUED).values(run_after=utcnow()))
        s.commit()
    sms = app.extensions["heard.sms"]
    jobs.Worker(database=db, handlers=sms.handlers(), chores=[]).run_once()


def test_a_texter_who_stops_writing_gets_the_next_question_by_text(sms_app, bot_stack, fake_twilio):
    _text(sms_app, "I want to file a complaint about a cop")
    assert "anything more" in _text(sms_app, "he pushed me against the car")
    (first,) = _pending_pauses(bot_stack.database)  # a job in Heard's queue, not a timer in Rasa
    time.sleep(PAUSE_SECONDS / 3)
    # Writing again within the pause: still telling what happened, and the pause starts over.
    assert "anything more" in _text(sms_app, "and he took my phone")
    assert _messages_between_turns(bot_stack.database) == []
    (second,) = _pending_pauses(bot_stack.database)
    assert second.id != first.id and second.run_after > first.run_after

    assert jobs.wait_for(lambda: bool(_messages_between_turns(bot_stack.database)), timeout=PAUSE_SECONDS + 30)
    (question,) = _messages_between_turns(bot_stack.database)
    assert WHEN in question
    _send_queued(sms_app)
    texted = [m for m in fake_twilio.sent() if m["To"] == PHONE]
    assert texted and WHEN in texted[-1]["Body"], texted
    time.sleep(PAUSE_SECONDS + 1)
    assert len(_messages_between_turns(bot_stack.database)) == 1  # one pause, one question

    # The next text answers that question, and the report holds both messages of what happened.
    assert "I understood" in _text(sms_app, "yesterday")
    for line in ["yes", "Main St", "idk", "no one", "no one", "yes"]:
        assert _text(sms_app, line)
    receipt = _text(sms_app, "yes")
    number = TRACKING.search(receipt)
    assert number, receipt
    with bot_stack.database.session() as s:
        case = s.scalars(
            select(Case).where(Case.tracking_number == tracking.parse_tracking_number(number.group(1)))
        ).one()
        assert case.narrative == "he pushed me against the car\nand he took my phone"
        assert case.incident_time_text == "yesterday"


@pytest.fixture
def chat_app(bot_stack, keyring, tmp_path):  # type: ignore[no-untyped-def]
    return create_app(
        {
            "TESTING": True,
            "HEARD_INSTANCE_DIR": str(tmp_path),
            "DATABASE": bot_stack.database,
            "KEYRING": keyring,
            "RASA_URL": bot_stack.rasa_url,
            "HEARD_NARRATIVE_PAUSE_SECONDS": str(PAUSE_SECONDS),
        }
    )


def test_a_chatter_who_stops_writing_gets_the_next_question_in_the_open_chat(chat_app, bot_stack):
    client = chat_app.test_client()
    opened = client.post("/chat/api/sessions", json={"lang": "en"})
    auth = {"Authorization": f"Bearer {opened.json['token']}"}

    def say(text: str) -> str:
        response = client.post("/chat/api/messages", json={"text": text, "lang": "en"}, headers=auth)
        assert response.status_code == 200, response.json
        return " ".join(m["text"] for m in response.json["messages"])

    def fetched() -> list[str]:
        response = client.get("/chat/api/updates?after=0", headers=auth)
        assert response.status_code == 200, response.json
        return [m["text"] for m in response.json["messages"]]

    say("I want to file a complaint about a cop")
    assert "anything more" in say("the officer shoved me into the wall")
    assert fetched() == []
    # What the widget polls for while it is open (not too often: the API limits each session).
    assert jobs.wait_for(lambda: bool(fetched()), timeout=PAUSE_SECONDS + 30, interval=2.0)
    (question,) = fetched()
    assert WHEN in question
    time.sleep(PAUSE_SECONDS + 1)
    assert len(fetched()) == 1  # one pause, one question
    assert "I understood" in say("yesterday")  # the next message answers that question
    transcript = [m["text"] for m in client.get("/chat/api/transcript", headers=auth).json["messages"]]
    assert question in transcript
