"""Fixtures: every database test runs on SQLite and, when TEST_DATABASE_URL is set, on PostgreSQL.

Databases are built by the real Alembic migrations. Each test runs inside a
transaction that is rolled back; tests that need real commits (concurrency,
the CLI) take ``fresh_database_url``, a database of their own.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from app import create_app
from intake import audit
from intake.config import normalize_database_url
from intake.crypto import Keyring, new_secrets
from intake.db import Database
from intake.migrate import upgrade

PG_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ["sqlite", "postgresql"]


def pytest_report_header(config: pytest.Config) -> str:
    if PG_URL:
        return "databases: SQLite and PostgreSQL (TEST_DATABASE_URL)"
    return "databases: SQLite only -- TEST_DATABASE_URL is not set, PostgreSQL tests are SKIPPED"


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not PG_URL:
        terminalreporter.write_sep(
            "!", "PostgreSQL was NOT tested: set TEST_DATABASE_URL (CI's .ci/run does)", red=True, bold=True
        )


def _new_database(backend: str, tmp_dir: Path) -> tuple[str, Any]:
    """Create and migrate an empty database; return its URL and a function that drops it."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_dir / f'heard-{uuid.uuid4().hex[:8]}.db'}"
        upgrade(url)
        return url, lambda: None
    if not PG_URL:
        pytest.skip("PostgreSQL: TEST_DATABASE_URL is not set")
    base = normalize_database_url(PG_URL)
    name = f"heard_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    upgrade(url)

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url, drop


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url, drop = _new_database(request.param, tmp_path_factory.mktemp("db"))
    yield url
    drop()


@pytest.fixture(params=BACKENDS)
def fresh_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated database of this test's own, for tests that commit."""
    url, drop = _new_database(request.param, tmp_path)
    yield url
    drop()


@pytest.fixture(scope="session")
def database(database_url: str) -> Iterator[Database]:
    db = Database(database_url)
    yield db
    db.dispose()


@pytest.fixture
def connection(database: Database) -> Iterator[Connection]:
    with database.engine.connect() as conn:
        outer = conn.begin()
        yield conn
        outer.rollback()


@pytest.fixture
def session(connection: Connection) -> Iterator[Session]:
    s = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    yield s
    s.close()


@pytest.fixture(scope="session")
def keyring() -> Keyring:
    import base64

    secrets = new_secrets()
    return Keyring(
        fernet_keys=tuple(secrets["fernet_keys"]),  # type: ignore[arg-type]
        hmac_key=base64.b64decode(str(secrets["hmac_key"])),
        secret_key=str(secrets["secret_key"]),
        internal_token=str(secrets["internal_token"]),
    )


@pytest.fixture(autouse=True)
def audit_key(keyring: Keyring) -> bytes:
    """Key the audit chain as the composition root does, with the tests' keyring, afresh for every test."""
    key = audit.chain_key(keyring.hmac_key)
    audit.use_key(key)
    return key


class RolledBackDatabase:
    """A Database whose sessions all join the test's rolled-back transaction."""

    def __init__(self, database: Database, connection: Connection) -> None:
        self.url = database.url
        self.engine = database.engine
        self.sessionmaker = sessionmaker(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )


@pytest.fixture
def app(database: Database, connection: Connection, keyring: Keyring, tmp_path: Path) -> Flask:
    return create_app(
        {
            "TESTING": True,
            "HEARD_INSTANCE_DIR": str(tmp_path),
            "DATABASE": RolledBackDatabase(database, connection),
            "KEYRING": keyring,
        }
    )


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
