"""The services every Heard process shares, built in one place from one configuration.

``create_app()`` (the web process) and ``worker.py`` (the background jobs) both start
here, so they read the same settings and keys the same way, and the worker never builds
the web application it does not serve.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from intake import audit
from intake.config import Settings
from intake.crypto import Keyring, load_keyring
from intake.db import Database
from intake.logs import install_redaction
from intake.private import lock_down
from intake.storage import Storage, from_settings
from intake.translation.engine import TranslationEngine, TranslationSettings
from webhooks.mail.config import MailSettings
from webhooks.mail.sender import MailSender
from webhooks.twilio.channel import SmsChannel
from webhooks.twilio.config import ChannelSettings

# Overrides that are objects, not settings.
OBJECTS = ("KEYRING", "DATABASE", "SMS_CHANNEL")
# Overrides read as if they came from the environment.
ENV_KEYS = ("DATABASE_URL", "PORT", "PUBLIC_BASE_URL", "RATELIMIT_STORAGE_URI", "RASA_URL", "RASA_TOKEN")
# (settings named TWILIO_* and HEARD_* are read from the overrides too: HEARD_SMTP_URL, HEARD_MAIL_FROM, …)


@dataclass(frozen=True)
class Services:
    """What a process needs to do Heard's work: settings, keys, the database, the channel, translation."""

    settings: Settings
    keyring: Keyring
    database: Database
    storage: Storage
    channel_settings: ChannelSettings
    sms: SmsChannel
    translation: TranslationEngine
    mail: MailSender


def build_services(config: Mapping[str, Any] | None = None) -> Services:
    """Build the shared services from the environment and ``config`` overrides (tests pass objects here)."""
    config = config or {}
    install_redaction()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # NOTE: the twilio SDK logs every request it makes at INFO; Heard logs what matters itself.
    logging.getLogger("twilio.http_client").setLevel(logging.WARNING)
    env = env_overrides(config)
    settings = Settings.from_env(env)
    keyring: Keyring = config.get("KEYRING") or load_keyring(settings.instance_dir)
    # NOTE: before anything is written: the instance folder 0700, every file this process makes 0600.
    lock_down(settings.instance_dir, settings.database_url)
    audit.use_key(audit.chain_key(keyring.hmac_key))
    database: Database = config.get("DATABASE") or Database(settings.database_url)
    storage = from_settings(settings.storage_url, instance_dir=settings.instance_dir, environ=env)
    channel_settings = ChannelSettings.from_env(env)
    sms = config.get("SMS_CHANNEL") or SmsChannel(
        database=database, keyring=keyring, settings=channel_settings, storage=storage
    )
    # NOTE: nothing is loaded until a translation is first asked for.
    translation = TranslationEngine(TranslationSettings.from_env(env, settings.instance_dir))
    mail = MailSender(database=database, keyring=keyring, settings=MailSettings.from_env(env))
    return Services(
        mail=mail,
        settings=settings,
        keyring=keyring,
        database=database,
        storage=storage,
        channel_settings=channel_settings,
        sms=sms,
        translation=translation,
    )


def env_overrides(config: Mapping[str, Any]) -> dict[str, str]:
    """Return the environment with ``config``'s settings laid over it."""
    env = dict(os.environ)
    for key, value in config.items():
        if key in ENV_KEYS or key.startswith(("TWILIO_", "HEARD_")):
            env[key] = str(value)
    return env
