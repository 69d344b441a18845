"""Offline enrichment of a post: language, sentiment, intent, personal data and priority.

Rules only, standard library only, a few milliseconds a post. An LLM may later improve on it;
this is the floor that always works.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bot.enrich.intent import detect_intent
from bot.enrich.language import detect_language
from bot.enrich.pii import PiiMatch, find_pii
from bot.enrich.priority import detect_priority
from bot.enrich.sentiment import detect_sentiment

__all__ = ["Enrichment", "PiiMatch", "enrich"]

# Zero-width and bidirectional control characters: invisible, and they split or disguise words.
_INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


@dataclass(frozen=True)
class Enrichment:
    language: str  # ISO 639-1, "und" when unknown
    sentiment: str  # positive | neutral | negative
    intent: str  # question | complaint | bug_report | praise | sales_lead | spam | other
    priority: str  # urgent | high | normal | low
    pii: tuple[PiiMatch, ...]


def enrich(text: str, *, followers: int | None = None) -> Enrichment:
    """Everything the desk needs to know about a post before a human reads it.

    `followers` may nudge the priority of a post that already shows a problem; it never decides alone.
    """
    readable = unicodedata.normalize("NFKC", _INVISIBLE.sub("", text))
    language = detect_language(readable)
    tone = detect_sentiment(readable, language)
    intent = detect_intent(readable, tone)
    sentiment = _settled(tone, intent)
    return Enrichment(
        language=language,
        sentiment=sentiment,
        intent=intent,
        priority=detect_priority(readable, tone, intent, followers),  # how strongly it is said, not the label
        pii=find_pii(text),  # on the original text: matches are verbatim substrings with their offsets
    )


def _settled(sentiment: str, intent: str) -> str:
    """The customer's feeling once we know what the post is.

    Spam's enthusiasm is nobody's feeling about the brand. A complaint or a bug report tells of a
    problem, so it is negative even when no word of it is ("my parcel came without the charger"); a
    thank-you is positive even when its words are plain ("parcel came, thank you").
    """
    if intent == "spam":
        return "neutral"
    if sentiment == "neutral" and intent in ("complaint", "bug_report"):
        return "negative"
    if sentiment == "neutral" and intent == "praise":
        return "positive"
    return sentiment
