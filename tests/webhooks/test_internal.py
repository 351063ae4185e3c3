"""The internal API the bot's actions call: token-only, files once per draft."""

import pytest
from sqlalchemy import func, select

from intake.cases import duplicates, tracking
from intake.models import AuditEntry, Case, Message
from tests.factories import make_case, submission_data


@pytest.fixture
def auth(keyring):
    return {"Authorization": f"Bearer {keyring.internal_token}"}


def _draft(**overrides):
    data = submission_data(channel="sms", **overrides)
    return {**data, "draft_id": "draft-1", "conversation_id": "c0ffee"}


@pytest.mark.parametrize("header", [None, "Bearer ", "Bearer wrong", "Basic abc"])
def test_no_valid_internal_token_is_401(client, header):
    headers = {"Authorization": header} if header else {}
    assert client.post("/internal/v1/cases", json=_draft(), headers=headers).status_code == 401


def test_a_partner_token_does_not_open_the_internal_api(client, session):
    from tests.factories import make_partner

    _, token = make_partner(session)
    session.flush()
    response = client.post("/internal/v1/cases", json=_draft(), headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_a_draft_is_filed_once_with_its_conversation(client, auth, session):
    first = client.post("/internal/v1/cases", json=_draft(), headers=auth)
    again = client.post("/internal/v1/cases", json=_draft(), headers=auth)
    assert first.status_code == again.status_code == 201
    assert first.get_json()["tracking_number"] == again.get_json()["tracking_number"]
    assert again.get_json()["replayed"] is True
    case = session.scalars(select(Case)).one()
    assert case.conversation_id == "c0ffee" and case.channel.value == "sms"


def test_a_draft_without_id_is_422(client, auth):
    body = _draft()
    del body["draft_id"]
    response = client.post("/internal/v1/cases", json=body, headers=auth)
    assert response.status_code == 422 and "draft_id" in response.get_json()["fields"]


def test_status_and_information_need_the_pin(client, auth, session):
    receipt = client.post("/internal/v1/cases", json=_draft(), headers=auth).get_json()
    proof = {"tracking_number": receipt["tracking_number"], "pin": receipt["pin"]}
    status = client.post("/internal/v1/status", json=proof, headers=auth)
    assert status.status_code == 200 and status.get_json()["status"] == "received"
    wrong = client.post("/internal/v1/status", json={**proof, "pin": "999999"}, headers=auth)
    unknown = client.post("/internal/v1/status", json={**proof, "tracking_number": "000-000-0000"}, headers=auth)
    assert wrong.status_code == unknown.status_code == 404 and wrong.get_json() == unknown.get_json()
    added = client.post("/internal/v1/information", json={**proof, "text": "tengo un video 📹"}, headers=auth)
    assert added.status_code == 201
    message = session.scalars(select(Message)).one()
    assert message.body == "tengo un video 📹" and message.direction.value == "inbound"
    refused = client.post("/internal/v1/information", json={**proof, "pin": "000001", "text": "x"}, headers=auth)
    assert refused.status_code == 404
    assert session.scalar(select(func.count()).select_from(Message)) == 1


def test_status_tells_the_bot_a_report_was_merged_but_not_into_which(client, auth, session, keyring):
    receipt = client.post("/internal/v1/cases", json=_draft(), headers=auth).get_json()
    proof = {"tracking_number": receipt["tracking_number"], "pin": receipt["pin"]}
    assert client.post("/internal/v1/status", json=proof, headers=auth).get_json()["merged"] is False
    duplicate = session.scalars(select(Case)).one()
    original, _ = make_case(session, keyring)
    duplicates.merge(session, case=duplicate, into=original, actor="supervisor", reason="Filed twice.")
    session.commit()
    answer = client.post("/internal/v1/status", json=proof, headers=auth).get_json()
    assert answer["merged"] is True and answer["status"] == "closed"
    assert tracking.format_tracking_number(original.tracking_number) not in str(answer)


def test_status_by_the_filing_phone_by_text_only(client, auth, keyring):
    receipt = client.post("/internal/v1/cases", json=_draft(), headers=auth).get_json()
    # The SMS channel seals the number it will answer: the status goes back to that phone.
    by_phone = {"tracking_number": receipt["tracking_number"], "phone": _sealed(keyring, "+12095550142", "sms")}
    assert client.post("/internal/v1/status", json=by_phone, headers=auth).status_code == 200
    other = {**by_phone, "phone": _sealed(keyring, "+12095550199", "sms")}
    assert client.post("/internal/v1/status", json=other, headers=auth).status_code == 404


def test_a_callback_without_a_case_becomes_a_new_case(client, auth, session):
    body = {
        "text": "quiero hablar con una persona",
        "language": "es",
        "channel": "sms",
        "contact": {"phone": "209-555-0142", "preferred": "phone"},
    }
    response = client.post("/internal/v1/callbacks", json=body, headers=auth)
    assert response.status_code == 201
    case = session.scalars(select(Case)).one()
    assert case.category == "callback_request" and case.narrative == "quiero hablar con una persona"


def test_a_callback_on_a_proven_case_is_recorded_on_it(client, auth, session):
    receipt = client.post("/internal/v1/cases", json=_draft(), headers=auth).get_json()
    body = {"text": "llámenme por favor", "tracking_number": receipt["tracking_number"], "pin": receipt["pin"]}
    assert client.post("/internal/v1/callbacks", json=body, headers=auth).status_code == 201
    assert session.scalar(select(func.count()).select_from(Case)) == 1
    actions = session.scalars(select(AuditEntry.action)).all()
    assert "case.callback_requested" in actions


def test_what_the_dialogue_says_between_turns_is_texted_to_the_resident(client, auth, session, keyring):
    from intake.conversations import messaging
    from intake.enums import Direction, Language, MessageState
    from intake.models import Job

    resident = messaging.get_or_create_correspondent(
        session, keyring=keyring, phone="+12095550177", service_number="+12095550100"
    )
    resident.language = Language.ES
    session.flush()
    path = f"/internal/v1/conversations/{resident.conversation_id}/messages"
    response = client.post(path, json={"texts": ["¿Cuándo pasó?"]}, headers=auth)
    assert response.status_code == 202, response.get_json()
    (sent,) = session.scalars(select(Message).where(Message.conversation_id == resident.conversation_id)).all()
    assert sent.direction == Direction.OUTBOUND and sent.state == MessageState.QUEUED
    assert sent.body == "¿Cuándo pasó?" and sent.language.value == "es" and sent.reply_to_id is None
    job = session.scalars(select(Job).where(Job.dedupe_key == f"sms.send:{sent.id}")).one()
    assert job.kind == "sms.send"


@pytest.mark.parametrize("body", [{}, {"texts": []}, {"texts": "hola"}, {"texts": [""]}, {"texts": [3]}])
def test_messages_between_turns_need_words(client, auth, body):
    assert client.post("/internal/v1/conversations/abc/messages", json=body, headers=auth).status_code == 422


def test_messages_between_turns_for_no_known_texter_are_404(client, auth, session):
    response = client.post("/internal/v1/conversations/nobody/messages", json={"texts": ["hola"]}, headers=auth)
    assert response.status_code == 404
    assert session.scalar(select(func.count()).select_from(Message)) == 0
    assert client.post("/internal/v1/conversations/nobody/messages", json={"texts": ["x"]}).status_code == 401


# -- A phone number never stands in for the PIN (issue 16, item 2) --------------------------------


def _sealed(keyring, phone, channel=None):
    from intake.conversations import messaging
    from intake.enums import Channel

    if channel is None:
        return messaging.seal_phone(keyring, phone)
    return messaging.seal_phone(keyring, phone, channel=Channel(channel))


def test_a_spoofed_caller_id_reads_no_status_and_adds_no_words(client, auth, session, keyring):
    receipt = client.post("/internal/v1/cases", json=_draft(), headers=auth).get_json()
    before = session.scalar(select(func.count()).select_from(Message))
    # The voice and TTY channels seal the caller ID they were given, which anyone can spoof.
    for seal in (_sealed(keyring, "+12095550142"), _sealed(keyring, "+12095550142", "voice")):
        by_caller_id = {"tracking_number": receipt["tracking_number"], "phone": seal}
        status = client.post("/internal/v1/status", json=by_caller_id, headers=auth)
        assert status.status_code == 422 and "received" not in status.get_data(as_text=True)
        words = {**by_caller_id, "text": "I withdraw my complaint", "channel": "voice"}
        assert client.post("/internal/v1/information", json=words, headers=auth).status_code == 422
    assert session.scalar(select(func.count()).select_from(Message)) == before


def test_adding_words_needs_the_pin_even_from_the_filing_phone(client, auth, session, keyring):
    receipt = client.post("/internal/v1/cases", json=_draft(), headers=auth).get_json()
    texted = {
        "tracking_number": receipt["tracking_number"],
        "phone": _sealed(keyring, "+12095550142", "sms"),
        "text": "I withdraw my complaint",
        "channel": "sms",
    }
    assert client.post("/internal/v1/information", json=texted, headers=auth).status_code == 422
    callback = {**texted, "text": "call me"}
    assert client.post("/internal/v1/callbacks", json=callback, headers=auth).status_code == 201
    assert "case.callback_requested" not in session.scalars(select(AuditEntry.action)).all()
    assert session.scalar(select(func.count()).select_from(Message)) == 0


def test_a_plain_phone_number_is_refused(client, auth):
    receipt = client.post("/internal/v1/cases", json=_draft(), headers=auth).get_json()
    plain = {"tracking_number": receipt["tracking_number"], "phone": "+1 (209) 555-0142"}
    response = client.post("/internal/v1/status", json=plain, headers=auth)
    assert response.status_code == 422 and "received" not in response.get_data(as_text=True)
