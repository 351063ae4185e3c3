"""The independent resident corpus (tests/corpora) through the real Rasa model and action server.

Each corpus string is sent where its category belongs (a yes/no question, the contact choice, the
email question, mid-form, or as the first message) in a conversation of its own, and the bot's
answer must read it the way the resident meant it, in the resident's language, without refusing.

Known failures are listed in ``corpus_known_failures.yml`` (by index into the corpus category) and
run as strict xfails: each names its string, and one that starts to pass must leave the list.
``-k test_corpus_pass_rates -s`` prints the pass rate per language after the run.
"""

from __future__ import annotations

import collections
import functools
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from babel.messages.pofile import read_po

from bot.actions import actions, forms
from bot.actions.common import NOTICE
from tests.bot.resident import corpus, said

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
CORPORA = ROOT / "tests" / "corpora"
KNOWN = yaml.safe_load((Path(__file__).parent / "corpus_known_failures.yml").read_text(encoding="utf-8")) or {}
LANGUAGES = ["en", "es", "tl", "vi", "zh", "zh_Hant", "km", "hmn", "lo", "pa"]
RESULTS: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)


def metadata(lang: str) -> dict[str, str]:
    """What the web chat sends once the resident picked their language."""
    if lang == "zh_Hant":
        return {"language": "zh", "script": "Hant"}
    return {"language": lang}


@functools.cache
def english_only_lines() -> frozenset[str]:
    """The bot's English sentences that every translated catalog words differently."""
    with (ROOT / "locales" / "bot.pot").open("rb") as handle:
        template = read_po(handle)
    return frozenset(m.id.split("{")[0][:40] for m in template if m.id and not m.context and len(m.id) > 25)


def assert_in_language(lang: str, replies: list[str]) -> None:
    if lang == "en":
        return
    for reply in replies:
        english = [line for line in english_only_lines() if line in reply]
        assert not english, f"reply in English to a {lang} resident: {reply!r}"


def refusals(lang: str) -> list[str]:
    return [
        said(lang, "Please answer yes or no."),
        said(lang, "Please reply 1, 2 or 3."),
        said(lang, "That does not look like an email address. Please type it again, or reply SKIP."),
        said(
            lang,
            "That does not look like a phone number. Please type it with the area code, or reply SKIP.",
        ),
    ]


def assert_no_refusal(lang: str, replies: list[str]) -> None:
    text = "\n".join(replies)
    for refusal in refusals(lang):
        assert refusal not in text, f"refused: {text!r}"


# --- getting to the question each category answers ---------------------------------------------

# Answers the bot takes in every language (English keywords always count), to reach a question fast.
# The number question where the channel knows none (this test's conversations).
PHONE_QUESTION = "What phone number can we reach you at? Reply SKIP if you prefer not to give one."
# To the question how to reach them: a report, not anonymous, the name skipped.
TO_CONTACT_CHOICE = ["/file_complaint", "x", "DONE", "SKIP", "SKIP", "SKIP", "SKIP", "SKIP", "no", "SKIP"]


def at_cancel_question(talk) -> None:  # type: ignore[no-untyped-def]
    talk.say("/file_complaint")
    replies = talk.say("/cancel")
    assert any("?" in r or "？" in r for r in replies), replies


def check_yes(lang, talk, text):  # type: ignore[no-untyped-def]
    at_cancel_question(talk)
    replies = talk.say(text)
    assert_no_refusal(lang, replies)
    stopped = said(lang, "Your report was discarded and nothing was sent. You can start again at any time.")
    assert any(stopped in r for r in replies), replies
    return replies


def check_no(lang, talk, text):  # type: ignore[no-untyped-def]
    at_cancel_question(talk)
    replies = talk.say(text)
    assert_no_refusal(lang, replies)
    assert any(said(lang, "All right, let's go on where we were.") in r for r in replies), replies
    return replies


def contact_choice(expected: str) -> Callable:  # type: ignore[type-arg]
    def check(lang, talk, text):  # type: ignore[no-untyped-def]
        for line in TO_CONTACT_CHOICE[:-1]:
            talk.say(line)
        asked = talk.say(TO_CONTACT_CHOICE[-1])
        assert any(said(lang, actions.QUESTIONS["contact_preferred"]) in r for r in asked), asked
        replies = talk.say(text)
        assert_no_refusal(lang, replies)
        # the next question: the number for a call or a text (or, when they gave it, the safe times);
        # the address for email; the read-back when they want no contact
        wanted = {
            "phone": [PHONE_QUESTION, actions.QUESTIONS["contact_times"]],
            "sms": [PHONE_QUESTION, actions.QUESTIONS["contact_times"]],
            "email": [actions.QUESTIONS["contact_email"]],
        }.get(expected, ["Here is your report:"])
        assert any(said(lang, q) in r for r in replies for q in wanted), replies
        return replies

    check.__name__ = f"check_contact_{expected}"
    return check


def check_no_email(lang, talk, text):  # type: ignore[no-untyped-def]
    for line in TO_CONTACT_CHOICE:
        talk.say(line)
    asked = talk.say("3")  # by email
    assert any(said(lang, actions.QUESTIONS["contact_email"]) in r for r in asked), asked
    replies = talk.say(text)
    assert_no_refusal(lang, replies)
    # no email after all: a number is asked instead
    assert any(said(lang, PHONE_QUESTION) in r for r in replies), replies
    return replies


def check_service_question(lang, talk, text):  # type: ignore[no-untyped-def]
    talk.say("/file_complaint")
    replies = talk.say(text)
    answer = said(lang, forms.SERVICE_ANSWER, phone=actions.OFFICE_PHONE)
    assert any(answer in r for r in replies), replies
    assert said(lang, actions.QUESTIONS["narrative"]) in replies[-1], replies
    return replies


STATUS_STEPS = [
    actions.QUESTIONS["tracking_number"],
    actions.QUESTIONS["pin"],
    "A tracking number has 10 digits, like 482-193-7703. Please type it again.",
    "I could not find a report with that tracking number and PIN. Please check them and try again.",
]


def check_status_request(lang, talk, text):  # type: ignore[no-untyped-def]
    replies = talk.say(text)
    assert any(said(lang, step) in r for r in replies for step in STATUS_STEPS), replies
    return replies


def check_story(lang, talk, text):  # type: ignore[no-untyped-def]
    talk.metadata = {k: v for k, v in talk.metadata.items() if k == "script"}  # the language is detected
    replies = talk.say(text)
    joined = "\n".join(replies)
    assert said(lang, NOTICE) in joined, replies  # the notice, before the first question
    # the story was kept: the bot asks for more of it (a complaint) or goes on to when (a commendation),
    # or confirms in one question what the story already said of when and where
    asked = [actions.QUESTIONS[q] for q in ("narrative_more", "incident_time")] + [actions.STORY_FACTS_INTRO]
    assert any(said(lang, q) in replies[-1] for q in asked), replies
    return replies


def check_emergency(lang, talk, text):  # type: ignore[no-untyped-def]
    talk.say("/file_complaint")
    replies = talk.say(text)
    assert any(said(lang, forms.EMERGENCY_MESSAGE) in r for r in replies), replies
    return replies


CHECKS: dict[str, Callable] = {  # type: ignore[type-arg]
    "first_message_with_story": check_story,
    "yes_with_words": check_yes,
    "no_with_words": check_no,
    "contact_choice_phone_call": contact_choice("phone"),
    "contact_choice_text": contact_choice("sms"),
    "contact_choice_email": contact_choice("email"),
    "contact_choice_none": contact_choice("none"),
    "no_email": check_no_email,
    "service_question": check_service_question,
    "status_request": check_status_request,
    "emergency": check_emergency,
}


def _cases() -> list:  # type: ignore[type-arg]
    cases = []
    for lang in LANGUAGES:
        for category in CHECKS:
            for index, text in enumerate(corpus(lang)[category]):
                marks = []
                if index in (KNOWN.get(lang, {}).get(category) or []):
                    marks.append(pytest.mark.xfail(reason=f"known failure: {text!r}", strict=True))
                cases.append(pytest.param(lang, category, index, marks=marks, id=f"{lang}-{category}-{index}"))
    return cases


@pytest.mark.parametrize(("lang", "category", "index"), _cases())
def test_the_corpus(bot_stack, lang, category, index):  # type: ignore[no-untyped-def]
    text = corpus(lang)[category][index]
    talk = bot_stack.conversation(**metadata(lang))
    RESULTS[lang]["total"] += 1
    replies = CHECKS[category](lang, talk, text)
    assert_in_language(lang, replies)
    RESULTS[lang]["passed"] += 1


def test_corpus_pass_rates():
    """Print the pass rate per language (run after the corpus; -s shows it)."""
    if not RESULTS:
        pytest.skip("the corpus did not run in this session")
    print("\nlanguage  passed/total  rate")
    for lang in LANGUAGES:
        counts = RESULTS.get(lang)
        if counts and counts["total"]:
            print(f"{lang:8}  {counts['passed']:4}/{counts['total']:<5}  {counts['passed'] / counts['total']:.0%}")
