"""A whole chat through the widget's JSON API, with the real Rasa, action server and queue."""

from __future__ import annotations

import re
from io import BytesIO

import pytest
from sqlalchemy import select

from app import create_app
from intake import tracking
from intake.enums import Direction
from intake.models import Attachment, Case, Message, WebSession

pytestmark = pytest.mark.slow

TRACKING = re.compile(r"\b(\d{3}-\d{3}-\d{4})\b")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def chat_client(bot_stack, keyring, tmp_path):  # type: ignore[no-untyped-def]
    app = create_app(
        {
            "TESTING": True,
            "HEARD_INSTANCE_DIR": str(tmp_path),
            "DATABASE": bot_stack.database,
            "KEYRING": keyring,
            "RASA_URL": bot_stack.rasa_url,
        }
    )
    return app.test_client()


def test_a_spanish_chat_files_a_case_with_its_transcript_and_photo(chat_client, bot_stack, keyring):
    opened = chat_client.post("/chat/api/sessions", json={"lang": "es"})
    auth = {"Authorization": f"Bearer {opened.json['token']}"}

    def say(text: str) -> dict:  # type: ignore[type-arg]
        response = chat_client.post("/chat/api/messages", json={"text": text, "lang": "es"}, headers=auth)
        assert response.status_code == 200, response.json
        assert response.json["pending"] is False
        return response.json  # type: ignore[no-any-return]

    lines = [
        "quiero poner una queja contra un policía",
        "el oficial me empujó y me quitó el teléfono",
        "listo",
        "no sé",
        "calle Main y Weber",
        "no sé",
        "nadie",
    ]
    turns = [say(line) for line in lines]
    assert all(turn["messages"] and turn["lang"] == "es" for turn in turns)
    assert all(m["lang"] == "es" for turn in turns for m in turn["messages"])
    photo = chat_client.post(
        "/chat/api/uploads",
        data={"file": (BytesIO(PNG), "golpe.png", "image/png"), "lang": "es"},
        headers=auth,
        content_type="multipart/form-data",
    )
    assert photo.status_code == 201
    say("nadie")  # witnesses
    say("sí")  # stay anonymous
    receipt = say("sí")  # the read-back is right
    assert receipt["filed"] is True
    said = " ".join(m["text"] for m in receipt["messages"])
    number = TRACKING.search(said)
    assert number, said
    assert re.search(r"(?<![\d-])\d{6}(?![\d-])", said)  # the resident sees the PIN

    with bot_stack.database.session() as s:
        case = s.scalars(
            select(Case).where(Case.tracking_number == tracking.parse_tracking_number(number.group(1)))
        ).one()
        assert case.channel.value == "web_chat" and case.language.value == "es" and case.anonymous
        assert case.narrative == lines[1]
        inbound = s.scalars(
            select(Message).where(
                Message.conversation_id == case.conversation_id, Message.direction == Direction.INBOUND
            )
        ).all()
        assert [m.body for m in inbound][: len(lines)] == lines
        assert {m.case_id for m in inbound} == {case.id}
        attachment = s.scalars(select(Attachment).where(Attachment.conversation_id == case.conversation_id)).one()
        assert attachment.case_id == case.id and attachment.filename == "golpe.png"
        web = s.scalars(select(WebSession).where(WebSession.conversation_id == case.conversation_id)).one()
        assert web.end_reason == "filed" and web.case_id == case.id

    # Nothing can be read back with the token once the case is filed.
    assert chat_client.get("/chat/api/transcript", headers=auth).status_code == 410
    # The dialogue only ever saw the random conversation id.
    tracker = (bot_stack.logs.parent / "rasa-tracker.db").read_bytes()
    assert opened.json["token"].encode() not in tracker
