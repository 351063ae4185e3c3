"""Seed a large queue and time the console's list and case pages on SQLite and PostgreSQL.

    .venv/bin/python bench/console.py --cases 100000
    TEST_DATABASE_URL=postgresql+psycopg://heard:heard@127.0.0.1:5432/heard .venv/bin/python bench/console.py

Cases are inserted in bulk (with a status history row each), then the real pages are
requested through the Flask app as a signed-in supervisor: the first queue page, filtered
pages, a search, and case pages. Figures only; the aim is a p95 under 200 ms.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, insert, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from app import create_app  # noqa: E402
from intake.access import staff  # noqa: E402
from intake.config import normalize_database_url  # noqa: E402
from intake.crypto import Keyring, new_secrets  # noqa: E402
from intake.db import Database  # noqa: E402
from intake.enums import Channel, Kind, Language, Role, Status  # noqa: E402
from intake.migrate import upgrade  # noqa: E402
from intake.models import Case, StatusChange  # noqa: E402

NARRATIVES = [
    "El oficial me empujó contra el carro y se llevó mi teléfono.",
    "The officer pushed me and would not give his badge number.",
    "Cảnh sát đã xô tôi và không cho biết tên.",
    "警察推了我还骂我。",
    "Ang pulis ay sumigaw sa akin sa harap ng mga anak ko.",
    "Thank you to the officer who helped my mother after the accident.",
]
CATEGORIES = ["use_of_force", "discourtesy", "bias", "improper_stop", "failure_to_act", "property", "other", None]


def seed(database: Database, count: int) -> None:
    rng = random.Random(7)
    now = dt.datetime.now(dt.timezone.utc)
    statuses = list(Status)
    batch: list[dict[str, object]] = []
    history: list[dict[str, object]] = []
    with database.engine.begin() as conn:
        for i in range(1, count + 1):
            created = now - dt.timedelta(minutes=rng.randint(0, 60 * 24 * 730))
            status = rng.choice(statuses)
            batch.append(
                {
                    "id": i,
                    "tracking_number": f"{i:010d}",
                    "pin_digest": "0" * 64,
                    "kind": (Kind.COMMENDATION if i % 10 == 0 else Kind.COMPLAINT).value,
                    "status": status.value,
                    "channel": rng.choice(list(Channel)).value,
                    "language": rng.choice(list(Language)).value,
                    "category": rng.choice(CATEGORIES),
                    "narrative": rng.choice(NARRATIVES),
                    "anonymous": True,
                    "needs_interpreter": rng.random() < 0.1,
                    "version": 1,
                    "created_at": created,
                    "updated_at": created,
                }
            )
            history.append(
                {"case_id": i, "from_status": None, "to_status": "received", "actor": "bench", "created_at": created}
            )
            if len(batch) == 5000:
                conn.execute(insert(Case.__table__), batch)
                conn.execute(insert(StatusChange.__table__), history)
                batch, history = [], []
        if batch:
            conn.execute(insert(Case.__table__), batch)
            conn.execute(insert(StatusChange.__table__), history)
        if database.engine.dialect.name == "postgresql":
            conn.execute(text("SELECT setval(pg_get_serial_sequence('cases', 'id'), (SELECT max(id) FROM cases))"))
            conn.execute(text("ANALYZE"))
        else:
            conn.execute(text("ANALYZE"))


def timed(client: object, path: str, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(path)  # type: ignore[attr-defined]
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return times


def run(url: str, count: int, repeat: int, label: str) -> None:
    secrets = new_secrets()
    keyring = Keyring(
        tuple(secrets["fernet_keys"]),  # type: ignore[arg-type]
        base64.b64decode(str(secrets["hmac_key"])),
        str(secrets["secret_key"]),
        str(secrets["internal_token"]),
    )
    upgrade(url)
    database = Database(url)
    start = time.perf_counter()
    seed(database, count)
    print(f"[{label}] seeded {count} cases in {time.perf_counter() - start:.1f} s")
    with database.session() as session:
        supervisor = staff.create_staff(
            session, email="bench@example.org", role=Role.SUPERVISOR, password="a long bench passphrase", actor="bench"
        )
        session.commit()
        supervisor_id = supervisor.id
    with tempfile.TemporaryDirectory() as instance:
        app = create_app({"HEARD_INSTANCE_DIR": instance, "DATABASE": database, "KEYRING": keyring, "TESTING": True})
        client = app.test_client()
        with client.session_transaction() as s:
            s["staff_id"] = supervisor_id
            s["signed_in_at"] = time.time()
            s["csrf"] = "bench"
        rng = random.Random(3)
        pages = {
            "queue, first page": "/console/",
            "queue, Spanish, received": "/console/?language=es&status=received",
            "queue, needs interpreter": "/console/?needs_interpreter=1",
            "queue, search 'empujó'": "/console/?q=empuj%C3%B3",
        }
        for name, path in pages.items():
            times = timed(client, path, repeat)
            print(f"[{label}] {name:<28} p50 {statistics.median(times):6.1f} ms  p95 {pct(times, 0.95):6.1f} ms")
        case_times: list[float] = []
        for _ in range(repeat):
            case_times += timed(client, f"/console/cases/{rng.randint(1, count)}", 1)
        print(
            f"[{label}] {'case page (random)':<28} p50 {statistics.median(case_times):6.1f} ms  "
            f"p95 {pct(case_times, 0.95):6.1f} ms"
        )
    database.dispose()


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        run(f"sqlite:///{folder}/bench.db", args.cases, args.repeat, "SQLite")
    pg = os.environ.get("TEST_DATABASE_URL")
    if not pg:
        print("PostgreSQL: skipped (set TEST_DATABASE_URL to a server where databases may be created)")
        return
    base = normalize_database_url(pg)
    name = f"heard_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        run(
            make_url(base).set(database=name).render_as_string(hide_password=False),
            args.cases,
            args.repeat,
            "PostgreSQL",
        )
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
