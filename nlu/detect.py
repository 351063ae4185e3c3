"""Tell which of Heard's nine languages a message is written in, offline.

The script decides Khmer, Lao, Gurmukhi (Punjabi) and Han (Chinese) at once.
Latin-script messages (English, Spanish, Tagalog, Vietnamese, Hmong) are scored
by a character-trigram model built from Heard's own NLU training data in this
folder, so nothing is downloaded and the model is exactly as good as that data.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections import Counter
from pathlib import Path

import yaml

from nlu.languages import CODES, LATIN_CODES

LANGUAGES = CODES
LATIN_LANGUAGES = LATIN_CODES
NLU_DIR = Path(__file__).resolve().parent

_SCRIPTS = (
    ("km", 0x1780, 0x17FF),
    ("lo", 0x0E80, 0x0EFF),
    ("pa", 0x0A00, 0x0A7F),
    ("zh", 0x4E00, 0x9FFF),
    ("zh", 0x3400, 0x4DBF),
    ("zh", 0xF900, 0xFAFF),
)
# Letters that only Vietnamese uses among Heard's Latin-script languages.
_VIETNAMESE_LETTERS = set("ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ")


def script_language(text: str) -> str | None:
    """Return the language a non-Latin script gives away, or None."""
    counts: Counter[str] = Counter()
    for char in text:
        code = ord(char)
        for language, low, high in _SCRIPTS:
            if low <= code <= high:
                counts[language] += 1
                break
    if not counts:
        return None
    return counts.most_common(1)[0][0]


def _normalize(text: str) -> str:
    return " " + re.sub(r"[^\w']+", " ", text.lower()).strip() + " "


def _trigrams(text: str) -> list[str]:
    padded = _normalize(text)
    return [padded[i : i + 3] for i in range(len(padded) - 2)]


@functools.cache
def _model() -> dict[str, tuple[Counter[str], int]]:
    """Count trigrams per Latin-script language from nlu/<lang>.yml (built once, on first use)."""
    model: dict[str, tuple[Counter[str], int]] = {}
    for language in LATIN_LANGUAGES:
        path = NLU_DIR / f"{language}.yml"
        counts: Counter[str] = Counter()
        if path.exists():
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            for block in data.get("nlu", []):
                for line in str(block.get("examples", "")).splitlines():
                    example = line.strip().removeprefix("- ").strip()
                    counts.update(_trigrams(example))
        model[language] = (counts, sum(counts.values()))
    return model


def latin_scores(text: str) -> dict[str, float]:
    """Return the log-likelihood of ``text`` under each Latin-script language."""
    grams = _trigrams(text)
    model = _model()
    vocabulary = len(set().union(*(counts for counts, _ in model.values()))) or 1
    scores = {}
    for language, (counts, total) in model.items():
        scores[language] = sum(math.log((counts[g] + 0.5) / (total + 0.5 * vocabulary)) for g in grams)
    return scores


def detect_language(text: str, default: str | None = None) -> str | None:
    """Return the most likely language of ``text``, or ``default`` when it is too short to tell."""
    by_script = script_language(text)
    if by_script:
        return by_script
    folded = unicodedata.normalize("NFC", text.lower())
    if any(char in _VIETNAMESE_LETTERS for char in folded):
        return "vi"
    letters = sum(char.isalpha() for char in text)
    if letters < 4:
        return default
    scores = latin_scores(text)
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
    best, runner_up = ranked[0], ranked[1]
    # NOTE: demand a clear margin per trigram; a near tie keeps the default (or asks).
    if letters < 12 and (best[1] - runner_up[1]) < 2.0:
        return default
    return best[0]


@functools.cache
def _hanzi_variants() -> tuple[frozenset[str], frozenset[str]]:
    lines = (NLU_DIR / "hanzi_variants.txt").read_text(encoding="utf-8").splitlines()
    simplified, traditional = (line for line in lines if not line.startswith("#"))
    return frozenset(simplified), frozenset(traditional)


def chinese_script(text: str) -> str | None:
    """Return "Hant" when Chinese text is written in Traditional characters, "Hans" for Simplified.

    Most characters are the same in both; only those written one way alone count, so
    "你好" says nothing and "謝謝" says Traditional. None when nothing tells them apart.
    """
    simplified, traditional = _hanzi_variants()
    hans = sum(c in simplified for c in text)
    hant = sum(c in traditional for c in text)
    if hans == hant:
        return None
    return "Hant" if hant > hans else "Hans"
