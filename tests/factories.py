"""Plain builder functions for test data."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from intake.access import partners, staff
from intake.cases import filing as complaints
from intake.crypto import Keyring
from intake.enums import Role
from intake.models import Case, Partner, StaffUser


def submission_data(**overrides: Any) -> dict[str, Any]:
    """Return a valid partner API body; override any field."""
    data: dict[str, Any] = {
        "kind": "complaint",
        "channel": "partner",
        "language": "es",
        "narrative": "El oficial me empujó contra el carro y no me dijo por qué me paraba.",
        "incident_time_text": "el sábado como a las 9 de la noche",
        "location": "Calle Main y Hunter, Stockton",
        "officers": "Oficial alto, placa 4471, patrulla 12",
        "injuries": "moretón en el brazo",
        "witnesses": "mi hermana",
        "anonymous": False,
        "contact": {"name": "María López", "phone": "(209) 555-0142", "email": "maria@example.org", "preferred": "sms"},
    }
    data.update(overrides)
    return data


def make_partner(session: Session, name: str = "Stockton NAACP") -> tuple[Partner, str]:
    return partners.create_partner(session, name=name, actor="test")


def make_staff(session: Session, role: Role = Role.INTAKE, email: str = "intake@example.org") -> StaffUser:
    return staff.create_staff(session, email=email, role=role, password="correct horse battery", actor="test")


def make_case(session: Session, keyring: Keyring, **overrides: Any) -> tuple[Case, complaints.Receipt]:
    submission = complaints.parse_submission(submission_data(**overrides))
    return complaints.file_case(session, keyring=keyring, submission=submission, actor="test")
