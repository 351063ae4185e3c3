"""The dialogue's words for a call: what a caller says or presses, and what a TTY user types.

The bot's texts are written for reading (SMS, web chat): "Reply YES", "type another number",
"Text STATUS", "send photos by text message". Read aloud to a caller, or typed to a TTY, those
are instructions the caller cannot follow. ``i18n.t`` therefore swaps a text for its variant
here when the conversation's channel (the message metadata ``channel``, set by
``common.resolve_language`` at the start of every action) is ``voice`` or ``tty``.

* ``VOICE``: keys are the texts' English msgids (never marked: they are extracted where they are
  said); values are the spoken variants, marked so ``pybabel extract`` puts them in ``bot.pot``
  and every language translates them. They say what to say ("say YES") or press ("press 1").
* ``TTY``: a TTY call is always in English (Baudot carries no accents; webhooks/tty/stream.py
  sends ``language: en``), so its variants are English only and not in the catalogs. They say
  what to type, and never point to texting (a TTY is a call, not a phone that texts).

tests/test_channel_words.py renders every message for each channel in every language and fails on
a texting instruction; it also fails when a key here is no longer one of the bot's msgids.
"""

from __future__ import annotations

# Marks a message for extraction where it is defined; t() translates it where it is said.
_ = str

# One sentence said instead of the language menu on a call: the language was chosen from the
# call's own menu, and Twilio's voice is set by it, so it cannot change mid-call.
CALL_AGAIN_FOR_LANGUAGE = _("To use another language, call again and choose it from the menu.")

VOICE: dict[str, str] = {
    "What happened? Tell me in your own words, in as many messages as you need.": _(
        "What happened? Tell me in your own words. Take as much time as you need."
    ),
    "Thank you. Is there anything more about what happened? Send it now, or reply DONE.": _(
        "Thank you. Is there anything more about what happened? Say it now, or say DONE."
    ),
    "Did anyone else see it? You can also send photos or video by text message now or later.": _(
        "Did anyone else see it? If so, tell me who."
    ),
    "Do you want to stay anonymous? Reply YES to stay anonymous, or NO to tell us how to reach you.": _(
        "Do you want to stay anonymous? Say YES to stay anonymous, or NO to tell us how to reach you."
    ),
    "What is your name? Reply SKIP if you prefer not to say.": _(
        "What is your name? Say SKIP if you prefer not to say."
    ),
    "What email address can we use? Reply SKIP if you have none.": _(
        "What email address can we use? Say SKIP if you have none."
    ),
    "How should we contact you? Reply 1 for text message, 2 for a phone call, 3 for email.": _(
        "How should we contact you? Press 1 for a text message, 2 for a phone call, 3 for email."
    ),
    'When is it safe to contact you? For example "weekdays after 5 pm". Reply SKIP if any time is fine.': _(
        'When is it safe to contact you? For example "weekdays after 5 pm". Say SKIP if any time is fine.'
    ),
    "Do you want to discard this report? Nothing will be sent. Reply YES to discard it or NO to go on.": _(
        "Do you want to discard this report? Nothing will be sent. Say YES to discard it, or NO to go on."
    ),
    # NOTE: no example number on a call: a number like 482-193-7703 is read as a filed report's.
    "What is your tracking number? It has 10 digits, like 482-193-7703.": _(
        "What is your tracking number? Say or press its 10 digits."
    ),
    "What would you like to add to your report? You can also send photos or video.": _(
        "What would you like to add to your report?"
    ),
    "What you tell us is kept private: the intake office reads it, and the police see it only if your report is referred to them. Only the intake office sees your contact details, "
    "and you can stay anonymous. Reply LANGUAGE to change the language.": _(
        "What you tell us is kept private: the intake office hears it, and the police see it only if your report is referred to them. Only the intake office sees your contact details, "
        "and you can stay anonymous."
    ),
    "I am writing in English. To change the language, reply LANGUAGE at any time.": CALL_AGAIN_FOR_LANGUAGE,
    "Reply with the number of your language:": CALL_AGAIN_FOR_LANGUAGE,
    "I will write to you in English from now on.": CALL_AGAIN_FOR_LANGUAGE,
    "I understood: {date}. Is that right? Reply YES or NO.": _("I understood: {date}. Is that right? Say YES or NO."),
    "From what you wrote, I understood:": _("From what you said, I understood:"),
    "Is that right? Reply YES, or NO to answer these questions one by one.": _(
        "Is that right? Say YES, or NO to answer these questions one by one."
    ),
    "Can we reach you at the number you are writing from, ending in {last_digits}? "
    "Reply YES, type another number, or reply SKIP.": _(
        "Can we reach you at the number you are calling from, ending in {last_digits}? "
        "Say YES, say another number, or say SKIP."
    ),
    "What phone number can we reach you at? Reply SKIP if you prefer not to give one.": _(
        "What phone number can we reach you at? Say or press the number, or say SKIP if you prefer not to give one."
    ),
    "Reply YES to send it, or the number of the answer you want to change.": _(
        "Say YES to send it, or press the number of the answer you want to change."
    ),
    "Reply YES to send your report, or the number of the answer you want to change.": _(
        "Say YES to send your report, or press the number of the answer you want to change."
    ),
    "I could not reach the intake office just now. Your answers are kept here; "
    "reply YES in a minute to try sending again.": _(
        "I could not reach the intake office just now. Your answers are kept here; "
        "say YES in a minute to try sending again."
    ),
    "What happens next: the intake office will review your report and contact you within 3 working days, "
    "unless you stayed anonymous. Text STATUS with your tracking number at any time.": _(
        "What happens next: the intake office will review your report and contact you within 3 working days, "
        "unless you stayed anonymous. To hear how it is going, call again with your tracking number and PIN."
    ),
    "Thank you. What you sent was added to report {tracking_number}.": _(
        "Thank you. What you said was added to report {tracking_number}."
    ),
    "That does not look like a phone number. Please type it with the area code, or reply SKIP.": _(
        "That does not sound like a phone number. Please say or press it with the area code, or say SKIP."
    ),
    "That does not look like an email address. Please type it again, or reply SKIP.": _(
        "That does not sound like an email address. Please say it again, or say SKIP."
    ),
    "Please reply 1, 2 or 3.": _("Please press 1, 2 or 3."),
    "A tracking number has 10 digits, like 482-193-7703. Please type it again.": _(
        "A tracking number has 10 digits. Please say or press them again."
    ),
}

# English only (see above): what to type on a TTY, and no texting.
TTY: dict[str, str] = {
    "What happened? Tell me in your own words, in as many messages as you need.": (
        "What happened? Tell me in your own words. Type as much as you need, then GA."
    ),
    "Thank you. Is there anything more about what happened? Send it now, or reply DONE.": (
        "Thank you. Is there anything more about what happened? Type it now, or type DONE."
    ),
    "Did anyone else see it? You can also send photos or video by text message now or later.": (
        "Did anyone else see it? If so, tell me who."
    ),
    "Do you want to stay anonymous? Reply YES to stay anonymous, or NO to tell us how to reach you.": (
        "Do you want to stay anonymous? Type YES to stay anonymous, or NO to tell us how to reach you."
    ),
    "What is your name? Reply SKIP if you prefer not to say.": "What is your name? Type SKIP if you prefer not to say.",
    "What email address can we use? Reply SKIP if you have none.": (
        "What email address can we use? Type SKIP if you have none."
    ),
    "How should we contact you? Reply 1 for text message, 2 for a phone call, 3 for email.": (
        "How should we contact you? Type 1 for a text message, 2 for a phone or TTY call, 3 for email."
    ),
    'When is it safe to contact you? For example "weekdays after 5 pm". Reply SKIP if any time is fine.': (
        'When is it safe to contact you? For example "weekdays after 5 pm". Type SKIP if any time is fine.'
    ),
    "Do you want to discard this report? Nothing will be sent. Reply YES to discard it or NO to go on.": (
        "Do you want to discard this report? Nothing will be sent. Type YES to discard it, or NO to go on."
    ),
    "What would you like to add to your report? You can also send photos or video.": (
        "What would you like to add to your report?"
    ),
    "What you tell us is kept private: the intake office reads it, and the police see it only if your report is referred to them. Only the intake office sees your contact details, "
    "and you can stay anonymous. Reply LANGUAGE to change the language.": (
        "What you tell us is kept private: the intake office reads it, and the police see it only if your report is referred to them. Only the intake office sees your contact details, "
        "and you can stay anonymous."
    ),
    "I am writing in English. To change the language, reply LANGUAGE at any time.": (
        "This TTY line is in English. For another language, call with an interpreter or use the web chat."
    ),
    "I understood: {date}. Is that right? Reply YES or NO.": "I understood: {date}. Is that right? Type YES or NO.",
    "From what you wrote, I understood:": "From what you typed, I understood:",
    "Is that right? Reply YES, or NO to answer these questions one by one.": (
        "Is that right? Type YES, or NO to answer these questions one by one."
    ),
    "Can we reach you at the number you are writing from, ending in {last_digits}? "
    "Reply YES, type another number, or reply SKIP.": (
        "Can we reach you at the number you are calling from, ending in {last_digits}? "
        "Type YES, type another number, or type SKIP."
    ),
    "What phone number can we reach you at? Reply SKIP if you prefer not to give one.": (
        "What phone number can we reach you at? Type SKIP if you prefer not to give one."
    ),
    "Reply YES to send it, or the number of the answer you want to change.": (
        "Type YES to file it, or the number of the answer you want to change."
    ),
    "Reply YES to send your report, or the number of the answer you want to change.": (
        "Type YES to file your report, or the number of the answer you want to change."
    ),
    "I could not reach the intake office just now. Your answers are kept here; "
    "reply YES in a minute to try sending again.": (
        "I could not reach the intake office just now. Your answers are kept here; type YES in a minute to try again."
    ),
    "What happens next: the intake office will review your report and contact you within 3 working days, "
    "unless you stayed anonymous. Text STATUS with your tracking number at any time.": (
        "What happens next: the intake office will review your report and contact you within 3 working days, "
        "unless you stayed anonymous. To check on it, call again and type STATUS with your tracking number."
    ),
    "Thank you. What you sent was added to report {tracking_number}.": (
        "Thank you. What you typed was added to report {tracking_number}."
    ),
    "That does not look like a phone number. Please type it with the area code, or reply SKIP.": (
        "That does not look like a phone number. Please type it with the area code, or type SKIP."
    ),
    "That does not look like an email address. Please type it again, or reply SKIP.": (
        "That does not look like an email address. Please type it again, or type SKIP."
    ),
    "Please reply 1, 2 or 3.": "Please type 1, 2 or 3.",
    "Reply with the number of your language:": (
        "This TTY line is in English. For another language, call with an interpreter or use the web chat."
    ),
    "I will write to you in English from now on.": "This TTY line is in English.",
}

VARIANTS = {"voice": VOICE, "tty": TTY}


def for_channel(channel: str | None, message: str) -> str:
    """Return the channel's own wording of ``message`` (the English msgid), or ``message`` itself."""
    return VARIANTS.get(channel or "", {}).get(message, message)
