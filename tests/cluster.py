"""A whole replicated Heard on this machine: N web (gunicorn), N workers, N Rasa replicas, the
action server, on PostgreSQL and Redis, behind a small load balancer, with Twilio's stand-in.

Used by tests/bot/test_replicas.py (kill one of each mid-load) and bench/scale.py. Every
process is a real one, started as the Procfile starts it; each gets its own process group,
so a SIGKILL takes it down the way a lost machine would.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from intake.config import normalize_database_url
from intake.crypto import init_secrets, load_keyring
from intake.db import Database
from intake.enums import MessageState
from intake.jobs import wait_for
from intake.migrate import upgrade
from intake.models import Message
from tests.twilio_fake import ACCOUNT_SID, AUTH_TOKEN, PUBLIC_BASE_URL, FakeTwilio, new_message_sid, sign, sms_form

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv" / "bin"
MODEL = ROOT / "bot" / "models" / "current.tar.gz"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def redis_answers(url: str) -> bool:
    """Tell whether a Redis server answers PING at ``url`` (redis://host:port/db)."""
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), timeout=2) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@contextlib.contextmanager
def redis_server(tmp: Path) -> Iterator[str]:
    """TEST_REDIS_URL when set (CI starts one), else a private redis-server on a free port."""
    given = os.environ.get("TEST_REDIS_URL")
    if given:
        yield given
        return
    binary = shutil.which("redis-server")
    if binary is None:
        raise FileNotFoundError("redis-server is not installed and TEST_REDIS_URL is not set")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(tmp)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/1"
    try:
        deadline = time.monotonic() + 20
        while not redis_answers(url):
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextlib.contextmanager
def postgres_database(base_url: str, prefix: str) -> Iterator[str]:
    """A new, empty PostgreSQL database on the server ``base_url`` names; dropped afterwards."""
    base = normalize_database_url(base_url)
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


class Balancer:
    """A load balancer on loopback: each request to the next live backend; a refused connection goes to another.

    NOTE: like a real one, it retries only a request no backend received; one cut off mid-way
    answers 502 (Twilio then posts the same message again, which Heard's dedupe answers).
    """

    def __init__(self, backends: list[str]) -> None:
        self.backends = backends
        self._next = 0
        self._lock = threading.Lock()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        balancer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:
                pass

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                status, content, kind = balancer.forward(self.command, self.path, headers, body)
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            do_GET = do_POST = _forward

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def forward(self, method: str, path: str, headers: dict[str, str], body: bytes | None) -> tuple[int, bytes, str]:
        with self._lock:
            start = self._next
            self._next += 1
        order = [self.backends[(start + i) % len(self.backends)] for i in range(len(self.backends))]
        for backend in order:
            try:
                answer = requests.request(method, backend + path, headers=headers, data=body, timeout=(2, 40))
            except requests.ConnectionError as exc:
                if "Connection refused" in str(exc) or "NewConnectionError" in repr(exc):
                    continue  # never reached it: the next one takes it
                return 502, b"backend went away", "text/plain"
            except requests.RequestException:
                return 502, b"backend went away", "text/plain"
            return answer.status_code, answer.content, answer.headers.get("Content-Type", "text/plain")
        return 502, b"no backend", "text/plain"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Cluster:
    """N of each process, started by ``start()``; ``kill``/``restart`` them by name ("web0", "rasa1")."""

    workdir: Path
    database_url: str
    tracker_url: str
    redis_url: str
    replicas: int = 2
    webs: int = 2
    workers: int = 2
    pause_seconds: float = 600.0
    twilio: FakeTwilio = field(default_factory=FakeTwilio)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)
    balancer: Balancer | None = None
    env: dict[str, str] = field(default_factory=dict)

    @property
    def instance(self) -> Path:
        return self.workdir / "instance"

    @property
    def rasa_urls(self) -> list[str]:
        return [f"http://127.0.0.1:{self.ports[f'rasa{i}']}" for i in range(self.replicas)]

    @property
    def url(self) -> str:
        assert self.balancer is not None
        return self.balancer.url

    def keyring(self) -> Any:
        return load_keyring(self.instance, {})

    def start(self) -> Cluster:
        upgrade(self.database_url)
        init_secrets(self.instance)
        (self.workdir / "logs").mkdir(exist_ok=True)
        self.twilio.start()
        for name in [*(f"web{i}" for i in range(self.webs)), *(f"rasa{i}" for i in range(self.replicas)), "actions"]:
            self.ports[name] = free_port()
        self.balancer = Balancer([f"http://127.0.0.1:{self.ports[f'web{i}']}" for i in range(self.webs)])
        self.env = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "HEARD_INSTANCE_DIR": str(self.instance),
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_API_BASE_URL": self.twilio.url,
            "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
            "RASA_URL": ",".join(self.rasa_urls),
            "RASA_TRACKER_URL": self.tracker_url,
            "RASA_LOCK_STORE_URL": self.redis_url,
            "RATELIMIT_STORAGE_URI": self.redis_url,
            "HEARD_ACTIONS_URL": f"http://127.0.0.1:{self.ports['actions']}/webhook",
            "HEARD_INTERNAL_URL": self.balancer.url,
            "HEARD_SMS_RATE_PER_SECOND": "1000",
            "HEARD_INLINE_REPLY_SECONDS": "8",
            "HEARD_NARRATIVE_PAUSE_SECONDS": str(self.pause_seconds),
            "SANIC_HOST": "127.0.0.1",
            "WEB_CONCURRENCY": "1",
            "WEB_THREADS": "8",
            "PYTHONWARNINGS": "ignore",
        }
        self.env.pop("TEST_DATABASE_URL", None)
        self.start_process("actions")
        # NOTE: one replica first: it creates the tracker store's tables, which two at once would race to do.
        self.start_process("rasa0")
        for i in range(self.webs):
            self.start_process(f"web{i}")
        for i in range(self.workers):
            self.start_process(f"worker{i}")
        self.wait_ready("actions", 60)
        self.wait_ready("rasa0", 300)
        for i in range(1, self.replicas):
            self.start_process(f"rasa{i}")
        for name in [*(f"rasa{i}" for i in range(1, self.replicas)), *(f"web{i}" for i in range(self.webs))]:
            self.wait_ready(name, 300)
        return self

    def command(self, name: str) -> tuple[list[str], dict[str, str]]:
        env = dict(self.env)
        if name.startswith("web"):
            env["PORT"] = str(self.ports[name])
            return [str(VENV / "gunicorn"), "--config", "gunicorn.conf.py", "app:create_app()"], env
        if name.startswith("worker"):
            return [str(VENV / "python"), "-m", "worker"], env
        if name.startswith("rasa"):
            env["RASA_PORT"] = str(self.ports[name])
            return [str(ROOT / "scripts" / "rasa-run")], env
        port = str(self.ports["actions"])
        actions = ["-m", "bot.action_server", "--actions", "bot.actions", "--port", port, "--quiet"]
        return [str(VENV / "python"), *actions], env

    def start_process(self, name: str) -> None:
        args, env = self.command(name)
        with (self.workdir / "logs" / f"{name}.log").open("ab") as out:
            self.processes[name] = subprocess.Popen(
                args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    def probe_url(self, name: str) -> str | None:
        if name == "actions":
            return f"http://127.0.0.1:{self.ports[name]}/health"
        if name.startswith("rasa"):
            return f"http://127.0.0.1:{self.ports[name]}/"
        if name.startswith("web"):
            return f"http://127.0.0.1:{self.ports[name]}/healthz"
        return None

    def wait_ready(self, name: str, seconds: float) -> None:
        url = self.probe_url(name)
        deadline = time.monotonic() + seconds
        while url is not None:
            process = self.processes[name]
            if process.poll() is not None:
                log = (self.workdir / "logs" / f"{name}.log").read_text(errors="replace")[-3000:]
                raise RuntimeError(f"{name} exited with {process.returncode}:\n{log}")
            try:
                requests.get(url, timeout=3)
                return
            except requests.RequestException:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{name} did not answer within {seconds} s") from None
                time.sleep(0.5)

    def kill(self, name: str) -> None:
        """SIGKILL the process and everything it started, as a lost machine would end them."""
        process = self.processes[name]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

    def restart(self, name: str, *, wait: float = 300) -> None:
        self.start_process(name)
        self.wait_ready(name, wait)

    def stop(self) -> None:
        for process in self.processes.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for name, process in self.processes.items():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            del name
        if self.balancer is not None:
            self.balancer.stop()
        self.twilio.stop()


STORY = [
    "I want to file a complaint about a cop",
    "the officer pushed me against the car and took my phone",
    "done",
    "yesterday",
    "yes",
    "Main St and Weber",
    "idk",
    "no one",
    "no one",
    "yes",
    "yes",
]
# Where the story goes on after "what happened" when the resident pauses instead of writing "done".
AFTER_NARRATIVE = 2


class Resident:
    """A resident texting Heard through the load balancer, each text signed as Twilio signs it."""

    def __init__(self, cluster: Cluster, database: Database, phone: str) -> None:
        self.cluster, self.database, self.phone = cluster, database, phone
        self.sids: list[str] = []
        self.latencies: list[float] = []

    def post(self, body: str, *, deadline: float) -> str:
        """Post one text until the service takes it (a 502 is posted again, as Twilio's retry would); return its SID."""
        sid = new_message_sid()
        form = sms_form(body, sender=self.phone, sid=sid)
        self.sids.append(sid)
        signature = sign(PUBLIC_BASE_URL + "/twilio/sms", form)
        while True:
            try:
                answer = requests.post(
                    self.cluster.url + "/twilio/sms", data=form, headers={"X-Twilio-Signature": signature}, timeout=30
                )
                if answer.status_code == 200:
                    return sid
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"the text {body!r} was never taken")
            time.sleep(0.5)

    def answered(self, sid: str) -> list[str] | None:
        """What Heard answered the text ``sid`` (inline or sent by REST), or None while it is unanswered."""
        with self.database.session() as session:
            message = session.scalars(select(Message).where(Message.provider_id == sid)).first()
            if message is None or message.state != MessageState.PROCESSED or message.reply_via is None:
                return None
            replies = session.scalars(select(Message).where(Message.reply_to_id == message.id)).all()
            if not replies or any(r.state not in (MessageState.INLINE, MessageState.SENT) for r in replies):
                return None
            return [r.body for r in replies]

    def text(self, body: str, *, timeout: float = 300) -> list[str]:
        """Send one text and wait until it is answered; return the answer."""
        started = time.monotonic()
        deadline = started + timeout
        sid = self.post(body, deadline=deadline)
        found: list[list[str]] = []

        def done() -> bool:
            answer = self.answered(sid)
            if answer is not None:
                found.append(answer)
            return answer is not None

        if not wait_for(done, timeout=max(1.0, deadline - time.monotonic()), interval=0.2):
            raise TimeoutError(f"the text {body!r} of {self.phone[-4:]} was never answered")
        self.latencies.append(time.monotonic() - started)
        return found[0]


@contextlib.contextmanager
def running_cluster(workdir: Path, pg_url: str, **options: Any) -> Iterator[Cluster]:
    """Databases, Redis and every process, torn down afterwards."""
    with (
        postgres_database(pg_url, "heard_cluster") as database_url,
        postgres_database(pg_url, "heard_cluster_rasa") as tracker_url,
        redis_server(workdir) as redis_url,
    ):
        cluster = Cluster(workdir, database_url, tracker_url, redis_url, **options)
        try:
            yield cluster.start()
        finally:
            cluster.stop()


def missing_services() -> str | None:
    """Why the cluster cannot run here, or None."""
    if not os.environ.get("TEST_DATABASE_URL"):
        return "TEST_DATABASE_URL is not set (PostgreSQL)"
    if not os.environ.get("TEST_REDIS_URL") and shutil.which("redis-server") is None:
        return "neither TEST_REDIS_URL nor redis-server (Redis)"
    if not MODEL.exists() or not (ROOT / ".venv-rasa" / "bin" / "rasa").exists():
        return "the Rasa environment or trained model is missing: run `make setup`"
    return None


if __name__ == "__main__":  # pragma: no cover - a manual smoke run
    sys.exit("use tests/bot/test_replicas.py or bench/scale.py")
