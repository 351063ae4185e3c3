"""Danger now gets the 911 advice in every language, at any point; fear and the past are the story.

Through the real Rasa model and action server. The sentences are written for this test (not from
tests/corpora, not from nlu/): danger now as the first message and in the middle of the story, and
fear about what happened, or worry about what may come, in the middle of the story and first.
"""

from __future__ import annotations

import pytest

from bot.actions import actions, forms
from tests.bot.resident import said

pytestmark = pytest.mark.slow

# language, danger now (first message), danger now (mid-story), fear about the past, worry about later
CASES = {
    "en": (
        "an officer is choking my cousin outside right now",
        "they are hitting him again right now",
        "i was so scared when they grabbed me",
        "im afraid they will come back",
    ),
    "es": (
        "la policia le esta pegando a mi hermano afuera ahorita",
        "ahorita lo estan pateando otra vez",
        "tenia mucho miedo cuando me agarraron",
        "me da miedo que regresen",
    ),
    "tl": (
        "sinusuntok ng pulis ang pinsan ko sa labas ngayon",
        "binubugbog na naman nila siya ngayon",
        "takot na takot ako noong hinawakan nila ako",
        "natatakot ako baka bumalik sila",
    ),
    "vi": (
        "cảnh sát đang đánh anh tôi ngoài sân ngay bây giờ",
        "họ đang đạp anh ấy nữa",
        "tôi đã rất sợ khi họ túm lấy tôi",
        "tôi sợ họ sẽ quay lại",
    ),
    "vi-ascii": (
        "canh sat dang danh anh toi ngoai san ngay bay gio",
        "ho dang dap anh ay nua",
        "toi so lam khi ho tum lay toi hom do",
        "toi so ho se quay lai",
    ),
    "zh": ("警察正在外面打我表哥", "他们现在又在踢他", "他们抓住我的时候我很害怕", "我怕他们会回来"),
    "zh_Hant": ("差佬而家喺出面打緊我表哥", "佢哋而家又踢緊佢", "佢哋捉住我嗰陣我好驚", "我驚佢哋會返嚟"),
    "km": (
        "ប៉ូលិសកំពុងវាយបងប្រុសខ្ញុំនៅខាងក្រៅឥឡូវនេះ",
        "ឥឡូវនេះគេកំពុងទាត់គាត់ទៀត",
        "ខ្ញុំខ្លាចណាស់ពេលគេចាប់ខ្ញុំ",
        "ខ្ញុំខ្លាចគេមកវិញ",
    ),
    "hmn": (
        "tub ceev xwm tab tom ntaus kuv tus kwv sab nraum zoov tam sim no",
        "lawv tab tom ncaws nws dua",
        "kuv ntshai heev thaum lawv tuav kuv",
        "kuv ntshai lawv yuav rov los",
    ),
    "lo": (
        "ຕຳຫຼວດກຳລັງຕີອ້າຍຂ້ອຍຢູ່ຂ້າງນອກດຽວນີ້",
        "ດຽວນີ້ເຂົາກຳລັງເຕະລາວອີກ",
        "ຂ້ອຍຢ້ານຫຼາຍຕອນທີ່ເຂົາຈັບຂ້ອຍ",
        "ຂ້ອຍຢ້ານວ່າເຂົາຈະມາຫາຂ້ອຍອີກ",
    ),
    "pa": (
        "ਪੁਲਿਸ ਵਾਲੇ ਹੁਣ ਬਾਹਰ ਮੇਰੇ ਭਰਾ ਨੂੰ ਕੁੱਟ ਰਹੇ ਨੇ",
        "ਹੁਣ ਉਹ ਫੇਰ ਉਹਨੂੰ ਲੱਤਾਂ ਮਾਰ ਰਹੇ ਨੇ",
        "ਜਦੋਂ ਉਹਨਾਂ ਨੇ ਮੈਨੂੰ ਫੜਿਆ ਮੈਂ ਬਹੁਤ ਡਰ ਗਿਆ ਸੀ",
        "ਮੈਨੂੰ ਡਰ ਹੈ ਉਹ ਵਾਪਸ ਆਉਣਗੇ",
    ),
}


def _lang(case: str) -> str:
    return case.split("-")[0]


def _metadata(case: str) -> dict[str, str]:
    if case == "zh_Hant":
        return {"language": "zh", "script": "Hant"}
    return {"language": "vi" if case == "vi-ascii" else case}


def _advice(case: str) -> str:
    advice = said(_lang(case), forms.EMERGENCY_MESSAGE)
    assert case == "en" or advice != forms.EMERGENCY_MESSAGE, "catalogs not compiled: scripts/compile-catalogs"
    return advice


@pytest.mark.parametrize("case", CASES)
def test_danger_now_as_the_first_message_gets_the_911_advice(bot_stack, case):
    talk = bot_stack.conversation(**_metadata(case))
    replies = talk.say(CASES[case][0])
    assert any(_advice(case) in r for r in replies), replies


@pytest.mark.parametrize("case", CASES)
def test_danger_now_in_the_middle_of_the_story_gets_the_911_advice(bot_stack, case):
    talk = bot_stack.conversation(**_metadata(case))
    talk.say("/file_complaint")
    talk.say("x")  # the story has begun
    replies = talk.say(CASES[case][1])
    assert any(_advice(case) in r for r in replies), replies


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("which", [2, 3], ids=["fear-about-the-past", "worry-about-later"])
def test_fear_in_the_story_is_kept_as_story_without_the_911_advice(bot_stack, case, which):
    talk = bot_stack.conversation(**_metadata(case))
    talk.say("/file_complaint")
    talk.say("x")
    replies = talk.say(CASES[case][which])
    assert not any(_advice(case) in r for r in replies), replies
    more = said(_lang(case), actions.QUESTIONS["narrative_more"])
    assert more in replies[-1], replies  # taken as more of the story


@pytest.mark.parametrize("case", CASES)
def test_fear_as_the_first_message_gets_no_911_advice(bot_stack, case):
    talk = bot_stack.conversation(**_metadata(case))
    replies = talk.say(CASES[case][2])
    assert replies and not any(_advice(case) in r for r in replies), replies
