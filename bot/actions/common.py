"""What every action shares: the resident's language, the menu, and the few universal commands."""

from __future__ import annotations

import os
import re
import unicodedata
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.i18n import (
    LANGUAGE_NAMES,
    LANGUAGES,
    current_channel,
    fold,
    is_language_command,
    keyword_set,
    t,
    use_channel,
    use_chinese_script,
)
from nlu import status as status_cues
from nlu.danger import danger_now
from nlu.detect import chinese_script, detect_language

# Channels whose language is fixed for the whole call (voice by the call's menu, TTY by Baudot).
CALL_CHANNELS = ("voice", "tty")
# A message this short that NLU reads as a command is the command, not an answer.
COMMAND_MAX_CHARS = 40
COMMAND_CONFIDENCE = 0.5
# A first message this long (Han characters count twice) already tells what happened: it is kept
# as the start of the story whatever the NLU reads in it. Greetings and "I want to file a complaint"
# stay well under it in every language; the stories residents open with are far over it.
STORY_MIN_LENGTH = 80
# The same, when the NLU read the first message as a status check or an addition to a report.
STATUS_STORY_MIN_LENGTH = 110
# A free-text answer (a name, a place) is taken for a command only when the NLU is this sure.
FREE_TEXT_COMMAND_CONFIDENCE = 0.85


def latest_text(tracker: Tracker) -> str:
    """The resident's latest words; none when the latest "message" was Rasa's own (a reminder)."""
    latest = tracker.latest_message or {}
    if (latest.get("metadata") or {}).get("is_external"):
        return ""
    return str(latest.get("text") or "")


def metadata(tracker: Tracker) -> dict[str, Any]:
    return dict((tracker.latest_message or {}).get("metadata") or {})


def latest_intent(tracker: Tracker) -> tuple[str, float]:
    intent = (tracker.latest_message or {}).get("intent") or {}
    return str(intent.get("name") or ""), float(intent.get("confidence") or 0.0)


def looks_like_data(text: str) -> bool:
    """Tell whether a message carries an email address or a number: an answer, never a command."""
    return "@" in text or sum(c.isdigit() for c in text) >= 3


def is_command(tracker: Tracker, name: str, *, free_text: bool = False) -> bool:
    """Tell whether the latest message is the command ``name`` rather than an answer that mentions it.

    ``free_text``: the question takes any words (a name, a place), so only a confident reading counts.
    """
    intent, confidence = latest_intent(tracker)
    text = latest_text(tracker)
    return (
        intent == name
        and confidence >= (FREE_TEXT_COMMAND_CONFIDENCE if free_text else COMMAND_CONFIDENCE)
        and len(text) <= COMMAND_MAX_CHARS
        and not looks_like_data(text)
    )


def story_length(text: str) -> int:
    """Measure a message for telling a story from a greeting; a Han character says about two letters' worth."""
    return sum(2 if "\u3400" <= c <= "\u9fff" or "\uf900" <= c <= "\ufaff" else 1 for c in text.strip())


def is_story(text: str) -> bool:
    return story_length(text) >= STORY_MIN_LENGTH


def is_first_message(tracker: Tracker) -> bool:
    """Tell whether the latest message is the first the resident sent in this conversation."""
    return sum(1 for e in tracker.events if e.get("event") == "user") <= 1


def opens_with_story(tracker: Tracker, *, starting_form: bool = False) -> bool:
    """Tell whether the conversation opens with the resident telling what happened, whatever NLU read.

    ``starting_form``: asked by the form that the story started (it is already the active loop).
    """
    if not is_first_message(tracker) or ((tracker.active_loop or {}).get("name") and not starting_form):
        return False
    text = latest_text(tracker)
    intent, _ = latest_intent(tracker)
    if intent in ("check_status", "add_information"):
        # NOTE: a status question or an addition may tell some story too ("I filed two weeks ago about
        # the officer who..."); only a long one without a tracking number or PIN is taken as the story.
        return story_length(text) >= STATUS_STORY_MIN_LENGTH and not tracking_in(text) and not pin_in(text)
    return is_story(text)


_TRACKING = re.compile(r"(?<!\d)(\d{3})[\s.\-‐-―－]*(\d{3})[\s.\-‐-―－]*(\d{4})(?!\d)")
_PIN = re.compile(r"(?<!\d)(\d{6})(?!\d)")


def ascii_digits(text: str) -> str:
    """Write every decimal digit (Khmer, Lao, Gurmukhi, full-width) as ASCII; keep the rest."""
    return "".join(str(unicodedata.decimal(c)) if unicodedata.decimal(c, None) is not None else c for c in text)


def tracking_in(text: str) -> str | None:
    """Find a 10-digit tracking number in any script's digits, written with or without separators."""
    found = _TRACKING.search(ascii_digits(text))
    return "".join(found.groups()) if found else None


def pin_in(text: str) -> str | None:
    """Find a 6-digit PIN in a message, outside the tracking number."""
    digits = ascii_digits(text)
    found = _TRACKING.search(digits)
    if found:
        digits = digits[: found.start()] + " " + digits[found.end() :]
    pin = _PIN.search(digits)
    return pin.group(1) if pin else None


# NOTE: 0.7, not 0.8: the 911 advice is cheap to give twice and costly to miss (issue 14's corpus:
# "my friend is bleeding a lot" typed without accents read 0.78).
EMERGENCY_CONFIDENCE = 0.7
SHORT_EMERGENCY_CONFIDENCE = 0.8
# A message with this many letters tells its language reliably enough to keep it.
CONFIDENT_LETTERS = 20


def _letters(text: str) -> int:
    return sum(c.isalpha() for c in text)


def is_emergency(tracker: Tracker) -> bool:
    """Tell whether the latest message reads as an emergency happening now.

    The cues of nlu/danger.py decide first: danger said with a marker of now is an emergency
    whatever the classifier read ("police are beating someone right now" reads much like a
    complaint); fear, worry or harm told about the past never is ("I was terrified when he pointed
    the gun"). Without a cue, the classifier's "emergency" decides.
    NOTE: answers with digits (dates, badge, car and phone numbers, menu choices) pull the
    classifier towards "emergency" because of "911"; they count only when they say 911.
    """
    intent, confidence = latest_intent(tracker)
    text = latest_text(tracker)
    if "911" in text:
        return True
    cued = danger_now(text, _cue_languages(tracker, text))
    if cued is not None:
        return cued
    digits = sum(c.isdigit() for c in text)
    # NOTE: a short answer ("no one", "idk") is where the classifier is least sure of itself.
    threshold = EMERGENCY_CONFIDENCE if story_length(text) >= CONFIDENT_LETTERS else SHORT_EMERGENCY_CONFIDENCE
    return intent == "emergency" and confidence >= threshold and _letters(text) > 0 and digits == 0


def is_cry_for_help(tracker: Tracker) -> bool:
    """Tell whether the latest message itself says danger now (911, or a cue of nlu/danger.py), not only the classifier."""
    text = latest_text(tracker)
    return "911" in text or danger_now(text, _cue_languages(tracker, text)) is True


def advise_if_emergency(dispatcher: CollectingDispatcher, tracker: Tracker, worded: str) -> bool:
    """Give the 911 advice when the latest message reads as danger now, once a turn; tell whether it does.

    ``worded`` is the advice in the resident's language (forms.py's EMERGENCY_MESSAGE, through ``t``).
    """
    if not is_emergency(tracker):
        return False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            break
        if event.get("event") == "bot" and event.get("text") == worded:
            return True  # an earlier action of this turn gave it already
    dispatcher.utter_message(text=worded)
    return True


def only_fear_or_past(tracker: Tracker) -> bool:
    """Tell whether the latest message tells fear, worry or harm in the past, and no danger now."""
    text = latest_text(tracker)
    return "911" not in text and danger_now(text, _cue_languages(tracker, text)) is False


def asks_about_a_report(tracker: Tracker) -> bool:
    """Tell whether the latest message asks about a report already made (nlu/status.py), and tells no story."""
    text = latest_text(tracker)
    return status_cues.asks_about_a_report(text, _cue_languages(tracker, text)) and not is_story(text)


def _cue_languages(tracker: Tracker, text: str) -> list[str]:
    """The languages whose danger cues to read: the conversation's, the message's, and English."""
    found = [metadata(tracker).get("language"), tracker.get_slot("language"), detect_language(text), "en"]
    return [str(code) for code in found if code]


def resolve_language(tracker: Tracker) -> tuple[str, list[EventType]]:
    """Return the language to answer in, and the events that remember it when it changes.

    The channel's metadata or the resident's menu choice wins and sticks; otherwise the
    language is detected, and re-detected on each message until one is clear enough.
    """
    remembered = tracker.get_slot("language")
    chosen = metadata(tracker).get("language")
    events: list[EventType] = []
    if chosen in LANGUAGES:
        language = chosen
        if not tracker.get_slot("language_chosen"):
            events.append(SlotSet("language_chosen", True))
    elif remembered in LANGUAGES and (
        tracker.get_slot("language_chosen") or _letters(latest_text(tracker)) < CONFIDENT_LETTERS
    ):
        language = remembered  # a short reply ("ok", "listo") never switches the language
    else:
        text = latest_text(tracker)
        detected = detect_language(text)
        language = detected or (remembered if remembered in LANGUAGES else "en")
        if detected and _letters(text) >= CONFIDENT_LETTERS:
            events.append(SlotSet("language_chosen", True))
    if language != remembered:
        events.append(SlotSet("language", language))
    use_chinese_script(_chinese_script(tracker) if language == "zh" else None)
    channel = metadata(tracker).get("channel")
    use_channel(str(channel) if channel else None)
    return language, events


def _chinese_script(tracker: Tracker) -> str | None:
    """Return the script of the resident's latest message that tells Simplified from Traditional."""
    script = metadata(tracker).get("script")
    if script in ("Hans", "Hant"):
        return str(script)
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            found = chinese_script(str(event.get("text") or ""))
            if found:
                return found
    return None


def language_menu(language: str) -> str:
    lines = [f"{i}. {LANGUAGE_NAMES[code]}" for i, code in enumerate(LANGUAGES, start=1)]
    return t(language, "Reply with the number of your language:") + "\n" + "\n".join(lines)


def language_choice(text: str) -> str | None:
    """Read a language from a menu answer: its number (any script's digits), name or code."""
    folded = fold(text)
    digits = "".join(str(unicodedata.decimal(c)) for c in folded if unicodedata.decimal(c, None) is not None)
    if digits and len(digits) == len(folded.replace(" ", "")) and 1 <= int(digits) <= len(LANGUAGES):
        return LANGUAGES[int(digits) - 1]
    names = {fold(name): code for code, name in LANGUAGE_NAMES.items()}
    names.update({code: code for code in LANGUAGES})
    names.update(
        {
            "english": "en",
            "spanish": "es",
            "espanol": "es",
            "filipino": "tl",
            "vietnamese": "vi",
            "chinese": "zh",
            "khmer": "km",
            "hmong": "hmn",
            "lao": "lo",
            "punjabi": "pa",
        }
    )
    return names.get(folded)


def handle_language_commands(
    dispatcher: CollectingDispatcher, tracker: Tracker, language: str
) -> list[EventType] | None:
    """Answer a language-menu request or choice; return its events, or None when it was neither."""
    text = latest_text(tracker)
    if is_language_command(text) and current_channel() in CALL_CHANNELS:
        # NOTE: a call's language was chosen from the call's menu (and sets Twilio's voice): it cannot
        # change mid-call, so the caller hears how to change it instead of a menu it cannot use.
        dispatcher.utter_message(text=t(language, "Reply with the number of your language:"))
        return []
    if is_language_command(text):
        dispatcher.utter_message(text=language_menu(language))
        return [SlotSet("language_menu", True)]
    if tracker.get_slot("language_menu"):
        choice = language_choice(text)
        if choice is not None:
            dispatcher.utter_message(text=t(choice, "I will write to you in English from now on."))
            # The channel keeps the resident's language too (SMS holding replies, HELP, STOP).
            dispatcher.utter_message(json_message={"language": choice})
            return [SlotSet("language", choice), SlotSet("language_chosen", True), SlotSet("language_menu", False)]
        return [SlotSet("language_menu", False)] if text else None
    return None


OFFICE_PHONE = os.environ.get("HEARD_OFFICE_PHONE", "(209) 555-0100")
# Marks a message for extraction where it is defined; t() translates it where it is said.
_ = str
NOTICE = _(
    "Heard is run by the city's independent police review office, not by the police department. "
    "It is not an emergency line: if you are in danger, call 911. Your report goes to the intake office, "
    "which reviews every report and tells you what happens next."
)


def show_notice_once(dispatcher: CollectingDispatcher, tracker: Tracker, language: str) -> list[EventType]:
    """Tell who runs Heard, that it is no emergency line, what happens next and how to change language, once.

    Called before the first question of a conversation, whatever the resident's first message was.
    """
    if tracker.get_slot("notice_shown"):
        return []
    dispatcher.utter_message(text=t(language, NOTICE))
    dispatcher.utter_message(text=language_notice(language))
    return [SlotSet("notice_shown", True)]


# Han question particles at the end of a message: Mandarin and Cantonese.
_HAN_QUESTION_END = ("吗", "嗎", "呢", "咩", "㗎", "么", "麼", "未", "冇")
# Words that close a question in the languages that ask with a final particle (folded, accents off).
_QUESTION_END = {
    "vi": ("khong", "ko", "chua", "ha", "vay", "phai khong"),
    "lo": ("ບໍ", "ບໍ່", "ແມ່ນບໍ"),
    "km": ("ទេ", "ឬទេ", "អត់", "ទេបង"),
    "hmn": ("los", "puas"),
    "tl": ("ba", "ba po"),
    "pa": ("ਕੀ",),
}
_HAN_QUESTION_IN = ("是不是", "係唔係", "係咪", "是否", "有没有", "有冇", "会不会", "會不會", "会唔会", "會唔會")


def is_question(language: str, text: str) -> bool:
    """Tell whether a message is written as a question: a question mark, particle or opening word."""
    stripped = text.strip()
    if not stripped:
        return False
    if any(mark in stripped for mark in "?？؟"):
        return True
    bare = stripped.rstrip("!！。.~ 🙏")
    if bare.endswith(_HAN_QUESTION_END) or any(q in bare for q in _HAN_QUESTION_IN):
        return True
    folded = fold(stripped)
    for word in _QUESTION_END.get(language, ()):
        # NOTE: the particle alone is no question: Khmer ទេ and Vietnamese không also mean "no".
        if folded != word and (folded.endswith(word) if word[0] > "\u0e00" else folded.endswith(" " + word)):
            return True
    return any(folded == w or folded.startswith(w + " ") for w in question_start_words(language))


def question_start_words(language: str) -> set[str]:
    return keyword_set(
        language,
        "question-start",
        "is this|is it|are you|am i|how long|how much|who|whom|will|does|do i|do you|can|could|why|what happens",
    )


def language_notice(language: str) -> str:
    """Say which language the bot is using and how to switch."""
    return t(language, "I am writing in English. To change the language, reply LANGUAGE at any time.")


SEALED_PREFIX = "sealed:"


def known_phone_digits(tracker: Tracker) -> str:
    """Return the last digits of the number the resident writes from (the channel sends only those in clear)."""
    data = metadata(tracker)
    digits = str(data.get("phone_last_digits") or "")
    if not digits and data.get("phone") and not str(data["phone"]).startswith(SEALED_PREFIX):
        digits = str(data["phone"])[-4:]
    return digits


def shown_phone(value: str, tracker: Tracker) -> str:
    """Show a phone number in a read-back; a sealed one (the number they write from) by its last digits."""
    if value.startswith(SEALED_PREFIX):
        return "…" + known_phone_digits(tracker)
    return value
