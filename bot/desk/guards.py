"""Guards on what the brand says in public: checked on every suggestion and every agent's reply.

A public reply must not ask for personal data (move to a private channel instead), must not
repeat personal data the customer posted, and must fit the network's length rule.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import regex

# What counts as personal data when a reply asks for it, in the languages we template: email,
# phone, username, password, postal address, payment details, order and account numbers.
_DATA = "|".join((
    r"e-?mail(?:[ -]?(?:address|adresse|adres|addresses))?|e-?mailadres|(?:tele)?phone (?:number|no\.?)|"
    r"(?:mobile|cell(?: ?phone)?) number|(?:your |ur |the |full |home |postal |shipping |billing |delivery ){1,3}address|"
    r"zip code|post ?code|password|passcode|pin code|user ?name|user ?id|login (?:details|name|id)|"
    r"order (?:number|no\.?|#|id|reference)|account (?:number|no\.?|id|details)|customer (?:number|id)|"
    r"(?:credit |debit )card|card (?:number|details)|payment (?:details|info(?:rmation)?)|billing (?:details|info)|"
    r"cvv|cvc|security code|expiry date|iban|bank details|sort code|routing number|date of birth|social security|"
    r"(?:last )?(?:4|four) digits|(?:your|ur) (?:handle|@)",
    # es
    r"correo(?: electrónico)?|tel[eé]fono|m[oó]vil|celular|direcci[oó]n(?: postal)?|c[oó]digo postal|contraseña|"
    r"clave|(?:nombre de )?usuario|datos (?:de pago|bancarios|de (?:la )?tarjeta)|tarjeta de cr[eé]dito|"
    r"n[uú]mero de (?:pedido|cuenta|tarjeta|cliente|tel[eé]fono)",
    # fr
    r"courriel|t[ée]l[ée]phone|portable|adresse(?: postale| e-?mail| mail)?|code postal|mot de passe|identifiant|"
    r"nom d'utilisateur|coordonn[ée]es bancaires|carte (?:bancaire|de cr[ée]dit)|"
    r"num[ée]ro de (?:commande|compte|carte|client|t[ée]l[ée]phone)",
    # de
    r"e-mail-adresse|telefonnummer|handynummer|anschrift|adresse|postleitzahl|passwort|kennwort|benutzername|"
    r"zahlungsdaten|bankdaten|bankverbindung|kreditkarte(?:nnummer)?|kartennummer|bestellnummer|kontonummer|"
    r"kundennummer",
    # it
    r"indirizzo(?: email| e-mail| di casa| di spedizione)?|(?:numero di )?telefono|cellulare|nome utente|"
    r"dati (?:della (?:tua |sua )?carta|di pagamento|bancari)|carta di credito|"
    r"numero (?:d'ordine|dell'ordine|di ordine|di conto|della carta|cliente)",
    # nl
    r"telefoonnummer|mobiel nummer|adres|postcode|wachtwoord|gebruikersnaam|betaalgegevens|bankgegevens|"
    r"creditcard(?:nummer)?|bestelnummer|ordernummer|rekeningnummer|klantnummer",
    # pt
    r"telefone|endere[cç]o(?: completo)?|cep|senha|(?:nome de )?usu[aá]rio|cpf|dados (?:de pagamento|banc[aá]rios|do cart[aã]o)|"
    r"cart[aã]o de cr[eé]dito|n[uú]mero d[oa] (?:pedido|cart[aã]o|conta|sua conta)|n[uú]mero do seu pedido",
))
_ASK = "|".join((
    r"send|share|give|provide|tell|post|reply with|include|confirm|need|what(?:'s| is| are)|which|drop|leave|enter|type|"
    r"write|let us know|let me know|can we (?:have|get)|could we (?:have|get)|may we have",
    r"env[ií]\w*|comp[aá]rt\w*|ind[ií]ca\w*|pass?[ae]\w*|p[aá]sa\w*|manda\w*|dinos|dime|danos|dame|facilít\w*|proporcion\w*|"
    r"decir(?:nos|me)?|d[ií]ga(?:nos|me)?|"
    r"escr[ií]b\w*|d[eé]ja\w*|cu[aá]l es|necesitamos|nos das",
    r"envoy\w*|donn\w*|indiqu\w*|communiqu\w*|transmet\w*|partag\w*|[ée]cri\w*|laiss\w*|quel(?:le)? est|"
    r"pr[ée]cis\w*|fourni\w*|dites-nous|renseign\w*",
    r"schick\w*|send\w*|nenn\w*|gib|geben sie|teil\w*|schreib\w*|verrat\w*|brauchen|ben[öo]tigen|wie lautet|"
    r"was ist|best[äa]tig\w*",
    r"invia\w*|mand\w*|scriv\w*|dicci|dimmi|ci dica|condividi\w*|fornisc\w*|fornir\w*|indica\w*|ci indichi|"
    r"comunica\w*|lascia\w*|qual [èe]|abbiamo bisogno",
    r"stuur\w*|geef\w*|deel\w*|laat (?:ons|me) \w+ weten|laat (?:ons|me) weten|wat is|noem\w*|vermeld\w*|bevestig\w*|"
    r"doorgeven|sturen|geven",
    r"informe\w*|mande\w*|compartilh\w*|diga\w*|forne[cç]\w*|qual (?:[ée] )?o|qual [ée]|precisamos",
))
# German and Dutch put the verb last: "Könnten Sie uns Ihre Bestellnummer geben?"; "…, please?" asks too.
_ASK_AFTER = (r"geben|nennen|mitteilen|schicken|senden|zukommen lassen|bitte|doorgeven|sturen|geven|delen|weten|"
              r"please|por favor|s'il vous pla[iî]t|per favore|alstublieft|alsjeblieft")
ASKS_FOR_DATA = re.compile(rf"\b(?:{_ASK})\b[^.!?\n]{{0,40}}?\b(?:{_DATA})(?!\w)", re.I)  # "order #" ends in no word
ASKS_FOR_DATA_AFTER = re.compile(rf"\b(?:{_DATA})\b[^.!?\n]{{0,30}}?\b(?:{_ASK_AFTER})\b", re.I)
# Both need a word for personal data: one look for it spares the 40 tries after every "send", "tell", "what is"…
_NAMES_DATA = re.compile(rf"\b(?:{_DATA})", re.I)
# Japanese has no spaces (so no word boundaries): the data, a particle, then the request.
ASKS_FOR_DATA_JA = re.compile(
    r"(?:メールアドレス|メール|電話番号|携帯番号|ユーザー名|ユーザーID|ログインID|パスワード|暗証番号|住所|郵便番号|"
    r"クレジットカード(?:番号)?|カード番号|口座番号|注文番号|アカウント番号|会員番号|お客様番号)"
    r"[^。！？\n]{0,8}?(?:教えて|お知らせ|送って|お送り|送信|ご連絡|記入|ご記入|入力|ご入力|お伝え|伺え|共有|ご提供|返信)")
# "never share your password", "no need to post your card number": a warning, not a request.
_NEGATION = re.compile(
    r"\b(?:never|don'?t|do not|no need to|nunca|no|ne|jamais|nie|niemals|nicht|non|mai|niet|nooit|não|nem)\b", re.I)
PRIVATE_CHANNEL = re.compile(
    r"\b(?:dms?|direct message|private message|privately|in private|inbox|"
    r"(?:send|write|drop) us an? e-?mail|e-?mail us|by e-?mail|via e-?mail|per e-?mail|par e-?mail|por correo|"
    r"uns eine e-?mail|nous un e-?mail|nos un (?:e-?mail|correo)|ci una e-?mail|ons een e-?mail|nos um e-?mail|"
    r"mensaje directo|mensaje privado|por privado|md|message privé|messages privés|en privé|mp|"
    r"direktnachricht|privatnachricht|private nachricht|per dm|pn|mensagem direta|mensagem privada|no direct|"
    r"messaggio privato|messaggio diretto|in privato|privébericht|privé bericht|direct bericht)\b"
    r"|ダイレクトメッセージ|個別メッセージ|(?<![A-Za-z])DM(?![A-Za-z])", re.I)


@dataclass(frozen=True)
class GuardIssue:
    code: str  # asks_for_personal_data | repeats_personal_data | too_long
    message: str  # what is wrong and what to do, for the agent


def check_reply(
    text: str,
    *,
    max_length: int,
    count_length: Callable[[str], int] = len,
    unit: str = "characters",
    customer_data: Iterable[str] = (),
    private: bool = False,
) -> list[GuardIssue]:
    """Everything wrong with publishing `text`; an empty list means it may go out. `unit` names what `count_length`
    counts (the network's own unit: graphemes, weighted characters...)."""
    issues = []
    length = count_length(text)
    if length > max_length:
        # No override makes it fit, so the other guards wait for the shorter text: their work stays bounded by
        # the network's length however long a pasted reply is.
        return [GuardIssue("too_long", f"it is {length:,} {unit} and the network allows {max_length:,}; shorten "
                                       f"it by {length - max_length:,} {unit}: the limit falls after "
                                       f"“…{_tail(fitting_start(text, max_length, count_length))}”")]
    if private:
        return issues
    request = asks_for_personal_data(text)
    if request:
        issues.append(GuardIssue("asks_for_personal_data", f"it asks for personal data in public (\"{request}\"); "
                                                           "ask them to send it by private message instead"))
    repeated = [value for value in customer_data if value and value.lower() in text.lower()]
    if repeated:
        issues.append(GuardIssue("repeats_personal_data", "it repeats personal data the customer posted; "
                                                          "leave it out of the public reply"))
    return issues


_GRAPHEME = regex.compile(r"\X")
_SHOWN = 30  # graphemes of the text shown before the point where the limit falls


def fitting_start(text: str, max_length: int, count_length: Callable[[str], int]) -> str:
    """The longest start of `text`, cut between graphemes, the network would still take: where to cut."""
    graphemes = _GRAPHEME.findall(text)
    low, high = 0, len(graphemes) + 1  # the first `low` graphemes fit; `high` of them do not
    while high - low > 1:
        middle = (low + high) // 2
        if count_length("".join(graphemes[:middle])) <= max_length:
            low = middle
        else:
            high = middle
    return "".join(graphemes[:low])


def _tail(text: str) -> str:
    """The last words of `text`, to show where it ends."""
    graphemes = _GRAPHEME.findall(text.rstrip())
    shown = "".join(graphemes[-_SHOWN:])
    return shown.split(" ", 1)[-1] if len(graphemes) > _SHOWN and " " in shown else shown


def asks_for_personal_data(text: str) -> str | None:
    """The words of `text` that ask for personal data in public, if any.

    A sentence that names a private channel ("DM us your order number") is fine, and so is a
    warning ("never share your password").
    """
    for sentence in re.split(r"(?<=[.!?。！？\n])\s*", text):
        if PRIVATE_CHANNEL.search(sentence):
            continue
        patterns = (ASKS_FOR_DATA, ASKS_FOR_DATA_AFTER) if _NAMES_DATA.search(sentence) else ()
        for pattern in (*patterns, ASKS_FOR_DATA_JA):
            match = pattern.search(sentence)
            if match and not _NEGATION.search(sentence, max(0, match.start() - 12), match.end()):
                return match.group(0)
    return None


# Talk about prompts and instructions has no place in a reply to a customer.
_ABOUT_THE_PROMPT = re.compile(
    r"\b(?:system prompt|my (?:instructions|prompt)|these instructions|as an ai|language model|"
    r"prompt (?:de sistema|système|di sistema|do sistema)|systemprompt)\b|システムプロンプト", re.I)
_WORDS = re.compile(r"\w+")
# A bare domain starts where a run of name characters starts ((?<![\w-]), not \b): with \b, every
# letter after a "-" in "a-a-a-…" began another scan to the run's end, quadratic in the text's length.
_LINK = re.compile(r"https?://[^\s<>\"')]+|\bwww\.[^\s<>\"')]+"
                   r"|(?<![\w-])[\w-]+\.(?:ly|gl|me|io|co|com|net|org|xyz|link|app)/[^\s<>\"')]*", re.I)


def leaks_prompt(text: str, instructions: str, *, canary: str = "", run: int = 8) -> bool:
    """Whether a suggestion gives away the instructions it was written under: the canary, talk of
    prompts, or any `run` words in a row copied from them."""
    if (canary and canary in text) or _ABOUT_THE_PROMPT.search(text):
        return True
    said = _WORDS.findall(text.lower())
    if len(said) < run:
        return False
    secret = _WORDS.findall(instructions.lower())
    shingles = {tuple(secret[i:i + run]) for i in range(len(secret) - run + 1)}
    return any(tuple(said[i:i + run]) in shingles for i in range(len(said) - run + 1))


def unknown_links(text: str, known: str) -> list[str]:
    """Links in `text` that the team's own material (`known`) does not contain: a model may have
    made them up, or a post may have smuggled them in."""
    return [link for link in (m.group(0).rstrip(".,;:!?") for m in _LINK.finditer(text)) if link not in known]
