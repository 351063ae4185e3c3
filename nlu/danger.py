"""Tell danger happening now from fear or harm told about the past, in Heard's nine languages.

The intent classifier reads words, not tense: "police are beating someone right now" and "the
police beat him that night" share most of their features, and a complaint is full of violence
told after the fact. These cue lists (written for Heard, accent-folded, lower case) add what the
classifier cannot weigh: a marker of now or of an action going on, a marker of the past, and fear
without danger. ``danger_now`` answers True (danger now: give the 911 advice whatever the
classifier read), False (fear, worry or harm in the past: never the 911 advice) or None (no cue:
leave it to the classifier).

A cue ending in ``*`` matches any word it begins; in scripts written without spaces (Han, Khmer,
Lao) every cue matches anywhere. NOTE: machine-drafted like the rest of nlu/; native speakers
should review the lists.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Cues:
    """One language's cues: folded words or phrases, separated by "|"."""

    now: str = ""  # says now, even in a message that also tells the past
    ongoing: str = ""  # an action going on (a progressive), unless the message tells the past
    harm: str = ""  # someone being hurt or threatened, a weapon, bleeding, not breathing
    past: str = ""  # the message tells what happened before
    fear: str = ""  # fear or worry
    until_now: str = ""  # "until now", "still": fear carried from the past, not danger now
    threat: str = ""  # a threat to kill or hurt the resident ("he will kill me"): danger now unless told as past
    other_sense: str = ""  # words that hold a harm cue but mean something else ("woman", "to call")


# Each field: cues separated by "|".
CUES: dict[str, Cues] = {
    "en": Cues(
        now="right now|rn|as we speak|at this moment|happening now|now|still here|just shot|just got shot|just stabbed",
        ongoing="is|are|am|im|hes|shes|theyre|theres|its|keeps|keep|currently",
        harm=(
            "beating|hitting|kicking|punching|stomping|choking|strangling|tasing|tazing|shooting"
            "|stabbing|attacking|hurting|dragging|kneeling on|pointing a gun|pointing guns"
            "|pointing his gun|gun to|bleeding|not breathing|isnt breathing|cant breathe|not moving"
            "|isnt moving|not responding|unconscious|dying|for my life|just shot|just got shot"
            "|just stabbed|shot at|breaking in|breaking into|on fire|with a gun|has a gun|got a gun"
            "|with a knife|has a knife|got a knife"
        ),
        past=(
            "was|were|had|did|yesterday|last night|last week|last month|last year|ago|that day"
            "|that night|back then|earlier|when he|when she|when they|when the|when i|felt|feared"
        ),
        fear="scared|afraid|terrified|frightened|fear|worried|nervous|shaking|anxious",
        until_now="until now|till now|even now|to this day|still scared|still afraid|now i",
        threat="going to kill me|gonna kill me|will kill me|wants to kill me|threatening to kill me",
    ),
    "es": Cues(
        now="ahorita|ahora mismo|ahora|en este momento|ya mismo|todavia esta|siguen aqui|acaban de*",
        ongoing="esta|estan|estas|sigue|siguen",
        harm=(
            "golpeando|pegando|pateando|ahorcando|estrangulando|disparando|apuntando|apuntandole"
            "|acuchillando|atacando|lastimando|arrastrando|sangrando|no respira|no se mueve"
            "|no reacciona|inconsciente|muriendo|toques|taser|balazos|acaban de disparar*"
            "|acaban de balear*"
        ),
        past=(
            "estaba|estaban|ayer|anoche|antier|la semana pasada|el mes pasado|hace|ese dia|esa noche"
            "|esa vez|cuando|paso|fue|tenia|tuve|me asuste"
        ),
        fear="miedo|asustado|asustada|aterrado|aterrada|preocupado|preocupada|nervios*",
        until_now="hasta ahora|hasta hoy|todavia tengo miedo|aun tengo miedo",
        threat="me va a matar|me van a matar|me quiere matar|me quieren matar|me esta amenazando de muerte",
    ),
    "tl": Cues(
        now="ngayon|ngayon mismo|ngayon na|ngayon din|nangyayari|nandito pa|andito pa",
        ongoing=(
            "binubugbog|sinasaktan|sinusuntok|sinisipa|pinagsisipa|binabaril|pinapalo|hinahampas"
            "|sinasakal|tinututukan|kinakaladkad|sinasaksak|tinatadyakan|dumudugo|naghihingalo"
            "|nanununtok|nananakit|nambubugbog"
        ),
        harm=(
            "binubugbog|sinasaktan|sinusuntok|sinisipa|pinagsisipa|binabaril|pinapalo|hinahampas"
            "|sinasakal|tinututukan|kinakaladkad|sinasaksak|tinatadyakan|dumudugo|naghihingalo"
            "|nanununtok|nananakit|nambubugbog|hindi humihinga|hindi na humihinga|hindi gumagalaw"
            "|hindi na gumagalaw|walang malay|duguan|baril|kutsilyo|saklolo"
        ),
        past=("kahapon|kagabi|noong|nung|noon|nakaraang|nakaraan|kanina|last week|last night|that night|natakot"),
        fear="takot|natatakot|natakot|kinakabahan|kabado|nag-aalala|nag aalala|nanginginig",
        until_now="hanggang ngayon|hanggang sa ngayon|pa rin",
    ),
    "vi": Cues(
        now="ngay bay gio|bay gio|hien gio|ngay luc nay|hien tai|van dang|van o day|con o day|vua ban|vua bi",
        ongoing="dang|cuu voi|cuu toi|cuu em|cuu con",
        harm=(
            "dang danh|dang dam|dang da|dang dap|dang dap|dang ban|dang chia sung|chia sung|dang bop co"
            "|bop co|dang keo|dang de|dang dui|danh dap|dam da|chay mau|khong tho|khong cu dong"
            "|khong nhuc nhich|bat tinh|nguoi bi danh|bi danh|vua ban|no sung|ban sung|cam sung|cam dao"
            "|dui cui|cuu voi|cuu toi|cuu em|cuu con"
        ),
        past=(
            "hom qua|hom truoc|hom do|hom ay|toi qua|dem qua|dem do|tuan truoc|thang truoc|nam ngoai"
            "|luc do|khi do|hoi do|bua do|bua truoc|khi anh ta|khi ho|da rat|da bi"
        ),
        fear="so qua|so lam|rat so|so hai|toi so|em so|so ho|lo lang|lo so|toi lo|em lo|lo ho|hoang so|khiep so|run so",
        until_now="den gio|den bay gio|toi gio|cho den nay|van con so|van so",
    ),
    "zh": Cues(
        now="现在|現在|而家|宜家|依家|此刻|这会儿|這會兒|正在|还在这|還在這|仲喺度|刚刚|剛剛|啱啱|刚开枪|剛開槍",
        ongoing="在打|在踢|在掐|在拖|打紧|打緊|踢緊|撳緊|救命",
        harm=(
            "打|踢|掐|勒|开枪|開槍|枪指|槍指|指着|指住|流血|流緊血|没有呼吸|沒有呼吸|冇呼吸|唔呼吸|不动|不動|唔郁|唔動|昏迷|晕倒|暈倒|捅|刀|拖出|拳打脚踢|拳打腳踢"
            "|电击|電擊|电枪|電槍|压住|壓住|撳住|箍住|救命"
        ),
        past=(
            "昨天|昨晚|前天|那天|那晚|那次|那时|那時|当时|當時|上周|上週|上个|上個|上星期|上礼拜|上禮拜|以前|之前|琴日|尋日|噚日|嗰日|嗰晚|嗰次|嗰陣|的时候|的時候"
            "|后来|後來"
        ),
        fear="害怕|怕|惊|驚|吓|嚇|恐惧|恐懼|担心|擔心|紧张|緊張",
        until_now="到现在|到現在|直到现在|直到現在|到而家|至今|仲好驚|还是很怕|還是很怕",
        other_sense="打电话|打電話|打给|打給|打俾|打算|打开|打開|打扰|打擾|打听|打聽|打字|打卡|打工|打车|打車|打的|正常|公正|刀叉",
    ),
    "km": Cues(
        now="ឥឡូវនេះ|ឥឡូវ|ពេលនេះ|ទើបតែ|ទើប",
        ongoing="កំពុង",
        harm=("វាយ|ទាត់|សម្លាប់|ធាក់|ច្របាច់ក|បាញ់|ភ្ជង់កាំភ្លើង|កាំភ្លើង|កាំបិត|ចាក់|អូស|ហូរឈាម|លែងដកដង្ហើម|មិនដកដង្ហើម|សន្លប់|មិនកម្រើក"),
        past="ពេលខ្ញុំ|ពេលគាត់|ពេលគេ|ពេលដែល|ម្សិលមិញ|យប់មិញ|កាលពី|ពេលនោះ|យប់នោះ|ថ្ងៃនោះ|សប្តាហ៍មុន|ខែមុន|ពីមុន|កាលនោះ",
        fear="ខ្លាច|ភ័យ|បារម្ភ|ព្រួយ",
        until_now="រហូតដល់ឥឡូវ|ដល់ឥឡូវ|នៅតែខ្លាច",
    ),
    "hmn": Cues(
        now="tam sim no|nim no|tseem nyob no|nyuam qhuav",
        ongoing="tab tom|tseem",
        harm="ntaus|ncaws|bib|tua|taw phom|phom|riam|los ntshav|tsis ua pa|tsis txav|tsis nco qab",
        past=(
            "nag hmo|hnub ntawd|hmo ntawd|thaum ntawd|lub lim tiam dhau los|dhau los|thaum nws|thaum lawv|yav tas los"
        ),
        fear="ntshai|txhawj|poob siab|tshee",
        until_now="txog niaj hnub no|txog tam sim no|tseem ntshai",
        other_sense="ntaus xov tooj|ntaus ntawv",
    ),
    "lo": Cues(
        now="ດຽວນີ້|ຕອນນີ້|ຍັງຢູ່ນີ້|ຫາກໍ",
        ongoing="ກຳລັງ|ກໍາລັງ",
        harm=("ຕີ|ເຕະ|ທຸບ|ບີບຄໍ|ຍິງ|ປືນ|ມີດ|ແທງ|ລາກ|ເລືອດອອກ|ບໍ່ຫາຍໃຈ|ບໍ່ເໜັງ|ບໍ່ເຄື່ອນໄຫວ|ສະຫຼົບ|ບໍ່ຮູ້ສຶກໂຕ"),
        past="ມື້ວານ|ມື້ກ່ອນ|ຕອນນັ້ນ|ຄືນນັ້ນ|ມື້ນັ້ນ|ອາທິດແລ້ວ|ອາທິດກ່ອນ|ເດືອນແລ້ວ|ຕອນທີ່",
        fear="ຢ້ານ|ກັງວົນ|ຕົກໃຈ|ສັ່ນ",
        until_now="ຈົນຮອດດຽວນີ້|ຮອດດຽວນີ້|ຮອດຕອນນີ້|ຍັງຢ້ານ",
        other_sense="ແມ່ຍິງ|ຜູ້ຍິງ|ຍິງສາວ|ຕີນ|ຕີລາຄາ|ກຳລັງຕຳຫຼວດ|ກຳລັງໃຈ",
    ),
    "pa": Cues(
        now="ਹੁਣੇ|ਹੁਣ|ਇਸ ਵੇਲੇ|ਅਜੇ ਇੱਥੇ|hune|hun|is vele",
        ongoing="ਰਿਹਾ|ਰਹੇ|ਰਹੀ|ਰਹੀਆਂ|reha|rahe|rahi",
        harm=("ਕੁੱਟ|ਮਾਰ|ਲੱਤਾਂ|ਗਲਾ|ਗੋਲੀ|ਪਿਸਤੌਲ|ਬੰਦੂਕ|ਚਾਕੂ|ਘਸੀਟ|ਖੂਨ|ਸਾਹ ਨਹੀਂ|ਬੇਹੋਸ਼|ਹਿੱਲ ਨਹੀਂ|kutt|maar|goli|khoon|saah nahi"),
        past="ਕੱਲ੍ਹ|ਕੱਲ|ਉਸ ਦਿਨ|ਉਸ ਰਾਤ|ਉਸ ਵੇਲੇ|ਪਿਛਲੇ|ਜਦੋਂ|ਸੀ|ਸਨ|kal|si|jado",
        fear="ਡਰ|ਡਰਿਆ|ਡਰੀ|ਫਿਕਰ|ਘਬਰਾ|dar|fikar",
        until_now="ਅੱਜ ਤੱਕ|ਹੁਣ ਤੱਕ|ਅਜੇ ਵੀ ਡਰ|aj tak|hun tak",
        threat="ਮਾਰ ਦੇਵੇਗਾ|ਮਾਰ ਦੇਵੇਗੀ|ਮਾਰ ਦੇਣਗੇ|ਮਾਰ ਦੇਊ|ਮਾਰ ਦੇਣਾ|ਜਾਨੋਂ ਮਾਰ|maar dega|maar degi|maar denge|maar du",
    ),
}


def fold(text: str) -> str:
    """Lower-case, strip Latin accents (not Khmer, Lao or Gurmukhi marks) and apostrophes; punctuation to spaces."""
    decomposed = unicodedata.normalize("NFKD", text.lower().replace("đ", "d"))
    kept = "".join(c for c in decomposed if not (unicodedata.combining(c) and ord(c) < 0x0370))
    kept = re.sub(r"['’‘`]", "", unicodedata.normalize("NFC", kept))
    return " ".join(re.sub(r"[^\w\u0e80-\u0eff\u1780-\u17ff\u0a00-\u0a7f]+", " ", kept).split())


def _unspaced(cue: str) -> bool:
    first = cue[:1]
    return "\u3400" <= first <= "\u9fff" or "\u1780" <= first <= "\u17ff" or "\u0e80" <= first <= "\u0eff"


@functools.cache
def _pattern(cues: str) -> re.Pattern[str] | None:
    parts = []
    for cue in filter(None, cues.split("|")):
        prefix = cue.endswith("*")
        word = re.escape(cue.rstrip("*"))
        if _unspaced(cue):
            parts.append(word)
        else:
            # NOTE: \w does not cover Gurmukhi vowel signs, so a word edge is "no letter or mark next to it".
            parts.append(rf"(?<![\w\u0a00-\u0a7f]){word}" + ("" if prefix else r"(?![\w\u0a00-\u0a7f])"))
    return re.compile("|".join(parts)) if parts else None


def has_cue(text: str, cues: str) -> bool:
    """Tell whether folded ``text`` holds one of ``cues`` (folded words or phrases separated by "|")."""
    pattern = _pattern(cues)
    return bool(pattern and pattern.search(text))


def _strip(text: str, phrases: Iterable[str]) -> str:
    for phrase in filter(None, phrases):
        text = text.replace(phrase, " ")
    return text


def danger_now(text: str, languages: Iterable[str]) -> bool | None:
    """Tell whether ``text`` says danger is happening now (True), only fear or the past (False), or neither (None).

    The cues of every language in ``languages`` are read (the resident's, and English, which residents
    mix in). Danger now: someone is being hurt, threatened with a weapon, bleeding or not breathing, said
    with a marker of now or of an action going on. Not danger now: the same told in the past ("when he
    pointed the gun"), fear or worry with no one being hurt now ("I'm very scared", "I'm afraid they
    will come back"). Everything else is the classifier's to read.
    """
    verdicts = []
    for language in dict.fromkeys(languages):
        cues = CUES.get(language)
        if cues is None:
            continue
        folded = _strip(f" {fold(text)} ", (p if _unspaced(p) else f" {p} " for p in cues.until_now.split("|")))
        folded = _strip(folded, cues.other_sense.split("|"))
        now, past = has_cue(folded, cues.now), has_cue(folded, cues.past)
        harm, fear = has_cue(folded, cues.harm), has_cue(folded, cues.fear)
        if harm and (now or (has_cue(folded, cues.ongoing) and not past)):
            return True
        if has_cue(folded, cues.threat) and (now or not past):
            return True
        if (past and not now) or (fear and not harm and not now):
            verdicts.append(False)
    return False if verdicts else None
