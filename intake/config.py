"""Settings read from the environment, once, by whoever composes the program."""

from __future__ import annotations

import os
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from intake.errors import ConfigurationError

# The office's time zone decides "today" on the report form, the console's clocks and the
# board's quarters; one default, read in one place.
DEFAULT_OFFICE_TIMEZONE = "America/Los_Angeles"
DEFAULT_OFFICE_PHONE = "(209) 555-0100"


@dataclass(frozen=True)
class Settings:
    """Everything Heard reads from its environment."""

    instance_dir: Path
    database_url: str
    port: int
    public_base_url: str | None
    trusted_proxies: int
    ratelimit_storage_uri: str
    office_timezone: str = DEFAULT_OFFICE_TIMEZONE
    office_phone: str = DEFAULT_OFFICE_PHONE
    # Where evidence, recordings and the spool go: unset for files under ``instance_dir``,
    # ``s3://bucket/prefix`` for object storage (``intake.storage``).
    storage_url: str | None = None

    @property
    def office_zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.office_timezone)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read settings from ``environ`` (default: the process environment)."""
        env = os.environ if environ is None else environ
        instance_dir = Path(env.get("HEARD_INSTANCE_DIR") or "instance").resolve()
        database_url = normalize_database_url(env.get("DATABASE_URL") or f"sqlite:///{instance_dir / 'heard.db'}")
        try:
            port = int(env.get("PORT") or "5000")
            trusted_proxies = int(env.get("HEARD_TRUSTED_PROXIES") or "0")
        except ValueError as exc:
            raise ConfigurationError(f"PORT and HEARD_TRUSTED_PROXIES must be integers: {exc}") from exc
        return cls(
            instance_dir=instance_dir,
            database_url=database_url,
            port=port,
            public_base_url=env.get("PUBLIC_BASE_URL") or None,
            trusted_proxies=trusted_proxies,
            ratelimit_storage_uri=env.get("RATELIMIT_STORAGE_URI") or "memory://",
            office_timezone=office_timezone(env),
            office_phone=(env.get("HEARD_OFFICE_PHONE") or "").strip() or DEFAULT_OFFICE_PHONE,
            storage_url=(env.get("HEARD_STORAGE_URL") or "").strip() or None,
        )


def office_timezone(env: Mapping[str, str]) -> str:
    """Return ``HEARD_OFFICE_TIMEZONE`` (default America/Los_Angeles), refusing a zone that does not exist."""
    name = (env.get("HEARD_OFFICE_TIMEZONE") or "").strip() or DEFAULT_OFFICE_TIMEZONE
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigurationError(f"HEARD_OFFICE_TIMEZONE {name!r} is not a known time zone") from exc
    return name


def normalize_database_url(url: str) -> str:
    """Point plain PostgreSQL URLs (as hosting platforms give them) at the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
