"""The words residents text for days, day parts and clock times, per language (bot/actions/dates.py reads them).

Written folded the way ``dates.normalize`` folds a message: lower case, Latin accents off (so fast-typed
Vietnamese "hom qua" and "hôm qua" are one), every script's digits as ASCII. Recognition only: nothing
here is ever said to a resident (what the bot says is in the catalogs).
NOTE: machine-drafted like the catalogs; fluent speakers should review and extend these lists.
"""

from __future__ import annotations


def _counted(spec: str, start: int = 1) -> dict[str, int]:
    """Number the comma-separated groups of ``spec`` from ``start``; "|" joins the spellings of one."""
    return {word: n for n, group in enumerate(spec.split(","), start=start) for word in group.split("|")}


# A day part: where an hour without am/pm falls, and the hour it stands for when no hour is said.
MORNING, NOON, AFTERNOON, EVENING, NIGHT, MIDNIGHT, EARLY = (
    "morning",
    "noon",
    "afternoon",
    "evening",
    "night",
    "midnight",
    "early",
)

# Relative days: the words, how many days back (-1: tomorrow, a day still to come), and the day part
# they carry ("last night").
DAYS: dict[str, dict[str, tuple[int, str | None]]] = {
    "en": {
        "tomorrow": (-1, None),
        "tmrw": (-1, None),
        "day before yesterday": (2, None),
        "day b4 yesterday": (2, None),
        "the day before yday": (2, None),
        "yesterday": (1, None),
        "yday": (1, None),
        "yest": (1, None),
        "ystrdy": (1, None),
        "yesterdy": (1, None),
        "yesturday": (1, None),
        "yestarday": (1, None),
        "today": (0, None),
        "2day": (0, None),
        "last night": (1, NIGHT),
        "lastnight": (1, NIGHT),
        "last nite": (1, NIGHT),
        "tonight": (0, EVENING),
        "tonite": (0, EVENING),
        "this morning": (0, MORNING),
        "this afternoon": (0, AFTERNOON),
        "this evening": (0, EVENING),
    },
    "es": {
        "antier": (2, None),
        "anteayer": (2, None),
        "antes de ayer": (2, None),
        "antenoche": (2, NIGHT),
        "ayer": (1, None),
        "hoy": (0, None),
        "anoche": (1, NIGHT),
        "esta manana": (0, MORNING),
        "esta tarde": (0, AFTERNOON),
        "esta noche": (0, EVENING),
    },
    "tl": {
        "bukas": (-1, None),
        "kamakalawa": (2, None),
        "noong isang araw": (2, None),
        "nung isang araw": (2, None),
        "kahapon": (1, None),
        "kahapun": (1, None),
        "kagabi": (1, NIGHT),
        "ngayong araw": (0, None),
        "ngayon": (0, None),
        "kanina": (0, None),
        "kaninang umaga": (0, MORNING),
        "kaninang hapon": (0, AFTERNOON),
        "kaninang tanghali": (0, NOON),
    },
    "vi": {
        "ngay mai": (-1, None),
        "hom kia": (2, None),
        "hum kia": (2, None),
        "bua kia": (2, None),
        "hom qua": (1, None),
        "hum qua": (1, None),
        "hom wa": (1, None),
        "hum wa": (1, None),
        "bua qua": (1, None),
        "hqua": (1, None),
        "hwa": (1, None),
        "toi qua": (1, EVENING),
        "toi hom qua": (1, EVENING),
        "dem qua": (1, NIGHT),
        "dem hom qua": (1, NIGHT),
        "khuya qua": (1, NIGHT),
        "sang qua": (1, MORNING),
        "sang hom qua": (1, MORNING),
        "chieu qua": (1, AFTERNOON),
        "chieu hom qua": (1, AFTERNOON),
        "hom nay": (0, None),
        "hnay": (0, None),
        "bua nay": (0, None),
        "sang nay": (0, MORNING),
        "trua nay": (0, NOON),
        "chieu nay": (0, AFTERNOON),
        "toi nay": (0, EVENING),
    },
    "zh": {
        "明天": (-1, None),
        "聽日": (-1, None),
        "大前天": (3, None),
        "前天": (2, None),
        "前日": (2, None),
        "前晚": (2, EVENING),
        "昨天": (1, None),
        "昨日": (1, None),
        "尋日": (1, None),
        "寻日": (1, None),
        "琴日": (1, None),
        "昨晚": (1, EVENING),
        "昨夜": (1, NIGHT),
        "琴晚": (1, EVENING),
        "尋晚": (1, EVENING),
        "寻晚": (1, EVENING),
        "今天": (0, None),
        "今日": (0, None),
        "今早": (0, MORNING),
        "今朝": (0, MORNING),
        "今晚": (0, EVENING),
    },
    "km": {
        "ថ្ងៃស្អែក": (-1, None),
        "ម្សិលម្ង៉ៃ": (2, None),
        "ម្សិលម្ងៃ": (2, None),
        "ម្សិលមិញ": (1, None),
        "ម្សិលមុិញ": (1, None),
        "ថ្ងៃម្សិល": (1, None),
        "យប់មិញ": (1, NIGHT),
        "ល្ងាចមិញ": (1, EVENING),
        "ព្រឹកមិញ": (0, MORNING),
        "រសៀលមិញ": (0, AFTERNOON),
        "ថ្ងៃនេះ": (0, None),
        "ព្រឹកនេះ": (0, MORNING),
        "រសៀលនេះ": (0, AFTERNOON),
        "ល្ងាចនេះ": (0, EVENING),
        "យប់នេះ": (0, NIGHT),
    },
    "hmn": {
        "tag kis": (-1, None),
        "hnub ua ntej nag hmo": (2, None),
        "nag hmo ua ntej": (2, None),
        "hmo nag hmo": (1, NIGHT),
        "nag hmo tsaus ntuj": (1, EVENING),
        "nag hmo": (1, None),
        "nag hmov": (1, None),
        "hnub no": (0, None),
        "hmo no": (0, NIGHT),
        "tag sis no": (0, MORNING),
        "tag kis no": (0, MORNING),
    },
    "lo": {
        "ມື້ອື່ນ": (-1, None),
        "ມື້ຊືນ": (2, None),
        "ມື້ກ່ອນວານ": (2, None),
        "ມື້ວານນີ້": (1, None),
        "ມື້ວານ": (1, None),
        "ວານນີ້": (1, None),
        "ມື້ຄືນ": (1, NIGHT),
        "ຄືນວານນີ້": (1, NIGHT),
        "ຄືນວານ": (1, NIGHT),
        "ຄືນທີ່ຜ່ານມາ": (1, NIGHT),
        "ມື້ນີ້": (0, None),
        "ເຊົ້ານີ້": (0, MORNING),
        "ບ່າຍນີ້": (0, AFTERNOON),
        "ແລງນີ້": (0, EVENING),
        "ຄືນນີ້": (0, NIGHT),
    },
    "pa": {
        "ਪਰਸੋਂ": (2, None),
        "ਪਰਸੋ": (2, None),
        "ਕੱਲ੍ਹ": (1, None),
        "ਕੱਲ": (1, None),
        "ਕਲ੍ਹ": (1, None),
        "ਕਲ": (1, None),
        "ਬੀਤੀ ਰਾਤ": (1, NIGHT),
        "ਅੱਜ": (0, None),
        "ਅਜ": (0, None),
    },
}

# "N days ago": a pattern with one number group (NUM is put in by dates.py).
DAYS_AGO: dict[str, list[str]] = {
    "en": [r"{NUM}\s*days?\s*ago", r"{NUM}\s*dayz\s*ago"],
    "es": [r"hace\s*{NUM}\s*dias?", r"{NUM}\s*dias?\s*atras"],
    "tl": [r"{NUM}\s*(?:na\s*)?araw\s*(?:na\s*)?(?:ang\s*)?(?:nakalipas|nakaraan|ago)"],
    "vi": [r"{NUM}\s*(?:ngay|hom|bua)\s*(?:truoc|trc)"],
    "zh": [r"{NUM}\s*(?:天|日)\s*(?:前|之前|以前)"],
    "km": [r"{NUM}\s*ថ្ងៃ\s*(?:មុន|កន្លងទៅ)"],
    "hmn": [r"{NUM}\s*hnub\s*(?:dhau los|tas los|ua ntej|dhau mus)"],
    "lo": [r"{NUM}\s*ມື້\s*(?:ກ່ອນ|ຜ່ານມາ|ທີ່ຜ່ານມາ)"],
    "pa": [r"{NUM}\s*ਦਿਨ\s*(?:ਪਹਿਲਾਂ|ਪਹਿਲਾ|ਪਹਿਲੇ)"],
}

# Day parts said with a clock time ("4 in the afternoon") or a day ("yesterday evening").
PARTS: dict[str, dict[str, str]] = {
    "en": {
        "in the morning": MORNING,
        "morning": MORNING,
        "early morning": EARLY,
        "noon": NOON,
        "midday": NOON,
        "in the afternoon": AFTERNOON,
        "afternoon": AFTERNOON,
        "in the evening": EVENING,
        "evening": EVENING,
        "at night": NIGHT,
        "night": NIGHT,
        "nite": NIGHT,
        "midnight": MIDNIGHT,
    },
    "es": {
        "de la manana": MORNING,
        "en la manana": MORNING,
        "por la manana": MORNING,
        "madrugada": EARLY,
        "de la madrugada": EARLY,
        "mediodia": NOON,
        "de la tarde": AFTERNOON,
        "en la tarde": AFTERNOON,
        "por la tarde": AFTERNOON,
        "tarde": AFTERNOON,
        "de la noche": NIGHT,
        "en la noche": NIGHT,
        "por la noche": NIGHT,
        "noche": NIGHT,
        "medianoche": MIDNIGHT,
    },
    "tl": {
        "ng umaga": MORNING,
        "umaga": MORNING,
        "madaling araw": EARLY,
        "ng madaling araw": EARLY,
        "tanghali": NOON,
        "ng tanghali": NOON,
        "ng hapon": AFTERNOON,
        "hapon": AFTERNOON,
        "ng gabi": NIGHT,
        "gabi": NIGHT,
        "hatinggabi": MIDNIGHT,
    },
    "vi": {
        "sang": MORNING,
        "buoi sang": MORNING,
        "trua": NOON,
        "buoi trua": NOON,
        "chieu": AFTERNOON,
        "buoi chieu": AFTERNOON,
        "toi": EVENING,
        "buoi toi": EVENING,
        "dem": NIGHT,
        "khuya": NIGHT,
        "nua dem": MIDNIGHT,
    },
    "zh": {
        "早上": MORNING,
        "上午": MORNING,
        "早晨": MORNING,
        "朝早": MORNING,
        "凌晨": EARLY,
        "中午": NOON,
        "下午": AFTERNOON,
        "晏晝": AFTERNOON,
        "晏昼": AFTERNOON,
        "傍晚": EVENING,
        "晚上": EVENING,
        "夜晚": NIGHT,
        "夜里": NIGHT,
        "夜裡": NIGHT,
        "夜晚黑": NIGHT,
        "晚黑": EVENING,
        "半夜": MIDNIGHT,
    },
    "km": {
        "ព្រឹក": MORNING,
        "ថ្ងៃត្រង់": NOON,
        "រសៀល": AFTERNOON,
        "ល្ងាច": EVENING,
        "យប់": NIGHT,
        "អាធ្រាត្រ": MIDNIGHT,
        "កណ្តាលអាធ្រាត្រ": MIDNIGHT,
    },
    "hmn": {
        "sawv ntxov": MORNING,
        "tav su": AFTERNOON,
        "yav tav su": AFTERNOON,
        "tsaus ntuj": EVENING,
        "yav tsaus ntuj": EVENING,
        "hmo ntuj": NIGHT,
        "ib tag hmo": MIDNIGHT,
    },
    "lo": {
        "ຕອນເຊົ້າ": MORNING,
        "ເຊົ້າ": MORNING,
        "ທ່ຽງຄືນ": MIDNIGHT,
        "ທ່ຽງ": NOON,
        "ຕອນບ່າຍ": AFTERNOON,
        "ບ່າຍ": AFTERNOON,
        "ຕອນແລງ": EVENING,
        "ແລງ": EVENING,
        "ຄ່ຳ": EVENING,
        "ກາງຄືນ": NIGHT,
        "ຕອນເດິກ": EARLY,
    },
    "pa": {
        "ਸਵੇਰੇ": MORNING,
        "ਸਵੇਰ": MORNING,
        "ਦੁਪਹਿਰੇ": AFTERNOON,
        "ਦੁਪਹਿਰ": AFTERNOON,
        "ਸ਼ਾਮੀਂ": EVENING,
        "ਸ਼ਾਮ": EVENING,
        "ਰਾਤੀਂ": NIGHT,
        "ਰਾਤ": NIGHT,
        "ਅੱਧੀ ਰਾਤ": MIDNIGHT,
    },
}

# Numbers written as words, for hours ("a las tres", "alas siyete", "三点", "ម៉ោងប្រាំពីរ").
NUMBERS: dict[str, dict[str, int]] = {
    "en": _counted("one,two,three,four,five,six,seven,eight,nine,ten,eleven,twelve"),
    "es": _counted("una|uno,dos,tres,cuatro,cinco,seis,siete,ocho,nueve,diez,once,doce"),
    "tl": _counted(
        "una|isa,dos|dalawa,tres|tatlo,kwatro|kuwatro,singko|sinko,sais,siyete|syete,otso,nuwebe|nwebe,diyes,onse,dose"
    ),
    "vi": _counted("mot,hai,ba,bon,nam,sau,bay,tam,chin,muoi"),
    "zh": _counted("一,两|兩|二,三,四,五,六,七,八,九,十,十一,十二"),
    "km": _counted("មួយ,ពីរ,បី,បួន,ប្រាំ,ប្រាំមួយ,ប្រាំពីរ,ប្រាំបី,ប្រាំបួន,ដប់,ដប់មួយ,ដប់ពីរ"),
    "hmn": _counted("ib,ob,peb,plaub,tsib,rau,xya,yim,cuaj,kaum,kaum ib,kaum ob"),
    "lo": _counted("ໜຶ່ງ|ນຶ່ງ,ສອງ,ສາມ,ສີ່,ຫ້າ,ຫົກ,ເຈັດ,ແປດ,ເກົ້າ,ສິບ,ສິບເອັດ,ສິບສອງ"),
    "pa": _counted("ਇੱਕ|ਇਕ,ਦੋ,ਤਿੰਨ,ਚਾਰ,ਪੰਜ,ਛੇ,ਸੱਤ,ਅੱਠ,ਨੌਂ|ਨੌ,ਦਸ,ਗਿਆਰਾਂ,ਬਾਰਾਂ"),
}

# After a number, words that make it a count ("about 3 officers", "after 2 hours"), not a time.
_NOT_A_COUNT = (
    r"(?!\s*(?:officers?|cops?|police|guys|men|women|people|persons?|hours?|hrs?|minutes?|mins?|times|days?|"
    r"weeks?|months?|years?|yrs?|cars?|units?|of|more|other|kids?|blocks?|feet|ft|miles?|[0-9]))"
)
# Clock times: patterns with the named groups h (hour), m (minutes), half (":30"), ap ("am"/"pm"),
# part (a day part tied to the clock, e.g. Lao "ບ່າຍ 3 ໂມງ"), thum (Lao night hours: 1 ທຸ່ມ = 19:00).
# NUM stands for digits or a number word; a bare number is never read as a time.
CLOCK_ANY = [
    r"(?P<h>\d{1,2}):(?P<m>\d{2})\s*(?P<ap>a\.?\s?m\.?|p\.?\s?m\.?)?",
    r"(?P<h>\d{1,2})\s*(?P<ap>am|pm|a\.m\.|p\.m\.|a\.m|p\.m)(?![a-z])",
    r"(?P<h>\d{1,2})\s*(?P<ap>a|p)(?![a-z0-9])",
]
CLOCKS: dict[str, list[str]] = {
    "en": [
        r"(?:at|around|about|after|before|by|like|bout|abt|approx|approximately|~|@|til|until|past)\s*(?P<h>{NUM})"
        r"(?:\s*(?:o'?clock|oclock|ish))?" + _NOT_A_COUNT,
        r"(?P<h>{NUM})\s*(?:o'?clock|oclock|ish)",
        r"(?P<h>{NUM})\s*(?:in the|at)\s*(?=morning|afternoon|evening|night)",
    ],
    "es": [
        r"(?:a las|a la|las|la|tipo|como a las|eso de las|despues de las|antes de las|pasadas las)\s*(?P<h>{NUM})"
        r"(?:\s*y\s*(?:(?P<half>media)|(?P<m>\d{1,2})))?",
        r"(?P<h>{NUM})\s*(?=de la|en la|por la)",
    ],
    "tl": [
        r"alas[\s\-]*(?P<h>{NUM})(?:\s*y\s*(?P<half>medya|media))?(?:\s*(?:na|ng))?",
        r"(?P<h>{NUM})\s*(?=ng\s*(?:umaga|hapon|gabi|tanghali|madaling))",
    ],
    "vi": [
        r"(?P<h>{NUM})\s*(?:gio|g|h)(?:\s*(?:(?P<half>ruoi)|(?P<m>\d{1,2})(?:\s*phut|p)?))?(?![a-z])",
        r"(?:luc|khoang|tam|sau|truoc)\s*(?P<h>\d{1,2})(?!\d)",
    ],
    "zh": [r"(?P<h>{NUM})\s*(?:点|點|时|時)(?:\s*(?:(?P<half>半)|(?P<m>\d{1,2})\s*分?))?"],
    "km": [
        r"ម៉ោង\s*(?P<h>{NUM})(?:\s*(?:(?P<half>កន្លះ)|[:.]\s*(?P<m>\d{2})|និង\s*(?P<m2>\d{1,2})\s*នាទី))?",
        r"(?P<h>{NUM})\s*ម៉ោង",
    ],
    "hmn": [r"(?P<h>{NUM})\s*teev(?:\s*(?:(?P<half>ib nrab)|(?P<m>\d{1,2})\s*feeb))?"],
    "lo": [
        r"(?P<part>ບ່າຍ)\s*(?P<h>{NUM})\s*ໂມງ(?:\s*(?P<half>ເຄິ່ງ))?",
        r"(?P<h>{NUM})\s*ໂມງ(?:\s*(?P<half>ເຄິ່ງ))?",
        r"(?P<thum>{NUM})\s*ທຸ່ມ",
        r"ຕີ\s*(?P<h>{NUM})",
    ],
    "pa": [
        r"(?P<half>ਸਾਢੇ)\s*(?P<h>{NUM})(?:\s*ਕੁ)?\s*ਵਜੇ",
        r"(?P<h>{NUM})(?:\s*ਕੁ)?\s*(?:ਵਜੇ|ਵੱਜੇ|ਵਜੇ|ਵਜ)",
        r"(?P<h>\d{1,2})\s*ਕੁ(?=\s)",
    ],
}

# Weekdays, Monday = 0 (the last such day, today included). NOTE: no "sat", "sun", "wed" or "mon":
# English words of their own, and Vietnamese "sát" (cảnh sát, police) folds to "sat".
WEEKDAYS: dict[str, dict[str, int]] = {
    "en": _counted("monday,tuesday|tues|tue,wednesday,thursday|thurs|thu,friday|fri,saturday,sunday", start=0),
    "es": _counted("lunes,martes,miercoles,jueves,viernes,sabado,domingo", start=0),
    "tl": _counted("lunes,martes,miyerkules,huwebes,biyernes,sabado,linggo", start=0),
    "vi": _counted(
        "thu hai|thu 2|t2,thu ba|thu 3|t3,thu tu|thu 4|t4,thu nam|thu 5|t5,thu sau|thu 6|t6,thu bay|thu 7|t7,chu nhat|cn",
        start=0,
    ),
    "zh": _counted(
        "星期一|周一|週一|礼拜一|禮拜一,星期二|周二|週二|礼拜二|禮拜二,星期三|周三|週三|礼拜三|禮拜三,星期四|周四|週四|礼拜四|禮拜四,星期五|周五|週五|礼拜五|禮拜五,星期六|周六|週六|礼拜六|禮拜六,星期日|星期天|礼拜日|礼拜天|禮拜日|禮拜天|周日|週日",
        start=0,
    ),
    "km": _counted("ថ្ងៃច័ន្ទ,ថ្ងៃអង្គារ,ថ្ងៃពុធ,ថ្ងៃព្រហស្បតិ៍,ថ្ងៃសុក្រ,ថ្ងៃសៅរ៍,ថ្ងៃអាទិត្យ", start=0),
    "hmn": _counted("hnub ib,hnub ob,hnub peb,hnub plaub,hnub tsib,hnub rau,hnub xya|hnub cuag", start=0),
    "lo": _counted("ວັນຈັນ,ວັນອັງຄານ,ວັນພຸດ,ວັນພະຫັດ,ວັນສຸກ,ວັນເສົາ,ວັນອາທິດ", start=0),
    "pa": _counted("ਸੋਮਵਾਰ,ਮੰਗਲਵਾਰ,ਬੁੱਧਵਾਰ|ਬੁਧਵਾਰ,ਵੀਰਵਾਰ,ਸ਼ੁੱਕਰਵਾਰ|ਸ਼ੁਕਰਵਾਰ,ਸ਼ਨੀਵਾਰ|ਸ਼ਨਿੱਚਰਵਾਰ,ਐਤਵਾਰ", start=0),
}

# Month names, January = 1, for "15 de noviembre", "Nov 15", "ថ្ងៃទី15 ខែវិច្ឆិកា", "15 ਨਵੰਬਰ".
MONTHS: dict[str, dict[str, int]] = {
    "en": _counted(
        "january|jan,february|feb,march|mar,april|apr,may,june|jun,july|jul,august|aug,september|sept|sep,october|oct,november|nov,december|dec"
    ),
    "es": _counted("enero,febrero,marzo,abril,mayo,junio,julio,agosto,septiembre,octubre,noviembre,diciembre"),
    "tl": _counted("enero,pebrero,marso,abril,mayo,hunyo,hulyo,agosto,setyembre,oktubre,nobyembre,disyembre"),
    "km": _counted("មករា,កុម្ភៈ,មីនា,មេសា,ឧសភា,មិថុនា,កក្កដា,សីហា,កញ្ញា,តុលា,វិច្ឆិកា,ធ្នូ"),
    "lo": _counted("ມັງກອນ,ກຸມພາ,ມີນາ,ເມສາ,ພຶດສະພາ,ມິຖຸນາ,ກໍລະກົດ,ສິງຫາ,ກັນຍາ,ຕຸລາ,ພະຈິກ,ທັນວາ"),
    "pa": _counted("ਜਨਵਰੀ,ਫ਼ਰਵਰੀ|ਫਰਵਰੀ,ਮਾਰਚ,ਅਪ੍ਰੈਲ|ਅਪਰੈਲ,ਮਈ,ਜੂਨ,ਜੁਲਾਈ,ਅਗਸਤ,ਸਤੰਬਰ,ਅਕਤੂਬਰ,ਨਵੰਬਰ,ਦਸੰਬਰ"),
}

# Numeric dates: "D/M" where the language writes the day first, "M/D" elsewhere (US English, Tagalog, Hmong).
DAY_FIRST = {"es", "vi", "km", "lo", "pa"}
# Dates written with words around the numbers: named groups d, m (a number or a month name), y.
DATE_PATTERNS: dict[str, list[str]] = {
    "en": [
        r"(?<![a-z])the\s*(?P<d>\d{1,2})(?:st|nd|rd|th)(?!\s*(?:of\s*)?(?:{MONTH}))",
        r"(?P<m>{MONTH})\.?\s*(?P<d>\d{1,2})(?:st|nd|rd|th)?",
        r"(?P<d>\d{1,2})(?:st|nd|rd|th)?\s*(?:of\s*)?(?P<m>{MONTH})",
    ],
    "es": [r"(?P<d>\d{1,2})\s*(?:de\s*)?(?P<m>{MONTH})", r"(?P<m>{MONTH})\s*(?P<d>\d{1,2})"],
    "tl": [r"(?P<m>{MONTH})\s*(?P<d>\d{1,2})", r"(?P<d>\d{1,2})\s*(?:ng\s*)?(?P<m>{MONTH})"],
    "vi": [r"(?:ngay\s*)?(?P<d>\d{1,2})\s*thang\s*(?P<m>\d{1,2})", r"ngay\s*(?P<d>\d{1,2})\s*[/\-]\s*(?P<m>\d{1,2})"],
    "zh": [r"(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*(?:日|号|號)?"],
    "km": [r"ថ្ងៃទី\s*(?P<d>\d{1,2})\s*(?:ខែ\s*)?(?P<m>{MONTH}|\d{1,2})"],
    "hmn": [r"hnub tim\s*(?P<d>\d{1,2})(?:\s*lub\s*(?P<m>\d{1,2})\s*hli)?"],
    "lo": [r"ວັນທີ\s*(?P<d>\d{1,2})\s*(?:ເດືອນ\s*)?(?P<m>{MONTH}|\d{1,2})?"],
    "pa": [r"(?P<d>\d{1,2})\s*(?P<m>{MONTH})"],
}
