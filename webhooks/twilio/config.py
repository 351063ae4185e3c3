"""What the Twilio channels read from the environment."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from intake.config import DEFAULT_OFFICE_PHONE
from intake.errors import ConfigurationError

TWILIO_API = "https://api.twilio.com"
# HEARD_WHATSAPP_TEMPLATE_<LANG>: the ContentSid of the approved template in that language (ES, ZH_HANT, …).
TEMPLATE_PREFIX = "HEARD_WHATSAPP_TEMPLATE_"
_CONTENT_SID = re.compile(r"HX[0-9a-fA-F]{32}")


def whatsapp_templates(env: Mapping[str, str]) -> dict[str, str]:
    """Return the configured WhatsApp templates' ContentSids by language code; a malformed one is refused."""
    found: dict[str, str] = {}
    for key, value in env.items():
        if not key.startswith(TEMPLATE_PREFIX) or not value.strip():
            continue
        code = key[len(TEMPLATE_PREFIX) :]
        language = code.lower() if code != "ZH_HANT" else "zh_Hant"
        if not _CONTENT_SID.fullmatch(value.strip()):
            raise ConfigurationError(f"{key} must be a Content SID (HX followed by 32 hex digits)")
        found[language] = value.strip()
    return found


@dataclass(frozen=True)
class ChannelSettings:
    """Twilio credentials and the timings of a turn."""

    account_sid: str
    auth_token: str
    # Where Twilio's REST API and media live; tests point it at a local stand-in.
    api_base_url: str
    public_base_url: str | None
    rasa_url: str
    # How long the webhook waits for the dialogue before answering with a holding reply.
    inline_reply_seconds: float
    # Messages per second Twilio accepts from one long-code number.
    send_rate_per_second: float
    media_max_bytes: int
    office_phone: str
    # How long a resident may pause while telling what happened before the bot moves on
    # (sent to the dialogue with each text; None leaves it to the action server's default).
    narrative_pause_seconds: float | None = None
    # The action server Rasa calls (HEARD_ACTIONS_URL), when this deployment names one; /healthz checks it.
    actions_url: str | None = None
    # The approved WhatsApp template for each language (ContentSid), sent outside the 24-hour window.
    whatsapp_templates: dict[str, str] = field(default_factory=dict)

    def whatsapp_template(self, language: str | None) -> str | None:
        """Return the template for ``language``, else the English one, else None."""
        return self.whatsapp_templates.get(language or "en") or self.whatsapp_templates.get("en")

    # Rasa's HTTP API token (RASA_TOKEN), when its replicas are started with one (scripts/rasa-run).
    rasa_token: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ChannelSettings:
        """Read the settings; numbers that are not numbers are a configuration error."""
        try:
            inline = float(env.get("HEARD_INLINE_REPLY_SECONDS") or "6")
            rate = float(env.get("HEARD_SMS_RATE_PER_SECOND") or "1")
            media_max = int(env.get("HEARD_MEDIA_MAX_BYTES") or str(10 * 1024 * 1024))
            pause = env.get("HEARD_NARRATIVE_PAUSE_SECONDS")
            narrative_pause = float(pause) if pause else None
        except ValueError as exc:
            raise ConfigurationError(
                f"HEARD_INLINE_REPLY_SECONDS, HEARD_SMS_RATE_PER_SECOND, HEARD_NARRATIVE_PAUSE_SECONDS: {exc}"
            ) from exc
        if not 0 < inline <= 12:
            raise ConfigurationError("HEARD_INLINE_REPLY_SECONDS must be above 0 and at most 12 (Twilio waits 15)")
        return cls(
            account_sid=env.get("TWILIO_ACCOUNT_SID") or "",
            auth_token=env.get("TWILIO_AUTH_TOKEN") or "",
            api_base_url=(env.get("TWILIO_API_BASE_URL") or TWILIO_API).rstrip("/"),
            public_base_url=(env.get("PUBLIC_BASE_URL") or "").rstrip("/") or None,
            rasa_url=(env.get("RASA_URL") or "http://127.0.0.1:5005").strip().rstrip("/"),
            inline_reply_seconds=inline,
            send_rate_per_second=rate,
            media_max_bytes=media_max,
            office_phone=(env.get("HEARD_OFFICE_PHONE") or "").strip() or DEFAULT_OFFICE_PHONE,
            narrative_pause_seconds=narrative_pause,
            actions_url=(env.get("HEARD_ACTIONS_URL") or "").rstrip("/") or None,
            whatsapp_templates=whatsapp_templates(env),
            rasa_token=env.get("RASA_TOKEN") or None,
        )
