"""The console over HTTP: sign-in, CSRF, headers, pages and forms, and the permission matrix through URLs."""

import datetime as dt
import re
import time
from pathlib import Path

import pytest
from sqlalchemy import select, update

from intake import evidence
from intake.access import staff as staff_service
from intake.access import totp
from intake.db import utcnow
from intake.enums import Language, Role, Status
from intake.models import Attachment, AuditEntry, Message, SignInThrottle, StaffSession
from intake.storage import FolderStorage
from tests.console.conftest import CSRF, PASSWORD, file, move, sign_in, sms_case
from tests.factories import photo_with_metadata

PNG = photo_with_metadata("PNG")  # a real image: a liaison is given it re-encoded


def _audit(session, action, case_id=None):
    query = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq)
    if case_id is not None:
        query = query.where(AuditEntry.case_id == case_id)
    return list(session.scalars(query))


def _csrf_from(response):
    match = re.search(r'name="csrf_token" value="([^"]+)"', response.get_data(as_text=True))
    assert match, "the page has no CSRF field"
    return match.group(1)


def _login(client, email, password=PASSWORD, base=""):
    token = _csrf_from(client.get(f"{base}/console/login"))
    return client.post(f"{base}/console/login", data={"email": email, "password": password, "csrf_token": token})


def _store(app, session, keyring, case, data=PNG):
    stored = evidence.store(FolderStorage(Path(app.instance_path)), keyring, data, "image/png")
    attachment = Attachment(
        case_id=case.id,
        content_type=stored.content_type,
        size_bytes=stored.size_bytes,
        sha256=stored.sha256,
        storage_key=stored.storage_key,
        filename="../../etc/passwd",
    )
    session.add(attachment)
    session.flush()
    return attachment


# ------------------------------------------------------------------ signing in


def test_signing_in_starts_a_fresh_session_with_safe_cookie_flags(client, session, team):
    client.get("/console/login")
    with client.session_transaction() as s:
        s["planted"] = "by an attacker"  # anything from before sign-in must not survive it
        before = s["csrf"]
    response = _login(client, "Intake@Example.org ")
    assert response.status_code == 303 and response.headers["Location"].endswith("/console/")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    with client.session_transaction() as s:
        assert "planted" not in s and isinstance(s["sid"], str) and "staff_id" not in s
        assert s["csrf"] != before
    assert client.get("/console/").status_code == 200
    assert _audit(session, "staff.signed_in")[-1].summary == {"staff_id": team[Role.INTAKE].id}


def test_the_cookie_is_secure_over_https(client, team):
    response = _login(client, "intake@example.org", base="https://localhost")
    assert response.status_code == 303
    assert "Secure" in response.headers["Set-Cookie"]


def test_wrong_passwords_make_that_address_wait_longer_each_time(client, session, team):
    user = team[Role.SUPERVISOR]
    for _ in range(staff_service.FREE_TRIES + 2):
        response = _login(client, user.email, password="wrong password!")
        assert response.status_code == 200 and "not right" in response.get_data(as_text=True)
    waits = [e.summary["wait_seconds"] for e in _audit(session, "staff.sign_in_failed")]
    assert waits == [0] * (staff_service.FREE_TRIES - 1) + [1]  # the tries after it waited: not even checked
    session.execute(update(SignInThrottle).values(wait_until=utcnow() - dt.timedelta(seconds=1)))
    _login(client, user.email, password="wrong password!")
    assert _audit(session, "staff.sign_in_failed")[-1].summary["wait_seconds"] == 2
    # While this address waits, even the right password is not checked, and the page says nothing different.
    waiting = _login(client, user.email)
    assert waiting.status_code == 200 and "not right" in waiting.get_data(as_text=True)
    with client.session_transaction() as s:
        assert "sid" not in s
    assert _audit(session, "staff.sign_in_refused")[-1].summary["reason"] == "waiting"
    session.execute(update(SignInThrottle).values(wait_until=utcnow() - dt.timedelta(seconds=1)))
    assert _login(client, user.email).status_code == 303
    assert user.failed_logins == 0 and session.scalars(select(SignInThrottle)).all() == []


def test_the_wait_grows_to_fifteen_minutes_and_no_further():
    assert staff_service.wait_after(staff_service.FREE_TRIES - 1) == dt.timedelta(0)
    assert staff_service.wait_after(staff_service.FREE_TRIES + 3) == dt.timedelta(seconds=8)
    assert staff_service.wait_after(10_000) == dt.timedelta(minutes=15)


def test_unknown_and_inactive_accounts_get_the_same_answer(client, session, team):
    unknown = _login(client, "nobody@example.org")
    team[Role.AUDITOR].active = False
    session.flush()
    inactive = _login(client, team[Role.AUDITOR].email)
    wrong = _login(client, team[Role.INTAKE].email, password="not the password")

    def message(response):
        return re.search(r'role="alert">([^<]+)<', response.get_data(as_text=True)).group(1)

    assert unknown.status_code == inactive.status_code == wrong.status_code == 200
    assert message(unknown) == message(inactive) == message(wrong)
    assert _audit(session, "staff.sign_in_failed")[0].summary == {"known": False}


def test_a_one_time_code_is_asked_after_the_password_when_set(client, session, keyring, team):
    user = team[Role.SUPERVISOR]
    secret = staff_service.enable_totp(session, keyring=keyring, email=user.email, actor="test")
    assert keyring.decrypt(user.totp_secret_token) == secret and secret not in user.totp_secret_token
    response = _login(client, user.email)
    assert response.status_code == 303 and response.headers["Location"].endswith("/console/login/code")
    with client.session_transaction() as s:
        assert "staff_id" not in s
    assert client.get("/console/").status_code == 303  # not signed in yet
    page = client.get("/console/login/code")
    token = _csrf_from(page)
    wrong = client.post("/console/login/code", data={"code": "000000", "csrf_token": token})
    if totp.verify(secret, "000000", time.time()):  # pragma: no cover - one chance in a few hundred thousand
        pytest.skip("the wrong code happened to be right")
    assert wrong.status_code == 200 and "not right" in wrong.get_data(as_text=True)
    assert _audit(session, "staff.sign_in_failed")[-1].summary["step"] == "code"
    right = client.post("/console/login/code", data={"code": totp.code_at(secret, time.time()), "csrf_token": token})
    assert right.status_code == 303 and right.headers["Location"].endswith("/console/")
    assert client.get("/console/").status_code == 200


def test_the_code_page_without_a_matching_password_goes_back_to_sign_in(client, team):
    assert client.get("/console/login/code").status_code == 303
    with client.session_transaction() as s:
        s["pending_staff_id"] = team[Role.SUPERVISOR].id
        s["pending_at"] = time.time() - 3600
    assert client.get("/console/login/code").headers["Location"].endswith("/console/login")


@pytest.mark.parametrize(
    ("at", "expected"),
    [(59, "94287082"), (1111111109, "07081804"), (1234567890, "89005924"), (2000000000, "69279037")],
)
def test_one_time_codes_match_rfc_6238(at, expected):
    import base64

    key = b"12345678901234567890"
    assert totp.hotp(key, at // 30, digits=8) == expected
    secret = base64.b32encode(key).decode()
    assert totp.code_at(secret, at) == expected[-6:]
    assert totp.verify(secret, expected[-6:], at + 30) and not totp.verify(secret, expected[-6:], at + 90)


def test_signing_out_is_a_post_and_ends_the_session(client, session, team):
    sign_in(client, team[Role.INTAKE])
    assert client.get("/console/logout").status_code == 405
    response = client.post("/console/logout", data={"csrf_token": CSRF})
    assert response.status_code == 303 and response.headers["Location"].endswith("/console/login")
    assert client.get("/console/").status_code == 303
    assert _audit(session, "staff.signed_out")[-1].actor == f"staff:{team[Role.INTAKE].id}"


def test_a_session_ends_after_the_longest_working_day(client, session, team):
    sign_in(client, team[Role.INTAKE])
    session.execute(update(StaffSession).values(created_at=utcnow() - dt.timedelta(hours=13)))
    assert client.get("/console/").headers["Location"].endswith("/console/login")


def test_a_deactivated_account_is_signed_out_at_once(client, session, team):
    sign_in(client, team[Role.INTAKE])
    team[Role.INTAKE].active = False
    session.flush()
    assert client.get("/console/").status_code == 303


@pytest.mark.parametrize("path", ["/console/", "/console/cases/1", "/console/audit", "/console/cases/1/attachments/1"])
def test_every_page_needs_a_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 303 and response.headers["Location"].endswith("/console/login")


# ------------------------------------------------------------------ CSRF


def test_a_form_without_its_csrf_token_is_refused(client, session, keyring, team):
    case = file(session, keyring)
    sign_in(client, team[Role.SUPERVISOR])
    for data in ({}, {"csrf_token": ""}, {"csrf_token": "forged"}):
        response = client.post(f"/console/cases/{case.id}/notes", data={"body": "x", **data})
        assert response.status_code == 400
    assert case.notes == []
    assert client.post("/console/logout").status_code == 400
    assert client.post("/console/logout", data={"csrf_token": CSRF}).status_code == 303


def test_the_sign_in_form_needs_its_csrf_token_too(client, team):
    client.get("/console/login")
    response = client.post("/console/login", data={"email": "intake@example.org", "password": PASSWORD})
    assert response.status_code == 400
    with client.session_transaction() as s:
        assert "staff_id" not in s


def test_a_post_without_a_session_is_refused_before_anything_happens(client, session, keyring, team):
    case = file(session, keyring)
    assert client.post(f"/console/cases/{case.id}/notes", data={"body": "x", "csrf_token": CSRF}).status_code == 400
    assert case.notes == []


# ------------------------------------------------------------------ headers


@pytest.mark.parametrize("path", ["/console/login", "/console/", "/console/nothing-here", "/console/audit"])
def test_console_responses_carry_a_strict_policy(client, team, path):
    sign_in(client, team[Role.INTAKE])
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_service_targets_come_from_the_configuration(database, connection, keyring, tmp_path):
    from app import create_app
    from intake.errors import ConfigurationError
    from tests.conftest import RolledBackDatabase

    def make(**config):
        return create_app(
            {
                "TESTING": True,
                "HEARD_INSTANCE_DIR": str(tmp_path),
                "DATABASE": RolledBackDatabase(database, connection),
                "KEYRING": keyring,
                **config,
            }
        )

    targets = make(HEARD_ACK_WORKING_DAYS="5", HEARD_OFFICE_TIMEZONE="America/Los_Angeles").extensions["heard.console"][
        "targets"
    ]
    assert targets.acknowledge_working_days == 5 and targets.timezone == "America/Los_Angeles"
    with pytest.raises(ConfigurationError):
        make(HEARD_OFFICE_TIMEZONE="Nowhere/Special")
    with pytest.raises(ConfigurationError):
        make(HEARD_ACK_WORKING_DAYS="three")


def test_the_stylesheet_is_served_without_a_sign_in(client):
    response = client.get("/console/static/console.css")
    assert response.status_code == 200 and response.mimetype == "text/css"
    response.close()


def test_pages_have_no_scripts_and_mark_the_language(client, session, keyring, team):
    case, _ = sms_case(session, keyring)
    sign_in(client, team[Role.INTAKE])
    for path in ("/console/", f"/console/cases/{case.id}"):
        html = client.get(path).get_data(as_text=True)
        assert "<script" not in html and ' style="' not in html
        assert '<html lang="en">' in html
    html = client.get(f"/console/cases/{case.id}").get_data(as_text=True)
    assert re.search(r'<blockquote class="narrative" lang="es">El oficial me empujó', html)


# ------------------------------------------------------------------ the queue


def test_the_queue_filters_counts_and_pages(client, session, keyring, team):
    spanish = [file(session, keyring) for _ in range(3)]
    english = file(session, keyring, language="en", narrative="The officer was rude to me.")
    move(session, spanish[0], Status.TRIAGE)
    sign_in(client, team[Role.INTAKE])
    html = client.get("/console/?language=es").get_data(as_text=True)
    for case in spanish:
        assert f"/console/cases/{case.id}" in html
    assert f'/console/cases/{english.id}"' not in html
    assert re.search(r'In triage <span class="count">1</span>', html)
    assert re.search(r'Received <span class="count">2</span>', html)
    html = client.get("/console/?q=rude").get_data(as_text=True)
    assert f'/console/cases/{english.id}"' in html and f'/console/cases/{spanish[1].id}"' not in html
    assert client.get("/console/?status=lost").status_code == 400
    assert client.get("/console/?from=yesterday").status_code == 400
    assert client.get("/console/?cursor=garbage").status_code == 400


def test_the_queue_pages_by_keyset_links(client, session, keyring, team, monkeypatch):
    from intake import triage

    monkeypatch.setattr(triage, "PAGE_SIZE", 2)
    cases = [file(session, keyring) for _ in range(5)]
    sign_in(client, team[Role.INTAKE])
    seen, url = [], "/console/?language=es"
    while url:
        html = client.get(url).get_data(as_text=True)
        seen.extend(int(n) for n in re.findall(r'<th scope="row">\s*<a href="/console/cases/(\d+)"', html))
        found = re.search(r'<a href="([^"]+)" rel="next">', html)
        url = found.group(1).replace("&amp;", "&") if found else None
        if url:
            assert "language=es" in url and "cursor=" in url
    assert sorted(seen) == sorted(c.id for c in cases) and len(seen) == 5


def test_viewing_the_queue_and_a_case_is_audited(client, session, keyring, team):
    case = file(session, keyring)
    sign_in(client, team[Role.AUDITOR])
    client.get("/console/?language=es&q=secret+words")
    client.get(f"/console/cases/{case.id}")
    viewed = _audit(session, "queue.viewed")[-1]
    assert viewed.actor == f"staff:{team[Role.AUDITOR].id}" and "secret" not in str(viewed.summary)
    read = _audit(session, "case.viewed", case.id)[-1]
    assert read.summary == {"role": "auditor", "contact_shown": False, "full": True}


# ------------------------------------------------------------------ a case


def test_handlers_see_contact_details_and_the_transcript_others_do_not(client, session, keyring, team):
    case, _ = sms_case(session, keyring)
    move(session, case, Status.REFERRED, assignee=team[Role.INTAKE])
    for role, sees in [(Role.INTAKE, True), (Role.SUPERVISOR, True), (Role.AUDITOR, False), (Role.LIAISON, False)]:
        sign_in(client, team[role])
        html = client.get(f"/console/cases/{case.id}").get_data(as_text=True)
        assert ("+12095550142" in html) is sees and ("María López" in html) is sees, role
        assert ("Hola, quiero poner una queja" in html) is (role is not Role.LIAISON), role
        assert "El oficial me empujó" in html


def test_evidence_downloads_as_an_attachment_with_its_hash(app, client, session, keyring, team):
    case = file(session, keyring)
    attachment = _store(app, session, keyring, case)
    sign_in(client, team[Role.INTAKE])
    html = client.get(f"/console/cases/{case.id}").get_data(as_text=True)
    assert attachment.sha256 in html
    response = client.get(f"/console/cases/{case.id}/attachments/{attachment.id}")
    assert response.status_code == 200 and response.data == PNG
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "passwd" not in disposition
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert _audit(session, "attachment.downloaded", case.id)[-1].summary["sha256"] == attachment.sha256


def test_a_damaged_evidence_file_is_not_served(app, client, session, keyring, team):
    case = file(session, keyring)
    attachment = _store(app, session, keyring, case)
    (Path(app.instance_path) / attachment.storage_key).write_bytes(keyring.encrypt_bytes(b"other bytes"))
    sign_in(client, team[Role.INTAKE])
    response = client.get(f"/console/cases/{case.id}/attachments/{attachment.id}")
    assert response.status_code == 404 and b"other bytes" not in response.data


def test_a_refused_change_comes_back_with_the_reason(client, session, keyring, team):
    case = move(session, file(session, keyring), Status.TRIAGE)
    sign_in(client, team[Role.SUPERVISOR])
    response = client.post(
        f"/console/cases/{case.id}/status", data={"to": "closed", "reason": "done", "csrf_token": CSRF}
    )
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/console/cases/{case.id}")
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "closing a case needs a disposition" in html and 'role="alert"' in html
    assert case.status is Status.TRIAGE


def test_a_supervisor_triages_a_text_message_case_end_to_end(client, session, keyring, team):
    case, _ = sms_case(session, keyring)
    supervisor, intake = team[Role.SUPERVISOR], team[Role.INTAKE]
    sign_in(client, supervisor)

    def post(path, **data):
        response = client.post(f"/console/cases/{case.id}/{path}", data={**data, "csrf_token": CSRF})
        assert response.status_code == 303, response.get_data(as_text=True)
        html = client.get(response.headers["Location"]).get_data(as_text=True)
        assert 'class="flash flash-success"' in html, html
        return html

    post("category", category="use_of_force")
    post("assign", assignee=str(intake.id))
    post("status", to="investigating")
    post("notes", body="Spoke with the sister, a witness.")
    post("reply", text="We are looking into your report.")
    html = post("status", to="closed", disposition="sustained", reason="Findings sent to the chief.")
    assert case.status is Status.CLOSED and case.category == "use_of_force" and case.assignee_id == intake.id
    assert "We are looking into your report." in html and "Findings sent to the chief." in html
    outbound = session.scalars(select(Message).where(Message.case_id == case.id, Message.direction == "outbound"))
    assert [m.body for m in outbound] == ["We are looking into your report."]
    actions = [e.action for e in _audit_all(session, case.id) if e.actor == f"staff:{supervisor.id}"]
    for expected in ("case.categorised", "case.status_changed", "note.added", "case.replied", "case.viewed"):
        assert expected in actions
    sign_in(client, team[Role.AUDITOR])
    html = client.get(f"/console/audit?case={case.id}").get_data(as_text=True)
    assert "The chain verifies" in html and "case.replied" in html and supervisor.email in html


def _audit_all(session, case_id):
    return list(session.scalars(select(AuditEntry).where(AuditEntry.case_id == case_id).order_by(AuditEntry.seq)))


# ------------------------------------------------------------------ the permission matrix, through URLs

PAGES = ["queue", "case", "attachment", "preview", "audit"]
FORMS = ["category", "assign", "status", "close", "refer", "notes", "reply", "callback", "officers", "merge", "share"]
READS = {"queue", "case", "attachment", "preview"}
ALLOWED = {
    Role.INTAKE: READS | {"category", "status", "notes", "reply", "callback", "officers"},
    Role.SUPERVISOR: set(PAGES) | set(FORMS),
    Role.AUDITOR: READS | {"audit"},
    Role.LIAISON: {"queue"},
}
# What each allowed form leaves in the audit log.
EFFECT = {
    "category": "case.categorised",
    "assign": "case.reassigned",
    "status": "case.status_changed",
    "close": "case.status_changed",
    "refer": "case.referred",
    "notes": "note.added",
    "reply": "case.replied",
    "callback": "case.callback_done",
    "officers": "case.officer_added",
    "merge": "case.merged",
    "share": "attachment.shared",
}


def _request(client, team, what, case, attachment, original=None):
    if what == "queue":
        return client.get("/console/")
    if what == "case":
        return client.get(f"/console/cases/{case.id}")
    if what == "attachment":
        return client.get(f"/console/cases/{case.id}/attachments/{attachment.id}")
    if what == "preview":
        return client.get(f"/console/cases/{case.id}/attachments/{attachment.id}/preview")
    if what == "audit":
        return client.get("/console/audit")
    if what == "share":
        url = f"/console/cases/{case.id}/attachments/{attachment.id}/share"
        return client.post(url, data={"reason": "the department asked for the original", "csrf_token": CSRF})
    path, data = {
        "category": ("category", {"category": "property"}),
        "assign": ("assign", {"assignee": str(team[Role.SUPERVISOR].id)}),
        "status": ("status", {"to": "investigating"}),
        "close": ("status", {"to": "closed", "disposition": "unfounded", "reason": "no evidence"}),
        "refer": ("status", {"to": "referred"}),
        "notes": ("notes", {"body": "a note"}),
        "reply": ("reply", {"text": "hello"}),
        "callback": ("callback-done", {"note": "called"}),
        "officers": ("officers", {"name": "Ofc. Ruiz", "badge_number": "4471"}),
        "merge": ("merge", {"into": original.tracking_number if original else "", "reason": "same stop"}),
    }[what]
    return client.post(f"/console/cases/{case.id}/{path}", data={**data, "csrf_token": CSRF})


def _matrix_case(app, session, keyring, team, what):
    case, _ = sms_case(session, keyring)
    start = Status.INVESTIGATING if what in ("close", "refer") else Status.ASSIGNED
    move(session, case, start, assignee=team[Role.INTAKE])
    case.category = "callback_request"  # so a call back is waiting
    session.flush()
    original = file(session, keyring)  # an open case this one could duplicate
    return case, _store(app, session, keyring, case), original


@pytest.mark.parametrize("what", PAGES + FORMS)
@pytest.mark.parametrize("role", list(Role))
def test_the_permission_matrix_through_urls(app, client, session, keyring, team, role, what):
    case, attachment, original = _matrix_case(app, session, keyring, team, what)
    sign_in(client, team[role])
    denied_before = len(_audit(session, "access.denied"))
    response = _request(client, team, what, case, attachment, original)
    if what in ALLOWED[role]:
        if what in FORMS:
            assert response.status_code == 303, response.get_data(as_text=True)
            assert response.headers["Location"].endswith(f"/console/cases/{case.id}")
            assert _audit(session, EFFECT[what], case.id), f"{role} {what} left no {EFFECT[what]}"
        else:
            assert response.status_code == 200
        assert len(_audit(session, "access.denied")) == denied_before
        return
    # A liaison must not learn that an unreferred case exists; everyone else is told no.
    expected = 404 if role is Role.LIAISON and what != "audit" else 403
    assert response.status_code == expected, (role, what, response.status_code)
    assert len(_audit(session, "access.denied")) == denied_before + 1
    if what in FORMS:
        assert not _audit(session, EFFECT[what], case.id) or what in ("status", "close")
        assert case.category == "callback_request" and case.notes == []


@pytest.mark.parametrize("what", PAGES + FORMS)
def test_a_liaison_on_a_referred_case_reads_but_changes_nothing(app, client, session, keyring, team, what):
    case, attachment, original = _matrix_case(app, session, keyring, team, "refer")
    move_referred = Status.REFERRED
    from intake.cases import lifecycle

    lifecycle.change_status(session, case=case, to=move_referred, actor="test")
    session.flush()
    sign_in(client, team[Role.LIAISON])
    response = _request(client, team, what, case, attachment, original)
    expected = 200 if what in ("queue", "case", "attachment", "preview") else 403
    assert response.status_code == expected, (what, response.status_code)
    assert case.status is Status.REFERRED and case.notes == []


def test_a_liaison_guessing_case_numbers_finds_only_referred_ones(app, client, session, keyring, team):
    referred = move(session, file(session, keyring), Status.REFERRED, assignee=team[Role.INTAKE])
    hidden = move(session, file(session, keyring), Status.INVESTIGATING, assignee=team[Role.INTAKE])
    attachment = _store(app, session, keyring, hidden)
    sign_in(client, team[Role.LIAISON])
    assert client.get(f"/console/cases/{referred.id}").status_code == 200
    unknown = client.get(f"/console/cases/{hidden.id + 1000}")
    guessed = client.get(f"/console/cases/{hidden.id}")
    assert guessed.status_code == unknown.status_code == 404
    assert guessed.get_data(as_text=True) == unknown.get_data(as_text=True)  # nothing tells them apart
    assert client.get(f"/console/cases/{hidden.id}/attachments/{attachment.id}").status_code == 404
    # Evidence of a hidden case cannot be reached through a referred case's URL either.
    assert client.get(f"/console/cases/{referred.id}/attachments/{attachment.id}").status_code == 404
    html = client.get("/console/?status=investigating").get_data(as_text=True)
    assert f'/console/cases/{hidden.id}"' not in html
    assert _audit(session, "access.denied", hidden.id)[0].summary == {"attempted": "view_case", "role": "liaison"}


def test_the_translation_is_shown_beside_the_original_with_its_label(client, session, keyring, team):
    from intake.models import Translation
    from intake.translation import cases as case_translation

    case, _ = sms_case(session, keyring)
    case.language = Language.ES
    case.narrative = "El oficial me empujó."
    session.add(
        Translation(
            key="t1",
            case_id=case.id,
            field="narrative",
            source_language=Language.ES,
            target_language=Language.EN,
            source_digest=case_translation.digest("El oficial me empujó."),
            text="The officer pushed me.",
            engine="argos",
            models=["translate-es_en 0.1"],
            pivot=False,
        )
    )
    sign_in(client, team[Role.INTAKE])
    html = client.get(f"/console/cases/{case.id}").get_data(as_text=True)
    assert '<blockquote class="narrative" lang="es">El oficial me empujó.</blockquote>' in html
    assert '<blockquote lang="en">The officer pushed me.</blockquote>' in html
    assert "argos (translate-es_en 0.1)" in html
    # A correction makes the old translation stale: it is no longer shown as the text's translation.
    case.narrative = "Había dos oficiales."
    html = client.get(f"/console/cases/{case.id}").get_data(as_text=True)
    assert "The officer pushed me." not in html


def test_a_case_without_a_translation_package_says_an_interpreter_is_needed(client, session, keyring, team):
    case, _ = sms_case(session, keyring)
    case.language = Language.KM
    case.translation_status = "needs_interpreter"
    sign_in(client, team[Role.INTAKE])
    html = client.get(f"/console/cases/{case.id}").get_data(as_text=True)
    assert "an interpreter is needed" in html


def test_a_reply_is_previewed_in_the_residents_language_then_sent_marked_as_machine_translated(
    app, client, session, keyring, team
):
    from pathlib import Path

    from intake.models import Message
    from intake.translation.engine import install_package

    fixtures = Path(__file__).resolve().parents[1] / "fixtures" / "argos"
    install_package(app.extensions["heard.translation"].settings, fixtures / "translate-en_es-tiny.argosmodel")
    case, _ = sms_case(session, keyring)
    case.language = Language.ES
    sign_in(client, team[Role.INTAKE])
    page = client.post(
        f"/console/cases/{case.id}/reply",
        data={"text": "They took my phone.", "action": "preview", "csrf_token": CSRF},
    ).get_data(as_text=True)
    assert 'lang="es"' in page and "Se llevaron mi teléfono." in page
    assert "translate-en_es 0.1" in page
    sent = client.post(
        f"/console/cases/{case.id}/reply",
        data={
            "text": "Se llevaron mi teléfono, lo revisamos.",  # edited by staff after the preview
            "translated_from": "They took my phone.",
            "models": "translate-en_es 0.1",
            "action": "send",
            "csrf_token": CSRF,
        },
    )
    assert sent.status_code == 303
    queued = session.scalars(select(Message).where(Message.case_id == case.id, Message.direction == "outbound")).all()
    assert queued[-1].body == "Se llevaron mi teléfono, lo revisamos." and queued[-1].language is Language.ES
    assert queued[-1].meta["machine_translated"] is True and queued[-1].meta["source_text"] == "They took my phone."


def test_a_reply_to_a_language_without_a_package_is_previewed_in_english_with_a_warning(client, session, keyring, team):
    case, _ = sms_case(session, keyring)
    case.language = Language.KM
    sign_in(client, team[Role.INTAKE])
    page = client.post(
        f"/console/cases/{case.id}/reply", data={"text": "We got your report.", "action": "preview", "csrf_token": CSRF}
    ).get_data(as_text=True)
    assert "will be sent in English" in page and "We got your report." in page


@pytest.mark.parametrize("digits", ["០១២៣៤៥៦៧៨៩", "໐໑໒໓໔໕໖໗໘໙", "੦੧੨੩੪੫੬੭੮੯", "０１２３４５６７８９"])
def test_a_code_typed_in_another_script_is_read_as_its_digits(digits):
    import base64

    secret = base64.b32encode(b"12345678901234567890").decode()
    code = totp.code_at(secret, 1_700_000_000)
    typed = "".join(digits[int(c)] for c in code)
    assert totp.verify(secret, typed, 1_700_000_000)
    assert not totp.verify(secret, typed[:-1] + ("x" if typed[-1] != "x" else "y"), 1_700_000_000)


def test_six_khmer_digits_at_the_code_prompt_are_a_wrong_code_counted_not_an_error(client, session, keyring, team):
    user = team[Role.SUPERVISOR]
    secret = staff_service.enable_totp(session, keyring=keyring, email=user.email, actor="test")
    _login(client, user.email)
    token = _csrf_from(client.get("/console/login/code"))
    khmer = "១២៣៤៥៦"
    if totp.verify(secret, khmer, time.time()):  # pragma: no cover - one chance in a few hundred thousand
        pytest.skip("the typed code happened to be right")
    wrong = client.post("/console/login/code", data={"code": khmer, "csrf_token": token})
    assert wrong.status_code == 200 and "not right" in wrong.get_data(as_text=True)
    assert _audit(session, "staff.sign_in_failed")[-1].summary["step"] == "code"
    digits = "០១២៣៤៥៦៧៨៩"
    right = "".join(digits[int(c)] for c in totp.code_at(secret, time.time()))
    response = client.post("/console/login/code", data={"code": right, "csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"].endswith("/console/")
