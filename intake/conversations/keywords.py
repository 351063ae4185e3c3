"""The words that opt a resident out, back in, or ask for help: the carriers' English keywords and their
localized twins."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# The keywords carriers and Twilio treat as opt-out, opt-in and help (whole message only).
STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"})


# NOTE: Twilio also reads YES as opt-in; here "yes" answers the dialogue's questions.
START_WORDS = frozenset({"START", "UNSTOP"})


HELP_WORDS = frozenset({"HELP", "INFO"})


# The same keywords in the other eight languages. Twilio answers the English ones itself,
# so Heard confirms only these; every entry is a whole message, never a dialogue answer.
# NOTE: no opt-out word may be a common name or a word the dialogue asks for (tests/test_keywords.py):
# Vietnamese "DUNG" was also the name Dũng and the answer "đúng", and "TSO TSEG" the Hmong for
# giving up a report. Mid-question, the channel asks before a localized word opts anyone out.
LOCALIZED_KEYWORDS: dict[str, dict[str, frozenset[str]]] = {
    "stop": {
        "es": frozenset({"ALTO", "PARAR", "BAJA", "DETENER"}),
        "tl": frozenset({"TIGIL", "IHINTO", "HINTO"}),
        "vi": frozenset({"NGUNG", "HUY DANG KY"}),
        "zh": frozenset({"停止", "退订", "退訂", "取消订阅", "取消訂閱"}),
        "km": frozenset({"ឈប់"}),
        "hmn": frozenset({"NRES"}),
        "lo": frozenset({"ຢຸດ"}),
        "pa": frozenset({"ਬੰਦ", "ਰੋਕੋ", "ਬੰਦ ਕਰੋ"}),
    },
    "start": {
        "es": frozenset({"INICIAR", "REANUDAR"}),
        "tl": frozenset({"SIMULA", "UMPISA"}),
        "vi": frozenset({"BAT DAU"}),
        "zh": frozenset({"开始", "開始", "订阅", "訂閱"}),
        "km": frozenset({"ចាប់ផ្តើម", "ចាប់ផ្ដើម"}),
        "hmn": frozenset({"PIB"}),
        "lo": frozenset({"ເລີ່ມ"}),
        "pa": frozenset({"ਸ਼ੁਰੂ", "ਸ਼ੁਰੂ ਕਰੋ"}),
    },
    "help": {
        "es": frozenset({"AYUDA"}),
        "tl": frozenset({"TULONG"}),
        "vi": frozenset({"GIUP", "TRO GIUP", "GIUP DO"}),
        "zh": frozenset({"帮助", "幫助", "求助"}),
        "km": frozenset({"ជំនួយ"}),
        "hmn": frozenset({"PAB", "KEV PAB"}),
        "lo": frozenset({"ຊ່ວຍ", "ຊ່ວຍເຫຼືອ"}),
        "pa": frozenset({"ਮਦਦ", "ਸਹਾਇਤਾ"}),
    },
}


ENGLISH_KEYWORDS = {"stop": STOP_WORDS, "start": START_WORDS, "help": HELP_WORDS}


@dataclass(frozen=True)
class Keyword:
    """A whole-message keyword: what it asks for, and the language it was written in."""

    action: str  # "stop", "start" or "help"
    language: str | None  # None for the English keywords that Twilio itself answers
    word: str


def _fold(text: str) -> str:
    """Uppercase, strip accents and punctuation at the ends, collapse spaces."""
    decomposed = unicodedata.normalize("NFKD", text.strip())
    # NOTE: keep combining marks for Khmer, Lao and Gurmukhi, where they are letters' parts.
    stripped = "".join(
        c for c in decomposed if not (unicodedata.combining(c) and unicodedata.name(c, "").startswith("COMBINING"))
    )
    stripped = unicodedata.normalize("NFC", stripped).replace("Đ", "D").replace("đ", "d")
    stripped = stripped.strip(" \t\r\n.!?¡¿,;:'\"。！？")
    return re.sub(r"\s+", " ", stripped).upper()


def classify_keyword(body: str) -> Keyword | None:
    """Return the opt-out, opt-in or help keyword that ``body`` consists of, if it is one."""
    if len(body) > 40:
        return None
    word = _fold(body)
    if not word:
        return None
    for action, words in ENGLISH_KEYWORDS.items():
        if word in words:
            return Keyword(action=action, language=None, word=word)
    for action, by_language in LOCALIZED_KEYWORDS.items():
        for language, words in by_language.items():
            if word in {_fold(w) for w in words}:
                return Keyword(action=action, language=language, word=word)
    return None
