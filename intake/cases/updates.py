"""Status updates to residents who filed with contact details: what is due, to whom, how and when.

A case's move to triage (acknowledged), to an investigator, to a referral or to closed plans
an update; so does a case on which nothing has happened for ``HEARD_UPDATE_EVERY_DAYS``. The
words come from the catalogs (``webhooks/updates``, which composes each planned update); here
are the rules: never for anonymous filers, never after STOP, only on the channel the resident
chose and only inside the safe contact times they gave (``intake.cases.contact_times``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from intake import audit, jobs
from intake.cases import contact_times
from intake.conversations import mail, messaging, whatsapp
from intake.crypto import Keyring
from intake.db import utcnow
from intake.enums import Channel, Direction, JobState, MessageState, PreferredContact, Status
from intake.models import AuditEntry, Case, Correspondent, Job, Message, StatusChange

COMPOSE_KIND = "update.compose"
DEFAULT_EVERY_DAYS = 30
OPEN = frozenset({Status.RECEIVED, Status.TRIAGE, Status.ASSIGNED, Status.INVESTIGATING, Status.REFERRED})
ACTOR = "system:updates"


class UpdateKind(StrEnum):
    ACKNOWLEDGED = "acknowledged"
    ASSIGNED = "assigned"
    REFERRED = "referred"
    CLOSED = "closed"
    REMINDER = "reminder"


_KIND_OF_STATUS = {
    Status.TRIAGE: UpdateKind.ACKNOWLEDGED,
    Status.ASSIGNED: UpdateKind.ASSIGNED,
    Status.REFERRED: UpdateKind.REFERRED,
    Status.CLOSED: UpdateKind.CLOSED,
}


def every_days(environ: Mapping[str, str]) -> int:
    """Return ``HEARD_UPDATE_EVERY_DAYS`` (default 30); a value that is not a positive number is the default."""
    raw = (environ.get("HEARD_UPDATE_EVERY_DAYS") or "").strip()
    return int(raw) if raw.isdigit() and int(raw) > 0 else DEFAULT_EVERY_DAYS


def kind_for(change: StatusChange) -> UpdateKind | None:
    """Return the update a status change calls for; a reopening or a withdrawal calls for none."""
    if change.from_status is Status.CLOSED:
        return None  # NOTE: a reopened case is news for staff; the resident hears when it moves on
    if change.to_status is Status.TRIAGE and change.from_status is not Status.RECEIVED:
        return None  # back to triage from an assignment: nothing the resident needs to know
    return _KIND_OF_STATUS.get(change.to_status)


def has_contact(case: Case) -> bool:
    """Tell whether the resident filed with a way to reach them that they chose, and still have it."""
    contact = case.contact
    return (
        not case.anonymous
        and contact is not None
        and case.contact_purged_at is None
        and contact.preferred is not PreferredContact.NONE
        and bool(contact.email_token if contact.preferred is PreferredContact.EMAIL else contact.phone_token)
    )


def plan(session: Session, *, case: Case, change: StatusChange) -> Job | None:
    """Plan the update a status change calls for (composed by the worker); None when none is due."""
    kind = kind_for(change)
    if kind is None or not has_contact(case):
        return None
    return _plan(session, case=case, kind=kind, key=f"{COMPOSE_KIND}:change:{change.id}", change_id=change.id)


def _plan(session: Session, *, case: Case, kind: UpdateKind, key: str, change_id: int | None = None) -> Job:
    job = jobs.enqueue(
        session,
        kind=COMPOSE_KIND,
        payload={"case_id": case.id, "kind": kind.value, "status_change_id": change_id, "plan": key},
        dedupe_key=key,
    )
    audit.record(session, actor=ACTOR, action="case.update_planned", case_id=case.id, summary={"kind": kind.value})
    return job


def last_news(session: Session, *, case: Case) -> dt.datetime:
    """Return when the resident last had news of a case: filing, a status change or an update."""
    changed = session.scalar(select(func.max(StatusChange.created_at)).where(StatusChange.case_id == case.id))
    # NOTE: an update counts from when it goes (its safe time), not from when it was written.
    told = [
        dt.datetime.fromisoformat(str(summary["send_after"]))
        for summary in session.scalars(
            select(AuditEntry.summary).where(AuditEntry.case_id == case.id, AuditEntry.action == "case.update_queued")
        )
        if summary.get("send_after")
    ]
    return max(t for t in (case.created_at, changed, *told) if t is not None)


def plan_reminders(session: Session, *, now: dt.datetime, every: dt.timedelta) -> list[Job]:
    """Plan a reminder for each open case with contact details and no news for ``every``; once per quiet spell.

    NOTE: the dedupe key is the time of the last news, so a worker running this chore
    again (or a second worker) plans nothing new until there has been news since.
    """
    planned = []
    for case in session.scalars(select(Case).where(Case.status.in_(OPEN), Case.anonymous.is_(False))):
        if not has_contact(case):
            continue
        news = last_news(session, case=case)
        if now - news < every:
            continue
        key = f"{COMPOSE_KIND}:reminder:{case.id}:{news.isoformat()}"
        if session.scalars(select(Job.id).where(Job.dedupe_key == key)).first() is not None:
            continue
        planned.append(_plan(session, case=case, kind=UpdateKind.REMINDER, key=key))
    return planned


def correspondent_of(session: Session, *, case: Case) -> Correspondent | None:
    """Return the resident's text or WhatsApp conversation with Heard for a case, if they have one."""
    found = session.scalars(
        select(Correspondent)
        .join(Message, Message.correspondent_id == Correspondent.id)
        .where(Message.case_id == case.id)
        .order_by(Message.id.desc())
        .limit(1)
    ).first()
    if found is None and case.conversation_id:
        found = session.scalars(
            select(Correspondent).where(Correspondent.conversation_id == case.conversation_id)
        ).first()
    return found


def opted_out(session: Session, *, case: Case) -> bool:
    """Tell whether the resident texted STOP in a conversation tied to the case (then nothing goes, by any channel)."""
    correspondent = correspondent_of(session, case=case)
    return correspondent is not None and correspondent.opted_out


@dataclass(frozen=True)
class Composed:
    """An update written in the resident's language and in English (for staff)."""

    kind: UpdateKind
    text: str
    english: str
    # The plan it answers (the planning job's key): a plan is written once, whatever the worker repeats.
    plan: str | None = None


def text_target(session: Session, *, keyring: Keyring, case: Case) -> Correspondent | None:
    """Return whom to text an update: the number the resident gave, on WhatsApp when they wrote from it there.

    NOTE: never simply the conversation's number: someone may have texted from a friend's phone and
    given their own. A number that never texted Heard is texted from the conversation's Heard number;
    with no conversation at all there is no Heard number to send from (None: staff call back).
    """
    contact = case.contact
    correspondent = correspondent_of(session, case=case)
    if contact is None or not contact.phone_token or correspondent is None:
        return None
    address = keyring.decrypt(correspondent.phone_token) or ""
    if address and keyring.digest("phone", whatsapp.plain_number(address)) == contact.phone_digest:
        return correspondent
    given = keyring.decrypt(contact.phone_token)
    if not given or not correspondent.service_number:
        return None
    return messaging.get_or_create_correspondent(
        session, keyring=keyring, phone=given, service_number=correspondent.service_number
    )


def deliver(
    session: Session,
    *,
    keyring: Keyring,
    case: Case,
    composed: Composed,
    zone: ZoneInfo,
    now: dt.datetime | None = None,
) -> list[Message]:
    """Queue a composed update on the resident's channel for the next safe time; record it on the case.

    Returns the update's messages; none when it must not go (anonymous, no contact, STOP).
    """
    now = now or utcnow()
    if composed.plan is not None:
        done = [
            m
            for m in session.scalars(select(Message).where(Message.case_id == case.id))
            if (m.meta or {}).get("plan") == composed.plan
        ]
        if done:
            return done  # NOTE: the worker stopped after writing it, before marking its job done
    withheld = _withheld(session, case)
    if withheld is not None:
        audit.record(
            session,
            actor=ACTOR,
            action="case.update_withheld",
            case_id=case.id,
            summary={"kind": composed.kind.value, "reason": withheld},
        )
        return []
    times = contact_times.parse(contact_times.contact_times_of(case.witnesses))
    send_after = times.next_safe(now, zone)
    _supersede(session, case=case, by=composed.kind)
    meta: dict[str, Any] = {
        "update": composed.kind.value,
        "english": composed.english,
        "send_after": send_after.isoformat(),
        "safe_times_understood": times.understood,
        "zone": zone.key,
        "plan": composed.plan,
    }
    contact = case.contact
    assert contact is not None
    correspondent = (
        text_target(session, keyring=keyring, case=case) if contact.preferred is PreferredContact.SMS else None
    )
    if contact.preferred is PreferredContact.EMAIL:
        sent = [mail.queue_email(session, case=case, text=composed.text, language=case.language.value, meta=meta)]
        _postpone(session, [f"{mail.SEND_KIND}:{m.id}" for m in sent], send_after)
    elif correspondent is not None:
        sent = messaging.queue_outbound(
            session,
            correspondent=correspondent,
            texts=[composed.text],
            language=case.language.value,
            case=case,
            meta=meta,
        )
        _postpone(session, [f"sms.send:{m.id}" for m in sent], send_after)
    else:
        # NOTE: they chose a call, or texts from a number that never texted Heard (no sender is tied to it):
        # a call-back task for staff, inside the safe times, with the words to say.
        sent = [_callback_task(session, case=case, composed=composed, meta=meta)]
    channel = sent[0].channel
    audit.record(
        session,
        actor=ACTOR,
        action="case.update_queued",
        case_id=case.id,
        summary={
            "kind": composed.kind.value,
            "channel": channel.value,
            "message_ids": [m.id for m in sent],
            "send_after": send_after.isoformat(),
        },
        change={"text": composed.english},
    )
    if channel is Channel.VOICE:
        audit.record(
            session,
            actor=ACTOR,
            action="case.callback_requested",
            case_id=case.id,
            summary={"update": composed.kind.value, "call_after": send_after.isoformat()},
        )
    session.flush()
    return sent


# An update not sent yet: waiting for its safe time, held for WhatsApp's window, or a call-back not made.
UNSENT = frozenset({MessageState.QUEUED, MessageState.HELD, MessageState.PENDING})


def _supersede(session: Session, *, case: Case, by: UpdateKind) -> list[int]:
    """Withdraw the case's updates not sent yet: the new one tells where the case is now."""
    return withdraw_unsent(session, case=case, why=by.value)


# Why updates are withdrawn when the resident's contact details go (see ``withdraw_unsent``).
CONTACT_REMOVED = "contact_removed"


def withdraw_unsent(session: Session, *, case: Case, why: str) -> list[int]:
    """Withdraw the case's updates not sent yet, because of ``why`` (a newer update's kind, or contact removed).

    NOTE: so a case acknowledged and assigned in one sitting gives the resident one text, not
    two in a row; a withdrawn update stays on the case (state suppressed), and is audited. One a
    sender has begun (``sent_at`` reserved) is left to go: the conditional UPDATE and the sender's
    own conditional reservation meet on the row, so a text is never both sent and withdrawn.
    """
    candidates = [
        m
        for m in session.scalars(
            select(Message).where(Message.case_id == case.id, Message.state.in_(UNSENT), Message.sent_at.is_(None))
        )
        if (m.meta or {}).get("update")
    ]
    withdrawn = []
    for message in candidates:
        result = session.execute(
            update(Message)
            .where(Message.id == message.id, Message.state.in_(UNSENT), Message.sent_at.is_(None))
            .values(state=MessageState.SUPPRESSED, meta={**(message.meta or {}), "superseded_by": why})
            .execution_options(synchronize_session="fetch")
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            continue  # a sender took it in the meantime: it goes
        withdrawn.append(message.id)
        audit.record(
            session,
            actor=ACTOR,
            action="case.update_superseded",
            case_id=case.id,
            summary={"message_id": message.id, "kind": (message.meta or {}).get("update"), "by": why},
        )
    return withdrawn


def not_before(session: Session, message: Message, *, now: dt.datetime | None = None) -> dt.datetime | None:
    """When an update outside the resident's safe contact times may go; None when it may go now.

    Senders ask this at every try, so a retried email or a text delayed past its window waits
    again for a safe time. NOTE: a WhatsApp text released because the resident has just written
    goes at once: they answered the notice to read it, phone in hand.
    """
    meta = message.meta or {}
    if not meta.get("update") or not meta.get("zone") or message.case_id is None or meta.get("released_by"):
        return None  # NOTE: an update queued before the zone was kept with it goes as it did then
    case = session.get(Case, message.case_id)
    if case is None:
        return None
    now = now or utcnow()
    zone = ZoneInfo(str(meta["zone"]))
    times = contact_times.parse(contact_times.contact_times_of(case.witnesses))
    return None if times.allows(now, zone) else times.next_safe(now, zone)


def _withheld(session: Session, case: Case) -> str | None:
    if case.anonymous:
        return "anonymous"
    if not has_contact(case):
        return "no_contact"
    if opted_out(session, case=case):
        return "stop"
    return None


def _callback_task(session: Session, *, case: Case, composed: Composed, meta: dict[str, Any]) -> Message:
    task = Message(
        channel=Channel.VOICE,
        direction=Direction.OUTBOUND,
        case_id=case.id,
        language=case.language,
        body=messaging.redact_pins(composed.text),
        state=MessageState.PENDING,
        meta={**meta, "callback": True},
    )
    session.add(task)
    session.flush()
    return task


def _postpone(session: Session, keys: list[str], send_after: dt.datetime) -> None:
    """Hold the sending jobs until the resident's next safe time."""
    for job in session.scalars(select(Job).where(Job.dedupe_key.in_(keys))):
        job.run_after = max(job.run_after, send_after)


def updates_of(messages: list[Message]) -> list[Message]:
    """Return the updates among a case's messages, oldest first."""
    return [m for m in messages if (m.meta or {}).get("update")]


def planned_kinds(session: Session, *, case_id: int) -> list[str]:
    """Return the kinds of the case's updates that wait for the worker to write them."""
    waiting = session.scalars(select(Job).where(Job.kind == COMPOSE_KIND, Job.state == JobState.QUEUED))
    return [str(job.payload.get("kind")) for job in waiting if job.payload.get("case_id") == case_id]
