"""Image previews: shown inline to staff only when the bytes are an image, with headers that keep them inert."""

from pathlib import Path

import pytest
from sqlalchemy import select

from intake import evidence
from intake.enums import Role, Status
from intake.models import Attachment, AuditEntry
from intake.storage import FolderStorage
from tests.console.conftest import file, move, sign_in
from tests.factories import photo_with_metadata

IMAGES = {
    "image/jpeg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32,
    "image/png": b"\x89PNG\r\n\x1a\n" + b"\x00" * 32,
    "image/gif": b"GIF89a" + b"\x00" * 32,
    "image/webp": b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 32,
}
PDF = b"%PDF-1.4\n" + b"\x00" * 32


def _audit(session, action, case_id):
    return list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == action, AuditEntry.case_id == case_id)
            .order_by(AuditEntry.seq)
        )
    )


def _store(app, session, keyring, case, data, content_type):
    stored = evidence.store(FolderStorage(Path(app.instance_path)), keyring, data, content_type)
    attachment = Attachment(
        case_id=case.id,
        content_type=content_type,
        size_bytes=stored.size_bytes,
        sha256=stored.sha256,
        storage_key=stored.storage_key,
        filename="photo.html",
    )
    session.add(attachment)
    session.flush()
    return attachment


def _preview_url(case, attachment):
    return f"/console/cases/{case.id}/attachments/{attachment.id}/preview"


@pytest.mark.parametrize("content_type", sorted(IMAGES))
def test_an_image_is_previewed_inline_with_headers_that_keep_it_inert(
    app, client, session, keyring, team, content_type
):
    case = file(session, keyring)
    attachment = _store(app, session, keyring, case, IMAGES[content_type], content_type)
    sign_in(client, team[Role.INTAKE])
    page = client.get(f"/console/cases/{case.id}").get_data(as_text=True)
    assert f'<img class="evidence-preview" src="{_preview_url(case, attachment)}"' in page

    response = client.get(_preview_url(case, attachment))

    assert response.status_code == 200 and response.data == IMAGES[content_type]
    assert response.headers["Content-Type"] == content_type
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("inline;") and "photo.html" not in disposition
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    policy = {d.split()[0]: d.split()[1:] for d in response.headers["Content-Security-Policy"].split("; ")}
    assert policy["default-src"] == ["'none'"] and policy["img-src"] == ["'self'"]
    assert "script-src" not in policy and "style-src" not in policy and "sandbox" in policy
    previewed = _audit(session, "attachment.previewed", case.id)
    assert [e.summary for e in previewed] == [{"attachment_id": attachment.id, "sha256": attachment.sha256}]
    assert previewed[0].actor == f"staff:{team[Role.INTAKE].id}"
    assert _audit(session, "attachment.downloaded", case.id) == []


def test_other_files_are_not_previewed_and_still_download_as_attachments(app, client, session, keyring, team):
    case = file(session, keyring)
    pdf = _store(app, session, keyring, case, PDF, "application/pdf")
    sign_in(client, team[Role.SUPERVISOR])
    page = client.get(f"/console/cases/{case.id}").get_data(as_text=True)
    assert _preview_url(case, pdf) not in page and "Download to view" in page
    assert client.get(_preview_url(case, pdf)).status_code == 404
    assert _audit(session, "attachment.previewed", case.id) == []
    download = client.get(f"/console/cases/{case.id}/attachments/{pdf.id}")
    assert download.status_code == 200 and download.headers["Content-Disposition"].startswith("attachment;")
    assert _audit(session, "attachment.downloaded", case.id)[-1].summary["sha256"] == pdf.sha256


def test_a_file_recorded_as_an_image_whose_bytes_are_not_one_is_never_shown_inline(app, client, session, keyring, team):
    case = file(session, keyring)
    # Stored before the sniffing knew better, or declared by the sender: the bytes are HTML.
    fake = _store(app, session, keyring, case, b"<html><script>alert(1)</script></html>", "image/png")
    sign_in(client, team[Role.INTAKE])
    response = client.get(_preview_url(case, fake))
    assert response.status_code == 404 and b"<script>" not in response.data
    assert _audit(session, "attachment.previewed", case.id) == []  # nothing was shown, nothing is recorded
    download = client.get(f"/console/cases/{case.id}/attachments/{fake.id}")
    assert download.headers["Content-Disposition"].startswith("attachment;")


def test_a_liaison_previews_images_of_referred_cases_only(app, client, session, keyring, team):
    hidden = move(session, file(session, keyring), Status.INVESTIGATING, assignee=team[Role.INTAKE])
    referred = move(session, file(session, keyring), Status.REFERRED, assignee=team[Role.INTAKE])
    hidden_image = _store(app, session, keyring, hidden, IMAGES["image/png"], "image/png")
    referred_image = _store(app, session, keyring, referred, photo_with_metadata("JPEG"), "image/jpeg")
    sign_in(client, team[Role.LIAISON])
    assert client.get(_preview_url(hidden, hidden_image)).status_code == 404
    assert _audit(session, "access.denied", hidden.id)[-1].summary == {
        "attempted": "download_evidence",
        "role": "liaison",
    }
    assert _audit(session, "attachment.previewed", hidden.id) == []
    # Nor through a referred case's address.
    assert client.get(_preview_url(referred, hidden_image)).status_code == 404
    assert client.get(_preview_url(referred, referred_image)).status_code == 200
    assert _audit(session, "attachment.previewed", referred.id)[-1].actor == f"staff:{team[Role.LIAISON].id}"


def test_a_preview_needs_a_sign_in(app, client, session, keyring):
    case = file(session, keyring)
    attachment = _store(app, session, keyring, case, IMAGES["image/png"], "image/png")
    response = client.get(_preview_url(case, attachment))
    assert response.status_code == 303 and response.headers["Location"].endswith("/console/login")
    assert IMAGES["image/png"] not in response.data
