"""Text from the internet made to fit a chat field: cut by graphemes, bidi controls out, URLs rebuilt or dropped.

Both platforms' renderers use these. A field's limit is met *by construction*: `fit` measures the
rendered string (after escaping, quoting, prefixes and the "cut" tail), never the raw text, and cuts
between graphemes (`regex`'s \\X), so an emoji sequence, a combining mark or a Thai cluster is never
split. A long post keeps a readable head: cut at a space when one is near the end, else between
graphemes (one long word, 700 emoji, CJK), and the tail says how much was cut.
"""
from __future__ import annotations

import ipaddress
from collections.abc import Callable
from urllib.parse import quote, urlsplit, urlunsplit

import regex

from bot.wording import clean, graphemes

WORD_ROOM = 0.8  # cut at a space only when the head keeps at least 80 % of what fits
URL_LIMIT = 2000  # long enough for any real post URL; longer ones are dropped (the platforms refuse them)
_SAFE_PATH = "/:@!$&'*+,;=-._~%"
_SAFE_QUERY = _SAFE_PATH + "?"


def one_line(text: str) -> str:
    """One line of plain text (thread names, author names): controls out, runs of white space as one space."""
    return " ".join(clean(text).split())


def fit(text: str, limit: int, render: Callable[[str, int], str]) -> str:
    """The longest `render(head, cut)` within `limit` characters, `head` a grapheme-whole head of `text` and `cut`
    the number of characters left out (0 when it is all there). `render` escapes, quotes and adds the tail.

    The head ends at a space when one lies in its last fifth, so words stay whole where there are words."""
    whole = render(text, 0)
    if len(whole) <= limit:
        return whole
    pieces = graphemes(text)
    low, high = 0, len(pieces) - 1  # the answer lies in [low, high]: the whole text does not fit
    while low < high:
        middle = (low + high + 1) // 2
        if len(render("".join(pieces[:middle]), len(text) - len("".join(pieces[:middle])))) <= limit:
            low = middle
        else:
            high = middle - 1
    head = "".join(pieces[:low])
    space = max(head.rfind(" "), head.rfind("\n"))
    if space >= len(head) * WORD_ROOM:
        head = head[:space]
    head = head.rstrip()
    rendered = render(head, len(text) - len(head))
    if len(rendered) > limit:  # a render that is not monotone: give up on the text rather than the field
        rendered = render("", len(text))[:limit]
    return rendered


def web_url(url: str | None, limit: int = URL_LIMIT) -> str | None:
    """An http(s) URL from the internet parsed and rebuilt so every platform accepts it, or None.

    The host must be a valid DNS name (IDNA-encoded) or IP address; path, query and fragment are
    percent-encoded (spaces, controls, brackets, parentheses, pipes and angle brackets included),
    user info is dropped. A URL longer than `limit` after that is dropped."""
    if not url or not isinstance(url, str):
        return None
    try:
        parts = urlsplit(url.strip())
        host, port = parts.hostname, parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    host = _host(host)
    if host is None:
        return None
    netloc = f"{host}:{port}" if port else host
    rebuilt = urlunsplit((parts.scheme.lower(), netloc, quote(parts.path, safe=_SAFE_PATH) or "/",
                          quote(parts.query, safe=_SAFE_QUERY), quote(parts.fragment, safe=_SAFE_QUERY)))
    return rebuilt if len(rebuilt) <= limit else None


def _host(host: str) -> str | None:
    try:
        address = ipaddress.ip_address(host)
        return f"[{address}]" if address.version == 6 else str(address)
    except ValueError:
        pass
    try:
        ascii_host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return None
    labels = ascii_host.rstrip(".").split(".")
    if not labels or not all(regex.fullmatch(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?", label) for label in labels):
        return None
    return ascii_host


def how_much(characters: int) -> str:
    """'1 more character', '2,345 more characters'."""
    return f"{characters:,} more character" + ("" if characters == 1 else "s")
