"""Offline enrichment of a post: language, sentiment, intent, personal data and priority."""
from __future__ import annotations

from dataclasses import dataclass

from bot.enrich.intent import detect_intent
from bot.enrich.language import detect_language
from bot.enrich.pii import PiiMatch, find_pii
from bot.enrich.priority import detect_priority
from bot.enrich.sentiment import detect_sentiment

__all__ = ["Enrichment", "PiiMatch", "enrich"]


@dataclass(frozen=True)
class Enrichment:
    language: str  # ISO 639-1, "und" when unknown
    sentiment: str  # positive | neutral | negative
    intent: str  # question | complaint | bug_report | praise | sales_lead | spam | other
    priority: str  # urgent | high | normal | low
    pii: tuple[PiiMatch, ...]


def enrich(text: str, *, followers: int | None = None) -> Enrichment:
    sentiment = detect_sentiment(text)
    intent = detect_intent(text)
    if intent == "praise" and sentiment == "negative":
        intent = "complaint"  # "thanks for nothing"
    return Enrichment(
        language=detect_language(text),
        sentiment=sentiment,
        intent=intent,
        priority=detect_priority(text, sentiment, intent, followers),
        pii=find_pii(text),
    )
