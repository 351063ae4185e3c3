"""A story that already says when, where and which badge: confirmed in one question, not asked again.

Whole conversations by signed Twilio webhooks through the real Rasa model, the action server and the
queue (issue 14, item 8). The stories were written for this test; none comes from tests/corpora.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from bot.actions import actions
from tests.bot.resident import said
from tests.bot.test_twilio_conversations import TRACKING, Texter, _case

pytestmark = pytest.mark.slow

LA = zoneinfo.ZoneInfo("America/Los_Angeles")


@pytest.fixture
def twilio_app(bot_stack, keyring, fake_twilio, tmp_path):  # type: ignore[no-untyped-def]
    from tests.bot.conftest import make_twilio_app

    return make_twilio_app(bot_stack, keyring, fake_twilio, tmp_path)


# (language, phone, story, "that's all", yes, "nobody saw", the day-and-time words, place, badge)
STORIES = [
    (
        "es",
        "+12095550311",
        "ayer como a las 9 de la noche en la calle Main un policia me paro sin razon y me empujo contra el carro, "
        "tenia la placa 4471. me lastimo el hombro",
        "eso es todo",
        "si",
        "nadie",
        "ayer como a las 9 de la noche",
        "calle Main",
        "placa 4471",
    ),
    (
        "vi",
        "+12095550312",
        "hom qua khoang 9h toi toi dang di bo tren duong Main thi bi canh sat chan lai va xo toi, "
        "so hieu 4471, toi bi thuong o vai",
        "xong",
        "co",
        "khong ai",
        "hom qua khoang 9h toi",
        "duong Main",
        "so hieu 4471",
    ),
    (
        "pa",
        "+12095550313",
        "ਕੱਲ੍ਹ ਰਾਤ ੯ ਵਜੇ ਮੇਨ ਸਟਰੀਟ ਤੇ ਇੱਕ ਪੁਲਿਸ ਵਾਲੇ ਨੇ ਮੈਨੂੰ ਬਿਨਾਂ ਵਜ੍ਹਾ ਰੋਕਿਆ ਤੇ ਧੱਕਾ ਦਿੱਤਾ। ਬੈਜ ਨੰਬਰ ੪੪੭੧। ਮੇਰੇ ਮੋਢੇ ਤੇ ਸੱਟ ਲੱਗੀ",
        "ਬੱਸ ਜੀ",
        "ਹਾਂ ਜੀ",
        "ਕੋਈ ਨਹੀਂ",
        "ਕੱਲ੍ਹ ਰਾਤ ੯ ਵਜੇ",
        "ਮੇਨ ਸਟਰੀਟ",
        "ਬੈਜ ਨੰਬਰ ੪੪੭੧",
    ),
]


@pytest.mark.parametrize(
    ("language", "phone", "story", "done", "yes", "nobody", "when", "place", "badge"),
    STORIES,
    ids=[s[0] for s in STORIES],
)
def test_a_story_with_when_where_and_badge_skips_those_questions(
    twilio_app, bot_stack, language, phone, story, done, yes, nobody, when, place, badge
):
    resident = Texter(twilio_app, phone)
    resident.text(story)
    confirm = resident.text(done)
    assert said(language, actions.STORY_FACTS_INTRO) in confirm, confirm
    assert place in confirm and badge in confirm, confirm
    after = resident.text(yes)
    # when, where, officers and injuries were all in the story: the next question is who saw it
    assert said(language, actions.QUESTIONS["witnesses"]).split("?")[0] in after, after
    for question in ("incident_time", "location", "officers", "injuries"):
        assert said(language, actions.QUESTIONS[question]).split("?")[0] not in after
    resident.text(nobody)  # witnesses
    summary = resident.text(yes)  # stay anonymous
    assert place in summary and badge in summary, summary
    receipt = resident.text(yes)  # the read-back is right
    number = TRACKING.search(receipt)
    assert number, receipt  # filed in 6 texts: story, done, yes, witnesses, anonymous, read-back
    case = _case(bot_stack.database, number.group(1))
    assert case.narrative == story
    assert case.incident_time_text == when  # the resident's own words are kept
    assert case.location == place and case.officers == badge
    assert case.injuries and case.injuries in story
    assert case.incident_at is not None
    moment = case.incident_at.astimezone(LA)
    yesterday = dt.datetime.now(LA).date() - dt.timedelta(days=1)
    assert (moment.date(), moment.hour, moment.minute) == (yesterday, 21, 0)


def test_a_no_to_what_the_story_said_asks_each_question_as_before(twilio_app, bot_stack):
    resident = Texter(twilio_app, "+12095550314")
    resident.text(
        "yesterday around 4 in the afternoon on Pacific Ave an officer stopped me and searched my bag "
        "without asking, badge 5120"
    )
    confirm = resident.text("done")
    assert "Pacific Ave" in confirm and "4:00" in confirm and "badge 5120" in confirm, confirm
    asked = resident.text("no, it was on Weber Ave")
    assert actions.QUESTIONS["incident_time"].split("?")[0] in asked, asked
    read_back = resident.text("the day before yesterday after 3 pm")
    assert "3:00" in read_back and "PM" in read_back, read_back  # day and time read back
    assert actions.QUESTIONS["location"].split("?")[0] in resident.text("yes")
