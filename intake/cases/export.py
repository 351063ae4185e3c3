"""Export of the queue, one record per case; contact details only when asked for."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from intake import audit
from intake.cases import tracking
from intake.crypto import Keyring
from intake.models import Case

FIELDS = (
    "tracking_number",
    "kind",
    "status",
    "disposition",
    "channel",
    "language",
    "category",
    "narrative",
    "incident_time_text",
    "incident_at",
    "location",
    "officers",
    "injuries",
    "witnesses",
    "anonymous",
    "needs_interpreter",
    "created_at",
    "updated_at",
)
CONTACT_FIELDS = ("contact_name", "contact_phone", "contact_email", "contact_preferred")


def iter_records(session: Session, *, keyring: Keyring | None, include_contact: bool) -> Iterator[dict[str, Any]]:
    """Yield one plain dict per case, oldest first."""
    query = select(Case).order_by(Case.id).options(selectinload(Case.contact)).execution_options(yield_per=500)
    for case in session.scalars(query):
        record: dict[str, Any] = {}
        for field in FIELDS:
            value = getattr(case, field)
            record[field] = value.isoformat() if hasattr(value, "isoformat") else value
        record["tracking_number"] = tracking.format_tracking_number(case.tracking_number)
        if include_contact:
            if keyring is None:
                raise ValueError("contact details need the keyring")
            contact = case.contact
            record["contact_name"] = keyring.decrypt(contact.name_token) if contact else None
            record["contact_phone"] = keyring.decrypt(contact.phone_token) if contact else None
            record["contact_email"] = keyring.decrypt(contact.email_token) if contact else None
            record["contact_preferred"] = contact.preferred.value if contact else None
        yield record


def write_export(
    session: Session, *, keyring: Keyring | None, out: IO[str], fmt: str, include_contact: bool, actor: str
) -> int:
    """Write every case to ``out`` as ``jsonl`` or ``csv``; audit the export; return the count."""
    records = iter_records(session, keyring=keyring, include_contact=include_contact)
    count = 0
    if fmt == "jsonl":
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
    elif fmt == "csv":
        columns = FIELDS + (CONTACT_FIELDS if include_contact else ())
        writer = csv.DictWriter(out, fieldnames=columns)
        writer.writeheader()
        for record in records:
            writer.writerow(record)
            count += 1
    else:
        raise ValueError(f"unknown export format {fmt!r}")
    audit.record(
        session,
        actor=actor,
        action="cases.exported",
        summary={"format": fmt, "count": count, "include_contact": include_contact},
    )
    return count
