"""Personal data in a post: regexes find the shapes, checksums and context weed out look-alikes.

Recall comes first (an agent must never repeat a customer's data in public), precision second.
Detectors run from the most certain to the least (email, IBAN, national identity and tax numbers that
pass their checksum (python-stdnum), keyword-led values such as "password: x" or "order #123", payment
card, address, phone) and a later one never claims text an
earlier one took. Every pattern is linear-time: no nested unbounded repetition, and runs can only
start where a run of their characters starts.

Zero-width and bidirectional control characters are ignored while matching ("jane@exa\u200bmple.com"
is still an email), but every match is reported as the verbatim substring of the original text.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from stdnum.br import cnpj, cpf
from stdnum.de import idnr
from stdnum.es import dni, nie
from stdnum.fr import nir
from stdnum.it import codicefiscale
from stdnum.nl import bsn
from stdnum.pl import pesel
from stdnum.se import personnummer
from stdnum.us import ssn


@dataclass(frozen=True)
class PiiMatch:
    type: str  # email, phone, address, username, password, payment_card, iban, national_id, order_number, account_number
    text: str  # verbatim substring of the post
    start: int
    end: int


_INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")

# --- email --------------------------------------------------------------------------------------
# The look-behind starts a match only where a run of address characters starts, and never right
# after "@": "@acme@mastodon.social" is a fediverse handle, not an email address.
EMAIL = re.compile(r"(?<![\w.+@-])[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){0,8}\.[^\W\d_]{2,24}\b")
_TLD = r"(?:com|net|org|io|co|de|es|fr|it|nl|pt|br|uk|us|ca|au|edu|gov|info|me|eu|ch|at|be|se|jp|mx)"
OBFUSCATED_EMAIL = re.compile(
    rf"(?<![\w.+-])[\w.+-]{{1,64}}\s?(?:\[at\]|\(at\)|\{{at\}}| at )\s?[\w-]{{1,63}}"
    rf"(?:\s?(?:\[dot\]|\(dot\)|\{{dot\}}| dot )\s?[\w-]{{1,63}}){{0,3}}\s?(?:\[dot\]|\(dot\)|\{{dot\}}| dot )\s?{_TLD}\b",
    re.IGNORECASE)

# --- bank and card numbers ----------------------------------------------------------------------
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ -]?[A-Z0-9]{4}){2,7}(?:[ -]?[A-Z0-9]{1,3})?\b", re.IGNORECASE)
CARD = re.compile(r"(?<![\d-])[2-6](?:[ -]?\d){12,18}(?![\d-])")

# --- national identity and tax numbers -----------------------------------------------------------
# Each written shape with the python-stdnum validators (checksums, reserved ranges) a match must pass. A shape
# of digits alone (a Dutch BSN, a Polish PESEL, a German Steuer-ID, a bare CPF or SSN) is as likely an order or
# a phone number, so it is tried only after a keyword that names such a number.
NATIONAL_IDS = tuple((re.compile(pattern, re.IGNORECASE), validators) for pattern, validators in (
    (r"(?<![\d.-])\d{3}\.\d{3}\.\d{3}-\d{2}(?![\d-])", (cpf,)),  # Brazil CPF 390.533.447-05
    (r"(?<![\d./-])\d{2}\.\d{3}\.\d{3}/\d{4}-\d{2}(?![\d-])", (cnpj,)),  # Brazil CNPJ 11.222.333/0001-81
    (r"(?<![\d-])\d{3}-\d{2}-\d{4}(?![\d-])", (ssn,)),  # US SSN 536-90-4399
    (r"(?<![\w-])[XYZ]?\d{7,8}-?[A-Z](?![\w-])", (dni, nie)),  # Spain DNI 12345678Z, NIE X1234567L
    (r"(?<!\w)[A-Z]{6}\d{2}[A-Z]\d{2}[A-Z]\d{3}[A-Z](?!\w)", (codicefiscale,)),  # Italy RSSMRA85T10A562S
    (r"(?<![\w-])[12] ?\d{2} ?\d{2} ?(?:\d{2}|2[AB]) ?\d{3} ?\d{3} ?\d{2}(?![\w-])", (nir,)),  # France NIR (sécu)
))
CUED_IDS = {  # the keyword (lower case, "-" and spaces dropped) -> the number it names
    "cpf": cpf, "ssn": ssn, "socialsecurity": ssn, "socialsecuritynumber": ssn, "socialsecurityno": ssn,
    "bsn": bsn, "burgerservicenummer": bsn, "sofinummer": bsn, "pesel": pesel, "steuerid": idnr,
    "steueridentifikationsnummer": idnr, "identifikationsnummer": idnr, "personnummer": personnummer,
}
ID_CUE = re.compile(
    r"\b(?P<cue>cpf|ssn|social security(?: number| no\.?)?|bsn|burgerservicenummer|sofi-?nummer|pesel|steuer-?id|"
    r"steueridentifikationsnummer|identifikationsnummer|personnummer)\b[\s:#=]*+(?:(?:number|no\.?|nr\.?|is|é|es|ist|är|er|è)\s*+[:#]?\s*+)?"
    r"(?P<value>\d(?:[ .-]?\d){8,11})(?![\d-])",
    re.IGNORECASE)

# --- values introduced by a keyword -------------------------------------------------------------
# The keyword and the value are joined by ":", "=", "is" (in a few languages) or a bare space; a
# bare space alone is trusted only when the value looks like one ("password hunter22", not
# "password reset").
# Runs of spaces are possessive (*+, ++): a value never starts with a space, and giving spaces back to
# the next run made "password is" followed by 10,000 spaces take seconds.
_IS = r"(?P<sep>\s*+[:=：]\s*+|\s++(?:is|was|es|era|est|ist|é|è|er|är)(?:\s*+[:=])?\s++|\s++)"
_NUMBER_WORD = (r"(?:number|no\.?|nr\.?|n[º°o]\.?|n\.|num(?:ber|éro|ero)?\.?|#|id|ref(?:erence)?|nummer|número|"
                r"numéro|numero)")
ORDER = re.compile(
    r"(?:\b(?:order|orders|purchase|booking|reservation|confirmation|reference|invoice|tracking|shipment|"
    r"pedido|compra|commande|bestellung|bestellnummer|auftrag|auftragsnummer|sendungsnummer|ordine|bestelling|"
    r"bestelnummer|encomenda|sipariş|siparişim|zamówienie|zamówienia|objednávka|comanda|comandă|reserva)"
    rf"(?:\s*{_NUMBER_WORD})?{_IS}?|注文番号|订单号|订单|주문번호)\s*+[:：#]?\s*+#?\s?"
    r"(?P<value>(?:[A-Z]{1,5}[-_/]?)?\d[\dA-Z]*(?:[-_/]\d[\dA-Z]*)*)",
    re.IGNORECASE)
ACCOUNT = re.compile(
    r"\b(?:(?:account|acct|a/c|customer|client|member(?:ship)?|subscriber|contract|policy|cuenta|compte|conta|"
    rf"conto|rekening|cliente|kunden)\s*{_NUMBER_WORD}|kundennummer|kundennr\.?|klantnummer|rekeningnummer|"
    r"kontonummer|n[uú]mero de (?:cuenta|cliente|socio)|num[ée]ro (?:de )?(?:compte|client)|sort code|"
    rf"routing number|account|acct){_IS}?#?\s*+(?P<value>(?:[A-Z]{{1,4}}[-_]?)?\d(?:[ -]?\d){{4,19}})(?![\d-])",
    re.IGNORECASE)
USERNAME = re.compile(
    r"\b(?:user ?name|user ?id|user|login(?: name| id)?|log-?in|handle|screen ?name|usuario|nombre de usuario|"
    r"utilisateur|nom d'utilisateur|identifiant|benutzer(?:name)?|nome (?:de )?usu[aá]rio|usu[aá]rio|nome utente|"
    rf"gebruikersnaam|användarnamn|brukernavn|kullanıcı adı|nazwa użytkownika|ユーザー名|用户名|아이디){_IS}"
    r"[\"'“‘]?(?P<value>\w[\w.@+-]{1,63})",
    re.IGNORECASE)
PASSWORD = re.compile(
    r"\b(?:password|passwort|passwd|pass|pwd|pw|passcode|pin(?: code)?|contraseña|clave|mot de passe|mdp|"
    rf"kennwort|senha|parola d'ordine|wachtwoord|lösenord|passord|hasło|şifre|heslo|パスワード|密码|비밀번호){_IS}"
    r"[\"'“‘]?(?P<value>\S{3,64})",
    re.IGNORECASE)
# Words that follow "password is" or "user:" without being one.
_NOT_A_VALUE = frozenset([
    "is", "was", "not", "the", "a", "an", "my", "your", "our", "this", "that", "it", "its", "and", "or", "but", "to", "for", "of",
    "in", "on", "at", "with", "wrong", "incorrect", "invalid", "correct", "expired", "reset", "changed", "required", "too",
    "being", "still", "always", "never", "now", "locked", "blocked", "missing", "forgotten", "forgot", "same", "different",
    "weak", "strong", "new", "old", "here", "there", "please", "help", "doesn't", "does", "don't", "isn't", "wasn't", "won't",
    "can't", "manager", "field", "box", "page", "link", "email", "address", "name", "number", "es", "no", "el", "la", "mi", "est",
    "pas", "le", "ist", "nicht", "der", "die", "das", "não", "o",
])

# --- postal addresses ---------------------------------------------------------------------------
_STREET_EN = (r"street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|way|court|ct|place|pl|square|sq|"
              r"terrace|crescent|close|parkway|pkwy|highway|hwy|circle|cir|trail|row|mews|gardens|grove")
_UNIT = r"(?:,?\s*(?:apt|apartment|unit|suite|ste|flat|floor|fl|#)\.?\s*[\w-]{1,6})?"
_QUADRANT = r"(?:\s+(?-i:[NS][EW]?|[EW])\b\.?)?"  # 1600 Pennsylvania Ave NW
_TAIL = (r"(?:,?\s+(?-i:[A-Z][\w'.-]{1,30})(?:\s(?-i:[A-Z][\w'.-]{1,30})){0,2},?\s+"  # City, ST 12345 / City AB1 2CD
         r"(?:(?-i:[A-Z]{2})\s+\d{5}(?:-\d{4})?|(?-i:[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}|[A-Z]\d[A-Z]\s?\d[A-Z]\d)))?"
         r"(?:,?\s+\d{4,5}(?:\s?(?-i:[A-Z]{2}))?\s+(?-i:[A-ZÀ-Ý][\w'-]{1,30}))?")  # , 75002 Paris / 1012 AB Amsterdam
_NAME_WORD = r"[\w'’.-]{1,30}"
_PROPER_WORD = r"(?:\d{1,3}(?:st|nd|rd|th)|(?-i:[A-ZÀ-ÖØ-Þ])[\w'’.-]{0,30})"  # proper nouns: "Elm", "5th"
# Lower-case names are accepted before an unambiguous street word, unless they read like prose.
_PLAIN_WORD = r"(?!(?:the|a|an|on|in|of|to|for|and|at|my|your|our|this|that|hours?|minutes?|days?|weeks?|times?)\b)"
_PLAIN_WORD += _NAME_WORD
_COMPOUND_STREET = ("straße", "strasse", "str.", "weg", "gasse", "platz", "allee", "damm", "ufer", "chaussee",
                    "straat", "laan", "gracht", "plein", "kade", "singel", "dijk", "steeg", "gatan", "vägen", "gata",
                    "väg", "gränd", "gade", "vej", "veien")
# One pattern per way of writing an address, each starting with something the regex engine can scan
# for quickly; an earlier one wins when two overlap.
ADDRESSES = tuple(re.compile(pattern, re.IGNORECASE) for pattern in (
    # 42 Elm Street, Springfield IL 62704 / 10 Downing St, London SW1A 2AA / 350 5th Avenue
    rf"\b\d{{1,5}}[a-z]?,?\s+(?:{_PROPER_WORD}\s+){{1,4}}(?=[a-z])(?:{_STREET_EN})\b\.?{_QUADRANT}{_UNIT}{_TAIL}",
    # 42 elm street
    (rf"\b\d{{1,5}}[a-z]?,?\s+(?:{_PLAIN_WORD}\s+){{1,3}}(?=[a-z])(?:street|avenue|road|boulevard|lane)\b\.?"
     rf"{_UNIT}{_TAIL}"),
    # 12 rue de la Paix, 75002 Paris / 5 avenue Victor Hugo
    (rf"\b\d{{1,5}}(?:\s?(?:bis|ter))?,?\s+(?:rue|avenue|av\.|boulevard|bd|allée|chemin|impasse|place|quai|"
     rf"route|cours)\s+(?:(?:de|du|des|la|le|l'|d')\s*){{0,3}}{_NAME_WORD}(?:\s+(?-i:[A-ZÀ-Ý]){_NAME_WORD}){{0,3}}"
     rf"{_TAIL}"),
    # Calle Mayor 5 / Rua Augusta, 1000 / Via Roma 10 / Avenida Paulista, 1578
    (rf"\b(?:calle|c/|avenida|avda\.?|plaza|paseo|carrer|rua|travessa|alameda|praça|(?-i:Via|Viale|Piazza|Corso|"
     rf"Largo|Vicolo))\s+(?:{_NAME_WORD}\s+){{0,4}}?{_NAME_WORD},?\s+(?:n[º°o]\.?\s*)?\d{{1,5}}[a-z]?\b"
     rf"{_UNIT}{_TAIL}"),
    # Hauptstraße 12 / Berliner Straße 5, 10115 Berlin / Kalverstraat 12 / Storgatan 3: any word and a
    # house number here; _is_street keeps the words that end like a street
    rf"\b(?:(?-i:[A-ZÄÖÜ])[^\W\d_]{{1,30}}er\s+)?(?P<street>[^\W\d_]{{2,40}}\.?)\s+\d{{1,5}}\s?[a-z]?\b{_TAIL}",
    # PO boxes
    r"\b(?:p\.?\s?o\.?\s?box|post office box|apartado(?: de correos)?|postfach|caixa postal|boîte postale)\s*\d{1,6}\b",
    # 東京都渋谷区神南1-2-3 / 北京市朝阳区建国路88号 / 서울시 강남구 테헤란로 123
    r"[\u4e00-\u9fff]{1,3}(?:都|道|府|県)\w{1,15}?(?:市|区|町|村)\w{0,15}?\d{1,4}(?:丁目)?(?:[-−ー－]\d{1,4}){1,2}",
    r"[\u4e00-\u9fff]{2,3}(?:省|市)\w{0,15}?(?:路|街|大道|胡同)\d{1,5}号",
    r"[가-힣]{1,10}(?:시|도)\s[가-힣]{1,10}(?:구|군)\s[가-힣\d]{1,15}(?:로|길)\s?\d{1,4}(?:-\d{1,4})?",
))
# "my address is ...": the cue vouches for whatever follows up to the end of the sentence.
ADDRESS_CUE = re.compile(
    r"\b(?:my (?:home |shipping |delivery |billing |postal )?address(?: is|:)|i live at|"
    r"mi direcci[oó]n(?: es|:)|direcci[oó]n:|mon adresse(?: est| :|:)|adresse ?:|meine adresse(?: ist|:)|"
    r"meu endere[cç]o(?: [ée]|:)|endere[cç]o:|il mio indirizzo(?: è|:)|indirizzo:|mijn adres(?: is|:)|adres:)"
    r"\s*([^\n.!?;]{4,100})",
    re.IGNORECASE)

# --- phone numbers ------------------------------------------------------------------------------
# Digits with the separators phone numbers use; a run starts only where a run of them starts.
# Letters of other scripts may touch the number: "電話は090-1234-5678です".
PHONE = re.compile(r"(?<![0-9A-Za-zÀ-ɏ_+#/.,-])(?:\+|\(\+?)?\d(?:[ .\-/()]{0,3}\d)*(?![0-9A-Za-zÀ-ɏ_])")
PHONE_CUE = re.compile(
    r"\b(?:call|phone|tel|telephone|mobile|cell|whatsapp|text me|sms|ring me|reach me|contact me|number|"
    r"n[uú]mero|tel[eé]fono|telefone|celular|m[oó]vil|t[ée]l[ée]phone|portable|appel\w*|telefon|handy|nummer|"
    r"numero|cellulare|chiam\w*|bel me|電話|电话|手机|전화|번호|هاتف|телефон)\b",
    re.IGNORECASE)
_DATE = re.compile(r"(?:\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4})(?:\D|$)")
_IP = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
_CURRENCY = re.compile(r"[$€£¥₹]|\b(?:usd|eur|gbp|dollars?|euros?|pounds?|rupees?)\b", re.IGNORECASE)


def find_pii(text: str) -> tuple[PiiMatch, ...]:
    """Every piece of personal data found in `text`, leftmost first, never two overlapping."""
    visible, origin = _visible(text)
    found = _Found(visible)
    for match in EMAIL.finditer(visible):
        found.add("email", *match.span())
    for match in OBFUSCATED_EMAIL.finditer(visible):
        found.add("email", *match.span())
    for match in IBAN.finditer(visible):
        if iban_ok(match.group()):
            found.add("iban", *match.span())
    for pattern, validators in NATIONAL_IDS:
        for match in pattern.finditer(visible):
            if any(validator.is_valid(match.group()) for validator in validators):
                found.add("national_id", *match.span())
    for match in ID_CUE.finditer(visible):
        if CUED_IDS[re.sub(r"[\s.-]", "", match["cue"].lower())].is_valid(match["value"]):
            found.add("national_id", *match.span("value"))
    for kind, pattern in (("password", PASSWORD), ("username", USERNAME)):
        for match in pattern.finditer(visible):
            if _is_value(match["value"], bare=not match["sep"] or match["sep"].isspace()):
                found.add(kind, *_trimmed(visible, *match.span("value")))
    for kind, pattern in (("order_number", ORDER), ("account_number", ACCOUNT)):
        for match in pattern.finditer(visible):
            if _digits(match["value"]) >= 3:
                found.add(kind, *match.span("value"))
    for match in found.clear_of_claims(CARD):
        if luhn_ok(re.sub(r"\D", "", match.group())):
            found.add("payment_card", *match.span())
    for pattern in ADDRESSES:
        for match in found.clear_of_claims(pattern):
            if _is_street(match):
                found.add("address", *_trimmed(visible, *match.span()))
    for match in ADDRESS_CUE.finditer(visible):
        if any(c.isdigit() for c in match.group(1)):
            found.add("address", *_trimmed(visible, *match.span(1)))
    for start, end in _phones(visible, found.clear_of_claims(PHONE)):
        found.add("phone", start, end)
    return tuple(
        PiiMatch(kind, text[origin(start):origin(end - 1) + 1], origin(start), origin(end - 1) + 1)
        for kind, start, end in sorted(found.spans, key=lambda span: span[1])
    )


def luhn_ok(digits: str) -> bool:
    """The payment-card checksum: catches every single-digit typo and most transpositions."""
    if not 13 <= len(digits) <= 19 or not digits.isdigit():
        return False
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def iban_ok(candidate: str) -> bool:
    """ISO 13616 check digits: the rearranged number mod 97 is 1."""
    compact = re.sub(r"[ -]", "", candidate).upper()
    if not 15 <= len(compact) <= 34 or not compact[:2].isalpha() or not compact[2:4].isdigit():
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(char, 36)) for char in rearranged)) % 97 == 1


class _Found:
    """Spans claimed so far; a character belongs to at most one match."""

    def __init__(self, text: str) -> None:
        self.spans: list[tuple[str, int, int]] = []
        self._text = text
        self._taken = bytearray(len(text))

    def clear_of_claims(self, pattern: re.Pattern[str]) -> Iterator[re.Match[str]]:
        """Matches that stay clear of claimed text. One that runs into a claim is tried again just past
        it: in "card 4111 1111 1111 1111, 42 Elm St" the street is found after the card."""
        position = 0
        while match := pattern.search(self._text, position):
            start, end = match.span()
            claimed = self._taken.find(1, start, end)
            if claimed < 0:
                yield match
                position = max(end, start + 1)
                continue
            free = self._taken.find(0, claimed)
            if free < 0:
                return
            position = max(free, start + 1)

    def add(self, kind: str, start: int, end: int) -> None:
        if end <= start or any(self._taken[start:end]):
            return
        self._taken[start:end] = b"\x01" * (end - start)
        self.spans.append((kind, start, end))


def _visible(text: str) -> tuple[str, Callable[[int], int]]:
    """The text without invisible characters, and a map from its offsets back to the original's."""
    if not _INVISIBLE.search(text):
        return text, lambda index: index
    kept = [index for index, char in enumerate(text) if not _INVISIBLE.match(char)]
    return "".join(text[index] for index in kept), kept.__getitem__


def _is_value(value: str, *, bare: bool) -> bool:
    """'hunter22' is a password; 'wrong' in "password is wrong" and 'reset' in "password reset" are not."""
    value = value.rstrip(".,;:!?)\"'”’")
    if len(value) < 2 or value.lower() in _NOT_A_VALUE:
        return False
    has_digit = any(char.isdigit() for char in value)
    return not bare or has_digit and not value.isdigit() or any(char in "_.@" for char in value)


def _is_street(match: re.Match[str]) -> bool:
    street = match.groupdict().get("street")
    return street is None or street.lower().endswith(_COMPOUND_STREET)


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    """Drop trailing punctuation and spaces a pattern swept up ("hunter2." -> "hunter2")."""
    while end > start and (text[end - 1].isspace() or text[end - 1] in ".,;:!?)\"'”’"):
        end -= 1
    return start, end


def _phones(text: str, candidates: Iterator[re.Match[str]]) -> Iterator[tuple[int, int]]:
    for match in candidates:
        start, end = match.span()
        # Two numbers written one after the other ("0612345678 0698765432") form one run: split it.
        pieces = [(start, end)] if _digits(match.group()) <= 15 else [
            (start + piece.start(), start + piece.end()) for piece in re.finditer(r"\S+", match.group())]
        for piece_start, piece_end in pieces:
            if _looks_like_phone(text, piece_start, piece_end):
                yield piece_start, piece_end


def _digits(candidate: str) -> int:
    return sum(char.isdigit() for char in candidate)


def _looks_like_phone(text: str, start: int, end: int) -> bool:
    candidate = text[start:end]
    digits = _digits(candidate)
    if not 7 <= digits <= 15 or _DATE.match(candidate) or _IP.fullmatch(candidate):
        return False
    if _CURRENCY.search(text[max(0, start - 3):start] + text[end:end + 4]):
        return False
    if candidate.startswith(("+", "(+", "00")):
        return digits >= 8
    if PHONE_CUE.search(text, max(0, start - 40), start):
        return True
    groups = re.findall(r"\d+", candidate)
    trunk = candidate.lstrip("(").startswith("0")  # national numbers start with a trunk 0 in most countries
    if len(groups) == 1:
        return trunk and digits >= 9
    if min(map(len, groups[1:])) < 2 or len(groups) > 6:
        return False  # "3 4 5 6 7 8 9", "1.2.3.4567"
    if len(groups) == 2 and not trunk:
        return (len(groups[0]), len(groups[1])) == (3, 4)  # "555-0134"; not "2019-2024" or "1000-2000"
    thousands = groups[0][0] != "0" and len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])
    if thousands and digits < 9:
        return False  # "3 400 000"
    return trunk or max(map(len, groups)) >= 3
