"""Partner organisations and their API tokens (kept only as digests)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake import audit
from intake.errors import ValidationError
from intake.models import Partner

TOKEN_PREFIX = "heard_"  # noqa: S105 (a public prefix that makes tokens recognisable, not a secret)


def _digest(token: str) -> str:
    # NOTE: a plain SHA-256 is enough: tokens carry 256 random bits, nothing to brute-force.
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_partner(session: Session, *, name: str, actor: str) -> tuple[Partner, str]:
    """Register a partner; return it with its token, which is shown this once only."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": "must not be empty"})
    if session.scalars(select(Partner).where(Partner.name == name)).first():
        raise ValidationError({"name": f"a partner named {name!r} already exists"})
    prefix = secrets.token_hex(6)
    token = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    partner = Partner(name=name, token_prefix=prefix, token_digest=_digest(token), active=True)
    session.add(partner)
    session.flush()
    audit.record(session, actor=actor, action="partner.created", summary={"partner_id": partner.id, "name": name})
    return partner, token


def authenticate(session: Session, *, token: str) -> Partner | None:
    """Return the active partner this token belongs to, or None."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    prefix, _, rest = token[len(TOKEN_PREFIX) :].partition("_")
    if not rest:
        return None
    partner = session.scalars(select(Partner).where(Partner.token_prefix == prefix)).one_or_none()
    if partner is None or not partner.active:
        return None
    return partner if hmac.compare_digest(partner.token_digest, _digest(token)) else None
