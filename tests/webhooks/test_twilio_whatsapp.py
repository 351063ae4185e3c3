"""WhatsApp through Twilio: the Messaging webhook with ``whatsapp:`` addresses, signed and sent exactly like SMS.

The dialogue is a small stand-in here (whole conversations with the real Rasa are in
tests/bot/test_twilio_conversations.py); Twilio's REST API and media host are the local
stand-in of tests/twilio_fake.py, which records the templates (ContentSid) Heard sends.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from app import create_app
from intake import jobs
from intake.conversations import messaging, whatsapp
from intake.db import Database, utcnow
from intake.enums import Channel, Direction, JobState, MessageState
from intake.errors import ConfigurationError
from intake.models import Attachment, ConsentChange, Correspondent, Job, Message
from tests.twilio_fake import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    HEARD_WHATSAPP,
    PUBLIC_BASE_URL,
    FakeTwilio,
    post_signed,
    sms_form,
    whatsapp_form,
)
from webhooks.i18n import t
from webhooks.rasa_client import DialogueAnswer
from webhooks.twilio.config import ChannelSettings
from webhooks.twilio.texts import STARTED, STOPPED, WHATSAPP_NEW_MESSAGE

RESIDENT = "whatsapp:+12095550142"
TEMPLATE_ES = "HX" + "e5" * 16
TEMPLATE_EN = "HX" + "0e" * 16
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 8


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class SpanishDialogue:
    """A dialogue that asks what happened, in Spanish, and records what the channel told it."""

    QUESTION = "Cuéntenos qué pasó, con sus propias palabras."

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def send(self, *, sender: str, text: str, metadata: dict[str, Any]) -> DialogueAnswer:
        self.calls.append({"sender": sender, "text": text, "metadata": metadata})
        return DialogueAnswer(texts=(self.QUESTION,), language="es")


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    fake = FakeTwilio().start()
    yield fake
    fake.stop()


@pytest.fixture
def db(fresh_database_url: str) -> Iterator[Database]:
    database = Database(fresh_database_url)
    yield database
    database.dispose()


def _app(db: Database, keyring: Any, fake: FakeTwilio, tmp_path: Path, **extra: str) -> Any:
    app = create_app(
        {
            "TESTING": True,
            "HEARD_INSTANCE_DIR": str(tmp_path),
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_API_BASE_URL": fake.url,
            "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
            "RASA_URL": f"http://127.0.0.1:{_closed_port()}",
            "HEARD_INLINE_REPLY_SECONDS": "3",
            "HEARD_SMS_RATE_PER_SECOND": "1000",
            "DATABASE": db,
            "KEYRING": keyring,
            **extra,
        }
    )
    app.extensions["heard.sms"].rasa = SpanishDialogue()
    return app


@pytest.fixture
def wa_app(db, keyring, fake_twilio, tmp_path):  # type: ignore[no-untyped-def]
    return _app(db, keyring, fake_twilio, tmp_path, HEARD_WHATSAPP_TEMPLATE_ES=TEMPLATE_ES)


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

    return [m.text or "" for m in ET.fromstring(twiml).iter("Message")]


def _write(app: Any, body: str, **kwargs: Any) -> list[str]:
    response = post_signed(app.test_client(), "/twilio/sms", whatsapp_form(body, **kwargs))
    assert response.status_code == 200, response.data
    return _bodies(response.data)


def _resident(db: Database) -> Correspondent:
    with db.session() as s:
        found = s.scalars(select(Correspondent).where(Correspondent.channel == Channel.WHATSAPP)).one()
        s.expunge(found)
        return found


def _age_the_window(db: Database, hours: float = 25) -> None:
    """Make the resident's messages as old as ``hours``: WhatsApp's 24-hour window has closed."""
    with db.session() as s:
        s.execute(
            update(Message)
            .where(Message.direction == Direction.INBOUND)
            .values(created_at=utcnow() - dt.timedelta(hours=hours))
        )
        s.commit()


def _staff_reply(db: Database, text: str, *, language: str = "es", translated: bool = False) -> int:
    with db.session() as s:
        resident = s.scalars(select(Correspondent).where(Correspondent.channel == Channel.WHATSAPP)).one()
        meta = {"source": "console", **({"machine_translated": True} if translated else {})}
        (queued,) = messaging.queue_outbound(s, correspondent=resident, texts=[text], language=language, meta=meta)
        s.commit()
        return queued.id


def _message(db: Database, message_id: int) -> Message:
    with db.session() as s:
        found = s.get(Message, message_id)
        assert found is not None
        s.expunge(found)
        return found


# -- in ---------------------------------------------------------------------------------------


def test_a_whatsapp_message_is_verified_stored_once_and_answered_by_the_dialogue_in_spanish(wa_app, db, keyring):
    client = wa_app.test_client()
    form = whatsapp_form("Quiero poner una queja: un policía me empujó afuera de la tienda")
    assert client.post("/twilio/sms", data=form).status_code == 403  # unsigned
    assert post_signed(client, "/twilio/sms", form, token="not-the-token").status_code == 403
    first = post_signed(client, "/twilio/sms", form)
    again = post_signed(client, "/twilio/sms", form)  # Twilio redelivers
    assert _bodies(first.data) == [SpanishDialogue.QUESTION] == _bodies(again.data)
    dialogue = wa_app.extensions["heard.sms"].rasa
    (call,) = dialogue.calls
    assert call["metadata"]["channel"] == "whatsapp" and call["metadata"]["language"] == "es"
    # The dialogue gets the number sealed, without ``whatsapp:``, and vouching for nothing (a status needs the PIN).
    sealed = messaging.open_sealed_phone(keyring, call["metadata"]["phone"])
    assert sealed is not None and sealed.phone == "+12095550142" and sealed.channel is None
    assert "+12095550142" not in json.dumps(call)
    with db.session() as s:
        inbound = s.scalars(select(Message).where(Message.direction == Direction.INBOUND)).all()
        assert len(inbound) == 1 and inbound[0].channel is Channel.WHATSAPP
        (reply,) = s.scalars(select(Message).where(Message.direction == Direction.OUTBOUND)).all()
        assert reply.channel is Channel.WHATSAPP and reply.state is MessageState.INLINE
        resident = s.scalars(select(Correspondent)).one()
        assert resident.channel is Channel.WHATSAPP and resident.service_number == HEARD_WHATSAPP
        assert resident.language is not None and resident.language.value == "es"
        assert "ProfileName" not in (inbound[0].meta or {})  # the resident's WhatsApp name is not kept
    # The same number by text message is a resident of its own, on its own channel.
    post_signed(client, "/twilio/sms", sms_form("help", sender="+12095550142"))
    with db.session() as s:
        channels = sorted(c.channel.value for c in s.scalars(select(Correspondent)))
        assert channels == ["sms", "whatsapp"]


def test_whatsapp_media_are_fetched_kept_and_acknowledged_in_the_residents_language(wa_app, db, fake_twilio):
    _write(wa_app, "Quiero poner una queja contra un policía de la ciudad")
    sid = "MM" + "7" * 32
    url = fake_twilio.add_media(sid, JPEG, "image/jpeg")
    (receipt,) = _write(wa_app, "", sid=sid, media=[(url, "image/jpeg")])
    assert "(1)" in receipt and "fotos" in receipt
    _work(wa_app)
    (kept,) = _all_attachments(db)
    assert kept.sha256 == hashlib.sha256(JPEG).hexdigest() and kept.content_type == "image/jpeg"
    _work(wa_app)
    assert fake_twilio.deleted() == [url.removeprefix("https://api.twilio.com")]


def _all_attachments(db: Database) -> list[Attachment]:
    with db.session() as s:
        rows = list(s.scalars(select(Attachment)))
        s.expunge_all()
        return rows


# -- the 24-hour window ----------------------------------------------------------------------


def test_the_window_is_twenty_four_hours_from_the_residents_last_message(wa_app, db):
    _write(wa_app, "AYUDA")
    resident = _resident(db)
    with db.session() as s:
        last = whatsapp.last_inbound_at(s, correspondent_id=resident.id)
        assert last is not None
        assert whatsapp.window_open(s, correspondent_id=resident.id, now=last + dt.timedelta(hours=23, minutes=59))
        assert not whatsapp.window_open(s, correspondent_id=resident.id, now=last + dt.timedelta(hours=24))


def test_inside_the_window_a_staff_reply_goes_free_form_from_heards_whatsapp_sender(wa_app, db, fake_twilio):
    _write(wa_app, "AYUDA")
    message_id = _staff_reply(db, "Recibimos su reporte.", translated=True)
    _work(wa_app)
    assert fake_twilio.templates() == []
    (sent,) = fake_twilio.texts()
    assert sent["To"] == RESIDENT and sent["From"] == HEARD_WHATSAPP
    assert sent["Body"].startswith("Recibimos su reporte.\n\n(") and "máquina" in sent["Body"]
    assert _message(db, message_id).state is MessageState.SENT


def test_outside_the_window_a_template_goes_once_and_the_held_texts_follow_when_the_resident_writes(
    wa_app, db, fake_twilio
):
    _write(wa_app, "AYUDA")
    _age_the_window(db)
    first = _staff_reply(db, "Su caso fue asignado a una investigadora.")
    second = _staff_reply(db, "La llamaremos el lunes.")
    _work(wa_app)
    _work(wa_app)  # the template's own send job
    assert fake_twilio.texts() == []  # no free-form text outside the window
    (template,) = fake_twilio.templates()  # one notice for both held texts
    assert template["ContentSid"] == TEMPLATE_ES and template["To"] == RESIDENT and template["From"] == HEARD_WHATSAPP
    assert json.loads(template["ContentVariables"]) == {"1": t("es", WHATSAPP_NEW_MESSAGE)}
    assert "nuevo" in json.loads(template["ContentVariables"])["1"]  # in the resident's language
    assert [_message(db, i).state for i in (first, second)] == [MessageState.HELD, MessageState.HELD]
    with db.session() as s:
        notice = s.scalars(select(Message).where(Message.body == t("es", WHATSAPP_NEW_MESSAGE))).one()
        assert notice.state is MessageState.SENT and notice.meta["content_sid"] == TEMPLATE_ES
        assert notice.provider_id and notice.provider_id.startswith("SM")
    # The resident answers the template: the window opens, and the full texts go, in order.
    answer = _write(wa_app, "Sí, dígame")
    assert answer == [SpanishDialogue.QUESTION]
    _work(wa_app)
    assert [m["Body"] for m in fake_twilio.texts()] == [
        "Su caso fue asignado a una investigadora.",
        "La llamaremos el lunes.",
    ]
    assert all(m["To"] == RESIDENT for m in fake_twilio.texts())
    assert [_message(db, i).state for i in (first, second)] == [MessageState.SENT, MessageState.SENT]
    assert len(fake_twilio.templates()) == 1


def test_without_a_template_for_the_language_the_english_one_goes_with_the_words_in_the_residents_language(
    db, keyring, fake_twilio, tmp_path
):
    app = _app(db, keyring, fake_twilio, tmp_path, HEARD_WHATSAPP_TEMPLATE_EN=TEMPLATE_EN)
    _write(app, "ជំនួយ")  # HELP in Khmer
    _age_the_window(db)
    _staff_reply(db, "We received your report.", language="en")
    _work(app)
    _work(app)
    (template,) = fake_twilio.templates()
    assert template["ContentSid"] == TEMPLATE_EN
    assert json.loads(template["ContentVariables"]) == {"1": t("km", WHATSAPP_NEW_MESSAGE)}


def test_with_no_template_configured_the_text_is_held_and_goes_when_the_resident_writes(
    db, keyring, fake_twilio, tmp_path, caplog
):
    app = _app(db, keyring, fake_twilio, tmp_path)
    _write(app, "AYUDA")
    _age_the_window(db)
    message_id = _staff_reply(db, "Su caso fue cerrado.")
    _work(app)
    assert fake_twilio.sent() == []
    assert _message(db, message_id).state is MessageState.HELD
    assert "no WhatsApp template is configured" in caplog.text
    _write(app, "hola, ¿hay noticias?")
    _work(app)
    assert [m["Body"] for m in fake_twilio.texts()] == ["Su caso fue cerrado."]


def test_a_template_sid_that_is_not_a_content_sid_is_a_configuration_error():
    with pytest.raises(ConfigurationError, match="HEARD_WHATSAPP_TEMPLATE_ES"):
        ChannelSettings.from_env({"HEARD_WHATSAPP_TEMPLATE_ES": "hello"})
    settings = ChannelSettings.from_env({"HEARD_WHATSAPP_TEMPLATE_ZH_HANT": TEMPLATE_ES})
    assert settings.whatsapp_template("zh_Hant") == TEMPLATE_ES and settings.whatsapp_template("es") is None


# -- consent ---------------------------------------------------------------------------------


def test_stop_on_whatsapp_is_confirmed_by_heard_and_nothing_goes_after_it_until_start(wa_app, db, fake_twilio):
    assert _write(wa_app, "STOP") == [t("en", STOPPED)]  # WhatsApp has no carrier opt-out: Heard confirms
    assert _write(wa_app, "Todavía quiero contarles lo que pasó") == []
    assert wa_app.extensions["heard.sms"].rasa.calls == []  # kept, never answered
    inside = _staff_reply(db, "Su caso fue actualizado.")
    _age_the_window(db)
    outside = _staff_reply(db, "Su caso fue cerrado.")
    _work(wa_app)
    _work(wa_app)
    assert fake_twilio.sent() == []  # neither a text nor a template
    assert [_message(db, i).state for i in (inside, outside)] == [MessageState.SUPPRESSED] * 2
    with db.session() as s:
        (consent,) = s.scalars(select(ConsentChange)).all()
        assert consent.opted_out is True and consent.keyword == "STOP"
    assert _write(wa_app, "START") == [t("es", STARTED)]  # their Spanish message told their language
    assert _resident(db).opted_out is False
    _staff_reply(db, "Su caso fue reabierto.")
    _work(wa_app)
    assert [m["Body"] for m in fake_twilio.texts()] == ["Su caso fue reabierto."]


def test_a_held_text_never_follows_a_stop_and_goes_after_start(wa_app, db, fake_twilio):
    _write(wa_app, "AYUDA")
    _age_the_window(db)
    held = _staff_reply(db, "Su caso fue asignado.")
    _work(wa_app)
    _work(wa_app)
    assert len(fake_twilio.templates()) == 1 and _message(db, held).state is MessageState.HELD
    assert _write(wa_app, "STOP")  # answering the template with STOP opens the window, but they asked for nothing
    _work(wa_app)
    assert fake_twilio.texts() == [] and _message(db, held).state is MessageState.HELD
    _write(wa_app, "START")
    _work(wa_app)
    # NOTE: the START turn hands the released text to the web process's own sender thread (send_soon).
    assert jobs.wait_for(lambda: _message(db, held).state is MessageState.SENT, timeout=30, interval=0.05)
    assert [m["Body"] for m in fake_twilio.texts()] == ["Su caso fue asignado."]


def test_a_text_whatsapp_refuses_as_outside_the_window_is_held_and_announced_by_template(wa_app, db, fake_twilio):
    _write(wa_app, "AYUDA")
    message_id = _staff_reply(db, "Su caso fue asignado.")
    _work(wa_app)
    assert len(fake_twilio.texts()) == 1  # Heard counted the window open
    with db.session() as s:
        sid = s.get(Message, message_id).provider_id
    # WhatsApp counted otherwise: Twilio reports error 63016 on the signed status callback.
    report = {"MessageSid": sid, "MessageStatus": "undelivered", "ErrorCode": "63016", "AccountSid": ACCOUNT_SID}
    assert post_signed(wa_app.test_client(), "/twilio/status", report).status_code == 204
    assert post_signed(wa_app.test_client(), "/twilio/status", report).status_code == 204  # repeated: no change
    _work(wa_app)
    _work(wa_app)
    (template,) = fake_twilio.templates()
    assert template["ContentSid"] == TEMPLATE_ES
    held = _message(db, message_id)
    assert held.state is MessageState.HELD and held.error_code == "63016"
    _write(wa_app, "Hola, aquí estoy")
    _work(wa_app)
    assert [m["Body"] for m in fake_twilio.texts()] == ["Su caso fue asignado.", "Su caso fue asignado."]
    again = _message(db, message_id)
    assert again.state is MessageState.SENT and again.error_code is None and again.provider_id != sid
    assert again.delivery_status == "queued"  # this try's own reports, not the refused one's
