"""Lexicon sentiment for short customer posts, read in the post's language (words in bot/enrich/lexicon.py).

Each word, phrase, emoji or emoticon has a valence. A negator ("not", "n't", "no", "pas", "nicht"...)
flips the words and phrases in the three words after it, but not emoji: "no explanation :(" is still
sad. An intensifier ("very", "muy", "sehr") strengthens the next word with a feeling and a downtoner
("slightly") weakens it; after a contrast ("but", "pero", "aber") the clause counts more than before
it; "!" and ALL CAPS amplify. Support posts add one pattern: a negated expected verb ("hasn't
arrived", "no funciona", "n'est pas arrivé") is a complaint though the verb carries no feeling of its
own. German, Dutch, French and the Scandinavian languages may put the negator just after the verb
("funktioniert nicht", "werkt niet", "marche pas"), so there it counts on either side.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, lru_cache

from bot.enrich.language import detect_language
from bot.enrich.lexicon import EMOJI, EMOTICONS, SUBSTRINGS, Lexicon, lexicon_for

POSITIVE_AT, NEGATIVE_AT = 0.75, -0.75  # between the two is neutral
UNMET_EXPECTATION = -1.5  # "hasn't arrived", "won't load"
NEGATION_SCOPE = 3  # words after a negator that it flips
NEGATED_POSITIVE, NEGATED_NEGATIVE = -0.75, 0.5  # "not good" is bad; "not bad" is only mildly good
SAMPLE = 5000  # characters read; the opening of a long post carries its tone
LONGEST_REMEMBERED = 32  # letters: longer words' forms are worked out each time, so what is remembered stays small
NEGATION_AFTER_THE_VERB = frozenset({"de", "nl", "fr", "sv", "da", "no"})

_SKIP = re.compile(r"https?://\S+|www\.\S+|(?<!\S)[^\s@]+@[^\s@.]+\.\S+|@[\w.@-]+|<[^<>\s]{1,100}>")
_ELONGATED = re.compile(r"(\w)\1{2,}")  # "sooo", "loooove"
_SUPERLATIVE = re.compile(r"^(?P<stem>\w{3,})(?:ísim|issim)(?:[oa]s?|i|e)$")  # buenísimo, gentilissimi
# French and Italian elide articles and "ne" onto the next word: l'app, dell'ordine, n'est, c'est.
_ELISION = re.compile(r"^(?P<head>c|d|j|l|m|n|s|t|qu|dell|all|dall|nell|sull|un|gl)'(?P<word>\w+)$")
# A request: thank-yous in it are politeness, not delight ("can you help? thanks").
_POLITE = re.compile(
    r"[?¿？]|\b(?:please|pls|plz|in advance|por favor|de antemano|s'il vous pla[iî]t|svp|d'avance|bitte|im voraus|"
    r"per favore|in anticipo|alsjeblieft|alstublieft|graag|alvast|desde já|proszę|lütfen|пожалуйста)\b|お願い|请|부탁")
_EMOTICONS = {emoticon.lower(): valence for emoticon, valence in EMOTICONS.items()}
_SUBSTRING = re.compile("|".join(re.escape(s) for s in sorted(SUBSTRINGS, key=len, reverse=True)))


@dataclass(frozen=True)
class _Token:
    kind: str  # phrase, emoticon, word or break
    text: str  # lower-cased, in the lexicon's form
    valence: float
    shouted: bool = False  # written in capitals inside a post that is not


def detect_sentiment(text: str, language: str | None = None) -> str:
    """positive, neutral or negative. `language` (ISO 639-1) is detected when not given."""
    score = sentiment_score(text, language)
    if score >= POSITIVE_AT:
        return "positive"
    if score <= NEGATIVE_AT:
        return "negative"
    return "neutral"


def sentiment_score(text: str, language: str | None = None) -> float:
    """Sum of valences, roughly -3 (one strong negative) to +3 per strong word; 0 is neutral."""
    sample = text[:SAMPLE]
    language = language or detect_language(sample)
    lexicon, tokenizer = _reader(language)
    raw = _SKIP.sub(" ", sample).replace("’", "'").replace("\ufe0f", "")
    mostly_caps = sum(c.isupper() for c in raw) > sum(c.islower() for c in raw)
    polite = bool(_POLITE.search(raw.lower()))
    tokens = list(_tokens(raw.lower() if mostly_caps else raw, tokenizer, lexicon, language))
    negation_after = language in NEGATION_AFTER_THE_VERB
    clauses: list[float] = [0.0]  # a new clause starts after "but"
    negated = 0  # words still flipped by the last negator
    boost = 1.0
    unnegated_verb_at = -99  # where the last expected verb without a negator before it was
    for index, token in enumerate(tokens):
        if token.kind == "break" or token.text in lexicon.contrast:
            negated, boost, unnegated_verb_at = 0, 1.0, -99
            if token.text in lexicon.contrast:
                clauses.append(0.0)
            continue
        if token.text in lexicon.intensifiers and index + 1 < len(tokens) and tokens[index + 1].valence:
            boost *= lexicon.intensifiers[token.text]  # "so slow"; "super fast" (but "super!" is praise)
            continue
        is_negator = token.kind == "word" and (token.text in lexicon.negators or token.text.endswith("n't"))
        valence = token.valence
        if token.text in lexicon.thanks and polite:
            valence *= 0.3
        if negated and token.text in lexicon.expected:
            valence = UNMET_EXPECTATION
        elif negated and token.kind in ("word", "phrase") and valence:
            valence *= NEGATED_POSITIVE if valence > 0 else -NEGATED_NEGATIVE
        elif is_negator and negation_after and index - unnegated_verb_at <= NEGATION_SCOPE:
            valence, unnegated_verb_at = UNMET_EXPECTATION, -99  # "funktioniert nicht"
        if token.text in lexicon.expected and not negated:
            unnegated_verb_at = index
        if token.shouted and not mostly_caps:
            valence *= 1.5
        clauses[-1] += valence * boost
        if valence:
            boost = 1.0
        negated = NEGATION_SCOPE if is_negator else max(negated - 1, 0)
    score = sum(clauses[:-1]) * 0.5 + clauses[-1] * (1.5 if len(clauses) > 1 else 1.0)
    score += _symbols(sample)
    if abs(score) >= 0.5:
        score += min(sample.count("!"), 3) * 0.3 * (1 if score > 0 else -1)
    return score


@cache
def _reader(language: str) -> tuple[Lexicon, re.Pattern[str]]:
    """The lexicon for a language and a tokenizer that knows its phrases."""
    lexicon = lexicon_for(language)
    phrases = "|".join(re.escape(p) for p in sorted(lexicon.phrases, key=len, reverse=True))
    emoticons = "|".join(re.escape(e) for e in sorted(EMOTICONS, key=len, reverse=True))
    tokenizer = re.compile(
        rf"(?<!\w)(?P<phrase>{phrases})(?!\w)"
        rf"|(?:(?<=\s)|^)(?P<emoticon>{emoticons})(?=\s|$|[.,!?])"
        r"|(?P<word>[^\W\d_]+(?:'[^\W\d_]+)?)"
        r"|(?P<break>[.!?;,]+|\n)",
        re.IGNORECASE)
    return lexicon, tokenizer


def _tokens(text: str, tokenizer: re.Pattern[str], lexicon: Lexicon, language: str) -> Iterator[_Token]:
    for match in tokenizer.finditer(text):
        kind, original = match.lastgroup or "", match.group()
        token = original.lower()
        if kind == "emoticon":
            yield _Token(kind, token, _EMOTICONS[token])
        elif kind == "phrase":
            yield _Token(kind, token, lexicon.phrases[token])
        elif kind == "break":
            yield _Token(kind, token, 0.0)
        else:
            elided = _ELISION.match(token)
            if elided and token not in lexicon.words:
                if elided["head"] == "n":
                    yield _Token("word", "ne", 0.0)  # n'est, n'arrive: the "ne" of "ne ... pas"
                token = elided["word"]
            token = _known_form(token, language)
            yield _Token(kind, token, lexicon.words.get(token, 0.0), original.isupper() and len(original) > 2)


def _known_form(word: str, language: str) -> str:
    """The lexicon's form of a word in `language`: 'sooo' -> 'so', 'crashing' -> 'crash', 'buenísimo' -> 'bueno'.
    Remembered for words of ordinary length: a few thousand words make most posts, and working a form out was a
    third of the time a post's sentiment took."""
    return _remembered_form(word, language) if len(word) <= LONGEST_REMEMBERED else _form(word, language)


def _form(word: str, language: str) -> str:
    lexicon = _reader(language)[0]

    def known(candidate: str) -> bool:
        return candidate in lexicon.words or candidate in lexicon.expected or candidate in lexicon.intensifiers

    if known(word):
        return word
    for candidate in (_ELONGATED.sub(r"\1\1", word), _ELONGATED.sub(r"\1", word)):
        if known(candidate):
            return candidate
    if superlative := _SUPERLATIVE.match(word):
        for ending in ("o", "a", "e"):
            if known(superlative["stem"] + ending):
                return superlative["stem"] + ending
    for suffix in ("ing", "ed", "es", "s", "ly"):
        if word.endswith(suffix) and len(word) > len(suffix) + 2:
            stem = word[: -len(suffix)]
            for candidate in (stem, stem + "e"):
                if known(candidate):
                    return candidate
    return word


_remembered_form = lru_cache(maxsize=16_384)(_form)


def _symbols(text: str) -> float:
    """Emoji, and words of scripts matched as substrings."""
    score = sum(EMOJI.get(char, 0.0) for char in text)
    return score + sum(SUBSTRINGS[match.group()] for match in _SUBSTRING.finditer(text))
