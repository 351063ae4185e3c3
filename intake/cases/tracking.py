"""Tracking numbers a person can read over the phone and type on any keypad, and PINs.

A tracking number is nine random digits and a Damm check digit: the check
catches every single-digit error and every adjacent transposition. It is shown
grouped ``482-193-7703`` and parsed from any decimal digits a phone can type
(Khmer, Lao, Gurmukhi, full-width…), ignoring spaces and dashes.
"""

from __future__ import annotations

import secrets
import unicodedata

TRACKING_DIGITS = 10
PIN_DIGITS = 6

# The Damm quasigroup of order 10 (totally anti-symmetric, zero diagonal).
_DAMM = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)


def damm_check_digit(digits: str) -> str:
    """Return the Damm check digit for a string of ASCII digits."""
    interim = 0
    for char in digits:
        interim = _DAMM[interim][int(char)]
    return str(interim)


def is_valid(number: str) -> bool:
    """Tell whether ``number`` (ASCII digits, check digit last) passes the Damm check."""
    return number.isascii() and number.isdigit() and damm_check_digit(number) == "0"


def new_tracking_number() -> str:
    """Return a fresh random tracking number: nine random digits and the check digit."""
    body = "".join(secrets.choice("0123456789") for _ in range(TRACKING_DIGITS - 1))
    return body + damm_check_digit(body)


def format_tracking_number(number: str) -> str:
    """Group a tracking number for reading aloud: ``482-193-7703``."""
    return f"{number[:3]}-{number[3:6]}-{number[6:]}"


def normalize_digits(text: str) -> str | None:
    """Map any Unicode decimal digits to ASCII, dropping spaces, dashes and dots.

    Returns None when anything else is in the text.
    """
    out = []
    for char in text:
        if char in " -.\u00a0\u2010\u2011\u2012\u2013\u2014\u2212\u30fc\uff0d":
            continue
        value = unicodedata.decimal(char, None)
        if value is None:
            return None
        out.append(str(value))
    return "".join(out)


def parse_tracking_number(text: str) -> str | None:
    """Return the canonical tracking number typed in ``text``, or None if it is not one."""
    digits = normalize_digits(text.strip())
    if digits is None or len(digits) != TRACKING_DIGITS or not is_valid(digits):
        return None
    return digits


def new_pin() -> str:
    """Return a fresh random PIN, given only to the filer."""
    return "".join(secrets.choice("0123456789") for _ in range(PIN_DIGITS))
