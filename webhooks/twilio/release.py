"""Release the quarantine: verify each kept text again against the configuration now, process only those that hold.

Run by the worker (job ``quarantine.release``, queued by ``intake quarantine release``), so
the check uses the auth token and ``PUBLIC_BASE_URL`` the running processes use. A request
whose signature still fails stays kept; nothing forged is ever processed.
"""

from __future__ import annotations

import logging

from twilio.request_validator import RequestValidator, get_signature_algorithm
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from intake import quarantine
from intake.conversations import messaging
from intake.crypto import Keyring
from intake.db import Database
from intake.errors import ConfigurationError
from webhooks.twilio.config import ChannelSettings
from webhooks.twilio.fields import parse_inbound

log = logging.getLogger(__name__)


def holds(settings: ChannelSettings, kept: quarantine.KeptRequest) -> bool:
    """Tell whether a kept request's signature holds for the configuration now."""
    if not settings.auth_token or not settings.public_base_url or not kept.signature:
        return False
    validator = RequestValidator(settings.auth_token)
    algorithm = get_signature_algorithm(kept.signature_settings)
    url = settings.public_base_url + kept.path
    return bool(validator.validate(url, MultiDict(kept.fields), kept.signature, algorithm=algorithm))


def release_all(*, database: Database, keyring: Keyring, settings: ChannelSettings) -> tuple[int, int]:
    """Process every kept text whose signature now holds; return (released, still failing)."""
    released = failing = 0
    with database.session() as session:
        for row in quarantine.waiting(session):
            try:
                kept = quarantine.KeptRequest.opened(keyring, row.sealed)
            except (ConfigurationError, ValueError, KeyError, TypeError):
                kept = None
            if kept is None or not holds(settings, kept):
                quarantine.mark(row, released=False)
                failing += 1
                session.commit()
                continue
            try:
                inbound = parse_inbound(MultiDict(kept.fields))
            except HTTPException:
                inbound = None  # signed by Twilio, but not a text: nothing to store
            if inbound is not None:
                message, created = messaging.receive_text(session, keyring=keyring, inbound=inbound)
                if created:
                    # The webhook was refused: the answer can only go by REST.
                    messaging.decide_reply_via(session, message_id=message.id, via="rest")
            quarantine.mark(row, released=True)
            released += 1
            session.commit()
    if released or failing:
        log.warning("quarantine: %d text(s) re-verified and processed, %d still failing", released, failing)
    return released, failing
