"""Whole conversations by text message, three personas per language, every word from tests/corpora.

Each persona texts its story as its first message (signed Twilio webhooks, the real Rasa model,
the action server, the queue), answers whatever the bot asks (tests/bot/resident.py), files, and
then checks its status with a natural opener, its tracking number and its PIN. The test fails on a
refused answer, a reply not in the resident's language, a report not filed, or a failed status check.
"""

from __future__ import annotations

import pytest

from tests.bot.conftest import make_twilio_app
from tests.bot.resident import LANGUAGES, PERSONAS, Resident
from tests.bot.test_twilio_conversations import _bodies
from tests.twilio_fake import post_signed, sms_form

pytestmark = pytest.mark.slow

# NOTE: known failures, by (language, persona) with the reason; strict, so a fix must remove its line.
KNOWN: dict[tuple[str, int], str] = {}


@pytest.fixture(scope="module")
def twilio_app(bot_stack, keyring, tmp_path_factory):  # type: ignore[no-untyped-def]
    from tests.twilio_fake import FakeTwilio

    fake = FakeTwilio().start()
    yield make_twilio_app(bot_stack, keyring, fake, tmp_path_factory.mktemp("personas"))
    fake.stop()


def _cases() -> list:  # type: ignore[type-arg]
    cases = []
    for number, (lang, persona) in enumerate((lang, p) for lang in LANGUAGES for p in range(PERSONAS)):
        marks = [pytest.mark.xfail(reason=KNOWN[(lang, persona)], strict=True)] if (lang, persona) in KNOWN else []
        cases.append(pytest.param(lang, persona, f"+1209555{3000 + number:04d}", marks=marks, id=f"{lang}-{persona}"))
    return cases


@pytest.mark.parametrize(("lang", "persona", "phone"), _cases())
def test_a_persona_files_and_checks_its_status_by_text(twilio_app, lang, persona, phone):  # type: ignore[no-untyped-def]
    client = twilio_app.test_client()

    def send(body: str) -> list[str]:
        response = post_signed(client, "/twilio/sms", sms_form(body, sender=phone))
        assert response.status_code == 200, response.data
        return _bodies(response.data)

    outcome = Resident(lang, persona, send).run()
    story = "\n".join(f"> {sent}\n< " + "\n< ".join(got) for sent, got in outcome.transcript)
    assert outcome.texts_to_filed, f"not filed:\n{story}"
    assert not outcome.refusals, f"refused: {outcome.refusals}\n{story}"
    assert not outcome.not_in_language, f"not in {lang}: {outcome.not_in_language}\n{story}"
    assert outcome.status_ok, f"status check failed:\n{story}"
