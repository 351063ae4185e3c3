"""Heard's action server: rasa-sdk's, with the personal slots sealed on their way to Rasa (issue 17).

``python -m bot.action_server --actions bot.actions --port 5055`` takes rasa-sdk's own arguments.
Every action call passes through ``SealingExecutor``: the personal slots (``bot/sealing.py``) are
opened for the action, and every value an action sets on them is sealed before the answer leaves.
So Rasa's state, its HTTP API, its logs and its tracker store hold tokens, never a resident's name,
phone, email or PIN. Without Heard's key the server refuses to start.
"""

from __future__ import annotations

import asyncio
import copy
import hmac
import logging
import os
import sys
from functools import partial
from typing import Any

from cryptography.fernet import MultiFernet
from rasa_sdk import utils
from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME
from rasa_sdk.endpoint import create_app_for_serve, create_argument_parser
from rasa_sdk.executor import ActionExecutor, ActionExecutorRunResult
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sanic.worker.loader import AppLoader

from bot.sealing import actions_token, load_fernet, open_slots, seal_events

# Open to anyone on the machine: /healthz asks it whether the server is up.
OPEN_PATHS = frozenset({"/health"})


class SealingExecutor(ActionExecutor):
    """Open the personal slots for each action; seal what the action sets on them."""

    def __init__(self, fernet: MultiFernet | None = None) -> None:
        super().__init__()
        self._fernet = fernet

    @property
    def fernet(self) -> MultiFernet:
        if self._fernet is None:  # NOTE: read again in a worker process Sanic spawned (keys are not pickled)
            self._fernet = load_fernet()
        return self._fernet

    def __getstate__(self) -> dict[str, Any]:
        state = dict(super().__getstate__())
        state["_fernet"] = None
        return state

    async def run(
        self, action_call: dict[str, Any], sink: asyncio.Queue[Any] | None = None, dispatcher: Any = None
    ) -> ActionExecutorRunResult | None:
        # NOTE: a copy is opened: rasa-sdk's error answer quotes the request body it was given.
        action_call = copy.deepcopy(action_call)
        tracker = action_call.get("tracker")
        if isinstance(tracker, dict):
            open_slots(self.fernet, tracker)
        result = await super().run(action_call, sink=sink, dispatcher=dispatcher)
        if result is not None:
            result.events = seal_events(self.fernet, result.events)
        return result


def guarded_app(executor: ActionExecutor, token: str, **options: Any) -> Sanic[Any, Any]:
    """rasa-sdk's app, answering only calls that carry Rasa's token (module level: Sanic's workers build it)."""
    app = create_app_for_serve(executor, **options)

    @app.on_request
    async def only_rasa(request: Request) -> HTTPResponse | None:
        if request.path in OPEN_PATHS:
            return None
        given = request.args.get("token") or ""
        if not hmac.compare_digest(given.encode(), token.encode()):
            return response.json({"error": "a valid token is required"}, status=401)
        return None

    return app


def main(argv: list[str] | None = None) -> None:
    """Start the action server the way ``python -m rasa_sdk`` does, with the sealing executor and the token."""
    args = create_argument_parser().parse_args(argv)
    unsupported = [
        name for name in ("ssl_certificate", "ssl_keyfile", "ssl_password", "grpc") if getattr(args, name, None)
    ]
    if unsupported:  # NOTE: refused, never ignored: it serves plain HTTP on loopback, beside Rasa
        sys.exit(f"error: Heard's action server does not take {', '.join(unsupported)}")
    utils.configure_colored_logging(args.loglevel)
    utils.configure_file_logging(
        logging.getLogger(APPLICATION_ROOT_LOGGER_NAME), args.log_file, args.loglevel, args.logging_config_file
    )
    utils.update_sanic_log_level()
    executor = SealingExecutor(load_fernet())  # NOTE: first: no key, no server
    token = actions_token()
    if not token:
        sys.exit("error: no token for the action server: set HEARD_INTERNAL_TOKEN, or run: intake secrets init")
    executor.register_package(args.actions_module or args.actions)
    loader = AppLoader(
        factory=partial(guarded_app, executor, token, cors_origins=args.cors, auto_reload=args.auto_reload,
                        endpoints=args.endpoints)
    )  # fmt: skip
    app = loader.load()
    # NOTE: rasa-sdk's own server binds 0.0.0.0 unless SANIC_HOST says otherwise; Heard's, loopback.
    app.prepare(host=os.environ.get("SANIC_HOST", "127.0.0.1"), port=args.port, workers=utils.number_of_sanic_workers())
    Sanic.serve(primary=app, app_loader=loader)


if __name__ == "__main__":
    main()
