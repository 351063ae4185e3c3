"""Staff accounts: created by an administrator, never self-registered."""

from __future__ import annotations

import re

from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session

from intake import audit
from intake.enums import Role
from intake.errors import ValidationError
from intake.models import StaffUser

MIN_PASSWORD_CHARS = 12
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_hasher = PasswordHasher()


def create_staff(
    session: Session, *, email: str, role: Role, password: str, actor: str, display_name: str | None = None
) -> StaffUser:
    """Create a staff account with an Argon2 password hash."""
    email = email.strip().lower()
    errors = {}
    if not _EMAIL.match(email):
        errors["email"] = "is not an email address"
    elif session.scalars(select(StaffUser).where(StaffUser.email == email)).first():
        errors["email"] = "already has an account"
    if len(password) < MIN_PASSWORD_CHARS:
        errors["password"] = f"must be at least {MIN_PASSWORD_CHARS} characters"
    if errors:
        raise ValidationError(errors)
    user = StaffUser(
        email=email, role=role, password_hash=_hasher.hash(password), display_name=display_name, active=True
    )
    session.add(user)
    session.flush()
    audit.record(session, actor=actor, action="staff.created", summary={"staff_id": user.id, "role": role.value})
    return user


def check_password(user: StaffUser, password: str) -> bool:
    """Tell whether ``password`` is the user's."""
    try:
        return _hasher.verify(user.password_hash, password)
    except Exception:  # argon2 raises several kinds of mismatch; all mean no
        return False
