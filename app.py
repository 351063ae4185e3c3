"""The composition root: the one place configuration, database and blueprints are wired."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from services import OBJECTS, build_services

# NOTE: 2 MB lets an oversized narrative reach validation and get a 422 naming the
# field; anything bigger is refused with 413 before it is read.
MAX_REQUEST_BYTES = 2 * 1024 * 1024


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the Heard web application.

    Args:
        config: overrides, mostly for tests: ``DATABASE_URL``, ``HEARD_INSTANCE_DIR``,
            ``KEYRING`` (a Keyring), ``DATABASE`` (a ready Database), ``SMS_CHANNEL``,
            ``TWILIO_*``, ``HEARD_*`` and ``RASA_URL`` settings,
            ``RATELIMIT_ENABLED`` and anything Flask reads.
    """
    services = build_services(config)
    settings = services.settings

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
    app.config.update({k: v for k, v in (config or {}).items() if k not in OBJECTS})

    app.config["SECRET_KEY"] = services.keyring.secret_key
    app.extensions["heard.keyring"] = services.keyring
    app.extensions["heard.database"] = services.database
    app.extensions["heard.storage"] = services.storage
    app.extensions["heard.channel_settings"] = services.channel_settings
    app.extensions["heard.sms"] = services.sms
    app.extensions["heard.mail"] = services.mail
    app.extensions["heard.translation"] = services.translation

    if settings.trusted_proxies:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app,
            x_for=settings.trusted_proxies,
            x_proto=settings.trusted_proxies,
            x_host=settings.trusted_proxies,
            x_prefix=settings.trusted_proxies,
        )

    # NOTE: outermost, so the clock starts before anything else handles the request.
    from web.clock import RequestClock

    app.wsgi_app = RequestClock(app.wsgi_app)  # type: ignore[method-assign]

    from console import init_app as init_console
    from console.i18n import select_locale
    from web import converters, session
    from web.extensions import babel, limiter
    from webhooks import api, chat, health, internal, pages, web
    from webhooks.twilio import sms, voice

    # NOTE: Flask-Babel serves only the console's words (domain "console"); resident-facing
    # pages and channels pass the resident's language explicitly (webhooks/webtext, i18n).
    babel.init_app(app, default_domain="console", locale_selector=select_locale)
    converters.init_app(app)
    limiter.init_app(app)
    session.init_app(app)
    web.init_app(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(internal.bp)
    app.register_blueprint(sms.bp)
    app.register_blueprint(voice.bp)
    chat.init_app(app)
    pages.init_app(app)
    init_console(app)
    return app


def _locales_dir() -> Any:
    from pathlib import Path

    return Path(__file__).resolve().parent / "locales"
