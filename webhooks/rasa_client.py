"""The dialogue, reached over Rasa's REST channel on 127.0.0.1."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import requests

# NOTE: every relay names the resident's stored message in its metadata. Heard cannot tell
# whether a request that timed out reached the dialogue, so it may ask again; Rasa's channel
# (bot/channels.py) takes each named message once and answers a repeat with what the first
# turn said. A repeated "yes" therefore never confirms twice, and the answer is not lost.
MESSAGE_ID = "heard_message_id"
# The custom payload ``{"redact": "pin"}``: the dialogue took the resident's message as their PIN.
REDACT_PIN = "pin"
# The custom payload ``{"awaiting": "free_text"}``: the dialogue's question is answered in the
# resident's own words (a name, what happened), which may be a localized opt-out word.
FREE_TEXT = "free_text"


class DialogueUnavailable(Exception):
    """Rasa did not answer: it is down, starting, or too slow."""


@dataclass(frozen=True)
class DialogueAnswer:
    """What the dialogue said back: its texts, the language it switched to, if it did, and whether
    the resident's message held their PIN (then the channel keeps it only masked)."""

    texts: tuple[str, ...]
    language: str | None = None
    custom: tuple[dict[str, Any], ...] = field(default_factory=tuple)
    redact: bool = False
    awaiting: str | None = None


class RasaClient:
    """Send one resident message to the dialogue and collect its answers."""

    def __init__(self, base_url: str, *, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._session = requests.Session()

    def send(self, *, sender: str, text: str, metadata: dict[str, Any]) -> DialogueAnswer:
        """Relay one message; raise DialogueUnavailable when Rasa cannot be reached or fails."""
        try:
            response = self._session.post(
                f"{self.base_url}/webhooks/rest/webhook",
                json={"sender": sender, "message": text, "metadata": metadata},
                timeout=(3.0, self.timeout),
            )
        except requests.RequestException as exc:
            raise DialogueUnavailable(f"Rasa unreachable: {type(exc).__name__}") from exc
        if response.status_code != 200:
            raise DialogueUnavailable(f"Rasa answered {response.status_code}")
        try:
            items = response.json()
        except ValueError as exc:
            raise DialogueUnavailable("Rasa answered something that is not JSON") from exc
        return read_answer(items)


def read_answer(items: Any) -> DialogueAnswer:
    """Read the REST channel's answer: texts, and custom payloads (a language switch, a PIN to hide)."""
    texts: list[str] = []
    custom: list[dict[str, Any]] = []
    language = None
    redact = False
    awaiting = None
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and item.get("text"):
            texts.append(str(item["text"]))
        if isinstance(item, dict) and isinstance(item.get("custom"), dict):
            custom.append(item["custom"])
            language = item["custom"].get("language") or language
            redact = redact or item["custom"].get("redact") == REDACT_PIN
            awaiting = item["custom"].get("awaiting") or awaiting
    return DialogueAnswer(texts=tuple(texts), language=language, custom=tuple(custom), redact=redact, awaiting=awaiting)
