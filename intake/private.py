"""Files that hold residents' words, evidence or keys: readable by the service's own user only.

The instance folder is 0700; databases, evidence, the spool, secrets and anchors are 0600.
The composition roots (``create_app``, the ``intake`` command) also set the process's umask
to 0077, so whatever else they create (SQLite's WAL files, exports) is private from the start.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy.engine import make_url

PRIVATE_UMASK = 0o077
DIR_MODE = 0o700
FILE_MODE = 0o600
SQLITE_SUFFIXES = ("", "-wal", "-shm", "-journal")


def make_private_dir(path: Path) -> Path:
    """Create ``path`` (and the parents it lacks) as 0700, and tighten it when it exists already."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    for made in missing:
        made.chmod(DIR_MODE)  # NOTE: mkdir gives parents the umask's mode, not ``mode``
    path.chmod(DIR_MODE)
    return path


def make_private_files(path: str | Path) -> None:
    """Make an SQLite database file and its companions 0600 (those that exist)."""
    for suffix in SQLITE_SUFFIXES:
        candidate = Path(f"{path}{suffix}")
        if candidate.exists():
            candidate.chmod(FILE_MODE)


def lock_down(instance_dir: Path, database_url: str) -> None:
    """Make this process create private files, and tighten the instance folder and an SQLite database in it."""
    os.umask(PRIVATE_UMASK)
    make_private_dir(instance_dir)
    for sub in ("evidence", "spool"):
        for found in (instance_dir / sub).rglob("*") if (instance_dir / sub).is_dir() else ():
            found.chmod(DIR_MODE if found.is_dir() else FILE_MODE)
        if (instance_dir / sub).is_dir():
            (instance_dir / sub).chmod(DIR_MODE)
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        make_private_files(str(url.database))
