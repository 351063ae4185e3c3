"""Staff accounts: created by an administrator, never self-registered; signing in, lock-out, one-time codes."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from intake import audit
from intake.access import totp
from intake.crypto import Keyring
from intake.db import utcnow
from intake.enums import Role
from intake.errors import SignInRefused, ValidationError
from intake.models import SignInThrottle, StaffSession, StaffUser

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


# NOTE: no account lock-out (five wrong passwords from anywhere let a stranger lock anyone
# out). Wrong passwords and codes are counted per account *and address*: after FREE_TRIES,
# that address waits 1, 2, 4 ... seconds (at most MAX_WAIT) before its next try on that
# account is even checked, while the member signs in from their own address as usual.
FREE_TRIES = 3
MAX_WAIT = dt.timedelta(minutes=15)
# A throttle forgets an address that has not failed for this long.
THROTTLE_MEMORY = dt.timedelta(hours=24)
REFUSED_MESSAGE = "That email, password or code is not right, or the account is locked for a while."


@dataclass(frozen=True)
class SignIn:
    """A password that matched: who it is, and whether a one-time code must follow."""

    user: StaffUser
    needs_code: bool


@functools.cache
def _dummy_hash() -> str:
    return _hasher.hash("a password nobody has; it keeps unknown emails as slow as known ones")


def _throttle_key(user: StaffUser, address: str, keyring: Keyring | None) -> str:
    text = f"{user.id}|{address}"
    if keyring is not None:
        return keyring.digest("sign-in-throttle", text)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _throttle(session: Session, key: str) -> SignInThrottle | None:
    return session.scalars(
        select(SignInThrottle).where(SignInThrottle.key_digest == key).with_for_update()
    ).one_or_none()


def _waiting(throttle: SignInThrottle | None, now: dt.datetime) -> bool:
    return throttle is not None and throttle.wait_until is not None and throttle.wait_until > now


def wait_after(failures: int) -> dt.timedelta:
    """How long an address waits after this many wrong tries in a row on one account."""
    if failures < FREE_TRIES:
        return dt.timedelta(0)
    return min(MAX_WAIT, dt.timedelta(seconds=2 ** min(failures - FREE_TRIES, 20)))


def _failed(
    session: Session, user: StaffUser, now: dt.datetime, step: str, key: str, throttle: SignInThrottle | None
) -> None:
    """Count a wrong password or code for this account and address; from FREE_TRIES on, that address waits."""
    if throttle is None:
        throttle = SignInThrottle(key_digest=key, failures=0)
        session.add(throttle)
    elif now - throttle.last_failure_at > THROTTLE_MEMORY:
        throttle.failures = 0
    throttle.failures = (throttle.failures or 0) + 1
    throttle.last_failure_at = now
    wait = wait_after(throttle.failures)
    throttle.wait_until = now + wait if wait else None
    user.failed_logins = (user.failed_logins or 0) + 1
    audit.record(
        session,
        actor=f"staff:{user.id}",
        action="staff.sign_in_failed",
        summary={"staff_id": user.id, "step": step, "wait_seconds": int(wait.total_seconds())},
    )
    session.flush()


def sign_in(
    session: Session,
    *,
    email: str,
    password: str,
    address: str = "",
    keyring: Keyring | None = None,
    now: dt.datetime | None = None,
) -> SignIn:
    """Check an email and password, or raise SignInRefused with the same words for every reason.

    An inactive account, or one this address must wait for, is refused without looking at
    the password; an unknown email costs the same Argon2 work as a known one.
    """
    now = now or utcnow()
    email = email.strip().lower()
    user = session.scalars(select(StaffUser).where(StaffUser.email == email).with_for_update()).first()
    if user is None:
        check_password(StaffUser(password_hash=_dummy_hash()), password)
        audit.record(session, actor="anonymous", action="staff.sign_in_failed", summary={"known": False})
        raise SignInRefused(REFUSED_MESSAGE)
    key = _throttle_key(user, address, keyring)
    throttle = _throttle(session, key)
    if not user.active or _waiting(throttle, now):
        check_password(StaffUser(password_hash=_dummy_hash()), password)  # as slow as a real check
        reason = "inactive" if not user.active else "waiting"
        audit.record(
            session,
            actor=f"staff:{user.id}",
            action="staff.sign_in_refused",
            summary={"staff_id": user.id, "reason": reason},
        )
        raise SignInRefused(REFUSED_MESSAGE)
    if not check_password(user, password):
        _failed(session, user, now, "password", key, throttle)
        raise SignInRefused(REFUSED_MESSAGE)
    if user.totp_secret_token:
        return SignIn(user=user, needs_code=True)
    _succeeded(session, user, throttle)
    return SignIn(user=user, needs_code=False)


def check_code(
    session: Session,
    *,
    keyring: Keyring,
    staff_id: int,
    code: str,
    address: str = "",
    now: dt.datetime | None = None,
) -> StaffUser:
    """Check the one-time code that follows a matching password, or raise SignInRefused."""
    now = now or utcnow()
    user = session.scalars(select(StaffUser).where(StaffUser.id == staff_id).with_for_update()).first()
    if user is None or not user.active or not user.totp_secret_token:
        raise SignInRefused(REFUSED_MESSAGE)
    key = _throttle_key(user, address, keyring)
    throttle = _throttle(session, key)
    if _waiting(throttle, now):
        raise SignInRefused(REFUSED_MESSAGE)
    secret = keyring.decrypt(user.totp_secret_token) or ""
    if not totp.verify(secret, code, now.timestamp()):
        _failed(session, user, now, "code", key, throttle)
        raise SignInRefused(REFUSED_MESSAGE)
    _succeeded(session, user, throttle)
    return user


def _succeeded(session: Session, user: StaffUser, throttle: SignInThrottle | None) -> None:
    user.failed_logins = 0
    user.locked_until = None
    if throttle is not None:
        session.delete(throttle)
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


# ------------------------------------------------------------------ server-side console sessions

SESSION_PURPOSE = "staff-session"
ENDED_SIGNED_OUT = "signed_out"
ENDED_EVERYWHERE = "signed_out_everywhere"
ENDED_PASSWORD = "password_changed"  # noqa: S105 - a reason, not a secret
ENDED_ROLE = "role_changed"


def open_session(session: Session, *, keyring: Keyring, user: StaffUser) -> str:
    """Start a console session for ``user``; return its token, which only the browser's cookie holds."""
    token = secrets.token_urlsafe(32)
    session.add(StaffSession(token_digest=keyring.digest(SESSION_PURPOSE, token), staff_id=user.id))
    session.flush()
    return token


def session_staff(
    session: Session, *, keyring: Keyring, token: str, max_age: dt.timedelta, now: dt.datetime | None = None
) -> StaffUser | None:
    """Return the active staff member whose live session ``token`` names, else None."""
    if not token or len(token) > 128:
        return None
    now = now or utcnow()
    found = session.scalars(
        select(StaffSession).where(StaffSession.token_digest == keyring.digest(SESSION_PURPOSE, token))
    ).one_or_none()
    if found is None or found.ended_at is not None:
        return None
    if now - found.created_at > max_age:
        found.ended_at, found.end_reason = now, "expired"
        return None
    found.last_seen_at = now
    return active_staff(session, staff_id=found.staff_id)


def end_session(session: Session, *, keyring: Keyring, token: str) -> None:
    """End the one session ``token`` names (signing out)."""
    if not token or len(token) > 128:
        return
    session.execute(
        update(StaffSession)
        .where(StaffSession.token_digest == keyring.digest(SESSION_PURPOSE, token), StaffSession.ended_at.is_(None))
        .values(ended_at=utcnow(), end_reason=ENDED_SIGNED_OUT)
    )


def end_all_sessions(session: Session, *, staff_id: int, reason: str, actor: str) -> int:
    """End every live session of one staff member; return how many ended."""
    result = session.execute(
        update(StaffSession)
        .where(StaffSession.staff_id == staff_id, StaffSession.ended_at.is_(None))
        .values(ended_at=utcnow(), end_reason=reason)
    )
    ended = int(getattr(result, "rowcount", 0) or 0)
    audit.record(session, actor=actor, action="staff.sessions_ended", summary={"staff_id": staff_id, "reason": reason})
    return ended


def change_password(session: Session, *, staff_id: int, password: str, actor: str) -> None:
    """Set a new password and end every session the old one opened."""
    user = session.get(StaffUser, staff_id)
    if user is None:
        raise ValidationError({"staff": "has no account"})
    if len(password) < MIN_PASSWORD_CHARS:
        raise ValidationError({"password": f"must be at least {MIN_PASSWORD_CHARS} characters"})
    user.password_hash = _hasher.hash(password)
    audit.record(session, actor=actor, action="staff.password_changed", summary={"staff_id": user.id})
    end_all_sessions(session, staff_id=user.id, reason=ENDED_PASSWORD, actor=actor)
    session.flush()


def change_role(session: Session, *, staff_id: int, role: Role, actor: str) -> None:
    """Give a staff member another role and end their sessions, so the next page is seen with the new one."""
    user = session.get(StaffUser, staff_id)
    if user is None:
        raise ValidationError({"staff": "has no account"})
    before = user.role
    user.role = role
    audit.record(
        session,
        actor=actor,
        action="staff.role_changed",
        summary={"staff_id": user.id, "from": before.value, "to": role.value},
    )
    end_all_sessions(session, staff_id=user.id, reason=ENDED_ROLE, actor=actor)
    session.flush()
