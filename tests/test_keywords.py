"""Opt-out words never catch a resident's answer, and the cancel question never uses them.

A localized opt-out word is matched on the whole message before the dialogue sees it. So it
must not be a word the dialogue asks residents to send (yes, no, done, skip, language, the
capitalised reply words of its questions), nor a common given name: Vietnamese "DUNG" was the
name Dũng and the answer "đúng", and opted out a resident who gave their name (issue 15).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from intake.conversations import keywords

LOCALES = Path(__file__).resolve().parent.parent / "locales"
LANGUAGES = ["es", "tl", "vi", "zh", "km", "hmn", "lo", "pa"]
STOP = keywords.LOCALIZED_KEYWORDS["stop"]

# Common given names and short names residents answer "What is your name?" with, per language,
# written as residents text them (often without accents, which the matching strips anyway).
COMMON_NAMES = {
    "es": "Alma Angel Blanca Cruz Dolores Luz Paz Rosa Santos Sol Jesus Maria Jose Pilar Reyes Leal",
    "tl": "Ligaya Tala Mahal Dalisay Bituin Hiraya Joy Angel Jun Boy Nene Bong Ding Ato Tino Totoy",
    "vi": "Dung Dũng Hung Hùng Tuan Tuấn Linh Lan Anh Minh Nam Hoa Mai Thanh Hai Son Long Phuc Duc Trung "
    "Huy Hai Ngoc Thu Thuy Trang Hang Hanh Nga Nhung Ngan Tam Tien Binh Bao Vy Dang Dao Dinh Duong Dong",
    "zh": "伟 芳 娜 敏 静 丽 强 磊 军 洋 勇 艳 杰 涛 明 超 秀英 华 平 刚 桂英",
    "km": "សុខ សៅ ចាន់ ស្រីពៅ ស្រីនាង ធីតា វណ្ណា សុភា ដារ៉ា បុប្ផា ពៅ មុំ គឹមហុង",
    "hmn": "Nou Pa Mai Tou Kou Pao Chia Yer Neng Txhiaj Tswb Ntxawg Nkauj Nraug Vang Xiong Yang Lee Moua Her",
    "lo": "ສົມ ບຸນ ແກ້ວ ຄຳ ນ້ອຍ ຈັນ ສີ ພອນ ດາວ ມະນີ ຕຸ້ຍ ແດງ",
    "pa": "ਗੁਰਪ੍ਰੀਤ ਹਰਪ੍ਰੀਤ ਮਨਪ੍ਰੀਤ ਜਸਪ੍ਰੀਤ ਅਮਨ ਸਿਮਰਨ ਰਾਜ ਸੰਦੀਪ ਬਲਜੀਤ ਕੁਲਦੀਪ ਹਰਜੀਤ ਪ੍ਰੀਤ ਸੁਖ ਬੰਤ",
}
# The verbs of stopping that the cancel question and its replies must not use: a resident who
# echoes the question's verb would be taken as opting out of all texts.
STOP_VERBS = {
    "es": ["parar", "detener", "alto"],
    "tl": ["tigil", "hinto"],
    "vi": ["dừng", "ngừng"],
    "zh": ["停止"],
    "km": ["ឈប់"],
    "hmn": ["nres", "tso tseg"],
    "lo": ["ຢຸດ"],
    "pa": ["ਰੋਕ", "ਬੰਦ"],
}
# The dialogue's cancel question and what it says after a cancel.
CANCEL_MESSAGES = [
    "Do you want to discard this report? Nothing will be sent. Reply YES to discard it or NO to go on.",
    "Your report was discarded and nothing was sent. You can start again at any time.",
    "All right, we will leave it there.",
    "There is nothing in progress to discard.",
]


def _catalog(language: str, domain: str = "bot"):
    with (LOCALES / language / "LC_MESSAGES" / f"{domain}.po").open("rb") as handle:
        return read_po(handle)


def _words_the_bot_asks_for(language: str) -> set[str]:
    """The keyword lists the dialogue reads, and the words its questions tell residents to reply."""
    words: set[str] = set()
    for lang in (language, "en"):
        for message in _catalog(lang):
            text = message.string if lang != "en" else message.id
            if not isinstance(text, str) or not text:
                continue
            if message.context == "keywords":
                words |= {w for w in text.split("|") if w}
                continue
            words |= {w for w in re.findall(r"\b[^\W\d_a-z]{2,}\b", text) if w.upper() == w and w.lower() != w}
            words |= set(re.findall(r"[“\"«「]([^”\"»」]{1,30})[”\"»」]", text))
    return {keywords._fold(w) for w in words}


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_opt_out_word_is_a_word_the_bot_asks_for(language):
    asked = _words_the_bot_asks_for(language)
    clashes = sorted(w for w in STOP[language] if keywords._fold(w) in asked)
    assert not clashes, f"{language} opt-out words the dialogue also asks residents to send: {clashes}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_opt_out_word_is_a_common_name(language):
    names = {keywords._fold(n) for n in COMMON_NAMES[language].split()}
    clashes = sorted(w for w in STOP[language] if keywords._fold(w) in names)
    assert not clashes, f"{language} opt-out words that are also names: {clashes}"


def test_a_vietnamese_resident_named_dung_is_not_opted_out_by_their_name():
    for name in ("Dung", "Dũng", "DUNG", "dũng", "Đúng"):
        assert keywords.classify_keyword(name) is None, name
    assert keywords.classify_keyword("Ngừng").action == "stop"


@pytest.mark.parametrize("language", [*LANGUAGES, "zh_Hant"])
def test_the_cancel_question_uses_a_cancel_verb_not_the_stop_verb(language):
    catalog = _catalog(language)
    verbs = STOP_VERBS["zh" if language == "zh_Hant" else language]
    for msgid in CANCEL_MESSAGES:
        text = catalog.get(msgid).string
        assert text, (language, msgid)
        used = [v for v in verbs if v.lower() in text.lower()]
        assert not used, f"{language}: {text!r} uses {used}"


def test_the_english_carrier_keywords_are_exactly_twilios():
    # NOTE: Twilio's Advanced Opt-Out defaults; Twilio answers these itself and Heard must match them.
    assert {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"} == keywords.STOP_WORDS
    assert {"START", "UNSTOP"} == keywords.START_WORDS
    assert {"HELP", "INFO"} == keywords.HELP_WORDS
    assert "cancel" not in " ".join(CANCEL_MESSAGES).lower()  # CANCEL is a carrier opt-out word
