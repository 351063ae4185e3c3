"""The bot's actions: questions, answers and filing, all rendered from the catalogs."""

from __future__ import annotations

import datetime as dt
import logging
import os
from abc import ABC, abstractmethod
from typing import Any
from urllib.parse import quote

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, ReminderScheduled, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions import intake_client
from bot.actions.common import (
    OFFICE_PHONE,
    known_phone_digits,
    metadata,
    resolve_language,
    show_notice_once,
    shown_phone,
)
from bot.actions.forms import DRAFT_SLOTS, NARRATIVE_PAUSE_INTENT, SKIPPED, summary_sections
from bot.actions.i18n import format_day, t
from bot.actions.resume import FINISHED_ON_WEB

# The slot that makes Heard's tracker store (bot/tracker_store.py) scrub the conversation's history.
SCRUB_SLOT = "scrub_history"
log = logging.getLogger(__name__)

# Every message is written out in full here so `pybabel extract` finds it.
_ = str

QUESTIONS: dict[str, str] = {
    "narrative": _("What happened? Tell me in your own words, in as many messages as you need."),
    "narrative_more": _("Thank you. Is there anything more about what happened? Send it now, or reply DONE."),
    "incident_time": _('When did it happen? A day and time is best, for example "Saturday around 9 at night".'),
    "location": _("Where did it happen? An address, a cross street or a place is enough."),
    "officers": _(
        'Which officers were involved? Names, badge numbers, car numbers or a description. "I don\'t know" is fine.'
    ),
    "injuries": _("Was anyone hurt? If so, tell me who and how."),
    "witnesses": _("Did anyone else see it? You can also send photos or video by text message now or later."),
    "anonymous": _("Do you want to stay anonymous? Reply YES to stay anonymous, or NO to tell us how to reach you."),
    "contact_name": _("What is your name? Reply SKIP if you prefer not to say."),
    "contact_email": _("What email address can we use? Reply SKIP if you have none."),
    "contact_preferred": _("How should we contact you? Reply 1 for text message, 2 for a phone call, 3 for email."),
    "contact_times": _(
        'When is it safe to contact you? For example "weekdays after 5 pm". Reply SKIP if any time is fine.'
    ),
    "cancel_confirm": _(
        "Do you want to discard this report? Nothing will be sent. Reply YES to discard it or NO to go on."
    ),
    "tracking_number": _("What is your tracking number? It has 10 digits, like 482-193-7703."),
    "pin": _("What is the PIN you were given with your tracking number?"),
    "information_text": _("What would you like to add to your report? You can also send photos or video."),
}
# The questions answered in the resident's own words. Saying so lets the SMS channel ask before a
# localized opt-out word opts the resident out: it may be their name (Vietnamese "Dung").
FREE_TEXT_SLOTS = frozenset(QUESTIONS) - {"anonymous", "contact_preferred", "cancel_confirm", "tracking_number", "pin"}
AWAITING_FREE_TEXT = {"awaiting": "free_text"}  # webhooks/rasa_client.py reads it
SECTION_TITLES = {
    "What happened": _("What happened"),
    "When": _("When"),
    "Where": _("Where"),
    "Officers": _("Officers"),
    "Injuries": _("Injuries"),
    "Witnesses": _("Witnesses"),
    "How to reach you": _("How to reach you"),
}
STATUS_NAMES = {
    "received": _("received, waiting to be reviewed"),
    "triage": _("being reviewed by the intake office"),
    "assigned": _("assigned to an investigator"),
    "investigating": _("under investigation"),
    "referred": _("referred to the police department for action"),
    "closed": _("closed"),
    "withdrawn": _("withdrawn"),
}
# NOTE: said after the status of a case closed as a duplicate; the other case's number stays with the office.
MERGED = _(
    "This report was joined with another report about the same events; the intake office handles them together. "
    "Your tracking number and PIN still work."
)
PIN_LOCKED = _(
    "This report is locked because a wrong PIN was entered too many times. "
    "To unlock it, call the intake office at {phone}."
)
LOCKED = 423  # the intake API's answer once a case's PIN is locked
CONFLICT = 409  # the intake API's answer when the draft was filed already (on the web, with a WEB code)


class AskAction(Action, ABC):
    """Ask one form question in the resident's language."""

    slot = ""

    @abstractmethod
    def name(self) -> str:
        """``action_ask_<slot>``."""

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        language, events = resolve_language(tracker)
        dispatcher.utter_message(text=t(language, QUESTIONS[self.slot]))
        if self.slot in FREE_TEXT_SLOTS:
            dispatcher.utter_message(json_message=AWAITING_FREE_TEXT)
        return events


def _ask_class(slot: str) -> type[AskAction]:
    def name(self: AskAction) -> str:
        return f"action_ask_{self.slot}"

    class_name = f"ActionAsk{slot.title().replace('_', '')}"
    # NOTE: named as a module attribute so the class pickles by reference: rasa-sdk 3.21's Sanic
    # spawns its worker process and pickles the action executor, with every action, into it.
    namespace = {"slot": slot, "name": name, "__module__": __name__, "__qualname__": class_name}
    return type(class_name, (AskAction,), namespace)


for _slot in QUESTIONS:
    if _slot not in ("narrative", "narrative_more"):
        globals()[f"ActionAsk{_slot.title().replace('_', '')}"] = _ask_class(_slot)


class ActionAskNarrative(Action):
    """Give the notice once, then ask what happened."""

    def name(self) -> str:
        return "action_ask_narrative"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        language, events = resolve_language(tracker)
        events += show_notice_once(dispatcher, tracker, language)
        form = (tracker.active_loop or {}).get("name")
        question = (
            _("Thank you for taking the time to recognise good work. What did the officer do?")
            if form == "commendation_form"
            else QUESTIONS["narrative"]
        )
        dispatcher.utter_message(text=t(language, question))
        dispatcher.utter_message(json_message=AWAITING_FREE_TEXT)
        return events


DEFAULT_NARRATIVE_PAUSE_SECONDS = 180.0
# Channels that can carry a message the bot sends between the resident's turns (bot/channels.py
# hands it to the web app): a text message, or the chat's transcript, which the open widget fetches.
DEFAULT_NARRATIVE_PAUSE_CHANNELS = "sms,web_chat,whatsapp"


def narrative_pause_seconds(tracker: Tracker) -> float | None:
    """How long a silence ends "what happened" in this conversation; None when the bot waits for DONE.

    ``HEARD_NARRATIVE_PAUSE_SECONDS`` (default 180) and ``HEARD_NARRATIVE_PAUSE_CHANNELS`` (default
    ``sms,web_chat,whatsapp``) configure the action server; a channel may send its own length as the message metadata
    ``narrative_pause_seconds``. Zero turns the pause off.
    """
    data = metadata(tracker)
    channels = os.environ.get("HEARD_NARRATIVE_PAUSE_CHANNELS", DEFAULT_NARRATIVE_PAUSE_CHANNELS)
    if data.get("channel") not in {c.strip() for c in channels.split(",")}:
        return None
    raw = data.get("narrative_pause_seconds") or os.environ.get("HEARD_NARRATIVE_PAUSE_SECONDS")
    try:
        seconds = float(raw) if raw is not None else DEFAULT_NARRATIVE_PAUSE_SECONDS
    except (TypeError, ValueError):
        seconds = DEFAULT_NARRATIVE_PAUSE_SECONDS
    return seconds if seconds > 0 else None


def latest_user_timestamp(tracker: Tracker) -> float | None:
    """The time the tracker store gave the resident's latest message (the one a pause follows)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user" and not (event.get("metadata") or {}).get("is_external"):
            stamp = event.get("timestamp")
            return float(stamp) if isinstance(stamp, int | float) else None
    return None


def schedule_pause(tracker: Tracker, seconds: float) -> list[EventType]:
    """Ask Heard's queue to fire the pause; fall back to a reminder in this Rasa process's memory."""
    after = latest_user_timestamp(tracker)
    if after is not None:
        path = f"/conversations/{quote(tracker.sender_id, safe='')}/pause"
        try:
            answer = intake_client.post(path, {"seconds": seconds, "after": after})
        except intake_client.IntakeUnavailable as exc:
            log.warning("the pause could not be queued (%s); Rasa's reminder stands in", exc)
        else:
            if answer.status < 300:
                return []
            log.warning("the pause was refused (%s); Rasa's reminder stands in", answer.status)
    # NOTE: a reminder lives in one Rasa process's memory (lost on restart), so it is only the fallback.
    return [
        ReminderScheduled(
            NARRATIVE_PAUSE_INTENT,
            trigger_date_time=dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=seconds),
            name="narrative_pause",
            kill_on_user_message=True,
        )
    ]


class ActionAskNarrativeMore(Action):
    """Ask for more of what happened; after a silence, Heard's worker moves the form on."""

    def name(self) -> str:
        return "action_ask_narrative_more"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        language, events = resolve_language(tracker)
        question = QUESTIONS["narrative_more"]  # NOTE: not inline, or pybabel reads the key as a message
        dispatcher.utter_message(text=t(language, question))
        dispatcher.utter_message(json_message=AWAITING_FREE_TEXT)
        seconds = narrative_pause_seconds(tracker)
        if seconds is not None:
            # NOTE: one pause per conversation (a new one supersedes the last), cancelled when the
            # resident writes again; it is a job in Heard's queue (intake/conversations/pauses.py),
            # so it fires on any Rasa replica, after any restart.
            events.extend(schedule_pause(tracker, seconds))
        return events


class ActionAskIncidentTimeConfirmed(Action):
    """Read the understood date back in the resident's language."""

    def name(self) -> str:
        return "action_ask_incident_time_confirmed"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        language, events = resolve_language(tracker)
        when = dt.datetime.fromisoformat(tracker.get_slot("incident_at"))
        day = format_day(language, when.astimezone(_office_zone()))
        text = t(language, "I understood: {date}. Is that right? Reply YES or NO.", date=day)
        if day.endswith("."):
            text = text.replace(day + ".", day)  # "9:30 p.m." ends its own sentence: no second full stop
        dispatcher.utter_message(text=text)
        return events


# NOTE: one question for everything the story already said (issue 14: too many texts); a no asks each again.
STORY_FACTS_INTRO = _("From what you wrote, I understood:")
STORY_FACTS_QUESTION = _("Is that right? Reply YES, or NO to answer these questions one by one.")
STORY_FACT_TITLES = {
    "incident_time": "When",
    "location": "Where",
    "officers": "Officers",
    "injuries": "Injuries",
    "witnesses": "Witnesses",
}


class ActionAskStoryFactsConfirmed(Action):
    """Read back what the story said of when, where, who, injuries and witnesses, and ask once whether it is right."""

    def name(self) -> str:
        return "action_ask_story_facts_confirmed"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        language, events = resolve_language(tracker)
        facts = tracker.get_slot("story_facts") or {}
        lines = [t(language, STORY_FACTS_INTRO)]
        for slot, title in STORY_FACT_TITLES.items():
            if slot not in facts or tracker.get_slot(slot) is not None:
                continue
            value = str(facts[slot])
            if slot == "incident_time" and facts.get("incident_at"):
                when = dt.datetime.fromisoformat(str(facts["incident_at"])).astimezone(_office_zone())
                value = format_day(language, when)
            lines.append(f"{t(language, SECTION_TITLES[title])}: {value}")
        lines.append(t(language, STORY_FACTS_QUESTION))
        dispatcher.utter_message(text="\n".join(lines))
        return events


class ActionAskContactPhone(Action):
    """Offer the number they write from, or ask for one."""

    def name(self) -> str:
        return "action_ask_contact_phone"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        language, events = resolve_language(tracker)
        known = metadata(tracker).get("phone")
        if known:
            message = t(
                language,
                "Can we reach you at the number you are writing from, ending in {last_digits}? Reply YES, type another number, or reply SKIP.",
                last_digits=known_phone_digits(tracker),
            )
        else:
            message = t(language, "What phone number can we reach you at? Reply SKIP if you prefer not to give one.")
        dispatcher.utter_message(text=message)
        return events


def _answer(language: str, tracker: Tracker, slots: list[str]) -> str:
    first = slots[0]
    if first == "anonymous":
        if tracker.get_slot("anonymous"):
            return t(language, "anonymous")
        parts = [tracker.get_slot(s) for s in ("contact_name", "contact_phone", "contact_email", "contact_times")]
        shown = [shown_phone(str(p), tracker) for p in parts if p and p != SKIPPED]
        return ", ".join(shown) or t(language, "(not given)")
    if first == "incident_time" and tracker.get_slot("incident_at") and tracker.get_slot("incident_time_confirmed"):
        when = dt.datetime.fromisoformat(tracker.get_slot("incident_at")).astimezone(_office_zone())
        return format_day(language, when)
    value = tracker.get_slot(first)
    return shown_phone(str(value), tracker) if value and value != SKIPPED else t(language, "(not given)")


class ActionAskSummaryConfirmed(Action):
    """Read every answer back, numbered, so any one can be corrected."""

    def name(self) -> str:
        return "action_ask_summary_confirmed"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        language, events = resolve_language(tracker)
        lines = [t(language, "Here is your report:")]
        for number, (title, slots) in enumerate(summary_sections(tracker), start=1):
            lines.append(f"{number}. {t(language, SECTION_TITLES[title])}: {_answer(language, tracker, slots)}")
        lines.append(t(language, "Reply YES to send it, or the number of the answer you want to change."))
        dispatcher.utter_message(text="\n".join(lines))
        return events


def _office_zone() -> dt.tzinfo:
    from zoneinfo import ZoneInfo

    return ZoneInfo(os.environ.get("HEARD_OFFICE_TIMEZONE", "America/Los_Angeles"))


def _reset_draft(language: str) -> list[EventType]:
    """Drop the draft; the tracker store then keeps only a scrubbed history of the conversation (issue 17)."""
    return [SlotSet(slot, None) for slot in DRAFT_SLOTS] + [SlotSet("language", language), SlotSet(SCRUB_SLOT, True)]


def _value(tracker: Tracker, slot: str) -> str | None:
    value = tracker.get_slot(slot)
    return None if value in (None, SKIPPED, "") else str(value)


class ActionFinishReport(Action, ABC):
    """File the finished complaint or commendation, or drop it if the resident cancelled."""

    kind = "complaint"

    @abstractmethod
    def name(self) -> str:
        """``action_finish_<kind>``."""

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        language, events = resolve_language(tracker)
        if tracker.get_slot("cancelled"):
            dispatcher.utter_message(
                text=t(language, "Your report was discarded and nothing was sent. You can start again at any time.")
            )
            return events + _reset_draft(language)
        anonymous = bool(tracker.get_slot("anonymous"))
        contact = None
        if not anonymous:
            preferred = _value(tracker, "contact_preferred")
            contact = {
                "name": _value(tracker, "contact_name"),
                "phone": _value(tracker, "contact_phone"),
                "email": _value(tracker, "contact_email"),
            }
            if (preferred in ("sms", "phone") and contact["phone"]) or (preferred == "email" and contact["email"]):
                contact["preferred"] = preferred
            if not any(contact.values()):
                contact = None
        times = _value(tracker, "contact_times")
        narrative = _value(tracker, "narrative") or ""
        payload: dict[str, Any] = {
            "draft_id": tracker.get_slot("draft_id") or f"{tracker.sender_id}:{len(tracker.events)}",
            "conversation_id": tracker.sender_id,
            "kind": self.kind,
            "channel": metadata(tracker).get("channel") or "web_chat",
            "language": language,
            "narrative": narrative,
            "incident_time_text": _value(tracker, "incident_time"),
            "location": _value(tracker, "location"),
            "officers": _value(tracker, "officers"),
            "injuries": _value(tracker, "injuries"),
            "witnesses": "\n".join(filter(None, [_value(tracker, "witnesses"), times and f"contact times: {times}"]))
            or None,
            "anonymous": anonymous,
            "contact": contact,
        }
        if tracker.get_slot("incident_time_confirmed") and tracker.get_slot("incident_at"):
            payload["incident_time"] = tracker.get_slot("incident_at")
        try:
            answer = intake_client.post("/cases", payload)
        except intake_client.IntakeUnavailable:
            dispatcher.utter_message(
                text=t(
                    language,
                    "I could not reach the intake office just now. Your answers are kept here; reply YES in a minute to try sending again.",
                )
            )
            return [*events, SlotSet("filing_failed", True)]
        if answer.status == CONFLICT and answer.body.get("error") == "finished_on_web":
            # NOTE: the resident went on with a WEB code and filed there: this draft ends without a second case.
            dispatcher.utter_message(text=t(language, FINISHED_ON_WEB))
            return events + _reset_draft(language)
        if answer.status != 201:
            dispatcher.utter_message(
                text=t(
                    language,
                    "Something in the report could not be accepted. Please call the intake office at {phone}.",
                    phone=OFFICE_PHONE,
                )
            )
            return [*events, SlotSet("filing_failed", True)]
        receipt = answer.body
        dispatcher.utter_message(
            text=t(
                language,
                "Your report has been sent. Your tracking number is {tracking_number} and your PIN is {pin}. Keep them to check on your report.",
                tracking_number=receipt["tracking_number"],
                pin=receipt["pin"],
            )
        )
        dispatcher.utter_message(
            text=t(
                language,
                "What happens next: the intake office will review your report and contact you within 3 working days, unless you stayed anonymous. Text STATUS with your tracking number at any time.",
            )
        )
        return events + _reset_draft(language) + [SlotSet("filing_failed", False)]


class ActionFinishComplaint(ActionFinishReport):
    kind = "complaint"

    def name(self) -> str:
        return "action_finish_complaint"


class ActionFinishCommendation(ActionFinishReport):
    kind = "commendation"

    def name(self) -> str:
        return "action_finish_commendation"


class ActionFinishStatus(Action):
    def name(self) -> str:
        return "action_finish_status"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        language, events = resolve_language(tracker)
        if tracker.get_slot("cancelled"):
            dispatcher.utter_message(text=t(language, "All right, we will leave it there."))
            return events + _reset_draft(language)
        proof = {"tracking_number": tracker.get_slot("tracking_number")}
        if tracker.get_slot("pin"):
            proof["pin"] = tracker.get_slot("pin")
        else:
            proof["phone"] = metadata(tracker).get("phone")
        try:
            answer = intake_client.post("/status", proof)
        except intake_client.IntakeUnavailable:
            dispatcher.utter_message(
                text=t(language, "I could not reach the intake office just now. Please try again in a few minutes.")
            )
            return events + _reset_draft(language)
        if answer.status == LOCKED:
            dispatcher.utter_message(text=t(language, PIN_LOCKED, phone=OFFICE_PHONE))
            return events + _reset_draft(language)
        if answer.status != 200 and "phone" in proof:
            # NOTE: not filed from this number (or filed anonymously): the PIN proves it instead.
            return [*events, SlotSet("pin_needed", True), FollowupAction("status_form")]
        if answer.status != 200:
            dispatcher.utter_message(
                text=t(
                    language,
                    "I could not find a report with that tracking number and PIN. Please check them and try again.",
                )
            )
            return events + _reset_draft(language)
        when = dt.datetime.fromisoformat(answer.body["last_update"]).astimezone(_office_zone())
        status_name = STATUS_NAMES[answer.body["status"]]
        dispatcher.utter_message(
            text=t(
                language,
                "Report {tracking_number} is {status}. Last update: {date}.",
                tracking_number=answer.body["tracking_number"],
                status=t(language, status_name),
                date=format_day(language, when.replace(hour=0, minute=0)),
            )
        )
        if answer.body.get("merged"):
            dispatcher.utter_message(text=t(language, MERGED))
        return events + _reset_draft(language)


class ActionFinishInformation(Action):
    def name(self) -> str:
        return "action_finish_information"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        language, events = resolve_language(tracker)
        if tracker.get_slot("cancelled"):
            dispatcher.utter_message(text=t(language, "All right, we will leave it there."))
            return events + _reset_draft(language)
        payload = {
            "tracking_number": tracker.get_slot("tracking_number"),
            "text": tracker.get_slot("information_text"),
            "channel": metadata(tracker).get("channel") or "web_chat",
            "conversation_id": tracker.sender_id,
        }
        payload["pin"] = tracker.get_slot("pin")  # always: a phone number never stands in for it here
        try:
            answer = intake_client.post("/information", payload)
        except intake_client.IntakeUnavailable:
            dispatcher.utter_message(
                text=t(language, "I could not reach the intake office just now. Please try again in a few minutes.")
            )
            # NOTE: the other answers are kept for asking again; the PIN, a credential, is asked again.
            return [*events, SlotSet("pin", None)]
        if answer.status == LOCKED:
            dispatcher.utter_message(text=t(language, PIN_LOCKED, phone=OFFICE_PHONE))
            return events + _reset_draft(language)
        if answer.status != 201:
            dispatcher.utter_message(
                text=t(
                    language,
                    "I could not find a report with that tracking number and PIN. Please check them and try again.",
                )
            )
            return events + _reset_draft(language)
        dispatcher.utter_message(
            text=t(
                language,
                "Thank you. What you sent was added to report {tracking_number}.",
                tracking_number=answer.body["tracking_number"],
            )
        )
        return events + _reset_draft(language)


class ActionRetryFiling(Action):
    """After a failed filing, a yes tries again with the kept answers."""

    def name(self) -> str:
        return "action_retry_filing"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        finisher = (
            ActionFinishCommendation()
            if tracker.get_slot("draft_kind") == "give_commendation"
            else ActionFinishComplaint()
        )
        return finisher.run(dispatcher, tracker, domain)
