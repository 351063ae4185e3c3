"""What every action shares: the resident's language, the menu, and the few universal commands."""

from __future__ import annotations

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
    t,
    use_channel,
    use_chinese_script,
)
from nlu.detect import chinese_script, detect_language

# Channels whose language is fixed for the whole call (voice by the call's menu, TTY by Baudot).
CALL_CHANNELS = ("voice", "tty")
# A message this short that NLU reads as a command is the command, not an answer.
COMMAND_MAX_CHARS = 40
COMMAND_CONFIDENCE = 0.5


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


def is_command(tracker: Tracker, name: str) -> bool:
    """Tell whether the latest message is the command ``name`` rather than an answer that mentions it."""
    intent, confidence = latest_intent(tracker)
    return intent == name and confidence >= COMMAND_CONFIDENCE and len(latest_text(tracker)) <= COMMAND_MAX_CHARS


EMERGENCY_CONFIDENCE = 0.8
# A message with this many letters tells its language reliably enough to keep it.
CONFIDENT_LETTERS = 20


def _letters(text: str) -> int:
    return sum(c.isalpha() for c in text)


def is_emergency(tracker: Tracker) -> bool:
    """Tell whether the latest message reads as an emergency happening now.

    NOTE: answers with digits (dates, badge, car and phone numbers, menu choices) pull the
    classifier towards "emergency" because of "911"; they count only when they say 911.
    """
    intent, confidence = latest_intent(tracker)
    text = latest_text(tracker)
    if "911" in text:
        return True
    digits = sum(c.isdigit() for c in text)
    return intent == "emergency" and confidence >= EMERGENCY_CONFIDENCE and _letters(text) > 0 and digits == 0


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
