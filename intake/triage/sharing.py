"""What the police liaison may have of a case's evidence, and the supervisor's explicit, audited shares of originals.

A liaison gets, of a referred case's files:

- images Heard can re-encode (JPEG, PNG, still GIF and WebP): a copy without metadata
  (``intake.redact``), never the resident's bytes;
- a call recording (the caller's own voice), a video, a sound file, a document, an image
  Heard cannot re-encode (HEIC): nothing, until a supervisor shares that one file with a
  reason; the liaison then gets the original, until the share is revoked.

Sharing and revoking are written to the audit log with the reason.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake import audit, inputs, redact
from intake.access.permissions import Action, actor_of, visible_case
from intake.db import utcnow
from intake.errors import NotFound, ValidationError
from intake.models import Attachment, EvidenceShare, StaffUser

REASON_MAX_CHARS = 500
RECORDING_KIND = "call recording"


class LiaisonCopy(StrEnum):
    """What a liaison receives of one file."""

    ORIGINAL = "original"  # shared explicitly by a supervisor
    REDACTED = "redacted"  # an image re-encoded without metadata
    NONE = "none"


def is_recording(attachment: Attachment) -> bool:
    """Tell whether a file is a call's recording (or any sound a resident sent: a voice, too)."""
    return (attachment.meta or {}).get("kind") == RECORDING_KIND or attachment.content_type.startswith("audio/")


def active_shares(session: Session, attachment_ids: list[int]) -> dict[int, EvidenceShare]:
    """Return the share in force for each of these files that has one."""
    if not attachment_ids:
        return {}
    found = session.scalars(
        select(EvidenceShare)
        .where(EvidenceShare.attachment_id.in_(attachment_ids), EvidenceShare.revoked_at.is_(None))
        .order_by(EvidenceShare.id)
    )
    return {share.attachment_id: share for share in found}


def liaison_copy(attachment: Attachment, *, shared: bool) -> LiaisonCopy:
    """Return what a liaison receives of ``attachment``."""
    if shared:
        return LiaisonCopy.ORIGINAL
    if not is_recording(attachment) and redact.can_redact(attachment.content_type):
        return LiaisonCopy.REDACTED
    return LiaisonCopy.NONE


def _attachment_of(session: Session, case_id: int, attachment_id: int) -> Attachment:
    attachment = session.get(Attachment, attachment_id)
    if attachment is None or attachment.case_id != case_id:
        raise NotFound("no such attachment on this case")
    return attachment


def share_with_liaison(
    session: Session, *, viewer: StaffUser, case_id: int, attachment_id: int, reason: str
) -> EvidenceShare:
    """Share one original file with the police liaison, saying why; a file already shared keeps its share."""
    case = visible_case(session, viewer, case_id, Action.SHARE_EVIDENCE)
    attachment = _attachment_of(session, case.id, attachment_id)
    text = inputs.storable((reason or "").replace("\x00", "")).strip()
    if not text:
        raise ValidationError({"reason": "say why the liaison needs the original file"})
    if len(text) > REASON_MAX_CHARS:
        raise ValidationError({"reason": f"must be at most {REASON_MAX_CHARS} characters"})
    existing = active_shares(session, [attachment.id]).get(attachment.id)
    if existing is not None:
        return existing
    share = EvidenceShare(attachment_id=attachment.id, shared_by=viewer.id, reason=text, created_at=utcnow())
    session.add(share)
    session.flush()
    audit.record(
        session,
        actor=actor_of(viewer),
        action="attachment.shared",
        case_id=case.id,
        summary={
            "attachment_id": attachment.id,
            "sha256": attachment.sha256,
            "share_id": share.id,
            "recording": is_recording(attachment),
            "reason": text,
        },
    )
    return share


def revoke_share(session: Session, *, viewer: StaffUser, case_id: int, attachment_id: int) -> bool:
    """End the liaison's access to an original file; False when it was not shared."""
    case = visible_case(session, viewer, case_id, Action.SHARE_EVIDENCE)
    attachment = _attachment_of(session, case.id, attachment_id)
    share = active_shares(session, [attachment.id]).get(attachment.id)
    if share is None:
        return False
    share.revoked_at = utcnow()
    share.revoked_by = viewer.id
    audit.record(
        session,
        actor=actor_of(viewer),
        action="attachment.share_revoked",
        case_id=case.id,
        summary={"attachment_id": attachment.id, "sha256": attachment.sha256, "share_id": share.id},
    )
    return True
