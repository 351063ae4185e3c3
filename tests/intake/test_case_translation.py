"""Residents' words translated in the background with the real fixture models, on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, update

from intake import jobs
from intake.cases import filing as complaints
from intake.db import Database, utcnow
from intake.enums import Channel, JobState
from intake.models import AuditEntry, Case, Job, Translation
from intake.translation import cases as case_translation
from intake.translation.cases import CaseTranslator
from intake.translation.engine import TranslationEngine, TranslationSettings, install_package

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "argos"


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> TranslationEngine:
    settings = TranslationSettings.from_env({}, tmp_path_factory.mktemp("translation-instance"))
    install_package(settings, FIXTURES / "translate-es_en-tiny.argosmodel")
    install_package(settings, FIXTURES / "translate-en_es-tiny.argosmodel")
    return TranslationEngine(settings)


@pytest.fixture
def db(fresh_database_url: str) -> Iterator[Database]:
    database = Database(fresh_database_url)
    yield database
    database.dispose()


def _file(db: Database, keyring, language: str, narrative: str, **fields: str) -> int:  # type: ignore[no-untyped-def]
    with db.session() as s:
        submission = complaints.parse_submission(
            {
                "kind": "complaint",
                "channel": "sms",
                "language": language,
                "narrative": narrative,
                "anonymous": True,
                **fields,
            }
        )
        case, _ = complaints.file_case(s, keyring=keyring, submission=submission, actor="test")
        s.commit()
        return case.id


def _run(db: Database, engine: TranslationEngine) -> None:
    with db.session() as s:
        s.execute(update(Job).where(Job.state == JobState.QUEUED).values(run_after=utcnow()))
        s.commit()
    jobs.run_ready(db, CaseTranslator(database=db, engine=engine).handlers())


def test_a_spanish_case_is_translated_beside_its_original_and_labelled(db, keyring, engine):
    case_id = _file(
        db, keyring, "es", "El oficial me empujó. Se llevaron mi teléfono.", location="Fue cerca de la escuela."
    )
    with db.session() as s:
        assert s.get(Case, case_id).translation_status == "pending"
    _run(db, engine)
    with db.session() as s:
        case = s.get(Case, case_id)
        assert case.translation_status == "done" and case.needs_interpreter is False
        assert case.narrative == "El oficial me empujó. Se llevaron mi teléfono."  # the original stays the record
        made = {t.field: t for t in case_translation.translations_of(s, case_id=case_id)}
        assert made["narrative"].text == "The officer pushed me. They took my phone."
        assert made["location"].text == "It was near the school."
        assert made["narrative"].engine == "argos" and made["narrative"].models == ["translate-es_en 0.1"]
        assert made["narrative"].source_digest == case_translation.digest(case.narrative)
        assert s.scalars(select(AuditEntry).where(AuditEntry.action == "case.translated")).one()


def test_a_language_without_a_package_routes_the_case_to_an_interpreter(db, keyring, engine):
    case_id = _file(db, keyring, "vi", "Cảnh sát đã xô tôi.")
    _run(db, engine)
    with db.session() as s:
        case = s.get(Case, case_id)
        assert case.needs_interpreter is True and case.translation_status == "needs_interpreter"
        assert s.scalars(select(Translation)).all() == []
        assert s.scalars(select(AuditEntry).where(AuditEntry.action == "case.needs_interpreter")).one()
        job = s.scalars(select(Job).where(Job.kind == "translate.case")).one()
        assert job.state == JobState.DONE  # handled, not failing forever


def test_an_english_case_needs_no_translation(db, keyring):
    case_id = _file(db, keyring, "en", "The officer pushed me.")
    with db.session() as s:
        assert s.get(Case, case_id).translation_status is None
        assert s.scalars(select(Job).where(Job.kind.like("translate.%"))).all() == []


def test_added_words_and_corrections_are_translated_too(db, keyring, engine):
    case_id = _file(db, keyring, "es", "El oficial me empujó.")
    _run(db, engine)
    with db.session() as s:
        case = s.get(Case, case_id)
        complaints.add_information(s, case=case, text="Uno de ellos me insultó.", channel=Channel.SMS, actor="test")
        complaints.correct_case(
            s,
            case=case,
            changes={"narrative": "Había dos oficiales."},
            actor="staff:1",
            reason="the resident corrected it",
        )
        s.commit()
    _run(db, engine)
    with db.session() as s:
        texts = {(t.field, t.text) for t in case_translation.translations_of(s, case_id=case_id)}
        assert ("message", "One of them insulted me.") in texts
        assert ("narrative", "There were two officers.") in texts
        assert ("narrative", "The officer pushed me.") in texts  # the old one stays, marked by its digest


def test_a_failing_engine_is_retried_and_ends_visibly_failed(db, keyring, engine, monkeypatch):
    case_id = _file(db, keyring, "es", "El oficial me empujó.")

    def broken(*_args, **_kwargs):
        raise RuntimeError("the model file is damaged")

    monkeypatch.setattr(engine, "translate", broken)
    with db.session() as s:
        s.execute(update(Job).values(max_attempts=2))
        s.commit()
    _run(db, engine)
    _run(db, engine)
    with db.session() as s:
        job = s.scalars(select(Job).where(Job.kind == "translate.case")).one()
        assert job.state == JobState.DEAD and "damaged" in job.last_error and job.attempts == 2
        assert s.get(Case, case_id).translation_status == "failed"
