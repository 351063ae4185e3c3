"""A legal hold from the case page: a supervisor's alone, with a reason, audited, shown on the case."""

from sqlalchemy import select

from intake.enums import Role
from intake.models import AuditEntry, Case
from tests.console.conftest import CSRF, file, sign_in


def _actions(session, case_id):
    query = select(AuditEntry).where(AuditEntry.case_id == case_id).order_by(AuditEntry.seq)
    return [(e.action, e.summary.get("reason")) for e in session.scalars(query) if e.action.startswith("case.hold")]


def test_a_supervisor_sets_and_lifts_a_legal_hold_with_a_reason_and_the_page_says_so(client, session, keyring, team):
    case = file(session, keyring)
    sign_in(client, team[Role.SUPERVISOR])
    page = client.get(f"/console/cases/{case.id}").get_data(as_text=True)
    assert f'action="/console/cases/{case.id}/legal-hold"' in page and "Put on legal hold" in page
    missing = client.post(
        f"/console/cases/{case.id}/legal-hold", data={"hold": "set", "reason": " ", "csrf_token": CSRF}
    )
    assert "A legal hold needs a reason." in client.get(missing.headers["Location"]).get_data(as_text=True)
    assert session.get(Case, case.id).legal_hold_reason is None
    response = client.post(
        f"/console/cases/{case.id}/legal-hold",
        data={"hold": "set", "reason": "Public records request PRR-2026-41", "csrf_token": CSRF},
    )
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "On legal hold: never purged by the retention schedule" in page
    assert "Public records request PRR-2026-41" in page and "Lift the legal hold" in page
    again = client.post(
        f"/console/cases/{case.id}/legal-hold", data={"hold": "set", "reason": "Another reason", "csrf_token": CSRF}
    )
    assert "already on legal hold" in client.get(again.headers["Location"]).get_data(as_text=True)
    assert session.get(Case, case.id).legal_hold_reason == "Public records request PRR-2026-41"  # the first stands
    client.post(
        f"/console/cases/{case.id}/legal-hold", data={"hold": "clear", "reason": "Request closed", "csrf_token": CSRF}
    )
    assert session.get(Case, case.id).legal_hold_reason is None
    assert _actions(session, case.id) == [
        ("case.hold_set", "Public records request PRR-2026-41"),
        ("case.hold_cleared", "Request closed"),
    ]


def test_intake_staff_neither_see_the_hold_form_nor_may_post_it(client, session, keyring, team):
    case = file(session, keyring)
    sign_in(client, team[Role.INTAKE])
    page = client.get(f"/console/cases/{case.id}").get_data(as_text=True)
    assert "/legal-hold" not in page
    response = client.post(
        f"/console/cases/{case.id}/legal-hold", data={"hold": "set", "reason": "mine", "csrf_token": CSRF}
    )
    assert response.status_code == 403
    assert session.get(Case, case.id).legal_hold_reason is None
    denied = session.scalars(select(AuditEntry).where(AuditEntry.action == "access.denied")).all()
    assert [e.summary["attempted"] for e in denied] == ["legal_hold"]


def test_a_purged_case_says_what_was_removed_and_offers_no_file_to_download(client, session, keyring, team, tmp_path):
    from intake import evidence
    from intake.db import utcnow
    from intake.models import Attachment
    from intake.retention.cases import Stores, _purge_content
    from intake.storage import FolderStorage

    case = file(session, keyring, narrative="Words that the schedule removes")
    storage = FolderStorage(tmp_path)
    stored = evidence.store(storage, keyring, b"%PDF-1.4 evidence", "application/pdf")
    attachment = Attachment(case_id=case.id, content_type="application/pdf", size_bytes=17, sha256=stored.sha256,
                            storage_key=stored.storage_key)  # fmt: skip
    session.add(attachment)
    session.flush()
    sign_in(client, team[Role.SUPERVISOR])
    assert f"/attachments/{attachment.id}" in client.get(f"/console/cases/{case.id}").get_data(as_text=True)
    _purge_content(session, case, Stores(storage, keyring), False)
    assert not storage.exists(stored.storage_key)
    case.content_purged_at = utcnow()
    page = client.get(f"/console/cases/{case.id}").get_data(as_text=True)
    assert "were removed on schedule" in page and "Words that the schedule removes" not in page
    assert f"/attachments/{attachment.id}" not in page
    assert client.get(f"/console/cases/{case.id}/attachments/{attachment.id}").status_code == 404
