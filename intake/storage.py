"""Where Heard keeps files: evidence, call recordings and the SMS spool, on one interface.

Two backends with the same four verbs (``put``, ``open``, ``list``, ``delete``, plus ``exists``):

- ``FolderStorage``: folders under the instance folder (the default), directories 0700 and
  files 0600, each write atomic and fsynced;
- ``S3Storage``: an S3-compatible bucket (``HEARD_STORAGE_URL=s3://bucket/prefix``), for
  several machines; the endpoint is ``HEARD_S3_ENDPOINT_URL`` or whatever boto3 reads
  from the standard AWS settings (``AWS_ENDPOINT_URL``, ``AWS_ACCESS_KEY_ID``...).

NOTE: callers hand this module bytes that are already sealed with Heard's own keys
(``Keyring.encrypt_bytes``), so a bucket, its operator or a leaked bucket policy holds
only ciphertext; the provider's own server-side encryption is neither needed nor trusted.

Keys are relative, slash-separated names (``evidence/ab/ab12….bin``); a key with an
empty, ``.`` or ``..`` segment, a backslash or a leading dot is refused everywhere.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from intake.errors import ConfigurationError
from intake.private import FILE_MODE, make_private_dir

_SEGMENT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,199}")
# What ``FolderStorage.put`` writes before the rename: ``.<name>.tmp<pid>``.
_PARTIAL = re.compile(r"\.[A-Za-z0-9_][A-Za-z0-9._-]{0,199}\.tmp[0-9]+")


class StorageError(OSError):
    """The storage could not do what was asked (an unreachable bucket, a refused write)."""


class NotStored(FileNotFoundError):
    """No object is stored under this key."""


@dataclass(frozen=True)
class StoredObject:
    """One stored object as ``Storage.list`` finds it."""

    key: str
    size: int
    modified: dt.datetime


class Storage(Protocol):
    """What every backend does; keys are relative names such as ``spool/sms/ab12.msg``."""

    def put(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key`` durably, replacing what was there whole (never half-written)."""

    def open(self, key: str) -> bytes:
        """Return the bytes stored under ``key``; raise ``NotStored`` when there are none."""

    def exists(self, key: str) -> bool:
        """Tell whether something is stored under ``key``."""

    def list(self, prefix: str) -> Iterator[StoredObject]:
        """Yield every object whose key starts with the folder ``prefix`` (e.g. ``evidence/``), by key."""

    def delete(self, key: str) -> None:
        """Forget ``key`` (nothing when it is already gone)."""

    def describe(self) -> str:
        """Say where objects go, for the operator (no credentials)."""


def check_key(key: str) -> str:
    """Return ``key`` if it is a safe relative name, or raise ValueError."""
    segments = key.split("/")
    if not key or len(key) > 900 or not all(_SEGMENT.fullmatch(s) for s in segments):
        raise ValueError(f"not a storage key: {key!r}")
    return key


def _check_prefix(prefix: str) -> str:
    if prefix and not prefix.endswith("/"):
        raise ValueError(f"a prefix names a folder and ends with '/': {prefix!r}")
    if prefix:
        check_key(prefix[:-1])
    return prefix


class FolderStorage:
    """Objects as private files under a folder (the instance folder by default)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        make_private_dir(path.parent)
        # NOTE: a leading dot keeps a half-written file out of ``list`` (keys never start with one).
        tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
        with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE), "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)  # atomic: readers see the old object or the new one

    def open(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError as exc:
            raise NotStored(f"nothing stored under {key!r}") from exc

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def list(self, prefix: str) -> Iterator[StoredObject]:
        folder = self.root / _check_prefix(prefix) if prefix else self.root
        if not folder.is_dir():
            return
        for path in sorted(folder.rglob("*")):
            relative = path.relative_to(self.root).as_posix()
            if path.name.startswith(".") or not path.is_file():
                continue
            try:
                check_key(relative)
                info = path.stat()
            except (ValueError, FileNotFoundError):  # not ours, or taken meanwhile
                continue
            yield StoredObject(
                key=relative, size=info.st_size, modified=dt.datetime.fromtimestamp(info.st_mtime, dt.UTC)
            )

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def unfinished_writes(self, prefix: str, older_than: dt.datetime) -> tuple[Path, ...]:
        """Half-written files a crash left under ``prefix`` (never listed as objects), last written before then."""
        folder = self.root / _check_prefix(prefix)
        if not folder.is_dir():
            return ()
        found: tuple[Path, ...] = ()
        for path in sorted(folder.rglob(".*")):
            if not _PARTIAL.fullmatch(path.name) or path.is_symlink() or not path.is_file():
                continue
            try:
                written = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)
            except FileNotFoundError:  # renamed meanwhile: the write finished
                continue
            if written < older_than:
                found += (path,)
        return found

    def describe(self) -> str:
        return f"files under {self.root}"


class S3Storage:
    """Objects in an S3-compatible bucket, under an optional prefix."""

    def __init__(self, *, bucket: str, prefix: str = "", client: Any) -> None:
        self.bucket = bucket
        self.prefix = _check_prefix(prefix)
        self.client = client

    def _name(self, key: str) -> str:
        return self.prefix + check_key(key)

    def _missing(self, exc: Exception) -> bool:
        error = getattr(exc, "response", {}).get("Error", {})
        return str(error.get("Code")) in ("NoSuchKey", "404", "NotFound")

    def put(self, key: str, data: bytes) -> None:
        name = self._name(key)
        try:
            self.client.put_object(Bucket=self.bucket, Key=name, Body=data)
        except Exception as exc:  # botocore's errors share no base class with OSError
            raise StorageError(f"cannot store {key!r} in bucket {self.bucket!r}: {exc}") from exc

    def open(self, key: str) -> bytes:
        name = self._name(key)
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=name)
            return bytes(answer["Body"].read())
        except Exception as exc:
            if self._missing(exc):
                raise NotStored(f"nothing stored under {key!r}") from exc
            raise StorageError(f"cannot read {key!r} from bucket {self.bucket!r}: {exc}") from exc

    def exists(self, key: str) -> bool:
        name = self._name(key)
        try:
            self.client.head_object(Bucket=self.bucket, Key=name)
        except Exception as exc:
            if self._missing(exc):
                return False
            raise StorageError(f"cannot look up {key!r} in bucket {self.bucket!r}: {exc}") from exc
        return True

    def list(self, prefix: str) -> Iterator[StoredObject]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix + _check_prefix(prefix)
        )
        try:
            for page in pages:  # NOTE: a page at a time (1,000 keys), so a large bucket is never held whole
                found = [self._object(item) for item in page.get("Contents", ())]
                yield from (item for item in found if item.key)
        except Exception as exc:  # botocore's errors share no base class with OSError
            raise StorageError(f"cannot list bucket {self.bucket!r}: {exc}") from exc

    def _object(self, item: dict[str, Any]) -> StoredObject:
        key = str(item["Key"])[len(self.prefix) :]
        try:
            check_key(key)
        except ValueError:  # not written by Heard: left alone
            key = ""
        return StoredObject(key=key, size=int(item["Size"]), modified=item["LastModified"])

    def delete(self, key: str) -> None:
        name = self._name(key)
        try:
            self.client.delete_object(Bucket=self.bucket, Key=name)
        except Exception as exc:
            raise StorageError(f"cannot delete {key!r} from bucket {self.bucket!r}: {exc}") from exc

    def describe(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"


def from_settings(url: str | None, *, instance_dir: Path, environ: Mapping[str, str] | None = None) -> Storage:
    """Return the storage ``HEARD_STORAGE_URL`` names: files under ``instance_dir`` when unset."""
    if not url:
        return FolderStorage(instance_dir)
    parts = urlsplit(url)
    if parts.scheme == "file":
        return FolderStorage(Path(parts.path).resolve())
    if parts.scheme != "s3" or not parts.netloc or parts.query or parts.fragment:
        raise ConfigurationError(f"HEARD_STORAGE_URL must be s3://bucket/prefix or file:///path, not {url!r}")
    prefix = parts.path.strip("/")
    try:
        prefix = _check_prefix(f"{prefix}/" if prefix else "")
    except ValueError as exc:
        raise ConfigurationError(f"HEARD_STORAGE_URL has an unusable prefix: {url!r}") from exc
    env = os.environ if environ is None else environ
    import boto3  # NOTE: here, not at import time: a filesystem deployment never loads it

    client = boto3.session.Session().client("s3", endpoint_url=env.get("HEARD_S3_ENDPOINT_URL") or None)
    return S3Storage(bucket=parts.netloc, prefix=prefix, client=client)
