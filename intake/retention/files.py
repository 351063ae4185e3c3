"""The objects Heard keeps beside its database (evidence, recordings, the SMS spool), as retention and backup see them.

Every object retention or backup touches goes through these few functions, on the one
``Storage`` the service uses (files under the instance folder, or an S3 bucket), so both
work alike on either backend. Keys are the storage's, e.g. ``evidence/ab/ab12….bin`` or
``spool/sms/….msg``.
"""

from __future__ import annotations

from collections.abc import Iterator

from intake.storage import NotStored, Storage, StoredObject

# The folders of the storage that hold residents' files; the keys are never in storage.
STORED_ROOTS = ("evidence/", "spool/")


def stored_files(storage: Storage, root: str | None = None) -> Iterator[StoredObject]:
    """Yield every stored object under the evidence and spool folders (or one of them), in key order."""
    for top in (root,) if root else STORED_ROOTS:
        yield from storage.list(top)


def is_stored_key(key: object) -> bool:
    """Tell whether ``key`` names a resident's stored file: under evidence/ or spool/, no "..", "." or empty part."""
    if not isinstance(key, str) or not key.startswith(STORED_ROOTS) or key in STORED_ROOTS:
        return False
    parts = key.split("/")
    return "\\" not in key and "\x00" not in key and all(part not in ("", ".", "..") for part in parts)


def _check(key: str) -> str:
    if not is_stored_key(key):
        raise ValueError(f"not a stored file's key: {key!r}")
    return key


def read_stored(storage: Storage, key: str) -> bytes | None:
    """Return a stored object's bytes as stored (encrypted), or None when it is gone."""
    try:
        return storage.open(_check(key))
    except NotStored:
        return None


def write_stored(storage: Storage, key: str, data: bytes) -> None:
    """Store an object durably (on files: private to Heard's user, 0600 in 0700 folders)."""
    storage.put(_check(key), data)


def remove_stored(storage: Storage, key: str) -> None:
    """Delete a stored object (nothing when it is already gone)."""
    storage.delete(_check(key))
