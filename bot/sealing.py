"""Heard's key on the dialogue's side, and the sealed tokens its personal slots hold (issue 17).

Imported by both of the bot's environments, so it needs only ``cryptography`` and the standard
library: by Rasa's tracker store (``bot/tracker_store.py``), which seals every stored event, and by
the action server (``bot/action_server.py``), which seals the values of ``PERSONAL_SLOTS`` before
they reach Rasa. While a draft is open, Rasa's state, its HTTP API and the store hold for a name,
a phone number, an email address or a PIN only a token like ``heard-slot:gAAAA…``; the actions open
it for the turn they run, and nothing else can.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

SLOT_PREFIX = "heard-slot:"
# The slots that hold who the resident is or what proves it is them.
PERSONAL_SLOTS = frozenset({"contact_name", "contact_phone", "contact_email", "pin"})


class NoKey(RuntimeError):
    """No key to seal with: the process must not start and keep a resident's words in clear."""


def load_fernet(environ: dict[str, str] | None = None) -> MultiFernet:
    """Read Heard's Fernet keys the way the service does: the environment, else the instance's secrets file."""
    env = dict(os.environ) if environ is None else environ
    keys = [k.strip() for k in env.get("HEARD_FERNET_KEYS", "").split(",") if k.strip()]
    if not keys:
        path = Path(env.get("HEARD_INSTANCE_DIR") or "instance") / "secrets.json"
        try:
            keys = list(json.loads(path.read_text(encoding="utf-8")).get("fernet_keys") or [])
        except (OSError, ValueError) as exc:
            raise NoKey("no Fernet key: set HEARD_FERNET_KEYS or run `intake secrets init`") from exc
    if not keys:
        raise NoKey("no Fernet key: set HEARD_FERNET_KEYS or run `intake secrets init`")
    return MultiFernet([Fernet(key) for key in keys])


def is_sealed(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(SLOT_PREFIX)


def seal_value(fernet: MultiFernet, value: Any) -> Any:
    """Seal a personal slot's value; ``None`` (not asked yet) stays ``None`` so forms still ask."""
    if value is None or is_sealed(value):
        return value
    token = fernet.encrypt(json.dumps(value).encode("utf-8")).decode("ascii")
    return SLOT_PREFIX + token


def open_value(fernet: MultiFernet, value: Any) -> Any:
    """Open a sealed slot value; a value that is not sealed is returned as it is."""
    if not is_sealed(value):
        return value
    try:
        return json.loads(fernet.decrypt(value[len(SLOT_PREFIX) :].encode("ascii")))
    except (InvalidToken, ValueError) as exc:
        raise NoKey("a sealed slot cannot be opened with the configured keys") from exc


def open_slots(fernet: MultiFernet, tracker: dict[str, Any]) -> None:
    """Open, in place, the personal slots of a tracker sent to the action server: its state and its events."""
    slots = tracker.get("slots")
    if isinstance(slots, dict):
        for name in PERSONAL_SLOTS.intersection(slots):
            slots[name] = open_value(fernet, slots[name])
    for event in tracker.get("events") or []:
        if isinstance(event, dict) and event.get("event") == "slot" and event.get("name") in PERSONAL_SLOTS:
            event["value"] = open_value(fernet, event.get("value"))


def seal_events(fernet: MultiFernet, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Seal the personal slot values an action returns, before Rasa sees them."""
    return [
        {**event, "value": seal_value(fernet, event.get("value"))}
        if event.get("event") == "slot" and event.get("name") in PERSONAL_SLOTS
        else event
        for event in events
    ]


def actions_token(environ: dict[str, str] | None = None) -> str:
    """The token Rasa sends the action server (``?token=``): ``HEARD_ACTIONS_TOKEN``, else derived.

    Derived from the internal token the way Rasa's API token is (never the internal token itself),
    so Rasa and the action server agree with no new secret to keep. Empty when there is neither.
    """
    return _token(environ, "HEARD_ACTIONS_TOKEN", b"heard actions")


def rasa_api_token(environ: dict[str, str] | None = None) -> str:
    """The token of Rasa's HTTP API and of its REST channel: ``RASA_TOKEN``, else derived as Heard derives it.

    The same derivation as ``webhooks/rasa_client.api_token`` and ``scripts/rasa-run``. Empty when
    there is no internal token either.
    """
    return _token(environ, "RASA_TOKEN", b"heard rasa api")


def _token(environ: dict[str, str] | None, setting: str, purpose: bytes) -> str:
    """A setting's token, else one derived from the internal token for ``purpose``; empty without either."""
    env = dict(os.environ) if environ is None else environ
    token = (env.get(setting) or "").strip()
    if token:
        return token
    secret = _internal_token(env)
    return hmac.new(secret.encode(), purpose, hashlib.sha256).hexdigest() if secret else ""


def _internal_token(env: dict[str, str]) -> str:
    secret = (env.get("HEARD_INTERNAL_TOKEN") or "").strip()
    if secret:
        return secret
    path = Path(env.get("HEARD_INSTANCE_DIR") or "instance") / "secrets.json"
    try:
        return str(json.loads(path.read_text(encoding="utf-8")).get("internal_token") or "")
    except (OSError, ValueError):
        return ""
