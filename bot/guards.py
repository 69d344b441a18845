"""Guards on what the brand says in public: checked on every suggestion and every agent's reply.

A public reply must not ask for personal data (move to a private channel instead), must not
repeat personal data the customer posted, and must fit the network's length rule.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

# What counts as personal data when a reply asks for it, in the languages we template.
_DATA = (
    r"e-?mail(?: address)?|phone(?: number)?|mobile(?: number)?|(?:home |postal |shipping )?address|password|"
    r"user ?name|login|order (?:number|no\.?|#|id)|account (?:number|no\.?|id)|(?:credit |debit )?card(?: number| details)?|"
    r"iban|bank details|date of birth|social security|"
    r"correo(?: electrónico)?|tel[eé]fono|direcci[oó]n|contraseña|n[uú]mero de (?:pedido|cuenta|tarjeta)|"
    r"t[ée]l[ée]phone|adresse|mot de passe|num[ée]ro de (?:commande|compte|carte)|"
    r"telefonnummer|passwort|bestellnummer|kontonummer|"
    r"telefone|endere[cç]o|senha|n[uú]mero do (?:pedido|cart[aã]o)"
)
_ASK = (
    r"send|share|give|provide|tell|post|reply with|include|confirm|need|what(?:'s| is)|"
    r"env[ií]\w*|compart\w*|ind[ií]ca\w*|pasa\w*|manda\w*|envoy\w*|donn\w*|indiqu\w*|communiqu\w*|"
    r"schick\w*|sende\w*|nenn\w*|gib|informe\w*|mande\w*"
)
ASKS_FOR_DATA = re.compile(rf"\b(?:{_ASK})\b[^.!?\n]{{0,40}}?\b(?:{_DATA})\b", re.I)
PRIVATE_CHANNEL = re.compile(
    r"\b(?:dms?|direct message|private message|privately|in private|inbox|mensaje directo|mensaje privado|"
    r"message privé|en privé|mp|direktnachricht|privatnachricht|per dm|mensagem direta|mensagem privada)\b", re.I)


@dataclass(frozen=True)
class GuardIssue:
    code: str  # asks_for_personal_data | repeats_personal_data | too_long
    message: str  # what is wrong and what to do, for the agent


def check_reply(
    text: str,
    *,
    max_length: int,
    count_length: Callable[[str], int] = len,
    customer_data: Iterable[str] = (),
    private: bool = False,
) -> list[GuardIssue]:
    """Everything wrong with publishing `text`; an empty list means it may go out."""
    issues = []
    length = count_length(text)
    if length > max_length:
        issues.append(GuardIssue("too_long", f"it is {length} characters and the network allows {max_length}; "
                                             f"shorten it by {length - max_length}"))
    if private:
        return issues
    for sentence in re.split(r"(?<=[.!?\n])\s+", text):
        match = ASKS_FOR_DATA.search(sentence)
        if match and not PRIVATE_CHANNEL.search(sentence):
            issues.append(GuardIssue("asks_for_personal_data",
                                     f"it asks for personal data in public (\"{match.group(0)}\"); ask them to "
                                     "send it by private message instead"))
            break
    repeated = [value for value in customer_data if value and value.lower() in text.lower()]
    if repeated:
        issues.append(GuardIssue("repeats_personal_data", "it repeats personal data the customer posted; "
                                                          "leave it out of the public reply"))
    return issues
