"""Take what a story already says (when, where, badge or car numbers, whether someone was hurt).

The form confirms what it found in one question instead of asking each again (issue 14: a complete
complaint took 19 texts). Only what a resident plainly wrote is taken, in their own words; a "no"
to the confirmation asks every question as before. Recognition only: what the bot says is in the
catalogs. NOTE: machine-drafted word lists; fluent speakers should review and extend them.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from bot.actions.common import ascii_digits
from bot.actions.dates import normalize, read_when

# The answers a story may give, in the order the form asks them.
FACT_SLOTS = ("incident_time", "location", "officers", "injuries", "witnesses")
# The longest quote of the resident's words kept as one answer.
QUOTE_MAX = 120

_SUFFIX = (
    r"(?:st|street|ave|avenue|av|blvd|boulevard|rd|road|ln|lane|dr|drive|way|hwy|highway|pkwy|parkway|ct|court|"
    r"pl|place|cir|circle|expy|expressway|fwy|freeway)"
)
_STREET_END = re.compile(rf"(?i)(?<![\w])({_SUFFIX})\b\.?")
_NAME = re.compile(r"([A-Za-z0-9][\w'’.-]*)\s+$")
_STOP = {
    "on",
    "at",
    "the",
    "in",
    "near",
    "by",
    "of",
    "down",
    "up",
    "to",
    "from",
    "and",
    "en",
    "la",
    "el",
    "de",
    "sa",
    "ng",
    "o",
    "y",
    "was",
    "were",
    "walking",
    "driving",
    "a",
    "my",
    "our",
    "calle",
    "avenida",
    "duong",
    "đường",
    "kev",
    "ntawm",
}
_JOIN = re.compile(r"(?i)^\s*(?:and|&|y|at|/|@|con|và|va|at the corner of|with|thiab|ਅਤੇ|និង|ກັບ|和|與|与)\s+")
_NAME_PART = rf"(?:[A-Z0-9][\w'’.-]*)(?:\s+[A-Z0-9][\w'’.-]*){{0,2}}(?:\s+(?i:{_SUFFIX})\b\.?)?"
_CORNER = re.compile(
    r"(?i:corner of|intersection of|esquina de|esquina|kanto ng|kanto|g[oó]c|ng[aã] t[uư]|ces kev)\s+"
    r"(?i:la\s+|el\s+|ng\s+|the\s+)?"
    + _NAME_PART
    + r"\s+(?i:and|&|y|at|/|@|con|và|va|thiab)\s+(?i:la\s+|el\s+)?"
    + _NAME_PART
)
_STREET_WORD = re.compile(
    r"(?i:calle|avenida|bulevar|carretera|kalye|đường|duong|phố|pho|txoj kev|ຖະໜົນ|ຖະຫນົນ|ផ្លូវ)\s*"
    r"(?:" + _NAME_PART + r"|លេខ\s*\d+|[\u1780-\u17ff]{2,16}|[\u0e80-\u0eff]{2,16})"
)
_HAN_STREET = re.compile(
    r"(?:[A-Za-z0-9]+\s*)?[\u4e00-\u9fff]{0,4}(?:路|街|大道|大街|公路)(?:口)?"
    r"(?:(?:和|與|与|同|跟|及)(?:[A-Za-z0-9]+\s*)?[\u4e00-\u9fff]{0,4}(?:路|街|大道|大街|公路)(?:口)?)?"
)
_HAN_LEAD = re.compile(r"^.*?(?:在|喺|於|于|到|係|系)")
_GURMUKHI_STREET = re.compile(r"((?:[A-Za-z0-9][\w'.-]*|[\u0a00-\u0a7f]+)\s+)(?:ਸਟਰੀਟ|ਸਟ੍ਰੀਟ|ਰੋਡ|ਸੜਕ|ਚੌਕ|ਐਵੇਨਿਊ)")
_PLACE = re.compile(
    r"(?i)(?:\bat|\bin front of|\boutside|\bnear|\bbehind|\bby|\ben|\bfrente a|\bafuera de|\bcerca de|\bsa harap ng|"
    r"\bsa labas ng|\bsa)\s+(?:the\s+|a\s+|el\s+|la\s+|un\s+|una\s+|ng\s+)?"
    r"((?:[A-Z][\w'’&-]*\s+){0,3}(?:park|store|gas station|parking lot|bus stop|station|school|high school|mall|"
    r"apartments?|library|hospital|church|restaurant|market|motel|hotel|walmart|target|safeway|bank|laundromat|"
    r"liquor store|parque|tienda|gasolinera|escuela|estacionamiento|parada|iglesia|mercado|biblioteca|"
    r"paaralan|simbahan|palengke|tindahan)(?:\s+(?:on|en|sa)\s+[A-Z][\w'’-]*)?)\b"
)

# Named places in each language's own words: after "at/near" and before or after a place noun.
_LOCAL_PLACES: dict[str, re.Pattern[str]] = {
    "en": re.compile(
        r"(?<![\w])(?:at|near|outside|in front of|behind|across from)\s+(?:the\s+)?"
        r"((?!I\b|I'm\b|Officer\b)[A-Z][\w'’&]*(?:\s+[A-Z0-9][\w'’&]*)*)(?=[\s,.;!?]|$)"
    ),
    "vi": re.compile(
        r"(?i:ở|o|tai|tại|gan|gần|truoc|trước)\s+((?i:tram xang|trạm xăng|cong vien|công viên|cho|chợ|truong|trường|"
        r"bai dau xe|bãi đậu xe|cua hang|cửa hàng|sieu thi|siêu thị|nha thuoc|nhà thuốc|ben xe|bến xe|tiem|tiệm)"
        r"(?:\s+[A-Z0-9][\w'’&-]*){0,3})"
    ),
    "zh": re.compile(
        r"(?:在|喺|於|于)([^，。！？,.!?\s]{1,10}?(?:门口|門口|附近|停车场|停車場|超市|公园|公園|加油站|学校|學校|外面|对面|對面))"
    ),
    "km": re.compile(r"នៅ\s*((?:មុខ|ក្បែរ|ជិត)?\s*(?:ផ្សារ|សួន|ស្ថានីយ|សាលា|ចំណត|ហាង)[^\s។,]{0,16}(?:\s+[A-Z][\w'-]*){0,2})"),
    "lo": re.compile(
        r"ຢູ່\s*((?:ໜ້າ|ໃກ້)?\s*(?:ຕະຫຼາດ|ສວນ|ປ້ຳນ້ຳມັນ|ໂຮງຮຽນ|ບ່ອນຈອດລົດ|ຮ້ານ)[^\s.,]{0,16}(?:\s+[A-Z][\w'-]*){0,2})"
    ),
    "pa": re.compile(
        r"((?:[A-Z][\w'-]*\s+)?(?:ਪਾਰਕਿੰਗ|ਪਾਰਕ|ਸਟੋਰ|ਗੈਸ ਸਟੇਸ਼ਨ|ਪੈਟਰੋਲ ਪੰਪ|ਸਕੂਲ|ਗੁਰਦੁਆਰੇ|ਗੁਰਦੁਆਰਾ|ਮਾਲ|ਦੁਕਾਨ))(?![\u0a00-\u0a7f])"
    ),
    "hmn": re.compile(
        r"(?i:ntawm|nyob|ze)\s+((?i:lub\s+)?(?i:khw|tsev kawm ntawv|chaw nres tsheb|tiaj ua si|tsev muag khoom)"
        r"(?:\s+[A-Z0-9][\w'’&-]*){0,3})"
    ),
    "tl": re.compile(
        r"(?<![\w])(?i:sa)\s+(?i:may\s+)?((?i:harap ng\s+|labas ng\s+|tapat ng\s+)?(?:(?i:tindahan|palengke|paaralan|"
        r"simbahan|gasolinahan|parke|mall|paradahan)(?:\s+(?:ng\s+)?[A-Z0-9][\w'’&-]*){0,3}|"
        r"[A-Z][\w'’&-]*(?:\s+[A-Z0-9][\w'’&-]*){0,3}))"
    ),
}
# Words before a badge, unit or car number, in each language (and always English).
_NUMBER_CUES: dict[str, str] = {
    "en": r"badge|badge number|badge no\.?|unit|car|car number|patrol car|cruiser|vehicle|plate|officer",
    "es": r"placa|número de placa|numero de placa|insignia|patrulla|unidad|carro|número|numero|oficial",
    "tl": r"tsapa|plaka|numero|sasakyan|mobile|kotse|unit|badge",
    "vi": r"số hiệu|so hieu|phù hiệu|phu hieu|số xe|so xe|xe số|xe so|biển số|bien so|mã số|ma so|xe",
    "zh": r"警号|警號|编号|編號|警徽|工号|工號|车牌|車牌|车号|車號|警车|警車",
    "km": r"ស្លាកលេខ|ឡានលេខ|រថយន្តលេខ|ផ្លាកលេខ|លេខ",
    "hmn": r"tus lej|naj npawb|lub tsheb|tsheb|badge",
    "lo": r"ເລກທີ|ລົດເລກ|ປ້າຍເລກ|ປ້າຍ|ເລກ",
    "pa": r"ਬੈਜ ਨੰਬਰ|ਬੈਜ|ਗੱਡੀ ਨੰਬਰ|ਕਾਰ ਨੰਬਰ|ਯੂਨਿਟ|ਨੰਬਰ",
}
# Small words between "badge number" and the number ("his badge number was 4471", "plaka niya ay 3321").
_FILLERS = "was|is|were|it|its|it's|es|era|fue|de|su|ay|niya|nya|po|ng|la|la so|là|của|anh ta|ong ta|yog|ntawm"
_OFFICER_NAME = re.compile(
    r"\b(?:[Oo]fficer|[Oo]fc\.?|[Ss]gt\.?|[Ss]ergeant|[Dd]eputy|[Dd]etective|[Dd]et\.|[Oo]ficial|[Aa]gente|"
    r"[Ss]argento|[Oo]pisyal)\s+([A-Z][a-z'’-]+)"
)
# Words that say someone was (or was not) hurt; a sentence with one is the injuries answer, as written.
_HURT: dict[str, tuple[str, ...]] = {
    "en": (
        "hurt",
        "injur",
        "bleed",
        "blood",
        "bruis",
        "broke",
        "hospital",
        "pain",
        "sprain",
        "concussion",
        "tased",
        "taser",
        "pepper spray",
        "ambulance",
        "swollen",
    ),
    "es": ("herid", "lastim", "sangr", "golpe", "moret", "hospital", "dolor", "fractur", "ambulancia", "duele"),
    "tl": ("nasaktan", "sugat", "dugo", "pasa", "ospital", "masakit", "bali", "binugbog", "sinaktan", "ambulansya"),
    "vi": ("bi thuong", "chay mau", "benh vien", "bam tim", "gay tay", "gay chan", "sung", "cuu thuong", "bi dau"),
    "zh": (
        "受伤",
        "受傷",
        "流血",
        "出血",
        "医院",
        "醫院",
        "骨折",
        "淤青",
        "瘀青",
        "痛",
        "救护车",
        "救護車",
        "打伤",
        "打傷",
    ),
    "km": ("របួស", "ឈឺ", "ហូរឈាម", "ឈាម", "មន្ទីរពេទ្យ", "បាក់", "ជាំ"),
    "hmn": ("raug mob", "mob", "ntshav", "tsev kho mob", "tawg"),
    "lo": ("ບາດເຈັບ", "ເຈັບ", "ເລືອດ", "ໂຮງໝໍ", "ໂຮງຫມໍ", "ຫັກ", "ຊ້ຳ"),
    "pa": ("ਸੱਟ", "ਜ਼ਖ਼ਮੀ", "ਜ਼ਖਮੀ", "ਖੂਨ", "ਹਸਪਤਾਲ", "ਦਰਦ", "ਟੁੱਟ"),
}
# Words that say someone else saw, filmed or was there; a clause with one is the witnesses answer, as written.
_SAW: dict[str, tuple[str, ...]] = {
    "en": (
        "witness",
        "filmed",
        "recorded",
        "was with me",
        "were with me",
        "nobody saw",
        "no one saw",
        "saw it all",
        "saw everything",
        "saw the whole",
        "on video",
        "took a video",
        "got it on",
    ),
    "es": (
        "testigo",
        "grabo",
        "grabaron",
        "estaba conmigo",
        "estaban conmigo",
        "nadie vio",
        "vieron todo",
        "vio todo",
        "video",
        "lo vieron",
    ),
    "tl": ("saksi", "kinunan", "nag video", "nagvideo", "kasama ko", "nakita nila", "nakakita", "walang nakakita"),
    "vi": (
        "nhan chung",
        "quay video",
        "quay lai",
        "quay phim",
        "di cung toi",
        "di voi toi",
        "thay het",
        "khong ai thay",
        "chung kien",
    ),
    "zh": (
        "证人",
        "證人",
        "目击",
        "目擊",
        "看到了",
        "看見了",
        "看见了",
        "拍下",
        "录像",
        "錄影",
        "录影",
        "跟我一起",
        "和我一起",
        "冇人睇到",
        "没人看到",
    ),
    "km": ("សាក្សី", "ឃើញទាំងអស់", "ថតវីដេអូ", "ថត", "នៅជាមួយខ្ញុំ", "គ្មាននរណាឃើញ"),
    "hmn": ("tim pom", "pom tag nrho", "kaw duab", "kaw video", "nrog kuv", "tsis muaj leej twg pom"),
    "lo": ("ພະຍານ", "ເຫັນທັງໝົດ", "ຖ່າຍວິດີໂອ", "ຖ່າຍຮູບ", "ຢູ່ກັບຂ້ອຍ", "ບໍ່ມີໃຜເຫັນ"),
    "pa": ("ਗਵਾਹ", "ਵੀਡੀਓ", "ਮੇਰੇ ਨਾਲ ਸੀ", "ਮੇਰੇ ਨਾਲ ਸਨ", "ਸਭ ਦੇਖਿਆ", "ਕਿਸੇ ਨੇ ਨਹੀਂ ਦੇਖਿਆ"),
}
_CLAUSE_END = re.compile(r"[.!?。！？\n។៕।,，;；]+")
# Khmer and Lao put a space between phrases, not between words.
_PHRASE_END = re.compile(r"[.!?。！？\n។៕।,，;；\s]+")


def _base(language: str) -> str:
    return "zh" if language.startswith("zh") else language


def _quote(text: str) -> str:
    text = " ".join(text.split()).strip(" ,;:-.")
    return text if len(text) <= QUOTE_MAX else text[: QUOTE_MAX - 1].rstrip() + "…"


def _street_before(text: str, end: int) -> int | None:
    """Where the street name that ends at ``end`` starts: its capitalised words, or the one word before."""
    start = end
    taken = 0
    head = text[:start]
    while taken < 3:
        m = _NAME.search(head)
        if not m:
            break
        word = m.group(1)
        if word.lower() in _STOP or not (word[0].isupper() or word[0].isdigit()):
            if taken == 0 and word.lower() not in _STOP and word.isalpha():
                start, taken = m.start(1), 1  # "main st" typed in lower case: the one word before
            break
        start, taken, head = m.start(1), taken + 1, head[: m.start(1)]
    return start if taken else None


def _latin_streets(text: str) -> list[tuple[int, int]]:
    spans = []
    for m in _STREET_END.finditer(text):
        start = _street_before(text, m.start())
        if start is None:
            continue
        end = m.end()
        joined = _JOIN.match(text[end:])
        if joined:  # an intersection: "Main St and Oak Ave", "Main y 5th"
            rest = text[end + joined.end() :]
            other = re.match(rf"(?:[A-Z0-9][\w'’.-]*\s*){{1,3}}(?:{_SUFFIX}\b\.?)?", rest, re.IGNORECASE)
            if other and (other.group(0)[0].isupper() or other.group(0)[0].isdigit()):
                end = end + joined.end() + len(other.group(0).rstrip())
        spans.append((start, end))
    return spans


def find_place(language: str, text: str) -> str | None:
    """The place a story names: an intersection, a street, or a named place; None when it names none."""
    corner = _CORNER.search(text)
    if corner:
        return _quote(corner.group(0))
    spans = _latin_streets(text)
    for m in _STREET_WORD.finditer(text):
        spans.append((m.start(), m.end()))
    if _base(language) == "zh":
        for m in _HAN_STREET.finditer(text):
            start = m.start() + (len(lead.group(0)) if (lead := _HAN_LEAD.match(m.group(0))) else 0)
            if m.end() - start >= 2:
                spans.append((start, m.end()))
    for m in _GURMUKHI_STREET.finditer(text):
        spans.append((m.start(), m.end()))
    if spans:
        start, end = min(spans)
        # NOTE: a street mentioned by itself and with a house number or a cross street: the longest at that place.
        end = max(e for s, e in spans if s == start)
        return _quote(text[start:end])
    local = _LOCAL_PLACES.get(_base(language))
    found = local.search(text) if local is not None and _base(language) != "en" else None
    if found and found.group(1).strip():
        return _quote(found.group(1))
    place = _PLACE.search(text) or _LOCAL_PLACES["en"].search(text)
    if place:
        return _quote(place.group(1))
    return None


def find_officers(language: str, text: str) -> str | None:
    """Badge, unit or car numbers and officers' names the story gives, as written."""
    digits = ascii_digits(text)  # same length: every digit is one character in any script
    cues = "|".join(filter(None, [_NUMBER_CUES.get(_base(language), ""), _NUMBER_CUES["en"]]))
    pattern = re.compile(
        rf"(?i)(?<![\w])(?:{cues})\s*(?:number|num|no\.?|#|n[°º]|numero|número|số|là|是|為|为|:|：|ທີ)?\s*[:#]?\s*"
        rf"(?:(?:{_FILLERS})\s+){{0,2}}[:#]?\s*"
        r"([A-Z]{0,2}-?\d{2,6})(?!\d)"
    )
    found = [text[m.start() : m.end()] for m in pattern.finditer(digits)]
    found += [m.group(0) for m in _OFFICER_NAME.finditer(text)]
    seen: list[str] = []
    for item in found:
        if not any(item in other or other in item for other in seen):
            seen.append(item)
    return _quote(", ".join(seen)) if seen else None


def _clause_with(language: str, text: str, words: dict[str, tuple[str, ...]]) -> str | None:
    """The first clause of ``text`` with one of the language's (or English) ``words``, as written."""
    lang = _base(language)
    cues = [normalize(w, lang)[0] for w in (*words.get(lang, ()), *(words["en"] if lang != "en" else ()))]
    start = 0
    ends = _PHRASE_END if lang in ("km", "lo") else _CLAUSE_END
    for end_match in [*ends.finditer(text), None]:
        end = end_match.start() if end_match else len(text)
        folded = normalize(text[start:end], lang)[0]
        for cue in cues:
            at = folded.find(cue)
            if at >= 0 and (not cue[:1].isascii() or at == 0 or not folded[at - 1].isalnum()):
                return _quote(text[start:end])
        start = end_match.end() if end_match else len(text)
    return None


def find_injuries(language: str, text: str) -> str | None:
    """The clause of the story that says someone was (or was not) hurt, as written."""
    return _clause_with(language, text, _HURT)


def find_witnesses(language: str, text: str) -> str | None:
    """The clause of the story that says someone else saw, filmed or was there (or nobody saw), as written."""
    return _clause_with(language, text, _SAW)


def story_facts(language: str, text: str, *, now: dt.datetime, wanted: tuple[str, ...] = FACT_SLOTS) -> dict[str, Any]:
    """What a story says of the ``wanted`` answers (when, where, who, injuries, witnesses); empty when none."""
    facts: dict[str, Any] = {}
    when = read_when(language, text, now=now, search=True) if "incident_time" in wanted else None
    if when is not None and not when.future:
        facts["incident_time"] = when.words
        facts["incident_at"] = when.moment.astimezone(dt.timezone.utc).isoformat()
    finders = (
        ("location", find_place),
        ("officers", find_officers),
        ("injuries", find_injuries),
        ("witnesses", find_witnesses),
    )
    for slot, finder in finders:
        if slot not in wanted:
            continue
        found = finder(language, text)
        if found:
            facts[slot] = found
    return facts


def merge_facts(earlier: dict[str, Any] | None, later: dict[str, Any]) -> dict[str, Any]:
    """Keep what an earlier message said; add what a later one says that the earlier did not."""
    merged = dict(earlier or {})
    if "incident_time" in later and "incident_time" not in merged:
        merged.update({k: v for k, v in later.items() if k.startswith("incident_")})
    for slot in FACT_SLOTS[1:]:
        if slot in later and slot not in merged:
            merged[slot] = later[slot]
    return merged
