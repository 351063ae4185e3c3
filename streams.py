"""The ``streams`` process: TTY media streams, apart from the web process's request threads.

Run: ``python -m streams`` (the Procfile does), on ``HEARD_TTY_BIND`` (127.0.0.1:5001 by
default); the reverse proxy sends ``/twilio/tty/`` to it and everything else to ``web``. It
builds the same services as the web process (``services.build_services``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services import build_services, env_overrides
from webhooks.tty.server import StreamLimits, StreamServer, run

DEFAULT_BIND = "127.0.0.1:5001"


def build_stream_server(config: Mapping[str, Any] | None = None) -> StreamServer:
    """Compose the stream server from the same configuration as the web application."""
    services = build_services(config)
    return StreamServer(
        channel=services.sms,
        settings=services.channel_settings,
        limits=StreamLimits.from_env(env_overrides(config or {})),
        trusted_proxies=services.settings.trusted_proxies,
    )


def main() -> None:
    """Serve until SIGTERM or SIGINT."""
    bind = env_overrides({}).get("HEARD_TTY_BIND") or DEFAULT_BIND
    run(build_stream_server(), bind)


if __name__ == "__main__":
    main()
