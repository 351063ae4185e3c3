"""Supervisors see, on every console page, that texts wait in the quarantine; other roles do not."""

from __future__ import annotations

from intake import quarantine
from intake.enums import Role
from tests.console.conftest import sign_in

ALERT = b"Texts whose Twilio signature failed are kept unprocessed: 2."


def test_a_supervisor_is_told_texts_wait_in_the_quarantine(client, session, team, keyring):
    sign_in(client, team[Role.SUPERVISOR])
    assert ALERT not in client.get("/console/").data
    for n in range(2):
        kept = quarantine.KeptRequest(path="/twilio/sms", fields=[("Body", f"text {n}")], signature="forged")
        assert quarantine.keep(session, keyring=keyring, request=kept, reason="bad signature")
    page = client.get("/console/")
    assert page.status_code == 200 and ALERT in page.data and b'role="alert"' in page.data
    for role in (Role.INTAKE, Role.AUDITOR):
        sign_in(client, team[role])
        assert ALERT not in client.get("/console/").data
