"""Item 9: a console cookie captured before sign-out (or a password or role change) opens nothing afterwards.

The attacker copied a staff member's cookie (a shared computer, a stolen laptop's browser
profile, malware) and replays it from another client after the member signed out.
"""

from __future__ import annotations

import re

import pytest

from intake.access import staff as staff_service
from intake.enums import Role
from tests.console.conftest import PASSWORD

COOKIE = "session"


def _sign_in_with_password(client, email: str) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/console/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    response = client.post("/console/login", data={"email": email, "password": PASSWORD, "csrf_token": token.group(1)})
    assert response.status_code == 303 and response.headers["Location"].endswith("/console/")


def _csrf(client) -> str:  # type: ignore[no-untyped-def]
    with client.session_transaction() as s:
        return str(s["csrf"])


def _replay(app, cookie: str):  # type: ignore[no-untyped-def]
    """Another machine, holding only the copied cookie."""
    thief = app.test_client()
    thief.set_cookie(COOKIE, cookie)
    return thief.get("/console/")


def _captured(client) -> str:  # type: ignore[no-untyped-def]
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None
    return str(cookie.value)


def test_a_cookie_copied_before_sign_out_is_dead_after_it(app, client, team):  # type: ignore[no-untyped-def]
    _sign_in_with_password(client, "intake@example.org")
    stolen = _captured(client)
    assert _replay(app, stolen).status_code == 200  # the copy works while the session lives
    client.post("/console/logout", data={"csrf_token": _csrf(client)})
    answer = _replay(app, stolen)
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/console/login")


def test_sign_out_everywhere_ends_every_browser(app, client, team):  # type: ignore[no-untyped-def]
    _sign_in_with_password(client, "intake@example.org")
    laptop = app.test_client()
    _sign_in_with_password(laptop, "intake@example.org")
    stolen = _captured(laptop)
    response = client.post("/console/logout/everywhere", data={"csrf_token": _csrf(client)})
    assert response.status_code == 303
    assert _replay(app, stolen).status_code == 303
    assert client.get("/console/").status_code == 303


@pytest.mark.parametrize("change", ["password", "role"])
def test_a_new_password_or_role_ends_the_old_sessions(app, client, session, team, change):  # type: ignore[no-untyped-def]
    _sign_in_with_password(client, "intake@example.org")
    stolen = _captured(client)
    member = team[Role.INTAKE]
    if change == "password":
        staff_service.change_password(session, staff_id=member.id, password="a brand new long password", actor="test")
    else:
        staff_service.change_role(session, staff_id=member.id, role=Role.AUDITOR, actor="test")
    assert _replay(app, stolen).status_code == 303
