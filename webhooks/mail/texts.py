"""The words around a staff reply in an email, for the messages catalog."""

from __future__ import annotations

from webhooks.i18n import _

SUBJECT = _("A message about your report")
INTRO = _("The police review office has written to you about your report {tracking_number}:")
FOOTER = _(
    "No one reads answers to this email. To answer, or to talk with a person, call {phone}. "
    "We will never ask for your PIN by email."
)
