"""A supervisor's export or erasure of one resident's data (issue 17, item 3): reasons, roles, audit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from intake import audit, evidence
from intake.enums import Language, Role, Status
from intake.models import Attachment, AuditEntry, Contact, EvidenceShare, Message, Translation
from intake.storage import FolderStorage
from tests.console.conftest import CSRF, file, move, sign_in, sms_case


def _with_file(session, keyring, case, tmp_path: Path) -> Attachment:  # type: ignore[no-untyped-def]
    stored = evidence.store(FolderStorage(tmp_path), keyring, b"%PDF-1.4\n" + b"x" * 512, "application/pdf")
    attachment = Attachment(
        case_id=case.id,
        content_type="application/pdf",
        size_bytes=stored.size_bytes,
        sha256=stored.sha256,
        storage_key=stored.storage_key,
        filename="denuncia.pdf",
    )
    session.add(attachment)
    session.flush()
    return attachment


def test_a_supervisor_exports_one_residents_data_with_a_reason(client, session, keyring, team, tmp_path):
    case, _ = sms_case(session, keyring)
    _with_file(session, keyring, case, tmp_path)
    sign_in(client, team[Role.SUPERVISOR])
    refused = client.post(f"/console/cases/{case.id}/resident-data/export", data={"csrf_token": CSRF, "reason": " "})
    assert refused.status_code == 303  # no reason: back to the case, nothing exported
    assert not session.scalars(select(AuditEntry).where(AuditEntry.action == "case.resident_data_exported")).all()

    answer = client.post(
        f"/console/cases/{case.id}/resident-data/export",
        data={"csrf_token": CSRF, "reason": "Subject access request received by mail"},
    )
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    assert "attachment" in answer.headers["Content-Disposition"]
    data = json.loads(answer.get_data(as_text=True))
    assert data["contact"]["name"] == "María López" and data["contact"]["email"] == "maria@example.org"
    assert data["words"]["narrative"].startswith("El oficial me empujó")
    assert any(m["text"] == "Hola, quiero poner una queja" and m["from_resident"] for m in data["transcript"])
    assert data["files"][0]["name"] == "denuncia.pdf" and data["files"][0]["size_bytes"] > 0
    assert data["history"][0]["status"] == "received"
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "case.resident_data_exported")).one()
    assert entry.case_id == case.id and entry.summary["reason"] == "Subject access request received by mail"
    assert "María" not in json.dumps(entry.summary)  # the audit log keeps the reason, never the data


@pytest.mark.parametrize("role", [Role.INTAKE, Role.AUDITOR, Role.LIAISON])
def test_other_roles_may_neither_export_nor_erase(client, session, keyring, team, role):
    case = file(session, keyring)
    if role is Role.LIAISON:
        move(session, case, Status.REFERRED, assignee=team[Role.INTAKE])
    sign_in(client, team[role])
    # Refused whatever the form holds: with a reason and the tick, or neither (and each refusal audited).
    tries = [("export", {"reason": "asked"}), ("erase", {"reason": "asked", "confirm": "yes"}),
             ("export", {"reason": " "}), ("erase", {"reason": ""})]  # fmt: skip
    for path, form in tries:
        answer = client.post(f"/console/cases/{case.id}/resident-data/{path}", data={"csrf_token": CSRF, **form})
        assert answer.status_code == 403, (role, path, form)
    session.expire_all()
    assert session.get(Contact, case.id).name_token is not None
    assert session.get(type(case), case.id).narrative.startswith("El oficial")
    denied = session.scalars(select(AuditEntry).where(AuditEntry.action == "access.denied")).all()
    attempts = sorted(e.summary["attempted"] for e in denied)
    assert attempts == sorted(["export_resident_data", "erase_resident_data"] * 2), attempts
    assert not session.scalars(
        select(AuditEntry).where(AuditEntry.action.in_(["case.resident_data_exported", "case.resident_data_erased"]))
    ).all()


def test_a_signed_out_visitor_is_sent_to_sign_in(client, session, keyring):
    case = file(session, keyring)
    with client.session_transaction() as s:
        s["csrf"] = CSRF
    answer = client.post(f"/console/cases/{case.id}/resident-data/export", data={"csrf_token": CSRF, "reason": "x"})
    assert answer.status_code == 303 and "/console/login" in answer.headers["Location"]


def test_a_supervisor_erases_one_residents_data_confirmed_and_audited(client, session, keyring, team, tmp_path):
    case, _ = sms_case(session, keyring)
    attachment = _with_file(session, keyring, case, tmp_path)
    stored_file = tmp_path / attachment.storage_key
    assert stored_file.exists()
    session.add(
        Translation(
            key=f"{case.id}:narrative",
            case_id=case.id,
            field="narrative",
            source_language=Language.ES,
            target_language=Language.EN,
            source_digest="0" * 64,
            text="The officer pushed me",
            engine="argos",
            models=[],
        )
    )
    session.flush()
    sign_in(client, team[Role.SUPERVISOR])
    unconfirmed = client.post(
        f"/console/cases/{case.id}/resident-data/erase", data={"csrf_token": CSRF, "reason": "Asked by phone"}
    )
    assert unconfirmed.status_code == 303
    session.expire_all()
    assert session.get(Contact, case.id).name_token is not None  # nothing went without the tick

    done = client.post(
        f"/console/cases/{case.id}/resident-data/erase",
        data={"csrf_token": CSRF, "reason": "Asked by phone", "confirm": "yes"},
    )
    assert done.status_code == 303
    session.expire_all()
    erased = session.get(type(case), case.id)
    assert "empujó" not in erased.narrative and erased.location is None and erased.officers is None
    assert erased.kind.value == "complaint" and erased.language.value == "es"  # the de-identified record stays
    contact = session.get(Contact, case.id)
    assert contact.name_token is None and contact.phone_token is None and contact.email_token is None
    bodies = [m.body for m in session.scalars(select(Message).where(Message.case_id == case.id))]
    assert "Hola, quiero poner una queja" not in " ".join(bodies)
    assert not stored_file.exists()
    kept = session.scalars(select(Attachment).where(Attachment.case_id == case.id)).one()  # its receipt stays
    assert kept.storage_key == "" and kept.filename is None and kept.sha256 == attachment.sha256
    assert erased.record_quality is not None  # the board keeps the completeness the words had
    # A translation keeps its row without its text, so the board still counts the case as translated.
    assert [t.text for t in session.scalars(select(Translation).where(Translation.case_id == case.id))] == [""]
    again = client.post(
        f"/console/cases/{case.id}/resident-data/erase",
        data={"csrf_token": CSRF, "reason": "Asked again", "confirm": "yes"},
    )
    assert again.status_code == 303  # erased before: nothing left, nothing audited again
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "case.resident_data_erased")).one()
    assert entry.summary["reason"] == "Asked by phone" and entry.summary["files"] == 1
    assert audit.verify_chain(session).ok


def _erase(client, case_id):  # type: ignore[no-untyped-def]
    return client.post(
        f"/console/cases/{case_id}/resident-data/erase",
        data={"csrf_token": CSRF, "reason": "Asked in writing", "confirm": "yes"},
    )


def test_erasing_one_case_keeps_the_same_file_another_case_holds(client, session, keyring, team, tmp_path):
    erased_case, _ = sms_case(session, keyring)
    other_case, _ = sms_case(session, keyring, phone="+12095550199")
    mine = _with_file(session, keyring, erased_case, tmp_path)
    theirs = _with_file(session, keyring, other_case, tmp_path)  # the same bytes: stored once
    assert mine.storage_key == theirs.storage_key
    sign_in(client, team[Role.SUPERVISOR])
    assert _erase(client, erased_case.id).status_code == 303
    assert (tmp_path / theirs.storage_key).exists()
    page = client.get(f"/console/cases/{other_case.id}/attachments/{theirs.id}")
    assert page.status_code == 200 and page.data.startswith(b"%PDF")


def test_erasing_a_case_whose_file_was_shared_with_the_liaison_answers_and_removes_the_file(
    client, session, keyring, team, tmp_path
):
    case, _ = sms_case(session, keyring)
    attachment = _with_file(session, keyring, case, tmp_path)
    stored_file = tmp_path / attachment.storage_key
    session.add(EvidenceShare(attachment_id=attachment.id, shared_by=team[Role.SUPERVISOR].id, reason="referral"))
    session.flush()
    sign_in(client, team[Role.SUPERVISOR])
    assert _erase(client, case.id).status_code == 303
    assert not stored_file.exists()
    assert session.scalars(select(AuditEntry).where(AuditEntry.action == "case.resident_data_erased")).one()


def test_a_case_on_legal_hold_is_not_erased(client, session, keyring, team, tmp_path):
    case, _ = sms_case(session, keyring)
    stored_file = tmp_path / _with_file(session, keyring, case, tmp_path).storage_key
    sign_in(client, team[Role.SUPERVISOR])
    held = client.post(
        f"/console/cases/{case.id}/legal-hold", data={"hold": "set", "reason": "Doe v. City", "csrf_token": CSRF}
    )
    assert held.status_code == 303
    refused = _erase(client, case.id)
    assert refused.status_code == 303
    assert "legal hold" in client.get(refused.headers["Location"]).get_data(as_text=True)
    case = session.get(type(case), case.id)
    assert case.narrative.startswith("El oficial me empujó") and stored_file.exists()
    assert session.get(Contact, case.id).name_token is not None
    assert not session.scalars(select(AuditEntry).where(AuditEntry.action == "case.resident_data_erased")).all()
