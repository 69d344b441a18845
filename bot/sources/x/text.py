"""How X counts a post's length: twitter-text's weighted length, configuration v3.

Text is NFC-normalised. Every URL counts as 23 (X wraps it in a t.co link), every emoji,
however many code points it is made of (skin tones, ZWJ families, flags, keycaps), counts
as 2, code points in the light ranges (Latin, punctuation, most scripts below U+1100)
count as 1, and everything else (CJK, most symbols) as 2; a post may weigh 280.

This follows twitter-text (github.com/twitter/twitter-text, config/v3.json and
js/src/parseTweet.js). We do not use a port of it from PyPI: the one there
(twitter-text-parser 3.0) needs `pkg_resources`, which current setuptools no longer ships,
and knows emoji only up to 2019, so newer ZWJ sequences count as 8 instead of 2. Emoji
come from the `emoji` package (kept current with Unicode), top-level domains from the
Public Suffix List the `tld` package ships.
"""
from __future__ import annotations

import re
import unicodedata
from functools import cache
from importlib import resources

import emoji

MAX_WEIGHTED_LENGTH = 280
LENGTH_UNIT = "weighted characters"  # a link counts 23, most emoji and CJK characters 2
URL_LENGTH = 23
_SCALE = 100
_DEFAULT_WEIGHT = 200
_LIGHT_RANGES = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))  # weight 100, the rest 200
_MAX_URL_LENGTH = 4096
_MAX_TCO_SLUG = 40
_MAX_LABEL = 63


def weighted_length(text: str) -> int:
    """The length X checks against its limit (280 for most accounts)."""
    text = unicodedata.normalize("NFC", text)
    entities = {start: (end, URL_LENGTH * _SCALE) for start, end in url_spans(text)}
    for found in emoji.emoji_list(text):
        if found["match_end"] - found["match_start"] > 1:  # a lone code point weighs what its range says
            entities.setdefault(found["match_start"], (found["match_end"], _DEFAULT_WEIGHT))
    weight, index = 0, 0
    while index < len(text):
        if index in entities:
            index, entity_weight = entities[index]
            weight += entity_weight
        else:
            weight += _code_point_weight(ord(text[index]))
            index += 1
    return weight // _SCALE


def _code_point_weight(code_point: int) -> int:
    return 100 if any(low <= code_point <= high for low, high in _LIGHT_RANGES) else _DEFAULT_WEIGHT


def url_spans(text: str) -> tuple[tuple[int, int], ...]:
    """(start, end) of every URL X would link in `text`, with or without `https://`."""
    found: list[tuple[int, int]] = []
    for match in _patterns().url.finditer(text):
        before, url, protocol, domain, path = match.group(1, 2, 3, 4, 6)
        start = match.start(2)
        if not _valid_domain(domain) or len(protocol or "https://") + len(url) > _MAX_URL_LENGTH:
            continue
        if protocol:
            tco = _patterns().tco.match(url)
            if tco and len(tco.group(1)) > _MAX_TCO_SLUG:
                continue
            found.append((start, start + (len(tco.group(0)) if tco else len(url))))
            continue
        if re.search(r"[-_./]$", before):
            continue
        ascii_domains = [(start + m.start(), start + m.end()) for m in _patterns().ascii_domain.finditer(domain)]
        if ascii_domains and path:
            ascii_domains[-1] = (ascii_domains[-1][0], match.end(2))
        found += ascii_domains
    return tuple(found)


def _valid_domain(domain: str) -> bool:
    """twitter-text's idna.toAscii: every label, punycode-encoded, is 1 to 63 characters long."""
    if domain[:4].lower() == "xn--" and not _patterns().ascii_domain.search(domain):
        return False
    for label in domain.split("."):
        encoded = label if label.isascii() else "xn--" + label.encode("punycode").decode("ascii")
        if not 1 <= len(encoded) <= _MAX_LABEL:
            return False
    return True


class _Patterns:
    """twitter-text's URL regular expressions (js/src/regexp/), built once on first use."""

    def __init__(self, tlds: list[str]) -> None:
        punct = r"!'#%&()*+,\\\-./:;<=>?@\[\]^_{|}~$"
        spaces = "\x09-\x0d\x20\x85\xa0\u1680\u180e\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
        invalid = "\ufffe\ufeff\uffff"
        directional = "\u202a-\u202e\u061c\u200e\u200f\u2066-\u2069"
        accents = ("\xc0-\xd6\xd8-\xf6\xf8-\xff\u0100-\u024f\u0253\u0254\u0256\u0257\u0259\u025b\u0263\u0268"
                   "\u026f\u0272\u0289\u028b\u02bb\u0300-\u036f\u1e00-\u1eff")
        cyrillic = "\u0400-\u04ff"
        char = f"[^{punct}{spaces}{invalid}{directional}]"
        # twitter-text leaves labels and label counts unbounded, which backtracks for minutes on "a.a.a.…".
        # We bound a label to 63 characters as DNS does, and a domain to 32 labels (DNS allows 127; no real
        # one comes near 32), which keeps matching linear: 10,000 hostile characters take about 0.1 s.
        subdomain = rf"(?:(?:{char}(?:[_-]|{char}){{0,61}})?{char}\.)"
        domain_name = rf"(?:(?:{char}(?:-|{char}){{0,61}})?{char}\.)"
        tld = f"(?:{_alternation(tlds)}(?=[^0-9a-z@+-]|$))"
        punycode = r"(?:xn--[-0-9a-z]+)"
        domain = f"(?:{subdomain}{{0,30}}{domain_name}(?:{tld}|{punycode}))"
        path_char = rf"[a-z{cyrillic}0-9!*';:=+,.$/%#\[\]\-\u2013_~@|&{accents}]"
        parens = rf"\((?:{path_char}+|(?:{path_char}*\({path_char}+\){path_char}*))\)"
        path_end = rf"(?:[+\-a-z{cyrillic}0-9=_#/{accents}]|(?:{parens}))"
        path = rf"(?:(?:{path_char}*(?:{parens}{path_char}*)*{path_end})|(?:@{path_char}+/))"
        query, query_end = r"[a-z0-9!?*'@();:&=+$/%#\[\]\-_.,~|]", r"[a-z0-9\-_&=#/]"
        preceding = rf"(?:[^a-z0-9@＠$#＃{invalid}]|[{directional}]|^)"
        self.url = re.compile(
            rf"({preceding})((https?://)?({domain})(?::([0-9]+))?(/{path}*)?(\?{query}*{query_end})?)", re.I)
        self.ascii_domain = re.compile(rf"(?:(?:[\-a-z0-9{accents}]+)\.)+(?:{tld}|{punycode})", re.I)
        self.tco = re.compile(rf"^https?://t\.co/([a-z0-9]+)(?:\?{query}*{query_end})?", re.I)


def _alternation(words: list[str]) -> str:
    """A regular expression matching any of `words`, factored by prefix: linear time, unlike a flat a|b|c of 1,400."""
    trie: dict = {}
    for word in words:
        node = trie
        for char in word.lower():
            node = node.setdefault(char, {})
        node[""] = {}

    def pattern(node: dict) -> str:
        branches = [re.escape(char) + pattern(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        group = branches[0] if len(branches) == 1 and len(branches[0]) == 1 else f"(?:{'|'.join(branches)})"
        return f"{group}?" if "" in node else group

    return f"(?:{pattern(trie)})"


@cache
def _patterns() -> _Patterns:
    return _Patterns(_top_level_domains())


def _top_level_domains() -> list[str]:
    """The ICANN top-level domains of the Public Suffix List bundled with the `tld` package."""
    listing = (resources.files("tld") / "res" / "effective_tld_names.dat.txt").read_text(encoding="utf-8")
    icann = listing.split("===BEGIN ICANN DOMAINS===", 1)[1].split("===END ICANN DOMAINS===", 1)[0]
    entries = (line.strip() for line in icann.splitlines())
    return sorted({entry.rsplit(".", 1)[-1] for entry in entries if entry and not entry.startswith("//")})
