"""Finishing on the web a report begun by text: the internal API makes the code, /report/resume opens it."""

from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import func, select

from intake.models import Case, ResumeCode

ANSWERS = {
    "kind": "complaint",
    "narrative": "El oficial me empujó contra el carro.",
    "when_text": "el sábado en la noche",
    "location": "Calle Main y Weber",
}


@pytest.fixture
def auth(keyring):
    return {"Authorization": f"Bearer {keyring.internal_token}"}


def _code_request(draft_id="draft-web-1", language="es", **extra):
    return {
        "conversation_id": "conv-abc",
        "draft_id": draft_id,
        "language": language,
        "answers": ANSWERS,
        **extra,
    }


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html[:300]
    return found.group(1)


def _main(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html[html.index("<main") :])))


def _enter(client, code: str, lang: str = "en"):
    page = client.get(f"/report/resume?lang={lang}")
    assert page.status_code == 200
    return client.post("/report/resume", data={"csrf": _csrf(page.get_data(as_text=True)), "lang": lang, "code": code})


def test_the_bot_gets_a_code_and_the_address_for_the_draft(client, auth, session):
    answer = client.post("/internal/v1/resume-codes", json=_code_request(), headers=auth)
    assert answer.status_code == 201
    body = answer.get_json()
    assert re.fullmatch(r"[2-9A-Z]{4}-[2-9A-Z]{4}", body["code"])
    assert body["url"].endswith("/report/resume?lang=es")
    row = session.scalars(select(ResumeCode)).one()
    assert row.draft_id == "draft-web-1" and "empujó" not in (row.sealed_answers or "")


def test_the_code_api_needs_the_token_and_refuses_bad_answers(client, auth):
    assert client.post("/internal/v1/resume-codes", json=_code_request()).status_code == 401
    bad = client.post("/internal/v1/resume-codes", json=_code_request(answers={"narrative": 5}), headers=auth)
    assert bad.status_code == 422
    no_draft = client.post("/internal/v1/resume-codes", json=_code_request(draft_id=""), headers=auth)
    assert no_draft.status_code == 422
    language = client.post("/internal/v1/resume-codes", json=_code_request(language="xx"), headers=auth)
    assert language.status_code == 422


def test_the_code_opens_the_form_with_the_answers_in_the_residents_language_and_files_once(client, auth, session):
    code = client.post("/internal/v1/resume-codes", json=_code_request(), headers=auth).get_json()["code"]
    opened = _enter(client, code.replace("-", " ").lower())
    assert opened.status_code == 303
    assert opened.headers["Location"].startswith("/report/officers") and "lang=es" in opened.headers["Location"]
    page = client.get("/report/where?lang=es").get_data(as_text=True)
    assert "Calle Main y Weber" in page and '<html lang="es"' in page
    asked = client.get("/report/anonymous?lang=es").get_data(as_text=True)
    client.post("/report/anonymous", data={"csrf": _csrf(asked), "lang": "es", "anonymous": "yes"})
    review = client.get("/report/review?lang=es").get_data(as_text=True)
    text = _main(review)
    assert "El oficial me empujó contra el carro." in text and "el sábado en la noche" in text
    done = client.post("/report/review", data={"csrf": _csrf(review), "lang": "es"})
    assert done.status_code == 200, _main(done.get_data(as_text=True))[:300]
    case = session.scalars(select(Case)).one()
    assert case.language.value == "es" and case.channel.value == "web_form"
    # The text dialogue finishes the same draft afterwards: it is told, and nothing more is filed.
    late = {
        "draft_id": "draft-web-1",
        "conversation_id": "conv-abc",
        "kind": "complaint",
        "channel": "sms",
        "language": "es",
        "narrative": "El oficial me empujó contra el carro.",
        "anonymous": True,
    }
    again = client.post("/internal/v1/cases", json=late, headers=auth)
    assert again.status_code == 409 and again.get_json()["error"] == "finished_on_web"
    assert session.scalar(select(func.count()).select_from(Case)) == 1
    # A code for a filed draft is refused.
    refused = client.post("/internal/v1/resume-codes", json=_code_request(), headers=auth)
    assert refused.status_code == 409


def test_a_used_code_is_told_in_the_page_language(client, auth):
    code = client.post("/internal/v1/resume-codes", json=_code_request(), headers=auth).get_json()["code"]
    assert _enter(client, code).status_code == 303
    client.delete_cookie("heard_web")
    again = _enter(client, code, lang="es")
    assert again.status_code == 422
    assert "Este código ya se usó." in _main(again.get_data(as_text=True))


def test_a_code_never_used_changes_nothing_and_the_text_draft_files(client, auth, session):
    client.post("/internal/v1/resume-codes", json=_code_request(), headers=auth)
    filed = client.post(
        "/internal/v1/cases",
        json={
            "draft_id": "draft-web-1",
            "conversation_id": "conv-abc",
            "kind": "complaint",
            "channel": "sms",
            "language": "es",
            "narrative": "El oficial me empujó contra el carro.",
            "anonymous": True,
        },
        headers=auth,
    )
    assert filed.status_code == 201
    assert session.scalar(select(func.count()).select_from(Case)) == 1


def test_wrong_codes_are_told_and_counted_toward_a_limit(client):
    answers = [_enter(client, "WRONG-C0DE", lang="vi") for _ in range(10)]
    assert all(a.status_code == 422 for a in answers)
    assert "Mã này không mở được báo cáo nào." in _main(answers[0].get_data(as_text=True))
    assert _enter(client, "ANOTHER1", lang="vi").status_code == 429


def test_issuing_using_and_refusing_a_code_are_audited_without_the_code_or_the_answers(client, auth, session):
    from intake import audit
    from intake.models import AuditEntry

    code = client.post("/internal/v1/resume-codes", json=_code_request(), headers=auth).get_json()["code"]
    assert _enter(client, code).status_code == 303
    client.delete_cookie("heard_web")
    assert _enter(client, code).status_code == 422
    entries = list(
        session.scalars(select(AuditEntry).where(AuditEntry.action.like("resume.%")).order_by(AuditEntry.seq))
    )
    assert [e.action for e in entries] == ["resume.code_issued", "resume.code_used", "resume.code_refused"]
    assert entries[2].summary["reason"] == "used"
    assert len({e.summary["resume_code_id"] for e in entries}) == 1
    kept = repr([e.summary for e in entries])
    assert code.replace("-", "") not in kept.replace("-", "") and "empujó" not in kept
    assert audit.verify_chain(session).ok


def test_photos_sent_by_text_before_web_join_the_case_filed_on_the_web(client, auth, session):
    from intake.models import Attachment, AuditEntry

    photo = Attachment(
        conversation_id="conv-abc",  # sent by MMS in the text conversation, before WEB
        content_type="image/jpeg",
        size_bytes=10,
        sha256="0" * 64,
        storage_key="evidence/photo-1",
    )
    other = Attachment(
        conversation_id="conv-someone-else", content_type="image/jpeg", size_bytes=10, sha256="1" * 64, storage_key="x"
    )
    session.add_all([photo, other])
    session.flush()
    code = client.post("/internal/v1/resume-codes", json=_code_request(), headers=auth).get_json()["code"]
    assert _enter(client, code).status_code == 303
    asked = client.get("/report/anonymous?lang=es").get_data(as_text=True)
    client.post("/report/anonymous", data={"csrf": _csrf(asked), "lang": "es", "anonymous": "yes"})
    review = client.get("/report/review?lang=es").get_data(as_text=True)
    assert client.post("/report/review", data={"csrf": _csrf(review), "lang": "es"}).status_code == 200
    case = session.scalars(select(Case)).one()
    session.refresh(photo)
    session.refresh(other)
    assert photo.case_id == case.id and other.case_id is None
    joined = session.scalars(select(AuditEntry).where(AuditEntry.action == "case.evidence_joined")).one()
    assert joined.case_id == case.id and joined.summary["attachments"] == 1
