"""The police liaison gets exactly the referral: images without their metadata, recordings only when shared."""

import io
import wave

import pytest
from PIL import Image
from sqlalchemy import select

from app import create_app
from intake import evidence
from intake.enums import Role, Status
from intake.models import Attachment, AuditEntry, EvidenceShare
from tests.conftest import RolledBackDatabase
from tests.console.conftest import CSRF, file, move, sign_in
from tests.factories import PHOTO_COMMENT, PHOTO_MAKE, PHOTO_MODEL, photo_with_metadata
from tests.s3 import s3_endpoint, storage_env  # noqa: F401 - fixtures used by name

HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64


@pytest.fixture
def app(database, connection, keyring, tmp_path, storage_env):  # noqa: F811
    """The console, with its evidence on files and on a local S3 bucket."""
    return create_app(
        {
            "TESTING": True,
            "HEARD_INSTANCE_DIR": str(tmp_path),
            "DATABASE": RolledBackDatabase(database, connection),
            "KEYRING": keyring,
            **storage_env,
        }
    )


def _wav() -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(8000)
        sound.writeframes(b"\x01\x02" * 800)  # the caller's voice, a tenth of a second
    return out.getvalue()


def _audit(session, action, case_id):
    return list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == action, AuditEntry.case_id == case_id)
            .order_by(AuditEntry.seq)
        )
    )


def _attach(app, session, keyring, case, data, content_type, meta=None):
    stored = evidence.store(app.extensions["heard.storage"], keyring, data, content_type)
    attachment = Attachment(
        case_id=case.id,
        content_type=content_type,
        size_bytes=stored.size_bytes,
        sha256=stored.sha256,
        storage_key=stored.storage_key,
        filename="IMG_0001",
        meta=meta,
    )
    session.add(attachment)
    session.flush()
    return attachment


def _referred(session, keyring, team):
    return move(session, file(session, keyring), Status.REFERRED, assignee=team[Role.INTAKE])


def _url(case, attachment, tail=""):
    return f"/console/cases/{case.id}/attachments/{attachment.id}{tail}"


def _share(client, case, attachment, reason="The department's investigator needs the caller's exact words."):
    return client.post(_url(case, attachment, "/share"), data={"reason": reason, "csrf_token": CSRF})


@pytest.mark.parametrize(("fmt", "content_type"), [("JPEG", "image/jpeg"), ("PNG", "image/png")])
def test_a_liaison_downloads_the_photo_without_gps_camera_xmp_or_comments(
    app, client, session, keyring, team, fmt, content_type
):
    original = photo_with_metadata(fmt)
    with Image.open(io.BytesIO(original)) as sent:  # the test's photo really carries what must go
        assert sent.getexif()[0x0110] == PHOTO_MODEL and sent.getexif().get_ifd(0x8825)
    case = _referred(session, keyring, team)
    photo = _attach(app, session, keyring, case, original, content_type)

    sign_in(client, team[Role.INTAKE])
    assert client.get(_url(case, photo)).data == original  # the office keeps the original bytes

    sign_in(client, team[Role.LIAISON])
    for tail in ("", "/preview"):
        response = client.get(_url(case, photo, tail))
        assert response.status_code == 200 and response.headers["Content-Type"] == content_type
        given = response.data
        assert given != original
        for leak in (PHOTO_MAKE.encode(), PHOTO_MODEL.encode(), PHOTO_COMMENT.encode(), b"Resident-XMP", b"Exif"):
            assert leak not in given, (tail, leak)
        with Image.open(io.BytesIO(given)) as image:
            assert image.format == fmt and image.size == (64, 48)
            assert dict(image.getexif()) == {} and not image.getexif().get_ifd(0x8825)
            assert not {"exif", "xmp", "comment", "Comment", "XML:com.adobe.xmp", "icc_profile"} & set(image.info)
            image.load()
            left, right = image.convert("RGB").getpixel((5, 20)), image.convert("RGB").getpixel((58, 20))
        assert left[2] > 150 > left[0] and right[0] > 150 > right[2]  # still the same picture, the right way round
    downloads = _audit(session, "attachment.downloaded", case.id)
    assert downloads[-1].summary == {
        "attachment_id": photo.id,
        "sha256": photo.sha256,
        "copy": "metadata removed",
    }
    assert "without their location, camera or other details" in client.get(f"/console/cases/{case.id}").get_data(
        as_text=True
    )


def test_a_recording_is_invisible_to_a_liaison_until_a_supervisor_shares_it_with_a_reason(
    app, client, session, keyring, team
):
    case = _referred(session, keyring, team)
    recording = _attach(app, session, keyring, case, _wav(), "audio/wav", meta={"kind": "call recording"})
    liaison, supervisor = team[Role.LIAISON], team[Role.SUPERVISOR]

    sign_in(client, liaison)
    assert _url(case, recording) not in client.get(f"/console/cases/{case.id}").get_data(as_text=True)
    refused = client.get(_url(case, recording))
    assert refused.status_code == 404 and b"RIFF" not in refused.data
    assert _audit(session, "access.denied", case.id)[-1].summary == {
        "attempted": "download_evidence",
        "role": "liaison",
    }
    assert _audit(session, "attachment.downloaded", case.id) == []

    sign_in(client, supervisor)
    page = client.get(f"/console/cases/{case.id}").get_data(as_text=True)
    assert "Share the original" in page and "Not shared." in page
    assert _share(client, case, recording, reason="   ").status_code == 303  # no reason: nothing shared
    assert session.scalars(select(EvidenceShare)).all() == []
    assert _share(client, case, recording).status_code == 303
    (shared,) = _audit(session, "attachment.shared", case.id)
    assert shared.actor == f"staff:{supervisor.id}"
    assert shared.summary["reason"] == "The department's investigator needs the caller's exact words."
    assert shared.summary["attachment_id"] == recording.id and shared.summary["recording"] is True
    assert _share(client, case, recording).status_code == 303  # again: the one share stands, no new entry
    assert len(_audit(session, "attachment.shared", case.id)) == 1
    assert "Original shared: The department" in client.get(f"/console/cases/{case.id}").get_data(as_text=True)

    sign_in(client, liaison)
    assert _url(case, recording) in client.get(f"/console/cases/{case.id}").get_data(as_text=True)
    given = client.get(_url(case, recording))
    assert given.status_code == 200 and given.data == _wav()

    sign_in(client, supervisor)
    assert client.post(_url(case, recording, "/unshare"), data={"csrf_token": CSRF}).status_code == 303
    assert _audit(session, "attachment.share_revoked", case.id)[-1].summary["attachment_id"] == recording.id
    sign_in(client, liaison)
    assert client.get(_url(case, recording)).status_code == 404
    assert _url(case, recording) not in client.get(f"/console/cases/{case.id}").get_data(as_text=True)


def test_an_image_heard_cannot_re_encode_is_withheld_unless_its_original_is_shared(app, client, session, keyring, team):
    case = _referred(session, keyring, team)
    heic = _attach(app, session, keyring, case, HEIC, "image/heic")
    broken = _attach(app, session, keyring, case, b"\xff\xd8\xff\xe0 not really a JPEG, GPS 37.9N", "image/jpeg")
    sign_in(client, team[Role.LIAISON])
    assert client.get(_url(case, heic)).status_code == 404
    # Recorded as a JPEG, but Pillow cannot decode it: nothing is handed out, the original least of all.
    failed = client.get(_url(case, broken))
    assert failed.status_code == 404 and b"GPS" not in failed.data
    assert _audit(session, "attachment.downloaded", case.id) == []

    sign_in(client, team[Role.SUPERVISOR])
    assert _share(client, case, heic, reason="Detective asked for the original HEIC file.").status_code == 303
    sign_in(client, team[Role.LIAISON])
    assert client.get(_url(case, heic)).data == HEIC


@pytest.mark.parametrize("role", [Role.LIAISON, Role.INTAKE, Role.AUDITOR])
def test_only_a_supervisor_shares_or_revokes(app, client, session, keyring, team, role):
    case = _referred(session, keyring, team)
    recording = _attach(app, session, keyring, case, _wav(), "audio/wav", meta={"kind": "call recording"})
    sign_in(client, team[role])
    denied = len(_audit(session, "access.denied", case.id))
    assert _share(client, case, recording).status_code == 403
    assert client.post(_url(case, recording, "/unshare"), data={"csrf_token": CSRF}).status_code == 403
    assert session.scalars(select(EvidenceShare)).all() == []
    assert len(_audit(session, "access.denied", case.id)) == denied + 2
    assert "Share the original" not in client.get(f"/console/cases/{case.id}").get_data(as_text=True)


def test_sharing_as_an_outsider_would_try_it(app, client, session, keyring, team):
    case = _referred(session, keyring, team)
    other = move(session, file(session, keyring), Status.INVESTIGATING, assignee=team[Role.INTAKE])
    recording = _attach(app, session, keyring, case, _wav(), "audio/wav", meta={"kind": "call recording"})
    elsewhere = _attach(app, session, keyring, other, _wav() + b"\x00", "audio/wav")
    # Signed out: refused (no session, so no CSRF token either), nothing shared.
    response = _share(client, case, recording)
    assert response.status_code == 400 or response.headers["Location"].endswith("/console/login")
    assert session.scalars(select(EvidenceShare)).all() == []
    sign_in(client, team[Role.SUPERVISOR])
    # A forged form without the CSRF token.
    forged = client.post(_url(case, recording, "/share"), data={"reason": "forged"})
    assert forged.status_code in (400, 403)
    # Another case's file through this case's address; an id no database holds.
    assert _share(client, case, elsewhere).status_code == 404
    assert (
        client.post(f"/console/cases/{case.id}/attachments/{10**22}/share", data={"csrf_token": CSRF}).status_code
        == 404
    )
    # A reason too long, or made of control characters only.
    assert _share(client, case, recording, reason="x" * 501).status_code == 303
    assert _share(client, case, recording, reason="\x00\x00").status_code in (303, 400)  # never a 5xx
    assert session.scalars(select(EvidenceShare)).all() == []
    # Shared on a case that is not referred: the liaison still cannot reach it.
    assert _share(client, other, elsewhere, reason="ready for when it is referred").status_code == 303
    sign_in(client, team[Role.LIAISON])
    assert client.get(_url(other, elsewhere)).status_code == 404
    assert client.get(_url(case, elsewhere)).status_code == 404


def test_a_referral_records_which_files_go_re_encoded_and_which_are_withheld(app, session, keyring, team):
    from intake import triage

    case = move(session, file(session, keyring), Status.INVESTIGATING, assignee=team[Role.INTAKE])
    photo = _attach(app, session, keyring, case, photo_with_metadata("JPEG"), "image/jpeg")
    recording = _attach(app, session, keyring, case, _wav(), "audio/wav", meta={"kind": "call recording"})
    heic = _attach(app, session, keyring, case, HEIC, "image/heic")
    triage.share_with_liaison(
        session, viewer=team[Role.SUPERVISOR], case_id=case.id, attachment_id=heic.id, reason="asked for it"
    )
    triage.change_status(session, viewer=team[Role.SUPERVISOR], case_id=case.id, to=Status.REFERRED)
    summary = _audit(session, "case.referred", case.id)[-1].summary
    assert summary["shared_attachments"] == [photo.sha256, heic.sha256]
    assert summary["metadata_removed"] == [photo.sha256]
    assert summary["withheld_attachments"] == [recording.sha256]
