"""Rasa's tracker store follows a key rotation: scripts/rasa-rekey seals every row again under the newest key."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

from cryptography.fernet import Fernet, MultiFernet

from bot.sealing import SLOT_PREFIX, open_value, seal_value
from bot.tracker_rekey import EVENT_PREFIX, open_rows

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = (
    "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT, type_name TEXT, timestamp REAL, "
    "intent_name TEXT, action_name TEXT, data TEXT)"
)


def _sealed(fernet: MultiFernet, event: dict) -> str:  # type: ignore[type-arg]
    return EVENT_PREFIX + fernet.encrypt(json.dumps(event).encode()).decode()


def test_every_row_and_every_token_inside_it_is_sealed_again_under_the_newest_key(tmp_path):
    old_key, new_key, lost_key = (Fernet.generate_key().decode() for _ in range(3))
    old, lost = MultiFernet([Fernet(old_key)]), MultiFernet([Fernet(lost_key)])
    channel_phone = "sealed:" + Fernet(old_key).encrypt(b'{"phone": "+12095550142"}').decode()
    rows = [
        {"event": "user", "text": "Ana Ruiz", "metadata": {"phone": channel_phone}},
        {"event": "slot", "name": "contact_name", "value": seal_value(old, "Ana Ruiz")},
        {"event": "slot", "name": "contact_phone", "value": seal_value(old, channel_phone)},
        {"event": "slot", "name": "language", "value": "es"},
    ]
    path = tmp_path / "rasa-tracker.db"
    with closing(sqlite3.connect(path)) as db:
        db.execute(SCHEMA)
        for event in rows:
            db.execute("INSERT INTO events (sender_id, type_name, data) VALUES ('c', ?, ?)", (event["event"],
                       _sealed(old, event)))  # fmt: skip
        db.execute("INSERT INTO events (sender_id, type_name, data) VALUES ('c', 'slot', ?)", (_sealed(lost, rows[3]),))
        db.execute("INSERT INTO events (sender_id, type_name, data) VALUES ('d', 'slot', ?)", (json.dumps(rows[3]),))
        db.commit()
    env = {**os.environ, "RASA_TRACKER_URL": f"sqlite:///{path}", "HEARD_FERNET_KEYS": f"{new_key},{old_key}"}
    result = subprocess.run([ROOT / "scripts" / "rasa-rekey"], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stderr  # one row no listed key opens: said, and left
    assert "6 events, 5 sealed again under the newest key, 1 no listed key opens" in result.stdout

    newest = MultiFernet([Fernet(new_key)])  # the old key retired
    with closing(sqlite3.connect(path)) as db:
        stored = db.execute("SELECT id, data FROM events ORDER BY id").fetchall()
    events, unreadable = open_rows(newest, stored)
    assert unreadable == [stored[4][0]]  # the lost key's row: kept, and named
    user, name, phone_slot, language, plain = events
    assert user["text"] == "Ana Ruiz" and language["value"] == "es" and plain["value"] == "es"
    assert name["value"].startswith(SLOT_PREFIX) and open_value(newest, name["value"]) == "Ana Ruiz"
    for phone in (user["metadata"]["phone"], open_value(newest, phone_slot["value"])):
        # the channel's sealed number, in the metadata and inside the slot's own token
        assert json.loads(newest.decrypt(phone.removeprefix("sealed:").encode())) == {"phone": "+12095550142"}
    assert all(data.startswith(EVENT_PREFIX) for _, data in stored)  # the plain row is sealed too
