"""Whole conversations with the real Rasa server, through its REST channel, into the queue."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from intake.cases import tracking
from intake.models import Case, Contact

pytestmark = pytest.mark.slow

TRACKING = re.compile(r"\b(\d{3}-\d{3}-\d{4})\b")


def _receipt(replies: list[str]) -> tuple[str, str]:
    text = " ".join(replies)
    number = TRACKING.search(text)
    assert number, text
    pin = re.search(r"\b(\d{6})\b", text.replace(number.group(1), ""))
    assert pin, text
    return number.group(1), pin.group(1)


def _case(bot_stack, number: str) -> Case:
    with bot_stack.database.session() as s:
        case = s.scalars(select(Case).where(Case.tracking_number == tracking.parse_tracking_number(number))).one()
        s.expunge(case)
        return case


def _cases(bot_stack) -> int:
    with bot_stack.database.session() as s:
        return s.scalar(select(func.count()).select_from(Case))


def _talk(conversation, lines: list[str]) -> list[list[str]]:
    return [conversation.say(line) for line in lines]


def test_a_spanish_conversation_files_the_residents_words(bot_stack, keyring):
    talk = bot_stack.conversation()
    replies = _talk(
        talk,
        [
            "hola",
            "quiero poner una queja contra un policia",
            "el oficial me empujo contra el carro y me insulto",
            "y se llevo mi telefono sin decir nada",
            "listo",
            "15 de noviembre",
            "si",
            "en la calle Main y Hunter",
            "placa 4471, patrulla 12",
            "moreton en el brazo",
            "mi hermana lo vio",
            "no",
            "Maria Lopez",
            "1",  # by text: the number is asked next, and no email
            "209 555 0142",
            "despues de las 5",
        ],
    )
    assert "español" in " ".join(replies[0])
    summary = " ".join(replies[-1])
    assert "placa 4471, patrulla 12" in summary and "15 de noviembre" in summary
    number, pin = _receipt(talk.say("si"))
    assert tracking.parse_tracking_number(number) is not None
    case = _case(bot_stack, number)
    assert case.language.value == "es" and case.kind.value == "complaint" and case.channel.value == "web_chat"
    assert case.narrative == "el oficial me empujo contra el carro y me insulto\ny se llevo mi telefono sin decir nada"
    assert case.incident_time_text == "15 de noviembre"
    assert case.incident_at is not None and case.incident_at.month == 11
    assert case.location == "en la calle Main y Hunter"
    assert case.officers == "placa 4471, patrulla 12"
    assert case.injuries == "moreton en el brazo"
    assert case.witnesses.startswith("mi hermana lo vio")
    assert case.anonymous is False
    with bot_stack.database.session() as s:
        contact = s.get(Contact, case.id)
        assert keyring.decrypt(contact.phone_token) == "+12095550142"
        assert keyring.decrypt(contact.name_token) == "Maria Lopez"
    # The PIN works for a status look-up in the same language.
    status = _talk(bot_stack.conversation(language="es"), ["como va mi queja", number, pin])
    assert "revisar" in " ".join(status[-1]) or "espera" in " ".join(status[-1]), status[-1]


@pytest.mark.parametrize(
    ("language", "opening", "yes", "no", "done"),
    [
        ("en", "i want to file a complaint about a cop", "yes", "no", "done"),
        ("vi", "tôi muốn khiếu nại cảnh sát", "có", "không", "xong"),
        ("km", "ខ្ញុំចង់ប្តឹងប៉ូលិស", "បាទ", "ទេ", "ទេ"),
    ],
)
def test_a_full_anonymous_complaint_in_other_languages(bot_stack, language, opening, yes, no, done):
    talk = bot_stack.conversation(language=language)
    before = _cases(bot_stack)
    _talk(talk, [opening, "words of the resident", done, "skip", "Main St", "idk", "no one", "no one", yes])
    number, _pin = _receipt(talk.say(yes))
    case = _case(bot_stack, number)
    assert case.language.value == language and case.anonymous is True
    assert case.narrative == "words of the resident"
    assert _cases(bot_stack) == before + 1


def test_an_emergency_mid_form_answers_911_and_keeps_the_draft(bot_stack):
    talk = bot_stack.conversation(language="en")
    first = talk.say("i want to file a complaint")
    assert any("writing in English" in r and "LANGUAGE" in r for r in first)  # which language, how to switch
    question = first[-1]
    reply = talk.say("help 911")
    assert any("911" in r for r in reply)
    assert reply[-1] == question  # the same question again: the draft is kept
    assert talk.say("an officer pushed me")[-1] != question


@pytest.mark.parametrize(
    ("language", "opening", "urgent"),
    [
        ("es", "quiero poner una queja contra un policia", "me estan golpeando ahorita"),
        ("km", "ខ្ញុំចង់ប្តឹងប៉ូលីសម្នាក់", "មានគេគំរាមសម្លាប់ខ្ញុំឥឡូវនេះ"),
        ("pa", "ਮੈਂ ਪੁਲਿਸ ਦੀ ਸ਼ਿਕਾਇਤ ਦਰਜ ਕਰਵਾਉਣੀ ਹੈ", "ਉਹ ਮੈਨੂੰ ਮਾਰ ਦੇਵੇਗਾ"),
    ],
)
def test_an_urgent_message_mid_story_gets_the_911_advice_in_the_residents_language(
    bot_stack, language, opening, urgent
):
    from bot.actions.forms import EMERGENCY_MESSAGE
    from bot.actions.i18n import t

    advice = t(language, EMERGENCY_MESSAGE)
    assert advice != EMERGENCY_MESSAGE and "911" in advice
    talk = bot_stack.conversation(language=language)
    question = talk.say(opening)[-1]
    reply = talk.say(urgent)
    assert advice in reply, reply
    assert EMERGENCY_MESSAGE not in reply
    assert reply[-1] == question  # asked again in the same words: the draft is kept


def test_cancel_mid_form_asks_first_and_files_nothing(bot_stack):
    talk = bot_stack.conversation(language="en")
    before = _cases(bot_stack)
    talk.say("i want to file a complaint")
    talk.say("the officer yelled at me")
    confirm = talk.say("cancel")
    assert "discard this report" in " ".join(confirm)
    stopped = talk.say("yes")
    assert "nothing was sent" in " ".join(stopped)
    assert _cases(bot_stack) == before


def test_a_commendation_is_filed_as_one(bot_stack):
    talk = bot_stack.conversation(language="en")
    _talk(
        talk,
        [
            "i want to thank an officer",
            "officer Diaz helped my mom when she fell",
            "yesterday",
            "yes",
            "the library",
            "officer Diaz",
            "yes",
        ],
    )
    number, _ = _receipt(talk.say("yes"))
    case = _case(bot_stack, number)
    assert case.kind.value == "commendation" and case.anonymous is True


def test_a_bad_pin_gets_the_same_answer_as_an_unknown_number(bot_stack):
    first = _talk(bot_stack.conversation(language="en"), ["check status", "482-193-7703", "000000"])[-1]
    second = _talk(bot_stack.conversation(language="en"), ["check status", "111-111-1111", "123456"])[-1]
    assert first == second and "could not find" in first[0]


def test_a_restarted_bot_resumes_where_the_resident_was(bot_stack):
    talk = bot_stack.conversation(language="es")
    talk.say("quiero poner una queja")
    talk.say("el policia me grito")
    when = talk.say("listo")[-1]  # now asked when it happened
    assert "¿Cuándo" in when
    bot_stack.stop_rasa()
    bot_stack.start_rasa()
    after = talk.say("ayer")[-1]  # the answer to "when", read back for confirmation
    assert "Entendí" in after, after
