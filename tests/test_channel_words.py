"""Words that fit the channel: a caller is told what to say or press, a TTY user what to type (issue 15).

Every message a call can hear (the dialogue's texts as ``i18n.t`` words them for ``voice``, and
the voice webhook's own prompts) is rendered in every language with realistic values, and
fails on a texting instruction. Every message a TTY call can read (always English: Baudot has
no accents) fails on one too, and keeps TTY etiquette (GA ends a turn, SK the call).

How the lists of texting words are built: from each catalog's own SMS wording of the texts that
tell a resident to text ("Reply YES", "type another number", "Text STATUS", "send photos by
text message", "the number you are writing from", "in as many messages as you need"), the verbs
(as stems or whole words) the translation uses for reply, write, type, text and send. Left out
on purpose: verbs that mean "answer" as well as "reply" (vi trả lời, km ឆ្លើយ, lo ຕອບ, hmn teb,
es conteste), which are natural on the phone; and "send" where it is what a caller does with
their report ("say YES to send it") or what Heard does ("we sent it"): only its texting senses
(send photos, messages, "send it now") are listed. ``test_every_texting_word_is_one_the_catalogs_use``
keeps the lists honest: each entry must match the SMS wording of some text in its language, so
no entry is a guess, and a word a translator starts using for texting is added here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from bot.actions import i18n, spoken
from tests.test_segments import _values
from webhooks import i18n as channel_i18n
from webhooks.tty import stream
from webhooks.twilio import voice

LOCALES = Path(__file__).resolve().parent.parent / "locales"
LANGUAGES = ["en", "es", "tl", "vi", "zh", "zh_Hant", "km", "hmn", "lo", "pa"]

ENGLISH = [
    r"\brepl(y|ies)\b",
    r"\btext (us|status|it)\b",
    r"\bwrit(e|es|ing)\b",
    r"\btyp(e|ed|ing)\b",
    r"\bsend (it now|photos|us)\b",
    r"\bmessages\b",
    r"\bwhat you sent\b",
]
# NOTE: English loanwords (tl "i-reply", hmn "text") are caught by ENGLISH, applied to every language.
TEXTING: dict[str, list[str]] = {
    "en": [],
    "es": [r"escrib", r"\bm[aá]nd[aeoó]", r"\brespond(a|an|er)\b"],
    "tl": [r"\b(i|paki)-?reply", r"\b(mag|i|nagte|magte)-?text\b", r"\b(i|paki|mag)-?type\b", r"\bmagpadala\b"],
    "vi": [r"(?<!tin )nhắn", r"\bgửi (tiếp|hình|bao)", r"\bnhập\b"],
    "zh": ["回复", "发短信", "用短信发送", "输入", "发送照片", r"消息发"],
    "zh_Hant": ["回覆", "發短訊", "用短訊發送", "輸入", "發送照片", r"訊息發"],
    "km": ["ផ្ញើ", "សរសេរ", "វាយ"],
    "hmn": [r"\bsau\b", r"\bntaus\b", r"\bxa tuaj\b", r"\bxa ntau zaus\b", r"\bxa tau duab\b"],
    "lo": ["ພິມ", "ຂຽນ", "ສົ່ງມາ", "ສົ່ງຂໍ້ຄວາມ", "ສົ່ງຮູບ"],
    "pa": ["ਲਿਖ", "ਭੇਜੋ", "ਭੇਜ ਦਿਓ", "ਮੈਸੇਜ ਭੇਜ"],
}
# Voice prompts that name a text message because Heard sends one, never asking the caller to text.
HEARD_TEXTS = {voice.SMS_OFFER, voice.SMS_SENT}
# What a TTY call must never read: texting, photos, or replies (a TTY user types).
TTY_TEXTING = [*ENGLISH, r"\bphotos?\b", r"\bby text\b"]
TRACKING_EXAMPLE = re.compile(r"\d{3}-\d{3}-\d{4}")


def _patterns(language: str) -> list[re.Pattern[str]]:
    return [re.compile(p, re.IGNORECASE) for p in ENGLISH + TEXTING[language]]


def _bot_messages() -> list[str]:
    with (LOCALES / "bot.pot").open("rb") as handle:
        return [m.id for m in read_po(handle) if m.id and not m.context]


def _render_bot(language: str, msgid: str, channel: str | None) -> str:
    values = _values(language)
    i18n.use_channel(channel)
    i18n.use_chinese_script("Hant" if language == "zh_Hant" else None)
    try:
        return i18n.t("zh" if language == "zh_Hant" else language, msgid, **values)
    finally:
        i18n.use_channel(None)
        i18n.use_chinese_script(None)


def _voice_prompts() -> list[str]:
    """The voice webhook's own prompts that are translated (RECEIPT_SMS is a text, not a prompt)."""
    with (LOCALES / "messages.pot").open("rb") as handle:
        msgids = {m.id for m in read_po(handle) if m.id}
    return [
        value
        for name, value in vars(voice).items()
        if name.isupper() and isinstance(value, str) and value in msgids and name != "RECEIPT_SMS"
    ]


def _render_channel(language: str, msgid: str) -> str:
    return channel_i18n.t(
        "zh" if language == "zh_Hant" else language,
        msgid,
        writing="請問這裡" if language == "zh_Hant" else "",
        **_values(language),
    )


def _texting(language: str, text: str) -> list[str]:
    return [p.pattern for p in _patterns(language) if p.search(text)]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_caller_is_never_told_to_text_write_or_reply(language):
    problems = []
    for msgid in _bot_messages():
        said = _render_bot(language, msgid, "voice")
        if _texting(language, said):
            problems.append(f"bot {msgid[:50]!r} -> {said[:80]!r}: {_texting(language, said)}")
        if TRACKING_EXAMPLE.search(said) and "{tracking_number}" not in msgid:
            problems.append(f"bot {msgid[:50]!r}: an example number reads as a filed report's: {said[:80]!r}")
    for msgid in _voice_prompts():
        said = _render_channel(language, msgid)
        if msgid not in HEARD_TEXTS and _texting(language, said):
            problems.append(f"voice {msgid[:50]!r} -> {said[:80]!r}: {_texting(language, said)}")
    assert not problems, f"{language}: {len(problems)} texting words on a call:\n" + "\n".join(problems)


def test_the_english_only_voice_words_say_what_to_say_or_press():
    english = [
        voice.WELCOME,
        *voice.MENU_OPTION.values(),
        voice.TTY_OPTION,
        voice.MENU_REPEAT,
        voice.RECORD_IN_LANGUAGE,
        voice.RECORDED_RECEIPT,
    ]
    # NOTE: TTY_OPTION says "start typing": it speaks to a TTY user, whose device types.
    assert [text for text in english if text != voice.TTY_OPTION and _texting("en", text)] == []


def test_a_tty_call_reads_what_to_type_never_to_text():
    problems = []
    patterns = [re.compile(p, re.IGNORECASE) for p in TTY_TEXTING]
    for msgid in _bot_messages():
        typed = _render_bot("en", msgid, "tty")
        # "type" is what a TTY user does; the English list's typing words are not texting here.
        found = [p.pattern for p in patterns if p.search(typed) and "typ" not in p.pattern]
        if found:
            problems.append(f"{msgid[:50]!r} -> {typed[:80]!r}: {found}")
    for text in (stream.GREETING, stream.UNAVAILABLE, stream.NO_ANSWER, stream.GOODBYE):
        found = [p.pattern for p in patterns if p.search(text) and "typ" not in p.pattern]
        if found:
            problems.append(f"{text[:60]!r}: {found}")
    assert not problems, "\n".join(problems)


def test_tty_etiquette_ga_ends_a_turn_and_sk_the_call():
    assert stream.UNAVAILABLE.endswith(" GA") and stream.NO_ANSWER.endswith(" GA")
    assert stream.GOODBYE.endswith("SK SK")
    assert "GA" in stream.GREETING and "SK" in stream.GREETING  # the caller is told both


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != "en"])
def test_every_texting_word_is_one_the_catalogs_use(language):
    """Each entry of the language's list matches the SMS wording of at least one of its texts (bot or channel)."""
    with (LOCALES / "messages.pot").open("rb") as handle:
        channel_texts = [m.id for m in read_po(handle) if m.id]
    texted = [_render_bot(language, msgid, None) for msgid in _bot_messages()]
    texted += [_render_channel(language, msgid) for msgid in channel_texts]
    patterns = [re.compile(x, re.IGNORECASE) for x in TEXTING[language]]
    unused = [p.pattern for p in patterns if not any(p.search(s) for s in texted)]
    assert not unused, f"{language}: entries no text uses (a guess, or a word now gone): {unused}"


def test_every_voice_and_tty_variant_replaces_a_text_the_bot_has():
    msgids = set(_bot_messages())
    for channel, variants in spoken.VARIANTS.items():
        stale = [key[:60] for key in variants if key not in msgids]
        assert not stale, f"{channel} variants of texts the bot no longer has: {stale}"
    # Every voice variant is in the catalogs (extracted), so it is translated like any text.
    assert set(spoken.VOICE.values()) <= msgids


def test_the_sms_wording_is_unchanged_when_the_channel_is_text():
    for msgid in spoken.VOICE:
        assert _render_bot("en", msgid, "sms") == msgid.format(**_values("en"))
