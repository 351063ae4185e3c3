"""Heard's action server: rasa-sdk's, with the personal slots sealed on their way to Rasa (issue 17).

``python -m bot.action_server --actions bot.actions --port 5055`` takes rasa-sdk's own arguments.
Every action call passes through ``SealingExecutor``: the personal slots (``bot/sealing.py``) are
opened for the action, and every value an action sets on them is sealed before the answer leaves.
So Rasa's state, its HTTP API, its logs and its tracker store hold tokens, never a resident's name,
phone, email or PIN. Without Heard's key the server refuses to start.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from cryptography.fernet import MultiFernet
from rasa_sdk import utils
from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME
from rasa_sdk.endpoint import create_argument_parser, run
from rasa_sdk.executor import ActionExecutor, ActionExecutorRunResult

from bot.sealing import load_fernet, open_slots, seal_events


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
        tracker = action_call.get("tracker")
        if isinstance(tracker, dict):
            open_slots(self.fernet, tracker)
        result = await super().run(action_call, sink=sink, dispatcher=dispatcher)
        if result is not None:
            result.events = seal_events(self.fernet, result.events)
        return result


def main(argv: list[str] | None = None) -> None:
    """Start the action server the way ``python -m rasa_sdk`` does, with the sealing executor."""
    args = create_argument_parser().parse_args(argv)
    utils.configure_colored_logging(args.loglevel)
    utils.configure_file_logging(
        logging.getLogger(APPLICATION_ROOT_LOGGER_NAME), args.log_file, args.loglevel, args.logging_config_file
    )
    utils.update_sanic_log_level()
    executor = SealingExecutor(load_fernet())  # NOTE: first: no key, no server
    executor.register_package(args.actions_module or args.actions)
    run(
        executor,
        args.port,
        args.cors,
        args.ssl_certificate,
        args.ssl_keyfile,
        args.ssl_password,
        args.auto_reload,
        args.endpoints,
    )


if __name__ == "__main__":
    main()
