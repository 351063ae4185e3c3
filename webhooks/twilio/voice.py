"""``POST /twilio/voice`` and its follow-ups: the same dialogue, spoken, for callers, relay and blind callers.

Each step of a call is stored like a text (provider id ``CallSid:step``), so a retried
webhook gets the answer it got the first time. Timeouts are long (a relay operator
types between turns), silence re-prompts instead of hanging up, star repeats, zero
asks for a call back, and every spoken answer is read back before it counts.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, current_app, request
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import Session
from twilio.twiml.voice_response import Gather, VoiceResponse

from intake import inputs, jobs
from intake.cases import filing as complaints
from intake.cases.tracking import format_tracking_number
from intake.conversations import inbound, messaging
from intake.enums import Channel, Direction, Language, MessageState
from intake.errors import ValidationError
from intake.models import Correspondent, Message
from nlu.languages import BY_CODE, CODES, ENGLISH_NAMES
from web.session import get_session, keyring
from webhooks.i18n import _, t
from webhooks.rasa_client import DialogueUnavailable
from webhooks.twilio import signature, streams
from webhooks.twilio.channel import SmsChannel
from webhooks.twilio.config import ChannelSettings
from webhooks.twilio.twiml import connect_twiml, websocket_url

log = logging.getLogger(__name__)
bp = Blueprint("twilio_voice", __name__, url_prefix="/twilio/voice")

# NOTE: relay operators type between turns; 15 s is the least they need.
GATHER_TIMEOUT = 20
SPEECH_TIMEOUT = 4  # seconds of silence that end an answer; never "auto", which cuts relay callers off
RECORD_MAX_SECONDS = 1800
TRACKING = re.compile(r"\b(\d{3})-(\d{3})-(\d{4})\b")
PIN = re.compile(r"\b(\d{6})\b")


@dataclass(frozen=True)
class Voice:
    """How Twilio speaks and hears a language: its TTS voice and language, and its speech-recognition code."""

    say_language: str | None
    voice: str | None
    speech_language: str | None
    ssml: bool = True

    @property
    def conversational(self) -> bool:
        """Whether a whole dialogue can be held: Twilio both speaks and recognises the language."""
        return bool(self.say_language and self.speech_language)


# How Twilio speaks and hears each language (nlu.languages, the one registry).
VOICES: dict[str, Voice] = {
    code: Voice(lang.twilio.say_language, lang.twilio.voice, lang.twilio.speech_language)
    for code, lang in BY_CODE.items()
}
MENU_ORDER = CODES
# Each option in its own language where Twilio can say it; in English where it cannot.
MENU_OPTION = {
    "en": "For English, press 1.",
    "es": "Para español, oprima 2.",
    "tl": "Para sa Tagalog, pindutin ang 3.",
    "vi": "Tiếng Việt, xin bấm số 4.",
    "zh": "普通话请按5。",
    "km": "For Khmer, press 6.",
    "hmn": "For Hmong, press 7.",
    "lo": "For Lao, press 8.",
    "pa": "ਪੰਜਾਬੀ ਲਈ 9 ਦਬਾਓ।",
}
TTY_OPTION = "If you are calling from a TTY, press 0, or just start typing."
LANGUAGE_NAMES_EN = ENGLISH_NAMES

WELCOME = (
    "Heard. The city's independent line for reports about police conduct. "
    "If you are in danger now, hang up and call 911."
)
MENU_REPEAT = "To hear these choices again, press star."
RECORDING_NOTICE = _("This call is recorded, so that your own words are kept with your report.")
KEYS = _("At any time, press star to hear the question again, or press 0 to ask a person to call you back.")
HEARD_YOU = _("I heard: {answer}. If that is right, press 1 or say yes. To say it again, press 2.")
SAY_AGAIN = _("Please say it again, or enter it on the keypad.")
NOTHING_HEARD = _("I did not hear anything. Take your time.")
TRACKING_SPOKEN = _("Your tracking number is {digits}. Again: {digits}.")
PIN_SPOKEN = _("Your PIN is {digits}. Again: {digits}.")
SMS_OFFER = _("To get your tracking number by text message, press 1. To finish, press 2.")
SMS_SENT = _("We sent it. Thank you for calling Heard. Goodbye.")
GOODBYE = _("Thank you for calling Heard. Goodbye.")
TROUBLE = _(
    "We are sorry: our system is not answering right now. Please tell us what happened after the tone, "
    "and press the pound key when you finish. A person from the office will call you back."
)
RECORD_IN_LANGUAGE = (
    "Please tell us what happened, in {language}, after the tone. Take as long as you need. "
    "When you finish, press the pound key. An interpreter will listen to your report and call you back."
)
RECORDED_RECEIPT = "Thank you. Your report was received. Your tracking number is {digits}. Again: {digits}. Goodbye."
RECEIPT_SMS = _("Heard: your tracking number is {number}. Keep it to follow your report.")
YES_WORDS = {"yes", "yeah", "yep", "si", "sí", "oo", "opo", "có", "vâng", "是", "是的", "对", "ਹਾਂ", "ਜੀ"}


def _channel() -> SmsChannel:
    return current_app.extensions["heard.sms"]  # type: ignore[no-any-return]


def _url(path: str, **params: object) -> str:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return f"/twilio/voice{path}" + (f"?{query}" if query else "")


def _xml(response: VoiceResponse | str) -> Response:
    return Response(str(response), mimetype="application/xml")


def _language() -> str:
    language = request.args.get("lang", "en")
    return language if language in VOICES else "en"


# How fast Twilio speaks: a little slower than its default, and slower still for the digits a
# caller must write down (the tracking number, the PIN).
RATE = "90%"
DIGITS_RATE = "70%"


def _say(target: VoiceResponse | Gather, text: str, language: str, *, rate: str = RATE) -> None:
    """Speak ``text`` in ``language``, a little slower where the voice takes SSML."""
    voice = VOICES[language]
    if not voice.say_language:
        target.say(text, language="en-US", voice=VOICES["en"].voice)
        return
    say = target.say(voice=voice.voice, language=voice.say_language)
    if voice.ssml:
        say.prosody(text, rate=rate)
    else:
        say.value = text


def spoken_digits(number: str) -> str:
    """Spell a number digit by digit, in groups, so it is read slowly and clearly."""
    groups = number.split("-")
    return ", ".join(" ".join(group) for group in groups)


def spoken_pin(pin: str) -> str:
    """Spell a six-digit PIN as two groups of three, digit by digit, like the tracking number."""
    return spoken_digits(f"{pin[:3]}-{pin[3:]}")


def _spell_numbers(text: str) -> str:
    """Read every tracking number and PIN in ``text`` digit by digit, never as one large number."""
    text = TRACKING.sub(lambda m: spoken_digits("-".join(m.groups())), text)
    return PIN.sub(lambda m: spoken_pin(m.group(1)), text)


def _gather(language: str, step: int, *, confirm: bool = False, numdigits: int | None = None) -> Gather:
    voice = VOICES[language]
    return Gather(
        input="dtmf" if confirm and numdigits else "speech dtmf",
        language=voice.speech_language or "en-US",
        timeout=GATHER_TIMEOUT,
        speech_timeout=str(SPEECH_TIMEOUT),
        action=_url("/confirm" if confirm else "/turn", lang=language, step=step),
        action_on_empty_result=True,
        num_digits=numdigits,
        finish_on_key="#",
    )


def _store_step(
    session: Session, form: dict[str, str], step: str, body: str, language: str | None
) -> tuple[Message, bool]:
    """Store one step of a call; a retried webhook finds the step it already stored."""
    call_sid = form.get("CallSid") or ""
    if not call_sid:
        abort(400, "CallSid is required")
    provider_id = f"{call_sid}:{step}"[:128]
    existing = inbound.find_by_provider_id(session, provider_id)
    if existing is not None:
        return existing, False
    caller = form.get("From") or ""
    correspondent = None
    if caller.startswith("+") and len(caller) > 6:
        correspondent = messaging.get_or_create_correspondent(
            session, keyring=keyring(), phone=caller, service_number=form.get("To") or None
        )
    return inbound.store_inbound(
        session,
        message=Message(
            channel=Channel.VOICE,
            direction=Direction.INBOUND,
            provider_id=provider_id,
            conversation_id=messaging.conversation_id_for(keyring(), Channel.VOICE, call_sid),
            correspondent_id=correspondent.id if correspondent else None,
            language=Language(language) if language else None,
            body=body,
            state=MessageState.PROCESSED,
            meta={k: form[k] for k in ("CallStatus", "Direction", "AccountSid", "Confidence") if form.get(k)} or None,
        ),
    )


def _answered(session: Session, message: Message, response: VoiceResponse) -> Response:
    message.answer = messaging.seal_answer(keyring(), str(response))
    session.commit()
    return _xml(response)


def _previous_prompt(session: Session, call_sid: str) -> str | None:
    """Return the last thing the dialogue said on this call, for "press star to repeat"."""
    rows = session.scalars(
        select(Message)
        .where(Message.provider_id.like(f"{call_sid}:%"), Message.channel == Channel.VOICE)
        .order_by(Message.id.desc())
    )
    for row in rows:
        prompt = (row.meta or {}).get("prompt")
        if prompt:
            return str(prompt)
    return None


def _menu() -> VoiceResponse:
    response = VoiceResponse()
    gather = Gather(
        input="dtmf",
        num_digits=1,
        timeout=GATHER_TIMEOUT,
        action=_url("/language"),
        action_on_empty_result=True,
    )
    _say(gather, WELCOME, "en")
    for code in MENU_ORDER:
        _say(gather, MENU_OPTION[code], code if VOICES[code].say_language else "en")
    _say(gather, TTY_OPTION, "en")
    _say(gather, MENU_REPEAT, "en")
    response.append(gather)
    return response


@bp.post("")
def incoming_call() -> ResponseReturnValue:
    """Answer a call with the language menu, each option in its own language."""
    signature.verify()
    session = get_session()
    message, created = _store_step(session, request.form.to_dict(), "call", "", None)
    if not created and message.answer:
        return _xml(messaging.open_answer(keyring(), message.answer))
    response = VoiceResponse()
    # A TTY user cannot hear the menu: the first seconds are listened to for Baudot tones.
    start = response.start()
    call_sid = request.form.get("CallSid") or ""
    listen = start.stream(
        url=websocket_url(_settings()) + streams.stream_path(keyring(), "listen", call_sid), track="inbound_track"
    )
    caller = request.form.get("From") or ""
    if caller.startswith("+"):
        listen.parameter(name="caller", value=messaging.seal_phone(keyring(), caller))
    for verb in _menu().verbs:
        response.append(verb)
    return _answered(session, message, response)


def _settings() -> ChannelSettings:
    return current_app.extensions["heard.channel_settings"]  # type: ignore[no-any-return]


@bp.post("/language")
def choose_language() -> ResponseReturnValue:
    """Take the menu choice; star or silence plays the menu again, never a hang-up."""
    signature.verify()
    digits = (request.form.get("Digits") or "").strip()
    session = get_session()
    if digits == "0":
        message, created = _store_step(session, request.form.to_dict(), "language", "tty", "en")
        if not created and message.answer:
            return _xml(messaging.open_answer(keyring(), message.answer))
        twiml = connect_twiml(
            websocket_url(_settings()), keyring(), request.form.get("CallSid") or "", request.form.get("From")
        )
        return _answered(session, message, twiml)
    choice = inputs.whole_number(digits) or 0
    if not 1 <= choice <= len(MENU_ORDER):
        return _xml(_menu())
    language = MENU_ORDER[choice - 1]
    message, created = _store_step(session, request.form.to_dict(), "language", digits, language)
    if not created and message.answer:
        return _xml(messaging.open_answer(keyring(), message.answer))
    response = VoiceResponse()
    start = response.start()
    start.recording(
        recording_status_callback=_url("/recording", lang=language),
        recording_status_callback_event="completed",
        channels="dual",
    )
    if not VOICES[language].conversational:
        _say(response, RECORD_IN_LANGUAGE.format(language=LANGUAGE_NAMES_EN[language]), "en")
        response.record(
            action=_url("/recorded", lang=language),
            max_length=RECORD_MAX_SECONDS,
            timeout=30,
            finish_on_key="#",
            play_beep=True,
        )
        return _answered(session, message, response)
    _say(response, t(language, RECORDING_NOTICE), language)
    call_sid = request.form["CallSid"]
    return _dialogue_turn(
        session, message, language, call_sid, "hello", step=1, lead=t(language, KEYS), response=response
    )


def _dialogue_turn(
    session: Session,
    message: Message,
    language: str,
    call_sid: str,
    text: str,
    *,
    step: int,
    lead: str | None = None,
    response: VoiceResponse | None = None,
    heard: Message | None = None,
) -> Response:
    """Relay one answer to the dialogue and speak what it says, then listen for the next answer.

    ``heard`` is the step that holds the words relayed, when the caller confirmed them in a later one.
    """
    caller = request.form.get("From") or ""
    metadata: dict[str, object] = {"channel": Channel.VOICE.value, "language": language}
    if caller.startswith("+"):
        metadata["phone"] = messaging.seal_phone(keyring(), caller)
        metadata["phone_last_digits"] = caller[-4:]
    conversation = messaging.conversation_id_for(keyring(), Channel.VOICE, call_sid)
    session.commit()  # NOTE: no transaction stays open while the dialogue (and its actions) work
    try:
        answer = _channel().rasa.send(sender=conversation, text=text, metadata=metadata)
    except DialogueUnavailable:
        log.warning("dialogue unavailable during a call; taking a recorded message instead")
        response = VoiceResponse()
        _say(response, t(language, TROUBLE), language)
        response.record(
            action=_url("/recorded", lang=language),
            max_length=RECORD_MAX_SECONDS,
            timeout=30,
            finish_on_key="#",
            play_beep=True,
        )
        return _answered(session, message, response)
    if answer.redact:
        # NOTE: a caller without caller ID proves the case by its PIN: the step that holds it keeps it masked.
        messaging.hide_pin(heard if heard is not None else message)
    said = "\n".join(answer.texts)
    if not said.strip():
        # NOTE: a caller must never hear silence: a turn the dialogue answered with no words
        # (a failed action, say) asks for the answer again.
        log.warning("the dialogue said nothing to a turn of call %s; asking again", message.id)
        said = t(language, SAY_AGAIN)
    response = response or VoiceResponse()
    filed = TRACKING.search(said)
    pin = PIN.search(TRACKING.sub("", said))
    if filed and pin:
        # NOTE: only the filing confirmation holds a tracking number and a PIN together; a status
        # answer ("Report 482-193-7703 is ...") names the number too, and goes on as a turn.
        number = "-".join(filed.groups())
        _say(response, _spell_numbers(said), language)
        _say(response, t(language, TRACKING_SPOKEN, digits=spoken_digits(number)), language, rate=DIGITS_RATE)
        _say(response, t(language, PIN_SPOKEN, digits=spoken_pin(pin.group(1))), language, rate=DIGITS_RATE)
        response.append(_receipt_offer(language, number, 1))
        message.meta = {**(message.meta or {}), "prompt": messaging.redact_pins(said)}
        return _answered(session, message, response)
    if lead:
        _say(response, lead, language)
    gather = _gather(language, step)
    _say(gather, _spell_numbers(said), language)
    response.append(gather)
    message.meta = {**(message.meta or {}), "prompt": messaging.redact_pins(said)}
    return _answered(session, message, response)


def _receipt_offer(language: str, number: str, attempt: int) -> Gather:
    gather = Gather(
        input="dtmf",
        num_digits=1,
        timeout=GATHER_TIMEOUT,
        action=_url("/receipt", lang=language, number=number, attempt=attempt),
        action_on_empty_result=True,
    )
    _say(gather, t(language, SMS_OFFER), language)
    return gather


def _reprompt(session: Session, message: Message, language: str, step: int, lead: str) -> Response:
    prompt = _previous_prompt(session, request.form.get("CallSid") or "") or ""
    response = VoiceResponse()
    gather = _gather(language, step)
    _say(gather, _spell_numbers(lead + " " + prompt), language)
    response.append(gather)
    message.meta = {**(message.meta or {}), "prompt": prompt}
    return _answered(session, message, response)


@bp.post("/turn")
def turn() -> ResponseReturnValue:
    """Take a spoken or keyed answer: star repeats, zero asks for a call back, speech is read back first."""
    signature.verify()
    language = _language()
    step = inputs.whole_number(request.args.get("step", "1")) or 1
    speech = (request.form.get("SpeechResult") or "").strip()
    digits = (request.form.get("Digits") or "").strip().rstrip("#")
    session = get_session()
    message, created = _store_step(session, request.form.to_dict(), f"turn:{step}", speech or digits, language)
    if not created and message.answer:
        return _xml(messaging.open_answer(keyring(), message.answer))
    call_sid = request.form["CallSid"]
    if not speech and not digits:
        return _reprompt(session, message, language, step + 1, t(language, NOTHING_HEARD))
    if digits == "*":
        return _reprompt(session, message, language, step + 1, "")
    if digits == "0":
        return _dialogue_turn(session, message, language, call_sid, "/request_human", step=step + 1)
    if digits:
        return _dialogue_turn(session, message, language, call_sid, digits, step=step + 1)
    response = VoiceResponse()
    gather = _gather(language, step, confirm=True)
    _say(gather, t(language, HEARD_YOU, answer=speech), language)
    response.append(gather)
    return _answered(session, message, response)


@bp.post("/confirm")
def confirm() -> ResponseReturnValue:
    """Count a read-back answer when the caller agrees; otherwise ask for it again."""
    signature.verify()
    language = _language()
    step = inputs.whole_number(request.args.get("step", "1")) or 1
    speech = (request.form.get("SpeechResult") or "").strip().lower().strip(".!。")
    digits = (request.form.get("Digits") or "").strip()
    session = get_session()
    message, created = _store_step(session, request.form.to_dict(), f"confirm:{step}", speech or digits, language)
    if not created and message.answer:
        return _xml(messaging.open_answer(keyring(), message.answer))
    call_sid = request.form["CallSid"]
    heard = inbound.find_by_provider_id(session, f"{call_sid}:turn:{step}")
    if heard is None:
        return _reprompt(session, message, language, step + 1, "")
    if digits == "1" or speech in YES_WORDS:
        return _dialogue_turn(session, message, language, call_sid, heard.body, step=step + 1, heard=heard)
    if digits == "*":
        response = VoiceResponse()
        gather = _gather(language, step, confirm=True)
        _say(gather, t(language, HEARD_YOU, answer=heard.body), language)
        response.append(gather)
        return _answered(session, message, response)
    return _reprompt(session, message, language, step + 1, t(language, SAY_AGAIN))


@bp.post("/receipt")
def receipt() -> ResponseReturnValue:
    """Text the tracking number when the caller asks for it; the PIN is never sent by text."""
    signature.verify()
    language = _language()
    number = request.args.get("number", "")
    attempt = inputs.whole_number(request.args.get("attempt", "1")) or 1
    digits = (request.form.get("Digits") or "").strip()
    session = get_session()
    message, created = _store_step(session, request.form.to_dict(), f"receipt:{attempt}", digits, language)
    if not created and message.answer:
        return _xml(messaging.open_answer(keyring(), message.answer))
    response = VoiceResponse()
    if digits == "1" and message.correspondent_id and TRACKING.fullmatch(number):
        correspondent = session.get(Correspondent, message.correspondent_id)
        assert correspondent is not None
        messaging.queue_outbound(
            session, correspondent=correspondent, texts=[t(language, RECEIPT_SMS, number=number)], language=language
        )
        _say(response, t(language, SMS_SENT), language)
    elif not digits:
        _say(response, t(language, TRACKING_SPOKEN, digits=spoken_digits(number)), language, rate=DIGITS_RATE)
        response.append(_receipt_offer(language, number, attempt + 1))
        return _answered(session, message, response)
    else:
        _say(response, t(language, GOODBYE), language)
    response.hangup()
    return _answered(session, message, response)


@bp.post("/recorded")
def recorded() -> ResponseReturnValue:
    """File a report the caller recorded whole: flagged for an interpreter, the recording kept as evidence."""
    signature.verify()
    language = _language()
    session = get_session()
    form = request.form.to_dict()
    message, created = _store_step(session, form, "recorded", form.get("RecordingUrl", ""), language)
    if not created and message.answer:
        return _xml(messaging.open_answer(keyring(), message.answer))
    caller = form.get("From") or ""
    contact = {"phone": caller, "preferred": "phone"} if caller.startswith("+") else None
    seconds = inputs.whole_number(form.get("RecordingDuration") or "")
    fields = {
        "kind": "complaint",
        "channel": Channel.VOICE.value,
        "language": language,
        "narrative": (
            f"Recorded report in {LANGUAGE_NAMES_EN[language]} ({seconds if seconds is not None else '?'} s); "
            "an interpreter is needed to hear it."
        ),
        "anonymous": contact is None,
        "contact": contact,
    }
    try:
        submission = complaints.parse_submission(fields)
    except ValidationError:
        # NOTE: a caller id no one can call back (withheld, malformed) must not lose the recording:
        # the report is filed without contact details instead.
        submission = complaints.parse_submission({**fields, "anonymous": True, "contact": None})
    case, filed = complaints.file_case(
        session, keyring=keyring(), submission=submission, actor="voice", conversation_id=message.conversation_id
    )
    case.needs_interpreter = True
    if form.get("RecordingUrl"):
        jobs.enqueue(
            session,
            kind="voice.recording",
            payload={"url": form["RecordingUrl"], "message_id": message.id},
            dedupe_key=f"voice.recording:{form.get('RecordingSid') or form['RecordingUrl']}"[:200],
        )
    digits = spoken_digits(format_tracking_number(filed.tracking_number))
    response = VoiceResponse()
    _say(response, RECORDED_RECEIPT.format(digits=digits), "en")
    response.hangup()
    return _answered(session, message, response)


@bp.post("/recording")
def recording_ready() -> ResponseReturnValue:
    """Keep the call's recording as evidence of the caller's own words (downloaded by the worker)."""
    signature.verify()
    form = request.form
    if form.get("RecordingStatus", "completed") != "completed" or not form.get("RecordingUrl"):
        return Response(status=204)
    session = get_session()
    call_sid = form.get("CallSid") or ""
    jobs.enqueue(
        session,
        kind="voice.recording",
        payload={
            "url": form["RecordingUrl"],
            "conversation_id": messaging.conversation_id_for(keyring(), Channel.VOICE, call_sid) if call_sid else None,
            "duration": form.get("RecordingDuration"),
        },
        dedupe_key=f"voice.recording:{form.get('RecordingSid') or form['RecordingUrl']}"[:200],
    )
    session.commit()
    return Response(status=204)
