"""The files Heard keeps beside its database (evidence, recordings, the SMS spool), as retention and backup see them.

NOTE: every file retention or backup touches goes through these few functions, so that when
evidence and the spool move behind a storage interface (filesystem or object storage) only
this module changes. Keys are paths relative to the instance folder, e.g.
``evidence/ab/ab12….bin`` or ``spool/sms/….msg``.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from intake.private import make_private_dir

# The folders under the instance folder that hold residents' files; never the keys.
STORED_ROOTS = ("evidence", "spool")


@dataclass(frozen=True)
class StoredFile:
    """One stored file: its key, size and when it was last written."""

    key: str
    size: int
    modified_at: dt.datetime


def stored_files(instance_dir: Path, root: str | None = None) -> Iterator[StoredFile]:
    """Yield every stored file under the evidence and spool folders (or one of them), in key order."""
    for top in (root,) if root else STORED_ROOTS:
        base = instance_dir / top
        if not base.is_dir():
            continue
        for path in sorted(p for p in base.rglob("*") if p.is_file()):
            try:
                stat = path.stat()
            except FileNotFoundError:  # drained or discarded while we looked
                continue
            yield StoredFile(
                key=path.relative_to(instance_dir).as_posix(),
                size=stat.st_size,
                modified_at=dt.datetime.fromtimestamp(stat.st_mtime, dt.timezone.utc),
            )


def _path(instance_dir: Path, key: str) -> Path:
    path = (instance_dir / key).resolve()
    roots = [(instance_dir / top).resolve() for top in STORED_ROOTS]
    if not any(path.is_relative_to(top) and path != top for top in roots) or ".." in Path(key).parts:
        raise ValueError(f"not a stored file's key: {key!r}")
    return path


def read_stored(instance_dir: Path, key: str) -> bytes | None:
    """Return a stored file's bytes as stored (encrypted), or None when it is gone."""
    try:
        return _path(instance_dir, key).read_bytes()
    except FileNotFoundError:
        return None


def write_stored(instance_dir: Path, key: str, data: bytes) -> None:
    """Write a stored file durably, private to Heard's user (0600, in 0700 folders)."""
    path = _path(instance_dir, key)
    make_private_dir(path.parent)
    tmp = path.with_name(f"{path.name}.restore{os.getpid()}")
    with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def remove_stored(instance_dir: Path, key: str) -> bool:
    """Delete a stored file; return whether it was there."""
    path = _path(instance_dir, key)
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True
