"""Messages that arrived while the database was down, kept encrypted in storage until it returns."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Iterator
from typing import Any

from intake.conversations.messaging import InboundText, MediaRef
from intake.crypto import Keyring
from intake.storage import NotStored, Storage

log = logging.getLogger(__name__)


class Spool:
    """One encrypted object per message, named by a hash of the provider's id (a redelivery overwrites it)."""

    PREFIX = "spool/sms/"

    def __init__(self, storage: Storage, keyring: Keyring) -> None:
        self.storage = storage
        self.keyring = keyring

    def put(self, inbound: InboundText) -> str:
        """Write a message durably before the webhook answers; return its key."""
        name = hashlib.sha256(inbound.provider_id.encode("utf-8")).hexdigest()
        key = f"{self.PREFIX}{name}.msg"
        record = json.dumps(
            {
                "provider_id": inbound.provider_id,
                "from_number": inbound.from_number,
                "to_number": inbound.to_number,
                "body": inbound.body,
                "media": [{"url": m.url, "content_type": m.content_type} for m in inbound.media],
                "meta": inbound.meta,
                "spooled_at": time.time(),
            }
        )
        token = self.keyring.encrypt(record)
        assert token is not None
        self.storage.put(key, token.encode("ascii"))
        return key

    def items(self) -> Iterator[tuple[str, InboundText]]:
        """Yield the spooled messages with their keys, oldest first."""
        found: list[tuple[float, str, dict[str, Any]]] = []
        for stored in self.storage.list(self.PREFIX):
            if not stored.key.endswith(".msg"):
                continue
            try:
                data = json.loads(self.keyring.decrypt(self.storage.open(stored.key).decode("ascii")) or "{}")
            except NotStored:  # taken by another worker meanwhile
                continue
            except (OSError, ValueError) as exc:
                log.error("spooled message %s cannot be read (%s); it is left in place", stored.key, exc)
                continue
            found.append((float(data.get("spooled_at") or stored.modified.timestamp()), stored.key, data))
        for _, key, data in sorted(found, key=lambda item: (item[0], item[1])):
            yield (
                key,
                InboundText(
                    provider_id=data["provider_id"],
                    from_number=data["from_number"],
                    to_number=data["to_number"],
                    body=data["body"],
                    media=tuple(MediaRef(url=m["url"], content_type=m["content_type"]) for m in data["media"]),
                    meta=data.get("meta") or {},
                ),
            )

    def remove(self, key: str) -> None:
        """Forget a spooled message once the database holds it."""
        self.storage.delete(key)
