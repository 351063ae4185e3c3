"""Re-encryption of every stored secret under the newest key."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake import audit
from intake.crypto import Keyring
from intake.models import Contact, IdempotencyKey, StaffUser


def reencrypt_all(session: Session, *, keyring: Keyring, actor: str) -> int:
    """Rotate every Fernet token to the primary key; return how many values were rewritten."""
    count = 0
    for contact in session.scalars(select(Contact)):
        for field in ("name_token", "phone_token", "email_token"):
            token = getattr(contact, field)
            if token is not None:
                setattr(contact, field, keyring.rotate(token))
                count += 1
    for key in session.scalars(select(IdempotencyKey).where(IdempotencyKey.response_token.is_not(None))):
        key.response_token = keyring.rotate(key.response_token)
        count += 1
    for user in session.scalars(select(StaffUser).where(StaffUser.totp_secret_token.is_not(None))):
        user.totp_secret_token = keyring.rotate(user.totp_secret_token)
        count += 1
    audit.record(session, actor=actor, action="keys.rotated", summary={"values": count})
    session.flush()
    return count
