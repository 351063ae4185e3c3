"""Backup and restore: a consistent snapshot of the database, the evidence and the spool, with SHA-256 sums.

A backup is a folder: ``manifest.json``, the database (``heard.db``, made with SQLite's online
backup API, or ``heard.pgdump``, made by ``pg_dump`` from an exported snapshot, so the row
counts in the manifest are the dump's own), and ``files/`` (evidence and spooled texts, copied
from whichever storage is configured, files or an S3 bucket, still encrypted as stored). It
never holds the keys: a backup is useless without ``secrets.json`` (or ``HEARD_FERNET_KEYS``),
which the office keeps elsewhere. Restore goes only into an empty instance (an empty database
and an empty storage, either backend), and checks every sum before it writes anything.

NOTE: the files are copied after the database snapshot, so every file a row of the snapshot
points at is in the backup (evidence is written before its row commits). Spooled texts are
copied before and after: a text spooled and drained inside that short window is in neither copy.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.engine import Connection, make_url

from intake.crypto import Keyring
from intake.db import Database, utcnow
from intake.errors import ConfigurationError, IntakeError
from intake.models import Attachment
from intake.private import make_private_dir
from intake.retention.files import is_stored_key, read_stored, stored_files, write_stored
from intake.storage import FolderStorage, Storage

MANIFEST = "manifest.json"
FORMAT = 1
SQLITE_FILE = "heard.db"
PG_FILE = "heard.pgdump"
FILES = "files"
# Files that are never copied into a backup, wherever they lie.
NEVER_COPIED = ("secrets.json",)


class BackupError(IntakeError):
    """A backup or restore that cannot go on, with the reason."""


@dataclass(frozen=True)
class Manifest:
    """What a backup holds: the database file, every stored file, and the row counts of the snapshot."""

    engine: str
    created_at: str
    database: dict[str, Any]
    files: list[dict[str, Any]]
    counts: dict[str, int]

    def as_json(self) -> str:
        return json.dumps(
            {
                "format": FORMAT,
                "engine": self.engine,
                "created_at": self.created_at,
                "database": self.database,
                "files": self.files,
                "counts": self.counts,
            },
            indent=1,
            sort_keys=True,
        )

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        try:
            data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise BackupError(f"{folder / MANIFEST} cannot be read: {exc}") from exc
        if data.get("format") != FORMAT:
            raise BackupError(f"{folder / MANIFEST} is of format {data.get('format')!r}; this Heard reads {FORMAT}")
        return cls(
            engine=data["engine"],
            created_at=data["created_at"],
            database=data["database"],
            files=data["files"],
            counts={k: int(v) for k, v in data["counts"].items()},
        )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _private_file(path: Path) -> int:
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)


def _copy_files(storage: Storage, out: Path, root: str | None, copied: dict[str, str]) -> None:
    """Copy stored objects (all, or one root) into the backup, once each."""
    for stored in stored_files(storage, root):
        name = stored.key.rsplit("/", 1)[-1]
        if stored.key in copied or name in NEVER_COPIED or ".tmp" in name:
            continue
        data = read_stored(storage, stored.key)
        if data is None:  # drained or discarded since it was listed
            continue
        target = out / FILES / stored.key
        make_private_dir(target.parent)
        with open(_private_file(target), "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        copied[stored.key] = hashlib.sha256(data).hexdigest()


def _inside_instance(out: Path, instance_dir: Path, storage: Storage) -> bool:
    folders = [instance_dir, *([storage.root] if isinstance(storage, FolderStorage) else [])]
    return any(out.resolve().is_relative_to(folder.resolve()) for folder in folders)


def take_backup(database_url: str, storage: Storage, out: Path, *, instance_dir: Path) -> Manifest:
    """Write a consistent backup of the database and of ``storage``'s objects into ``out`` (a new or empty folder)."""
    if out.exists() and any(out.iterdir()):
        raise BackupError(f"{out} is not empty: a backup goes into a new folder")
    if _inside_instance(out, instance_dir, storage):
        raise BackupError("a backup may not go inside the instance folder (or the storage folder) it copies")
    make_private_dir(out)
    copied: dict[str, str] = {}
    # NOTE: every file before the snapshot and the new ones after: a file an erasure or a purge
    # removes while the backup runs is in the first copy, one filed meanwhile in the second, so
    # every file a row of the snapshot points at is in the backup.
    _copy_files(storage, out, None, copied)
    engine = make_url(database_url).get_backend_name()
    if engine == "sqlite":
        database, counts = _sqlite_snapshot(database_url, out / SQLITE_FILE)
    elif engine == "postgresql":
        database, counts = _pg_snapshot(database_url, out / PG_FILE)
    else:
        raise BackupError(f"backups of {engine} databases are not supported")
    _copy_files(storage, out, None, copied)
    manifest = Manifest(
        engine=engine,
        created_at=utcnow().isoformat(),
        database=database,
        files=[{"path": key, "sha256": digest} for key, digest in sorted(copied.items())],
        counts=counts,
    )
    with open(_private_file(out / MANIFEST), "w", encoding="utf-8") as handle:
        handle.write(manifest.as_json() + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return manifest


def _sqlite_path(database_url: str) -> Path:
    path = make_url(database_url).database
    if not path or path == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(path)


def _sqlite_counts(connection: sqlite3.Connection) -> dict[str, int]:
    names = [
        row[0]
        for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND name NOT LIKE '%_search%' ORDER BY name"
        )
    ]
    # NOTE: table names come from the database's own catalog, never from input.
    return {name: int(connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]) for name in names}  # noqa: S608


def _sqlite_snapshot(database_url: str, target: Path) -> tuple[dict[str, Any], dict[str, int]]:
    source_path = _sqlite_path(database_url)
    if not source_path.exists():
        raise BackupError(f"the database {source_path} does not exist")
    os.close(_private_file(target))
    with closing(sqlite3.connect(source_path, timeout=30)) as source, closing(sqlite3.connect(target)) as copy:
        source.backup(copy)  # NOTE: SQLite's online backup: one consistent state, writers go on meanwhile
        counts = _sqlite_counts(copy)
    return {"file": SQLITE_FILE, "sha256": _sha256(target)}, counts


def libpq_env(database_url: str) -> dict[str, str]:
    """Return the libpq environment for a database URL, so no password appears on a command line."""
    url = make_url(database_url)
    env = {"PGDATABASE": url.database or "", "PGHOST": url.host or "", "PGUSER": url.username or ""}
    if url.port:
        env["PGPORT"] = str(url.port)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return {key: value for key, value in env.items() if value}


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed: install the PostgreSQL client tools of the server's version")
    return found


def _run(args: list[str], database_url: str) -> None:
    env = {**os.environ, **libpq_env(database_url)}
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(f"{Path(args[0]).name} failed: {done.stderr.strip()[-2000:]}")


def _pg_counts(connection: Connection) -> dict[str, int]:
    names = sorted(inspect(connection).get_table_names())
    # NOTE: table names come from the database's own catalog, never from input.
    return {name: int(connection.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one()) for name in names}  # noqa: S608


def _pg_snapshot(database_url: str, target: Path) -> tuple[dict[str, Any], dict[str, int]]:
    pg_dump = _tool("pg_dump")
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
            with connection.begin():
                # NOTE: pg_dump reads the very snapshot the counts are taken in, so they agree.
                snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
                counts = _pg_counts(connection)
                os.close(_private_file(target))
                _run(
                    [pg_dump, "--format=custom", "--no-owner", f"--snapshot={snapshot}", f"--file={target}"],
                    database_url,
                )
    finally:
        engine.dispose()
    return {"file": PG_FILE, "sha256": _sha256(target)}, counts


# ---------------------------------------------------------------- restore


@dataclass(frozen=True)
class Restored:
    """What a restore put back."""

    engine: str
    files: int
    counts: dict[str, int]


def verify_backup(folder: Path) -> Manifest:
    """Check every sum of a backup against its manifest; raise BackupError naming the first that differs."""
    manifest = Manifest.read(folder)
    database_file = folder / str(manifest.database["file"])
    if not database_file.is_file() or _sha256(database_file) != manifest.database["sha256"]:
        raise BackupError(f"{database_file.name} is missing or differs from the manifest's SHA-256")
    for entry in manifest.files:
        # NOTE: checked before anything is restored: a manifest naming "../x" must not half-restore a backup.
        if not is_stored_key(entry.get("path")):
            raise BackupError(f"the manifest names a file outside evidence/ and spool/: {entry.get('path')!r}")
        path = folder / FILES / entry["path"]
        if not path.is_file() or _sha256(path) != entry["sha256"]:
            raise BackupError(f"{entry['path']} is missing or differs from the manifest's SHA-256")
    return manifest


def _database_is_empty(database_url: str) -> bool:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        path = _sqlite_path(database_url)
        if not path.exists():
            return True
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return not inspect(connection).get_table_names()
    finally:
        engine.dispose()


def restore_backup(folder: Path, database_url: str, storage: Storage) -> Restored:
    """Restore a verified backup into an empty database and an empty ``storage``, then check it."""
    manifest = verify_backup(folder)
    engine = make_url(database_url).get_backend_name()
    if engine != manifest.engine:
        raise BackupError(f"this backup is of a {manifest.engine} database; DATABASE_URL is {engine}")
    if not _database_is_empty(database_url):
        raise BackupError("the database is not empty: restore only into a new, empty database")
    if next(iter(stored_files(storage)), None) is not None:
        raise BackupError(
            f"{storage.describe()} already holds evidence or spooled texts: restore only into an empty storage"
        )
    if engine == "sqlite":
        target = _sqlite_path(database_url)
        make_private_dir(target.parent)
        os.close(_private_file(target))
        with closing(sqlite3.connect(folder / SQLITE_FILE)) as source, closing(sqlite3.connect(target)) as copy:
            source.backup(copy)
    else:
        args = [_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]
        _run([*args, f"--dbname={make_url(database_url).database}", str(folder / PG_FILE)], database_url)
    for entry in manifest.files:
        write_stored(storage, entry["path"], (folder / FILES / entry["path"]).read_bytes())
        if hashlib.sha256(read_stored(storage, entry["path"]) or b"").hexdigest() != entry["sha256"]:
            raise BackupError(f"{entry['path']} was not written back whole")
    counts = _restored_counts(database_url)
    differ = {name: (n, counts.get(name)) for name, n in manifest.counts.items() if counts.get(name) != n}
    if differ:
        raise BackupError(f"row counts differ from the manifest's (table: backup, restored): {differ}")
    return Restored(engine=engine, files=len(manifest.files), counts=counts)


def _restored_counts(database_url: str) -> dict[str, int]:
    if make_url(database_url).get_backend_name() == "sqlite":
        with closing(sqlite3.connect(_sqlite_path(database_url))) as connection:
            return _sqlite_counts(connection)
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return _pg_counts(connection)
    finally:
        engine.dispose()


def verify_evidence(database: Database, storage: Storage, keyring: Keyring) -> tuple[int, list[str]]:
    """Decrypt every evidence file an attachment points at and check its SHA-256; return how many, and what failed."""
    checked, problems = 0, []
    with database.session() as session:
        for attachment in session.scalars(select(Attachment).where(Attachment.storage_key != "")):
            data = read_stored(storage, attachment.storage_key)
            try:
                plain = keyring.decrypt_bytes(data) if data is not None else None
            except ConfigurationError:
                plain = None
            if plain is None or hashlib.sha256(plain).hexdigest() != attachment.sha256:
                problems.append(f"attachment {attachment.id} ({attachment.storage_key}) is missing or does not match")
            checked += 1
    return checked, problems
