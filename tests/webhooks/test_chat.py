"""The web chat's JSON API: sessions, the relay to the dialogue, uploads, limits and errors.

The dialogue here is a stand-in that answers like Rasa's REST channel (a fake plugin, as the
style guide asks); tests/bot/test_web_chat.py talks to the real one.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app import create_app
from intake import evidence
from intake.cases import filing as complaints
from intake.enums import Channel, Direction, Language, MessageState
from intake.models import Attachment, Case, Message, WebSession
from intake.storage import FolderStorage
from tests.conftest import RolledBackDatabase
from tests.factories import submission_data
from webhooks.chat import RASA_EXTENSION, STRINGS
from webhooks.rasa_client import DialogueAnswer, DialogueUnavailable, read_answer
from webhooks.webtext import wt

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


class FakeDialogue:
    """Answers every message; files a case (through the real service) when told "sí"."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.calls: list[dict[str, Any]] = []
        self.down = False
        self.silent = False
        self.attempts: list[dict[str, Any]] = []
        self.switch_to: str | None = None
        self.takes_pin = False

    def send(self, *, sender: str, text: str, metadata: dict[str, Any]) -> DialogueAnswer:
        self.attempts.append({"sender": sender, "text": text, "metadata": metadata})
        if self.down:
            raise DialogueUnavailable("Rasa unreachable: ConnectionError")
        self.calls.append({"sender": sender, "text": text, "metadata": metadata})
        if text == "sí":
            database = self.app.extensions["heard.database"]
            with database.sessionmaker() as session:
                data = submission_data(channel="web_chat", contact=None)
                keyring = self.app.extensions["heard.keyring"]
                submission = complaints.parse_submission(data)
                _, receipt = complaints.file_case(
                    session, keyring=keyring, submission=submission, actor="bot", conversation_id=sender
                )
                session.commit()
            number = receipt.as_dict()["tracking_number"]
            return DialogueAnswer(texts=(f"Su número es {number} y su PIN es {receipt.pin}.",), language="es")
        if self.silent:
            return DialogueAnswer(texts=())
        if self.takes_pin:  # as validate_pin does: the message was the PIN, so the channel hides it
            return DialogueAnswer(
                texts=("El reporte 482-193-7703 está recibido.",), custom=({"redact": "pin"},), redact=True
            )
        if self.switch_to:
            return DialogueAnswer(texts=("Le escribiré en tagalo.",), language=self.switch_to)
        return DialogueAnswer(texts=(f"Recibido: {text}", "¿Algo más?"))


@pytest.fixture
def dialogue(app) -> FakeDialogue:  # type: ignore[no-untyped-def]
    fake = FakeDialogue(app)
    app.extensions[RASA_EXTENSION] = fake
    return fake


def _open(client: Any, lang: str = "es") -> dict[str, str]:
    response = client.post("/chat/api/sessions", json={"lang": lang})
    assert response.status_code == 201, response.json
    return {"Authorization": f"Bearer {response.json['token']}"}


def _say(client: Any, auth: dict[str, str], text: str, lang: str = "es", **extra: Any) -> Any:
    return client.post("/chat/api/messages", json={"text": text, "lang": lang, **extra}, headers=auth)


def _session_of(app: Any, auth: dict[str, str]) -> WebSession:
    keyring = app.extensions["heard.keyring"]
    digest = keyring.digest("web-session", auth["Authorization"].split()[1])
    with app.extensions["heard.database"].sessionmaker() as s:
        web = s.scalars(select(WebSession).where(WebSession.token_digest == digest)).one()
        s.expunge(web)
        return web


def test_the_widget_files_are_served_and_never_write_html(client):
    script = client.get("/chat/widget.js")
    assert script.status_code == 200 and script.mimetype == "text/javascript"
    source = script.get_data(as_text=True)
    script.close()
    assert "innerHTML" not in source and "insertAdjacentHTML" not in source and "eval(" not in source
    assert 'role: "log"' in source and '"aria-live": "polite"' in source
    css = client.get("/chat/widget.css")
    assert css.mimetype == "text/css" and "prefers-reduced-motion" in css.get_data(as_text=True)
    css.close()


def test_the_widget_gets_its_words_in_nine_languages_and_chinese_in_both_scripts(client):
    data = client.get("/chat/api/strings").json
    codes = [language["code"] for language in data["languages"]]
    assert codes == ["en", "es", "tl", "vi", "zh-Hans", "zh-Hant", "km", "hmn", "lo", "pa"]
    names = {language["name"] for language in data["languages"]}
    assert names >= {"Español", "中文（简体）", "中文（繁體）", "ភាសាខ្មែរ", "ਪੰਜਾਬੀ"}
    for code in [*codes, "zh"]:
        assert set(data["strings"][code]) == set(STRINGS)
        assert all(data["strings"][code].values())
    assert data["strings"]["es"]["send"] == "Enviar"
    assert data["strings"]["zh"] == data["strings"]["zh-Hans"]
    assert data["strings"]["zh-Hans"]["send"] == "发送" and data["strings"]["zh-Hant"]["send"] == "發送"


def test_a_message_is_stored_relayed_with_its_language_and_answered(app, client, dialogue, session):
    auth = _open(client)
    response = _say(client, auth, "quiero poner una queja")
    assert response.status_code == 200, response.json
    body = response.json
    assert [m["text"] for m in body["messages"]] == ["Recibido: quiero poner una queja", "¿Algo más?"]
    assert all(m["lang"] == "es" and m["from"] == "heard" for m in body["messages"])
    assert body["filed"] is False and body["pending"] is False
    web = _session_of(app, auth)
    call = dialogue.calls[0]
    assert call["sender"] == web.conversation_id and web.conversation_id.startswith("webchat-")
    stored = session.scalars(select(Message).where(Message.conversation_id == web.conversation_id)).all()
    assert call["metadata"] == {"channel": "web_chat", "language": "es", "heard_message_id": f"web_chat:{stored[0].id}"}
    assert [(m.direction, m.channel) for m in stored] == [
        (Direction.INBOUND, Channel.WEB_CHAT),
        (Direction.OUTBOUND, Channel.WEB_CHAT),
        (Direction.OUTBOUND, Channel.WEB_CHAT),
    ]
    assert stored[0].state == MessageState.PROCESSED and stored[0].body == "quiero poner una queja"


@pytest.mark.parametrize(
    ("lang", "extra", "script"),
    [("zh-Hant", {}, "Hant"), ("zh-TW", {}, "Hant"), ("zh-Hans", {}, "Hans"), ("zh", {"script": "Hant"}, "Hant")],
)
def test_chinese_goes_to_the_dialogue_with_the_script_the_widget_shows(app, client, dialogue, lang, extra, script):
    auth = _open(client, lang)
    assert _say(client, auth, "我想投訴", lang, **extra).status_code == 200
    metadata = dialogue.calls[0]["metadata"]
    assert {k: v for k, v in metadata.items() if k != "heard_message_id"} == {
        "channel": "web_chat",
        "language": "zh",
        "script": script,
    }
    assert _session_of(app, auth).language is Language.ZH


def test_the_token_is_stored_only_as_a_digest(app, client, session):
    auth = _open(client)
    token = auth["Authorization"].split()[1]
    rows = session.scalars(select(WebSession)).all()
    assert rows and all(token not in (row.token_digest, row.conversation_id) for row in rows)


def test_no_token_or_a_wrong_one_is_refused_in_json(client, dialogue):
    assert _say(client, {}, "hola").status_code == 401
    response = _say(client, {"Authorization": "Bearer not-a-token"}, "hola")
    assert response.status_code == 401 and response.is_json and response.json["code"] == "session_unknown"
    assert dialogue.calls == []


def test_a_retried_message_is_kept_once_and_answered_the_same(app, client, dialogue, session):
    auth = _open(client)
    first = _say(client, auth, "me empujó", id="m-1").json
    again = _say(client, auth, "me empujó", id="m-1").json
    assert [m["text"] for m in again["messages"]] == [m["text"] for m in first["messages"]]
    assert len(dialogue.calls) == 1
    web = _session_of(app, auth)
    inbound = session.scalars(
        select(Message).where(Message.conversation_id == web.conversation_id, Message.direction == Direction.INBOUND)
    ).all()
    assert len(inbound) == 1


def test_when_the_dialogue_is_down_nothing_is_lost_and_a_retry_relays_it(app, client, dialogue, session):
    auth = _open(client)
    dialogue.down = True
    held = _say(client, auth, "me quitaron el teléfono").json
    assert held["pending"] is True
    assert "guardadas" in held["messages"][-1]["text"]  # the honest holding reply, in Spanish
    web = _session_of(app, auth)
    waiting = session.scalars(select(Message).where(Message.conversation_id == web.conversation_id)).one()
    assert waiting.state == MessageState.RECEIVED
    assert client.get("/chat/api/transcript", headers=auth).json["pending"] is True
    dialogue.down = False
    answered = client.post("/chat/api/retry", json={"lang": "es"}, headers=auth).json
    assert answered["pending"] is False
    assert answered["messages"][0]["text"] == "Recibido: me quitaron el teléfono"
    # Asked again under the same name: the dialogue takes a message it has already taken only once.
    first_try, retried = (a["metadata"]["heard_message_id"] for a in dialogue.attempts)
    assert first_try == retried == f"web_chat:{waiting.id}"


def test_a_turn_the_dialogue_answers_with_nothing_is_still_answered_honestly(app, client, dialogue, session, caplog):
    auth = _open(client)
    dialogue.silent = True
    body = _say(client, auth, "sí, envíelo").json
    assert body["pending"] is False
    assert [m["text"] for m in body["messages"]] == [wt("es", STRINGS["error"])]
    assert "Algo salió mal" in body["messages"][0]["text"]  # in Spanish
    assert "the dialogue said nothing" in caplog.text
    web = _session_of(app, auth)
    said = client.get("/chat/api/transcript", headers=auth).json["messages"]
    assert [m["from"] for m in said] == ["you", "heard"]  # kept in the transcript too
    assert web.conversation_id == dialogue.calls[0]["sender"]


def test_the_transcript_comes_back_after_a_reload_with_html_as_plain_text(client, dialogue):
    auth = _open(client)
    attack = "<img src=x onerror=alert(1)>"
    _say(client, auth, attack)
    response = client.get("/chat/api/transcript", headers=auth)
    assert response.is_json and response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
    items = response.json["messages"]
    assert [(m["from"], m["text"]) for m in items] == [
        ("you", attack),
        ("heard", f"Recibido: {attack}"),
        ("heard", "¿Algo más?"),
    ]
    assert response.json["lang"] == "es"


def test_ending_a_chat_forgets_it(client, dialogue):
    auth = _open(client)
    _say(client, auth, "hola")
    assert client.post("/chat/api/end", headers=auth).status_code == 204
    gone = client.get("/chat/api/transcript", headers=auth)
    assert gone.status_code == 410 and gone.json["code"] == "session_abandoned"
    assert _say(client, auth, "sigo aquí").status_code == 410


def test_the_turn_that_files_the_case_ends_the_session_and_links_the_chat(app, client, dialogue, session):
    auth = _open(client)
    _say(client, auth, "el oficial me empujó", id="a")
    filed = _say(client, auth, "sí", id="b").json
    assert filed["filed"] is True
    receipt = filed["messages"][0]["text"]
    assert "PIN" in receipt and "••••••" not in receipt  # the resident gets the real PIN
    web = _session_of(app, auth)
    case = session.scalars(select(Case).where(Case.conversation_id == web.conversation_id)).one()
    assert web.case_id == case.id and web.end_reason == "filed"
    stored = session.scalars(select(Message).where(Message.conversation_id == web.conversation_id)).all()
    assert {m.case_id for m in stored} == {case.id}
    assert "••••••" in stored[-1].body  # staff read it masked
    # The token opens nothing now, but the repeat of the filing turn still gets its receipt.
    assert client.get("/chat/api/transcript", headers=auth).status_code == 410
    assert _say(client, auth, "hola otra vez", id="c").status_code == 410
    replay = _say(client, auth, "sí", id="b").json
    assert replay["messages"][0]["text"] == receipt and replay["filed"] is True


def test_the_dialogue_switching_language_switches_the_widget(client, dialogue):
    auth = _open(client)
    dialogue.switch_to = "tl"
    body = _say(client, auth, "IDIOMA").json
    assert body["lang"] == "tl" and body["messages"][0]["lang"] == "tl"


@pytest.mark.parametrize(("text", "code"), [("   ", "empty"), ("x" * 4001, "too_long")])
def test_empty_and_overlong_messages_are_refused_in_the_residents_language(client, dialogue, text, code):
    auth = _open(client)
    response = _say(client, auth, text)
    assert response.status_code == 422 and response.json["code"] == code
    assert response.json["lang"] == "es" and response.json["error"].startswith(("Por favor", "El mensaje"))


@pytest.fixture
def small_media_app(database, connection, keyring, tmp_path):  # type: ignore[no-untyped-def]
    return create_app(
        {
            "TESTING": True,
            "HEARD_INSTANCE_DIR": str(tmp_path),
            "DATABASE": RolledBackDatabase(database, connection),
            "KEYRING": keyring,
            "HEARD_MEDIA_MAX_BYTES": "1000",
        }
    )


def _upload(client: Any, auth: dict[str, str], data: bytes, name: str, mimetype: str) -> Any:
    from io import BytesIO

    return client.post(
        "/chat/api/uploads",
        data={"file": (BytesIO(data), name, mimetype), "lang": "es"},
        headers=auth,
        content_type="multipart/form-data",
    )


def test_an_uploaded_photo_is_kept_encrypted_for_the_conversation(app, client, session, tmp_path, keyring):
    auth = _open(client)
    response = _upload(client, auth, PNG, "../../etc/foto.png", "image/png")
    assert response.status_code == 201, response.json
    assert response.json["messages"][0]["file"] == {"name": "foto.png", "type": "image/png", "size": len(PNG)}
    assert "foto.png" in response.json["messages"][1]["text"]
    web = _session_of(app, auth)
    stored = session.scalars(select(Attachment).where(Attachment.conversation_id == web.conversation_id)).one()
    assert stored.case_id is None and stored.filename == "foto.png"
    raw = (tmp_path / stored.storage_key).read_bytes()
    assert PNG not in raw and evidence.load(FolderStorage(tmp_path), keyring, stored.storage_key) == PNG
    transcript = client.get("/chat/api/transcript", headers=auth).json["messages"]
    assert transcript[-1]["file"]["name"] == "foto.png"


def test_uploads_of_the_wrong_type_or_size_are_refused(small_media_app):
    client = small_media_app.test_client()
    auth = _open(client)
    wrong = _upload(client, auth, b"<html><script>alert(1)</script>", "x.html", "text/html")
    assert wrong.status_code == 422 and wrong.json["code"] == "file_type"
    big = _upload(client, auth, PNG + b"\x00" * 2000, "big.png", "image/png")
    assert big.status_code == 422 and big.json["code"] == "file_size" and "MB" in big.json["error"]
    huge = _upload(client, auth, PNG + b"\x00" * 200_000, "huge.png", "image/png")
    assert huge.status_code == 413 and huge.is_json
    empty = _upload(client, auth, b"", "empty.png", "image/png")
    assert empty.status_code == 422 and empty.json["code"] == "file_empty"


def test_messages_are_limited_per_session(client, dialogue):
    auth = _open(client)
    codes = [_say(client, auth, f"mensaje {i}").status_code for i in range(31)]
    assert codes[:30] == [200] * 30 and codes[30] == 429
    limited = _say(client, auth, "otro")
    assert limited.json["code"] == "rate_limited" and "minuto" in limited.json["error"]
    assert _say(client, _open(client), "otra sesión").status_code == 200  # another session is not limited


def test_sessions_are_limited_per_address(client):
    codes = [client.post("/chat/api/sessions", json={"lang": "en"}).status_code for _ in range(11)]
    assert codes[:10] == [201] * 10 and codes[10] == 429


def test_other_sites_may_embed_the_widget_without_cookies(client):
    preflight = client.options(
        "/chat/api/messages",
        headers={
            "Origin": "https://www.ci.millbrook.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Credentials" not in preflight.headers
    assert "Set-Cookie" not in client.post("/chat/api/sessions", json={}).headers


def test_unknown_api_paths_answer_in_json(client):
    response = client.get(f"/chat/api/{uuid.uuid4().hex}")
    assert response.status_code == 404 and response.is_json


def test_a_missing_dialogue_url_is_not_needed_to_serve_the_widget(app):
    assert Path(app.root_path, "webhooks", "static", "chat", "widget.js").exists()


def test_what_the_dialogue_says_between_turns_is_kept_and_fetched_by_the_widget(app, client, dialogue, keyring):
    auth = _open(client)
    turn = _say(client, auth, "me empujó").json
    web = _session_of(app, auth)
    internal = {"Authorization": f"Bearer {keyring.internal_token}"}
    path = f"/internal/v1/conversations/{web.conversation_id}/messages"
    assert client.get("/chat/api/updates?after=0", headers=auth).json["messages"] == []

    kept = client.post(path, json={"texts": ["¿Cuándo pasó?"]}, headers=internal)
    assert kept.status_code == 202 and kept.json == {"queued": 1}
    fetched = client.get("/chat/api/updates?after=0", headers=auth).json
    assert [(m["from"], m["text"], m["lang"]) for m in fetched["messages"]] == [("heard", "¿Cuándo pasó?", "es")]
    newest = fetched["messages"][0]["id"]
    assert newest > max(m["id"] for m in turn["messages"])
    assert client.get(f"/chat/api/updates?after={newest}", headers=auth).json["messages"] == []
    said = [m["text"] for m in client.get("/chat/api/transcript", headers=auth).json["messages"]]
    assert said[-1] == "¿Cuándo pasó?"  # after a reload too

    client.post("/chat/api/end", headers=auth)
    assert client.post(path, json={"texts": ["¿Sigue ahí?"]}, headers=internal).status_code == 404
    assert client.get("/chat/api/updates?after=0", headers=auth).status_code == 410


def test_the_dialogue_asking_to_hide_a_pin_is_read_from_its_custom_payload():
    said = read_answer([{"recipient_id": "x", "custom": {"redact": "pin"}}, {"recipient_id": "x", "text": "Listo."}])
    assert said.redact is True and said.texts == ("Listo.",)
    assert read_answer([{"recipient_id": "x", "custom": {"language": "es"}}]).redact is False


def _stored_bodies(session: Any, conversation_id: str) -> list[str]:
    return list(session.scalars(select(Message.body).where(Message.conversation_id == conversation_id)))


def test_a_pin_typed_for_a_status_check_is_kept_only_masked(app, client, dialogue, session):
    auth = _open(client)
    _say(client, auth, "quiero saber cómo va mi reporte", id="s-1")
    dialogue.takes_pin = True
    answered = _say(client, auth, "mi PIN es 123 456", id="s-2").json
    assert [m["text"] for m in answered["messages"]] == ["El reporte 482-193-7703 está recibido."]
    web = _session_of(app, auth)
    assert dialogue.calls[-1]["text"] == "mi PIN es 123 456"  # the dialogue got what was typed
    bodies = _stored_bodies(session, web.conversation_id)
    assert "mi PIN es ••• •••" in bodies
    assert not any("123" in body or "456" in body for body in bodies)
    reloaded = client.get("/chat/api/transcript", headers=auth).json["messages"]
    assert ("you", "mi PIN es ••• •••") in [(m["from"], m["text"]) for m in reloaded]
    # A retried request is answered as before, and the dialogue is not asked again.
    again = _say(client, auth, "mi PIN es 123 456", id="s-2").json
    assert again["messages"] == answered["messages"] and len(dialogue.calls) == 2


def test_a_pin_that_waited_for_the_dialogue_is_masked_once_it_is_taken(app, client, dialogue, session):
    auth = _open(client)
    dialogue.down = True
    assert _say(client, auth, "123456").json["pending"] is True
    dialogue.down, dialogue.takes_pin = False, True
    answered = client.post("/chat/api/retry", json={"lang": "es"}, headers=auth).json
    assert answered["messages"][0]["text"] == "El reporte 482-193-7703 está recibido."
    web = _session_of(app, auth)
    assert _stored_bodies(session, web.conversation_id)[0] == "••••••"
