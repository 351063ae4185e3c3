"""Twilio's form fields for an incoming text, read into what Heard stores."""

from __future__ import annotations

from flask import abort
from werkzeug.datastructures import MultiDict

from intake.conversations.messaging import InboundText, MediaRef

MAX_MEDIA = 10
# Fields Twilio sends that help investigators and carry no personal data.
KEPT_FIELDS = ("AccountSid", "MessagingServiceSid", "NumSegments", "NumMedia", "SmsStatus", "ApiVersion")


def parse_inbound(form: MultiDict[str, str]) -> InboundText:
    """Read Twilio's form fields into an InboundText; 400 when the essentials are missing."""
    sid = (form.get("MessageSid") or form.get("SmsMessageSid") or "").strip()
    sender = (form.get("From") or "").strip()
    if not sid or not sender or len(sid) > 64:
        abort(400, "MessageSid and From are required")
    try:
        count = min(int(form.get("NumMedia") or "0"), MAX_MEDIA)
    except ValueError:
        count = 0
    media = tuple(
        MediaRef(url=form[f"MediaUrl{i}"], content_type=form.get(f"MediaContentType{i}") or "")
        for i in range(count)
        if form.get(f"MediaUrl{i}")
    )
    meta = {key: form[key] for key in KEPT_FIELDS if form.get(key)}
    # NOTE: NUL and other control characters cannot be stored in PostgreSQL text; keep the rest.
    body = "".join(c for c in form.get("Body") or "" if c in "\n\t" or c >= " ")
    return InboundText(
        provider_id=sid,
        from_number=sender,
        to_number=(form.get("To") or "").strip(),
        body=body,
        media=media,
        meta=meta,
    )
