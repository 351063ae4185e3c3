"""An adaptive simulated resident: answers whatever the bot asks, in words from tests/corpora.

It recognises the bot's questions by their text in the resident's catalog (the same catalogs the
bot renders), answers each from its persona (a story, a yes or a no said with words, a name, an
email or none, a contact choice in its own words), files the report, then checks its status with a
natural opener, the tracking number and the PIN. Used by tests/bot/test_corpus_personas.py and
bench/conversations.py; it reads the corpus and never writes it.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.actions import actions
from bot.actions.i18n import t, use_chinese_script

CORPORA = Path(__file__).resolve().parents[1] / "corpora"
LANGUAGES = ["en", "es", "tl", "vi", "zh", "zh_Hant", "km", "hmn", "lo", "pa"]
PERSONAS = 3
TRACKING = re.compile(r"\b(\d{3}-\d{3}-\d{4})\b")
PIN = re.compile(r"(?<!\d)(\d{6})(?!\d)")
MAX_TURNS = 40
EXAMPLE_TRACKING = "482-193-7703"  # the example in the bot's questions, never a receipt


@functools.cache
def corpus(lang: str) -> dict[str, list[str]]:
    return yaml.safe_load((CORPORA / f"{lang}.yml").read_text(encoding="utf-8"))


def said(lang: str, message: str, **values: str) -> str:
    """The bot's words in ``lang`` (Traditional Chinese from its own catalog)."""
    use_chinese_script("Hant" if lang == "zh_Hant" else None)
    try:
        return t("zh" if lang == "zh_Hant" else lang, message, **values)
    finally:
        use_chinese_script(None)


def first_word(lang: str, english: str) -> str:
    """The first localized keyword of a keyword list (what a resident of that language would type)."""
    use_chinese_script("Hant" if lang == "zh_Hant" else None)
    try:
        from bot.actions.i18n import _catalog, _translations

        localized = _translations(_catalog("zh" if lang == "zh_Hant" else lang)).pgettext("keywords", english)
    finally:
        use_chinese_script(None)
    return localized.split("|")[0] if localized != english else english.split("|")[0]


def _prefix(text: str) -> str:
    return text.split("{")[0].strip()[:60]


# The bot's questions, by the slot they fill; the text before any placeholder recognises them.
QUESTION_TEXTS: dict[str, list[str]] = {
    **{slot: [text] for slot, text in actions.QUESTIONS.items()},
    "narrative": [
        actions.QUESTIONS["narrative"],
        "Thank you for taking the time to recognise good work. What did the officer do?",
    ],
    "incident_time_confirmed": ["I understood: {date}. Is that right? Reply YES or NO."],
    "story_facts_confirmed": [actions.STORY_FACTS_INTRO],
    "contact_phone": [
        "Can we reach you at the number you are writing from, ending in {last_digits}? "
        "Reply YES, type another number, or reply SKIP.",
        "What phone number can we reach you at? Reply SKIP if you prefer not to give one.",
    ],
    "summary_confirmed": ["Here is your report:"],
}
REFUSALS = [
    "Please answer yes or no.",
    "Please reply 1, 2 or 3.",
    "That does not look like an email address. Please type it again, or reply SKIP.",
    "That does not look like a phone number. Please type it with the area code, or reply SKIP.",
    "Reply YES to send your report, or the number of the answer you want to change.",
    "A tracking number has 10 digits, like 482-193-7703. Please type it again.",
    "I could not find a report with that tracking number and PIN. Please check them and try again.",
]


def _squeezed(text: str) -> str:
    return " ".join(text.split())


def question_in(lang: str, replies: list[str]) -> str | None:
    """Which question the bot's latest words ask, or None.

    A long question may arrive split over several texts (each within the SMS budget, cut between
    sentences), so the texts are also read joined, as the resident reads them one after another.
    """
    for reply in [*reversed(replies), " ".join(replies)]:
        for slot, texts in QUESTION_TEXTS.items():
            if any(_squeezed(_prefix(said(lang, text))) in _squeezed(reply) for text in texts):
                return slot
    return None


@dataclass
class Outcome:
    lang: str
    persona: int
    texts_to_filed: int | None = None
    refusals: list[str] = field(default_factory=list)
    not_in_language: list[str] = field(default_factory=list)
    tracking: str | None = None
    status_ok: bool = False
    seconds: float = 0.0
    transcript: list[tuple[str, list[str]]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.texts_to_filed and self.status_ok and not self.refusals and not self.not_in_language)


class Resident:
    """One persona of one language's corpus talking to the bot through ``send``."""

    def __init__(self, lang: str, persona: int, send: Callable[[str], list[str]]) -> None:
        self.lang, self.persona, self.send = lang, persona, send
        self.words = corpus(lang)
        self.outcome = Outcome(lang, persona)
        self.texts = 0

    def pick(self, category: str, offset: int = 0) -> str:
        items = self.words[category]
        return items[(self.persona + offset) % len(items)]

    def say(self, text: str) -> list[str]:
        self.texts += 1
        replies = self.send(text)
        self.outcome.transcript.append((text, replies))
        joined = "\n".join(replies)
        for refusal in REFUSALS:
            if said(self.lang, refusal) in joined:
                self.outcome.refusals.append(f"{text!r} -> {said(self.lang, refusal)!r}")
        if self.lang != "en":
            for reply in replies:
                english = [m for m in english_sentences() if m in reply and said(self.lang, m) != m]
                if english:
                    self.outcome.not_in_language.append(reply)
        return replies

    def answer(self, slot: str) -> str:
        anonymous = self.persona == 0
        skip = first_word(self.lang, "skip|pass|none|don't know|i don't know|idk")
        yes = first_word(self.lang, "yes|y|yeah|yep|ya|ok|okay|sure|correct|right")
        answers = {
            "narrative_more": first_word(self.lang, "done|finished|that's all|that is all|nothing else|no more"),
            "incident_time_confirmed": yes,
            "story_facts_confirmed": yes,
            "anonymous": self.pick("yes_with_words") if anonymous else self.pick("no_with_words", 4),
            "contact_name": self.pick("name_answers"),
            "contact_phone": yes,
            "contact_email": self.pick("no_email") if self.persona == 1 else f"persona{self.persona}@example.org",
            "contact_preferred": self.pick("contact_choice_phone_call")
            if self.persona == 1
            else self.pick("contact_choice_email"),
            "summary_confirmed": yes,
            "cancel_confirm": first_word(self.lang, "no|n|nah|nope|not"),
        }
        return answers.get(slot, skip)

    def file(self) -> list[str]:
        replies = self.say(self.pick("first_message_with_story"))
        for _ in range(MAX_TURNS):
            receipt = "\n".join(replies)
            number = TRACKING.search(receipt.replace(EXAMPLE_TRACKING, ""))
            if number:
                self.outcome.texts_to_filed = self.texts
                self.outcome.tracking = number.group(1)
                pin = PIN.search(receipt.replace(number.group(1), ""))
                self.pin = pin.group(1) if pin else ""
                return replies
            slot = question_in(self.lang, replies)
            if slot is None:
                return replies  # lost: the bot asked nothing this resident can recognise
            replies = self.say(self.answer(slot))
        return replies

    def check_status(self) -> None:
        if not self.outcome.tracking:
            return
        openers = [s for s in self.words["status_request"] if not any(c.isdigit() for c in s)]
        opener = openers[self.persona % len(openers)] if openers else "STATUS"
        if self.persona == 2:  # the number and the PIN in the same message as the question
            opener = f"{opener} {self.outcome.tracking} PIN {self.pin}"
        replies = self.say(opener)
        for _ in range(4):
            joined = "\n".join(replies)
            if self.outcome.tracking in joined or self.outcome.tracking.replace("-", "") in joined:
                self.outcome.status_ok = True
                return
            slot = question_in(self.lang, replies)
            if slot == "tracking_number":
                replies = self.say(self.outcome.tracking)
            elif slot == "pin":
                replies = self.say(self.pin)
            else:
                return

    def run(self) -> Outcome:
        start = time.perf_counter()
        self.file()
        self.check_status()
        self.outcome.seconds = time.perf_counter() - start
        return self.outcome


@functools.cache
def english_sentences() -> tuple[str, ...]:
    """The bot's longer English sentences, to spot one left untranslated in a reply."""
    from babel.messages.pofile import read_po

    with (Path(__file__).resolve().parents[2] / "locales" / "bot.pot").open("rb") as handle:
        template = read_po(handle)
    return tuple(m.id for m in template if m.id and not m.context and "{" not in m.id and len(m.id) > 30)
