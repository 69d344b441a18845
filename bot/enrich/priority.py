"""Priority from what the customer says. Followers may nudge it one step, never decide it alone."""
from __future__ import annotations

import re

URGENT = re.compile(
    r"\b(urgent|asap|emergency|immediately|charged twice|double charged|hacked|fraud|stolen|outage|"
    r"(site|app|service) (is )?down|can'?t (log ?in|login|access)|locked out|data (breach|leak)|safety|dangerous|"
    r"lawyer|legal action|urgente|dringend|urgence)\b", re.I)
ORDER = ["low", "normal", "high", "urgent"]
BIG_AUDIENCE = 50_000


def detect_priority(text: str, sentiment: str, intent: str, followers: int | None = None) -> str:
    if intent == "spam":
        return "low"
    if URGENT.search(text[:5000]):
        return "urgent"
    if intent in ("complaint", "bug_report") and sentiment == "negative":
        level = "high"
    elif intent in ("complaint", "bug_report", "question", "sales_lead"):
        level = "normal"
    else:
        level = "low"
    if followers and followers >= BIG_AUDIENCE and level in ("normal", "high"):
        level = ORDER[min(ORDER.index(level) + 1, ORDER.index("high"))]
    return level
