"""Engines, sessions and the column types every model shares."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import DateTime, Engine, create_engine, event
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from intake.private import make_private_files


def utcnow() -> dt.datetime:
    """Return the current time, timezone-aware, in UTC."""
    return dt.datetime.now(dt.timezone.utc)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Store aware datetimes in UTC and always hand back aware UTC values.

    SQLite keeps no zone, PostgreSQL's ``timestamptz`` answers in the session's
    zone; both come back as the same aware UTC value, so hashes over them agree.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; pass an aware UTC datetime")
        value = value.astimezone(dt.timezone.utc)
        # NOTE: SQLite stores the text as given; drop the zone so it sorts and compares plainly.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc)


class Base(DeclarativeBase):
    """Declarative base of every Heard table."""


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Build an engine for ``url`` with the settings Heard relies on."""
    parsed = make_url(url)
    # NOTE: a failed statement's values (names, narratives, numbers) stay out of its error text and logs.
    kwargs.setdefault("hide_parameters", True)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        _configure_sqlite(engine)
        return engine
    engine = create_engine(url, pool_pre_ping=True, **kwargs)
    if parsed.get_backend_name() == "postgresql":
        _keep_nul_characters(engine)
    return engine


def _keep_nul_characters(engine: Engine) -> None:
    """Store a NUL character as U+FFFD: PostgreSQL's text columns refuse NUL, and a resident's words are kept.

    NOTE: SQLite keeps NUL as it is; the replacement is what a reader of either database sees as "a
    character that could not be shown", never a lost message or a 500.
    """

    @event.listens_for(engine, "before_cursor_execute", retval=True)
    def _on_execute(
        _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _executemany: bool
    ) -> tuple[str, Any]:
        return statement, _without_nul(parameters)


def _without_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd") if "\x00" in value else value
    if isinstance(value, dict):
        return {key: _without_nul(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_without_nul(item) for item in value)
    return value


def _configure_sqlite(engine: Engine) -> None:
    """Turn on foreign keys and WAL, and make every transaction take the write lock up front.

    NOTE: ``BEGIN IMMEDIATE`` serialises writers at BEGIN instead of failing a
    stale snapshot at the first write; the audit chain and idempotency keys
    need that, and an intake queue's write rate is far below SQLite's.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # let SQLAlchemy's BEGIN below take over
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
            make_private_files(engine.url.database)  # residents' words: never readable by other local users
        cursor.execute("PRAGMA busy_timeout = 30000")
        # NOTE: what is deleted or overwritten (purged words, erased contact details) is zeroed in
        # the file, not left in free pages for anyone who copies it (issue 17).
        cursor.execute("PRAGMA secure_delete = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    """One engine and its session factory; built by the composition root, never at import."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """Yield a session; the caller commits, anything uncommitted is rolled back."""
        session = self.sessionmaker()
        try:
            yield session
        finally:
            session.close()

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    def flush_deleted(self) -> bool:
        """See ``flush_deleted``."""
        return flush_deleted(self.engine)


def flush_deleted(engine: Engine) -> bool:
    """After a purge or an erasure: on SQLite, fold the write-ahead log into the file and empty it.

    The log keeps the pages as they were before the change (the erased words with them) until a
    checkpoint; this one truncates it. Best effort, waiting at most a moment for readers: False when
    one kept it from finishing (the next one does). PostgreSQL's dead rows are its autovacuum's.
    """
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return True
    raw = engine.raw_connection()  # NOTE: outside any transaction (no BEGIN IMMEDIATE here)
    try:
        cursor = raw.cursor()
        cursor.execute("PRAGMA busy_timeout = 200")
        busy = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        cursor.execute("PRAGMA busy_timeout = 30000")
        cursor.close()
    finally:
        raw.close()
    return not busy
