"""The one language registry: every language Heard speaks, and what each part of Heard needs to know about it.

The bot, the channels, the web pages and language detection all read this table; adding a
language starts here (then its catalogs in locales/, its NLU data in nlu/, and
``intake.enums.Language``, which a test keeps equal to this table).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TwilioVoice:
    """How Twilio speaks and hears a language: TTS language and voice, speech-recognition code (None: it cannot)."""

    say_language: str | None
    voice: str | None
    speech_language: str | None


@dataclass(frozen=True)
class Language:
    """One language Heard speaks."""

    code: str  # the catalog's and the queue's code
    native_name: str  # in its own script, for the pickers and the dialogue's menu
    english_name: str  # for staff, and where Twilio can say only English
    babel_locale: str  # Babel's (CLDR's) locale for dates and numbers; CLDR has no Hmong
    latin_script: bool  # written in Latin letters: told apart by words, not by script
    twilio: TwilioVoice


# NOTE: Twilio's voices and recognisers change; check them against Twilio's current lists before
# going live. Khmer, Lao and Hmong have no Twilio voice today, so their callers record their
# report whole, and an interpreter calls them back.
REGISTRY: tuple[Language, ...] = (
    Language("en", "English", "English", "en_US", True, TwilioVoice("en-US", "Google.en-US-Standard-C", "en-US")),
    Language("es", "Español", "Spanish", "es_US", True, TwilioVoice("es-US", "Google.es-US-Standard-A", "es-US")),
    Language("tl", "Tagalog", "Tagalog", "fil", True, TwilioVoice("fil-PH", "Google.fil-PH-Standard-A", "fil-PH")),
    Language("vi", "Tiếng Việt", "Vietnamese", "vi", True, TwilioVoice("vi-VN", "Google.vi-VN-Standard-A", "vi-VN")),
    Language(
        "zh", "中文", "Chinese", "zh_Hans", False, TwilioVoice("cmn-CN", "Google.cmn-CN-Standard-A", "cmn-Hans-CN")
    ),
    Language("km", "ភាសាខ្មែរ", "Khmer", "km", False, TwilioVoice(None, None, "km-KH")),
    Language("hmn", "Hmoob", "Hmong", "en_US", True, TwilioVoice(None, None, None)),
    Language("lo", "ພາສາລາວ", "Lao", "lo", False, TwilioVoice(None, None, "lo-LA")),
    Language("pa", "ਪੰਜਾਬੀ", "Punjabi", "pa", False, TwilioVoice("pa-IN", "Google.pa-IN-Standard-A", "pa-Guru-IN")),
)
BY_CODE = {language.code: language for language in REGISTRY}
# Every code, in the order menus list them.
CODES: tuple[str, ...] = tuple(language.code for language in REGISTRY)
LATIN_CODES: tuple[str, ...] = tuple(language.code for language in REGISTRY if language.latin_script)
NATIVE_NAMES: dict[str, str] = {language.code: language.native_name for language in REGISTRY}
ENGLISH_NAMES: dict[str, str] = {language.code: language.english_name for language in REGISTRY}
# Chinese is one language written two ways: Traditional has its own catalog (zh_Hant) and locale.
BABEL_LOCALES: dict[str, str] = {
    **{language.code: language.babel_locale for language in REGISTRY if language.code != "hmn"},
    "zh_Hant": "zh_Hant",
}
