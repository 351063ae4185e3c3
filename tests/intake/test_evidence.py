"""Evidence is accepted by what its bytes are, never by what the sender says it is."""

from __future__ import annotations

import pytest

from intake import evidence

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
MP3_FRAME = b"\xff\xfb\x90\x64" + b"\x00" * 32
MP3_MPEG2 = b"\xff\xf3\x40\xc4" + b"\x00" * 32
HEIF = b"\x00\x00\x00\x18ftypheif" + b"\x00" * 32
HTML = b"<!doctype html><script>alert(1)</script>"


@pytest.mark.parametrize(
    ("data", "declared", "expected"),
    [
        (JPEG, "image/jpeg", "image/jpeg"),
        (PNG, "image/jpeg", "image/png"),  # the bytes win over the declaration
        (PNG, "application/octet-stream", "image/png"),
        (MP3_FRAME, "audio/mpeg", "audio/mpeg"),
        (MP3_MPEG2, "", "audio/mpeg"),
        (HEIF, "image/heif", "image/heif"),
        (b"%PDF-1.7\n" + b"\x00" * 16, "application/pdf", "application/pdf"),
    ],
)
def test_a_file_is_taken_as_what_its_bytes_are(data, declared, expected):
    assert evidence.check(data, declared) == expected


@pytest.mark.parametrize("declared", ["image/jpeg", "application/pdf", "audio/wav", "text/html", ""])
def test_bytes_no_accepted_format_starts_with_are_refused_whatever_is_declared(declared):
    with pytest.raises(evidence.EvidenceRejected) as refused:
        evidence.check(HTML, declared)
    assert refused.value.reason == "type"


def test_empty_and_oversized_files_are_refused_first():
    with pytest.raises(evidence.EvidenceRejected) as empty:
        evidence.check(b"", "image/jpeg")
    with pytest.raises(evidence.EvidenceRejected) as big:
        evidence.check(JPEG + b"\x00" * 100, "image/jpeg", max_bytes=50)
    assert (empty.value.reason, big.value.reason) == ("empty", "size")
