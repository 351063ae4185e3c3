"""What the email channel reads from the environment: ``HEARD_SMTP_URL`` and ``HEARD_MAIL_FROM``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from email.headerregistry import Address
from email.utils import parseaddr
from urllib.parse import parse_qs, unquote, urlsplit

from intake.config import DEFAULT_OFFICE_PHONE
from intake.errors import ConfigurationError

PORTS = {"smtp": 587, "smtps": 465}


@dataclass(frozen=True)
class MailSettings:
    """An SMTP relay and Heard's sender address; ``host`` is None when email is not configured."""

    host: str | None
    port: int = 587
    # True for smtps:// (TLS from the first byte); smtp:// upgrades with STARTTLS.
    implicit_tls: bool = False
    starttls: bool = True
    username: str | None = None
    password: str | None = None
    mail_from: str = ""
    # A CA bundle to trust besides the system's (a relay with its own certificate authority).
    ca_file: str | None = None
    office_phone: str = DEFAULT_OFFICE_PHONE
    timeout_seconds: float = 30.0

    @property
    def configured(self) -> bool:
        return bool(self.host and self.mail_from)

    @property
    def envelope_from(self) -> str:
        """The bare address bounces go back to."""
        return parseaddr(self.mail_from)[1]

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> MailSettings:
        """Read the relay's URL; a URL that would send a password in clear is refused."""
        office_phone = (env.get("HEARD_OFFICE_PHONE") or "").strip() or DEFAULT_OFFICE_PHONE
        url = (env.get("HEARD_SMTP_URL") or "").strip()
        mail_from = (env.get("HEARD_MAIL_FROM") or "").strip()
        ca_file = (env.get("HEARD_SMTP_CA_FILE") or "").strip() or None
        if not url:
            return cls(host=None, mail_from=mail_from, office_phone=office_phone)
        parts = urlsplit(url)
        if parts.scheme not in PORTS or not parts.hostname:
            raise ConfigurationError("HEARD_SMTP_URL must be smtp://user:pass@host:port or smtps://user:pass@host:port")
        if not mail_from or "@" not in parseaddr(mail_from)[1]:
            raise ConfigurationError("HEARD_MAIL_FROM must be an address, e.g. 'Heard <heard@city.example>'")
        try:
            Address(addr_spec=parseaddr(mail_from)[1])
            port = parts.port or PORTS[parts.scheme]
        except ValueError as exc:
            raise ConfigurationError(f"HEARD_SMTP_URL or HEARD_MAIL_FROM: {exc}") from exc
        query = parse_qs(parts.query)
        starttls = parts.scheme == "smtp" and (query.get("starttls") or ["required"])[0] != "off"
        username = unquote(parts.username) if parts.username else None
        if parts.scheme == "smtp" and not starttls and username:
            # NOTE: the safer choice: credentials never cross the network in clear.
            raise ConfigurationError("HEARD_SMTP_URL: starttls=off is allowed only without credentials")
        return cls(
            host=parts.hostname,
            port=port,
            implicit_tls=parts.scheme == "smtps",
            starttls=starttls,
            username=username,
            password=unquote(parts.password) if parts.password else None,
            mail_from=mail_from,
            ca_file=ca_file,
            office_phone=office_phone,
        )
