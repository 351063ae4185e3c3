"""Whole conversations by text and by phone: signed Twilio webhooks, the real Rasa, the queue.

Twilio's REST API and media host are the local stand-in of tests/twilio_fake.py.
"""

from __future__ import annotations

import datetime as _dt
import re
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from app import create_app
from intake import jobs
from intake.cases import tracking
from intake.db import utcnow
from intake.enums import JobState, MessageState
from intake.models import Case, Contact, Job, Message
from intake.translation import cases as case_translation
from intake.translation.cases import CaseTranslator
from tests.bot.conftest import make_twilio_app
from tests.twilio_fake import ACCOUNT_SID, AUTH_TOKEN, HEARD_NUMBER, PUBLIC_BASE_URL, post_signed, sms_form

pytestmark = pytest.mark.slow

TRACKING = re.compile(r"\b(\d{3}-\d{3}-\d{4})\b")


@pytest.fixture
def twilio_app(bot_stack, keyring, fake_twilio, tmp_path):  # type: ignore[no-untyped-def]
    return make_twilio_app(bot_stack, keyring, fake_twilio, tmp_path)


def _bodies(data: bytes) -> list[str]:
    return [m.text or "" for m in ET.fromstring(data).iter("Message")]


class Texter:
    """One resident texting Heard from their phone."""

    def __init__(self, app: Any, phone: str) -> None:
        self.client = app.test_client()
        self.phone = phone

    def text(self, body: str) -> str:
        response = post_signed(self.client, "/twilio/sms", sms_form(body, sender=self.phone))
        assert response.status_code == 200, response.data
        return "\n".join(_bodies(response.data))


def _work(app: Any) -> None:
    db = app.extensions["heard.database"]
    with db.session() as s:
        s.execute(update(Job).where(Job.state == JobState.QUEUED).values(run_after=utcnow()))
        s.commit()
    sms = app.extensions["heard.sms"]
    translator = CaseTranslator(database=db, engine=app.extensions["heard.translation"])
    jobs.Worker(database=db, handlers={**sms.handlers(), **translator.handlers()}, chores=sms.chores()).run_once()


def _case(database: Any, number: str) -> Case:
    with database.session() as s:
        case = s.scalars(select(Case).where(Case.tracking_number == tracking.parse_tracking_number(number))).one()
        s.expunge(case)
        return case


@pytest.mark.parametrize(
    ("language", "phone", "lines", "yes"),
    [
        (
            "es",
            "+12095550201",
            [
                "quiero poner una queja contra un policía",
                "el oficial me empujó y me quitó el teléfono",
                "listo",
                "no sé",
                "calle Main y Weber",
                "no sé",
                "nadie",
                "nadie",
            ],
            "sí",
        ),
        (
            "vi",
            "+12095550202",
            [
                "tôi muốn khiếu nại cảnh sát",
                "anh ta xô tôi ngã xuống đất",
                "xong",
                "không biết",
                "đường Main",
                "không biết",
                "không ai",
                "không ai",
            ],
            "có",
        ),
        (
            "zh",
            "+12095550203",
            ["我想投诉一个警察", "警察推了我还骂我", "没有了", "不知道", "在Main街", "不知道", "没有", "没有"],
            "是",
        ),
    ],
)
def test_a_whole_complaint_by_text_message(twilio_app, bot_stack, keyring, language, phone, lines, yes):
    resident = Texter(twilio_app, phone)
    replies = [resident.text(line) for line in lines]
    assert all(replies), replies  # every message answered inline
    replies.append(resident.text(yes))  # stay anonymous
    receipt = resident.text(yes)  # the read-back is right
    number = TRACKING.search(receipt)
    assert number, receipt
    case = _case(bot_stack.database, number.group(1))
    assert case.channel.value == "sms" and case.language.value == language
    assert case.narrative == lines[1]
    with bot_stack.database.session() as s:
        inbound = s.scalars(
            select(Message).where(Message.conversation_id == case.conversation_id, Message.direction == "inbound")
        ).all()
        assert [m.body for m in inbound][: len(lines)] == lines
        assert all(m.state == MessageState.PROCESSED for m in inbound)
        assert {m.case_id for m in inbound} == {case.id}  # the whole transcript is on the case
    # The PIN reached the resident, but what staff can read has it masked.
    pin = re.search(r"(?<![\d-])(\d{6})(?![\d-])", receipt)
    assert pin, receipt
    with bot_stack.database.session() as s:
        stored = s.scalars(select(Message.body).where(Message.conversation_id == case.conversation_id)).all()
        answers = s.scalars(select(Message.answer).where(Message.conversation_id == case.conversation_id)).all()
        assert not any(pin.group(1) in body for body in stored)
        assert any("••••••" in body for body in stored)
        assert not any(answer and pin.group(1) in answer for answer in answers)
    # The worker translates what the resident wrote (Spanish: the fixture package), or flags the case.
    from intake.translation.engine import install_package

    fixtures = Path(__file__).resolve().parents[1] / "fixtures" / "argos"
    install_package(twilio_app.extensions["heard.translation"].settings, fixtures / "translate-es_en-tiny.argosmodel")
    _work(twilio_app)
    with bot_stack.database.session() as s:
        translated = s.get(Case, case.id)
        made = case_translation.translations_of(s, case_id=case.id)
        if language == "es":
            assert translated.translation_status == "done" and translated.needs_interpreter is False
            assert {t.field for t in made} >= {"narrative"} and all(t.engine == "argos" for t in made)
        else:
            assert translated.translation_status == "needs_interpreter" and translated.needs_interpreter is True
            assert made == []
    # The tracker store never saw the phone number.
    tracker = (bot_stack.logs.parent / "rasa-tracker.db").read_bytes()
    assert phone.encode() not in tracker and phone[2:].encode() not in tracker


def test_a_complaint_with_contact_uses_the_number_they_text_from(twilio_app, bot_stack, keyring):
    resident = Texter(twilio_app, "+12095550204")
    for line in [
        "I want to file a complaint about a cop",
        "he pushed me",
        "done",
        "idk",
        "Main St",
        "idk",
        "no one",
        "no one",
        "no",
    ]:
        assert resident.text(line)
    assert resident.text("Ana Reyes")
    assert "ending in 0204" in resident.text("1")  # by text: offers the number they write from
    assert resident.text("yes")
    summary = resident.text("anytime")
    assert "…0204" in summary and "+12095550204" not in summary and "sealed:" not in summary
    receipt = resident.text("yes")
    case = _case(bot_stack.database, TRACKING.search(receipt).group(1))
    with bot_stack.database.session() as s:
        assert keyring.decrypt(s.get(Contact, case.id).phone_token) == "+12095550204"


def test_rasa_stopped_mid_conversation_loses_nothing(twilio_app, bot_stack, fake_twilio):
    resident = Texter(twilio_app, "+12095550205")
    first = resident.text("I want to report a police officer")
    assert first
    bot_stack.stop_rasa()
    try:
        holding = resident.text("he took my phone and would not give it back")
        assert "shortly" in holding
        with bot_stack.database.session() as s:
            waiting = s.scalars(select(Message).where(Message.body.like("he took my phone%"))).one()
            assert waiting.state == MessageState.RECEIVED and waiting.reply_via == "rest"
    finally:
        bot_stack.start_rasa()
    _work(twilio_app)

    def answered() -> bool:
        # NOTE: the reply may still be on its way in the channel's sending thread after Twilio saw it.
        with bot_stack.database.session() as s:
            waiting = s.scalars(select(Message).where(Message.body.like("he took my phone%"))).one()
            replies = s.scalars(select(Message).where(Message.reply_to_id == waiting.id)).all()
            done = bool(replies) and all(r.state == MessageState.SENT for r in replies)
        if not done:
            _work(twilio_app)
        return done

    assert jobs.wait_for(answered, timeout=30, interval=0.5)
    sent = fake_twilio.sent()
    assert sent and sent[0]["To"] == "+12095550205" and sent[0]["From"] == HEARD_NUMBER
    with bot_stack.database.session() as s:
        waiting = s.scalars(select(Message).where(Message.body.like("he took my phone%"))).one()
        assert waiting.state == MessageState.PROCESSED
    # The conversation goes on where it was: the narrative step.
    assert resident.text("done")


def test_a_slow_turn_gets_a_holding_reply_and_the_answer_by_rest(bot_stack, keyring, fake_twilio, tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "HEARD_INSTANCE_DIR": str(tmp_path),
            "DATABASE": bot_stack.database,
            "KEYRING": keyring,
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_API_BASE_URL": fake_twilio.url,
            "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
            "RASA_URL": bot_stack.rasa_url,
            "HEARD_INLINE_REPLY_SECONDS": "0.01",  # any real turn is slower than this
            "HEARD_SMS_RATE_PER_SECOND": "1000",
        }
    )
    holding = Texter(app, "+12095550206").text("hello")
    assert "shortly" in holding
    deadline = time.monotonic() + 30
    while not fake_twilio.sent() and time.monotonic() < deadline:
        time.sleep(0.2)  # the web process finishes the turn in the background
    (sent,) = fake_twilio.sent()[:1]
    assert "Heard" in sent["Body"]


# -- voice -------------------------------------------------------------------------------


class Caller:
    """One phone call, each step posted as Twilio posts it, following the TwiML's action URLs."""

    def __init__(self, app: Any, phone: str) -> None:
        self.client = app.test_client()
        self.sid = "CA" + f"{time.time_ns():032x}"[-32:]
        self.phone = phone
        self.action = "/twilio/voice"
        self.heard: list[str] = []  # everything the caller heard, in order

    def form(self, **extra: str) -> dict[str, str]:
        return {
            "AccountSid": ACCOUNT_SID,
            "ApiVersion": "2010-04-01",
            "CallSid": self.sid,
            "CallStatus": "in-progress",
            "Called": HEARD_NUMBER,
            "Caller": self.phone,
            "Direction": "inbound",
            "From": self.phone,
            "FromCity": "STOCKTON",
            "FromCountry": "US",
            "FromState": "CA",
            "To": HEARD_NUMBER,
            "ToCountry": "US",
            "ToState": "CA",
            **extra,
        }

    def post(self, **extra: str) -> ET.Element:
        response = post_signed(self.client, self.action, self.form(**extra))
        assert response.status_code == 200, response.data
        root = ET.fromstring(response.data)
        self.heard.append(self.said(root))
        assert root.find(".//Hangup") is None or root.find(".//Gather") is None
        gather = root.find(".//Gather")
        if gather is not None:
            assert int(gather.get("timeout")) >= 15
            assert gather.get("actionOnEmptyResult") == "true"
            assert gather.get("speechTimeout") in (None,) or gather.get("speechTimeout").isdigit()
            self.action = gather.get("action")
        return root

    def said(self, root: ET.Element) -> str:
        return " ".join("".join(e.itertext()) for e in root.iter("Say"))

    def say(self, speech: str) -> ET.Element:
        heard = self.post(SpeechResult=speech, Confidence="0.92")
        assert speech in self.said(heard)  # read back before it counts
        return self.post(Digits="1")


def test_a_voice_call_through_the_menu_files_a_case(twilio_app, bot_stack):
    caller = Caller(twilio_app, "+12095550207")
    menu = caller.post()
    assert "Para español, oprima 2" in caller.said(menu)
    assert caller.post().find(".//Gather") is not None  # silence: the menu again, no hang-up
    greeting = caller.post(Digits="1")
    assert greeting.find(".//Start/Recording") is not None, ET.tostring(greeting)
    assert "recorded" in caller.said(greeting)
    gather = greeting.find(".//Gather")
    assert gather.get("language") == "en-US" and "speech" in gather.get("input")
    caller.say("I want to file a complaint")
    repeat = caller.post(Digits="*")
    assert caller.said(repeat)  # star repeats the question
    caller.say("the officer shoved me against the wall")
    for answer in ["done", "I don't know", "Main Street", "I don't know", "no one", "no one"]:
        caller.say(answer)
    caller.say("yes")  # anonymous
    filed = caller.say("yes")  # the read-back is right
    spoken = caller.said(filed)
    digits = re.search(r"(\d \d \d, \d \d \d, \d \d \d \d)", spoken)
    assert digits, spoken
    assert spoken.count(digits.group(1)) >= 2  # read out twice, digit by digit
    number = digits.group(1).replace(" ", "").replace(",", "-")
    assert spoken.count("Your PIN is") == 1 and not re.search(r"\b\d{6}\b", spoken)  # the PIN digit by digit
    pin = re.search(r"Your PIN is (\d \d \d, \d \d \d)\.", spoken)
    assert pin and spoken.count(pin.group(1)) == 3, spoken  # in the confirmation, then twice more
    texting = re.compile(r"\b(reply|text (us|status)|write|writing|type|messages)\b", re.IGNORECASE)
    assert not [said for said in caller.heard if texting.search(said)]  # said or pressed, never texted
    case = _case(bot_stack.database, number)
    assert case.channel.value == "voice" and case.narrative == "the officer shoved me against the wall"
    done = caller.post(Digits="1")  # send it by text, too
    assert done.find(".//Hangup") is not None
    with bot_stack.database.session() as s:
        queued = s.scalars(
            select(Message).where(Message.body.like(f"%{number}%"), Message.direction == "outbound")
        ).all()
        assert queued and queued[-1].state == MessageState.QUEUED


def test_a_caller_in_a_language_twilio_cannot_speak_records_the_report_for_an_interpreter(
    twilio_app, bot_stack, fake_twilio
):
    caller = Caller(twilio_app, "+12095550208")
    caller.post()
    prompt = caller.post(Digits="7")  # Hmong
    assert prompt.find(".//Record") is not None and "Hmong" in caller.said(prompt)
    recording = fake_twilio.add_media("RE" + "7" * 32, b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(64), "audio/x-wav")
    record_action = prompt.find(".//Record").get("action")
    caller.action = record_action
    response = post_signed(
        caller.client,
        record_action,
        caller.form(RecordingUrl=recording, RecordingDuration="95", RecordingSid="RE" + "7" * 32, Digits="#"),
    )
    assert response.status_code == 200
    spoken = " ".join("".join(e.itertext()) for e in ET.fromstring(response.data).iter("Say"))
    number = re.search(r"(\d \d \d, \d \d \d, \d \d \d \d)", spoken).group(1).replace(" ", "").replace(",", "-")
    case = _case(bot_stack.database, number)
    assert case.needs_interpreter is True and case.language.value == "hmn" and case.channel.value == "voice"
    _work(twilio_app)
    with bot_stack.database.session() as s:
        from intake.models import Attachment

        kept = s.scalars(select(Attachment).where(Attachment.case_id == case.id)).all()
        assert [a.content_type for a in kept] == ["audio/wav"]


def test_a_resident_switches_language_by_text_and_heard_remembers_it(twilio_app, bot_stack):
    from intake.models import Correspondent

    resident = Texter(twilio_app, "+12095550209")
    resident.text("I want to file a complaint about a police officer who pushed me")
    menu = resident.text("LANGUAGE")
    assert "Español" in menu and "ភាសាខ្មែរ" in menu
    switched = resident.text("2")
    assert "español" in switched.lower()
    with bot_stack.database.session() as s:
        language = s.scalars(select(Correspondent.language).where(Correspondent.service_number.is_not(None))).all()
    assert "es" in [str(code) for code in language]
    assert "policía" in resident.text("HELP")  # an English keyword, answered in the language they chose


def test_pressing_zero_on_a_call_asks_a_person_to_call_back(twilio_app, bot_stack):
    caller = Caller(twilio_app, "+12095550210")
    caller.post()
    caller.post(Digits="2")  # Spanish
    answer = caller.post(Digits="0")
    assert "llam" in caller.said(answer).lower()  # "le llamará": a person will call back
    with bot_stack.database.session() as s:
        callback = s.scalars(select(Case).where(Case.category == "callback_request").order_by(Case.id.desc())).first()
        assert callback is not None and callback.channel.value == "voice" and callback.language.value == "es"


def test_a_whole_complaint_on_whatsapp_then_staff_replies_inside_and_outside_the_24_hour_window(
    bot_stack, keyring, fake_twilio, tmp_path
):
    from intake.conversations import messaging as _messaging
    from intake.enums import Channel, Direction
    from intake.models import Correspondent, StaffUser
    from intake.triage import actions as triage_actions
    from tests.factories import make_staff
    from tests.twilio_fake import HEARD_WHATSAPP, whatsapp_form
    from webhooks.i18n import t
    from webhooks.twilio.texts import WHATSAPP_NEW_MESSAGE

    template = "HX" + "a1" * 16
    app = make_twilio_app(bot_stack, keyring, fake_twilio, tmp_path, HEARD_WHATSAPP_TEMPLATE_ES=template)
    client = app.test_client()
    address = "whatsapp:+12095550231"

    def write(body: str) -> str:
        response = post_signed(client, "/twilio/sms", whatsapp_form(body, sender=address))
        assert response.status_code == 200, response.data
        return "\n".join(_bodies(response.data))

    lines = [
        "quiero poner una queja contra un policía",
        "el oficial me empujó en la parada del autobús",
        "listo",
        "no sé",
        "calle Main y Weber",
        "no sé",
        "nadie",
        "nadie",
    ]
    assert all(write(line) for line in lines)
    write("sí")  # stay anonymous
    receipt = write("sí")  # the read-back is right
    number = TRACKING.search(receipt)
    assert number, receipt
    case = _case(bot_stack.database, number.group(1))
    assert case.channel is Channel.WHATSAPP and case.language.value == "es" and case.narrative == lines[1]
    with bot_stack.database.session() as s:
        resident = s.scalars(select(Correspondent).where(Correspondent.channel == Channel.WHATSAPP)).one()
        assert resident.service_number == HEARD_WHATSAPP
        staff = make_staff(s, email="whatsapp-intake@example.org")
        s.commit()
        staff_id = staff.id
    tracker = (bot_stack.logs.parent / "rasa-tracker.db").read_bytes()
    assert b"+12095550231" not in tracker and b"2095550231" not in tracker

    def reply(text: str) -> int:
        with bot_stack.database.session() as s:
            viewer = s.get(StaffUser, staff_id)
            (sent,) = triage_actions.reply(s, viewer=viewer, case_id=case.id, text=text)
            s.commit()
            assert sent.channel is Channel.WHATSAPP
            return sent.id

    before = len(fake_twilio.sent())
    reply("We received your report.")  # inside the window: free-form, from the WhatsApp sender
    _work(app)
    (inside,) = fake_twilio.sent()[before:]
    assert inside["Body"] == "We received your report." and inside["To"] == address
    assert inside["From"] == HEARD_WHATSAPP and "ContentSid" not in inside
    with bot_stack.database.session() as s:
        s.execute(
            update(Message)
            .where(Message.correspondent_id == resident.id, Message.direction == Direction.INBOUND)
            .values(created_at=utcnow() - _dt.timedelta(hours=30))
        )
        s.commit()
    held = reply("Your case is assigned to an investigator.")
    _work(app)
    _work(app)
    (notice,) = fake_twilio.sent()[before + 1 :]
    assert notice["ContentSid"] == template and t("es", WHATSAPP_NEW_MESSAGE) in notice["ContentVariables"]
    with bot_stack.database.session() as s:
        assert s.get(Message, held).state is MessageState.HELD
    assert write("hola")  # the resident answers the template: the dialogue answers, and the held text goes
    _work(app)
    assert "Your case is assigned to an investigator." in [m.get("Body") for m in fake_twilio.sent()[before + 2 :]]
    with bot_stack.database.session() as s:
        assert s.get(Message, held).state is MessageState.SENT
        assert _messaging.latest_case_of_conversation(s, conversation_id=resident.conversation_id).id == case.id
