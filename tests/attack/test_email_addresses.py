"""A resident's email address goes into an email's To header and the relay's RCPT: it must be one mailbox.

An outsider fills the public report form (no JavaScript) with addresses that would make Heard's
emails go to someone else as well, show a forged name, or carry raw control characters.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from intake import inputs
from intake.models import Case
from tests.factories import make_partner, submission_data
from tests.webhooks.test_report import Resident

# What the form itself cleans away (control characters) is refused where a partner's JSON reaches filing.
CONTROL = {
    "control": "an\x01a@x.example",
    "escape": "ana\x1b[31m@x.example",
    "delete": "ana\x7f@x.example",
}
FORGED = {
    "second address": "ana,victim@x.example",
    "display name": "Ana<victim@x.example>",
    "group": "list:ana@x.example;",
    "comment": "ana(hi)@x.example",
    "quoted": '"ana"@x.example',
    "bidi override": "ana\u202e@x.example",
    "zero width": "an\u200ba@x.example",
    "non-ASCII mailbox": "añá@x.example",
    "long mailbox": "a" * 65 + "@x.example",
    "long label": "ana@" + "b" * 64 + ".example",
    "no dot": "ana@localhost",
    "numeric top": "ana@10.0.0.1",
    "two at": "ana@x@y.example",
}


@pytest.mark.parametrize("address", FORGED.values(), ids=FORGED.keys())
def test_the_report_form_refuses_what_is_not_one_mailbox(client: Any, address: str) -> None:
    ana = Resident(client, "en")
    ana.go("kind", "/report/what", kind="complaint")
    ana.go("what", "/report/when", narrative="He pushed me")
    ana.go("anonymous", "/report/contact", anonymous="no")
    response = ana.answer("contact", email=address, preferred="email")
    assert response.status_code == 422, address
    assert 'id="email-error"' in response.get_data(as_text=True)


@pytest.mark.parametrize("address", [*CONTROL.values(), *FORGED.values()], ids=[*CONTROL, *FORGED])
def test_the_partner_api_refuses_what_is_not_one_mailbox(client: Any, session: Session, address: str) -> None:
    _, key = make_partner(session)
    session.commit()
    body = submission_data(contact={"name": "Ana", "email": address, "preferred": "email"})
    response = client.post(
        "/api/v1/complaints", json=body, headers={"Authorization": f"Bearer {key}", "Idempotency-Key": "k-1"}
    )
    assert response.status_code == 422, address
    assert "contact.email" in response.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Case)) == 0


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("ana.maria+heard@correo.example", "ana.maria+heard@correo.example"),
        ("Ana@Correo.Example", "Ana@correo.example"),
        ("ana@bücher.example", "ana@xn--bcher-kva.example"),
    ],
)
def test_a_real_mailbox_is_kept_in_the_form_a_relay_takes(given: str, kept: str) -> None:
    assert inputs.email_address(given) == kept
