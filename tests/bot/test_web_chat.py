"""A whole chat through the widget's JSON API, with the real Rasa, action server and queue."""

from __future__ import annotations

import contextlib
import json
import re
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO

import pytest
from sqlalchemy import select

from app import create_app
from intake.cases import tracking
from intake.enums import Direction
from intake.models import Attachment, Case, Message, WebSession
from tests.bot.conftest import stored_tracker_events
from webhooks.chat import RASA_EXTENSION
from webhooks.rasa_client import RasaClient, api_token

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


class SlowRasa:
    """A proxy in front of the real Rasa that holds its answers back while ``slow`` is set.

    Rasa takes the whole turn; only its answer is late, as when it is merely slow (the
    request reached it, and Heard cannot know that).
    """

    def __init__(self, rasa_url: str) -> None:
        self.rasa_url = rasa_url
        self.slow = threading.Event()
        self.held = threading.Event()  # Rasa has answered a request whose answer is held back
        self.release = threading.Event()
        self.held_answers: list[list[dict]] = []  # type: ignore[type-arg]
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                slow = proxy.slow.is_set()
                request = urllib.request.Request(
                    proxy.rasa_url + self.path,
                    data=body,
                    headers={"Content-Type": "application/json", "Authorization": self.headers["Authorization"] or ""},
                )
                with urllib.request.urlopen(request, timeout=60) as answer:
                    data = answer.read()
                if slow:
                    proxy.held_answers.append(json.loads(data))
                    proxy.held.set()
                    proxy.release.wait(30)
                with contextlib.suppress(OSError):  # the caller may have stopped waiting
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def _user_turns(bot_stack, conversation_id: str) -> list[str]:  # type: ignore[no-untyped-def]
    """The resident's messages the dialogue took, read from Rasa's own tracker store (sealed: issue 17)."""
    return [event["text"] for event in stored_tracker_events(bot_stack, conversation_id, type_name="user")]


def test_a_message_whose_answer_came_too_late_is_taken_by_the_dialogue_once(bot_stack, keyring, tmp_path):
    slow_rasa = SlowRasa(bot_stack.rasa_url)
    app = create_app(
        {
            "TESTING": True,
            "HEARD_INSTANCE_DIR": str(tmp_path),
            "DATABASE": bot_stack.database,
            "KEYRING": keyring,
            "RASA_URL": slow_rasa.url,
        }
    )
    token = api_token(configured=None, internal_token=keyring.internal_token)
    app.extensions[RASA_EXTENSION] = RasaClient(slow_rasa.url, timeout=1.0, token=token)
    client = app.test_client()
    try:
        opened = client.post("/chat/api/sessions", json={"lang": "es"})
        auth = {"Authorization": f"Bearer {opened.json['token']}"}
        assert client.post("/chat/api/messages", json={"text": "hola", "lang": "es"}, headers=auth).json["messages"]

        slow_rasa.slow.set()
        held = client.post("/chat/api/messages", json={"text": "quiero poner una queja", "lang": "es"}, headers=auth)
        assert held.json["pending"] is True  # Heard stopped waiting: the holding reply
        assert slow_rasa.held.wait(30)  # ...but Rasa took the turn and answered
        slow_rasa.slow.clear()
        answered = client.post("/chat/api/retry", json={"lang": "es"}, headers=auth).json
        slow_rasa.release.set()

        assert answered["pending"] is False
        first_answer = [m["text"] for m in slow_rasa.held_answers[0] if m.get("text")]
        assert first_answer and [m["text"] for m in answered["messages"]] == first_answer
        digest = keyring.digest("web-session", opened.json["token"])
        with bot_stack.database.session() as s:
            conversation_id = s.scalars(
                select(WebSession.conversation_id).where(WebSession.token_digest == digest)
            ).one()
        sent = _user_turns(bot_stack, conversation_id)
        assert sent.count("quiero poner una queja") == 1, sent
    finally:
        slow_rasa.stop()


def test_after_a_restart_the_dialogue_still_knows_a_message_it_took(bot_stack):
    talk = bot_stack.conversation(language="es")
    talk.metadata["heard_message_id"] = "web_chat:test-1"
    first = talk.say("quiero poner una queja")
    bot_stack.stop_rasa()
    bot_stack.start_rasa()
    again = talk.say("quiero poner una queja")
    assert first and again == first  # answered from Rasa's tracker store, not taken again
    assert _user_turns(bot_stack, talk.sender) == ["quiero poner una queja"]
    talk.metadata["heard_message_id"] = "web_chat:test-2"
    assert talk.say("me empujó") != first  # a new message is a new turn


def test_a_status_check_by_chat_keeps_the_typed_pin_nowhere_readable(chat_client, bot_stack, keyring):
    from tests.factories import make_partner, submission_data

    with bot_stack.database.session() as s:
        _, partner_token = make_partner(s, name="Status check partner")
        s.commit()
    filed = chat_client.post(
        "/api/v1/complaints",
        json=submission_data(language="en"),
        headers={"Authorization": f"Bearer {partner_token}", "Idempotency-Key": "status-by-chat"},
    )
    assert filed.status_code == 201, filed.json
    number, pin = filed.json["tracking_number"], filed.json["pin"]

    opened = chat_client.post("/chat/api/sessions", json={"lang": "en"})
    auth = {"Authorization": f"Bearer {opened.json['token']}"}

    def say(text: str) -> list[str]:
        response = chat_client.post("/chat/api/messages", json={"text": text, "lang": "en"}, headers=auth)
        assert response.status_code == 200 and response.json["pending"] is False, response.json
        return [m["text"] for m in response.json["messages"]]

    say("check status")
    say(number)
    answer = " ".join(say(f"my PIN is {pin}"))
    assert f"Report {number} is" in answer and pin not in answer

    typed = "my PIN is ••••••"
    reloaded = chat_client.get("/chat/api/transcript", headers=auth).json["messages"]
    assert ("you", typed) in [(m["from"], m["text"]) for m in reloaded]
    with bot_stack.database.session() as s:
        bodies = list(s.scalars(select(Message.body)))
    assert typed in bodies and not any(pin in body for body in bodies)
