"""The SMS webhook with requests built and signed exactly as Twilio sends them.

These tests need no dialogue: keywords, consent, signatures, redelivery, media and
the database or dialogue being down. Whole conversations through the real Rasa are
in tests/bot/test_sms_conversations.py.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from app import create_app
from intake import jobs
from intake.conversations import keywords, messaging, segments
from intake.db import Database, utcnow
from intake.enums import Direction, JobState, MessageState
from intake.models import Attachment, ConsentChange, Correspondent, Job, Message
from tests.s3 import s3_endpoint, storage_env, storage_for  # noqa: F401 - fixtures used by name
from tests.twilio_fake import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    HEARD_NUMBER,
    PUBLIC_BASE_URL,
    FakeTwilio,
    post_signed,
    sign,
    sms_form,
)
from webhooks.i18n import t
from webhooks.rasa_client import DialogueAnswer
from webhooks.twilio.texts import CONFIRM_STOP, NO_ANSWER, STOPPED

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 8
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(200)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    fake = FakeTwilio().start()
    yield fake
    fake.stop()


def _settings(fake: FakeTwilio, tmp_path: Path, **extra: Any) -> dict[str, Any]:
    return {
        "TESTING": True,
        "HEARD_INSTANCE_DIR": str(tmp_path),
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_API_BASE_URL": fake.url,
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        # No dialogue here: a closed port, so any turn that needs Rasa waits for it.
        "RASA_URL": f"http://127.0.0.1:{_closed_port()}",
        "HEARD_INLINE_REPLY_SECONDS": "3",
        "HEARD_SMS_RATE_PER_SECOND": "1000",
        **extra,
    }


@pytest.fixture
def db(fresh_database_url: str) -> Iterator[Database]:
    database = Database(fresh_database_url)
    yield database
    database.dispose()


@pytest.fixture
def sms_app(db: Database, keyring, fake_twilio: FakeTwilio, tmp_path: Path):  # type: ignore[no-untyped-def]
    return create_app({**_settings(fake_twilio, tmp_path), "DATABASE": db, "KEYRING": keyring})


def _count(db: Database, model: Any) -> int:
    with db.session() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def _all(db: Database, model: Any) -> list[Any]:
    with db.session() as s:
        rows = list(s.scalars(select(model).order_by(model.id)))
        s.expunge_all()
        return rows


def _work(app: Any) -> int:
    """Run the worker once, with every waiting job made ready now (no back-off in tests)."""
    db = app.extensions["heard.database"]
    with db.session() as s:
        s.execute(update(Job).where(Job.state == JobState.QUEUED).values(run_after=utcnow()))
        s.commit()
    sms = app.extensions["heard.sms"]
    return jobs.Worker(database=db, handlers=sms.handlers(), chores=sms.chores()).run_once()


def _bodies(twiml: bytes) -> list[str]:
    import xml.etree.ElementTree as ET

    root = ET.fromstring(twiml)
    return [m.text or "" for m in root.iter("Message")]


# -- signatures ------------------------------------------------------------------------------


def test_a_forged_or_unsigned_request_is_refused_and_leaves_no_trace(sms_app, db, caplog):
    client = sms_app.test_client()
    form = sms_form("I want to report an officer")
    unsigned = client.post("/twilio/sms", data=form)
    wrong_token = post_signed(client, "/twilio/sms", form, token="not-the-token")
    tampered = client.post(
        "/twilio/sms",
        data={**form, "Body": "something else"},
        headers={"X-Twilio-Signature": sign(PUBLIC_BASE_URL + "/twilio/sms", form)},
    )
    other_url = client.post(
        "/twilio/sms", data=form, headers={"X-Twilio-Signature": sign("https://evil.example/twilio/sms", form)}
    )
    assert [r.status_code for r in (unsigned, wrong_token, tampered, other_url)] == [403, 403, 403, 403]
    assert _count(db, Message) == 0 and _count(db, Correspondent) == 0 and _count(db, Job) == 0
    assert "refused" in caplog.text
    assert "+12095550142" not in caplog.text and "report an officer" not in caplog.text


def test_the_signature_covers_the_raw_query_string_and_percent_encoding(sms_app, db):
    client = sms_app.test_client()
    path = "/twilio/sms?city=Stockton&note=a%20b%2Fc&empty="
    form = sms_form("HELP")
    ok = client.post(path, data=form, headers={"X-Twilio-Signature": sign(PUBLIC_BASE_URL + path, form)})
    assert ok.status_code == 200
    decoded = client.post(
        path,
        data=form,
        headers={"X-Twilio-Signature": sign(PUBLIC_BASE_URL + "/twilio/sms?city=Stockton&note=a b/c&empty=", form)},
    )
    assert decoded.status_code == 403


def test_behind_a_proxy_the_forwarded_scheme_and_host_are_the_public_url(db, keyring, fake_twilio, tmp_path):
    settings = _settings(fake_twilio, tmp_path, HEARD_TRUSTED_PROXIES="1")
    settings.pop("PUBLIC_BASE_URL")
    app = create_app({**settings, "DATABASE": db, "KEYRING": keyring})
    form = sms_form("HELP")
    headers = {
        "X-Twilio-Signature": sign("https://intake.city.example/twilio/sms", form),
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "intake.city.example",
    }
    assert app.test_client().post("/twilio/sms", data=form, headers=headers).status_code == 200


def test_a_json_body_is_verified_by_its_sha256(sms_app, db):
    import json

    body = json.dumps({"MessageSid": "SMx", "MessageStatus": "delivered"})
    digest = hashlib.sha256(body.encode()).hexdigest()
    path = f"/twilio/status?bodySHA256={digest}"
    client = sms_app.test_client()
    good = client.post(
        path,
        data=body,
        content_type="application/json",
        headers={"X-Twilio-Signature": sign(PUBLIC_BASE_URL + path, {})},
    )
    forged = client.post(
        path,
        data=body.replace("delivered", "failed"),
        content_type="application/json",
        headers={"X-Twilio-Signature": sign(PUBLIC_BASE_URL + path, {})},
    )
    assert good.status_code == 204
    assert forged.status_code == 403


# -- keywords and consent ----------------------------------------------------------------------


def test_help_is_answered_in_the_residents_language(sms_app, db):
    client = sms_app.test_client()
    english = post_signed(client, "/twilio/sms", sms_form("help"))
    spanish = post_signed(client, "/twilio/sms", sms_form("AYUDA", sender="+12095550143"))
    chinese = post_signed(client, "/twilio/sms", sms_form("帮助", sender="+12095550144"))
    assert english.status_code == 200 and english.mimetype == "application/xml"
    # NOTE: HELP is longer than four segments in some languages; it then goes as two texts, in order.
    en, es, zh = (" ".join(_bodies(r.data)) for r in (english, spanish, chinese))
    assert len(_bodies(spanish.data)) == 2 and _bodies(spanish.data)[0].endswith(".")
    assert "911" in en and "STOP" in en and "police" in en
    assert "911" in es and es != en and "policía" in es
    assert "911" in zh and any("\u4e00" <= c <= "\u9fff" for c in zh)
    replies = [m for m in _all(db, Message) if m.direction.value == "outbound"]
    assert [m.state for m in replies] == [MessageState.INLINE] * 4
    assert all(m.segments <= segments.MAX_SEGMENTS for m in replies)


@pytest.mark.parametrize("stamp", ["t={:.3f}", "{:.0f}000"])  # nginx's t=seconds.millis, Heroku's milliseconds
def test_a_text_that_waited_in_a_queue_past_the_inline_window_is_answered_by_rest_not_inline(
    sms_app, db, fake_twilio, stamp
):
    # The front proxy took the request 10 s ago; it then waited for a free web worker. The window is 3 s.
    arrived = time.time() - 10
    form = sms_form("help")
    response = sms_app.test_client().post(
        "/twilio/sms",
        data=form,
        headers={
            "X-Twilio-Signature": sign(PUBLIC_BASE_URL + "/twilio/sms", form, AUTH_TOKEN),
            "X-Request-Start": stamp.format(arrived),
        },
    )
    assert response.status_code == 200
    assert not any("911" in body for body in _bodies(response.data))  # Twilio has hung up: nothing rides on it
    with db.session() as s:
        assert s.scalars(select(Message).where(Message.direction == Direction.INBOUND)).one().reply_via == "rest"

    def all_sent() -> bool:
        _work(sms_app)  # the turn and the sends run on in the background, or here
        replies = [m for m in _all(db, Message) if m.direction == Direction.OUTBOUND]
        return bool(replies) and all(m.state == MessageState.SENT for m in replies)

    assert jobs.wait_for(all_sent, timeout=15, interval=0.2)
    sent = " ".join(m["Body"] for m in fake_twilio.sent())
    assert "911" in sent and "STOP" in sent


def test_a_request_that_waited_inside_the_server_counts_from_its_arrival(sms_app, db, fake_twilio):
    # No proxy stamp: the clock is the WSGI entry; a request stamped 10 s ago stands in for one queued that long.
    form = sms_form("help", sender="+12095550147")
    response = sms_app.test_client().post(
        "/twilio/sms",
        data=form,
        headers={"X-Twilio-Signature": sign(PUBLIC_BASE_URL + "/twilio/sms", form, AUTH_TOKEN)},
        environ_overrides={"heard.request_started": time.time() - 10},
    )
    assert not any("911" in body for body in _bodies(response.data))
    with db.session() as s:
        assert s.scalars(select(Message).where(Message.direction == Direction.INBOUND)).one().reply_via == "rest"


def test_a_help_text_that_arrives_now_is_still_answered_inline(sms_app, db):
    form = sms_form("help", sender="+12095550148")
    response = sms_app.test_client().post(
        "/twilio/sms",
        data=form,
        headers={
            "X-Twilio-Signature": sign(PUBLIC_BASE_URL + "/twilio/sms", form, AUTH_TOKEN),
            "X-Request-Start": f"t={time.time() + 30:.3f}",  # a proxy clock ahead of ours is ignored
        },
    )
    assert any("911" in body for body in _bodies(response.data))


def test_help_is_answered_in_the_chinese_script_the_resident_writes(sms_app, db, fake_twilio):
    client = sms_app.test_client()
    (simplified,) = _bodies(post_signed(client, "/twilio/sms", sms_form("帮助", sender="+12095550145")).data)
    (traditional,) = _bodies(post_signed(client, "/twilio/sms", sms_form("幫助", sender="+12095550146")).data)
    assert "独立" in simplified and "獨立" not in simplified
    assert "獨立" in traditional and "独立" not in traditional and "911" in traditional


def test_stop_is_recorded_and_nothing_is_ever_sent_after_it(sms_app, db, fake_twilio):
    client = sms_app.test_client()
    stop = post_signed(client, "/twilio/sms", sms_form("Stop"))
    assert _bodies(stop.data) == []  # Twilio confirms its own English keywords
    later = post_signed(client, "/twilio/sms", sms_form("I still want to tell you what happened"))
    assert later.status_code == 200 and _bodies(later.data) == []
    # A message Heard starts (a staff reply) is not sent either.
    with db.session() as s:
        resident = s.scalars(select(Correspondent)).one()
        messaging.queue_outbound(s, correspondent=resident, texts=["Your case was updated."], language="en")
        s.commit()
    _work(sms_app)
    assert fake_twilio.sent() == []
    with db.session() as s:
        resident = s.scalars(select(Correspondent)).one()
        assert resident.opted_out is True
        (consent,) = s.scalars(select(ConsentChange)).all()
        assert consent.opted_out is True and consent.keyword == "STOP"
        kept = s.scalars(select(Message).where(Message.body == "I still want to tell you what happened")).one()
        assert kept.state == MessageState.PROCESSED and kept.meta["received_while_opted_out"] is True
        outbound = s.scalars(select(Message).where(Message.direction == "outbound")).all()
        assert [m.state for m in outbound] == [MessageState.SUPPRESSED]


def test_a_localized_stop_is_confirmed_in_that_language_and_start_opts_back_in(sms_app, db):
    client = sms_app.test_client()
    (confirmation,) = _bodies(post_signed(client, "/twilio/sms", sms_form("alto")).data)
    assert "START" in confirmation and "Heard" in confirmation and "mensajes" in confirmation
    (welcome,) = _bodies(post_signed(client, "/twilio/sms", sms_form("START")).data)
    assert "HELP" in welcome
    with db.session() as s:
        assert s.scalars(select(Correspondent)).one().opted_out is False
        assert [c.opted_out for c in s.scalars(select(ConsentChange).order_by(ConsentChange.id))] == [True, False]


def test_a_keyword_inside_a_sentence_is_not_an_opt_out():
    assert keywords.classify_keyword("cancel my complaint") is None
    assert keywords.classify_keyword("please stop the officer") is None
    assert keywords.classify_keyword(" STOP! ").action == "stop"
    assert keywords.classify_keyword("Ngừng").action == "stop"
    assert keywords.classify_keyword("Dừng") is None  # the name Dũng, and "đúng" (yes)
    assert keywords.classify_keyword("退订").action == "stop"
    assert keywords.classify_keyword("ਮਦਦ").action == "help"
    assert keywords.classify_keyword("ສ່ວຍ") is None


class NameDialogue:
    """A dialogue that asks for the resident's name, then their email, both answered in their own words."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def send(self, *, sender: str, text: str, metadata: dict[str, Any]) -> DialogueAnswer:
        self.calls.append({"sender": sender, "text": text, "metadata": metadata})
        question = "Quý vị tên gì?" if len(self.calls) == 1 else "Email của quý vị là gì?"
        return DialogueAnswer(texts=(question,), custom=({"awaiting": "free_text"},), awaiting="free_text")


def _opted_out(db: Database) -> bool:
    with db.session() as s:
        return bool(s.scalars(select(Correspondent)).one().opted_out)


def test_a_vietnamese_resident_named_dung_can_give_their_name(sms_app, db):
    dialogue = NameDialogue()
    sms_app.extensions["heard.sms"].rasa = dialogue
    client = sms_app.test_client()
    post_signed(client, "/twilio/sms", sms_form("Tôi muốn khiếu nại một cảnh sát"))
    answer = _bodies(post_signed(client, "/twilio/sms", sms_form("Dũng")).data)
    assert [c["text"] for c in dialogue.calls] == ["Tôi muốn khiếu nại một cảnh sát", "Dũng"]
    assert answer == ["Email của quý vị là gì?"] and not _opted_out(db)
    assert _count(db, ConsentChange) == 0


def test_a_localized_opt_out_word_mid_question_is_confirmed_before_it_opts_out(sms_app, db):
    dialogue = NameDialogue()
    sms_app.extensions["heard.sms"].rasa = dialogue
    client = sms_app.test_client()
    post_signed(client, "/twilio/sms", sms_form("Tôi muốn khiếu nại một cảnh sát"))
    said = _bodies(post_signed(client, "/twilio/sms", sms_form("Ngừng")).data)
    # The dialogue took it as the answer, and the resident is asked, in a text of its own.
    assert said == ["Email của quý vị là gì?", t("vi", CONFIRM_STOP)] and "STOP" in said[1]
    assert not _opted_out(db)
    (stopped,) = _bodies(post_signed(client, "/twilio/sms", sms_form("ngừng")).data)
    assert stopped == t("vi", STOPPED) and _opted_out(db)  # said again: they meant it
    assert len(dialogue.calls) == 2


# -- redelivery -------------------------------------------------------------------------------


def test_a_redelivered_message_gets_the_same_answer_and_creates_nothing(sms_app, db):
    client = sms_app.test_client()
    form = sms_form("HELP")
    first = post_signed(client, "/twilio/sms", form)
    again = post_signed(client, "/twilio/sms", form)
    assert first.data == again.data and _bodies(first.data)
    assert _count(db, Message) == 2  # the message and its one reply
    assert _count(db, Job) == 1


def test_twenty_copies_at_once_are_one_message_with_one_answer(sms_app, db):
    form = sms_form("AYUDA")
    barrier = threading.Barrier(20)
    answers: list[bytes] = []
    lock = threading.Lock()

    def deliver() -> None:
        client = sms_app.test_client()
        barrier.wait()
        response = post_signed(client, "/twilio/sms", form)
        with lock:
            answers.append(response.data if response.status_code == 200 else b"status %d" % response.status_code)

    threads = [threading.Thread(target=deliver) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == 20 and len(set(answers)) == 1, set(answers)
    assert _bodies(answers[0]) and "911" in " ".join(_bodies(answers[0]))
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Message).where(Message.direction == "inbound")) == 1
        outbound = s.scalar(select(func.count()).select_from(Message).where(Message.direction == "outbound"))
        assert outbound == len(_bodies(answers[0]))  # one answer (HELP in Spanish is two texts)
        assert s.scalar(select(func.count()).select_from(Correspondent)) == 1
        assert s.scalar(select(func.count()).select_from(Job)) == 1


# -- components down ------------------------------------------------------------------------------


def test_when_the_dialogue_is_down_the_resident_hears_so_and_the_message_waits(sms_app, db):
    client = sms_app.test_client()
    response = post_signed(client, "/twilio/sms", sms_form("Quiero reportar a un policía que me empujó ayer"))
    (holding,) = _bodies(response.data)
    assert "mensaje" in holding  # in Spanish, honest: it will take longer
    with db.session() as s:
        message = s.scalars(select(Message)).one()
        assert message.state == MessageState.RECEIVED and message.reply_via == "rest"
        job = s.scalars(select(Job).where(Job.kind == "sms.turn")).one()
        assert job.state == JobState.QUEUED and "Rasa unreachable" in job.last_error and job.attempts == 1
    _work(sms_app)  # the dialogue is still down: the message still waits, one more attempt counted
    with db.session() as s:
        assert s.scalars(select(Message)).one().state == MessageState.RECEIVED
        assert s.scalars(select(Job)).one().attempts == 2


def test_when_the_database_is_down_the_message_is_spooled_and_stored_when_it_returns(
    db,
    keyring,
    fake_twilio,
    tmp_path,
    caplog,
    storage_env,  # noqa: F811
):
    storage = storage_for(storage_env, tmp_path)
    broken = create_app(
        {
            **_settings(fake_twilio, tmp_path, **storage_env),
            "DATABASE_URL": f"sqlite:///{tmp_path}/missing/dir/heard.db",
            "KEYRING": keyring,
        }
    )
    form = sms_form("The officer took my phone and did not give it back")
    with caplog.at_level(logging.ERROR):
        response = post_signed(broken.test_client(), "/twilio/sms", form)
    assert response.status_code == 200
    (holding,) = _bodies(response.data)
    assert "shortly" in holding
    spooled = [stored.key for stored in storage.list("spool/sms/")]
    assert len(spooled) == 1 and spooled[0].endswith(".msg")
    assert b"officer" not in storage.open(spooled[0]) and b"2095550142" not in storage.open(spooled[0])
    # The database returns: the worker stores the message, and its turn waits for the dialogue.
    healthy = create_app({**_settings(fake_twilio, tmp_path, **storage_env), "DATABASE": db, "KEYRING": keyring})
    _work(healthy)
    assert list(storage.list("spool/sms/")) == []
    with db.session() as s:
        message = s.scalars(select(Message)).one()
        assert message.body == form["Body"] and message.provider_id == form["MessageSid"]
        assert message.reply_via == "rest"
        assert messaging.open_answer(keyring, message.answer) == response.data.decode()
        assert "shortly" not in message.answer  # kept encrypted: an answer may hold a PIN
    # Twilio, having no answer the first time, may deliver it again: nothing new.
    again = post_signed(healthy.test_client(), "/twilio/sms", form)
    assert again.data == response.data and _count(db, Message) == 1


def test_work_queued_while_the_worker_is_down_is_done_when_it_starts(sms_app, db, fake_twilio):
    client = sms_app.test_client()
    post_signed(client, "/twilio/sms", sms_form("HELP"))
    with db.session() as s:
        resident = s.scalars(select(Correspondent)).one()
        messaging.queue_outbound(
            s, correspondent=resident, texts=["Your case 482-193-7703 was assigned."], language="en"
        )
        s.commit()
    assert fake_twilio.sent() == []  # no worker yet
    assert _work(sms_app) >= 1
    (sent,) = fake_twilio.sent()
    assert sent["To"] == "+12095550142" and sent["From"] == HEARD_NUMBER
    assert sent["Body"] == "Your case 482-193-7703 was assigned."
    assert sent["StatusCallback"] == PUBLIC_BASE_URL + "/twilio/status"
    with db.session() as s:
        message = s.scalars(select(Message).where(Message.body.like("Your case%"))).one()
        assert message.state == MessageState.SENT and message.provider_id.startswith("SM")


# -- outbound -------------------------------------------------------------------------------


def _queue(db: Database, keyring, texts: list[str]) -> list[int]:  # type: ignore[no-untyped-def]
    with db.session() as s:
        resident = messaging.get_or_create_correspondent(
            s, keyring=keyring, phone="+12095550142", service_number=HEARD_NUMBER
        )
        s.flush()
        ids = [m.id for m in messaging.queue_outbound(s, correspondent=resident, texts=texts, language="en")]
        s.commit()
        return ids


def test_a_busy_or_failing_twilio_is_retried_and_a_refusal_is_not(sms_app, db, keyring, fake_twilio):
    fake_twilio.failures += [(429, {"code": 20429, "message": "Too many requests"}), (500, {"message": "oops"})]
    (first,) = _queue(db, keyring, ["first"])
    _work(sms_app)
    _work(sms_app)
    _work(sms_app)
    with db.session() as s:
        assert s.get(Message, first).state == MessageState.SENT
        assert s.scalars(select(Job).where(Job.kind == "sms.send")).one().attempts == 3
    fake_twilio.failures.append((400, {"code": 21211, "message": "The 'To' number is not a valid phone number."}))
    (second,) = _queue(db, keyring, ["second"])
    _work(sms_app)
    _work(sms_app)
    with db.session() as s:
        refused = s.get(Message, second)
        assert refused.state == MessageState.FAILED and refused.error_code == "21211"
    assert [m["Body"] for m in fake_twilio.sent()] == ["first", "first", "first", "second"]


def test_sending_keeps_to_the_senders_rate(db, keyring, fake_twilio, tmp_path):
    app = create_app(
        {**_settings(fake_twilio, tmp_path, HEARD_SMS_RATE_PER_SECOND="0.2"), "DATABASE": db, "KEYRING": keyring}
    )
    first, second = _queue(db, keyring, ["one", "two"])
    sms = app.extensions["heard.sms"]
    jobs.run_ready(db, sms.handlers())
    with db.session() as s:
        assert s.get(Message, first).state == MessageState.SENT
        assert s.get(Message, second).state == MessageState.QUEUED
        waiting = s.scalars(select(Job).where(Job.payload["message_id"].as_integer() == second)).one()
        wait = (waiting.run_after - utcnow()).total_seconds()
        assert 3.0 < wait <= 5.0 and waiting.attempts == 0  # pacing is not a failed attempt
    assert [m["Body"] for m in fake_twilio.sent()] == ["one"]


def test_delivery_reports_only_move_forward(sms_app, db, keyring, fake_twilio):
    (message_id,) = _queue(db, keyring, ["hello"])
    _work(sms_app)
    with db.session() as s:
        sid = s.get(Message, message_id).provider_id
    client = sms_app.test_client()
    for status in ("delivered", "sent", "queued"):
        form = {"MessageSid": sid, "MessageStatus": status, "AccountSid": ACCOUNT_SID, "To": "+12095550142"}
        assert post_signed(client, "/twilio/status", form).status_code == 204
    with db.session() as s:
        assert s.get(Message, message_id).delivery_status == "delivered"
    form = {"MessageSid": sid, "MessageStatus": "failed", "ErrorCode": "30003"}
    assert client.post("/twilio/status", data=form).status_code == 403  # unsigned


# -- MMS ----------------------------------------------------------------------------------


def test_an_mms_with_two_photos_is_kept_encrypted_with_its_receipt_then_deleted_at_twilio(
    db,
    keyring,
    fake_twilio,
    tmp_path,
    storage_env,  # noqa: F811
):
    sms_app = create_app({**_settings(fake_twilio, tmp_path, **storage_env), "DATABASE": db, "KEYRING": keyring})
    storage = storage_for(storage_env, tmp_path)
    sid = "MM" + "1" * 32
    first = fake_twilio.add_media(sid, JPEG, "image/jpeg")
    second = fake_twilio.add_media(sid, PNG, "image/png")
    form = sms_form("", sid=sid, media=[(first, "image/jpeg"), (second, "image/png")])
    response = post_signed(sms_app.test_client(), "/twilio/sms", form)
    (receipt,) = _bodies(response.data)
    assert "(2)" in receipt
    _work(sms_app)
    kept = _all(db, Attachment)
    assert [a.sha256 for a in kept] == [hashlib.sha256(JPEG).hexdigest(), hashlib.sha256(PNG).hexdigest()]
    assert [a.content_type for a in kept] == ["image/jpeg", "image/png"]
    assert [a.size_bytes for a in kept] == [len(JPEG), len(PNG)]
    assert kept[0].meta["media_path"] == first.removeprefix("https://api.twilio.com")
    stored = storage.open(kept[0].storage_key)
    assert JPEG[:64] not in stored  # encrypted at rest
    from intake import evidence

    assert evidence.load(storage, keyring, kept[0].storage_key) == JPEG
    _work(sms_app)
    assert sorted(fake_twilio.deleted()) == sorted(u.removeprefix("https://api.twilio.com") for u in (first, second))
    assert fake_twilio.media == {}
    # The case filed later in this conversation carries the photos.
    from intake.cases import filing as complaints

    with db.session() as s:
        conversation = s.scalars(select(Correspondent)).one().conversation_id
        submission = complaints.parse_submission(
            {"kind": "complaint", "channel": "sms", "language": "en", "narrative": "pushed", "anonymous": True}
        )
        case, _ = complaints.file_case(
            s, keyring=keyring, submission=submission, actor="bot", conversation_id=conversation
        )
        s.commit()
        assert [a.sha256 for a in case.attachments] == [a.sha256 for a in kept]


def test_each_mms_item_is_fetched_on_its_own_and_the_resident_is_told_which_one_failed(sms_app, db, fake_twilio):
    sid = "MM" + "3" * 32
    first = fake_twilio.add_media(sid, JPEG, "image/jpeg")
    gone = fake_twilio.add_media(sid, PNG, "image/png")
    third = fake_twilio.add_media(sid, PNG, "image/png")
    del fake_twilio.media[gone.removeprefix("https://api.twilio.com")]  # Twilio answers 404 for this one
    form = sms_form("", sid=sid, media=[(first, "image/jpeg"), (gone, "image/png"), (third, "image/png")])
    post_signed(sms_app.test_client(), "/twilio/sms", form)
    _work(sms_app)
    _work(sms_app)
    assert sorted((a.meta or {})["index"] for a in _all(db, Attachment)) == [0, 2]
    with db.session() as s:
        message = s.scalars(select(Message).where(Message.provider_id == sid)).one()
        assert [r["index"] for r in message.meta["media_rejected"]] == [1]
        media_job = s.scalars(select(Job).where(Job.kind == "sms.media")).one()
        assert media_job.state == JobState.DONE
    (notice,) = [m["Body"] for m in fake_twilio.sent() if "could not" in m["Body"]]
    assert "file 2 of the 3" in notice


def test_an_mms_item_that_keeps_failing_is_tried_again_without_fetching_the_others_twice(sms_app, db, fake_twilio):
    sid = "MM" + "4" * 32
    first = fake_twilio.add_media(sid, JPEG, "image/jpeg")
    second = fake_twilio.add_media(sid, PNG, "image/png")
    fake_twilio.flaky_media[first.removeprefix("https://api.twilio.com")] = 2  # Twilio errs twice on the first
    form = sms_form("", sid=sid, media=[(first, "image/jpeg"), (second, "image/png")])
    post_signed(sms_app.test_client(), "/twilio/sms", form)
    _work(sms_app)
    assert [(a.meta or {})["index"] for a in _all(db, Attachment)] == [1]  # the second did not wait for the first
    for _ in range(3):
        _work(sms_app)
    assert sorted((a.meta or {})["index"] for a in _all(db, Attachment)) == [0, 1]
    fetched = [r.path for r in fake_twilio.requests if r.method == "GET"]
    assert fetched.count(first.removeprefix("https://api.twilio.com")) == 3
    assert fetched.count(second.removeprefix("https://api.twilio.com")) == 1  # kept at once, never fetched again
    assert not [m for m in fake_twilio.sent() if "could not" in m["Body"]]  # it arrived in the end


def test_media_never_join_an_earlier_case_already_referred_and_the_resident_is_told(sms_app, db, keyring, fake_twilio):
    from intake.cases import filing as complaints
    from intake.enums import Status
    from intake.models import Case

    post_signed(sms_app.test_client(), "/twilio/sms", sms_form("HELP"))
    with db.session() as s:
        conversation = s.scalars(select(Correspondent)).one().conversation_id
        submission = complaints.parse_submission(
            {"kind": "complaint", "channel": "sms", "language": "en", "narrative": "pushed", "anonymous": True}
        )
        earlier, _ = complaints.file_case(
            s, keyring=keyring, submission=submission, actor="bot", conversation_id=conversation
        )
        earlier.status = Status.REFERRED
        s.commit()
        earlier_id = earlier.id
    sid = "MM" + "5" * 32
    photo = fake_twilio.add_media(sid, JPEG, "image/jpeg")
    post_signed(sms_app.test_client(), "/twilio/sms", sms_form("", sid=sid, media=[(photo, "image/jpeg")]))
    _work(sms_app)
    _work(sms_app)
    (kept,) = _all(db, Attachment)
    assert kept.case_id is None and kept.conversation_id == conversation and kept.meta["held"]
    held = [m["Body"] for m in fake_twilio.sent() if "earlier report" in m["Body"]]
    assert len(held) == 1
    # The resident's next report takes them; the referred case never does.
    with db.session() as s:
        later, _ = complaints.file_case(
            s, keyring=keyring, submission=submission, actor="bot", conversation_id=conversation
        )
        s.commit()
        assert [a.sha256 for a in later.attachments] == [kept.sha256]
        assert s.get(Case, earlier_id).attachments == []


def test_media_of_a_kind_heard_does_not_take_is_refused_with_a_reason(sms_app, db, fake_twilio):
    sid = "MM" + "2" * 32
    page = fake_twilio.add_media(sid, b"<html><script>alert(1)</script></html>", "text/html")
    post_signed(sms_app.test_client(), "/twilio/sms", sms_form("", sid=sid, media=[(page, "text/html")]))
    _work(sms_app)
    _work(sms_app)
    assert _count(db, Attachment) == 0
    with db.session() as s:
        message = s.scalars(select(Message).where(Message.provider_id == sid)).one()
        assert message.meta["media_rejected"][0]["reason"] == "type"
    notices = [m["Body"] for m in fake_twilio.sent()]
    assert len(notices) == 1 and "PDF" in notices[0]


def test_empty_binary_and_huge_bodies_are_kept_as_sent(sms_app, db):
    client = sms_app.test_client()
    weird = "😀 é 中文 \u202e\x00\x07 " + "ñ" * 5000
    response = post_signed(client, "/twilio/sms", sms_form(weird))
    assert response.status_code == 200
    missing = post_signed(client, "/twilio/sms", {"Body": "no sid"})
    assert missing.status_code == 400
    with db.session() as s:
        message = s.scalars(select(Message)).one()
        assert message.body == weird.replace("\x00", "").replace("\x07", "")


def test_a_machine_translated_reply_goes_out_with_a_note_in_the_residents_language(sms_app, db, keyring, fake_twilio):
    with db.session() as s:
        resident = messaging.get_or_create_correspondent(
            s, keyring=keyring, phone="+12095550142", service_number=HEARD_NUMBER
        )
        s.flush()
        (queued,) = messaging.queue_outbound(
            s,
            correspondent=resident,
            texts=["Se llevaron mi teléfono."],
            language="es",
            meta={"machine_translated": True, "source_text": "They took my phone."},
        )
        s.commit()
    _work(sms_app)
    (sent,) = fake_twilio.sent()
    assert sent["Body"].startswith("Se llevaron mi teléfono.\n\n(")
    assert "máquina" in sent["Body"]  # the note, in Spanish
    with db.session() as s:
        assert s.get(Message, queued.id).body == "Se llevaron mi teléfono."  # the record keeps what staff approved


class SilentDialogue:
    """A dialogue that takes every turn and says nothing (a failed action, say)."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def send(self, *, sender: str, text: str, metadata: dict[str, Any]) -> DialogueAnswer:
        self.calls.append({"sender": sender, "text": text, "metadata": metadata})
        return DialogueAnswer(texts=())


def test_a_turn_the_dialogue_answers_with_nothing_is_still_answered_honestly(sms_app, db, caplog):
    silent = SilentDialogue()
    sms_app.extensions["heard.sms"].rasa = silent
    client = sms_app.test_client()
    response = post_signed(client, "/twilio/sms", sms_form("Quiero reportar a un policía que me empujó ayer"))
    (said,) = _bodies(response.data)
    assert said == t("es", NO_ANSWER)
    assert "asistente" in said and "HELP" in said  # in Spanish
    with db.session() as s:
        message = s.scalars(select(Message).where(Message.direction == Direction.INBOUND)).one()
        assert message.state == MessageState.PROCESSED
    assert silent.calls[0]["metadata"]["heard_message_id"] == f"sms:{message.id}"
    assert "the dialogue said nothing" in caplog.text


def test_the_dialogue_hears_when_the_text_arrived_so_yesterday_means_the_residents_yesterday(sms_app, db):
    silent = SilentDialogue()
    sms_app.extensions["heard.sms"].rasa = silent
    post_signed(sms_app.test_client(), "/twilio/sms", sms_form("ayer como a las 4 de la tarde"))
    with db.session() as s:
        message = s.scalars(select(Message).where(Message.direction == Direction.INBOUND)).one()
        stored = message.created_at
    received = dt.datetime.fromisoformat(silent.calls[0]["metadata"]["received_at"])
    assert received.tzinfo is not None
    assert received == (stored if stored.tzinfo else stored.replace(tzinfo=dt.timezone.utc))


def test_a_call_turn_the_dialogue_answers_with_nothing_asks_again_rather_than_falling_silent(sms_app, db, caplog):
    import xml.etree.ElementTree as ET

    from webhooks.twilio.voice import SAY_AGAIN

    sms_app.extensions["heard.sms"].rasa = SilentDialogue()
    form = {
        "AccountSid": ACCOUNT_SID,
        "CallSid": "CA" + "5" * 32,
        "CallStatus": "in-progress",
        "Direction": "inbound",
        "From": "+12095550147",
        "To": HEARD_NUMBER,
        "Digits": "2",  # Spanish, a language Twilio speaks: the dialogue greets the caller
    }
    response = post_signed(sms_app.test_client(), "/twilio/voice/language", form)
    assert response.status_code == 200
    gather = ET.fromstring(response.data).find(".//Gather")
    assert gather is not None
    said = " ".join("".join(e.itertext()) for e in gather.iter("Say"))
    assert said.strip() == t("es", SAY_AGAIN)
    assert "the dialogue said nothing" in caplog.text


def test_a_tty_turn_the_dialogue_answers_with_nothing_asks_again(sms_app, caplog):
    from webhooks.tty.stream import NO_ANSWER as TTY_NO_ANSWER
    from webhooks.tty.stream import TtyCall

    typed: list[str] = []

    class Typing(TtyCall):
        def send(self, text: str) -> None:  # what would be played as Baudot tones
            typed.append(text)

    channel = sms_app.extensions["heard.sms"]
    channel.rasa = SilentDialogue()
    call = Typing(channel=channel, call_sid="CA" + "6" * 32)
    call.turn("THE OFFICER SHOVED ME", record=False)
    assert typed == [TTY_NO_ANSWER] and TTY_NO_ANSWER.endswith(" GA")
    assert "the dialogue said nothing" in caplog.text


# -- a PIN the dialogue takes ---------------------------------------------------------------------


class PinDialogue:
    """A dialogue that takes every message as the resident's PIN (as validate_pin does) and answers the status."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def send(self, *, sender: str, text: str, metadata: dict[str, Any]) -> DialogueAnswer:
        self.calls.append({"sender": sender, "text": text, "metadata": metadata})
        return DialogueAnswer(texts=("Report 482-193-7703 is received.",), custom=({"redact": "pin"},), redact=True)


def _inbound_bodies(db: Database) -> list[str]:
    with db.session() as s:
        return list(s.scalars(select(Message.body).where(Message.direction == Direction.INBOUND)))


def test_a_text_the_dialogue_took_as_a_pin_is_kept_only_masked_and_a_redelivery_answers_the_same(sms_app, db):
    dialogue = PinDialogue()
    sms_app.extensions["heard.sms"].rasa = dialogue
    client = sms_app.test_client()
    form = sms_form("PIN 123456")
    first = post_signed(client, "/twilio/sms", form)
    assert _bodies(first.data) == ["Report 482-193-7703 is received."]
    assert dialogue.calls[0]["text"] == "PIN 123456"
    assert _inbound_bodies(db) == ["PIN ••••••"]
    again = post_signed(client, "/twilio/sms", form)
    assert again.data == first.data and len(dialogue.calls) == 1


def test_a_pin_keyed_or_spoken_on_a_call_without_caller_id_is_kept_only_masked(sms_app, db):
    sms_app.extensions["heard.sms"].rasa = PinDialogue()
    client = sms_app.test_client()
    call = {"AccountSid": ACCOUNT_SID, "CallSid": "CA" + "7" * 32, "From": "Anonymous", "To": HEARD_NUMBER}
    keyed = post_signed(client, "/twilio/voice/turn?lang=en&step=2", {**call, "Digits": "123456#"})
    assert keyed.status_code == 200 and b"4 8 2, 1 9 3, 7 7 0 3" in keyed.data  # read digit by digit
    spoken = post_signed(client, "/twilio/voice/turn?lang=en&step=3", {**call, "SpeechResult": "6 5 4 3 2 1."})
    assert b"6 5 4 3 2 1" in spoken.data  # read back to the caller, who confirms it
    confirmed = post_signed(client, "/twilio/voice/confirm?lang=en&step=3", {**call, "Digits": "1"})
    assert confirmed.status_code == 200
    assert _inbound_bodies(db) == ["••••••", "• • • • • •.", "1"]


def test_a_pin_typed_on_a_tty_call_is_kept_only_masked(sms_app, db):
    from webhooks.tty.stream import TtyCall

    class Typing(TtyCall):
        def send(self, text: str) -> None:  # what would be played as Baudot tones
            pass

    channel = sms_app.extensions["heard.sms"]
    channel.rasa = PinDialogue()
    Typing(channel=channel, call_sid="CA" + "8" * 32).turn("MY PIN IS 123456")
    assert _inbound_bodies(db) == ["MY PIN IS ••••••"]


# -- a filed report read back on a call -----------------------------------------------------------


class FilingDialogue:
    """A dialogue that files the report on every turn and says so, as action_finish_complaint does."""

    def send(self, *, sender: str, text: str, metadata: dict[str, Any]) -> DialogueAnswer:
        from bot.actions import i18n

        filed = i18n.t(
            metadata["language"],
            "Your report has been sent. Your tracking number is {tracking_number} and your PIN is {pin}. "
            "Keep them to check on your report.",
            tracking_number="482-193-7703",
            pin="565585",
        )
        return DialogueAnswer(texts=(filed,))


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_caller_hears_the_pin_digit_by_digit_slowly_and_twice_like_the_tracking_number(sms_app, language):
    import xml.etree.ElementTree as ET

    from webhooks.twilio.voice import DIGITS_RATE, PIN_SPOKEN, TRACKING_SPOKEN

    sms_app.extensions["heard.sms"].rasa = FilingDialogue()
    call = {"AccountSid": ACCOUNT_SID, "CallSid": "CA" + "9" * 32, "From": "+12095550147", "To": HEARD_NUMBER}
    response = post_signed(sms_app.test_client(), f"/twilio/voice/turn?lang={language}&step=9", {**call, "Digits": "1"})
    assert response.status_code == 200
    root = ET.fromstring(response.data)
    said = " ".join("".join(e.itertext()) for e in root.iter("Say"))
    assert "565585" not in said and "482-193-7703" not in said  # never one large number
    assert said.count("5 6 5, 5 8 5") == 3  # in the confirmation, then twice more
    assert said.count("4 8 2, 1 9 3, 7 7 0 3") == 3
    slow = [p for p in root.iter("prosody") if p.get("rate") == DIGITS_RATE]
    slow_text = ["".join(p.itertext()) for p in slow]
    assert slow_text == [
        t(language, TRACKING_SPOKEN, digits="4 8 2, 1 9 3, 7 7 0 3"),
        t(language, PIN_SPOKEN, digits="5 6 5, 5 8 5"),
    ]
    assert root.find(".//Gather") is not None  # then the offer to text the tracking number (never the PIN)


def test_a_status_answer_on_a_call_goes_on_as_a_turn_and_spells_the_number(sms_app):
    import xml.etree.ElementTree as ET

    sms_app.extensions["heard.sms"].rasa = PinDialogue()  # answers "Report 482-193-7703 is received."
    call = {"AccountSid": ACCOUNT_SID, "CallSid": "CA" + "a" * 32, "From": "+12095550147", "To": HEARD_NUMBER}
    response = post_signed(sms_app.test_client(), "/twilio/voice/turn?lang=en&step=4", {**call, "Digits": "123456"})
    gather = ET.fromstring(response.data).find(".//Gather")
    assert gather is not None and "/twilio/voice/turn" in gather.get("action")  # no receipt offer, no hang-up
    assert "Report 4 8 2, 1 9 3, 7 7 0 3 is received." in "".join(gather.itertext())
