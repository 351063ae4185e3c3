"""WEB, in every language, asks to finish a texted report on the web; only on a texting channel."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import i18n, resume

LOCALES = Path(__file__).resolve().parents[2] / "locales"
LANGUAGES = ["es", "tl", "vi", "zh", "zh_Hant", "km", "hmn", "lo", "pa"]
ENGLISH = "web|website|online|continue online|continue on the web"


def _tracker(text: str, channel: str, **slots: object) -> Tracker:
    return Tracker(
        sender_id="conv-1",
        slots={"draft_id": "d-1", **slots},
        latest_message={"text": text, "metadata": {"channel": channel}, "intent": {}},
        events=[],
        paused=False,
        followup_action=None,
        active_loop={"name": "complaint_form"},
        latest_action_name=None,
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_catalog_has_its_web_words_and_each_asks_for_the_web(language):
    with (LOCALES / language / "LC_MESSAGES" / "bot.po").open("rb") as handle:
        found = next(m for m in read_po(handle) if m.context == "keywords" and m.id == ENGLISH)
    words = [w for w in str(found.string).split("|") if w]
    assert words, f"{language} has no WEB words"
    assert all(resume.is_web_command(word) for word in words)
    assert resume.is_web_command("WEB") and resume.is_web_command(" web! ")


@pytest.mark.parametrize("text", ["the officer searched my website", "web cam", "Main St", "nadie", "WEBB"])
def test_an_answer_that_mentions_the_web_is_not_the_command(text):
    assert not resume.is_web_command(text)


def test_the_form_answers_so_far_go_with_the_request_and_skipped_ones_do_not():
    tracker = _tracker("WEB", "sms", narrative="he pushed me", location="-", anonymous=False, contact_preferred="sms")
    answers = resume.answers_so_far(tracker, "complaint")
    assert answers == {"kind": "complaint", "narrative": "he pushed me", "anonymous": "no", "preferred": "sms"}


def test_web_chat_and_calls_are_not_sent_a_code():
    for channel in ("web_chat", "voice", "tty"):
        dispatcher = CollectingDispatcher()
        i18n.use_channel(channel)
        try:
            assert resume.handle_web_command(dispatcher, _tracker("WEB", channel), "en", "complaint") is None
        finally:
            i18n.use_channel(None)
        assert dispatcher.messages == []


@pytest.mark.parametrize("language", ["en", *LANGUAGES])
def test_online_where_the_question_is_where_it_happened_is_the_answer(language):
    online = {"en": "online", "tl": "online", "hmn": "online", "vi": "trực tuyến", "zh": "网上", "zh_Hant": "線上"}
    online |= {"km": "អនឡាញ", "lo": "ອອນລາຍ", "pa": "ਆਨਲਾਈਨ", "es": "online"}
    word = online[language]
    assert resume.WEB_WORDS == ENGLISH  # the catalogs' msgid, which first_keyword looks up
    assert resume.is_web_command(word)  # asked anything else, it asks for the web
    assert not resume.is_web_command(word, asked="location")
    own = i18n.first_keyword(language, "keywords", resume.WEB_WORDS)
    assert resume.is_web_command(own, asked="location") and resume.is_web_command("WEB", asked="location")
