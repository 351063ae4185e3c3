"""The forms that find an earlier report: its status by tracking number and PIN, and adding words to it."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.common import (
    ascii_digits,
    metadata,
    pin_in,
    resolve_language,
    tracking_in,
)
from bot.actions.forms import REDACT_PIN, HeardFormValidation
from bot.actions.i18n import (
    t,
)


class ValidateStatusForm(HeardFormValidation):
    """Tracking number and PIN, in any order, in one message or several."""

    start_intent = "check_status"
    # NOTE: the number a resident texts from may stand in for the PIN of a report filed from it
    # (security issue): by text message only, never a caller ID, and never to add information.
    phone_may_prove = True

    def name(self) -> str:
        return "validate_status_form"

    def phone_proof(self, tracker: Tracker) -> bool:
        data = metadata(tracker)
        return self.phone_may_prove and bool(data.get("phone")) and data.get("channel") == "sms"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        if tracker.get_slot("cancelled"):
            return []
        # A PIN given unasked is always used; the texting phone stands in only until a lookup by it failed.
        asks_pin = not self.phone_proof(tracker) or tracker.get_slot("pin_needed")
        slots = ["tracking_number"] + (["pin"] if asks_pin or tracker.get_slot("pin") else [])
        return (["cancel_confirm"] if tracker.get_slot("cancel_pending") else []) + slots

    def prefill(self, text: str) -> list[EventType]:
        number, pin = tracking_in(text), pin_in(text)
        events: list[EventType] = []
        if number:
            events.append(SlotSet("tracking_number", number))
        if pin:
            events.append(SlotSet("pin", pin))
        return events

    def validate_tracking_number(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        language, _ = resolve_language(tracker)
        text = str(value or "")
        number, pin = tracking_in(text), pin_in(text)
        if number is None and pin is not None and not tracker.get_slot("pin"):
            # the PIN came first: keep it and ask for the number again
            dispatcher.utter_message(json_message=dict(REDACT_PIN))
            return {"tracking_number": None, "pin": pin}
        if number is None:
            dispatcher.utter_message(
                text=t(language, "A tracking number has 10 digits, like 482-193-7703. Please type it again.")
            )
            return {"tracking_number": None}
        if pin:
            dispatcher.utter_message(json_message=dict(REDACT_PIN))
            return {"tracking_number": number, "pin": pin}
        return {"tracking_number": number}

    def validate_pin(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = str(value or "")
        number = tracking_in(text)
        pin = pin_in(text)
        if pin is None and number is None:
            digits = "".join(c for c in ascii_digits(text) if c.isdigit())
            pin = digits or None
        if pin:
            # NOTE: the PIN is a credential: this tells the channel to keep the message only masked.
            dispatcher.utter_message(json_message=dict(REDACT_PIN))
        slots: dict[str, Any] = {"pin": pin}
        if number:
            slots["tracking_number"] = number  # "the number is ..., PIN ..." sent again at the PIN question
        return slots


class ValidateInformationForm(ValidateStatusForm):
    start_intent = "add_information"
    phone_may_prove = False

    def name(self) -> str:
        return "validate_information_form"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        slots = await super().required_slots(domain_slots, dispatcher, tracker, domain)
        return [*slots, "information_text"] if not tracker.get_slot("cancelled") else slots

    def validate_information_text(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = str(value or "").strip()
        return {"information_text": text or None}
