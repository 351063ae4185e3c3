"""Every Twilio webhook proves it came from Twilio: ``X-Twilio-Signature`` over the public URL and body."""

from __future__ import annotations

import logging
from urllib.parse import quote

from flask import abort, current_app, request
from twilio.request_validator import RequestValidator, get_signature_algorithm

from intake import quarantine as quarantined
from web.session import get_session, keyring
from webhooks.twilio.config import ChannelSettings

log = logging.getLogger(__name__)


def public_url() -> str:
    """Return the URL Twilio requested: the public base URL, then the path and raw query as received.

    NOTE: Twilio signs the URL exactly as it sent it, percent-encoding included, so the
    raw request line is used, never Flask's decoded ``request.path``.
    """
    settings: ChannelSettings = current_app.extensions["heard.channel_settings"]
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
    if not raw:
        raw = quote(request.script_root + request.path)
        if request.query_string:
            raw += "?" + request.query_string.decode("latin-1")
    if raw.startswith(("http://", "https://")):  # an absolute request line (a proxy's): keep its path only
        raw = "/" + raw.split("/", 3)[3] if raw.count("/") >= 3 else "/"
    base = settings.public_base_url or request.host_url.rstrip("/")
    return base + raw


def verify(*, quarantine: bool = False) -> None:
    """Refuse (403) a request that Twilio did not sign with Heard's token.

    With ``quarantine`` (the texts' webhook), a request that carries a signature that does not
    hold is kept sealed in the quarantine (never processed) before the refusal.
    """
    settings: ChannelSettings = current_app.extensions["heard.channel_settings"]
    signature = request.headers.get("X-Twilio-Signature", "")
    if not settings.auth_token:
        log.error("Twilio webhook refused: TWILIO_AUTH_TOKEN is not configured")
        if quarantine and signature:
            _quarantine("no auth token")
        abort(403)
    if not signature:
        log.warning("Twilio webhook refused: no signature on %s", request.path)
        abort(403)
    algorithm = get_signature_algorithm(request.headers.get("X-Twilio-Webhooks-Signature-Settings"))
    url = public_url()
    validator = RequestValidator(settings.auth_token)
    params: object
    if request.mimetype == "application/json":
        # NOTE: Twilio signs a JSON body through a bodySHA256 in the URL; without one there is
        # nothing that covers the body, and the validator would read the text as a form (500).
        if "bodySHA256" not in request.args:
            log.warning("Twilio webhook refused: a JSON body without bodySHA256 on %s", request.path)
            abort(403)
        params = request.get_data().decode("utf-8", "replace")
    else:
        params = request.form
    if not validator.validate(url, params, signature, algorithm=algorithm):
        log.warning("Twilio webhook refused: bad signature on %s", request.path)
        if quarantine and request.mimetype != "application/json":
            _quarantine("bad signature")
        abort(403)


def raw_path() -> str:
    """Return the path and raw query as Twilio requested them (what its signature covers, after the base)."""
    return public_url().removeprefix(_base())


def _base() -> str:
    settings: ChannelSettings = current_app.extensions["heard.channel_settings"]
    return settings.public_base_url or request.host_url.rstrip("/")


def _quarantine(reason: str) -> None:
    """Keep a text whose signature failed, sealed and unprocessed, for ``intake quarantine release``."""
    kept = quarantined.KeptRequest(
        path=raw_path(),
        fields=list(request.form.items(multi=True)),
        signature=request.headers.get("X-Twilio-Signature", ""),
        signature_settings=request.headers.get("X-Twilio-Webhooks-Signature-Settings"),
    )
    session = get_session()
    try:
        if quarantined.keep(session, keyring=keyring(), request=kept, reason=reason):
            session.commit()
    except Exception:  # NOTE: the database may be the thing that is down; the refusal stands
        session.rollback()
        log.exception("a webhook whose signature failed could not be kept in the quarantine")
