"""Danger now, fear and the past, told apart by nlu/danger.py in every language (no Rasa needed)."""

from __future__ import annotations

import pytest

from nlu.danger import danger_now

# Written for these tests (not from tests/corpora): danger happening now, in each language's texting style.
DANGER_NOW = [
    ("en", "police are beating someone right now"),
    ("en", "cops r kicking my brother rn"),
    ("en", "im scared hes outside with a gun"),
    ("es", "la policia esta golpeando a un señor ahorita"),
    ("es", "un oficial le esta apuntando a mi hijo, esta sangrando"),
    ("tl", "sinasaktan ng pulis yung tao sa labas ngayon"),
    ("tl", "tinututukan nila ng baril si kuya"),
    ("vi", "cảnh sát đang đánh một người ngoài đường"),
    ("vi", "canh sat dang dap mot nguoi o cong vien"),
    ("vi", "co nguoi chay mau nhieu lam, cuu voi"),
    ("zh", "警察正在打人"),
    ("zh", "有警察在打一个人"),
    ("zh", "差佬而家打緊人"),
    ("zh", "救命"),
    ("km", "ប៉ូលិសកំពុងវាយមនុស្ស"),
    ("hmn", "tub ceev xwm tab tom ntaus neeg"),
    ("lo", "ຕຳຫຼວດກຳລັງຕີຄົນ"),
    ("pa", "ਪੁਲਿਸ ਬੰਦੇ ਨੂੰ ਕੁੱਟ ਰਹੀ ਹੈ"),
    ("pa", "ਉਹ ਮੈਨੂੰ ਮਾਰ ਦੇਵੇਗਾ"),  # a threat: "he will kill me"
    ("en", "help hes going to kill me"),
    ("es", "auxilio me va a matar"),
]
# Fear, worry or harm about the past: part of the story, never the 911 advice.
NOT_NOW = [
    ("en", "I'm very scared"),
    ("en", "I was terrified when he pointed the gun"),
    ("en", "I'm afraid they will come back"),
    ("en", "the officer beat him and he was bleeding"),
    ("es", "tengo mucho miedo"),
    ("es", "tenia miedo cuando me apunto"),
    ("tl", "takot na takot ako"),
    ("tl", "natakot ako nung tinutukan niya ako ng baril"),
    ("vi", "toi so qua"),
    ("vi", "hom do toi so lam khi no chia sung"),
    ("vi", "tôi lo họ sẽ trả thù"),
    ("zh", "我很害怕"),
    ("zh", "他用枪指着我的时候我很害怕"),
    ("zh", "我怕他们会回来"),
    ("km", "ខ្ញុំខ្លាចណាស់"),
    ("hmn", "kuv ntshai heev"),
    ("lo", "ຂ້ອຍຢ້ານວ່າເຂົາຈະກັບມາ"),
    ("pa", "ਮੈਨੂੰ ਬਹੁਤ ਡਰ ਲੱਗਦਾ"),
    ("pa", "ਪੁਲਿਸ ਉਹਨੂੰ ਕੁੱਟ ਰਹੀ ਸੀ"),
    ("en", "last week he said he was going to kill me"),  # a threat told as the past
]


@pytest.mark.parametrize(("language", "text"), DANGER_NOW)
def test_danger_happening_now_is_an_emergency(language, text):
    assert danger_now(text, [language, "en"]) is True


@pytest.mark.parametrize(("language", "text"), NOT_NOW)
def test_fear_and_the_past_are_not(language, text):
    assert danger_now(text, [language, "en"]) is False


@pytest.mark.parametrize(
    ("language", "text"),
    [("zh", "请打电话给我"), ("vi", "so dien thoai cua toi"), ("en", "where do i send photos"), ("lo", "ແມ່ຍິງ")],
)
def test_words_that_only_look_like_a_cue_leave_it_to_the_classifier(language, text):
    assert danger_now(text, [language, "en"]) is None


def test_pain_said_like_a_threat_is_not_danger_now():
    assert danger_now("my wrist is killing me", ["en"]) is not True
