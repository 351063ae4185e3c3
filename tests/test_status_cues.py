"""A message asking about a report already made, told apart by nlu/status.py (no Rasa needed)."""

from __future__ import annotations

import pytest

from nlu.status import asks_about_a_report, code_in

# Written for these tests (not from tests/corpora).
ASKS = [
    ("en", "any news on my complaint?"),
    ("es", "quiero saber el estado de mi reporte"),
    ("es", "se me perdió el número de seguimiento"),
    ("tl", "ano na po nangyari sa report ko"),
    ("vi", "cho tôi xem tình trạng hồ sơ"),
    ("zh", "我想查询一下进度"),
    ("zh", "我宗投訴而家點"),
    ("km", "ខ្ញុំចង់ដឹងស្ថានភាពករណីរបស់ខ្ញុំ"),
    ("hmn", "kuv xav paub kuv rooj plaub"),
    ("lo", "ຂໍຖາມສະຖານະ"),
    ("pa", "ਮੇਰੀ ਸ਼ਿਕਾਇਤ ਦਾ ਕੀ ਹੋਇਆ"),
    ("en", "ref AB12-CD34-EF56"),  # a code of the wrong shape still means a report
    ("zh", "ＸＹ１２－３４ＡＢ－５６ＣＤ"),  # full-width, as phones type it
]
NOT_ASKS = [
    ("en", "hello"),
    ("en", "it happened on 5th st and 8th ave"),
    ("en", "the officer was in car 4471"),
    ("es", "me paró en la calle 5 y main"),
    ("vi", "xin chào"),
    ("pa", "ਸਤ ਸ੍ਰੀ ਅਕਾਲ"),
    ("es", "hola, ¿cómo va?"),  # a greeting
    ("en", "do you ask about immigration status?"),
    ("en", "call me 555 0142"),
]


@pytest.mark.parametrize(("language", "text"), ASKS)
def test_a_question_about_a_report_is_read_as_one(language, text):
    assert asks_about_a_report(text, [language])


@pytest.mark.parametrize(("language", "text"), NOT_ASKS)
def test_other_messages_are_not(language, text):
    assert not asks_about_a_report(text, [language])


def test_a_code_needs_letters_and_digits_in_two_of_its_groups():
    assert code_in("HRD-6WPJ-2LDN") == "HRD-6WPJ-2LDN"
    assert code_in("main st and 5th") is None and code_in("482-193-7703") is None
