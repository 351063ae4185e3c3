"""How long a text is as carriers count it (GSM-7 or UCS-2 segments), and splitting a reply into texts that fit."""

from __future__ import annotations

import itertools
import re

# Twilio concatenates at most ten segments; it refuses bodies over 1,600 characters.
MAX_REPLY_CHARS = 1600


# NOTE: carriers may split or drop long concatenated texts, so every text Heard sends fits four
# segments; a longer reply goes as several texts, in order, split between sentences (issue 15).
MAX_SEGMENTS = 4


# The GSM 03.38 default alphabet and its extension table (each extension costs two septets).
_GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)


_GSM_EXTENDED = set("^{}\\[~]|€\f")


# A sentence ends at its full stop and the spaces after it; CJK full stops need no space.
_SENTENCE_END = re.compile(r"[.!?។៕।॥]+\s+|[。！？]+\s*|\n\s*")


def is_gsm7(text: str) -> bool:
    """Tell whether ``text`` fits the GSM 7-bit alphabet (else the whole message goes as UCS-2)."""
    return all(c in _GSM_BASIC or c in _GSM_EXTENDED for c in text)


def segment_count(text: str) -> int:
    """Count the SMS segments ``text`` takes: 160/153 septets in GSM-7, 70/67 UTF-16 units in UCS-2.

    As carriers do, an extension character (two septets) or a surrogate pair (two units, an
    emoji) is never split across two segments.
    """
    if is_gsm7(text):
        sizes, single, multi = [2 if c in _GSM_EXTENDED else 1 for c in text], 160, 153
    else:
        sizes, single, multi = [len(c.encode("utf-16-le")) // 2 for c in text], 70, 67
    if sum(sizes) <= single:
        return 1
    segments, used = 1, 0
    for size in sizes:
        if used + size > multi:
            segments, used = segments + 1, 0
        used += size
    return segments


def _pieces(text: str) -> list[str]:
    """Break text after each sentence's end, keeping its own spacing, so the pieces join back exactly."""
    cuts = [m.end() for m in _SENTENCE_END.finditer(text)]
    bounds = [0, *[c for c in cuts if 0 < c < len(text)], len(text)]
    return [text[a:b] for a, b in itertools.pairwise(bounds) if b > a]


def _fits(text: str, limit: int, max_segments: int) -> bool:
    text = text.strip()
    return len(text) <= limit and segment_count(text) <= max_segments


def _longest_start(text: str, limit: int, max_segments: int) -> int:
    """Where to cut a sentence too long for one text: the last space of the longest start that fits."""
    low, high = 1, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        low, high = (middle, high) if _fits(text[:middle], limit, max_segments) else (low, middle - 1)
    space = text.rfind(" ", 0, low + 1)
    return space if space > low // 2 else low


def split_reply(text: str, limit: int = MAX_REPLY_CHARS, max_segments: int = MAX_SEGMENTS) -> list[str]:
    """Split a reply into texts of at most ``limit`` characters and ``max_segments`` segments, between sentences."""
    text = text.strip()
    if _fits(text, limit, max_segments):
        return [text] if text else []
    parts: list[str] = []
    current = ""
    for piece in _pieces(text):
        if _fits(current + piece, limit, max_segments):
            current += piece
            continue
        if current.strip():
            parts.append(current.strip())
        current = piece.lstrip()
        while not _fits(current, limit, max_segments):  # one sentence longer than a text: break at a space
            cut = _longest_start(current, limit, max_segments)
            parts.append(current[:cut].strip())
            current = current[cut:].lstrip()
    if current.strip():
        parts.append(current.strip())
    return parts
