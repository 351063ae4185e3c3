"""The one language registry (nlu.languages) is what every part of Heard reads."""

from pathlib import Path

from intake.enums import Language
from nlu import detect, languages

ROOT = Path(__file__).resolve().parent.parent


def test_the_queue_files_exactly_the_registrys_languages():
    assert Language.values() == list(languages.CODES)


def test_every_registered_language_has_its_catalogs_and_its_nlu_data():
    for code in languages.CODES:
        for domain in ("bot", "messages", "web"):
            assert (ROOT / "locales" / code / "LC_MESSAGES" / f"{domain}.po").is_file(), (code, domain)
        assert (ROOT / "nlu" / f"{code}.yml").is_file(), code


def test_bot_channels_web_and_detection_read_the_registry():
    from bot.actions import i18n as bot_i18n
    from webhooks import i18n as channel_i18n
    from webhooks import webtext
    from webhooks.twilio import voice

    assert bot_i18n.LANGUAGES == channel_i18n.LANGUAGES == webtext.LANGUAGES == detect.LANGUAGES == languages.CODES
    assert voice.MENU_ORDER == languages.CODES
    assert bot_i18n.LANGUAGE_NAMES == webtext.LANGUAGE_NAMES == languages.NATIVE_NAMES
    assert set(detect.LATIN_LANGUAGES) == {"en", "es", "tl", "vi", "hmn"}
    assert {code for code, v in voice.VOICES.items() if v.say_language is None} == {"km", "hmn", "lo"}
