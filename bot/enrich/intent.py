"""Keyword rules for what the customer wants. The first matching rule in priority order wins."""
from __future__ import annotations

import re

RULES: list[tuple[str, re.Pattern]] = [
    ("spam", re.compile(r"\b(crypto|giveaway|free followers|dm me for|click here|promo code|earn \$|forex|onlyfans)\b"
                        r"|bit\.ly|t\.me/", re.I)),
    ("bug_report", re.compile(
        r"\b(bug|crash(es|ed|ing)?|error|glitch|broken|doesn'?t work|not working|won'?t (load|open)|freez(es|ing)|"
        r"can'?t (log ?in|login|sign in)|stuck on|500|404|fehler|absturz|plante|erreur|falla|se cierra|trava)\b", re.I)),
    ("complaint", re.compile(
        r"\b(never arrived|still waiting|refund|charged|overcharged|late|missing|damaged|terrible|awful|worst|"
        r"ridiculous|unacceptable|disappointed|scam|cancel|no response|ignored|rude|hate|"
        r"reclamación|reembolso|nunca llegó|llegó roto|nadie (me )?responde|roto|rota|cassé|remboursement|"
        r"jamais reçu|erstattung|nie angekommen|não chegou)\b",
        re.I)),
    ("sales_lead", re.compile(
        r"\b(pricing|price|quote|enterprise|demo|bulk|wholesale|for my team|for our company|business plan|"
        r"how much|licen[cs]e|partnership|resell)\b", re.I)),
    ("question", re.compile(
        r"[?？]|\b(how (do|can|to)|does|do you|can i|is there|where|when will|what is|any(one)? know|"
        r"cómo|dónde|cuándo|comment|où|quand|wie|wo|wann|como|onde|quando)\b", re.I)),
    ("praise", re.compile(
        r"\b(love|thanks|thank you|awesome|amazing|great job|well done|kudos|you rock|best|fantastic|"
        r"gracias|merci|danke|obrigad[oa]|grazie)\b|[🙌❤️👏🎉😍🥰]", re.I)),
]


def detect_intent(text: str) -> str:
    sample = text[:5000]
    for intent, pattern in RULES:
        if pattern.search(sample):
            return intent
    return "other"
