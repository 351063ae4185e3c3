"""The actions' only way to the queue: Heard's internal HTTP API."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_URL = "http://127.0.0.1:5000"
TIMEOUT_SECONDS = 8


class IntakeUnavailable(Exception):
    """The internal API could not be reached or failed; the draft is kept."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]


def _token() -> str:
    token = os.environ.get("HEARD_INTERNAL_TOKEN")
    if token:
        return token
    instance = Path(os.environ.get("HEARD_INSTANCE_DIR") or "instance")
    try:
        return str(json.loads((instance / "secrets.json").read_text(encoding="utf-8"))["internal_token"])
    except (OSError, KeyError, ValueError) as exc:
        raise IntakeUnavailable("no internal token: set HEARD_INTERNAL_TOKEN or run `intake secrets init`") from exc


def post(path: str, payload: dict[str, Any]) -> Answer:
    """POST JSON to the internal API; 4xx answers come back, anything else raises IntakeUnavailable."""
    base = (os.environ.get("HEARD_INTERNAL_URL") or DEFAULT_URL).rstrip("/")
    request = urllib.request.Request(  # noqa: S310 (HEARD_INTERNAL_URL is Heard's own API)
        f"{base}/internal/v1{path}",
        data=json.dumps(payload).encode("utf-8"),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {_token()}"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            return Answer(response.status, json.loads(response.read() or b"{}"))
    except urllib.error.HTTPError as exc:
        if 400 <= exc.code < 500:
            try:
                body = json.loads(exc.read() or b"{}")
            except ValueError:
                body = {}
            return Answer(exc.code, body)
        raise IntakeUnavailable(f"internal API answered {exc.code}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise IntakeUnavailable(str(exc)) from exc
