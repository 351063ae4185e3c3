"""Which conversations the sweep of abandoned drafts asks the dialogue to scrub (issue 17)."""

from __future__ import annotations

import datetime as dt

import pytest

from intake.conversations import scrub
from intake.db import utcnow
from intake.enums import Channel, Direction, MessageState
from intake.errors import ConfigurationError
from intake.models import Message


def _message(session, conversation: str, at: dt.datetime, *, channel=Channel.SMS, direction=Direction.INBOUND):  # type: ignore[no-untyped-def]
    session.add(
        Message(
            channel=channel,
            direction=direction,
            conversation_id=conversation,
            body="x",
            created_at=at,
            state=MessageState.PROCESSED,
        )
    )
    session.flush()


def test_only_silent_conversations_not_scrubbed_since_are_found(session):
    now = utcnow()
    window = now - dt.timedelta(hours=72)
    _message(session, "silent", now - dt.timedelta(hours=80))
    _message(session, "talking", now - dt.timedelta(hours=80))
    _message(session, "talking", now - dt.timedelta(hours=1))  # wrote again: not silent
    _message(session, "swept", now - dt.timedelta(hours=90))
    scrub.record_scrub(session, conversation_id="swept", outcome="idle", at=now - dt.timedelta(hours=85))
    _message(session, "back", now - dt.timedelta(hours=100))
    scrub.record_scrub(session, conversation_id="back", outcome="idle", at=now - dt.timedelta(hours=99))
    _message(session, "back", now - dt.timedelta(hours=75))  # wrote after the last scrub, then fell silent
    _message(session, "form", now - dt.timedelta(hours=80), channel=Channel.WEB_FORM)  # no dialogue behind it
    _message(session, "ours", now - dt.timedelta(hours=80), direction=Direction.OUTBOUND)  # only Heard spoke
    found = scrub.idle_conversations(session, idle_since=window)
    assert {c.conversation_id for c in found} == {"silent", "back"}
    assert {c.channel for c in found} == {Channel.SMS}


def test_the_window_is_read_from_the_environment():
    assert scrub.abandon_hours({}) == 72
    assert scrub.abandon_hours({"HEARD_DRAFT_ABANDON_HOURS": "1.5"}) == 1.5
    for bad in ("soon", "0", "-3"):
        with pytest.raises(ConfigurationError):
            scrub.abandon_hours({"HEARD_DRAFT_ABANDON_HOURS": bad})
