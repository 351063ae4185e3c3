"""Text-message rules that need no provider: keywords, segments, splitting, sealing, job leases."""

from __future__ import annotations

import pytest

from intake.conversations import keywords, messaging
from intake.conversations.segments import MAX_REPLY_CHARS, segment_count, split_reply


@pytest.mark.parametrize(
    ("text", "segments"),
    [
        ("", 1),
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("€" * 80, 1),  # an extension character costs two septets: 160 septets
        ("€" * 81, 2),
        ("ñ" * 160, 1),  # ñ is in the GSM alphabet
        ("é" * 159 + "ê", 3),  # ê is not: the whole message goes as UCS-2 (160 units / 67)
        ("警" * 70, 1),
        ("警" * 71, 2),
        ("😀" * 35, 1),  # an emoji is two UTF-16 units
        ("😀" * 36, 2),
        ("ខ្ញុំ" * 10, 1),
    ],
)
def test_segments_are_counted_as_carriers_count_them(text, segments):
    assert segment_count(text) == segments


def test_a_short_reply_is_one_message():
    assert split_reply("  Hello there.  ") == ["Hello there."]
    assert split_reply("") == []


def test_a_long_reply_is_split_at_sentence_boundaries_within_the_limit():
    sentences = [f"Sentence number {i} says something about the report." for i in range(80)]
    text = " ".join(sentences)
    parts = split_reply(text)
    assert len(parts) > 1 and all(len(p) <= MAX_REPLY_CHARS for p in parts)
    assert all(p.endswith(".") for p in parts)  # every part ends at a sentence end
    assert " ".join(parts) == text  # nothing lost, nothing reordered


def test_chinese_and_khmer_sentences_split_at_their_own_full_stops():
    chinese = "这是一个关于警察的投诉。" * 200
    parts = split_reply(chinese, limit=100)
    assert all(len(p) <= 100 and p.endswith("。") for p in parts)
    assert "".join(parts) == chinese
    khmer = "ខ្ញុំចង់ប្តឹងប៉ូលិស។ " * 100
    parts = split_reply(khmer, limit=200)
    assert all(len(p) <= 200 and p.endswith("។") for p in parts)


def test_one_sentence_longer_than_a_message_is_broken_at_a_space_or_hard():
    words = "word " * 500
    parts = split_reply(words, limit=100)
    assert all(len(p) <= 100 for p in parts) and " ".join(parts).split() == words.split()
    unbroken = "x" * 250
    assert split_reply(unbroken, limit=100) == ["x" * 100, "x" * 100, "x" * 50]


def test_a_sealed_phone_is_ciphertext_and_opens_again(keyring):
    sealed = messaging.seal_phone(keyring, "+12095550142")
    assert sealed.startswith("sealed:") and "2095550142" not in sealed
    assert messaging.unseal_phone(keyring, sealed) == "+12095550142"
    assert messaging.unseal_phone(keyring, "+12095550199") == "+12095550199"
    assert messaging.unseal_phone(keyring, None) is None


def test_conversation_ids_are_keyed_hashes_apart_per_channel(keyring):
    from intake.enums import Channel

    sms = messaging.conversation_id_for(keyring, Channel.SMS, "+12095550142")
    voice = messaging.conversation_id_for(keyring, Channel.VOICE, "+12095550142")
    assert sms != voice and "2095550142" not in sms and len(sms) == 40
    assert sms == messaging.conversation_id_for(keyring, Channel.SMS, "+12095550142")


@pytest.mark.parametrize(
    ("body", "action", "language"),
    [
        ("STOP", "stop", None),
        ("stopall", "stop", None),
        ("Unsubscribe.", "stop", None),
        ("quit", "stop", None),
        ("UNSTOP", "start", None),
        ("info", "help", None),
        ("Baja", "stop", "es"),
        ("AYUDA", "help", "es"),
        ("tigil", "stop", "tl"),
        ("ngừng", "stop", "vi"),
        ("bắt đầu", "start", "vi"),
        ("幫助", "help", "zh"),
        ("ឈប់", "stop", "km"),
        ("nres", "stop", "hmn"),
        ("ຢຸດ", "stop", "lo"),
        ("ਸ਼ੁਰੂ", "start", "pa"),
    ],
)
def test_whole_message_keywords_in_every_language(body, action, language):
    keyword = keywords.classify_keyword(body)
    assert keyword is not None and (keyword.action, keyword.language) == (action, language)


@pytest.mark.parametrize("body", ["yes", "no", "stop it", "help me please", "I want to stop a cop", "1", "", "   "])
def test_answers_and_sentences_are_not_keywords(body):
    assert keywords.classify_keyword(body) is None
