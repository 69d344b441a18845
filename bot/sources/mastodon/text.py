"""Mastodon text: status HTML to plain text, and the instance's way of counting a status.

Servers other than Mastodon count otherwise: `status_length` takes the strictest rule.

Mastodon's StatusLengthValidator counts extended grapheme clusters after rewriting every
http(s) link to 23 characters (the instance's `characters_reserved_per_url`) and every
mention `@user@domain` to `@user`. Links are found the way twitter-text finds them (a scheme
after a space or punctuation, a host with a dot, trailing punctuation left out, at most
4,096 characters), mentions with Mastodon's own MENTION_RE (a domain of at most 253).
"""
from __future__ import annotations

from html.parser import HTMLParser

import regex

URL_LENGTH = 23
LENGTH_UNIT = "characters"  # graphemes, a link as 23, a mention without its domain
MAX_URL_LENGTH = 4096  # twitter-text does not extract longer links: they count in full
MAX_DOMAIN_LENGTH = 253  # Mastodon's Extractor: a longer domain is not a mention
# Labels are bounded as DNS bounds them (63 characters, 127 of them): unbounded, "https://a.a.a.…"
# backtracked quadratically.
_URL = regex.compile(
    r"(?<![\p{L}\p{N}@＠$#＃])https?://(?:[\p{L}\p{N}_-]{1,63}\.){1,127}[\p{L}\p{N}-]{2,63}(?::\d{1,5})?(?:[/?#][^\s<>\"]*)?",
    regex.IGNORECASE,
)
_URL_TRAILING = ".,:;!?'\"*"
# Account::MENTION_RE, and twitter-text's end_mention_match: a mention is not followed by @, an accent or ://
_MENTION = regex.compile(r"(?<![=/\w])@([a-z0-9_]+(?:[.-]+[a-z0-9_]+)*)(?:@(\w+(?:[.-]+\w+)*))?", regex.IGNORECASE)
_NOT_MENTION_AFTER = regex.compile(r"[@＠\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u0300-\u036f\u1e00-\u1eff]|://")
_GRAPHEME = regex.compile(r"\X")


def _urls(text: str) -> list[tuple[int, int]]:
    spans = []
    for match in _URL.finditer(text):
        url = match.group()
        while url and (url[-1] in _URL_TRAILING or (url[-1] == ")" and url.count("(") < url.count(")"))):
            url = url[:-1]
        if len(url) <= MAX_URL_LENGTH:
            spans.append((match.start(), match.start() + len(url)))
    return spans


def _mentions(text: str) -> list[tuple[int, int, str]]:
    """(start, end, username) of every mention, as Mastodon's extractor finds them."""
    return [(m.start(), m.end(), m.group(1)) for m in _MENTION.finditer(text)
            if not _NOT_MENTION_AFTER.match(text, m.end()) and len(m.group(2) or "") <= MAX_DOMAIN_LENGTH]


def countable_length(text: str, *, url_length: int = URL_LENGTH) -> int:
    """The length Mastodon checks against `max_characters` for a status with this text."""
    entities = sorted([(start, end, "x" * url_length) for start, end in _urls(text)]
                      + [(start, end, "@" + user) for start, end, user in _mentions(text)])
    parts, position = [], 0
    for start, end, replacement in entities:
        if start < position:
            continue  # overlaps an entity already rewritten (a mention inside a link)
        parts += [text[position:start], replacement]
        position = end
    parts.append(text[position:])
    return len(_GRAPHEME.findall("".join(parts)))


def status_length(text: str, *, url_length: int, counts_like_mastodon: bool) -> int:
    """The length to hold against the instance's `max_characters`: Mastodon's count where the server is known to count
    its way, else the stricter of that and every code point (GoToSocial counts `len([]rune(status))`, whole links,
    whole `@user@domain`, each code point of an emoji sequence, whatever `characters_reserved_per_url` says)."""
    counted = countable_length(text, url_length=url_length)
    return counted if counts_like_mastodon else max(counted, len(text))


def mentions_of(text: str) -> set[str]:
    """Every handle mentioned in `text`, lower-cased and without the leading @ (`user` or `user@domain`)."""
    return {text[start + 1:end].casefold() for start, end, _ in _mentions(text)}


def comparable(text: str) -> str:
    """`text` without mentions, whitespace collapsed and case folded: how a reply is recognised again.

    Mastodon renders `@user@domain` as `@user` in the HTML it returns, so mentions are left out.
    """
    return " ".join(_MENTION.sub(" ", text).split()).casefold()


class _PlainText(HTMLParser):
    """Mastodon's sanitized status HTML (p, br, a, span) to text; the hidden `RE:` line of a quote is dropped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden_depth = 0
        self._paragraphs = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._hidden_depth:
            if tag != "br":
                self._hidden_depth += 1
            return
        classes = (dict(attrs).get("class") or "").split()
        if tag == "p" and "quote-inline" in classes:
            self._hidden_depth = 1
        elif tag == "p":
            if self._paragraphs:
                self.parts.append("\n\n")
            self._paragraphs += 1
        elif tag == "br":
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if self._hidden_depth and tag != "br":
            self._hidden_depth -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden_depth:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _PlainText()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts).strip()
