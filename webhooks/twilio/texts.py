"""What Heard texts on its own (not the dialogue's words), for the messages catalog; and how sure a first text is
of its language."""

from __future__ import annotations

from nlu.detect import detect_language, script_language
from webhooks.i18n import _

# A resident's first message with this many letters tells their language well enough to keep.
CONFIDENT_LETTERS = 20
HOLDING = _(
    "Thank you, we received your message. It is taking us a little longer than usual to answer; "
    "we will text you back shortly."
)
NO_ANSWER = _(
    "We received your message, but our assistant could not answer it. Please send it again in a moment, or reply HELP."
)
HELP = _(
    "Heard takes reports about police conduct, and thanks for good police work, for the city's independent "
    "police review office. Text us in your own language to start. If you are in danger now, call 911. "
    "To stop messages, reply STOP. To talk with a person, call {phone}."
)
STOPPED = _("You will not get any more messages from Heard. Reply START if you want to receive messages again.")
STARTED = _("Welcome back. You will get messages from Heard again. Text us to make a report, or reply HELP.")
# Said after the dialogue's answer when a localized opt-out word came while it waited for free text.
CONFIRM_STOP = _("Did you mean to stop all messages from Heard? If so, reply STOP.")
MEDIA_RECEIVED = _("We received the photos or files you sent ({count}). They will be kept with your report.")
MEDIA_TYPE_REJECTED = _(
    "We could not accept a file you sent, because it is not a photo, video, audio recording or PDF document."
)
MEDIA_SIZE_REJECTED = _("We could not accept a file you sent, because it is larger than {size} MB.")
MEDIA_FAILED = _("We could not receive a file you sent. Please try sending it again.")
MEDIA_ITEM_FAILED = _(
    "We could not receive file {number} of the {count} you sent. The others arrived. Please try sending that one again."
)
MEDIA_HELD = _(
    "We are keeping the photos or files you sent. They were not added to your earlier report, which is already "
    "being handled; they will go with your next report. If they belong to the earlier one, call {phone}."
)
# The variable of Heard's approved WhatsApp template, sent when a message waits outside WhatsApp's 24-hour window.
WHATSAPP_NEW_MESSAGE = _("You have a new message about your report. Reply to this message to read it.")
MACHINE_TRANSLATED = _("(This message was translated from English by a machine. Reply if anything is unclear.)")


def letters(text: str) -> int:
    return sum(c.isalpha() for c in text)


def confident_language(text: str) -> str | None:
    """Return the language ``text`` is clearly written in, or None when it is too short to tell."""
    by_script = script_language(text)
    if by_script:
        return by_script
    if letters(text) >= CONFIDENT_LETTERS:
        return detect_language(text)
    return None
