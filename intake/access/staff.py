"""Staff accounts: created by an administrator, never self-registered; signing in, lock-out, one-time codes."""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass

from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session

from intake import audit
from intake.access import totp
from intake.crypto import Keyring
from intake.db import utcnow
from intake.enums import Role
from intake.errors import SignInRefused, ValidationError
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


# Five wrong tries in a row lock an account for fifteen minutes.
MAX_FAILED_SIGN_INS = 5
LOCKOUT = dt.timedelta(minutes=15)
REFUSED_MESSAGE = "That email, password or code is not right, or the account is locked for a while."


@dataclass(frozen=True)
class SignIn:
    """A password that matched: who it is, and whether a one-time code must follow."""

    user: StaffUser
    needs_code: bool


@functools.cache
def _dummy_hash() -> str:
    return _hasher.hash("a password nobody has; it keeps unknown emails as slow as known ones")


def _locked(user: StaffUser, now: dt.datetime) -> bool:
    return user.locked_until is not None and user.locked_until > now


def _failed(session: Session, user: StaffUser, now: dt.datetime, step: str) -> None:
    """Count a wrong password or code; the fifth in a row locks the account."""
    user.failed_logins = (user.failed_logins or 0) + 1
    locked = user.failed_logins >= MAX_FAILED_SIGN_INS
    if locked:
        user.locked_until = now + LOCKOUT
        user.failed_logins = 0
    audit.record(
        session,
        actor=f"staff:{user.id}",
        action="staff.sign_in_failed",
        summary={"staff_id": user.id, "step": step, "locked": locked},
    )
    session.flush()


def sign_in(session: Session, *, email: str, password: str, now: dt.datetime | None = None) -> SignIn:
    """Check an email and password, or raise SignInRefused with the same words for every reason.

    A locked or inactive account is refused without looking at the password; an
    unknown email costs the same Argon2 work as a known one.
    """
    now = now or utcnow()
    email = email.strip().lower()
    user = session.scalars(select(StaffUser).where(StaffUser.email == email).with_for_update()).first()
    if user is None:
        check_password(StaffUser(password_hash=_dummy_hash()), password)
        audit.record(session, actor="anonymous", action="staff.sign_in_failed", summary={"known": False})
        raise SignInRefused(REFUSED_MESSAGE)
    if not user.active or _locked(user, now):
        check_password(StaffUser(password_hash=_dummy_hash()), password)  # as slow as a real check
        reason = "inactive" if not user.active else "locked"
        audit.record(
            session,
            actor=f"staff:{user.id}",
            action="staff.sign_in_refused",
            summary={"staff_id": user.id, "reason": reason},
        )
        raise SignInRefused(REFUSED_MESSAGE)
    if not check_password(user, password):
        _failed(session, user, now, "password")
        raise SignInRefused(REFUSED_MESSAGE)
    if user.totp_secret_token:
        return SignIn(user=user, needs_code=True)
    _succeeded(session, user)
    return SignIn(user=user, needs_code=False)


def check_code(
    session: Session, *, keyring: Keyring, staff_id: int, code: str, now: dt.datetime | None = None
) -> StaffUser:
    """Check the one-time code that follows a matching password, or raise SignInRefused."""
    now = now or utcnow()
    user = session.scalars(select(StaffUser).where(StaffUser.id == staff_id).with_for_update()).first()
    if user is None or not user.active or _locked(user, now) or not user.totp_secret_token:
        raise SignInRefused(REFUSED_MESSAGE)
    secret = keyring.decrypt(user.totp_secret_token) or ""
    if not totp.verify(secret, code, now.timestamp()):
        _failed(session, user, now, "code")
        raise SignInRefused(REFUSED_MESSAGE)
    _succeeded(session, user)
    return user


def _succeeded(session: Session, user: StaffUser) -> None:
    user.failed_logins = 0
    user.locked_until = None
    audit.record(session, actor=f"staff:{user.id}", action="staff.signed_in", summary={"staff_id": user.id})
    session.flush()


def signed_out(session: Session, *, staff_id: int) -> None:
    """Record that a staff member signed out."""
    audit.record(session, actor=f"staff:{staff_id}", action="staff.signed_out", summary={"staff_id": staff_id})


def active_staff(session: Session, *, staff_id: int) -> StaffUser | None:
    """Return the active staff member with this id, or None."""
    user = session.get(StaffUser, staff_id)
    return user if user is not None and user.active else None


def enable_totp(session: Session, *, keyring: Keyring, email: str, actor: str) -> str:
    """Give a staff account a new one-time-code secret (replacing any old one); return the secret."""
    user = session.scalars(select(StaffUser).where(StaffUser.email == email.strip().lower())).first()
    if user is None:
        raise ValidationError({"email": "has no account"})
    secret = totp.new_secret()
    user.totp_secret_token = keyring.encrypt(secret)
    audit.record(session, actor=actor, action="staff.totp_enabled", summary={"staff_id": user.id})
    session.flush()
    return secret
