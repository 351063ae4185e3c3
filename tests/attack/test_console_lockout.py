"""Item 10: a stranger who knows a staff member's email cannot lock them out of the console.

The attack: wrong passwords for the supervisor's email, from the attacker's own address,
as many as the per-address rate limit allows. The supervisor, at their desk, must still
sign in at once; the attacker's address is the one that waits, longer after each try.
"""

from __future__ import annotations

import re

from intake.enums import Role
from tests.console.conftest import PASSWORD

STRANGER = "203.0.113.66"
MEMBER = "198.51.100.7"


def _login(client, email: str, password: str, address: str):  # type: ignore[no-untyped-def]
    environ = {"REMOTE_ADDR": address}
    page = client.get("/console/login", environ_base=environ).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    data = {"email": email, "password": password, "csrf_token": token.group(1)}
    return client.post("/console/login", data=data, environ_base=environ)


def test_a_stranger_guessing_does_not_lock_the_member_out(app, client, team):  # type: ignore[no-untyped-def]
    email = team[Role.SUPERVISOR].email
    stranger = app.test_client()
    for _ in range(20):
        assert _login(stranger, email, "guess guess guess", STRANGER).status_code == 200
    member = _login(client, email, PASSWORD, MEMBER)
    assert member.status_code == 303 and member.headers["Location"].endswith("/console/")


def test_the_strangers_address_is_slowed_even_with_the_right_password(app, client, team):  # type: ignore[no-untyped-def]
    email = team[Role.SUPERVISOR].email
    for _ in range(5):
        _login(client, email, "guess guess guess", STRANGER)
    assert _login(client, email, PASSWORD, STRANGER).status_code == 200  # refused while it waits
