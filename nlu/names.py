"""Take a resident's name out of the words around it: "my name is Ana Ruiz" is Ana Ruiz, in nine languages.

Only an opening phrase that introduces a name ("me llamo", "tôi tên là", "我叫", "ខ្ញុំឈ្មោះ") and a
closing word of politeness ("po", "ạ", "ਜੀ") are taken off; anything else stays as the resident
wrote it. The phrases are machine-drafted, like the rest of ``nlu/``, and need review by native speakers.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

# Opening phrases, longest first within a language is not needed: every one is tried, the longest wins.
INTROS: dict[str, tuple[str, ...]] = {
    # NOTE: not "im" or "its" (texted without the apostrophe): "Im" is a surname ("Im Soo-jin").
    "en": ("my name is", "my names", "my name's", "name is", "it's", "i'm", "i am", "this is"),
    "es": ("me llamo", "mi nombre es", "yo soy", "soy", "mi nombre"),
    "tl": (
        "ang pangalan ko po ay",
        "ang pangalan ko ay",
        "pangalan ko po ay",
        "pangalan ko ay",
        "pangalan ko",
        "ako po si",
        "ako si",
        "ako po ay",
    ),
    "vi": (
        "tôi tên là",
        "tên tôi là",
        "em tên là",
        "tên em là",
        "tôi là",
        "em là",
        "tên là",
        "toi ten la",
        "ten toi la",
        "em ten la",
        "ten em la",
        "toi la",
        "ten la",
    ),
    "zh": ("我的名字是", "我的名字叫", "我名叫", "我叫", "我是", "名字是"),
    "km": ("នាងខ្ញុំឈ្មោះ", "ខ្ញុំបាទឈ្មោះ", "ខ្ញុំឈ្មោះ", "ឈ្មោះខ្ញុំ", "ឈ្មោះ"),
    "hmn": ("kuv lub npe hu ua", "kuv lub npe yog", "kuv npe hu ua", "kuv npe yog", "npe hu ua", "kuv yog"),
    "lo": ("ຂ້າພະເຈົ້າຊື່", "ຂ້ອຍຊື່ວ່າ", "ຂ້ອຍຊື່", "ຊື່ວ່າ", "ຊື່"),
    "pa": ("ਮੇਰਾ ਨਾਮ", "ਮੇਰਾ ਨਾਂ", "ਨਾਮ", "ਨਾਂ", "mera naam", "mera nam"),
}
# Closing words of politeness or "is", as separate words at the end.
CLOSINGS: dict[str, tuple[str, ...]] = {
    "tl": ("po",),
    "vi": ("ạ", "nhé"),
    "lo": ("ເດີ", "ເດ", "ຄັບ", "ເຈົ້າ"),
    "pa": ("ਹੈ", "ਆ", "ਜੀ", "hai", "aa", "ji"),
    "km": ("បាទ", "ចាស"),
}
_UNSPACED = re.compile(r"[\u3400-\u9fff\u1780-\u17ff\u0e80-\u0eff]")


def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold().replace("’", "'")


def name_from(text: str, languages: Iterable[str]) -> str:
    """Return the name in ``text``: its introducing phrase and closing politeness taken off (English too)."""
    # NOTE: NFC first, so a name typed with combining marks (Unikey) is cut where its phrase ends.
    name = " ".join(unicodedata.normalize("NFC", text).split()).strip(" .,!;:。！，")
    folded = _fold(name)
    best = ""
    for language in dict.fromkeys([*languages, "en"]):
        for intro in INTROS.get(language, ()):
            # NOTE: a phrase in a script without spaces may run into the name ("我叫李明"); others end at a space.
            joined = bool(_UNSPACED.match(intro[-1])) and folded.startswith(intro)
            if (folded.startswith(intro + " ") or joined) and len(intro) > len(best):
                best = intro
    rest = name[len(best) :].strip(" ,:：，") if best else name
    words = rest.split()
    closings = {c for language in dict.fromkeys([*languages, "en"]) for c in CLOSINGS.get(language, ())}
    while len(words) > 1 and _fold(words[-1]) in closings:
        words.pop()
    found = " ".join(words)
    return found or name
