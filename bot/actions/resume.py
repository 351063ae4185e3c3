"""WEB: a resident texting a report asks to finish it on the web form (issue 20 item 4).

The answers so far go to Heard with the request, sealed there; Heard answers with a one-time code
and the form's address, which are said to the resident and never kept in the dialogue's slots.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import intake_client
from bot.actions.common import latest_text
from bot.actions.i18n import LANGUAGES, chinese_script_in_use, current_channel, first_keyword, fold, matches, t

# Only a resident on a small screen has somewhere else to go; the web chat is the web already.
TEXT_CHANNELS = ("sms", "whatsapp")
SKIPPED = "-"
# The form's field for each of the dialogue's slots.
FIELD_OF_SLOT = {
    "narrative": "narrative",
    "incident_time": "when_text",
    "location": "location",
    "officers": "officers",
    "injuries": "injuries",
    "witnesses": "witnesses",
    "contact_name": "name",
    "contact_phone": "phone",
    "contact_email": "email",
    "contact_times": "times",
}
_ = str
CODE_SENT = _(
    "To finish on the web, open {url} and enter the code {code}. It works once, for 30 minutes. "
    "Until then you can also go on here."
)
NO_CODE = _("I could not make a web code just now. Please go on here, or try again later.")
FINISHED_ON_WEB = _("This report was finished on the web, so it was not sent again from here.")


WEB_WORDS = "web|website|online|continue online|continue on the web"
# Where it happened may truly be "online" (threats on social media): there only the WEB word itself asks.
PLACE_SLOTS = frozenset({"location"})


def is_web_command(text: str, asked: str | None = None) -> bool:
    """Tell whether ``text`` asks to go on with the report on the web, in any of the languages.

    ``asked`` is the slot the bot asked for; when it is a place, "online" alone is the answer.
    """
    if asked in PLACE_SLOTS:
        catalogs = [*LANGUAGES, "zh_Hant"]  # NOTE: both Chinese scripts, whichever this conversation writes
        return fold(text) in {"web", *(first_keyword(language, "keywords", WEB_WORDS) for language in catalogs)}
    # NOTE: the words written out again, for the catalogs' extraction (matches:3c,4 in the Makefile).
    return any(
        matches(language, text, "keywords", "web|website|online|continue online|continue on the web")
        for language in LANGUAGES
    )


def answers_so_far(tracker: Tracker, kind: str) -> dict[str, str]:
    """The draft's answers as the web form names them; skipped ones are left out."""
    answers = {"kind": kind}
    for slot, field in FIELD_OF_SLOT.items():
        value = tracker.get_slot(slot)
        if isinstance(value, str) and value not in ("", SKIPPED):
            answers[field] = value
    anonymous = tracker.get_slot("anonymous")
    if anonymous in (True, False):
        answers["anonymous"] = "yes" if anonymous else "no"
    preferred = tracker.get_slot("contact_preferred")
    if preferred in ("sms", "phone", "email"):
        answers["preferred"] = str(preferred)
    return answers


def handle_web_command(
    dispatcher: CollectingDispatcher, tracker: Tracker, language: str, kind: str
) -> list[EventType] | None:
    """Answer WEB with a one-time code for the draft; None when the message is no such request."""
    asked = tracker.get_slot("requested_slot")
    if current_channel() not in TEXT_CHANNELS or not is_web_command(latest_text(tracker), asked):
        return None
    payload: dict[str, Any] = {
        "conversation_id": tracker.sender_id,
        "draft_id": tracker.get_slot("draft_id") or tracker.sender_id,
        "language": language,
        "script": chinese_script_in_use(),
        "answers": answers_so_far(tracker, kind),
    }
    try:
        answer = intake_client.post("/resume-codes", payload)
    except intake_client.IntakeUnavailable:
        answer = None
    if answer is None or answer.status != 201:
        dispatcher.utter_message(text=t(language, NO_CODE))
        return []
    # NOTE: the code goes out in this reply only; no slot or event of the dialogue keeps it.
    dispatcher.utter_message(text=t(language, CODE_SENT, url=answer.body["url"], code=answer.body["code"]))
    return []
