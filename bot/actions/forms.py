"""The forms' validation: one answer per turn, commands never swallowed, a read-back before filing."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from abc import abstractmethod
from typing import Any, ClassVar

import phonenumbers
from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from bot.actions.common import (
    COMMAND_MAX_CHARS,
    OFFICE_PHONE,
    advise_if_emergency,
    ascii_digits,
    handle_language_commands,
    is_command,
    is_cry_for_help,
    is_emergency,
    is_question,
    is_story,
    latest_intent,
    latest_text,
    looks_like_data,
    metadata,
    opens_with_story,
    resolve_language,
    show_notice_once,
)
from bot.actions.dates import arrival, read_when
from bot.actions.i18n import (
    contact_choice,
    ends_story,
    fold,
    is_skip,
    leading_answer,
    no_words,
    says_no,
    t,
    yes_words,
)
from bot.actions.resume import handle_web_command
from bot.actions.story import FACT_SLOTS, merge_facts, story_facts
from nlu.names import name_from

# Marks a message for extraction where it is defined; t() translates it where it is said.
_ = str

SKIPPED = "-"
# The intent Rasa's reminder triggers when the resident has paused while telling what happened.
# The report each form gathers, as the web form names it (bot/actions/resume.py).
REPORT_KINDS = {"file_complaint": "complaint", "give_commendation": "commendation"}
NARRATIVE_PAUSE_INTENT = "EXTERNAL_narrative_pause"
# The custom payload that tells the channel the resident's message was their PIN (webhooks/rasa_client.py).
REDACT_PIN = {"redact": "pin"}
_EMAIL = re.compile(r"[^@\s<>()\[\],;:\"']+@[^@\s<>()\[\],;:\"']+\.[A-Za-z]{2,}")
# What the queue files as an email address (intake.inputs.email_address): one plain ASCII mailbox
# at a domain whose labels are letters, digits and hyphens (an international one in its ASCII form).
_MAILBOX = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_DOMAIN_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
# The slots whose answer is read (yes/no, a choice, a number, an address): anything else said there
# may be a question about the service. Every other slot takes free text, where only a question
# written as one (a question mark, a question word) is taken for a question about the service.
READ_SLOTS = {
    "story_facts_confirmed",
    "incident_time_confirmed",
    "anonymous",
    "contact_phone",
    "contact_email",
    "contact_preferred",
    "summary_confirmed",
    "cancel_confirm",
    "tracking_number",
    "pin",
}
SERVICE_INTENTS = ("help", "request_human")
STORY_INTENTS = ("file_complaint", "give_commendation", "add_information", "emergency")
SERVICE_CONFIDENCE = 0.4
# NOTE: short on purpose (one or two text messages); it answers the questions residents ask in the
# middle of a report: is this the police, a person or a bot, who reads it, is it free, trouble, papers.
SERVICE_ANSWER = _(
    "This is Heard, the automated intake line of the city's independent police review office; "
    "it is not the police. The intake office's staff read reports, and the police see one only if it is "
    "referred to them. It is free, nobody asks about immigration status, and you can stay anonymous. "
    "To talk with a person, call {phone}."
)

# NOTE: said when the resident's words name a moment still to come ("tomorrow at 5"): never taken silently.
FUTURE_TIME = _("That is a time still to come, so I did not take it as the day it happened.")

# The resident asked not to be contacted at all (not the same as skipping the question).
NO_CONTACT = "none"
COMPLAINT_SLOTS = [
    "narrative",
    "narrative_more",
    "story_facts_confirmed",
    "incident_time",
    "incident_time_confirmed",
    "location",
    "officers",
    "injuries",
    "witnesses",
    "anonymous",
    "contact_name",
    # NOTE: how first, so only the address that way needs asking (a number, or an email address).
    "contact_preferred",
    "contact_email",
    "contact_phone",
    "contact_times",
    "summary_confirmed",
]
COMMENDATION_SLOTS = [
    "narrative",
    "story_facts_confirmed",
    "incident_time",
    "incident_time_confirmed",
    "location",
    "officers",
    "anonymous",
    "contact_name",
    "contact_phone",
    "summary_confirmed",
]
CONTACT_SLOTS = ["contact_name", "contact_phone", "contact_email", "contact_preferred", "contact_times"]
# What each numbered line of the read-back lets the resident change.
SUMMARY_SECTIONS: list[tuple[str, list[str]]] = [
    ("What happened", ["narrative", "narrative_more"]),
    ("When", ["incident_time", "incident_time_confirmed", "incident_at"]),
    ("Where", ["location"]),
    ("Officers", ["officers"]),
    ("Injuries", ["injuries"]),
    ("Witnesses", ["witnesses"]),
    ("How to reach you", ["anonymous", *CONTACT_SLOTS]),
]
DRAFT_SLOTS = sorted(
    {
        *COMPLAINT_SLOTS,
        *COMMENDATION_SLOTS,
        "incident_at",
        "story_facts",
        "draft_id",
        "draft_kind",
        "pin_needed",
        "cancel_pending",
        "cancel_confirm",
        "cancelled",
        "tracking_number",
        "pin",
        "information_text",
    }
)


def yes_no(language: str, tracker: Tracker, text: str, *, leading: bool = True) -> bool | None:
    """Read a yes or a no in the resident's language (words or the NLU's affirm/deny), else None.

    ``leading`` also reads a reply that opens with yes or no and goes on ("sí, que sea anónimo");
    off where a free-text answer may start with "no" ("no, he never showed his badge").
    """
    folded = fold(text)
    if folded in yes_words(language):
        return True
    if folded in no_words(language):
        return False
    if leading:
        opening = leading_answer(language, text)
        if opening is not None:
            return opening
    intent, confidence = latest_intent(tracker)
    if confidence >= 0.6 and len(text) <= COMMAND_MAX_CHARS:
        if intent == "affirm":
            return True
        if intent == "deny":
            return False
    return None


def parse_incident_time(language: str, text: str, now: dt.datetime | None = None) -> dt.datetime | None:
    """Find the date (and time) in the resident's words, in their language; None when there is none or it is to come."""
    when = read_when(language, text, now=now)
    if when is None or when.future:
        return None
    return when.moment.astimezone(dt.timezone.utc)


def worth_confirming(facts: dict[str, Any]) -> bool:
    """Tell whether one question about what the story said saves the resident a text.

    NOTE: two answers or more, or the time (which would be asked and then read back): one other
    answer alone costs the same question either way, and is asked as before.
    """
    return "incident_time" in facts or sum(1 for slot in FACT_SLOTS if slot in facts) >= 2


def find_phone(text: str) -> str | None:
    """Find a phone number inside other words ("no, call me at 209 555 0142")."""
    for match in phonenumbers.PhoneNumberMatcher(ascii_digits(text), "US"):
        return phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
    return None


def normalize_phone(text: str) -> str | None:
    try:
        number = phonenumbers.parse(text, "US")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def email_in(text: str) -> str | None:
    """Return the email address in ``text`` when the queue can send to it; None otherwise (ask again)."""
    found = _EMAIL.search(text)
    if not found:
        return None
    address = found.group(0).rstrip(".")
    local, _, domain = address.partition("@")
    try:
        labels = domain.encode("idna").decode("ascii").split(".")
    except UnicodeError:
        return None
    if len(local) > 64 or not _MAILBOX.fullmatch(local) or labels[-1].isdigit():
        return None
    return address if all(_DOMAIN_LABEL.fullmatch(label) for label in labels) else None


class HeardFormValidation(FormValidationAction):
    """Commands first (language, emergency, cancel), then the slot's own validation."""

    form_slots: ClassVar[list[str]] = []
    start_intent = ""

    @abstractmethod
    def name(self) -> str:
        """Each form's validation action names itself."""

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        if tracker.get_slot("cancelled"):
            return []
        slots = list(self.form_slots)
        if "incident_time_confirmed" in slots and not tracker.get_slot("incident_at"):
            slots.remove("incident_time_confirmed")
        if "story_facts_confirmed" in slots and not worth_confirming(self.facts_to_confirm(tracker)):
            slots.remove("story_facts_confirmed")
        if tracker.get_slot("anonymous") is True:
            slots = [s for s in slots if s not in CONTACT_SLOTS]
        slots = [s for s in slots if s not in unneeded_contact_slots(tracker)]
        if tracker.get_slot("cancel_pending"):
            slots.insert(0, "cancel_confirm")
        return slots

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        language, events = resolve_language(tracker)
        requested = tracker.get_slot("requested_slot")
        text = latest_text(tracker)
        if (
            requested is None
            and self.start_intent in ("check_status", "add_information")
            and opens_with_story(tracker, starting_form=True)
        ):
            # NOTE: the NLU heard a status check in a first message that tells a story: take the story.
            return [*events, ActiveLoop(None), SlotSet("requested_slot", None), FollowupAction("complaint_form")]
        if requested is None:  # the form is starting: a fresh draft
            events += [
                SlotSet("draft_id", uuid.uuid4().hex),
                SlotSet("cancelled", None),
                SlotSet("cancel_pending", None),
                SlotSet("cancel_confirm", None),
                SlotSet("draft_kind", self.start_intent),
            ]
            intent, _ = latest_intent(tracker)
            # NOTE: danger now in the message that starts a form (the classifier heard a complaint or a
            # status check in "police are beating someone right now") gets the 911 advice first.
            advise_if_emergency(dispatcher, tracker, t(language, EMERGENCY_MESSAGE))
            events += show_notice_once(dispatcher, tracker, language)
            if (
                "narrative" in self.form_slots
                and is_story(text)
                and (intent == self.start_intent or opens_with_story(tracker, starting_form=True))
            ):
                events.append(SlotSet("narrative", text))  # the first message already told what happened
            prefilled = self.prefill(text)
            if any(e.get("name") == "pin" for e in prefilled):
                dispatcher.utter_message(json_message=dict(REDACT_PIN))
            events += prefilled
            tracker.add_slots(events)
            return events + await super().run(dispatcher, tracker, domain)
        command = handle_language_commands(dispatcher, tracker, language)
        if command is None and self.start_intent in REPORT_KINDS:
            command = handle_web_command(dispatcher, tracker, language, REPORT_KINDS[self.start_intent])
        # NOTE: a reply the current question can read ("no, call me", an email address) is that answer,
        # whatever else the NLU heard in it; only what it cannot read may be a command or a question.
        # The bot's own SKIP word is always the answer "skip", never a command, in every language.
        answered = is_skip(language, text) or (
            requested in READ_SLOTS and self.reads_as_answer(language, tracker, requested, text)
        )
        if command is None and is_emergency(tracker):
            dispatcher.utter_message(text=t(language, EMERGENCY_MESSAGE))
            # NOTE: a short cry for help is not an answer; a long one (or a read yes/no) is kept, and so
            # is a line of the story that only the classifier took for an emergency: nothing told is lost.
            story_line = requested in ("narrative", "narrative_more") and not is_cry_for_help(tracker)
            if len(text) <= COMMAND_MAX_CHARS and not answered and not story_line:
                command = []
        if (
            command is None
            and not answered
            and requested != "cancel_confirm"
            and is_command(tracker, "cancel", free_text=requested not in READ_SLOTS)
        ):
            command = [SlotSet("cancel_pending", True)]
        if command is None and not answered and self.is_service_question(language, tracker, requested):
            dispatcher.utter_message(text=t(language, SERVICE_ANSWER, phone=OFFICE_PHONE))
            command = []  # answered; the same question is asked again
        if command is None:
            return events + await super().run(dispatcher, tracker, domain)
        events += [*command, SlotSet(requested, None)]
        tracker.add_slots(events)
        next_slot = await self.next_requested_slot(dispatcher, tracker, domain)
        return events + ([next_slot] if next_slot else [])

    def prefill(self, text: str) -> list[EventType]:
        """Take what the opening message already answers; nothing by default."""
        return []

    def is_service_question(self, language: str, tracker: Tracker, requested: str | None) -> bool:
        """Tell a question about the service ("is this the police?") from an answer to ``requested``."""
        text = latest_text(tracker)
        intent, confidence = latest_intent(tracker)
        if not text or looks_like_data(text) or requested is None:
            return False
        if requested in READ_SLOTS:
            if self.reads_as_answer(language, tracker, requested, text):
                return False
            return (intent in SERVICE_INTENTS and confidence >= SERVICE_CONFIDENCE) or is_question(language, text)
        if not is_question(language, text) or is_story(text):
            return False
        if requested == "narrative_more" and (
            ends_story(language, text) or yes_no(language, tracker, text, leading=False) is not None
        ):
            return False
        if requested in ("narrative", "narrative_more"):
            # NOTE: a question asked instead of the story is about the service unless the NLU reads story in it.
            return intent not in STORY_INTENTS or confidence < SERVICE_CONFIDENCE
        return intent in SERVICE_INTENTS and confidence >= SERVICE_CONFIDENCE

    def reads_as_answer(self, language: str, tracker: Tracker, requested: str, text: str) -> bool:
        """Tell whether ``text`` is an answer the slot ``requested`` understands."""
        if is_skip(language, text):
            return True
        if requested == "contact_preferred":
            return contact_choice(language, text) is not None or ascii_digits(fold(text)) in ("1", "2", "3")
        if requested == "contact_email":
            return bool(_EMAIL.search(text)) or says_no(language, text)
        if requested in ("tracking_number", "pin"):
            return any(c.isdigit() for c in ascii_digits(text))
        if requested == "summary_confirmed" and ascii_digits(fold(text)).isdigit():
            return True
        return yes_no(language, tracker, text) is not None

    # --- one validator per slot -------------------------------------------------

    def validate_cancel_confirm(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        language, _ = resolve_language(tracker)
        answer = yes_no(language, tracker, str(value or ""))
        if answer is True:
            return {"cancel_confirm": True, "cancel_pending": False, "cancelled": True}
        if answer is False:
            dispatcher.utter_message(text=t(language, "All right, let's go on where we were."))
            return {"cancel_confirm": None, "cancel_pending": False}
        return {"cancel_confirm": None}

    def validate_narrative(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = str(value or "").strip()
        if not text:
            return {"narrative": None}
        facts = self.read_facts(tracker, text)
        if not facts and not tracker.get_slot("story_facts"):
            return {"narrative": text}
        return {"narrative": text, "story_facts": facts or None}

    def read_facts(self, tracker: Tracker, text: str, earlier: dict[str, Any] | None = None) -> dict[str, Any]:
        """Add what ``text`` says of when, where, who, injuries and witnesses to what earlier lines said."""
        language, _ = resolve_language(tracker)
        now = arrival(metadata(tracker), list(tracker.events))
        found = story_facts(language, text, now=now, wanted=tuple(s for s in FACT_SLOTS if s in self.form_slots))
        return merge_facts(earlier, found)

    def facts_to_confirm(self, tracker: Tracker) -> dict[str, Any]:
        """What the story said that the form would otherwise ask, and has not been answered yet."""
        facts = tracker.get_slot("story_facts")
        if not isinstance(facts, dict):
            return {}
        wanted = [s for s in FACT_SLOTS if s in self.form_slots and tracker.get_slot(s) is None]
        kept = {s: facts[s] for s in wanted if facts.get(s)}
        if "incident_time" in kept:
            kept["incident_at"] = facts.get("incident_at")
        return kept

    def validate_story_facts_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        language, _ = resolve_language(tracker)
        facts = self.facts_to_confirm(tracker)
        if yes_no(language, tracker, str(value or "")) is not True or not facts:
            # NOTE: a no, or a correction in the resident's words: each question is asked as before.
            return {"story_facts_confirmed": False}
        answers: dict[str, Any] = {"story_facts_confirmed": True, **facts}
        if facts.get("incident_at"):
            answers["incident_time_confirmed"] = True
        return answers

    def validate_narrative_more(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        language, _ = resolve_language(tracker)
        if latest_intent(tracker)[0] == NARRATIVE_PAUSE_INTENT:
            return {"narrative_more": "done"}  # they paused: what they sent so far is what happened
        text = str(value or "").strip()
        if not text:
            return {"narrative_more": None}
        if ends_story(language, text) or yes_no(language, tracker, text, leading=False) is False:
            return {"narrative_more": "done"}
        narrative = (tracker.get_slot("narrative") or "").rstrip()
        answers: dict[str, Any] = {"narrative": f"{narrative}\n{text}" if narrative else text, "narrative_more": None}
        earlier = tracker.get_slot("story_facts")
        facts = self.read_facts(tracker, text, earlier)
        if facts != (earlier or {}):
            answers["story_facts"] = facts
        return answers

    def validate_incident_time(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        language, _ = resolve_language(tracker)
        text = str(value or "").strip()
        if not text:
            return {"incident_time": None}
        if is_skip(language, text):
            return {"incident_time": text, "incident_at": None}
        when = read_when(language, text, now=arrival(metadata(tracker), list(tracker.events)))
        if when is not None and when.future:
            dispatcher.utter_message(text=t(language, FUTURE_TIME))
            return {"incident_time": None, "incident_at": None}
        parsed = when.moment.astimezone(dt.timezone.utc).isoformat() if when else None
        return {"incident_time": text, "incident_at": parsed}

    def validate_incident_time_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        language, _ = resolve_language(tracker)
        answer = yes_no(language, tracker, str(value or ""))
        if answer is True:
            return {"incident_time_confirmed": True}
        if answer is False:
            return {"incident_time_confirmed": None, "incident_time": None, "incident_at": None}
        dispatcher.utter_message(text=t(language, "Please answer yes or no."))
        return {"incident_time_confirmed": None}

    def _free_text(self, slot: str, value: Any, tracker: Tracker) -> dict[str, Any]:
        text = str(value or "").strip()
        if not text:
            return {slot: None}
        language, _ = resolve_language(tracker)
        return {slot: SKIPPED if is_skip(language, text) else text}

    def validate_location(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._free_text("location", value, tracker)

    def validate_officers(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._free_text("officers", value, tracker)

    def validate_injuries(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._free_text("injuries", value, tracker)

    def validate_witnesses(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._free_text("witnesses", value, tracker)

    def validate_contact_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        answer = self._free_text("contact_name", value, tracker)
        given = answer.get("contact_name")
        if isinstance(given, str) and given != SKIPPED:
            language, _ = resolve_language(tracker)
            answer["contact_name"] = name_from(given, [language])  # "my name is Ana Ruiz" is Ana Ruiz
        return answer

    def validate_contact_times(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._free_text("contact_times", value, tracker)

    def validate_anonymous(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        language, _ = resolve_language(tracker)
        answer = yes_no(language, tracker, str(value or ""))
        if answer is None:
            dispatcher.utter_message(text=t(language, "Please answer yes or no."))
            return {"anonymous": None}
        if answer:
            return {"anonymous": True, **{slot: None for slot in CONTACT_SLOTS}}
        return {"anonymous": False}

    def validate_contact_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        language, _ = resolve_language(tracker)
        text = str(value or "").strip()
        known = metadata(tracker).get("phone")
        if is_skip(language, text):
            return {"contact_phone": SKIPPED}
        phone = normalize_phone(text) or find_phone(text)
        answer = yes_no(language, tracker, text)
        if phone is None and known and answer is True:
            return {"contact_phone": known}
        if phone is None and answer is False:
            return {"contact_phone": SKIPPED}
        if phone is None:
            dispatcher.utter_message(
                text=t(
                    language,
                    "That does not look like a phone number. Please type it with the area code, or reply SKIP.",
                )
            )
            return {"contact_phone": None}
        return {"contact_phone": phone}

    def validate_contact_email(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        language, _ = resolve_language(tracker)
        text = str(value or "").strip()
        found = email_in(text)  # alone, or "my email is ..."
        if found:
            return {"contact_email": found}
        if is_skip(language, text) or says_no(language, text) or yes_no(language, tracker, text) is False:
            return {"contact_email": SKIPPED}  # "I don't use email"
        dispatcher.utter_message(
            text=t(language, "That does not look like an email address. Please type it again, or reply SKIP.")
        )
        return {"contact_email": None}

    def validate_contact_preferred(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        language, _ = resolve_language(tracker)
        choice = ascii_digits(fold(str(value or "")))
        options = {"1": "sms", "2": "phone", "3": "email"}
        if choice in options:
            return {"contact_preferred": options[choice]}
        if is_skip(language, choice):
            return {"contact_preferred": SKIPPED}
        said = contact_choice(language, str(value or ""))  # "call me", "por mensaje", "no contact"
        if said is not None:
            return {"contact_preferred": NO_CONTACT if said == "none" else said, **said_with_it(said, str(value or ""))}
        dispatcher.utter_message(text=t(language, "Please reply 1, 2 or 3."))
        return {"contact_preferred": None}

    def validate_summary_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        language, _ = resolve_language(tracker)
        text = ascii_digits(fold(str(value or "")))
        if yes_no(language, tracker, text) is True:
            return {"summary_confirmed": True}
        sections = summary_sections(tracker)
        if text.isdigit() and 1 <= int(text) <= len(sections):
            _, slots = sections[int(text) - 1]
            return {"summary_confirmed": None, **{slot: None for slot in slots}}
        dispatcher.utter_message(
            text=t(language, "Reply YES to send your report, or the number of the answer you want to change.")
        )
        return {"summary_confirmed": None}


def unneeded_contact_slots(tracker: Tracker) -> set[str]:
    """The contact questions the way the resident chose to be reached makes needless (unless answered already).

    A text or a call needs a number, not an email address; an email needs no number (unless the
    address was skipped: a number is asked instead) and no safe time to call; "no contact" needs none.
    """
    preferred, email = tracker.get_slot("contact_preferred"), tracker.get_slot("contact_email")
    unneeded = set()
    if preferred in ("sms", "phone"):
        unneeded.add("contact_email")
    if preferred == "email" and email and email != SKIPPED:
        unneeded.add("contact_phone")
    if preferred in (SKIPPED, NO_CONTACT) or (preferred == "email" and email and email != SKIPPED):
        unneeded.add("contact_times")  # no call or text is coming (an email skipped asks a number, and when)
    if preferred == NO_CONTACT:
        unneeded |= {"contact_email", "contact_phone"}
    return {slot for slot in unneeded if not tracker.get_slot(slot)}


# A time of day said with the choice: "after 5pm", "6:30", "después de las 6", "sau 5 giờ", "5点以后".
_SAYS_A_TIME = re.compile(
    r"\d{1,2}(?::\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.|giờ|gio|h\b|点|點|ਵਜੇ|ໂມງ|ម៉ោង)"
    r"|\d{1,2}:\d{2}"
    r"|\b(?:after|before|between|from|despu[eé]s de|antes de|desde|sau|trước|truoc|pagkatapos ng|bago mag)"
    r"\s+(?:las\s+|la\s+|ng\s+)?\d"
)


def said_with_it(choice: str, text: str) -> dict[str, Any]:
    """What a resident adds to how to reach them: a number ("text me at 209 555 0142"), or when ("call after 5pm").

    NOTE: kept as their words, so nothing is asked twice; the read-back shows both.
    """
    if choice not in ("sms", "phone"):
        return {}
    phone = find_phone(text)
    if phone is not None:
        return {"contact_phone": phone}
    if _SAYS_A_TIME.search(ascii_digits(text).casefold()):
        return {"contact_times": text.strip()}
    return {}


def summary_sections(tracker: Tracker) -> list[tuple[str, list[str]]]:
    """The read-back's numbered lines for the form that is running."""
    form = (tracker.active_loop or {}).get("name")
    if form == "commendation_form":
        wanted = {"What happened", "When", "Where", "Officers", "How to reach you"}
        return [s for s in SUMMARY_SECTIONS if s[0] in wanted]
    return SUMMARY_SECTIONS


class ValidateComplaintForm(HeardFormValidation):
    form_slots = COMPLAINT_SLOTS
    start_intent = "file_complaint"

    def name(self) -> str:
        return "validate_complaint_form"


class ValidateCommendationForm(HeardFormValidation):
    form_slots = COMMENDATION_SLOTS
    start_intent = "give_commendation"

    def name(self) -> str:
        return "validate_commendation_form"


# NOTE: marked with _ so `pybabel extract` finds it; unmarked, it was in no catalog and every
# language got the 911 advice in English (issue 15; tests/test_catalog_coverage.py guards it).
EMERGENCY_MESSAGE = _(
    "If you or someone else is in danger or hurt right now, call 911. Heard is not an emergency line and "
    "cannot send help. Your report here is saved; you can come back to it when you are safe."
)
