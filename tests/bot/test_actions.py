"""The custom actions, unit by unit, with rasa_sdk's CollectingDispatcher and JSON trackers."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import actions, i18n, opening
from bot.actions.common import is_emergency, language_choice, resolve_language
from bot.actions.forms import ValidateComplaintForm, parse_incident_time, yes_no
from bot.actions.status_forms import ValidateInformationForm, ValidateStatusForm

ROOT = Path(__file__).resolve().parents[2]
DOMAIN: dict[str, Any] = yaml.safe_load((ROOT / "bot" / "domain.yml").read_text(encoding="utf-8"))
EARLIER = {"narrative": "he pushed me", "narrative_more": "done", "incident_time": "yesterday"}


def tracker(
    text: str = "",
    intent: str = "",
    confidence: float = 0.99,
    slots: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
    form: str | None = "complaint_form",
    extracted: dict[str, Any] | None = None,
) -> Tracker:
    """A tracker as Rasa sends it; ``extracted`` are the slot candidates the form just filled."""
    return Tracker(
        sender_id="test",
        slots={"language": "en", "language_chosen": True, **(slots or {}), **(extracted or {})},
        latest_message={"text": text, "intent": {"name": intent, "confidence": confidence}, "metadata": metadata or {}},
        events=[{"event": "action", "name": form or "action_listen"}]
        + [{"event": "slot", "name": k, "value": v} for k, v in (extracted or {}).items()],
        paused=False,
        followup_action=None,
        active_loop={"name": form} if form else {},
        latest_action_name="action_listen",
    )


def run_form(t: Tracker) -> tuple[list[dict[str, Any]], list[str]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ValidateComplaintForm().run(dispatcher, t, DOMAIN))
    return events, [m["text"] for m in dispatcher.messages if m.get("text")]


def slots_set(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


@pytest.mark.parametrize(
    ("language", "yes", "no"),
    [
        ("en", "Yes!", "nope"),
        ("es", "Sí", "no"),
        ("tl", "oo", "hindi"),
        ("vi", "có", "không"),
        ("zh", "“是”", "不是"),
        ("km", "បាទ។", "ទេ"),
        ("hmn", "yog", "tsis yog"),
        ("lo", "ແມ່ນ", "ບໍ່"),
        ("pa", "ਹਾਂ ਜੀ", "ਨਹੀਂ"),
    ],
)
def test_yes_and_no_in_every_language(language, yes, no):
    t = tracker(intent="out_of_scope", confidence=0.1)
    assert yes_no(language, t, yes) is True
    assert yes_no(language, t, no) is False
    assert yes_no(language, t, "the officer was rude") is None


def test_messages_come_from_the_catalogs():
    english = i18n.t("en", actions.QUESTIONS["location"])
    assert english.startswith("Where did it happen?")
    for language in ("es", "tl", "vi", "zh", "km", "hmn", "lo", "pa"):
        assert i18n.t(language, actions.QUESTIONS["location"]) != english, language


def test_dates_read_back_in_the_residents_locale():
    when = dt.datetime(2026, 11, 21, 21, 0)  # noqa: DTZ001  (a wall-clock day and hour, as the dialogue reads back)
    assert "noviembre" in i18n.format_day("es", when)
    assert "2026" in i18n.format_day("zh", when) and "11" in i18n.format_day("zh", when)
    assert i18n.format_day("hmn", when.replace(hour=0)) == "hnub tim 21 lub 11 hli ntuj, xyoo 2026"


def test_incident_time_is_parsed_in_the_language_and_keeps_only_what_was_said():
    now = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.timezone.utc)
    parsed = parse_incident_time("es", "15 de noviembre", now=now)
    assert parsed is not None and (parsed.month, parsed.day) == (11, 15)
    assert parse_incident_time("en", "no idea, sorry", now=now) is None


def test_numbers_never_count_as_an_emergency_but_911_does():
    assert not is_emergency(tracker("placa 4471, patrulla 12", "emergency", 0.95))
    assert not is_emergency(tracker("209 555 0142", "emergency", 0.99))
    assert is_emergency(tracker("call 911", "greet", 0.9))
    assert is_emergency(tracker("he has a gun right now", "emergency", 0.9))


def test_language_choice_reads_numbers_names_and_native_digits():
    assert language_choice("2") == "es"
    assert language_choice("៦") == "km"
    assert language_choice("Tiếng Việt") == "vi"
    assert language_choice("punjabi") == "pa"
    assert language_choice("11") is None


def test_channel_language_wins_and_short_replies_never_switch():
    language, events = resolve_language(tracker("ok", slots={"language": "es", "language_chosen": False}))
    assert language == "es" and events == []
    language, _ = resolve_language(tracker("hola", metadata={"language": "km"}))
    assert language == "km"


def test_narrative_collects_several_messages_until_done():
    form = ValidateComplaintForm()
    t = tracker(slots={"narrative": "he pushed me"})
    assert form.validate_narrative_more("and took my phone", CollectingDispatcher(), t, DOMAIN) == {
        "narrative": "he pushed me\nand took my phone",
        "narrative_more": None,
    }
    assert form.validate_narrative_more("done", CollectingDispatcher(), t, DOMAIN) == {"narrative_more": "done"}


def test_cancel_mid_form_is_a_command_not_an_answer():
    events, _ = run_form(tracker("cancel", "cancel", slots={**EARLIER, "requested_slot": "location"}))
    slots = slots_set(events)
    assert slots["location"] is None and slots["cancel_pending"] is True
    assert slots["requested_slot"] == "cancel_confirm"


def test_a_long_answer_mentioning_cancel_is_kept_as_the_answer():
    text = "the officer said he would cancel my license if I complained"
    events, _ = run_form(
        tracker(text, "cancel", 0.7, slots={**EARLIER, "requested_slot": "location"}, extracted={"location": text})
    )
    assert slots_set(events)["location"] == text


def test_an_emergency_mid_form_gives_911_advice_and_asks_again():
    events, messages = run_form(
        tracker("help me he is hurting me", "emergency", 0.95, slots={**EARLIER, "requested_slot": "location"})
    )
    assert any("911" in m for m in messages)
    assert slots_set(events)["requested_slot"] == "location"


def test_anonymous_skips_the_contact_questions():
    form = ValidateComplaintForm()
    slots = asyncio.run(form.required_slots([], CollectingDispatcher(), tracker(slots={"anonymous": True}), DOMAIN))
    assert "contact_name" not in slots and "summary_confirmed" in slots
    assert "incident_time_confirmed" not in slots  # nothing was parsed to confirm


def test_the_read_back_number_clears_that_answer():
    form = ValidateComplaintForm()
    result = form.validate_summary_confirmed("3", CollectingDispatcher(), tracker(), DOMAIN)
    assert result == {"summary_confirmed": None, "location": None}


def test_finishing_posts_the_residents_words_and_reads_the_receipt(monkeypatch):
    sent: dict[str, Any] = {}

    def fake_post(path: str, payload: dict[str, Any]) -> actions.intake_client.Answer:
        sent.update(path=path, payload=payload)
        return actions.intake_client.Answer(201, {"tracking_number": "482-193-7703", "pin": "123456"})

    monkeypatch.setattr(actions.intake_client, "post", fake_post)
    dispatcher = CollectingDispatcher()
    t = tracker(
        slots={
            "language": "es",
            "narrative": "me empujó",
            "location": "Main",
            "anonymous": True,
            "draft_id": "d1",
            "witnesses": "-",
        }
    )
    events = actions.ActionFinishComplaint().run(dispatcher, t, {})
    assert sent["path"] == "/cases" and sent["payload"]["narrative"] == "me empujó"
    assert sent["payload"]["witnesses"] is None and sent["payload"]["contact"] is None
    assert "482-193-7703" in dispatcher.messages[0]["text"] and "123456" in dispatcher.messages[0]["text"]
    assert slots_set(events)["narrative"] is None  # the draft is cleared once filed


def test_a_failed_filing_keeps_the_draft(monkeypatch):
    def down(path: str, payload: dict[str, Any]) -> None:
        raise actions.intake_client.IntakeUnavailable("connection refused")

    monkeypatch.setattr(actions.intake_client, "post", down)
    dispatcher = CollectingDispatcher()
    events = actions.ActionFinishComplaint().run(dispatcher, tracker(slots={"narrative": "x", "draft_id": "d"}), {})
    assert slots_set(events) == {"filing_failed": True}
    assert "kept" in dispatcher.messages[0]["text"]


def _status_answer(monkeypatch, merged: bool, metadata: dict[str, Any] | None = None) -> list[str]:
    def fake_post(path: str, payload: dict[str, Any]) -> actions.intake_client.Answer:
        assert path == "/status" and payload == {"tracking_number": "4821937703", "pin": "123456"}
        body = {
            "tracking_number": "482-193-7703",
            "status": "closed",
            "filed_at": "2026-11-02T17:00:00+00:00",
            "last_update": "2026-11-20T17:00:00+00:00",
            "merged": merged,
        }
        return actions.intake_client.Answer(200, body)

    monkeypatch.setattr(actions.intake_client, "post", fake_post)
    dispatcher = CollectingDispatcher()
    slots = {"language": "es", "tracking_number": "4821937703", "pin": "123456"}
    actions.ActionFinishStatus().run(dispatcher, tracker(slots=slots, metadata=metadata, form=None), {})
    return [m["text"] for m in dispatcher.messages if m.get("text")]


def test_the_status_of_a_merged_report_says_it_was_joined_with_another(monkeypatch):
    said = _status_answer(monkeypatch, merged=True)
    assert "Estado del reporte 482-193-7703: cerrado" in said[0]
    assert said[1].startswith("Este reporte se unió a otro reporte sobre los mismos hechos")
    assert "número de seguimiento y su PIN siguen funcionando" in said[1]


def test_the_status_of_a_report_not_merged_says_nothing_of_merging(monkeypatch):
    said = _status_answer(monkeypatch, merged=False)
    assert len(said) == 1 and "se unió" not in said[0]


def test_a_merged_reports_status_is_said_in_traditional_to_a_traditional_writer(monkeypatch):
    metadata = {"language": "zh", "script": "Hant"}
    said = _status_answer(monkeypatch, merged=True, metadata=metadata)
    assert "這份報告已與另一份關於同一事件的報告合併" in said[-1]


def test_an_unexpected_yes_or_no_always_gets_the_menu():
    dispatcher = CollectingDispatcher()
    opening.ActionMenu().run(
        dispatcher, tracker("no", "deny", slots={"filing_failed": True, "notice_shown": True}, form=None), {}
    )
    assert dispatcher.messages and "I can help you" in dispatcher.messages[0]["text"]


def _ask_more(metadata: dict[str, Any]) -> list[dict[str, Any]]:
    dispatcher = CollectingDispatcher()
    t = tracker(text="he pushed me", intent="file_complaint", metadata=metadata)
    events = actions.ActionAskNarrativeMore().run(dispatcher, t, DOMAIN)
    assert "anything more" in dispatcher.messages[0]["text"]
    return [e for e in events if e.get("event") == "reminder"]


def test_asking_for_more_by_text_sets_the_pause(monkeypatch):
    # NOTE: these trackers carry no user event, so the pause falls back to Rasa's reminder (checked here).
    monkeypatch.delenv("HEARD_NARRATIVE_PAUSE_SECONDS", raising=False)
    monkeypatch.delenv("HEARD_NARRATIVE_PAUSE_CHANNELS", raising=False)
    before = dt.datetime.now(dt.timezone.utc)
    (reminder,) = _ask_more({"channel": "sms"})
    assert reminder["intent"] == "EXTERNAL_narrative_pause" and reminder["kill_on_user_msg"] is True
    when = dt.datetime.fromisoformat(reminder["date_time"]) - before
    assert dt.timedelta(seconds=179) < when < dt.timedelta(seconds=182)  # three minutes by default
    (short,) = _ask_more({"channel": "sms", "narrative_pause_seconds": 2})
    assert dt.datetime.fromisoformat(short["date_time"]) - before < dt.timedelta(seconds=5)
    monkeypatch.setenv("HEARD_NARRATIVE_PAUSE_SECONDS", "0")
    assert _ask_more({"channel": "sms"}) == []  # zero turns it off


def test_the_pause_is_queued_in_heards_queue_when_the_internal_api_takes_it(monkeypatch):
    """The pause is a job in Heard's queue (through the internal API); no reminder in Rasa's memory then."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    posted: list[tuple[str, dict[str, Any]]] = []

    class InternalApi(BaseHTTPRequestHandler):  # stands in for Heard's /internal/v1 (tested in tests/webhooks)
        def do_POST(self) -> None:
            posted.append((self.path, json.loads(self.rfile.read(int(self.headers["Content-Length"])))))
            self.send_response(202)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), InternalApi)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("HEARD_INTERNAL_URL", f"http://127.0.0.1:{server.server_address[1]}")
    monkeypatch.setenv("HEARD_INTERNAL_TOKEN", "token")
    monkeypatch.delenv("HEARD_NARRATIVE_PAUSE_SECONDS", raising=False)
    monkeypatch.delenv("HEARD_NARRATIVE_PAUSE_CHANNELS", raising=False)
    try:
        t = tracker(text="he pushed me", intent="file_complaint", metadata={"channel": "sms"})
        t.events.append({"event": "user", "timestamp": 1733370000.25, "text": "he pushed me", "metadata": {}})
        events = actions.ActionAskNarrativeMore().run(CollectingDispatcher(), t, DOMAIN)
    finally:
        server.shutdown()
        server.server_close()
    assert [e for e in events if e.get("event") == "reminder"] == []
    assert posted == [("/internal/v1/conversations/test/pause", {"seconds": 180.0, "after": 1733370000.25})]


def test_channels_that_cannot_reach_the_resident_between_turns_never_pause(monkeypatch):
    monkeypatch.delenv("HEARD_NARRATIVE_PAUSE_CHANNELS", raising=False)
    assert _ask_more({"channel": "voice"}) == []
    assert len(_ask_more({"channel": "web_chat"})) == 1  # the widget fetches what is said between turns
    assert len(_ask_more({"channel": "whatsapp"})) == 1  # sent like a text (a template outside the 24 hours)
    monkeypatch.setenv("HEARD_NARRATIVE_PAUSE_CHANNELS", "sms")
    assert _ask_more({"channel": "web_chat", "narrative_pause_seconds": 2}) == []


def test_the_pause_ends_what_happened_with_what_was_sent():
    text = "EXTERNAL: EXTERNAL_narrative_pause"
    t = tracker(
        text=text,
        intent="EXTERNAL_narrative_pause",
        metadata={"is_external": True},
        slots={"narrative": "he pushed me", "requested_slot": "narrative_more", "language_menu": True},
        extracted={"narrative_more": text},
    )
    events, said = run_form(t)
    assert said == []  # nothing about languages or commands: Rasa's own message has no words
    assert slots_set(events)["narrative_more"] == "done"
    assert "narrative" not in slots_set(events)  # the resident's words stay as they were


# -- the PIN, a credential ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("form_class", "form"), [(ValidateStatusForm, "status_form"), (ValidateInformationForm, "information_form")]
)
def test_a_message_taken_as_the_pin_tells_the_channel_to_hide_it(form_class, form):
    typed = "my pin is 123 456"
    dispatcher = CollectingDispatcher()
    t = tracker(
        typed,
        "inform",
        slots={"requested_slot": "pin", "tracking_number": "4821937703"},
        form=form,
        extracted={"pin": typed},
    )
    events = asyncio.run(form_class().run(dispatcher, t, DOMAIN))
    assert slots_set(events)["pin"] == "123456"
    assert {"redact": "pin"} in [m.get("custom") for m in dispatcher.messages]
    assert not any("123" in (m.get("text") or "") for m in dispatcher.messages)  # never echoed


def test_an_answer_without_digits_or_a_command_at_the_pin_question_hides_nothing():
    dispatcher = CollectingDispatcher()
    t = tracker(slots={"requested_slot": "pin"}, form="status_form")
    assert ValidateStatusForm().validate_pin("I forgot it", dispatcher, t, DOMAIN) == {"pin": None}
    cancel = tracker("cancel", "cancel", slots={"requested_slot": "pin"}, form="status_form")
    dispatcher_of_cancel = CollectingDispatcher()
    asyncio.run(ValidateStatusForm().run(dispatcher_of_cancel, cancel, DOMAIN))
    assert not any(m.get("custom") for m in dispatcher.messages + dispatcher_of_cancel.messages)


@pytest.mark.parametrize("status", [200, 404, None])
def test_the_status_check_forgets_the_pin_and_never_says_it(monkeypatch, status):
    def fake_post(path: str, payload: dict[str, Any]) -> actions.intake_client.Answer:
        if status is None:
            raise actions.intake_client.IntakeUnavailable("connection refused")
        body = {"tracking_number": "482-193-7703", "status": "received", "last_update": "2026-11-20T17:00:00+00:00"}
        return actions.intake_client.Answer(status, body if status == 200 else {})

    monkeypatch.setattr(actions.intake_client, "post", fake_post)
    dispatcher = CollectingDispatcher()
    slots = {"tracking_number": "4821937703", "pin": "123456"}
    events = actions.ActionFinishStatus().run(dispatcher, tracker(slots=slots, form=None), {})
    assert slots_set(events)["pin"] is None
    assert dispatcher.messages and not any("123456" in (m.get("text") or "") for m in dispatcher.messages)


@pytest.mark.parametrize("status", [201, 404, None])
def test_adding_information_forgets_the_pin_even_when_the_office_is_unreachable(monkeypatch, status):
    def fake_post(path: str, payload: dict[str, Any]) -> actions.intake_client.Answer:
        assert payload["pin"] == "123456"
        if status is None:
            raise actions.intake_client.IntakeUnavailable("connection refused")
        return actions.intake_client.Answer(status, {"tracking_number": "482-193-7703"})

    monkeypatch.setattr(actions.intake_client, "post", fake_post)
    dispatcher = CollectingDispatcher()
    slots = {"tracking_number": "4821937703", "pin": "123456", "information_text": "a witness called me"}
    events = actions.ActionFinishInformation().run(dispatcher, tracker(slots=slots, form=None), {})
    assert slots_set(events)["pin"] is None
    assert not any("123456" in (m.get("text") or "") for m in dispatcher.messages)


def _asked(action: Any) -> list[dict[str, Any]]:
    dispatcher = CollectingDispatcher()
    action.run(dispatcher, tracker(slots={"language": "vi"}, form="complaint_form"), DOMAIN)
    return dispatcher.messages


def test_a_question_answered_in_the_residents_own_words_says_so_to_the_channel():
    # The SMS channel then asks before a localized opt-out word ("Dũng" as a name) opts anyone out.
    name = _asked(actions.ActionAskContactName())
    assert name[0]["text"] == i18n.t("vi", actions.QUESTIONS["contact_name"])
    assert {"awaiting": "free_text"} in [m.get("custom") for m in name]
    assert {"awaiting": "free_text"} in [m.get("custom") for m in _asked(actions.ActionAskNarrative())]
    for closed in (actions.ActionAskAnonymous(), actions.ActionAskCancelConfirm(), actions.ActionAskPin()):
        assert all(not m.get("custom") for m in _asked(closed))


@pytest.mark.parametrize(
    ("form_class", "channel", "asks_pin"),
    [
        (ValidateStatusForm, "sms", False),  # the answer is texted to the number that asked
        (ValidateStatusForm, "voice", True),  # a caller ID can be spoofed, and the answer is spoken
        (ValidateStatusForm, "tty", True),
        (ValidateInformationForm, "sms", True),  # adding words always takes the PIN
        (ValidateInformationForm, "voice", True),
    ],
)
def test_a_phone_number_stands_in_for_the_pin_only_for_a_status_by_text(form_class, channel, asks_pin):
    t = tracker(metadata={"channel": channel, "phone": "sealed:abc"}, form=None)
    required = asyncio.run(form_class().required_slots([], CollectingDispatcher(), t, DOMAIN))
    assert ("pin" in required) is asks_pin


def test_adding_information_sends_the_pin_and_never_the_phone(monkeypatch):
    sent: list[dict[str, Any]] = []

    def fake_post(path: str, payload: dict[str, Any]) -> actions.intake_client.Answer:
        sent.append(payload)
        return actions.intake_client.Answer(201, {"tracking_number": "482-193-7703"})

    monkeypatch.setattr(actions.intake_client, "post", fake_post)
    slots = {"tracking_number": "4821937703", "pin": "123456", "information_text": "a witness called me"}
    metadata = {"channel": "sms", "phone": "sealed:abc"}
    t = tracker(slots=slots, metadata=metadata, form=None)
    actions.ActionFinishInformation().run(CollectingDispatcher(), t, {})
    assert sent and sent[0]["pin"] == "123456" and "phone" not in sent[0]


@pytest.mark.parametrize("action", [actions.ActionFinishStatus, actions.ActionFinishInformation])
def test_a_locked_pin_is_explained_in_the_residents_language_with_the_offices_number(monkeypatch, action):
    monkeypatch.setattr(
        actions.intake_client, "post", lambda path, payload: actions.intake_client.Answer(423, {"error": "pin_locked"})
    )
    dispatcher = CollectingDispatcher()
    slots = {"language": "vi", "tracking_number": "4821937703", "pin": "123456", "information_text": "x"}
    action().run(dispatcher, tracker(slots=slots, form=None), {})
    said = " ".join(m.get("text") or "" for m in dispatcher.messages)
    assert "bị khóa" in said and actions.OFFICE_PHONE in said


# -- words that fit the channel (issue 15) --------------------------------------------------------


@pytest.fixture
def _channel_reset() -> Any:
    yield
    i18n.use_channel(None)  # NOTE: every action sets it; a test that stops mid-way must not leak it


def _ask(action: Any, metadata: dict[str, Any], language: str = "es") -> list[str]:
    dispatcher = CollectingDispatcher()
    t = tracker(text="x", metadata=metadata, slots={"language": language})
    action.run(dispatcher, t, DOMAIN)
    return [m["text"] for m in dispatcher.messages if m.get("text")]


def test_a_caller_is_asked_to_say_what_a_texter_is_asked_to_reply(_channel_reset):
    ask_name = actions.ActionAskContactName()  # type: ignore[attr-defined]
    (texted,) = _ask(ask_name, {"channel": "sms", "language": "es"})
    (said,) = _ask(ask_name, {"channel": "voice", "language": "es"})
    assert "Responda SALTAR" in texted
    assert "Diga SALTAR" in said and "Responda" not in said
    (typed,) = _ask(ask_name, {"channel": "tty", "language": "en"}, language="en")
    assert typed == "What is your name? Type SKIP if you prefer not to say."


def test_a_caller_who_asks_for_the_language_menu_is_told_to_call_again(_channel_reset):
    from bot.actions.common import handle_language_commands, resolve_language

    for channel, language, expected in [
        ("voice", "es", "vuelva a llamar"),
        ("tty", "en", "This TTY line is in English"),
    ]:
        dispatcher = CollectingDispatcher()
        t = tracker(text="language", metadata={"channel": channel, "language": language})
        resolve_language(t)
        assert handle_language_commands(dispatcher, t, language) == []  # no menu the call cannot use
        (said,) = [m["text"] for m in dispatcher.messages]
        assert expected in said and "1. English" not in said
    dispatcher = CollectingDispatcher()
    t = tracker(text="language", metadata={"channel": "sms"})
    resolve_language(t)
    handle_language_commands(dispatcher, t, "en")
    assert "1. English" in dispatcher.messages[0]["text"]  # a texter still gets the menu


def test_the_date_read_back_ends_its_sentence_once(_channel_reset):
    for at, expected in [
        ("2026-11-15T05:30:00+00:00", "p.m. ¿Es correcto?"),
        ("2026-11-15T08:00:00+00:00", "2026. ¿Es"),
    ]:
        dispatcher = CollectingDispatcher()
        t = tracker(text="sí", metadata={"channel": "sms", "language": "es"}, slots={"incident_at": at})
        actions.ActionAskIncidentTimeConfirmed().run(dispatcher, t, DOMAIN)
        (said,) = [m["text"] for m in dispatcher.messages]
        assert expected in said and ".." not in said, said


# --- issue 14: residents who write naturally ------------------------------------------------------


def _said(dispatcher: CollectingDispatcher) -> list[str]:
    return [m["text"] for m in dispatcher.messages if m.get("text")]


@pytest.mark.parametrize(
    "action", [opening.ActionMenu, opening.ActionGreet, opening.ActionHelp, opening.ActionOutOfScope]
)
def test_the_notice_comes_before_the_first_question_whatever_the_first_message(action):
    dispatcher = CollectingDispatcher()
    events = action().run(dispatcher, tracker("hi there", "greet", form=None), {})
    said = " ".join(_said(dispatcher))
    assert "not by the police department" in said and "911" in said and "LANGUAGE" in said
    assert slots_set(events).get("notice_shown") is True


def test_a_long_first_message_the_nlu_did_not_place_starts_the_complaint_with_those_words():
    story = (
        "last night two officers stopped me on Pacific Avenue and searched my car without asking, "
        "one of them pushed me against the door"
    )
    t = tracker(story, "nlu_fallback", confidence=0.2, form=None)
    t.events.append({"event": "user", "text": story})
    events = opening.ActionMenu().run(CollectingDispatcher(), t, {})
    assert any(e["event"] == "followup" and e["name"] == "complaint_form" for e in events)

    dispatcher = CollectingDispatcher()
    start = tracker(story, "nlu_fallback", confidence=0.2, slots={"requested_slot": None}, form=None)
    start.events.append({"event": "user", "text": story})
    events = asyncio.run(ValidateComplaintForm().run(dispatcher, start, DOMAIN))
    assert slots_set(events)["narrative"] == story
    assert "not by the police department" in " ".join(_said(dispatcher))


def test_a_greeting_that_asks_to_file_is_not_taken_as_the_story():
    dispatcher = CollectingDispatcher()
    start = tracker(
        "Hello, I want to file a complaint against an officer", "file_complaint", slots={"requested_slot": None}
    )
    events = asyncio.run(ValidateComplaintForm().run(dispatcher, start, DOMAIN))
    assert "narrative" not in slots_set(events)


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        ("es", "sí, que sea anónimo por favor", True),
        ("es", "no, pueden usar mi nombre", False),
        ("tl", "opo, okay lang po", True),
        ("tl", "hindi po, gamitin nyo pangalan ko", False),
        ("vi", "vâng, cứ giữ kín tên tôi", True),
        ("vi", "khong, toi muon de ten", False),
        ("zh", "是的，不要写我的名字", True),
        ("zh", "不用了，可以写我的名字", False),
        ("km", "បាទ សូមកុំដាក់ឈ្មោះខ្ញុំ", True),
        ("km", "អត់ទេ ដាក់ឈ្មោះខ្ញុំបាន", False),
        ("hmn", "yog lawm, tsis txhob qhia kuv lub npe", True),
        ("hmn", "tsis yog, siv kuv lub npe tau", False),
        ("lo", "ແມ່ນແລ້ວ ບໍ່ຕ້ອງໃສ່ຊື່", True),
        ("lo", "ບໍ່ ໃສ່ຊື່ຂ້ອຍໄດ້", False),
        ("pa", "ਹਾਂ ਜੀ, ਮੇਰਾ ਨਾਮ ਨਾ ਲਿਖੋ", True),
        ("pa", "ਜੀ ਨਹੀਂ, ਨਾਮ ਲਿਖ ਲਓ", False),
        ("en", "yes please keep my name out of it", True),
        ("en", "no, you can use my name", False),
    ],
)
def test_a_yes_or_no_with_more_words_is_read(language, text, expected):
    events, said = run_form(
        tracker(
            text,
            "out_of_scope",
            confidence=0.3,
            slots={"language": language, "requested_slot": "anonymous"},
            extracted={"anonymous": text},
        )
    )
    assert slots_set(events)["anonymous"] is expected, said


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("call me please", "phone"),
        ("text is best", "sms"),
        ("by email", "email"),
        ("please don't contact me", "none"),
        ("2", "phone"),
        ("SKIP", "-"),
    ],
)
def test_the_contact_choice_in_the_residents_words(text, expected):
    events, said = run_form(
        tracker(
            text, "request_human", slots={"requested_slot": "contact_preferred"}, extracted={"contact_preferred": text}
        )
    )
    assert slots_set(events)["contact_preferred"] == expected, said


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "phone call is best, after 5pm",
            {"contact_preferred": "phone", "contact_times": "phone call is best, after 5pm"},
        ),
        ("text me at 209 555 0142", {"contact_preferred": "sms", "contact_phone": "+12095550142"}),
        ("by email", {"contact_preferred": "email"}),
        ("text me at 555-0142", {"contact_preferred": "sms"}),  # no area code: not a number, nor a time
        ("call me, after 6", {"contact_preferred": "phone", "contact_times": "call me, after 6"}),
    ],
)
def test_a_number_or_a_time_said_with_the_choice_is_kept_and_not_asked_again(text, expected):
    events, said = run_form(
        tracker(
            text, "request_human", slots={"requested_slot": "contact_preferred"}, extracted={"contact_preferred": text}
        )
    )
    found = slots_set(events)
    assert {k: found.get(k) for k in expected} == expected, said
    assert not ({"contact_phone", "contact_times"} - set(expected)) & {k for k, v in found.items() if v}, found


@pytest.mark.parametrize(
    ("slots", "asked"),
    [
        ({"contact_preferred": "sms"}, ["contact_phone", "contact_times"]),
        ({"contact_preferred": "phone"}, ["contact_phone", "contact_times"]),
        # the number and when to call only if no address
        ({"contact_preferred": "email"}, ["contact_email", "contact_phone", "contact_times"]),
        ({"contact_preferred": "email", "contact_email": "a@example.org"}, ["contact_email"]),
        ({"contact_preferred": "email", "contact_email": "-"}, ["contact_email", "contact_phone", "contact_times"]),
        ({"contact_preferred": "none"}, []),
        ({"contact_preferred": "-"}, ["contact_email", "contact_phone"]),
    ],
)
def test_only_the_address_for_the_chosen_way_is_asked(slots, asked):
    t = tracker("", "", slots={"anonymous": False, "contact_name": "Ana", **slots})
    required = asyncio.run(ValidateComplaintForm().required_slots([], CollectingDispatcher(), t, DOMAIN))
    assert [s for s in required if s in ("contact_email", "contact_phone", "contact_times")] == asked
    assert required.index("contact_preferred") < required.index("contact_name") + 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("maria.lopez@example.com", "maria.lopez@example.com"),
        ("my email is ana@example.org", "ana@example.org"),
        ("I don't use email", "-"),
        ("no tengo correo", "-"),
        ("ana@bücher.example", "ana@bücher.example"),
        # NOTE: addresses the queue refuses to file (intake.inputs.email_address) are asked for again here,
        # never taken and then refused with the whole report at the end.
        ("añá@correo.example", None),
        ("mi correo es an\x01a@correo.example", None),
        ("ana@under_score.example", None),
    ],
)
def test_an_email_answer_alone_or_in_a_sentence(text, expected):
    events, said = run_form(
        tracker(
            text, "cancel", confidence=0.9, slots={"requested_slot": "contact_email"}, extracted={"contact_email": text}
        )
    )
    assert slots_set(events)["contact_email"] == expected, said
    assert not slots_set(events).get("cancel_pending")


def test_yes_this_number_confirms_the_number_they_write_from():
    events, said = run_form(
        tracker(
            "yes, this number",
            "affirm",
            confidence=0.4,
            slots={"requested_slot": "contact_phone"},
            metadata={"phone": "sealed:abc", "channel": "sms"},
            extracted={"contact_phone": "yes, this number"},
        )
    )
    assert slots_set(events)["contact_phone"] == "sealed:abc", said


def test_a_question_about_the_service_mid_form_is_answered_and_the_question_asked_again():
    events, said = run_form(
        tracker(
            "is this the police?",
            "help",
            confidence=0.8,
            slots={
                "requested_slot": "injuries",
                "narrative": "he pushed me",
                "narrative_more": "done",
                "incident_time": "yesterday",
                "location": "Main St",
                "officers": "-",
            },
            extracted={"injuries": "is this the police?"},
        )
    )
    assert any("not the police" in s for s in said), said
    assert slots_set(events).get("injuries") is None and slots_set(events).get("requested_slot") == "injuries"


def test_a_status_check_takes_number_and_pin_from_one_message_in_any_order():
    dispatcher = CollectingDispatcher()
    t = tracker("PIN ១២៣៤៥៦ status 482-193-7703", "check_status", slots={"requested_slot": None}, form="status_form")
    events = asyncio.run(ValidateStatusForm().run(dispatcher, t, DOMAIN))
    slots = slots_set(events)
    assert slots["tracking_number"] == "4821937703" and slots["pin"] == "123456"


def test_a_voice_caller_id_never_stands_in_for_the_pin():
    t = tracker(
        "",
        "check_status",
        slots={"tracking_number": "4821937703"},
        metadata={"phone": "sealed:x", "channel": "voice"},
        form="status_form",
    )
    slots = asyncio.run(ValidateStatusForm().required_slots([], CollectingDispatcher(), t, DOMAIN))
    assert "pin" in slots
    t = tracker(
        "",
        "add_information",
        slots={"tracking_number": "4821937703"},
        metadata={"phone": "sealed:x", "channel": "sms"},
        form="information_form",
    )
    slots = asyncio.run(ValidateInformationForm().required_slots([], CollectingDispatcher(), t, DOMAIN))
    assert "pin" in slots


@pytest.mark.parametrize(
    ("language", "text", "done"),
    [
        ("pa", "ਬੱਸ ਜੀ ਇੰਨਾ ਹੀ", True),
        ("en", "that's all thanks", True),
        ("es", "ya no hay mas gracias", True),
        ("es", "ya me habia pegado antes en la misma calle", False),
        ("vi", "xong roi nhe", True),
    ],
)
def test_the_residents_own_words_for_done_end_the_story(language, text, done):
    events, _ = run_form(
        tracker(
            text,
            "deny",
            confidence=0.3,
            slots={"language": language, "requested_slot": "narrative_more", "narrative": "he pushed me"},
            extracted={"narrative_more": text},
        )
    )
    assert (slots_set(events).get("narrative_more") == "done") is done


@pytest.mark.parametrize("language", ["es", "tl", "vi", "zh", "km", "hmn", "lo", "pa"])
def test_the_localized_skip_word_is_never_read_as_cancel(language):
    skip = sorted(i18n.keyword_set(language, "keywords", "skip|pass|none|don't know|i don't know|idk"))[0]
    events, _ = run_form(
        tracker(
            skip,
            "cancel",
            confidence=0.95,
            slots={
                "language": language,
                "requested_slot": "location",
                "narrative": "x",
                "narrative_more": "done",
                "incident_time": "-",
            },
            extracted={"location": skip},
        )
    )
    assert not slots_set(events).get("cancel_pending")
    assert slots_set(events).get("location") == "-"


def test_a_name_the_classifier_half_reads_as_cancel_is_the_name():
    events, _ = run_form(
        tracker(
            "Rodel Dela Cruz",
            "cancel",
            confidence=0.7,
            slots={"requested_slot": "contact_name", "anonymous": False},
            extracted={"contact_name": "Rodel Dela Cruz"},
        )
    )
    assert slots_set(events).get("contact_name") == "Rodel Dela Cruz"
    assert not slots_set(events).get("cancel_pending")


def test_a_first_message_story_the_nlu_read_as_a_status_check_is_taken_as_the_story():
    story = (
        "my son is 16, two officers stopped him walking home from school on Tuesday, searched his bag and "
        "took his picture, said he was in a gang. he did nothing and now he is afraid to walk home"
    )
    t = tracker(story, "check_status", confidence=0.5, slots={"requested_slot": None}, form="status_form")
    t.events.append({"event": "user", "text": story})
    events = asyncio.run(ValidateStatusForm().run(CollectingDispatcher(), t, DOMAIN))
    assert any(e["event"] == "followup" and e["name"] == "complaint_form" for e in events)
    assert any(e["event"] == "active_loop" and e["name"] is None for e in events)


@pytest.mark.parametrize(
    ("preferred", "asked"), [("email", False), ("-", False), ("none", False), ("phone", True), ("sms", True)]
)
def test_safe_times_are_asked_only_for_calls_and_texts(preferred, asked):
    given = {"contact_email": "a@example.org"} if preferred == "email" else {}
    t = tracker("", "", slots={"anonymous": False, "contact_preferred": preferred, **given})
    slots = asyncio.run(ValidateComplaintForm().required_slots([], CollectingDispatcher(), t, DOMAIN))
    assert ("contact_times" in slots) is asked


@pytest.mark.parametrize(("language", "text"), [("km", "ទេ"), ("vi", "không"), ("en", "no")])
def test_a_bare_no_to_anything_more_ends_the_story_and_is_no_question(language, text):
    events, said = run_form(
        tracker(
            text,
            "deny",
            confidence=0.9,
            slots={"language": language, "requested_slot": "narrative_more", "narrative": "he pushed me"},
            extracted={"narrative_more": text},
        )
    )
    assert slots_set(events).get("narrative_more") == "done", said


@pytest.mark.parametrize(
    ("language", "text"),
    [("en", "I don't want anyone to call or text me"), ("zh", "不要打电话也不要发短信给我"), ("pa", "ਨਾ ਫੋਨ ਨਾ ਮੈਸੇਜ")],
)
def test_refusing_every_channel_is_no_contact(language, text):
    assert i18n.contact_choice(language, text) == "none"
    assert i18n.contact_choice("en", "no, call me") == "phone"
    assert i18n.contact_choice("en", "can someone call me? I don't text much") == "phone"


@pytest.mark.parametrize(("language", "text", "name"), [("es", "me llamo Rosa Díaz", "Rosa Díaz"), ("en", "SKIP", "-")])
def test_the_name_answer_keeps_the_name_only(language, text, name):
    events, said = run_form(
        tracker(
            text,
            "out_of_scope",
            slots={"language": language, "requested_slot": "contact_name", "anonymous": False},
            extracted={"contact_name": text},
        )
    )
    assert slots_set(events)["contact_name"] == name, said


def test_words_about_a_report_start_the_status_check_but_never_replace_help_or_a_person():
    lost = tracker("I lost my tracking number, how do I check?", "out_of_scope", form=None)
    events = opening.ActionOutOfScope().run(CollectingDispatcher(), lost, {})
    assert any(e["event"] == "followup" and e["name"] == "status_form" for e in events)
    person = tracker("can I talk to a person about my case", "request_human", form=None)
    dispatcher = CollectingDispatcher()
    events = opening.ActionRequestHuman().run(dispatcher, person, {})
    assert not any(e["event"] == "followup" for e in events) and _said(dispatcher)
    papers = tracker("do you ask about immigration status?", "out_of_scope", form=None)
    events = opening.ActionOutOfScope().run(CollectingDispatcher(), papers, {})
    assert not any(e["event"] == "followup" for e in events)
