"""Text to 5-bit Baudot codes and back, in the US TTY/TDD variant of ITA2.

The figures table is the one US TTYs (and minimodem's ``tdd`` mode) use, which differs from ITA2 in
a few places: J is the apostrophe, S the bell, Z the double quote, V the semicolon, H the hash.

Shift conventions, both as minimodem and TIA-825 TTYs behave:

* Unshift-on-space: a receiver returns to letters after a space. The encoder therefore sends FIGS
  again for figures after a space, and sends LTRS after a space only when it had been in figures
  (a receiver without unshift-on-space would otherwise still be in figures).
* Every transmission starts with a shift code, so a receiver that joined mid-call is in sync.
"""

from __future__ import annotations

import enum
import unicodedata
from collections.abc import Iterable

LTRS = 0x1F
FIGS = 0x1B
SPACE = 0x04
CR = 0x08
LF = 0x02
BELL = "\a"

# Indexed by code; "\0" marks NUL and the two shift codes, which carry no character.
_LETTERS = "\x00E\nA SIU\rDRJNFCKTZLWHYPQOBG\x00MXV\x00"
_FIGURES = "\x003\n- \a87\r$4',!:(5\")2#6019?&\x00./;\x00"

# Codes that mean the same in both shifts.
_SHARED = {" ": SPACE, "\r": CR, "\n": LF}
_LETTER_CODES = {ch: code for code, ch in enumerate(_LETTERS) if ch.isalpha()}
_FIGURE_CODES = {ch: code for code, ch in enumerate(_FIGURES) if ch != "\x00" and ch not in _SHARED}

#: What an unencodable character becomes. A visible mark tells the reader something was lost.
SUBSTITUTE = "?"

# NOTE: a few symbols are spelled out rather than lost, because people type them in addresses and
# amounts ("jo@example.org", "50%"); brackets and the like become their nearest Baudot relative.
_REPLACEMENTS = {
    "@": " AT ",
    "%": " PERCENT",
    "+": " PLUS ",
    "=": " EQUALS ",
    "[": "(",
    "{": "(",
    "<": "(",
    "]": ")",
    "}": ")",
    ">": ")",
    "_": "-",
    "~": "-",
    "\\": "/",
    "|": "/",
    "\u2044": "/",  # fraction slash, from the decomposition of "½"
    "`": "'",
    "\u00b4": "'",
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u2032": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u2033": '"',
    "\u00ab": '"',
    "\u00bb": '"',
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2013": "-",
    "\u2014": "-",
    "\u2212": "-",
    "\u00c6": "AE",
    "\u0152": "OE",
    "\u00d8": "O",
    "\u0141": "L",
    "\u0110": "D",
    "\u00de": "TH",
}


class Shift(enum.Enum):
    """Which of the two Baudot tables a code is read in."""

    LETTERS = "letters"
    FIGURES = "figures"


def _shift_of(ch: str) -> Shift | None:
    """Return the shift a character needs, or None when it reads the same in both."""
    if ch in _LETTER_CODES:
        return Shift.LETTERS
    if ch in _FIGURE_CODES:
        return Shift.FIGURES
    return None


def transliterate(text: str) -> str:
    """Return text as Baudot can carry it: uppercase, accents stripped, the rest replaced by '?'.

    Newlines of any style become "\\n"; tabs and other spaces become " "; control characters other
    than the bell are dropped. A run of unencodable characters (a word in a non-Latin script, an
    emoji) becomes a single "?" so the reader sees that something was lost without a wall of marks.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    decomposed = unicodedata.normalize("NFKD", text)
    out: list[str] = []
    for raw in decomposed:
        if unicodedata.combining(raw):
            continue
        upper = raw.upper()
        for ch in _REPLACEMENTS.get(upper, upper):
            category = unicodedata.category(ch)
            if ch == "\n" or ch == BELL or category in ("Zl", "Zp"):
                out.append("\n" if ch != BELL else BELL)
            elif ch == "\t" or category == "Zs":
                out.append(" ")
            elif category.startswith("C"):
                continue
            elif ch == " " or ch in _LETTER_CODES or ch in _FIGURE_CODES:
                out.append(ch)
            elif not out or out[-1] != SUBSTITUTE:
                out.append(SUBSTITUTE)
    return "".join(out)


class BaudotEncoder:
    """Turn text into Baudot codes, inserting shift codes only where a receiver needs them.

    The encoder remembers the shift across calls, so one transmission can be encoded in pieces;
    call ``reset()`` when a new transmission starts (the carrier was off) to send a sync shift again.
    """

    def __init__(self) -> None:
        """Start a transmission with no shift known, so the first code sent is a shift code."""
        self._states: frozenset[Shift] = frozenset()

    def reset(self) -> None:
        """Forget the shift: the next code sent will be a shift code."""
        self._states = frozenset()

    def encode(self, text: str) -> list[int]:
        """Return the codes for text, transliterated first."""
        text = transliterate(text)
        codes: list[int] = []
        if not text:
            return codes
        if not self._states:
            first = next((s for s in map(_shift_of, text) if s is not None), Shift.LETTERS)
            codes.append(LTRS if first is Shift.LETTERS else FIGS)
            self._states = frozenset({first})
        for ch in text:
            if ch == "\n":
                # A TTY needs both: CR returns the carriage, LF feeds the paper.
                codes += [CR, LF]
            elif ch == " ":
                codes.append(SPACE)
            else:
                shift = _shift_of(ch)
                assert shift is not None  # transliterate() leaves only encodable characters
                if self._states != {shift}:
                    codes.append(LTRS if shift is Shift.LETTERS else FIGS)
                    self._states = frozenset({shift})
                table = _LETTER_CODES if shift is Shift.LETTERS else _FIGURE_CODES
                codes.append(table[ch])
                continue
            # After a space or newline a receiver with unshift-on-space is in letters; one without
            # is still where it was. Both stay possible until the next shift code.
            self._states = self._states | {Shift.LETTERS}
        return codes


def encode(text: str) -> list[int]:
    """Return the Baudot codes of one transmission of text, starting with a sync shift."""
    return BaudotEncoder().encode(text)


class BaudotDecoder:
    """Turn Baudot codes back into text, one code at a time, keeping the shift between calls.

    CR, LF and CR LF each become one "\\n"; NUL and the shift codes produce nothing.
    """

    def __init__(self, *, unshift_on_space: bool = True) -> None:
        """Start in letters, as a TTY does when its carrier comes up."""
        self.shift = Shift.LETTERS
        self.unshift_on_space = unshift_on_space
        self._after_cr = False

    def push(self, code: int) -> str:
        """Return the text one code adds (often "" for shift codes), updating the shift."""
        code &= 0x1F
        if code == LTRS:
            self.shift = Shift.LETTERS
            return ""
        if code == FIGS:
            self.shift = Shift.FIGURES
            return ""
        if code == 0:
            return ""
        after_cr, self._after_cr = self._after_cr, code == CR
        if code == CR:
            return "\n"
        if code == LF:
            return "" if after_cr else "\n"
        if code == SPACE and self.unshift_on_space:
            self.shift = Shift.LETTERS
        return (_LETTERS if self.shift is Shift.LETTERS else _FIGURES)[code]

    def decode(self, codes: Iterable[int]) -> str:
        """Return the text of a sequence of codes."""
        return "".join(self.push(code) for code in codes)


def decode(codes: Iterable[int]) -> str:
    """Return the text of one transmission's codes, starting in letters."""
    return BaudotDecoder().decode(codes)
