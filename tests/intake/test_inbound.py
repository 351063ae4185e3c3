"""The one way in: whatever the channel, a resident's message is stored once, however often it is delivered."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from intake.cases import filing
from intake.conversations import inbound
from intake.db import Database
from intake.enums import Channel, Direction, MessageState
from intake.models import AuditEntry, Message
from tests.factories import make_case

THREADS = 8


def _message(channel: Channel, provider_id: str | None, body: str = "hello") -> Message:
    return Message(
        channel=channel,
        direction=Direction.INBOUND,
        provider_id=provider_id,
        conversation_id="c-1",
        body=body,
        state=MessageState.PROCESSED,
    )


@pytest.mark.parametrize("channel", [Channel.SMS, Channel.VOICE, Channel.TTY, Channel.WEB_CHAT])
def test_a_redelivery_returns_the_stored_message_and_adds_nothing(session, channel):
    first, new = inbound.store_inbound(session, message=_message(channel, "CA1:step"))
    again, new_again = inbound.store_inbound(session, message=_message(channel, "CA1:step", body="other words"))
    assert new and not new_again and again.id == first.id and again.body == "hello"
    assert session.scalar(select(func.count()).select_from(Message)) == 1


def test_messages_without_a_provider_id_are_each_kept(session):
    inbound.store_inbound(session, message=_message(Channel.WEB_CHAT, None))
    inbound.store_inbound(session, message=_message(Channel.WEB_CHAT, None))
    assert session.scalar(select(func.count()).select_from(Message)) == 2


def test_only_what_residents_send_comes_in_this_way(session):
    outbound = _message(Channel.SMS, "SM-out")
    outbound.direction = Direction.OUTBOUND
    with pytest.raises(ValueError, match="residents send"):
        inbound.store_inbound(session, message=outbound)


@pytest.mark.parametrize("channel", [Channel.VOICE, Channel.TTY])
def test_copies_of_one_voice_step_or_tty_line_at_once_are_one_message(fresh_database_url, channel):
    database = Database(fresh_database_url)
    barrier = threading.Barrier(THREADS)
    stored: list[tuple[int, bool]] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def deliver() -> None:
        try:
            with database.session() as s:
                barrier.wait()
                message, new = inbound.store_inbound(s, message=_message(channel, "CA-race:turn:1"))
                s.commit()
                with lock:
                    stored.append((message.id, new))
        except BaseException as exc:  # a lost delivery must fail the test, not vanish in a thread
            with lock:
                failures.append(exc)

    threads = [threading.Thread(target=deliver) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures
    assert len({message_id for message_id, _ in stored}) == 1 and [new for _, new in stored].count(True) == 1
    with database.session() as s:
        assert s.scalar(select(func.count()).select_from(Message)) == 1
    database.dispose()


def test_words_added_to_a_case_twice_by_the_same_delivery_are_added_once(session, keyring):
    case, _ = make_case(session, keyring)
    first = filing.add_information(
        session, case=case, text="One more thing.", channel=Channel.SMS, actor="bot", provider_id="SM-more"
    )
    again = filing.add_information(
        session, case=case, text="One more thing.", channel=Channel.SMS, actor="bot", provider_id="SM-more"
    )
    assert again.id == first.id
    added = session.scalars(
        select(AuditEntry).where(AuditEntry.case_id == case.id, AuditEntry.action == "case.information_added")
    ).all()
    assert len(added) == 1


def test_a_callback_request_is_a_categorisation_in_the_audit_log(session, keyring):
    case, _ = make_case(session, keyring)
    filing.mark_callback_request(session, case=case, actor="bot:dialogue")
    filing.mark_callback_request(session, case=case, actor="bot:dialogue")
    assert case.category == filing.CALLBACK_REQUEST
    entries = session.scalars(
        select(AuditEntry).where(AuditEntry.case_id == case.id, AuditEntry.action == "case.categorised")
    ).all()
    assert [(e.actor, e.summary) for e in entries] == [("bot:dialogue", {"from": None, "to": "callback_request"})]
