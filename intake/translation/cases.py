"""Translate what residents wrote into the staff's language, in the background, and say when it cannot be done.

Filing a case (and adding words to it) queues a job; the worker translates each
resident-written field as one document and stores the result beside the original,
labelled with the engine and the packages that made it. A language with no installed
pair, direct or through English, marks the case "needs interpreter" so it shows in the
language-access view; never a silent gap. Failures are retried by the job queue and end
in a visible ``failed`` status, never a lost case.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake import audit, jobs
from intake.db import Database
from intake.enums import JobState, Language
from intake.models import Case, Job, Message, Translation
from intake.translation.engine import NoTranslationPair, TranslationEngine, TranslationResult

log = logging.getLogger(__name__)

STAFF_LANGUAGE = "en"
RESIDENT_FIELDS = ("narrative", "incident_time_text", "location", "officers", "injuries", "witnesses")
PENDING, DONE, NEEDS_INTERPRETER, FAILED = "pending", "done", "needs_interpreter", "failed"


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _key(case_id: int, message_id: int | None, field: str, target: str, source_digest: str) -> str:
    return f"{case_id}:{message_id or '-'}:{field}:{target}:{source_digest[:32]}"


def queue_case_translation(session: Session, *, case: Case, staff_language: str = STAFF_LANGUAGE) -> None:
    """Queue the translation of a case's resident-written fields (nothing to do in the staff language)."""
    if case.language.value == staff_language:
        return
    case.translation_status = PENDING
    session.flush()
    jobs.enqueue(
        session,
        kind="translate.case",
        payload={"case_id": case.id},
        dedupe_key=f"translate.case:{case.id}:{case.version}",
    )


def queue_message_translation(
    session: Session, *, case: Case, message: Message, staff_language: str = STAFF_LANGUAGE
) -> None:
    """Queue the translation of words a resident added to their case."""
    if case.language.value == staff_language:
        return
    jobs.enqueue(
        session,
        kind="translate.message",
        payload={"case_id": case.id, "message_id": message.id},
        dedupe_key=f"translate.message:{message.id}",
    )


def translations_of(session: Session, *, case_id: int) -> list[Translation]:
    """Return a case's translations, oldest first (the console shows each beside its original)."""
    return list(session.scalars(select(Translation).where(Translation.case_id == case_id).order_by(Translation.id)))


@dataclass(frozen=True)
class _Text:
    field: str
    message_id: int | None
    text: str


@dataclass
class CaseTranslator:
    """The worker's translation jobs."""

    database: Database
    engine: TranslationEngine
    staff_language: str = STAFF_LANGUAGE

    def handlers(self) -> dict[str, Callable[[dict[str, Any]], None]]:
        return {"translate.case": self.translate_case, "translate.message": self.translate_message}

    def translate_case(self, payload: dict[str, Any]) -> None:
        """Translate every resident-written field of a case that has no translation of its current text."""
        case_id = int(payload["case_id"])
        with self.database.session() as session:
            case = session.get(Case, case_id)
            if case is None:
                return
            source = case.language.value
            texts = [
                _Text(field, None, str(getattr(case, field)))
                for field in RESIDENT_FIELDS
                if getattr(case, field) and str(getattr(case, field)).strip()
            ]
            session.rollback()
        self._translate(case_id, source, texts)

    def translate_message(self, payload: dict[str, Any]) -> None:
        """Translate the words a resident added to their case."""
        case_id, message_id = int(payload["case_id"]), int(payload["message_id"])
        with self.database.session() as session:
            case = session.get(Case, case_id)
            message = session.get(Message, message_id)
            if case is None or message is None or not message.body.strip():
                return
            source = (message.language or case.language).value
            texts = [_Text("message", message_id, message.body)]
            session.rollback()
        self._translate(case_id, source, texts)

    def _translate(self, case_id: int, source: str, texts: list[_Text]) -> None:
        target = self.staff_language
        done: list[tuple[_Text, TranslationResult]] = []
        with self.database.session() as session:
            existing = set(session.scalars(select(Translation.key).where(Translation.case_id == case_id)))
            session.rollback()
        try:
            for item in texts:
                if _key(case_id, item.message_id, item.field, target, digest(item.text)) in existing:
                    continue
                # NOTE: no transaction is open while the model works (seconds, on a real model).
                done.append((item, self.engine.translate(item.text, source, target)))
        except NoTranslationPair:
            self._needs_interpreter(case_id, source, target)
            return
        except Exception:
            if self._last_attempt(case_id):
                self._set_status(case_id, FAILED)
            raise
        with self.database.session() as session:
            case = session.get(Case, case_id)
            assert case is not None
            for item, result in done:
                key = _key(case_id, item.message_id, item.field, target, digest(item.text))
                if session.scalars(select(Translation.id).where(Translation.key == key)).first() is not None:
                    continue
                session.add(
                    Translation(
                        key=key,
                        case_id=case_id,
                        message_id=item.message_id,
                        field=item.field,
                        source_language=Language(source),
                        target_language=Language(target),
                        source_digest=digest(item.text),
                        text=result.text,
                        engine=result.engine,
                        models=list(result.models),
                        pivot=result.pivot,
                    )
                )
            if case.translation_status != NEEDS_INTERPRETER:
                case.translation_status = DONE
            if done:
                audit.record(
                    session,
                    actor="translator",
                    action="case.translated",
                    case_id=case_id,
                    summary={
                        "fields": [item.field for item, _ in done],
                        "from": source,
                        "to": target,
                        "models": sorted({m for _, r in done for m in r.models}),
                    },
                )
            session.commit()

    def _needs_interpreter(self, case_id: int, source: str, target: str) -> None:
        with self.database.session() as session:
            case = session.get(Case, case_id)
            assert case is not None
            if case.translation_status != NEEDS_INTERPRETER or not case.needs_interpreter:
                case.needs_interpreter = True
                case.translation_status = NEEDS_INTERPRETER
                audit.record(
                    session,
                    actor="translator",
                    action="case.needs_interpreter",
                    case_id=case_id,
                    summary={"from": source, "to": target, "reason": "no translation package installed"},
                )
            session.commit()
        log.info("case %s needs an interpreter: no %s->%s translation package", case_id, source, target)

    def _last_attempt(self, case_id: int) -> bool:
        with self.database.session() as session:
            job = session.scalars(
                select(Job)
                .where(Job.kind.in_(("translate.case", "translate.message")), Job.state == JobState.RUNNING)
                .where(Job.payload["case_id"].as_integer() == case_id)
            ).first()
            session.rollback()
            return bool(job is not None and job.attempts >= job.max_attempts)

    def _set_status(self, case_id: int, status: str) -> None:
        with self.database.session() as session:
            case = session.get(Case, case_id)
            if case is not None:
                case.translation_status = status
                session.commit()


def translate_reply(
    engine: TranslationEngine, text: str, target: str, *, staff_language: str = STAFF_LANGUAGE
) -> TranslationResult | None:
    """Translate a staff reply into the resident's language; None when they share the staff language.

    Raises:
        NoTranslationPair: no installed package reaches the resident's language.
    """
    if target == staff_language:
        return None
    return engine.translate(text, staff_language, target)
