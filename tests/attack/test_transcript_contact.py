"""Item 6: an auditor, who may not see contact details, must not read them in the transcript either.

The attack: an auditor opens a case whose resident typed their name, phone and email into
the conversation (as residents do when the dialogue asks), and reads the transcript.
"""

from __future__ import annotations

import pytest

from intake.enums import Channel, Direction, MessageState, Role
from intake.models import Message
from tests.console.conftest import sign_in, sms_case

TYPED = [
    "Me llamo María López",
    "mi número es (209) 555-0142, o al 209.555.0199",
    "maria@example.org",
    "Soy maria. Pueden escribir a otra.direccion@correo.mx",
    "El oficial me empujó contra el carro.",
]


def _typed_case(session, keyring):  # type: ignore[no-untyped-def]
    case, correspondent = sms_case(session, keyring)
    for i, body in enumerate(TYPED):
        session.add(
            Message(
                channel=Channel.SMS,
                direction=Direction.INBOUND,
                provider_id=f"SMcontact{i:024d}",
                conversation_id=correspondent.conversation_id,
                correspondent_id=correspondent.id,
                case_id=case.id,
                body=body,
                state=MessageState.PROCESSED,
            )
        )
    session.flush()
    return case


@pytest.mark.parametrize("role", [Role.AUDITOR])
def test_the_transcript_hides_contact_details_from_roles_without_contact_permission(
    client, session, keyring, team, role
):  # type: ignore[no-untyped-def]
    case = _typed_case(session, keyring)
    sign_in(client, team[role])
    html = client.get(f"/console/cases/{case.id}").get_data(as_text=True)
    assert "El oficial me empujó contra el carro." in html  # the complaint itself is still read
    for secret in ("María", "López", "555-0142", "555.0199", "maria@example.org", "otra.direccion@correo.mx"):
        assert secret not in html, secret
    assert "Soy maria" not in html
    assert "[contact details withheld]" in html
    # Nothing redacted was written back.
    assert "maria@example.org" in [m.body for m in session.query(Message).filter_by(case_id=case.id)]


@pytest.mark.parametrize("role", [Role.INTAKE, Role.SUPERVISOR])
def test_roles_with_contact_permission_read_the_transcript_as_typed(client, session, keyring, team, role):  # type: ignore[no-untyped-def]
    case = _typed_case(session, keyring)
    case.assignee_id = team[Role.INTAKE].id
    session.flush()
    sign_in(client, team[role])
    html = client.get(f"/console/cases/{case.id}").get_data(as_text=True)
    assert "maria@example.org" in html and "(209) 555-0142" in html


def test_the_residents_words_hide_contact_details_from_the_auditor_too(client, session, keyring, team):  # type: ignore[no-untyped-def]
    """Found by the re-attack: a number or address typed into the story showed under "In the resident's words"."""
    case = _typed_case(session, keyring)
    case.narrative = "El oficial me empujó. Llámenme al +1 415 555 0188 o a sam.sms@example.org, soy María López."
    case.witnesses = "mi hermana, 209-555-0111"
    session.flush()
    sign_in(client, team[Role.AUDITOR])
    html = client.get(f"/console/cases/{case.id}").get_data(as_text=True)
    assert "El oficial me empujó." in html
    for secret in ("555 0188", "sam.sms@example.org", "María López", "555-0111"):
        assert secret not in html, secret
    sign_in(client, team[Role.SUPERVISOR])
    assert "sam.sms@example.org" in client.get(f"/console/cases/{case.id}").get_data(as_text=True)
