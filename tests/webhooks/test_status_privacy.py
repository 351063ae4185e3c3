"""A resident's own data on /status (issue 17, item 3): what Heard holds, and their contact details deleted."""

from __future__ import annotations

from sqlalchemy import select

from intake import evidence
from intake.enums import Channel, Direction, MessageState
from intake.models import Attachment, AuditEntry, Contact, Message
from intake.storage import FolderStorage
from tests.factories import make_case
from tests.webhooks.test_report import _csrf, _text


def _filed(session, keyring, tmp_path):  # type: ignore[no-untyped-def]
    case, receipt = make_case(session, keyring, channel="web_chat", language="es")
    session.add(
        Message(
            case_id=case.id,
            channel=Channel.WEB_CHAT,
            direction=Direction.INBOUND,
            conversation_id="chat-1",
            body="me empujó contra el carro azul",
            state=MessageState.PROCESSED,
        )
    )
    stored = evidence.store(FolderStorage(tmp_path), keyring, b"\x89PNG\r\n\x1a\n" + b"\x00" * 2048, "image/png")
    session.add(
        Attachment(
            case_id=case.id,
            content_type="image/png",
            size_bytes=2056,
            sha256=stored.sha256,
            storage_key=stored.storage_key,
            filename="moreton.png",
        )
    )
    session.commit()
    return case, receipt


def _post(client, path, lang, **data):  # type: ignore[no-untyped-def]
    csrf = _csrf(client.get(f"/status?lang={lang}").get_data(as_text=True))
    return client.post(path, data={"csrf": csrf, "lang": lang, **data})


def test_the_status_page_shows_what_heard_holds_in_the_residents_language(client, session, keyring, tmp_path):
    _, receipt = _filed(session, keyring, tmp_path)
    number = receipt.as_dict()["tracking_number"]
    page = _post(client, "/status", "es", tracking_number=number, pin=receipt.pin)
    assert page.status_code == 200
    text = _text(page.get_data(as_text=True))
    assert "Lo que Heard guarda de usted" in text
    assert "El oficial me empujó contra el carro" in text  # their words
    assert "me empujó contra el carro azul" in text  # the transcript
    assert "moreton.png" in text and "MB" in text  # the file's name and size
    assert "Recibido" in text or "recibido" in text  # the status history, in Spanish
    assert "Nombre" in text or "nombre" in text  # which contact details are held
    assert "maria@example.org" not in text and "555-0142" not in text  # never the values themselves


def test_wrong_pins_see_nothing_and_cannot_delete(client, session, keyring, tmp_path):
    case, receipt = _filed(session, keyring, tmp_path)
    number = receipt.as_dict()["tracking_number"]
    wrong = _post(client, "/status", "es", tracking_number=number, pin="000000")
    assert wrong.status_code == 404 and "me empujó contra el carro azul" not in wrong.get_data(as_text=True)
    refused = _post(client, "/status/contact", "es", tracking_number=number, pin="000000", confirm="yes")
    assert refused.status_code == 404
    session.expire_all()
    assert session.get(Contact, case.id).name_token is not None
    assert not session.scalars(select(AuditEntry).where(AuditEntry.action == "case.contact_erased")).all()


def test_a_resident_deletes_their_contact_details_after_confirming(client, session, keyring, tmp_path):
    case, receipt = _filed(session, keyring, tmp_path)
    number = receipt.as_dict()["tracking_number"]
    unconfirmed = _post(client, "/status/contact", "vi", tracking_number=number, pin=receipt.pin)
    assert unconfirmed.status_code == 422
    session.expire_all()
    assert session.get(Contact, case.id).phone_token is not None  # nothing went without the tick

    done = _post(client, "/status/contact", "vi", tracking_number=number, pin=receipt.pin, confirm="yes")
    assert done.status_code == 200
    text = _text(done.get_data(as_text=True))
    assert "Thông tin liên lạc của quý vị đã bị xóa" in text
    session.expire_all()
    contact = session.get(Contact, case.id)
    assert contact.name_token is None and contact.phone_token is None and contact.email_token is None
    assert contact.phone_digest is None
    again = _post(client, "/status/contact", "vi", tracking_number=number, pin=receipt.pin, confirm="yes")
    assert again.status_code == 200  # asked twice: answered, and the audit log has one entry
    session.expire_all()
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "case.contact_erased")).one()
    assert entry.actor == "resident" and entry.case_id == case.id
    assert set(entry.summary["fields"]) == {"name", "phone", "email"}
    # The report itself stays, and the page now says no contact details are held.
    again = _text(_post(client, "/status", "vi", tracking_number=number, pin=receipt.pin).get_data(as_text=True))
    assert "El oficial me empujó" in again
    assert "moreton.png" in again


def test_deleted_contact_details_leave_the_transcript_and_the_words_too(client, session, keyring, tmp_path):
    case, receipt = _filed(session, keyring, tmp_path)
    case.witnesses = "mi hermana Lucía\ncontact times: después de las 5, al 209 555 0142"

    def add(direction: Direction, body: str, state: MessageState, meta: dict | None = None) -> int:  # type: ignore[type-arg]
        message = Message(case_id=case.id, channel=Channel.WEB_CHAT, direction=direction, conversation_id="chat-1",
                          body=body, state=state, meta=meta)  # fmt: skip
        session.add(message)
        session.flush()
        return int(message.id)

    add(Direction.INBOUND, "me llamo María López, mi correo es MARIA@example.org y mi número 209-555-0142",
        MessageState.PROCESSED)  # fmt: skip
    add(Direction.OUTBOUND, "Estimada María: la llamaremos al +1 (209) 555-0142. Su caso 482-193-7703.",
        MessageState.PROCESSED)  # fmt: skip
    sealed_receipt = {"sealed_body": keyring.encrypt("Su PIN es 123456")}
    receipts = {state: add(Direction.OUTBOUND, "Su PIN es ••••••", state, sealed_receipt)
                for state in (MessageState.SENT, MessageState.QUEUED)}  # fmt: skip
    waiting_update = add(Direction.OUTBOUND, "Su caso fue asignado.", MessageState.QUEUED, {"update": "assigned"})
    session.commit()
    number = receipt.as_dict()["tracking_number"]
    done = _post(client, "/status/contact", "es", tracking_number=number, pin=receipt.pin, confirm="yes")
    assert done.status_code == 200
    session.expire_all()
    # An update still waiting to go is withdrawn: the resident asked not to be reached.
    assert session.get(Message, waiting_update).state is MessageState.SUPPRESSED
    # The sealed original of a sent receipt goes; one still to be sent keeps what it needs.
    assert "sealed_body" not in (session.get(Message, receipts[MessageState.SENT]).meta or {})
    assert "sealed_body" in session.get(Message, receipts[MessageState.QUEUED]).meta
    bodies = " ".join(m.body or "" for m in session.scalars(select(Message).where(Message.case_id == case.id)))
    for value in ("María", "López", "maria@example.org", "555-0142", "555 0142", "(209)"):
        assert value.lower() not in bodies.lower(), (value, bodies)
    assert "[contact details deleted]" in bodies
    assert "482-193-7703" in bodies and "me empujó contra el carro azul" in bodies  # the rest stays
    witnesses = session.get(type(case), case.id).witnesses
    assert witnesses == "mi hermana Lucía"  # the safe times went with the contact details


def test_a_case_on_legal_hold_keeps_its_contact_details_and_the_resident_is_told(
    client, session, keyring, tmp_path, app
):
    case, receipt = _filed(session, keyring, tmp_path)
    case.legal_hold_reason = "Doe v. City"
    session.commit()
    number = receipt.as_dict()["tracking_number"]
    refused = _post(client, "/status/contact", "km", tracking_number=number, pin=receipt.pin, confirm="yes")
    assert refused.status_code == 409
    text = _text(refused.get_data(as_text=True))
    assert "ផ្លូវច្បាប់" in text and app.config["HEARD_SETTINGS"].office_phone in text  # in Khmer, with the number
    session.expire_all()
    assert session.get(Contact, case.id).name_token is not None
    assert not session.scalars(select(AuditEntry).where(AuditEntry.action == "case.contact_erased")).all()
