"""Personal data in a post: regexes for the shapes, checksums (Luhn, IBAN mod-97) to cut false positives."""
from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class PiiMatch:
    type: str  # email, phone, address, username, password, payment_card, iban, order_number, account_number
    text: str  # verbatim substring of the post
    start: int
    end: int


# The look-behind starts a match only where a run of address characters starts (linear time on long runs),
# and not after "@": "@acme@mastodon.social" is a fediverse handle, not an email address.
EMAIL = re.compile(r"(?<![\w.+@-])[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){0,8}\.[A-Za-z]{2,24}\b")
CARD = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?\b")
PHONE = re.compile(r"(?<![\w/])(?:\+|00)?\d{1,3}?[\s.-]?\(?\d{2,4}\)?(?:[\s.-]?\d{2,4}){2,4}(?![\w/])")
ORDER = re.compile(
    r"(?:\b(?:order|pedido|commande|bestellung|ordine|bestelling|encomenda|sipariş|zamówienie|auftrag)"
    r"(?:\s*(?:no\.?|number|nr\.?|n[º°o]\.?|num(?:ber|éro|ero)?|#|id))?\s*[:#]?\s*)([A-Z]{0,4}-?\d[\d-]{3,})", re.I)
ACCOUNT = re.compile(
    r"(?:\b(?:account|acct|customer|client|kunden|cuenta|compte|conta)(?:\s*(?:no\.?|number|nr\.?|num(?:ber|éro|ero)?|"
    r"id|#|nummer|número))\s*[:#]?\s*)([A-Z]{0,4}-?\d[\d-]{3,})", re.I)
# "username is x", "login: x", "senha é x": the keyword needs a connector, so "login today" is not a username.
_IS = r"(?:\s+(?:is|es|est|ist|é|era|was)\s+|\s*[:=]\s*)"
USERNAME = re.compile(
    r"\b(?:user(?:name)?|user ?id|login|usuario|utilisateur|benutzer(?:name)?|nome de usuário|nombre de usuario)"
    + _IS + r"([\w.@-]{3,})", re.I)
PASSWORD = re.compile(
    r"\b(?:password|passwd|pw|pwd|contraseña|mot de passe|passwort|senha|kennwort)" + _IS + r"(\S{3,})", re.I)
ADDRESS = re.compile(
    r"\b\d{1,5}[a-z]?\s+(?:[A-ZÀ-Ü][\w'.-]*\s+){0,4}(?:st(?:reet)?|ave(?:nue)?|rd|road|blvd|boulevard|lane|ln|"
    r"drive|dr|way|court|ct|place|pl|square|sq)\b\.?(?:,?\s*(?:apt|unit|suite|#)\s*\w+)?"
    r"(?:,\s*[A-Z][\w'.-]{1,30}(?:\s[A-Z][\w'.-]{1,30})?,?\s+[A-Z]{2}\s+\d{5}(?:-\d{4})?)?"
    r"|\b(?:calle|avenida|av\.|rue|avenue|boulevard|via|viale|rua|straße|strasse|str\.|weg|gasse|platz|laan|straat)"
    r"\s+[\w'À-ÿ .-]{2,40}?,?\s*\d{1,5}[a-z]?\b"
    r"|\b[\wÀ-ÿ-]+(?:straße|strasse|str\.|weg|gasse|platz|straat|laan)\s+\d{1,5}[a-z]?\b",
    re.I)


def luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def iban_ok(candidate: str) -> bool:
    compact = candidate.replace(" ", "")
    if not 15 <= len(compact) <= 34:
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def find_pii(text: str) -> tuple[PiiMatch, ...]:
    """Every piece of personal data found, leftmost first, never two overlapping."""
    found: list[PiiMatch] = []
    taken = bytearray(len(text))  # characters already inside a match; keeps overlap checks linear

    def add(kind: str, start: int, end: int) -> None:
        if any(taken[start:end]):
            return
        taken[start:end] = b"\x01" * (end - start)
        found.append(PiiMatch(kind, text[start:end], start, end))

    for match in EMAIL.finditer(text):
        add("email", *match.span())
    for match in IBAN.finditer(text):
        if iban_ok(match.group()):
            add("iban", *match.span())
    for match in CARD.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if 13 <= len(digits) <= 19 and luhn_ok(digits):
            add("payment_card", *match.span())
    for kind, pattern in (("password", PASSWORD), ("username", USERNAME), ("order_number", ORDER),
                          ("account_number", ACCOUNT)):
        for match in pattern.finditer(text):
            add(kind, *match.span(1))
    for match in ADDRESS.finditer(text):
        add("address", *match.span())
    for match in PHONE.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if 7 <= len(digits) <= 15 and not re.fullmatch(r"(19|20)\d{2}[-./]\d{1,2}[-./]\d{1,2}", match.group().strip()):
            start, end = match.span()
            while start < end and text[start].isspace():
                start += 1
            add("phone", start, end)
    return tuple(sorted(found, key=lambda m: m.start))
