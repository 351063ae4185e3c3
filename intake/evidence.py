"""Evidence files (photos, video, audio, documents): checked, encrypted at rest, addressed by SHA-256."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from intake.crypto import Keyring
from intake.storage import NotStored, Storage

# What residents may send, by the type the bytes themselves show.
ALLOWED_TYPES = frozenset(
    {
        "image/jpeg",
        "image/png",
        "image/gif",
        "image/webp",
        "image/heic",
        "image/heif",
        "video/mp4",
        "video/3gpp",
        "video/quicktime",
        "audio/mpeg",
        "audio/mp4",
        "audio/ogg",
        "audio/amr",
        "audio/wav",
        "audio/x-wav",
        "audio/3gpp",
        "application/pdf",
    }
)
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
_EVIDENCE_KEY = re.compile(r"evidence/[0-9a-f]{2}/[0-9a-f]{64}\.bin")
# Images a browser can show safely inline, recognised by their bytes (never by what the sender declared).
INLINE_IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
# How residents know each allowed type, for the pages that tell them what they may send.
FORMAT_NAMES = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/gif": "GIF",
    "image/webp": "WebP",
    "image/heic": "HEIC",
    "image/heif": "HEIF",
    "video/mp4": "MP4",
    "video/quicktime": "MOV",
    "video/3gpp": "3GP",
    "audio/mpeg": "MP3",
    "audio/mp4": "M4A",
    "audio/ogg": "OGG",
    "audio/amr": "AMR",
    "audio/wav": "WAV",
    "audio/x-wav": "WAV",
    "audio/3gpp": "3GP",
    "application/pdf": "PDF",
}


class EvidenceRejected(ValueError):
    """The file is not something Heard accepts; ``reason`` says why in a word: type, size or empty."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


@dataclass(frozen=True)
class StoredEvidence:
    """Where a file went and the receipt that proves which file it was."""

    sha256: str
    size_bytes: int
    content_type: str
    storage_key: str


def format_names() -> list[str]:
    """Return the short names of the allowed formats (JPEG, MP4, PDF...), each once, in a stable order."""
    return list(dict.fromkeys(FORMAT_NAMES[kind] for kind in FORMAT_NAMES if kind in ALLOWED_TYPES))


def sniff_type(data: bytes) -> str | None:
    """Return the media type the leading bytes show, for the formats residents send most."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "audio/wav"
    if data[4:8] == b"ftyp":
        brand = data[8:12]
        if brand in (b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1"):
            return "image/heic"
        if brand == b"heif":
            return "image/heif"
        if brand.startswith(b"3g"):
            return "video/3gpp"
        if brand == b"qt  ":
            return "video/quicktime"
        if brand in (b"M4A ", b"M4B "):
            return "audio/mp4"
        return "video/mp4"
    if data.startswith(b"OggS"):
        return "audio/ogg"
    if data.startswith(b"#!AMR"):
        return "audio/amr"
    # An MP3 starts with its ID3 tag or straight with a frame: eleven set bits of sync, then
    # a layer that is not "reserved".
    if data.startswith(b"ID3") or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0 and data[1] & 0x06):
        return "audio/mpeg"
    return None


def inline_image_type(data: bytes) -> str | None:
    """Return the image type the bytes show, if a browser may show it inline; None for anything else."""
    sniffed = sniff_type(data)
    return sniffed if sniffed in INLINE_IMAGE_TYPES else None


def check(data: bytes, declared_type: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """Return the file's real type, or raise EvidenceRejected when it is empty, too big or not allowed."""
    if not data:
        raise EvidenceRejected("empty", "the file is empty")
    if len(data) > max_bytes:
        raise EvidenceRejected("size", f"the file is {len(data)} bytes; the limit is {max_bytes}")
    # NOTE: only the bytes decide; what the sender declared is never trusted, so an HTML page
    # sent as "image/jpeg" is refused rather than stored and later served to staff.
    sniffed = sniff_type(data)
    if sniffed not in ALLOWED_TYPES:
        declared = declared_type.split(";")[0].strip().lower() or "unknown"
        raise EvidenceRejected("type", f"the file's bytes are not an accepted format (declared {declared})")
    return sniffed


def store(storage: Storage, keyring: Keyring, data: bytes, content_type: str) -> StoredEvidence:
    """Encrypt and store a file; the same bytes are stored once."""
    sha256 = hashlib.sha256(data).hexdigest()
    key = f"evidence/{sha256[:2]}/{sha256}.bin"
    if not storage.exists(key):
        storage.put(key, keyring.encrypt_bytes(data))
    return StoredEvidence(sha256=sha256, size_bytes=len(data), content_type=content_type, storage_key=key)


def load(storage: Storage, keyring: Keyring, storage_key: str) -> bytes:
    """Return a stored file's bytes, decrypted (``NotStored``, an OSError, when it is gone)."""
    if not storage_key:  # the retention schedule removed the file and emptied its key
        raise NotStored("this file was removed on schedule")
    return keyring.decrypt_bytes(storage.open(storage_key))


def discard(storage: Storage, storage_key: str) -> None:
    """Delete a stored file the resident took back before filing (nothing when it is already gone)."""
    if not _EVIDENCE_KEY.fullmatch(storage_key):
        raise ValueError(f"not an evidence key: {storage_key!r}")
    storage.delete(storage_key)
