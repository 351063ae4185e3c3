"""The actions that answer outside a form: greeting, menu, help, emergency, out of scope, nothing to cancel, a person to call back; and the routing of a first message that already says what the resident came for."""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions import intake_client
from bot.actions.common import (
    NOTICE,
    OFFICE_PHONE,
    advise_if_emergency,
    asks_about_a_report,
    handle_language_commands,
    is_story,
    language_notice,
    latest_text,
    metadata,
    only_fear_or_past,
    opens_with_story,
    pin_in,
    resolve_language,
    show_notice_once,
    tracking_in,
)
from bot.actions.forms import EMERGENCY_MESSAGE
from bot.actions.i18n import t


class SimpleAction(Action, ABC):
    """Say one thing (after handling a language request)."""

    action_name = ""

    def name(self) -> str:
        return self.action_name

    # Whether the notice is given before this action's words, when the conversation has not had it yet.
    notice_first = True

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        language, events = resolve_language(tracker)
        command = handle_language_commands(dispatcher, tracker, language)
        if command is not None:
            return events + command
        routed = route_opening(dispatcher, tracker, language, self.name())
        if routed is not None:
            return events + routed
        if self.notice_first:
            events += show_notice_once(dispatcher, tracker, language)
        return events + self.say(dispatcher, tracker, language)

    @abstractmethod
    def say(self, dispatcher: CollectingDispatcher, tracker: Tracker, language: str) -> list[EventType]:
        """Answer in ``language``; return any further events."""


# The answers a message about a report already made may replace: not help, a person, or the 911 advice.
MAY_BE_A_STATUS_QUESTION = frozenset({"action_greet", "action_menu", "action_out_of_scope"})


def route_opening(
    dispatcher: CollectingDispatcher, tracker: Tracker, language: str, action: str = ""
) -> list[EventType] | None:
    """Start the right form when the message itself says what the resident came for, whatever NLU read.

    A first message that tells a story starts the complaint with those words (after the 911 advice
    if it reads as danger now); a message with a tracking number starts the status check.
    """
    if (tracker.active_loop or {}).get("name"):
        return None
    text = latest_text(tracker)
    if opens_with_story(tracker):
        advise_if_emergency(dispatcher, tracker, t(language, EMERGENCY_MESSAGE))
        return [FollowupAction("complaint_form")]
    if (
        tracking_in(text)
        or (pin_in(text) and not is_story(text))
        or (action in MAY_BE_A_STATUS_QUESTION and asks_about_a_report(tracker))
    ):
        return [FollowupAction("status_form")]
    if advise_if_emergency(dispatcher, tracker, t(language, EMERGENCY_MESSAGE)):
        return []  # danger now, whatever the classifier read (a hello, the menu): the 911 advice alone
    return None


def _menu(language: str) -> str:
    return t(
        language,
        "I can help you: 1) report a problem with a police officer, 2) thank an officer, 3) check on a report, 4) add to a report. Just tell me what you need.",
    )


class ActionGreet(SimpleAction):
    action_name = "action_greet"
    notice_first = False  # the hello comes before the notice

    def say(self, dispatcher: CollectingDispatcher, tracker: Tracker, language: str) -> list[EventType]:
        dispatcher.utter_message(
            text=t(language, "Hello, this is Heard, the city's independent line for reports about police conduct.")
        )
        events = show_notice_once(dispatcher, tracker, language)  # the notice carries the language hint
        if not events:
            dispatcher.utter_message(text=language_notice(language))
        dispatcher.utter_message(text=_menu(language))
        return events


class ActionMenu(SimpleAction):
    action_name = "action_menu"

    def say(self, dispatcher: CollectingDispatcher, tracker: Tracker, language: str) -> list[EventType]:
        dispatcher.utter_message(text=_menu(language))
        return []


class ActionHelp(SimpleAction):
    action_name = "action_help"

    def say(self, dispatcher: CollectingDispatcher, tracker: Tracker, language: str) -> list[EventType]:
        dispatcher.utter_message(text=t(language, NOTICE))
        dispatcher.utter_message(
            text=t(
                language,
                "What you tell us is kept private: the intake office reads it, and the police see it only if your report is referred to them. Only the intake office sees your contact details, and you can stay anonymous. Reply LANGUAGE to change the language.",
            )
        )
        dispatcher.utter_message(text=_menu(language))
        return []


class ActionEmergency(SimpleAction):
    action_name = "action_emergency"
    notice_first = False  # the 911 advice comes first; the notice comes with the first question

    def say(self, dispatcher: CollectingDispatcher, tracker: Tracker, language: str) -> list[EventType]:
        if only_fear_or_past(tracker):
            # NOTE: "I'm very scared", "I was terrified when he pointed the gun": feelings about what
            # happened, not danger now; the resident hears what Heard can do, not the 911 advice.
            events = show_notice_once(dispatcher, tracker, language)
            dispatcher.utter_message(text=_menu(language))
            return events
        dispatcher.utter_message(text=t(language, EMERGENCY_MESSAGE))
        return []


class ActionOutOfScope(SimpleAction):
    action_name = "action_out_of_scope"

    def say(self, dispatcher: CollectingDispatcher, tracker: Tracker, language: str) -> list[EventType]:
        dispatcher.utter_message(
            text=t(
                language,
                "I can only take reports about police conduct. For other city services, call 311 or visit the city's website; they will be glad to help.",
            )
        )
        return []


class ActionNothingToCancel(SimpleAction):
    action_name = "action_nothing_to_cancel"

    def say(self, dispatcher: CollectingDispatcher, tracker: Tracker, language: str) -> list[EventType]:
        dispatcher.utter_message(text=t(language, "There is nothing in progress to discard."))
        dispatcher.utter_message(text=_menu(language))
        return []


class ActionRequestHuman(SimpleAction):
    action_name = "action_request_human"

    def say(self, dispatcher: CollectingDispatcher, tracker: Tracker, language: str) -> list[EventType]:
        phone = metadata(tracker).get("phone")
        payload = {
            "text": latest_text(tracker),
            "language": language,
            "channel": metadata(tracker).get("channel") or "web_chat",
            "conversation_id": tracker.sender_id,
            "contact": {"phone": phone, "preferred": "phone"} if phone else None,
        }
        with contextlib.suppress(intake_client.IntakeUnavailable):  # the office's number below still works
            intake_client.post("/callbacks", payload)
        if phone:
            dispatcher.utter_message(
                text=t(
                    language,
                    "A person from the intake office will call you back at this number, with an interpreter if you need one. You can also call {phone}.",
                    phone=OFFICE_PHONE,
                )
            )
        else:
            dispatcher.utter_message(
                text=t(
                    language,
                    "You can talk with a person at the intake office by calling {phone}; interpreters are available.",
                    phone=OFFICE_PHONE,
                )
            )
        return []
