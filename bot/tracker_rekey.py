"""Re-seal Rasa's tracker store under Heard's newest key, for a key rotation (issue 17 with issue 16's rotation).

``scripts/rasa-rekey`` runs it (``python -m bot.tracker_rekey``) against ``RASA_TRACKER_URL`` (or
the instance's SQLite file): every stored event, and every sealed value inside one (the personal
slots' ``heard-slot:`` tokens, the channels' ``sealed:`` phone numbers), is written again under the
first key of ``HEARD_FERNET_KEYS`` (or ``instance/secrets.json``). Rasa keeps running meanwhile: it
only appends rows, and each row is replaced only if it is still what was read. A row no listed
key opens is counted and left as it is. Needs only SQLAlchemy and ``cryptography``.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from cryptography.fernet import InvalidToken, MultiFernet
from sqlalchemy import create_engine, text

from bot.sealing import SLOT_PREFIX, load_fernet

log = logging.getLogger(__name__)
EVENT_PREFIX = "heard-sealed:"  # the tracker store's own (bot/tracker_store.py)
CHANNEL_PREFIX = "sealed:"  # a phone number a channel sealed (intake/conversations/messaging.py)


@dataclass
class Rekeyed:
    rows: int = 0
    rewritten: int = 0
    unreadable: int = 0
    changed_meanwhile: int = 0
    unreadable_ids: list[int] = field(default_factory=list)


def open_rows(fernet: MultiFernet, rows: Iterable[tuple[int, str]]) -> tuple[list[dict[str, Any]], list[int]]:
    """Open stored events; return them and the ids of rows no listed key opens (never raises for those)."""
    events: list[dict[str, Any]] = []
    unreadable: list[int] = []
    for row_id, stored in rows:
        if not stored.startswith(EVENT_PREFIX):
            events.append(dict(json.loads(stored)))  # a row from before sealing
            continue
        try:
            events.append(dict(json.loads(fernet.decrypt(stored[len(EVENT_PREFIX) :].encode("ascii")))))
        except (InvalidToken, ValueError):
            unreadable.append(row_id)
    return events, unreadable


def _rotate_inside(fernet: MultiFernet, value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _rotate_inside(fernet, item) for key, item in value.items()}
    if isinstance(value, list):
        return [_rotate_inside(fernet, item) for item in value]
    if isinstance(value, str) and value.startswith(SLOT_PREFIX):
        # A slot's token may hold a channel's sealed phone: opened, rotated inside, sealed again.
        try:
            inner = json.loads(fernet.decrypt(value[len(SLOT_PREFIX) :].encode("ascii")))
        except (InvalidToken, ValueError):
            return value  # no listed key opens it
        return SLOT_PREFIX + fernet.encrypt(json.dumps(_rotate_inside(fernet, inner)).encode("utf-8")).decode("ascii")
    if isinstance(value, str) and value.startswith(CHANNEL_PREFIX):
        try:
            return CHANNEL_PREFIX + fernet.rotate(value[len(CHANNEL_PREFIX) :].encode("ascii")).decode("ascii")
        except (InvalidToken, ValueError):
            return value  # not a token after all, or no listed key opens it
    return value


def _database_url(environ: dict[str, str]) -> str:
    url = environ.get("RASA_TRACKER_URL") or ""
    if not url:
        instance = environ.get("HEARD_INSTANCE_DIR") or "instance"
        return f"sqlite:///{instance}/rasa-tracker.db"
    scheme, rest = url.split("://", 1)
    if scheme in ("postgres", "postgresql"):
        try:
            import psycopg  # noqa: F401 - the service's environment
        except ImportError:
            return f"postgresql://{rest}"  # Rasa's environment: psycopg2, SQLAlchemy's default
        return f"postgresql+psycopg://{rest}"
    return url


def rekey(url: str, fernet: MultiFernet, *, batch: int = 500) -> Rekeyed:
    """Write every stored event again under the first key; return what was done."""
    done = Rekeyed()
    engine = create_engine(url)
    try:
        last = 0
        while True:
            with engine.begin() as connection:
                rows = connection.execute(
                    text("SELECT id, data FROM events WHERE id > :last ORDER BY id LIMIT :n"),
                    {"last": last, "n": batch},
                ).fetchall()
                for row_id, stored in rows:
                    done.rows += 1
                    events, unreadable = open_rows(fernet, [(row_id, stored)])
                    if unreadable:
                        done.unreadable += 1
                        done.unreadable_ids.append(row_id)
                        continue
                    event = _rotate_inside(fernet, events[0])
                    sealed = EVENT_PREFIX + fernet.encrypt(json.dumps(event).encode("utf-8")).decode("ascii")
                    changed = connection.execute(
                        text("UPDATE events SET data = :new WHERE id = :id AND data = :old"),
                        {"new": sealed, "id": row_id, "old": stored},
                    ).rowcount
                    if changed:
                        done.rewritten += 1
                    else:
                        done.changed_meanwhile += 1  # scrubbed meanwhile: its replacement is sealed anew
            if not rows:
                return done
            last = rows[-1][0]
    finally:
        engine.dispose()


def main() -> int:
    environ = dict(os.environ)
    done = rekey(_database_url(environ), load_fernet(environ))
    print(
        f"tracker store: {done.rows} events, {done.rewritten} sealed again under the newest key, "
        f"{done.unreadable} no listed key opens, {done.changed_meanwhile} changed meanwhile"
    )
    if done.unreadable:
        print(f"rows no listed key opens (ids): {done.unreadable_ids[:20]}", file=sys.stderr)
    return 1 if done.unreadable else 0


if __name__ == "__main__":
    sys.exit(main())
