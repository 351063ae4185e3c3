"""The dialogue, reached over Rasa's REST channel: one Rasa process, or several replicas.

``RASA_URL`` may list several replicas, comma-separated. Each conversation goes to one of
them, chosen by a stable hash of its id (rendezvous hashing: a replica that goes away moves
only its own conversations); when that one is down, the next in the conversation's own
order takes it. The replicas share the tracker store (PostgreSQL) and the lock store
(Redis), so any one can carry on any conversation, and the message-id dedupe
(bot/channels.py, checked under the conversation's lock) holds across them.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import requests

log = logging.getLogger(__name__)

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


def api_token(*, configured: str | None, internal_token: str) -> str:
    """The token of Rasa's HTTP API: ``RASA_TOKEN``, else derived from the internal token as scripts/rasa-run does."""
    if configured:
        return configured
    return hmac.new(internal_token.encode(), b"heard rasa api", hashlib.sha256).hexdigest()


def replica_urls(setting: str) -> tuple[str, ...]:
    """Read ``RASA_URL``: one URL, or several comma-separated, without trailing slashes."""
    urls = tuple(dict.fromkeys(u.strip().rstrip("/") for u in setting.split(",") if u.strip()))
    return urls or ("http://127.0.0.1:5005",)


def replica_order(urls: tuple[str, ...], conversation_id: str) -> list[str]:
    """Order the replicas for one conversation: the same order every time, in every process."""

    def weight(url: str) -> bytes:
        return hashlib.sha256(f"{url}\n{conversation_id}".encode()).digest()

    return sorted(urls, key=weight, reverse=True)


class RasaClient:
    """Send one resident message to the dialogue (its replica first, another if it is down)."""

    def __init__(self, base_url: str, *, timeout: float = 30.0, token: str | None = None) -> None:
        self.urls = replica_urls(base_url)
        self.base_url = self.urls[0]
        self.timeout = timeout
        self.token = token
        self._session = requests.Session()

    def _post(self, conversation_id: str, path: str, body: dict[str, Any], *, api: bool = False) -> Any:
        """POST to the conversation's replica, failing over in its order; return the JSON answer."""
        failures: list[str] = []
        params = {"token": self.token} if api and self.token else None
        # NOTE: Heard's REST channel answers only this token (bot/channels.py): on loopback too, since
        # its metadata names the channel and phone a report is filed under.
        headers = {"Authorization": f"Bearer {self.token}"} if not api and self.token else None
        for url in replica_order(self.urls, conversation_id):
            try:
                response = self._session.post(
                    f"{url}{path}", json=body, params=params, headers=headers, timeout=(3.0, self.timeout)
                )
            except requests.RequestException as exc:
                # NOTE: a replica that timed out may have taken the turn; the next one finds it in the
                # shared tracker store under the conversation's lock and answers with what it said.
                failures.append(f"{url}: {type(exc).__name__}")
                continue
            if response.status_code >= 500 or response.status_code in (404, 409, 429):
                failures.append(f"{url}: {response.status_code}")
                continue
            if response.status_code != 200:
                raise DialogueUnavailable(f"Rasa answered {response.status_code}")
            try:
                return response.json()
            except ValueError:
                failures.append(f"{url}: not JSON")
        if len(self.urls) > 1:
            log.warning("no Rasa replica answered: %s", "; ".join(failures))
        raise DialogueUnavailable("Rasa unreachable: " + "; ".join(failures))

    def send(self, *, sender: str, text: str, metadata: dict[str, Any]) -> DialogueAnswer:
        """Relay one message; raise DialogueUnavailable when no replica can be reached or answers."""
        items = self._post(sender, "/webhooks/rest/webhook", {"sender": sender, "message": text, "metadata": metadata})
        return read_answer(items)

    def trigger_intent(self, *, conversation_id: str, intent: str) -> DialogueAnswer:
        """Fire ``intent`` in a conversation through Rasa's HTTP API (any replica); return what the bot said."""
        path = f"/conversations/{quote(conversation_id, safe='')}/trigger_intent"
        answer = self._post(conversation_id, path, {"name": intent, "entities": []}, api=True)
        return read_answer(answer.get("messages") if isinstance(answer, dict) else None)

    def tracker(self, *, conversation_id: str) -> dict[str, Any]:
        """Read a conversation's tracker (slots, active form, events) from any replica."""
        path = f"/conversations/{quote(conversation_id, safe='')}/tracker"
        failures: list[str] = []
        params = {"token": self.token} if self.token else None
        for url in replica_order(self.urls, conversation_id):
            try:
                response = self._session.get(f"{url}{path}", params=params, timeout=(3.0, self.timeout))
            except requests.RequestException as exc:
                failures.append(f"{url}: {type(exc).__name__}")
                continue
            if response.status_code == 200:
                try:
                    found = response.json()
                except ValueError:
                    found = None
                if isinstance(found, dict):
                    return found
            failures.append(f"{url}: {response.status_code}")
        raise DialogueUnavailable("no Rasa replica gave the tracker: " + "; ".join(failures))


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
