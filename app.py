"""The composition root: the one place configuration, database and blueprints are wired."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from intake import audit
from intake.config import Settings
from intake.crypto import Keyring, load_keyring
from intake.db import Database
from intake.logs import install_redaction
from intake.private import lock_down

# NOTE: 2 MB lets an oversized narrative reach validation and get a 422 naming the
# field; anything bigger is refused with 413 before it is read.
MAX_REQUEST_BYTES = 2 * 1024 * 1024
# Overrides that are objects, not settings.
_OBJECTS = ("KEYRING", "DATABASE", "SMS_CHANNEL")
# Overrides read as if they came from the environment.
_ENV_KEYS = ("DATABASE_URL", "PORT", "PUBLIC_BASE_URL", "RATELIMIT_STORAGE_URI", "RASA_URL")


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the Heard web application.

    Args:
        config: overrides, mostly for tests: ``DATABASE_URL``, ``HEARD_INSTANCE_DIR``,
            ``KEYRING`` (a Keyring), ``DATABASE`` (a ready Database), ``SMS_CHANNEL``,
            ``TWILIO_*``, ``HEARD_*`` and ``RASA_URL`` settings,
            ``RATELIMIT_ENABLED`` and anything Flask reads.
    """
    install_redaction()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # NOTE: the twilio SDK logs every request it makes at INFO; Heard logs what matters itself.
    logging.getLogger("twilio.http_client").setLevel(logging.WARNING)
    settings = Settings.from_env(_env_overrides(config or {}))

    app = Flask(__name__, instance_path=str(settings.instance_dir), static_folder=None)
    app.config.update(
        MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES,
        JSON_SORT_KEYS=False,
        RATELIMIT_STORAGE_URI=settings.ratelimit_storage_uri,
        # NOTE: explicit, because Flask-Limiter's shared extension would otherwise inherit the
        # last app's setting (one app built with limits off turned them off for the next).
        RATELIMIT_ENABLED=True,
        RATELIMIT_HEADERS_ENABLED=True,
        BABEL_TRANSLATION_DIRECTORIES=str(_locales_dir()),
        HEARD_SETTINGS=settings,
    )
    app.config.update({k: v for k, v in (config or {}).items() if k not in _OBJECTS})

    keyring: Keyring = (config or {}).get("KEYRING") or load_keyring(settings.instance_dir)
    app.config["SECRET_KEY"] = keyring.secret_key
    # NOTE: before anything is written: the instance folder 0700, every file this process makes 0600.
    lock_down(settings.instance_dir, settings.database_url)
    app.extensions["heard.keyring"] = keyring
    audit.use_key(audit.chain_key(keyring.hmac_key))
    app.extensions["heard.database"] = (config or {}).get("DATABASE") or Database(settings.database_url)

    if settings.trusted_proxies:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app,
            x_for=settings.trusted_proxies,
            x_proto=settings.trusted_proxies,
            x_host=settings.trusted_proxies,
            x_prefix=settings.trusted_proxies,
        )

    from webhooks import api, health, internal, session, web
    from webhooks.extensions import babel, limiter
    from webhooks.tty import stream as tty_stream
    from webhooks.twilio import sms, voice
    from webhooks.twilio.channel import SmsChannel
    from webhooks.twilio.config import ChannelSettings

    channel_settings = ChannelSettings.from_env(_env_overrides(config or {}))
    app.extensions["heard.channel_settings"] = channel_settings
    app.extensions["heard.sms"] = (config or {}).get("SMS_CHANNEL") or SmsChannel(
        database=app.extensions["heard.database"],
        keyring=keyring,
        settings=channel_settings,
        instance_dir=settings.instance_dir,
    )

    from intake.translation.engine import TranslationEngine, TranslationSettings

    # NOTE: nothing is loaded until a translation is first asked for.
    app.extensions["heard.translation"] = TranslationEngine(
        TranslationSettings.from_env(_env_overrides(config or {}), settings.instance_dir)
    )

    from console.i18n import select_locale

    # NOTE: Flask-Babel serves only the console's words (domain "console"); resident-facing
    # pages and channels pass the resident's language explicitly (webhooks/webtext, i18n).
    babel.init_app(app, default_domain="console", locale_selector=select_locale)
    limiter.init_app(app)
    session.init_app(app)
    web.init_app(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(internal.bp)
    app.register_blueprint(sms.bp)
    app.register_blueprint(voice.bp)
    app.register_blueprint(tty_stream.bp)

    from webhooks import chat, report

    chat.init_app(app)
    report.init_app(app)

    from console import init_app as init_console

    init_console(app)
    return app


def _env_overrides(config: Mapping[str, Any]) -> dict[str, str]:
    import os

    env = dict(os.environ)
    for key, value in config.items():
        if key in _ENV_KEYS or key.startswith(("TWILIO_", "HEARD_")):
            env[key] = str(value)
    return env


def _locales_dir() -> Any:
    from pathlib import Path

    return Path(__file__).resolve().parent / "locales"
