"""How soon a post needs a human: urgent, high, normal or low.

What the customer says decides it. Spam is low. Explicit urgency (money taken twice, locked out,
an outage, a safety risk) is urgent. An angry complaint or bug report is high. Questions, leads
and calm complaints are normal; praise and chatter are low.

Followers may nudge a post that already shows a problem one step, from normal to high. They never
make a post urgent, and never lift a question, a thank-you or chatter on their own: reach must not
decide who gets help.
"""
from __future__ import annotations

import re

INFLUENTIAL = 10_000  # followers from which a problem is seen by enough people to answer it sooner
SAMPLE = 5000  # characters read

URGENT = re.compile(
    r"\b(?:urgent(?:ly)?|asap|emergency|immediately|charged (?:me )?(?:twice|two times|three times|double)|"
    r"double[- ]charged|hacked|fraud(?:ulent)?|stolen|unauthori[sz]ed|outage|(?:site|app|website|service|"
    r"platform|server|checkout|payments?|api|everything) (?:is |are |seems |went )?(?:down|offline)|"
    r"down for (?:me|everyone|everybody|anyone)|(?:is|are) (?:it|the \w+|\w+) (?:down|offline)\b|can'?t (?:log ?in|login|sign ?in|access|pay)|cannot (?:log ?in|login|sign ?in|access|pay)|"
    r"unable to (?:log ?in|login|sign ?in|access|pay)|locked out|data (?:breach|leak)|leaked|security (?:issue|hole)|"
    r"safety|dangerous|fire|smoke|burn(?:ed|t|ing)?|injur\w*|electric shock|allergic|"
    r"lawyer|legal action|sue you|chargeback|"
    r"urgente|urgencia|urgence|dringend|sofort|no puedo (?:entrar|iniciar sesión)|"
    r"je n'arrive pas à me connecter|(?:kann|können) (?:ich |wir )?(?:mich |uns )?nicht (?:mehr )?"
    r"(?:einloggen|anmelden)|(?:einloggen|anmelden|login) (?:geht|funktioniert) nicht|"
    r"não consigo (?:entrar|logar|acessar)|non riesco ad accedere|kan niet inloggen|cobrado dos veces|"
    r"cobraron dos veces|débité deux fois|doppelt abgebucht|cobrado duas vezes|acil)\b"
    r"|至急|緊急|ログインできません|紧急|无法登录|登不上|긴급|로그인이 안|срочно",
    re.IGNORECASE)
NOT_URGENT = re.compile(r"\b(?:not urgent|no rush|no hurry|whenever you (?:can|get a chance)|not a big deal)\b",
                        re.IGNORECASE)


def detect_priority(text: str, sentiment: str, intent: str, followers: int | None = None) -> str:
    """urgent, high, normal or low."""
    if intent == "spam":
        return "low"
    sample = text[:SAMPLE]
    if URGENT.search(sample) and not NOT_URGENT.search(sample) and intent != "praise":
        return "urgent"
    problem = intent in ("complaint", "bug_report") or intent == "question" and sentiment == "negative"
    if intent in ("complaint", "bug_report") and sentiment == "negative":
        return "high"
    if problem and (followers or 0) >= INFLUENTIAL:
        return "high"
    if problem or intent in ("question", "sales_lead") or sentiment == "negative":
        return "normal"
    return "low"
