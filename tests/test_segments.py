"""Every text Heard sends fits its segment budget, counted the way Twilio counts.

A text is GSM-7 when every character is in the GSM 03.38 alphabet (an extension character
such as € or [ costs two septets and is never split across segments); otherwise the whole
text goes as UCS-2, where a character outside the Basic Multilingual Plane (an emoji, some
CJK) is a surrogate pair of two units that is never split either. One segment holds 160
septets or 70 units; a text of several holds 153 or 67 in each. Twilio concatenates ten,
but carriers may split or drop long ones: Heard's budget is four, and a longer reply goes
as several texts in order, each of whole sentences (issue 15).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from intake.conversations import segments

LOCALES = Path(__file__).resolve().parent.parent / "locales"
LANGUAGES = ["en", "es", "tl", "vi", "zh", "zh_Hant", "km", "hmn", "lo", "pa"]
# The catalogs of what is texted: the dialogue and the channels (the web pages are not texts).
TEXTED_DOMAINS = ["bot", "messages"]
BUDGET = 4

GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = set("^{}\\[~]|€\f")
# Where a sentence ends, in the nine languages' scripts (Khmer ។, Gurmukhi ।, CJK 。).
SENTENCE_END = re.compile(r"([.!?。！？។៕।॥:]|[.!?][)”\"」»]|\))$")


def twilio_segments(text: str) -> int:
    """Count segments as Twilio does, packing characters so none is split across two segments."""
    if all(c in GSM_BASIC or c in GSM_EXTENSION for c in text):
        sizes, single, multi = [2 if c in GSM_EXTENSION else 1 for c in text], 160, 153
    else:
        sizes, single, multi = [len(c.encode("utf-16-le")) // 2 for c in text], 70, 67
    if sum(sizes) <= single:
        return 1
    segments, used = 1, 0
    for size in sizes:
        if used + size > multi:
            segments, used = segments + 1, 0
        used += size
    return segments


def test_the_counter_counts_like_twilio():
    assert twilio_segments("a" * 160) == 1 and twilio_segments("a" * 161) == 2
    assert twilio_segments("€" * 80) == 1 and twilio_segments("€" * 81) == 2  # two septets each
    assert twilio_segments("a" * 152 + "€" + "a" * 152) == 3  # 306 septets, but the € is not split
    assert twilio_segments("á" * 70) == 1 and twilio_segments("á" * 71) == 2  # á is not GSM: UCS-2
    assert twilio_segments("😀" * 35) == 1 and twilio_segments("😀" * 36) == 2  # surrogate pairs
    assert twilio_segments("a" * 66 + "😀" + "a" * 66) == 3  # 134 units, but the pair is kept whole
    assert twilio_segments("ខ" * 134) == 2 and twilio_segments("ខ" * 135) == 3


def _values(language: str) -> dict[str, str]:
    """Realistic values for every placeholder the texted catalogs use, as long as real ones get."""
    from bot.actions import i18n

    script = "Hant" if language == "zh_Hant" else None
    lang = "zh" if language == "zh_Hant" else language
    i18n.use_chinese_script(script)
    try:
        date = i18n.format_day(lang, dt.datetime(2026, 11, 15, 21, 30))  # noqa: DTZ001  (a wall-clock day)
        statuses = [i18n.t(lang, s) for s in _status_names()]
    finally:
        i18n.use_chinese_script(None)
    return {
        "tracking_number": "482-193-7703",
        "number": "482-193-7703",
        "digits": "4 8 2, 1 9 3, 7 7 0 3",
        "pin": "565585",
        "phone": "(209) 555-0100",
        "last_digits": "0142",
        "date": date,
        "status": max(statuses, key=len),
        "count": "3",
        "size": "25",
        "answer": "the corner of Main Street and Hunter Street, by the gas station",
        "finding": max(_findings(language), key=len),
        "code": "K7PM-3QXD",
        "url": "https://report.heard.example.gov/report/resume?lang=zh-Hant",
    }


def _findings(language: str) -> list[str]:
    """The dispositions in plain words that a closing update says, in ``language``."""
    from webhooks.i18n import _translations
    from webhooks.updates import FINDINGS

    return [_translations(language).gettext(finding) for finding in FINDINGS.values()]


def _status_names() -> list[str]:
    from bot.actions.actions import STATUS_NAMES

    return list(STATUS_NAMES.values())


def _texts(domain: str, language: str) -> list[tuple[str, str]]:
    with (LOCALES / language / "LC_MESSAGES" / f"{domain}.po").open("rb") as handle:
        catalog = read_po(handle)
    values = _values(language)
    texts = []
    for message in catalog:
        if not message.id or message.context:  # keyword lists are read, never sent
            continue
        template = message.string if language != "en" else message.id
        template = template or message.id
        if isinstance(template, tuple):
            template = template[0]
        texts.append((message.id, template.format(**values) if "{" in template else template))
    return texts


def _problems(text: str) -> list[str]:
    parts = segments.split_reply(text)
    problems = []
    for number, part in enumerate(parts, 1):
        if twilio_segments(part) > BUDGET:
            problems.append(f"text {number} of {len(parts)} is {twilio_segments(part)} segments")
        if len(parts) > 1 and not SENTENCE_END.search(part):
            problems.append(f"text {number} of {len(parts)} ends mid-sentence: …{part[-20:]!r}")
        if segments.segment_count(part) != twilio_segments(part):
            problems.append(f"Heard counts {segments.segment_count(part)} segments, Twilio {twilio_segments(part)}")
    if re.sub(r"\s+", "", "".join(parts)) != re.sub(r"\s+", "", text):
        problems.append("the texts do not add up to the reply")
    return problems


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("domain", TEXTED_DOMAINS)
def test_every_message_goes_out_in_texts_within_the_budget(domain, language):
    problems = [f"{msgid[:50]!r}: {p}" for msgid, text in _texts(domain, language) for p in _problems(text)]
    assert not problems, f"{domain}/{language}: {problems[:6]}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_opening_notice_privacy_and_first_question_arrive_as_whole_texts_within_the_budget(language):
    """The first turn says who runs Heard, the privacy and language note, then asks: joined, as the channel does."""
    from bot.actions import actions, common, i18n

    lang = "zh" if language == "zh_Hant" else language
    i18n.use_chinese_script("Hant" if language == "zh_Hant" else None)
    try:
        said = [
            i18n.t(lang, common.NOTICE),
            common.language_notice(lang),
            i18n.t(lang, actions.QUESTIONS["narrative"]),
        ]
    finally:
        i18n.use_chinese_script(None)
    turn = "\n\n".join(said)
    assert not _problems(turn), (language, _problems(turn))
    parts = segments.split_reply(turn)
    assert parts[-1].endswith(said[-1].strip()[-10:])  # the question comes last, as the last thing read
    assert len(parts) <= 3, [twilio_segments(p) for p in parts]


def test_a_long_reply_is_split_between_sentences_and_a_sentence_too_long_between_words():
    sentence = "Ang opisinang tumatanggap ng mga report ang magbabasa ng bawat report ninyo po. "
    parts = segments.split_reply(sentence * 12)
    assert len(parts) > 1 and all(twilio_segments(p) <= BUDGET and p.endswith("po.") for p in parts)
    khmer = "ខ្ញុំ" * 400  # no space, no full stop: cut where it must, still within the budget
    assert all(twilio_segments(p) <= BUDGET for p in segments.split_reply(khmer))
    emoji = "🙂" * 300
    assert all(twilio_segments(p) <= BUDGET for p in segments.split_reply(emoji))
