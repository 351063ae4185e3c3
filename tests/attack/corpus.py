"""What an outsider sends to break a web service: one shared list of bad inputs.

Each value is either text (which may hold lone surrogates: it is sent in the one way each
transport allows) or raw bytes (which may be invalid UTF-8). Tests send them as query values,
form values, JSON values, path segments and whole bodies, and fail on any 5xx.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import quote_from_bytes

DEEP = 100_000


def _digit_scripts() -> dict[str, str]:
    """Every Unicode script's decimal digits, six of each (as a TOTP code or a PIN would be typed)."""
    found: dict[str, str] = {}
    for code in range(0x110000):
        char = chr(code)
        if unicodedata.category(char) == "Nd" and unicodedata.decimal(char, -1) == 0:
            digits = "".join(chr(code + i) for i in (1, 2, 3, 4, 5, 6))
            found[f"digits-{unicodedata.name(char, hex(code)).split(' DIGIT')[0].lower().replace(' ', '-')}"] = digits
    return found


DIGIT_SCRIPTS = _digit_scripts()

# Digits that are not decimal digits but that int() or str.isdigit() may still take.
ODD_DIGITS = {
    "superscript": "²",
    "superscripts": "¹²³",
    "circled": "①②③",
    "subscript": "₁₂",
    "roman-numeral": "Ⅻ",
    "vulgar-fraction": "½",
    "kharosthi": "𐩀𐩁",
    "mixed-scripts": "1١१១๑",
}

SOME_SCRIPTS = {"khmer", "lao", "gurmukhi", "fullwidth", "arabic-indic", "devanagari", "mathematical-bold", "thai"}

TEXT: dict[str, str] = {
    "empty": "",
    "space": " ",
    "huge": "A" * 100_000,
    "huge-multibyte": "ខ្មែរ" * 10_000,
    "nul": "12\x00<script>",
    "control": "".join(chr(c) for c in range(1, 32)) + "\x7f\x85\u2028\u2029\u202e\ufeff",
    "crlf": "/x\r\nSet-Cookie: heard=1\r\n\r\n",
    "lone-surrogate": "a\ud800b",
    "low-surrogate": "\udfff",
    "noncharacter": "\uffff\U0010ffff",
    "zero": "0",
    "negative": "-1",
    "23-digits": "12345678901234567890123",
    "huge-negative": "-99999999999999999999999",
    "float": "1.5",
    "exponent": "1e999",
    "nan": "nan",
    "inf": "inf",
    "hex": "0x10",
    "underscored": "1_000",
    "padded": " 7 ",
    "plus": "+7",
    "out-of-range-datetime": "0001-01-01T00:00:00+14:00",
    "end-of-time": "9999-12-31T23:59:59-14:00",
    "bad-date": "2024-13-45",
    "zero-date": "0000-00-00",
    "date-23-digit-year": "12345678901234567890123-01-01",
    "leap": "2023-02-29T25:61:61",
    "path-traversal": "../../../etc/passwd",
    "url": "https://evil.example/",
    "protocol-relative": "//evil.example/%2e%2e",
    "backslash": "\\\\evil.example",
    "javascript": "javascript:alert(1)",
    "html": "<img src=x onerror=alert(1)>",
    "format-string": "{0}{name}%s%(x)s",
    "sql": "' OR 1=1; --",
    "json-like": '{"a": [1, 2]}',
    "emoji": "\U0001f600" * 10,
    "rtl": "\u202eevil",
    **ODD_DIGITS,
    # A few scripts alone (the office's languages and the widest); every script at once below.
    **{name: DIGIT_SCRIPTS[name] for name in DIGIT_SCRIPTS if name.split("-", 1)[1] in SOME_SCRIPTS},
    "digits-every-script": "".join(DIGIT_SCRIPTS.values()),
    "digits-every-script-one-each": "".join(digits[0] for digits in DIGIT_SCRIPTS.values()),
}

BYTES: dict[str, bytes] = {
    "invalid-utf8": b"\xff\xfe\xc3\x28\x80",
    "binary": bytes(range(256)),
    "cesu-surrogate": b"\xed\xa0\x80",
    "overlong-slash": b"\xc0\xaf",
}

# Whole bodies, each sent as JSON, as a form and as plain bytes.
BODIES: dict[str, bytes] = {
    "empty": b"",
    "deep-json-list": b"[" * DEEP + b"]" * DEEP,
    "deep-json-object": b'{"a":' * DEEP + b"1" + b"}" * DEEP,
    "json-lone-surrogate": b'{"text": "\\ud800", "id": "\\udc00", "lang": "\\ud800"}',
    "json-not-object": b'["text"]',
    "json-null": b"null",
    "json-huge-number": b'{"text": 1e999999, "id": 123456789012345678901234567890}',
    "json-nan": b'{"text": NaN}',
    "json-nested-values": b'{"text": {"a": 1}, "id": [1], "lang": ["es"], "after": {"x": 1}}',
    "json-duplicate-keys": b'{"text": "a", "text": "b"}',
    "invalid-utf8": b"\xff\xfe\xfd",
    "binary": bytes(range(256)) * 4,
    "nul": b"\x00" * 1024,
    "form-deep-keys": b"&".join(b"a%5B" * 50 + b"%5D" * 50 + b"=1" for _ in range(50)),
    "form-many-fields": b"&".join(b"f%d=1" % i for i in range(5_000)),
}


def encode(value: str | bytes) -> bytes:
    """Return the bytes that stand for a value on the wire; lone surrogates go as CESU-8 bytes."""
    if isinstance(value, bytes):
        return value
    return value.encode("utf-8", "surrogatepass")


def percent(value: str | bytes) -> str:
    """Percent-encode a value for a query string, form body or path segment."""
    return quote_from_bytes(encode(value), safe="")


def all_values() -> dict[str, str | bytes]:
    """Every text and byte value of the corpus, by name."""
    return {**TEXT, **{f"bytes-{name}": value for name, value in BYTES.items()}}
