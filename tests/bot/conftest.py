"""The real bot stack for conversation tests: Rasa with the trained model, the action
server and Heard's web app, each on its own loopback port, over a fresh database."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from app import create_app
from bot.sealing import rasa_api_token
from intake.db import Database
from tests.twilio_fake import ACCOUNT_SID, AUTH_TOKEN, PUBLIC_BASE_URL, FakeTwilio

ROOT = Path(__file__).resolve().parents[2]
RASA = ROOT / ".venv-rasa" / "bin" / "rasa"
MODEL = ROOT / "bot" / "models" / "current.tar.gz"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(url: str, seconds: float, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args} exited with {process.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer within {seconds} s")


@dataclass
class Conversation:
    """One resident talking to the bot through Rasa's REST channel."""

    rasa_url: str
    metadata: dict[str, str]
    sender: str = ""
    token: str = ""  # Heard's REST channel answers only the token of Rasa's API (bot/channels.py)

    def __post_init__(self) -> None:
        self.sender = self.sender or uuid.uuid4().hex

    def say(self, text: str) -> list[str]:
        body = json.dumps({"sender": self.sender, "message": text, "metadata": self.metadata}).encode()
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"}
        request = urllib.request.Request(f"{self.rasa_url}/webhooks/rest/webhook", data=body, headers=headers)
        with urllib.request.urlopen(request, timeout=60) as response:
            # NOTE: the words only; custom payloads (a language switch, a PIN to mask) are for the channel.
            return [m["text"] for m in json.loads(response.read()) if "text" in m]


@dataclass
class BotStack:
    rasa_url: str
    database: Database
    env: dict[str, str]
    logs: Path
    rasa: subprocess.Popen[bytes] | None = None

    def conversation(self, **metadata: str) -> Conversation:
        return Conversation(self.rasa_url, {"channel": "web_chat", **metadata}, token=rasa_api_token(self.env))

    def start_rasa(self) -> None:
        with (self.logs / "rasa.log").open("ab") as out:
            self.rasa = subprocess.Popen(
                [str(ROOT / "scripts" / "rasa-run")], cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT
            )
        _wait_for(f"{self.rasa_url}/", 180, self.rasa)

    def stop_rasa(self) -> None:
        if self.rasa is not None:
            self.rasa.terminate()
            try:
                self.rasa.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.rasa.kill()
                self.rasa.wait()
            self.rasa = None


@pytest.fixture(scope="session")
def bot_stack(tmp_path_factory: pytest.TempPathFactory, keyring) -> Iterator[BotStack]:  # type: ignore[no-untyped-def]
    if not RASA.exists() or not MODEL.exists():
        pytest.skip("the Rasa environment or trained model is missing: run `make setup` (make test does)")
    from intake.migrate import upgrade

    instance = tmp_path_factory.mktemp("bot-instance")
    url = f"sqlite:///{instance / 'heard.db'}"
    upgrade(url)
    database = Database(url)
    app = create_app({"HEARD_INSTANCE_DIR": str(instance), "DATABASE": database, "KEYRING": keyring})
    web_port, actions_port, rasa_port = _free_port(), _free_port(), _free_port()
    server = make_server("127.0.0.1", web_port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    env = {
        **os.environ,
        "HEARD_INSTANCE_DIR": str(instance),
        "HEARD_INTERNAL_URL": f"http://127.0.0.1:{web_port}",
        "HEARD_INTERNAL_TOKEN": keyring.internal_token,
        # Rasa's tracker store seals every event with Heard's key (bot/tracker_store.py).
        "HEARD_FERNET_KEYS": ",".join(keyring.fernet_keys),
        # Tests only: Rasa's event broker copies every event, in clear, for the story tests to read back
        # what the bot did (the tracker store scrubs a conversation once its draft ends).
        "HEARD_TEST_EVENT_LOG": str(instance / "rasa-events.db"),
        "HEARD_ACTIONS_URL": f"http://127.0.0.1:{actions_port}/webhook",
        "RASA_PORT": str(rasa_port),
        "SANIC_HOST": "127.0.0.1",
        # NOTE: no narrative pause unless a test's channel sends one: a reminder left pending by one
        # test's SMS conversation would otherwise text a resident in the middle of a later test.
        "HEARD_NARRATIVE_PAUSE_SECONDS": "0",
    }
    logs = instance / "logs"
    logs.mkdir()
    with (logs / "actions.log").open("wb") as out:
        actions = subprocess.Popen(
            [sys.executable, "-m", "bot.action_server", "--actions", "bot.actions", "--port", str(actions_port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    stack = BotStack(rasa_url=f"http://127.0.0.1:{rasa_port}", database=database, env=env, logs=logs)
    try:
        _wait_for(f"http://127.0.0.1:{actions_port}/health", 60, actions)
        stack.start_rasa()
        yield stack
    finally:
        stack.stop_rasa()
        actions.terminate()
        try:
            actions.wait(timeout=20)
        except subprocess.TimeoutExpired:
            actions.kill()
        server.shutdown()
        database.dispose()


SEALED_PREFIX = "heard-sealed:"


def stored_tracker_events(bot_stack: BotStack, sender: str, **where: str) -> list[dict[str, Any]]:
    """Read one conversation's events from Rasa's SQLite tracker store, opened with Heard's key (issue 17).

    ``where``: equality filters on the table's clear columns, e.g. ``type_name="user"``.
    """
    import sqlite3
    from contextlib import closing

    from cryptography.fernet import Fernet, MultiFernet

    fernet = MultiFernet([Fernet(k) for k in bot_stack.env["HEARD_FERNET_KEYS"].split(",")])
    clauses = "".join(f" AND {column} = ?" for column in where)
    path = Path(bot_stack.env["HEARD_INSTANCE_DIR"]) / "rasa-tracker.db"
    with closing(sqlite3.connect(path)) as db:
        rows = db.execute(
            f"SELECT data FROM events WHERE sender_id = ?{clauses} ORDER BY id",
            (sender, *where.values()),
        ).fetchall()
    events = []
    for (data,) in rows:
        assert data.startswith(SEALED_PREFIX), "an event is stored in clear"
        events.append(json.loads(fernet.decrypt(data[len(SEALED_PREFIX) :].encode())))
    return events


@pytest.fixture
def pause_worker(bot_stack: BotStack, keyring: Any) -> Iterator[Any]:
    """A worker that runs the narrative pauses only (webhooks/pause.py), as the ``worker`` process does."""
    from intake import jobs
    from webhooks.pause import DialoguePauses
    from webhooks.rasa_client import RasaClient, api_token

    token = api_token(configured=None, internal_token=keyring.internal_token)
    rasa = RasaClient(bot_stack.rasa_url, token=token)
    fired = DialoguePauses(database=bot_stack.database, keyring=keyring, rasa=rasa)
    worker = jobs.Worker(database=bot_stack.database, handlers=fired.handlers(), poll_seconds=0.2)
    thread = threading.Thread(target=worker.run_forever, daemon=True)
    thread.start()
    yield worker
    worker.stopping.set()
    thread.join(timeout=30)


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    """Twilio's REST API and media host, standing in on loopback."""
    fake = FakeTwilio().start()
    yield fake
    fake.stop()


def make_twilio_app(
    bot_stack: BotStack, keyring: object, fake_twilio: FakeTwilio, instance: Path, **settings: str
) -> Any:
    """Heard's web app wired to the running bot and the Twilio stand-in, answering texts inline."""
    return create_app(
        {
            "TESTING": True,
            "HEARD_INSTANCE_DIR": str(instance),
            "DATABASE": bot_stack.database,
            "KEYRING": keyring,
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_API_BASE_URL": fake_twilio.url,
            "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
            "RASA_URL": bot_stack.rasa_url,
            "HEARD_INLINE_REPLY_SECONDS": "10",
            "HEARD_SMS_RATE_PER_SECOND": "1000",
            **settings,
        }
    )
