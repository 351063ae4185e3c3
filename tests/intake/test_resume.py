"""A resume code's life: made once, opens once, expires, refuses wrong codes, and is never logged."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pytest
from sqlalchemy import select

from intake.conversations import resume
from intake.models import IdempotencyKey, ResumeCode

NOW = dt.datetime(2026, 12, 5, 4, 0, tzinfo=dt.timezone.utc)
ANSWERS = {"kind": "complaint", "narrative": "El oficial me empujó.", "location": "Main y Hunter"}


def _issue(session, keyring, now=NOW, conversation_id="conv-1", draft_id="draft-1"):
    return resume.issue_code(
        session,
        keyring=keyring,
        conversation_id=conversation_id,
        draft_id=draft_id,
        language="es",
        answers=ANSWERS,
        now=now,
    )


def test_a_code_opens_its_draft_once_and_only_its_digest_and_sealed_answers_are_kept(session, keyring):
    code, expires = _issue(session, keyring)
    assert expires == NOW + resume.CODE_LIFETIME and len(code) == resume.CODE_LENGTH
    row = session.scalars(select(ResumeCode)).one()
    assert code not in row.code_digest and "empujó" not in (row.sealed_answers or "")
    opened = resume.redeem_code(session, keyring=keyring, code=resume.format_code(code).lower(), now=NOW)
    assert opened.answers == ANSWERS and opened.language == "es" and opened.draft_id == "draft-1"
    assert row.sealed_answers is None  # the web draft holds them now
    with pytest.raises(resume.ResumeRefused) as again:
        resume.redeem_code(session, keyring=keyring, code=code, now=NOW)
    assert again.value.reason == "used"


def test_a_code_expires_after_its_lifetime(session, keyring):
    code, _ = _issue(session, keyring)
    late = NOW + resume.CODE_LIFETIME
    with pytest.raises(resume.ResumeRefused) as refused:
        resume.redeem_code(session, keyring=keyring, code=code, now=late)
    assert refused.value.reason == "expired"
    opened = resume.redeem_code(session, keyring=keyring, code=code, now=late - dt.timedelta(seconds=1))
    assert opened.draft_id == "draft-1"


@pytest.mark.parametrize("typed", ["", "ABCD", "ABCD-EFGH", "🙂" * 8, "A" * 500])
def test_a_wrong_code_opens_nothing(session, keyring, typed):
    _issue(session, keyring)
    with pytest.raises(resume.ResumeRefused) as refused:
        resume.redeem_code(session, keyring=keyring, code=typed, now=NOW)
    assert refused.value.reason == "wrong"


def test_a_new_code_ends_the_one_before_and_codes_are_rate_limited(session, keyring):
    first, _ = _issue(session, keyring)
    _issue(session, keyring, now=NOW + dt.timedelta(minutes=1))
    with pytest.raises(resume.ResumeRefused) as ended:
        resume.redeem_code(session, keyring=keyring, code=first, now=NOW + dt.timedelta(minutes=2))
    assert ended.value.reason == "expired"
    third, _ = _issue(session, keyring, now=NOW + dt.timedelta(minutes=3))
    with pytest.raises(resume.ResumeRefused) as limited:
        _issue(session, keyring, now=NOW + dt.timedelta(minutes=4))
    assert limited.value.reason == "too_many"
    assert resume.redeem_code(session, keyring=keyring, code=third, now=NOW + dt.timedelta(minutes=5)).answers
    _issue(session, keyring, now=NOW + resume.ISSUE_WINDOW + dt.timedelta(minutes=4))  # an hour on, again


def test_a_draft_filed_already_cannot_be_opened(session, keyring):
    code, _ = _issue(session, keyring)
    session.add(IdempotencyKey(scope=resume.BOT_SCOPE, key="draft-1", request_digest="0" * 64))
    session.flush()
    with pytest.raises(resume.ResumeRefused) as refused:
        resume.redeem_code(session, keyring=keyring, code=code, now=NOW)
    assert refused.value.reason == "used"


def test_the_code_is_in_no_log(session, keyring, caplog):
    caplog.set_level(logging.DEBUG)
    code, _ = _issue(session, keyring)
    resume.redeem_code(session, keyring=keyring, code=code, now=NOW)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert code not in logged and resume.format_code(code) not in logged


def test_two_requests_racing_with_one_code_open_one_draft(fresh_database_url, keyring, monkeypatch):
    import threading

    from sqlalchemy.engine import make_url

    from intake.db import Database

    database = Database(fresh_database_url)
    try:
        with database.session() as s:
            code, _ = _issue(s, keyring)
            s.commit()
        start = threading.Barrier(2)
        if make_url(fresh_database_url).get_backend_name() == "postgresql":
            # Both requests have read the code before either takes it (SQLite runs them one after
            # the other: its write transactions begin immediately).
            both_read = threading.Barrier(2, timeout=10)
            decrypt = type(keyring).decrypt

            def decrypt_when_both_read(self: Any, token: str | None) -> str | None:
                both_read.wait()
                return decrypt(self, token)

            monkeypatch.setattr(type(keyring), "decrypt", decrypt_when_both_read)
        outcomes: list[str] = []

        def redeem() -> None:
            with database.session() as s:
                start.wait()
                try:
                    resume.redeem_code(s, keyring=keyring, code=code, now=NOW)
                    s.commit()
                    outcomes.append("opened")
                except resume.ResumeRefused as refused:
                    s.commit()  # the refusal is audited
                    outcomes.append(refused.reason)

        threads = [threading.Thread(target=redeem) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert sorted(outcomes) == ["opened", "used"]
    finally:
        database.dispose()
