"""Messages that arrived while the database was down, kept encrypted on disk until it returns."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path

from intake.conversations.messaging import InboundText, MediaRef
from intake.crypto import Keyring
from intake.private import make_private_dir

log = logging.getLogger(__name__)


class Spool:
    """One encrypted file per message, named by a hash of the provider's id (a redelivery overwrites it)."""

    def __init__(self, directory: Path, keyring: Keyring) -> None:
        self.directory = directory
        self.keyring = keyring

    def put(self, inbound: InboundText) -> Path:
        """Write a message durably (fsync) before the webhook answers."""
        make_private_dir(self.directory)
        name = hashlib.sha256(inbound.provider_id.encode("utf-8")).hexdigest()
        path = self.directory / f"{name}.msg"
        record = json.dumps(
            {
                "provider_id": inbound.provider_id,
                "from_number": inbound.from_number,
                "to_number": inbound.to_number,
                "body": inbound.body,
                "media": [{"url": m.url, "content_type": m.content_type} for m in inbound.media],
                "meta": inbound.meta,
            }
        )
        token = self.keyring.encrypt(record)
        assert token is not None
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="ascii") as handle:
            handle.write(token)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        return path

    def items(self) -> Iterator[tuple[Path, InboundText]]:
        """Yield the spooled messages, oldest first."""
        if not self.directory.is_dir():
            return
        paths = sorted(self.directory.glob("*.msg"), key=lambda p: p.stat().st_mtime)
        for path in paths:
            try:
                data = json.loads(self.keyring.decrypt(path.read_text(encoding="ascii")) or "{}")
            except (OSError, ValueError) as exc:
                log.error("spooled message %s cannot be read (%s); it is left in place", path.name, exc)
                continue
            yield (
                path,
                InboundText(
                    provider_id=data["provider_id"],
                    from_number=data["from_number"],
                    to_number=data["to_number"],
                    body=data["body"],
                    media=tuple(MediaRef(url=m["url"], content_type=m["content_type"]) for m in data["media"]),
                    meta=data.get("meta") or {},
                ),
            )

    def remove(self, path: Path) -> None:
        """Forget a spooled message once the database holds it."""
        path.unlink(missing_ok=True)
