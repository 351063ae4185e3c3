"""Status updates to residents: the worker writes each planned update in the resident's language and queues it.

The rules (who, which channel, when) are ``intake.cases.updates``; here are the words, from the
``messages`` catalogs. Never the narrative and never the PIN: an update holds only the catalog's
words, the tracking number and the disposition in plain words.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import time
from typing import Any
from zoneinfo import ZoneInfo

from intake import jobs
from intake.cases import tracking, updates
from intake.cases.updates import Composed, UpdateKind
from intake.crypto import Keyring
from intake.db import Database, utcnow
from intake.enums import Disposition, Language
from intake.models import Case, StatusChange
from webhooks.i18n import _, t

log = logging.getLogger(__name__)

TEXTS = {
    UpdateKind.ACKNOWLEDGED: _(
        "Update on your report {tracking_number}: the police review office has read it and is looking into it. "
        "We will write again when it moves on."
    ),
    UpdateKind.ASSIGNED: _(
        "Update on your report {tracking_number}: an investigator at the police review office is now working on it."
    ),
    UpdateKind.REFERRED: _(
        "Update on your report {tracking_number}: it was sent to the police department for action. "
        "The review office keeps following it."
    ),
    UpdateKind.CLOSED: _("Update on your report {tracking_number}: it is closed. The finding: {finding}"),
    UpdateKind.REMINDER: _(
        "Your report {tracking_number} is still open. Nothing new has happened yet; we will write when it does."
    ),
}
FINDINGS = {
    Disposition.SUSTAINED: _("the officer did what you reported, and it broke the rules."),
    Disposition.NOT_SUSTAINED: _("there was not enough evidence to say whether it happened."),
    Disposition.EXONERATED: _("it happened, but the officer acted within the rules."),
    Disposition.UNFOUNDED: _("the evidence showed it did not happen as reported."),
    Disposition.POLICY_FAILURE: _("the officer followed the rules, but the rules need changing."),
    Disposition.MEDIATED: _("it was settled through mediation."),
    Disposition.NO_JURISDICTION: _("it is outside what this office can review."),
    Disposition.DUPLICATE: _("it was joined to another report about the same event."),
    Disposition.ACKNOWLEDGED: _("your thanks were passed on to the officer and their command."),
}
# How often the worker looks for quiet cases (the check is cheap, but not every half second).
REMINDER_CHECK_SECONDS = 15 * 60


def render(
    language: str, *, kind: UpdateKind, tracking_number: str, disposition: Disposition | None, writing: str = ""
) -> str:
    """Return an update's words in ``language``."""
    finding = t(language, FINDINGS[disposition], writing=writing) if disposition is not None else ""
    return t(language, TEXTS[kind], writing=writing, tracking_number=tracking_number, finding=finding)


def compose(case: Case, *, kind: UpdateKind, disposition: Disposition | None) -> Composed:
    """Write an update for a case in the resident's language and in English."""
    number = tracking.format_tracking_number(case.tracking_number)
    # NOTE: read only to tell Traditional from Simplified Chinese; never written into the update.
    writing = case.narrative[:200] if case.language is Language.ZH else ""
    return Composed(
        kind=kind,
        text=render(case.language.value, kind=kind, tracking_number=number, disposition=disposition, writing=writing),
        english=render("en", kind=kind, tracking_number=number, disposition=disposition),
    )


class UpdateComposer:
    """Composes and queues planned updates; plans reminders for quiet cases (a worker chore)."""

    def __init__(
        self, *, database: Database, keyring: Keyring, zone: ZoneInfo, every_days: int = updates.DEFAULT_EVERY_DAYS
    ) -> None:
        self.database = database
        self.keyring = keyring
        self.zone = zone
        self.every = dt.timedelta(days=every_days)
        self._checked: float | None = None

    def handlers(self) -> dict[str, jobs.Handler]:
        """The job kinds this composer runs."""
        return {updates.COMPOSE_KIND: self.compose}

    def compose(self, payload: dict[str, Any], *, now: dt.datetime | None = None) -> None:
        """Write one planned update and queue it for the resident's next safe time."""
        with self.database.session() as session:
            case = session.get(Case, int(payload["case_id"]))
            if case is None:
                return
            kind = UpdateKind(payload["kind"])
            change_id = payload.get("status_change_id")
            change = session.get(StatusChange, int(change_id)) if change_id else None
            disposition = change.disposition if change is not None else case.disposition
            composed = dataclasses.replace(compose(case, kind=kind, disposition=disposition), plan=payload.get("plan"))
            updates.deliver(session, keyring=self.keyring, case=case, composed=composed, zone=self.zone, now=now)
            session.commit()

    def remind(self, *, now: dt.datetime | None = None) -> int:
        """Plan a reminder for every case quiet for the whole period; return how many."""
        with self.database.session() as session:
            planned = updates.plan_reminders(session, now=now or utcnow(), every=self.every)
            session.commit()
        if planned:
            log.info("planned %d reminder(s) to residents", len(planned))
        return len(planned)

    def remind_chore(self) -> None:
        """Look for quiet cases, at most every REMINDER_CHECK_SECONDS in this process."""
        if self._checked is not None and time.monotonic() - self._checked < REMINDER_CHECK_SECONDS:
            return
        self._checked = time.monotonic()
        self.remind()
