"""Which of a conversation's messages belong to a case, for purging, erasing or taking contact details out.

A case's own messages carry its id. A conversation's messages tied to no case (texts sent after
filing, say) belong to it as well, unless another case that still holds its words shares that
conversation: an SMS conversation is one phone's, across every report it filed, and what was
written between two reports must stay until both may lose it (one of them on legal hold, say).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from intake.enums import MessageState
from intake.models import Case, Message

# A text still waiting for its turn, or a reply still to go: a purge, an erasure or a contact removal leaves it.
UNFINISHED = (MessageState.RECEIVED, MessageState.PENDING, MessageState.QUEUED, MessageState.HELD)
# What an erased case's words and messages say instead.
ERASED = "[erased at the resident's request]"


# A conversation's latest texts may be a new report being written now: never taken as an old case's.
RECENT = dt.timedelta(hours=72)


def case_messages(session: Session, case: Case, *, now: dt.datetime | None = None) -> ColumnElement[bool]:
    """Select the messages that are this case's alone to lose.

    Its own, and its conversation's texts tied to no case that came after it was filed and before
    the conversation's next report (what the resident added), unless another case that still holds
    its words shares the conversation, and never one of the last ``RECENT`` hours.
    """
    mine = Message.case_id == case.id
    if not case.conversation_id:
        return mine
    sibling = session.scalar(
        select(Case.id)
        .where(
            Case.conversation_id == case.conversation_id,
            Case.id != case.id,
            Case.content_purged_at.is_(None),
            Case.narrative != ERASED,
        )
        .limit(1)
    )
    if sibling is not None:
        return mine
    following = session.scalar(
        select(func.min(Case.created_at)).where(
            Case.conversation_id == case.conversation_id, Case.created_at > case.created_at
        )
    )
    until = (now or dt.datetime.now(dt.UTC)) - RECENT
    if following is not None:
        until = min(until, following)
    added = and_(
        Message.conversation_id == case.conversation_id,
        Message.case_id.is_(None),
        Message.created_at >= case.created_at,
        Message.created_at < until,
    )
    return or_(mine, added)
