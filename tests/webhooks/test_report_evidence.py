"""Files added on the no-JavaScript form: checked by their bytes, kept encrypted, joined to the filed case."""

from __future__ import annotations

import re
from html import unescape
from io import BytesIO
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from app import create_app
from intake import evidence
from intake.enums import Channel
from intake.models import Attachment, WebSession
from intake.storage import FolderStorage
from tests.conftest import RolledBackDatabase
from tests.webhooks.test_report import Resident, _case, _text

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 8
PDF = b"%PDF-1.7\n" + b"1 0 obj << >> endobj\n" * 20
MB = 1024 * 1024


def _upload(resident: Resident, *items: tuple[bytes, str, str], **fields: str) -> Any:
    """Post the files question as a browser does: a multipart form, the chosen files under one name."""
    files = [FileStorage(BytesIO(data), filename=name, content_type=kind) for data, name, kind in items]
    # NOTE: encoded here, in memory: the test client would spool a large body to a file it never closes.
    boundary, body = encode_multipart(
        MultiDict(
            [("csrf", resident.csrf), ("lang", resident.lang), *fields.items(), *(("evidence", f) for f in files)]
        )
    )
    return resident.client.post("/report/evidence", data=body, content_type=f"multipart/form-data; boundary={boundary}")


def _to_files_question(client: Any, lang: str) -> Resident:
    resident = Resident(client, lang)
    resident.go("kind", "/report/what", kind="complaint")
    resident.go("what", "/report/when", narrative="El agente me empujó.")
    resident.go("when", "/report/where", when_text="anoche")
    resident.go("where", "/report/officers", location="Calle Main")
    resident.go("officers", "/report/injuries", officers="placa 4471")
    resident.go("injuries", "/report/witnesses")
    resident.go("witnesses", "/report/evidence", witnesses="mi hermana")
    return resident


def _kept(session: Any, web: WebSession) -> list[Attachment]:
    return list(
        session.scalars(
            select(Attachment).where(Attachment.conversation_id == web.conversation_id).order_by(Attachment.id)
        )
    )


def _draft_session(session: Any) -> WebSession:
    return session.scalars(select(WebSession).where(WebSession.channel == Channel.WEB_FORM)).one()


@pytest.fixture
def one_mb_app(database, connection, keyring, tmp_path) -> Flask:  # type: ignore[no-untyped-def]
    """The app with a 1 MB limit per file, so that limits are tested with small bodies."""
    return create_app(
        {
            "TESTING": True,
            "HEARD_INSTANCE_DIR": str(tmp_path),
            "DATABASE": RolledBackDatabase(database, connection),
            "KEYRING": keyring,
            "HEARD_MEDIA_MAX_BYTES": str(MB),
        }
    )


def test_the_files_question_is_a_real_multipart_file_input_with_its_rules_in_the_residents_language(client):
    _to_files_question(client, "es")
    html = client.get("/report/evidence?lang=es").get_data(as_text=True)
    form = re.search(r"<form method=\"post\" action=\"(/report/evidence[^\"]*)\"([^>]*)>", html)
    assert form and 'enctype="multipart/form-data"' in form.group(2)
    field = re.search(r"<input id=\"evidence\" name=\"evidence\" type=\"file\" multiple[^>]*>", html)
    assert field, html
    assert '<label for="evidence">¿Tiene fotos, videos u otros archivos para agregar?</label>' in html
    described = re.search(r'aria-describedby="([^"]+)"', field.group(0)).group(1).split()
    hints = dict(re.findall(r'<p class="hint" id="([^"]+)">([^<]+)</p>', html))
    assert described == ["evidence-hint", "evidence-formats", "evidence-private"] and set(described) <= set(hints)
    assert "Cada archivo puede pesar como máximo 10 MB." in hints["evidence-hint"]  # the chat's and MMS's limit
    assert hints["evidence-formats"].startswith("Formatos aceptados: JPEG, PNG") and "PDF" in hints["evidence-formats"]
    assert "Pregunta 8 de 10" in _text(html)  # kind, what, when, where, officers, injuries, witnesses


def test_files_are_checked_by_their_bytes_kept_encrypted_listed_as_text_and_joined_to_the_case(
    client, session, keyring, tmp_path
):
    ana = _to_files_question(client, "es")
    hostile = "<img src=x onerror=alert(1)>.png"
    sent = _upload(
        ana,
        (PNG, f"../../{hostile}", "application/octet-stream"),  # the bytes, not the label, say PNG
        (JPEG, "golpe.jpg", "image/jpeg"),
    )
    assert sent.status_code == 303 and sent.headers["Location"].startswith("/report/anonymous")
    web = _draft_session(session)
    kept = _kept(session, web)
    assert [(a.filename, a.content_type, a.size_bytes) for a in kept] == [
        (hostile, "image/png", len(PNG)),
        ("golpe.jpg", "image/jpeg", len(JPEG)),
    ]
    assert all(a.case_id is None and a.meta["provider"] == "web_form" for a in kept)
    raw = (tmp_path / kept[0].storage_key).read_bytes()
    assert PNG[:64] not in raw and evidence.load(FolderStorage(tmp_path), keyring, kept[0].storage_key) == PNG

    ana.go("anonymous", "/report/review", anonymous="yes")
    review = client.get("/report/review?lang=es").get_data(as_text=True)
    assert "<img src=x" not in review and "&lt;img src=x onerror=alert(1)&gt;.png" in review  # names are text
    row = _text(review).split("Archivos", 1)[1].split("Cambiar", 1)[0]
    assert hostile in row and "golpe.jpg" in row
    assert 'href="/report/evidence?lang=es&amp;from=review"' in review

    done = client.post("/report/review", data={"csrf": ana.csrf, "lang": "es"})
    case = _case(session, re.search(r"(\d{3}-\d{3}-\d{4})", _text(done.get_data(as_text=True))).group(1))
    session.expire_all()
    assert [a.case_id for a in _kept(session, web)] == [case.id, case.id]
    assert case.narrative == "El agente me empujó." and case.witnesses == "mi hermana"


def test_a_refused_file_is_named_in_a_linked_error_and_nothing_else_is_lost(client, session):
    ana = _to_files_question(client, "es")
    refused = _upload(
        ana,
        (PDF, "denuncia.pdf", "application/pdf"),
        (b"<html><script>alert(1)</script></html>", "<b>nota</b>.html", "text/html"),
        (b"", "vacio.jpg", "image/jpeg"),
    )
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    summary = html[html.index('class="error-summary"') : html.index("</div>", html.index('class="error-summary"'))]
    assert 'role="alert"' in summary and "Hay un problema" in summary
    links = re.findall(r'<a href="#evidence">([^<]+)</a>', summary)
    assert [unescape(text) for text in links] == [
        "b>.html no se agregó porque no es una foto, un video, una grabación de sonido ni un documento PDF.",
        "vacio.jpg no se agregó porque está vacío.",
    ]
    assert "<b>" not in html.split("</header>", 1)[1]  # a file's name is never markup
    field = re.search(r'<input id="evidence"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in field and "evidence-error" in field
    assert re.search(r'<p class="error-message" id="evidence-error">[^<]*vacio\.jpg', html)
    # The file that passed is kept and listed; the answers before are untouched.
    assert [a.filename for a in _kept(session, _draft_session(session))] == ["denuncia.pdf"]
    assert re.search(r'<span class="file-name" id="upload-\d+">denuncia\.pdf</span>', html)
    nothing = _upload(ana, (b"", "", "application/octet-stream"))  # a browser's part when no file is chosen
    assert nothing.status_code == 303 and nothing.headers["Location"].startswith("/report/anonymous")
    ana.go("anonymous", "/report/review", anonymous="yes")
    shown = _text(client.get("/report/review?lang=es").get_data(as_text=True))
    assert "El agente me empujó." in shown and "Calle Main" in shown and "denuncia.pdf" in shown


def test_a_file_over_the_limit_is_refused_with_the_limit_in_the_residents_words(one_mb_app, session):
    client = one_mb_app.test_client()
    bao = _to_files_question(client, "vi")
    big = _upload(bao, (PNG + b"\x00" * MB, "lon.png", "image/png"), (JPEG, "nho.jpg", "image/jpeg"))
    assert big.status_code == 422
    text = _text(big.get_data(as_text=True))
    assert "Không thêm được lon.png, vì tệp lớn hơn 1 MB." in text and "Mỗi tệp tối đa 1 MB" in text
    assert [a.filename for a in _kept(session, _draft_session(session))] == ["nho.jpg"]


def test_files_too_large_to_receive_at_all_get_the_question_again_not_a_bare_413(one_mb_app, session):
    client = one_mb_app.test_client()
    ana = _to_files_question(client, "es")
    huge = _upload(ana, *[(PNG + b"\x00" * (MB - len(PNG)), f"foto{i}.png", "image/png") for i in range(6)])
    assert huge.status_code == 413 and huge.mimetype == "text/html"
    html = huge.get_data(as_text=True)
    assert '<html lang="es"' in html and 'role="alert"' in html and '<a href="#evidence">' in html
    assert "son demasiado grandes para enviarlos todos a la vez" in unescape(html)
    assert re.search(r'<input id="evidence"[^>]*aria-invalid="true"', html)
    assert _kept(session, _draft_session(session)) == []
    # The draft is intact: the resident goes on where they were.
    assert _upload(ana, (PNG, "una.png", "image/png")).headers["Location"].startswith("/report/anonymous")
    ana.go("anonymous", "/report/review", anonymous="yes")
    assert "El agente me empujó." in _text(client.get("/report/review?lang=es").get_data(as_text=True))


def test_a_form_field_too_large_to_hold_in_memory_gets_the_question_again(client):
    ana = _to_files_question(client, "es")
    response = _upload(ana, (PNG, "foto.png", "image/png"), witnesses="x" * 600_000)  # over Flask's form memory
    assert response.status_code == 413 and '<a href="#evidence">' in response.get_data(as_text=True)


def test_a_file_can_be_taken_back_before_the_report_is_sent(client, session, tmp_path):
    ana = _to_files_question(client, "en")
    _upload(ana, (PNG, "wrong.png", "image/png"), (JPEG, "right.jpg", "image/jpeg"))
    web = _draft_session(session)
    (wrong_id, wrong_key), (_, right_key) = [(a.id, a.storage_key) for a in _kept(session, web)]
    page = client.get("/report/evidence?lang=en").get_data(as_text=True)
    assert f'name="remove" value="{wrong_id}" aria-describedby="upload-{wrong_id}"' in page
    removed = _upload(ana, remove=str(wrong_id))
    assert removed.status_code == 303 and removed.headers["Location"].startswith("/report/evidence")
    session.expire_all()
    assert [a.filename for a in _kept(session, web)] == ["right.jpg"]
    assert not (tmp_path / wrong_key).exists() and (tmp_path / right_key).exists()
    assert "wrong.png" not in client.get("/report/evidence?lang=en").get_data(as_text=True)


def test_another_sessions_file_cannot_be_taken_back(app, client, session):
    ana = _to_files_question(client, "en")
    _upload(ana, (PNG, "ana.png", "image/png"))
    theirs = _kept(session, _draft_session(session))[0]
    other = app.test_client()
    bo = _to_files_question(other, "en")
    assert _upload(bo, remove=str(theirs.id)).status_code == 303
    session.expire_all()
    assert session.get(Attachment, theirs.id) is not None


def test_a_report_keeps_at_most_its_number_of_files(client, session, monkeypatch):
    monkeypatch.setattr("webhooks.pages.form.EVIDENCE_MAX_FILES", 2)
    ana = _to_files_question(client, "en")
    _upload(ana, (PNG, "one.png", "image/png"))
    over = _upload(ana, (JPEG, "two.jpg", "image/jpeg"), (PDF, "three.pdf", "application/pdf"))
    assert over.status_code == 422
    assert "three.pdf was not added, because a report can have at most 2 files." in _text(over.get_data(as_text=True))
    assert [a.filename for a in _kept(session, _draft_session(session))] == ["one.png", "two.jpg"]


def test_the_files_question_needs_its_csrf_token(client, session):
    ana = _to_files_question(client, "en")
    ana.csrf = "forged"
    assert _upload(ana, (PNG, "x.png", "image/png")).status_code == 400
    assert _kept(session, _draft_session(session)) == []


def test_a_commendation_is_not_asked_for_files(client):
    sok = Resident(client, "en")
    sok.go("kind", "/report/what", kind="commendation")
    assert client.get("/report/evidence?lang=en").headers["Location"].startswith("/report/review")
