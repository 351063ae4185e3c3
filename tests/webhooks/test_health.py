"""``/healthz`` names every component: database, Rasa, the action server, the worker, the queue, translation."""

from __future__ import annotations

import datetime as dt
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Connection

from app import create_app
from intake import jobs
from intake.crypto import Keyring
from intake.db import Database, utcnow
from intake.enums import JobState
from intake.models import WorkerHeartbeat
from tests.conftest import RolledBackDatabase


class Stub:
    """A local HTTP server that answers every GET with ``status``, standing in for Rasa or the action server."""

    def __init__(self, status: int = 200) -> None:
        stub = self
        self.status = status
        self.paths: list[str] = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                stub.paths.append(self.path)
                self.send_response(stub.status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def rasa() -> Iterator[Stub]:
    stub = Stub()
    yield stub
    stub.stop()


@pytest.fixture
def actions() -> Iterator[Stub]:
    stub = Stub()
    yield stub
    stub.stop()


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def _app(database: Database, connection: Connection, keyring: Keyring, tmp_path: Path, **config: Any) -> Flask:
    return create_app(
        {
            "TESTING": True,
            "HEARD_INSTANCE_DIR": str(tmp_path),
            "DATABASE": RolledBackDatabase(database, connection),
            "KEYRING": keyring,
            **config,
        }
    )


def test_everything_up_is_ok_and_every_component_is_named(database, connection, keyring, tmp_path, rasa, actions):
    app = _app(database, connection, keyring, tmp_path, RASA_URL=rasa.url, HEARD_ACTIONS_URL=f"{actions.url}/webhook")
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert set(body["components"]) == {"database", "rasa", "actions", "worker", "queue", "quarantine", "translation"}
    assert body["components"]["quarantine"] == {"status": "ok", "waiting": 0, "oldest": None}
    assert body["components"]["rasa"]["status"] == "ok" and rasa.paths == ["/"]
    assert body["components"]["actions"]["status"] == "ok" and actions.paths == ["/health"]
    # No worker has run, and no translation package is installed here: said, but residents are still served.
    assert body["components"]["worker"]["status"] == "never seen"
    assert body["components"]["translation"] == {"status": "none installed", "pairs": []}
    assert any("worker" in alert for alert in body["alerts"])


@pytest.mark.parametrize("down", ["rasa", "actions"])
def test_rasa_or_the_action_server_down_is_503(database, connection, keyring, tmp_path, rasa, actions, down):
    urls = {"rasa": rasa.url, "actions": actions.url}
    urls[down] = closed_port_url()
    app = _app(
        database, connection, keyring, tmp_path, RASA_URL=urls["rasa"], HEARD_ACTIONS_URL=f"{urls['actions']}/webhook"
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "degraded" and body["components"][down]["status"] == "unavailable"


def test_a_rasa_that_errs_is_down_and_an_unconfigured_action_server_is_not(
    database, connection, keyring, tmp_path, monkeypatch
):
    monkeypatch.delenv("HEARD_ACTIONS_URL", raising=False)
    failing = Stub(status=500)
    try:
        app = _app(database, connection, keyring, tmp_path, RASA_URL=failing.url)
        body = app.test_client().get("/healthz").get_json()
    finally:
        failing.stop()
    assert body["components"]["rasa"] == {"status": "unavailable", "error": "HTTP 500"}
    assert body["components"]["actions"] == {"status": "not configured"}


def test_the_worker_heartbeat_queue_depth_oldest_due_and_dead_jobs_are_reported(
    database, connection, keyring, tmp_path, session, rasa
):
    now = utcnow()
    session.add(WorkerHeartbeat(name="host:1:abc", started_at=now, beat_at=now - dt.timedelta(seconds=5)))
    oldest = jobs.enqueue(session, kind="translate.case", payload={}, run_after=now - dt.timedelta(minutes=9))
    jobs.enqueue(session, kind="sms.send", payload={})
    jobs.enqueue(session, kind="sms.send", payload={}, run_after=now + dt.timedelta(hours=1))  # not due yet
    dead = jobs.enqueue(session, kind="sms.media", payload={})
    dead.state = JobState.DEAD
    session.commit()
    app = _app(database, connection, keyring, tmp_path, RASA_URL=rasa.url)
    body = app.test_client().get("/healthz").get_json()
    worker, queue = body["components"]["worker"], body["components"]["queue"]
    assert worker["status"] == "ok" and worker["workers"] == 1 and worker["seconds_since_heartbeat"] < 60
    assert queue["queued"] == 3 and queue["due"] == 2 and queue["dead"] == 1 and queue["status"] == "dead jobs"
    assert queue["oldest_due_at"] == oldest.run_after.isoformat() and queue["oldest_due_seconds"] >= 9 * 60
    assert any("retry-dead" in alert for alert in body["alerts"])
    assert body["status"] == "ok"  # staff must act; residents are still answered


def test_a_worker_silent_for_minutes_is_an_alert(database, connection, keyring, tmp_path, session, rasa):
    long_ago = utcnow() - dt.timedelta(minutes=10)
    session.add(WorkerHeartbeat(name="host:2:def", started_at=long_ago, beat_at=long_ago))
    session.commit()
    app = _app(database, connection, keyring, tmp_path, RASA_URL=rasa.url)
    body = app.test_client().get("/healthz").get_json()
    assert body["components"]["worker"]["status"] == "silent" and body["components"]["worker"]["workers"] == 0
    assert any(alert.startswith("worker silent") for alert in body["alerts"])


def test_installed_translation_pairs_are_listed(database, connection, keyring, tmp_path, rasa):
    packages = tmp_path / "translation" / "packages"  # the default, under the instance folder
    for pair in ("es_en", "en_es"):
        (packages / f"translate-{pair}").mkdir(parents=True)
        source, target = pair.split("_")
        (packages / f"translate-{pair}" / "metadata.json").write_text(
            f'{{"type": "translate", "from_code": "{source}", "to_code": "{target}"}}'
        )
    app = _app(database, connection, keyring, tmp_path, RASA_URL=rasa.url)
    body = app.test_client().get("/healthz").get_json()
    assert body["components"]["translation"] == {"status": "ok", "pairs": ["en-es", "es-en"]}


def test_the_database_down_is_503_and_the_rest_is_still_reported(keyring, tmp_path, rasa):
    app = create_app(
        {
            "TESTING": True,
            "HEARD_INSTANCE_DIR": str(tmp_path),
            "DATABASE_URL": f"sqlite:///{tmp_path}/missing/dir/heard.db",
            "KEYRING": keyring,
            "RASA_URL": rasa.url,
        }
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "degraded" and body["components"]["database"]["status"] == "unavailable"
    assert body["components"]["rasa"]["status"] == "ok" and "queue" not in body["components"]
