"""Which posts a source keeps: not the brand's own, not excluded, and for searches a real hit.

Text is compared after NFKC normalisation, case folding and removal of zero-width
characters, so "ＡＣＭＥ", "A\u200bcme" and "acme" are the same word. Keywords match whole
words ("acme" does not match "acmeville"); a hashtag keyword matches only the hashtag.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff\u00ad]")


def normalise(text: str) -> str:
    return _INVISIBLE.sub("", unicodedata.normalize("NFKC", text)).casefold()


def normalise_handle(handle: str) -> str:
    """'@Acme', 'acme@mastodon.social', 'u/acme', 'acme.bsky.social' -> comparable forms."""
    return normalise(handle.strip()).removeprefix("@").removeprefix("/").removeprefix("u/")


def _phrase(keyword: str) -> re.Pattern[str]:
    word = re.escape(normalise(keyword.strip()))
    return re.compile(rf"(?<![\w#@]){word}(?!\w)" if not keyword.startswith("#") else rf"{word}(?!\w)")


class PostFilter:
    def __init__(self, handles: Iterable[str], keywords: Iterable[str] = (),
                 exclude_words: Iterable[str] = (), exclude_accounts: Iterable[str] = ()) -> None:
        self.own = {normalise_handle(h) for h in handles if h.strip()}
        self.keywords = [_phrase(k) for k in keywords if k.strip()]
        self.exclude_words = [_phrase(w) for w in exclude_words if w.strip()]
        self.excluded_accounts = {normalise_handle(a) for a in exclude_accounts if a.strip()}

    def is_own(self, handle: str) -> bool:
        """The brand's own account. Sources pass fediverse handles in full (`user@domain`)."""
        return normalise_handle(handle) in self.own

    def keyword_hit(self, text: str) -> bool:
        text = normalise(text)
        return any(pattern.search(text) for pattern in self.keywords)

    def keep(self, handle: str, text: str) -> bool:
        """False for the brand's own posts, excluded accounts and posts with an excluded word."""
        if self.is_own(handle) or normalise_handle(handle) in self.excluded_accounts:
            return False
        text = normalise(text)
        return not any(pattern.search(text) for pattern in self.exclude_words)
