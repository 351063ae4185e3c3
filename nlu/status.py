"""Tell a message that asks about a report already made, in Heard's nine languages.

Read only where the classifier chose no form (a hello, the menu, out of scope): there a message
that names the report's status, its tracking number or "my complaint", or that carries a code
shaped like a reference number (residents misremember the format: "HRD-6WPJ-2LDN"), starts the
status check, which then asks for what it needs. The cue lists are machine-drafted, like the rest
of ``nlu/``, and need review by native speakers.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from nlu.danger import fold, has_cue

# Folded words or phrases, separated by "|" (a cue ending in "*" matches any word it begins).
CUES: dict[str, str] = {
    "en": "status|tracking number|tracking no|tracking|my report|my complaint|my case|any update|any news",
    "es": (
        "estatus|estado de mi*|numero de seguimiento|numero de reporte|numero de mi reporte|numero de mi queja"
        "|mi reporte|mi queja|mi caso|mi denuncia"
    ),
    "tl": "status|tracking number|tracking|report ko|complaint ko|case ko|reklamo ko",
    "vi": ("trang thai|tinh trang|ma theo doi|so theo doi|so ho so|ho so cua toi|don cua toi|don khieu nai cua toi"),
    "zh": "进度|進度|查询|查詢|追踪号码|追蹤號碼|案件号|案件號|我的投诉|我的投訴|我宗投訴",
    "km": "ស្ថានភាព|លេខតាមដាន|ករណីរបស់ខ្ញុំ",
    "hmn": "status|tracking number|tracking|kuv rooj plaub|kuv daim ntawv foob",
    "lo": "ສະຖານະ|ເລກຕິດຕາມ|ເລື່ອງທີ່ຂ້ອຍແຈ້ງ",
    "pa": "status|tracking|ਸਟੇਟਸ|ਟ੍ਰੈਕਿੰਗ|ਟਰੈਕਿੰਗ|ਸ਼ਿਕਾਇਤ ਦਾ ਕੀ ਬਣਿਆ|ਮੇਰੀ ਸ਼ਿਕਾਇਤ",
}
# Three groups of letters and digits, letters in it and digits in two of the groups: a reference code.
_CODE = re.compile(r"(?<![A-Za-z0-9])([A-Za-z0-9]{2,5})[-\s]([A-Za-z0-9]{3,5})[-\s]([A-Za-z0-9]{3,5})(?![A-Za-z0-9])")


# "Status" that is not a report's: what a resident may ask about in the same words.
NOT_A_REPORT = "immigration status|migration status|estatus migratorio|estado migratorio|status migratorio"


def code_in(text: str) -> str | None:
    """Return a reference-like code in ``text`` (any width of characters), if any.

    Digits in two of its three groups, and one group mixing letters and digits ("6WPJ"), so
    "call me 555 0142" or "5th st and 8th" is no code.
    """
    for match in _CODE.finditer(unicodedata.normalize("NFKC", text)):
        code, groups = match.group(0), match.groups()
        mixed = any(any(c.isdigit() for c in g) and any(c.isalpha() for c in g) for g in groups)
        if mixed and sum(any(c.isdigit() for c in g) for g in groups) >= 2:
            return code
    return None


def asks_about_a_report(text: str, languages: Iterable[str]) -> bool:
    """Tell whether ``text`` asks about a report already made, in any of ``languages`` (and English)."""
    if code_in(text):
        return True
    folded = f" {fold(unicodedata.normalize('NFKC', text))} "
    if has_cue(folded, NOT_A_REPORT):
        return False
    return any(has_cue(folded, CUES[language]) for language in dict.fromkeys([*languages, "en"]) if language in CUES)
