"""What a story already says (when, where, badge or car numbers, injuries), confirmed in one question.

The stories were written for this test in each language's texting style; none comes from tests/corpora.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import zoneinfo

import pytest
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import actions, i18n
from bot.actions.forms import ValidateCommendationForm, ValidateComplaintForm
from bot.actions.story import find_injuries, find_officers, find_place, story_facts
from tests.bot.test_actions import DOMAIN, run_form, slots_set, tracker

LA = zoneinfo.ZoneInfo("America/Los_Angeles")
NOW = dt.datetime(2026, 12, 4, 15, 30, tzinfo=LA)  # a Friday afternoon

# (language, story, the day-and-time words kept, hour, a piece of the place, a piece of the officers, of the injuries)
STORIES = [
    (
        "en",
        "yesterday around 9 pm i was walking home on main st when two cops stopped me. officer Ramirez "
        "badge 4471 threw me on the ground and my wrist is swollen",
        "yesterday around 9 pm",
        21,
        "main st",
        "4471",
        "wrist is swollen",
    ),
    (
        "es",
        "ayer como a las 4 de la tarde en la esquina de Pacific y March Ln un policia me paro sin razon, "
        "tenia placa 5521. me lastimo el brazo",
        "ayer como a las 4 de la tarde",
        16,
        "Pacific y March Ln",
        "placa 5521",
        "me lastimo el brazo",
    ),
    (
        "tl",
        "kagabi mga alas 10 sa kanto ng El Dorado at Harding hinarass po ako ng pulis, plaka ng mobile 3321. "
        "nasaktan po yung balikat ko",
        "kagabi mga alas 10",
        22,
        "El Dorado at Harding",
        "3321",
        "balikat",
    ),
    (
        "vi",
        "hom qua khoang 7h toi toi dang di tren duong Main thi bi canh sat chan lai, so hieu 4521, toi bi thuong o tay",
        "hom qua khoang 7h toi",
        19,
        "duong Main",
        "4521",
        "bi thuong",
    ),
    (
        "zh",
        "昨天晚上7点左右我在Main街和March路口被警察拦下，警号4521，他推我，我的手受伤了",
        "昨天晚上7点",
        19,
        "Main街和March路口",
        "4521",
        "受伤",
    ),
    (
        "km",
        "ម្សិលមិញ ម៉ោង៧យប់ ប៉ូលិសបានឈប់ខ្ញុំនៅផ្លូវ Main ។ ស្លាកលេខ ៤៥២១ ។ ខ្ញុំមានរបួសដៃ",
        "ម្សិលមិញ ម៉ោង៧យប់",
        19,
        "ផ្លូវ Main",
        "៤៥២១",
        "របួស",
    ),
    (
        "hmn",
        "nag hmo 7 teev tsaus ntuj tub ceev xwm nres kuv ntawm txoj kev Main. nws tus lej 4521. "
        "kuv raug mob ntawm kuv txhais tes",
        "nag hmo 7 teev tsaus ntuj",
        19,
        "txoj kev Main",
        "4521",
        "raug mob",
    ),
    (
        "lo",
        "ມື້ວານ 7 ໂມງແລງ ຕຳຫຼວດຈັບຂ້ອຍຢູ່ຖະໜົນ Main ລົດເລກ 4521 ຂ້ອຍບາດເຈັບແຂນ",
        "ມື້ວານ 7 ໂມງແລງ",
        19,
        "ຖະໜົນ Main",
        "4521",
        "ບາດເຈັບ",
    ),
    (
        "pa",
        "ਕੱਲ੍ਹ ਸ਼ਾਮ 7 ਵਜੇ ਮੇਨ ਸਟਰੀਟ ਤੇ ਪੁਲਿਸ ਨੇ ਮੈਨੂੰ ਰੋਕਿਆ। ਬੈਜ ਨੰਬਰ ੪੫੨੧। ਮੇਰੇ ਹੱਥ ਤੇ ਸੱਟ ਲੱਗੀ",
        "ਕੱਲ੍ਹ ਸ਼ਾਮ 7 ਵਜੇ",
        19,
        "ਮੇਨ ਸਟਰੀਟ",
        "੪੫੨੧",
        "ਸੱਟ",
    ),
]


@pytest.mark.parametrize(("language", "story", "when", "hour", "place", "officers", "hurt"), STORIES)
def test_a_story_gives_when_where_who_and_injuries_in_every_language(
    language, story, when, hour, place, officers, hurt
):
    facts = story_facts(language, story, now=NOW)
    assert facts["incident_time"] == when
    assert dt.datetime.fromisoformat(facts["incident_at"]).astimezone(LA).hour == hour
    assert place in facts["location"]
    assert officers in facts["officers"]
    assert hurt in facts["injuries"]


def test_a_story_that_names_nothing_gives_nothing():
    assert story_facts("en", "the officer was very rude to me and said i was lying. i felt humiliated", now=NOW) == {}


def test_a_place_is_a_street_an_intersection_or_a_named_place():
    assert find_place("en", "they parked at the Walmart on Hammer and waited") == "Walmart on Hammer"
    assert find_place("en", "at the corner of Pacific Ave and March Ln a cop") == "corner of Pacific Ave and March Ln"
    assert find_place("en", "it was at 2345 Pacific Ave, near the bank") == "2345 Pacific Ave"
    assert find_place("en", "he was rude to me") is None
    assert find_place("tl", "nangyari po sa may Walmart kagabi") == "Walmart"
    assert find_place("tl", "sinabi ko sa kanya na wala akong ginawa") is None


def test_numbers_without_a_badge_or_car_word_are_not_officers():
    assert find_officers("en", "call me at 209 555 0142, I was there 2 hours") is None
    assert find_officers("en", "car #212 and then badge 887") == "car #212, badge 887"
    assert find_officers("en", "his badge number was 4471") == "badge number was 4471"
    assert find_officers("tl", "yung plaka niya ay 3321 po") == "plaka niya ay 3321"


def test_an_injury_sentence_is_kept_whether_or_not_someone_was_hurt():
    assert find_injuries("en", "They yelled. Nobody got hurt thank god.") == "Nobody got hurt thank god"
    assert find_injuries("es", "me gritaron mucho") is None


@pytest.mark.parametrize(
    ("language", "story", "expected"),
    [
        ("en", "They yelled at me. my sister filmed the whole thing on her phone", "my sister filmed the whole thing"),
        ("es", "me esposaron, mi primo estaba conmigo y grabo todo", "mi primo estaba conmigo y grabo todo"),
        ("tl", "kasama ko po yung kapatid ko nung nangyari", "kasama ko po yung kapatid ko"),
        ("vi", "ban toi di cung toi va quay video het", "ban toi di cung toi va quay video het"),
        ("zh", "我朋友跟我一起，她都拍下来了", "我朋友跟我一起"),
        ("km", "ប្អូនខ្ញុំនៅជាមួយខ្ញុំ ហើយថតវីដេអូ", "ប្អូនខ្ញុំនៅជាមួយខ្ញុំ"),
        ("hmn", "kuv tus phooj ywg nrog kuv thiab nws kaw video", "kuv tus phooj ywg nrog kuv"),
        ("lo", "ໝູ່ຂ້ອຍຢູ່ກັບຂ້ອຍ ແລະຖ່າຍວິດີໂອໄວ້", "ໝູ່ຂ້ອຍຢູ່ກັບຂ້ອຍ"),
        ("pa", "ਮੇਰਾ ਭਰਾ ਮੇਰੇ ਨਾਲ ਸੀ ਤੇ ਉਸਨੇ ਵੀਡੀਓ ਬਣਾਈ", "ਮੇਰਾ ਭਰਾ ਮੇਰੇ ਨਾਲ ਸੀ"),
    ],
)
def test_someone_who_saw_or_filmed_it_is_the_witnesses_answer(language, story, expected):
    facts = story_facts(language, story, now=NOW)
    assert expected in facts["witnesses"]


def test_a_story_in_the_future_gives_no_date():
    assert "incident_time" not in story_facts("en", "tomorrow at 5 on Main St", now=NOW)


# --- the form ---------------------------------------------------------------------------------------


def _asked(events):  # type: ignore[no-untyped-def]
    return slots_set(events).get("requested_slot")


def test_a_first_message_that_tells_when_and_where_is_confirmed_in_one_question():
    story = "yesterday around 9 pm on Main St an officer with badge 4471 pushed me against the car for no reason"
    t = tracker(story, "file_complaint", slots={"requested_slot": None})
    events, _ = run_form(t)
    slots = slots_set(events)
    assert slots["narrative"] == story
    assert slots["story_facts"]["location"] == "Main St" and "4471" in slots["story_facts"]["officers"]
    # after "DONE", the form asks the one confirmation before when, where and officers
    done = tracker(
        "DONE",
        slots={"narrative": story, "story_facts": slots["story_facts"], "requested_slot": "narrative_more"},
        extracted={"narrative_more": "DONE"},
    )
    events, _ = run_form(done)
    assert _asked(events) == "story_facts_confirmed"


def _confirming(answer: str, facts: dict) -> list:  # type: ignore[type-arg]
    t = tracker(
        answer,
        slots={
            "language": "es",
            "narrative": "x",
            "narrative_more": "done",
            "story_facts": facts,
            "requested_slot": "story_facts_confirmed",
        },
        extracted={"story_facts_confirmed": answer},
    )
    events, _ = run_form(t)
    return events


FACTS = {
    "incident_time": "ayer como a las 9 de la noche",
    "incident_at": "2026-12-04T05:00:00+00:00",
    "location": "calle Main",
    "officers": "placa 4471",
}


def test_yes_fills_every_answer_the_story_gave_and_asks_what_it_did_not():
    events = _confirming("si", FACTS)
    slots = slots_set(events)
    assert slots["incident_time"] == "ayer como a las 9 de la noche"  # the resident's own words are kept
    assert slots["incident_at"] == FACTS["incident_at"] and slots["incident_time_confirmed"] is True
    assert slots["location"] == "calle Main" and slots["officers"] == "placa 4471"
    assert _asked(events) == "injuries"


@pytest.mark.parametrize("answer", ["no", "no, fue en la calle Oak", "fue el martes en realidad"])
def test_a_no_or_a_correction_asks_each_question_again(answer):
    events = _confirming(answer, FACTS)
    slots = slots_set(events)
    assert slots["story_facts_confirmed"] is False
    assert "location" not in slots or slots["location"] is None
    assert _asked(events) == "incident_time"


def test_the_confirmation_reads_back_day_time_and_words_in_the_residents_language():
    for language, expected in [("es", "Por lo que me escribió"), ("vi", "Theo những gì"), ("pa", "ਤੁਸੀਂ ਜੋ ਲਿਖਿਆ")]:
        dispatcher = CollectingDispatcher()
        t = tracker("x", slots={"language": language, "story_facts": FACTS})
        actions.ActionAskStoryFactsConfirmed().run(dispatcher, t, DOMAIN)
        (said,) = [m["text"] for m in dispatcher.messages]
        assert said.startswith(expected) and "calle Main" in said and "placa 4471" in said
        moment = dt.datetime.fromisoformat(FACTS["incident_at"]).astimezone(LA)
        assert i18n.format_day(language, moment) in said, said  # the day and the hour, in the language's way
        assert moment.hour == 21


def test_a_commendation_never_asks_about_injuries():
    facts = ValidateCommendationForm().read_facts(
        tracker("x", form="commendation_form"), "yesterday at 3pm officer Lee helped me, my leg was hurt"
    )
    assert "injuries" not in facts and facts["incident_time"] == "yesterday at 3pm"


def test_a_date_still_to_come_is_said_and_asked_again():
    dispatcher = CollectingDispatcher()
    form = ValidateComplaintForm()
    result = form.validate_incident_time("tomorrow at 5", dispatcher, tracker("tomorrow at 5"), DOMAIN)
    assert result == {"incident_time": None, "incident_at": None}
    assert "still to come" in dispatcher.messages[0]["text"]


def test_the_story_facts_are_forgotten_with_the_draft():
    assert "story_facts" in actions.DRAFT_SLOTS and "story_facts_confirmed" in actions.DRAFT_SLOTS


def test_a_second_story_line_adds_what_the_first_did_not_say():
    form = ValidateComplaintForm()
    first = {"incident_time": "yesterday at 9pm", "incident_at": "2026-12-04T05:00:00+00:00"}
    t = tracker(slots={"narrative": "yesterday at 9pm he pushed me", "story_facts": first})
    result = asyncio.run(
        asyncio.to_thread(form.validate_narrative_more, "it was on Main St", CollectingDispatcher(), t, DOMAIN)
    )
    assert result["story_facts"] == {**first, "location": "Main St"}


def test_one_answer_other_than_the_time_is_asked_as_before():
    facts = {"officers": "officer Diaz"}
    done = tracker(
        "done",
        slots={"narrative": "officer Diaz was rude", "story_facts": facts, "requested_slot": "narrative_more"},
        extracted={"narrative_more": "done"},
    )
    events, _ = run_form(done)
    assert _asked(events) == "incident_time"  # the same one question either way: asked as before
    timed = {"incident_time": "ayer", "incident_at": "2026-12-03T08:00:00+00:00"}
    done = tracker(
        "done",
        slots={"narrative": "ayer me paró", "story_facts": timed, "requested_slot": "narrative_more"},
        extracted={"narrative_more": "done"},
    )
    events, _ = run_form(done)
    assert _asked(events) == "story_facts_confirmed"  # the time alone saves its read-back
