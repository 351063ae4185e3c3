"""Catalog look-ups, keywords and locale formatting for the bot's nine languages."""

from __future__ import annotations

import datetime as dt
import functools
import gettext
import re
import unicodedata
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from babel.dates import format_date, format_time

from bot.actions.spoken import for_channel
from nlu.languages import BABEL_LOCALES as REGISTRY_LOCALES
from nlu.languages import CODES, NATIVE_NAMES

LOCALES_DIR = Path(__file__).resolve().parents[2] / "locales"
DOMAIN = "bot"
LANGUAGES = CODES
DEFAULT_LANGUAGE = "en"

# The nine languages written in their own scripts, for the language menu.
LANGUAGE_NAMES = NATIVE_NAMES
# Babel's locale for each language; CLDR has no Hmong, handled by hand below.
BABEL_LOCALES = REGISTRY_LOCALES


# Chinese is one language written two ways; a resident who writes Traditional characters
# is answered from locales/zh_Hant. NOTE: common.resolve_language sets this at the start of
# every action (it is how each action learns its language), so it never outlives the turn.
_chinese_script: ContextVar[str | None] = ContextVar("chinese_script", default=None)


def use_chinese_script(script: str | None) -> None:
    """Answer Chinese in Traditional ("Hant") or Simplified (anything else) for this action."""
    _chinese_script.set(script)


# The conversation's channel (message metadata "channel"): a call hears its own wording of a text
# (bot/actions/spoken.py). NOTE: common.resolve_language sets it at the start of every action.
_channel: ContextVar[str | None] = ContextVar("channel", default=None)


def use_channel(channel: str | None) -> None:
    """Word this action's texts for ``channel`` ("voice", "tty"; anything else: as written)."""
    _channel.set(channel)


def chinese_script_in_use() -> str | None:
    """The Chinese script this action answers in ("Hant"), if one was set."""
    return _chinese_script.get()


def current_channel() -> str | None:
    return _channel.get()


def _catalog(language: str | None) -> str:
    language = language or DEFAULT_LANGUAGE
    return "zh_Hant" if language == "zh" and _chinese_script.get() == "Hant" else language


@functools.cache
def _translations(language: str) -> gettext.NullTranslations:
    return gettext.translation(DOMAIN, localedir=str(LOCALES_DIR), languages=[language], fallback=True)


def t(language: str | None, message: str, **values: Any) -> str:
    """Return ``message`` in ``language``, worded for the conversation's channel, with its placeholders filled."""
    text = _translations(_catalog(language)).gettext(for_channel(_channel.get(), message))
    return text.format(**values) if values else text


def keyword_set(language: str | None, context: str, english: str) -> set[str]:
    """Return the words that mean ``context`` in the language, and always the English ones too."""
    localized = _translations(_catalog(language)).pgettext(context, english)
    words = {fold(w) for w in (english + "|" + localized).split("|")}
    return {w for w in words if w}


def first_keyword(language: str | None, context: str, english: str) -> str:
    """Return the language's own first word for ``context`` (the one a resident is told), folded."""
    localized = _translations(_catalog(language)).pgettext(context, english)
    return fold((localized or english).split("|")[0])


def fold(text: str) -> str:
    """Lower-case, strip accents and punctuation, so "Sí!" matches "si"."""
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    # NOTE: drop combining marks only for Latin letters; Khmer, Lao and Gurmukhi need theirs.
    kept = [c for c in decomposed if not (unicodedata.combining(c) and ord(c) < 0x0370)]
    cleaned = re.sub(r"[\s.!?¡¿,;:。！？、~…។៕।॥\"“”‘’«»「」『』()]+", " ", unicodedata.normalize("NFC", "".join(kept)))
    return cleaned.strip()


def matches(language: str | None, text: str, context: str, english: str) -> bool:
    """Tell whether the whole of ``text`` is one of the keywords."""
    return fold(text) in keyword_set(language, context, english)


def yes_words(language: str | None) -> set[str]:
    return keyword_set(language, "keywords", "yes|y|yeah|yep|ya|ok|okay|sure|correct|right")


def no_words(language: str | None) -> set[str]:
    return keyword_set(language, "keywords", "no|n|nah|nope|not")


def is_done(language: str | None, text: str) -> bool:
    return matches(language, text, "keywords", "done|finished|that's all|that is all|nothing else|no more")


def ends_story(language: str | None, text: str) -> bool:
    """Tell whether a short reply says the story is told ("ਬੱਸ ਜੀ, ਇੰਨਾ ਹੀ ਸੀ", "that's all thanks").

    A done word must open it and at most two more words (a few letters in unspaced scripts) follow,
    so a story line that merely starts with "ya" or "xong" is still part of the story.
    """
    if is_done(language, text):
        return True
    folded = fold(text)
    if any(c.isdigit() for c in folded):
        return False
    done = keyword_set(language, "keywords", "done|finished|that's all|that is all|nothing else|no more")
    for word in sorted(done, key=len, reverse=True):
        if _starts_with(folded, word):
            rest = folded[len(word) :].strip()
            return len(rest) <= 6 if _unspaced(word) else len(rest.split()) <= 2
    return False


def is_skip(language: str | None, text: str) -> bool:
    return matches(language, text, "keywords", "skip|pass|none|don't know|i don't know|idk")


def _unspaced(word: str) -> bool:
    """Tell whether a word is written in a script without spaces between words (Han, Khmer, Lao)."""
    first = word[:1]
    return bool(first) and (
        "\u3400" <= first <= "\u9fff" or "\u1780" <= first <= "\u17ff" or "\u0e80" <= first <= "\u0eff"
    )


def _starts_with(folded: str, word: str) -> bool:
    if _unspaced(word):
        return folded.startswith(word)
    return folded == word or folded.startswith(word + " ")


def _contains(folded: str, word: str) -> int:
    """Return where ``word`` first occurs in ``folded`` as a whole word (any place in unspaced scripts), or -1."""
    if _unspaced(word):
        return folded.find(word)
    # NOTE: an ASCII word is a word next to any non-ASCII letter too ("用email联系", "text我").
    edge = r"[a-z0-9]" if word.isascii() else r"\w"
    found = re.search(rf"(?<!{edge}){re.escape(word)}(?!{edge})", folded)
    return found.start() if found else -1


def yes_start_words(language: str | None) -> set[str]:
    return keyword_set(
        language,
        "answer-start",
        "yes|yeah|yep|yup|ya|ok|okay|sure|correct|right|of course|please|go ahead|that's right|absolutely|exactly",
    )


def no_start_words(language: str | None) -> set[str]:
    return keyword_set(
        language, "answer-start", "no|nope|nah|not|don't|do not|never|not yet|no thanks|i don't|i do not|i didn't"
    )


def leading_answer(language: str | None, text: str) -> bool | None:
    """Read the yes or no a reply starts with ("sí, que sea anónimo", "no, call me"), else None.

    The longest word that opens the reply wins, so a "no" spelled with a "yes" inside it
    (Punjabi "ਜੀ ਨਹੀਂ", Cantonese "冇錯" the other way round) is read whole.
    """
    folded = fold(text)
    words = [(w, True) for w in yes_start_words(language)] + [(w, False) for w in no_start_words(language)]
    for word, meaning in sorted(words, key=lambda pair: -len(pair[0])):
        if _starts_with(folded, word):
            return meaning
    if language == "vi" and _vietnamese_dont(text):
        return False
    if language == "pa" and _punjabi_negated(text):
        return False
    return None


# Words that may follow đúng ("right") in a yes: "dung roi", "dung vay", "dung a".
_VI_RIGHT_AFTER = {"roi", "r", "vay", "v", "the", "a", "day", "oi", "nhe", "ma", "chu", "luon", "la", "y", "ha"}
# Punjabi's words of negation, in Gurmukhi and romanized.
_PA_NEGATIONS = {"ਨਹੀਂ", "ਨਹੀ", "ਨਾ", "ਨਾਂ", "nahi", "nahin", "nhi", "nai", "na"}


def _vietnamese_dont(text: str) -> bool:
    """Tell an opening đừng ("don't", then a verb) from đúng ("right"), with or without diacritics.

    NOTE: typed without diacritics both are "dung"; đúng opens a yes alone or with a word like
    "rồi" or "vậy", đừng opens a refusal with the verb it forbids ("dung goi", "dung gui nua").
    """
    lowered = unicodedata.normalize("NFC", text.strip().lower())
    if lowered.startswith("đừng"):
        return True
    if lowered.startswith("đúng"):
        return False
    words = fold(text).split()
    return len(words) >= 2 and words[0] == "dung" and words[1] not in _VI_RIGHT_AFTER


def _punjabi_negated(text: str) -> bool:
    """Tell whether the first clause of a Punjabi reply is negated ("ਮੈਂ ਉਹਨੂੰ ਨਹੀਂ ਜਾਣਦਾ").

    NOTE: Punjabi puts its no before the verb at the end of the clause, not first; a ਨਾ at the very
    end is a tag ("ਭੇਜ ਦਿਓ ਨਾ", "send it, won't you"), not a refusal.
    """
    clause = re.split(r"[,.;!?।|]", text.strip(), maxsplit=1)[0]
    words = fold(clause).split()
    return any(word in _PA_NEGATIONS for word in words[:-1])


def says_no(language: str | None, text: str) -> bool:
    """Tell whether a reply has a word of refusal anywhere ("I don't use email", "no tengo correo")."""
    folded = fold(text)
    return any(_contains(folded, word) >= 0 for word in no_start_words(language))


def contact_choice(language: str | None, text: str) -> str | None:
    """Read how the resident wants to be reached from their own words: sms, phone, email or none."""
    folded = fold(text)
    none = keyword_set(
        language,
        "contact-choice",
        "don't contact me|do not contact me|no contact|don't contact|nobody|no one|none|neither|no need|rather not|"
        "didn't reach out|don't reach out",
    )
    if any(_contains(folded, word) >= 0 for word in none):
        return "none"
    choices = {
        "sms": keyword_set(
            language, "contact-choice", "text|texts|text message|texting|txt|sms|message|messages|write"
        ),
        "phone": keyword_set(language, "contact-choice", "call|call me|phone|phone call|ring|calls"),
        "email": keyword_set(language, "contact-choice", "email|e-mail|mail|gmail"),
    }
    best: tuple[int, str] | None = None
    named = set()
    for choice, words in choices.items():
        for word in words:
            at = _contains(folded, word)
            if at >= 0:
                named.add(choice)
                if best is None or at < best[0]:
                    best = (at, choice)
    if best is not None and len(named) >= 2:
        negations = [
            at
            for word in no_start_words(language)
            if (at := _contains(folded, word)) >= 0
            # NOTE: not the "not" of a Chinese A-not-A question (可唔可以, 是不是): that asks, it does not refuse.
            and not (0 < at < len(folded) - 1 and folded[at - 1] == folded[at + 1])
        ]
        if negations and min(negations) < best[0]:
            return "none"  # "I don't want anyone to call or text me", "ਨਾ ਫੋਨ ਨਾ ਮੈਸੇਜ"
    if best is not None and len(named) == 1 and _refuses(language, text, choices[best[1]]):
        return "none"  # "please don't call me", "唔好打電話俾我": the one way named is refused
    return best[1] if best else None


def _refuses(language: str | None, text: str, words: set[str]) -> bool:
    """Tell whether the clause naming a way of contact negates it ("I don't want a call").

    Only the clause that names it counts, so "no, call me" asks for a call.
    """
    for clause in re.split(r"[,;.!?，。；！？،।]", text):
        folded = fold(clause)
        at = min((found for word in words if (found := _contains(folded, word)) >= 0), default=-1)
        if at < 0:
            continue
        if language == "pa" and _punjabi_negated(clause):
            return True
        return any(_contains(folded[:at], word) >= 0 for word in no_start_words(language))
    return False


def is_language_command(text: str) -> bool:
    """Tell whether ``text`` asks for the language menu, in any of the nine languages."""
    return any(matches(language, text, "keywords", "language|languages|lang") for language in LANGUAGES)


def format_day(language: str | None, value: dt.datetime) -> str:
    """Format a date (and the time when one was given) the way the language writes it."""
    language = language or DEFAULT_LANGUAGE
    has_time = (value.hour, value.minute) != (0, 0)
    if language == "hmn":
        text = f"hnub tim {value.day} lub {value.month} hli ntuj, xyoo {value.year}"
        return f"{text}, {value:%H:%M}" if has_time else text
    locale = BABEL_LOCALES.get(_catalog(language), "en_US")
    text = format_date(value, format="full", locale=locale)
    return f"{text}, {format_time(value, format='short', locale=locale)}" if has_time else text
