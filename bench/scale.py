"""Turns per second and turn latency with 1 and with 2 Rasa replicas, side by side in one run.

    TEST_DATABASE_URL=postgresql+psycopg://heard:heard@127.0.0.1:5432/heard \\
        .venv/bin/python bench/scale.py --residents 12

For each replica count it starts the replicated stack of tests/cluster.py (2 gunicorn web
processes behind a load balancer, 2 workers, N Rasa replicas sharing a PostgreSQL tracker
store and a Redis lock store, the action server; PostgreSQL for Heard; Twilio's stand-in).
Residents text whole complaints through signed webhooks, all at once; a turn's latency runs
from posting the text to its answer being settled (inline, or sent by REST). Then as many
senders take the same story straight to Rasa's REST channel, for the webhook-over-direct
ratio. During the last run, ``--staff`` intake staff (20) browse the console (queue and case
pages, every view appended to the audit chain) through the same web processes.
Needs PostgreSQL (TEST_DATABASE_URL) and Redis (TEST_REDIS_URL or redis-server).
Figures only; nothing here passes or fails.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.sealing import rasa_api_token  # noqa: E402
from intake.db import Database  # noqa: E402
from tests.cluster import STORY, Cluster, Resident, missing_services, running_cluster  # noqa: E402


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def through_webhooks(cluster: Cluster, residents: int, offset: int) -> tuple[float, list[float]]:
    """Every resident texts the whole story at once; return the wall time and each turn's latency."""
    database = Database(cluster.database_url)
    people = [Resident(cluster, database, f"+1209556{offset + i:04d}") for i in range(residents)]
    errors: list[str] = []

    def run(resident: Resident) -> None:
        try:
            for line in STORY:
                resident.text(line, timeout=300)
        except Exception as exc:  # counted, printed
            errors.append(f"{type(exc).__name__}: {exc}")

    started = time.monotonic()
    threads = [threading.Thread(target=run, args=(p,)) for p in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - started
    database.dispose()
    if errors:
        print(f"  {len(errors)} residents did not finish: {errors[0]}")
    return wall, [t for p in people for t in p.latencies]


def direct(cluster: Cluster, senders: int) -> tuple[float, list[float]]:
    """The same story straight to Rasa's REST channel (no webhook, no queue); return wall time and latencies."""
    latencies: list[float] = []
    lock = threading.Lock()

    def run() -> None:
        sender = uuid.uuid4().hex
        url = cluster.rasa_urls[hash(sender) % len(cluster.rasa_urls)]
        with requests.Session() as session:
            for line in STORY:
                began = time.monotonic()
                session.post(
                    f"{url}/webhooks/rest/webhook",
                    json={"sender": sender, "message": line, "metadata": {"channel": "sms"}},
                    headers={"Authorization": f"Bearer {rasa_api_token(cluster.env)}"},
                    timeout=120,
                )
                with lock:
                    latencies.append(time.monotonic() - began)

    started = time.monotonic()
    threads = [threading.Thread(target=run) for _ in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.monotonic() - started, latencies


def staff_cookies(cluster: Cluster, count: int) -> tuple[str, list[str]]:
    """Sign in ``count`` intake staff (server-side sessions, as the console's sign-in makes them)."""
    from app import create_app
    from intake import audit
    from intake.access import staff
    from intake.enums import Role

    audit.use_key(audit.chain_key(cluster.keyring().hmac_key))
    database = Database(cluster.database_url)
    tokens = []
    with database.session() as session:
        for i in range(count):
            user = staff.create_staff(
                session,
                email=f"staff{i}@example.org",
                role=Role.INTAKE,
                password="a long bench passphrase",
                actor="bench",
            )
            session.flush()
            tokens.append(staff.open_session(session, keyring=cluster.keyring(), user=user))
        session.commit()
    app = create_app({"HEARD_INSTANCE_DIR": str(cluster.instance), "DATABASE": database})
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    cookies = [serializer.dumps({"sid": token, "csrf": "bench", "_permanent": True}) for token in tokens]
    database.dispose()
    return str(app.config["SESSION_COOKIE_NAME"]), cookies


def staff_browsing(cluster: Cluster, count: int, stop: threading.Event) -> list[float]:
    """``count`` staff browse the queue and the cases until ``stop``; return each page view's latency."""
    name, cookies = staff_cookies(cluster, count)
    latencies: list[float] = []
    lock = threading.Lock()

    def browse(cookie: str) -> None:
        with requests.Session() as session:
            session.cookies.set(name, cookie)
            while not stop.is_set():
                for path in ("/console/", "/console/cases/1", "/console/?status=received"):
                    began = time.monotonic()
                    answer = session.get(cluster.url + path, timeout=60, allow_redirects=False)
                    if answer.status_code in (200, 404):  # no case 1 yet early in the run
                        with lock:
                            latencies.append(time.monotonic() - began)

    threads = [threading.Thread(target=browse, args=(c,)) for c in cookies]
    for thread in threads:
        thread.start()
    stop.wait()
    for thread in threads:
        thread.join()
    return latencies


class Waits:
    """Sample what the database's busy connections wait on, and the machine's CPU, while staff browse.

    Separates the audit chain's row lock (every page view appends under ``FOR UPDATE`` of its head:
    a backend waiting on it shows wait_event_type "Lock") from the machine being busy (CPU).
    """

    def __init__(self, database_url: str) -> None:
        from sqlalchemy import create_engine

        from intake.config import normalize_database_url

        self.engine = create_engine(normalize_database_url(database_url))
        self.active = self.locked = 0
        self.cpu_busy = self.cpu_total = 0

    @staticmethod
    def _cpu() -> tuple[int, int]:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
        idle = fields[3] + fields[4]
        return sum(fields) - idle, sum(fields)

    def sample_until(self, stop: threading.Event) -> None:
        from sqlalchemy import text

        busy0, total0 = self._cpu()
        query = text(
            "SELECT wait_event_type FROM pg_stat_activity WHERE datname = current_database()"
            " AND state = 'active' AND pid <> pg_backend_pid()"
        )
        with self.engine.connect() as conn:
            while not stop.wait(0.02):
                kinds = [row[0] for row in conn.execute(query)]
                conn.rollback()
                self.active += len(kinds)
                self.locked += sum(1 for kind in kinds if kind == "Lock")
        busy1, total1 = self._cpu()
        self.cpu_busy, self.cpu_total = busy1 - busy0, total1 - total0
        self.engine.dispose()

    def report(self) -> str:
        lock = self.locked / self.active if self.active else 0.0
        cpu = self.cpu_busy / self.cpu_total if self.cpu_total else 0.0
        return (
            f"while staff browsed: busy database connections waiting on a row lock (the audit chain's head)"
            f" {lock:.0%} of {self.active} samples; machine CPU busy {cpu:.0%}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--residents", type=int, default=12)
    parser.add_argument("--replicas", default="1,2", help="replica counts to compare, comma-separated")
    parser.add_argument("--staff", type=int, default=20, help="staff browsing the console during the last run")
    args = parser.parse_args()
    why = missing_services()
    if why:
        sys.exit(f"cannot run: {why}")
    rows = []
    counts = [int(c) for c in args.replicas.split(",")]
    console: list[float] = []
    waits: Waits | None = None
    for count in counts:
        with tempfile.TemporaryDirectory(prefix=f"heard-scale-{count}-") as tmp:
            print(f"starting the stack with {count} Rasa replica(s)...", flush=True)
            with running_cluster(Path(tmp), os.environ["TEST_DATABASE_URL"], replicas=count) as cluster:
                stop = threading.Event()
                browsing = sampling = None
                if count == counts[-1] and args.staff:
                    browsing = threading.Thread(
                        target=lambda c=cluster, e=stop: console.extend(staff_browsing(c, args.staff, e))
                    )
                    browsing.start()
                    waits = Waits(cluster.database_url)
                    sampling = threading.Thread(target=waits.sample_until, args=(stop,))
                    sampling.start()
                wall, turns = through_webhooks(cluster, args.residents, offset=count * 1000)
                stop.set()
                if browsing is not None and sampling is not None:
                    browsing.join()
                    sampling.join()
                direct_wall, direct_turns = direct(cluster, args.residents)
        rows.append((count, len(turns), wall, turns, direct_wall, direct_turns))
    print()
    print(f"{args.residents} residents, {len(STORY)} texts each, on {os.cpu_count()} cores")
    header = f"{'replicas':>8} {'turns':>6} {'turns/s':>8} {'p50 s':>7} {'p95 s':>7}"
    header += f" {'direct/s':>9} {'d.p50 s':>8} {'d.p95 s':>8} {'webhook/direct p50':>19}"
    print(header)
    for count, n, wall, turns, direct_wall, direct_turns in rows:
        p50, direct_p50 = percentile(turns, 0.5), percentile(direct_turns, 0.5)
        print(
            f"{count:>8} {n:>6} {n / wall:>8.2f} {p50:>7.2f} {percentile(turns, 0.95):>7.2f}"
            f" {len(direct_turns) / direct_wall:>9.2f} {direct_p50:>8.2f} {percentile(direct_turns, 0.95):>8.2f}"
            f" {p50 / direct_p50 if direct_p50 else float('nan'):>19.2f}"
        )
    if console:
        print(
            f"console, {args.staff} staff browsing while residents text ({counts[-1]} replica(s)):"
            f" {len(console)} page views, p50 {percentile(console, 0.5) * 1000:.0f} ms,"
            f" p95 {percentile(console, 0.95) * 1000:.0f} ms"
        )
        if waits is not None:
            print(waits.report())
    if len(rows) == 2:
        print(f"turns/s, 2 replicas over 1: {(rows[1][1] / rows[1][2]) / (rows[0][1] / rows[0][2]):.2f}")


if __name__ == "__main__":
    main()
