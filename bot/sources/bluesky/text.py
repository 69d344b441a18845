"""Bluesky text rules: how long a post is, where its facets are, and the record key of a reply.

A post may have 300 graphemes (user-perceived characters: 👨‍👩‍👧 is one) and 3,000 UTF-8
bytes. Facets (mentions, links, hashtags) are addressed by UTF-8 byte offsets; they are
found with the atproto SDK's port of the official `detectFacets`. A reply's record key is a
TID derived from the outbox key and the installation, so publishing the same reply twice names the same
record, and another installation's reply never does.
"""
from __future__ import annotations

import hashlib
import math
from datetime import UTC, datetime
from urllib.parse import quote

import regex
from atproto_client import models
from atproto_client.utils import detect_facets, detect_mentions

MAX_GRAPHEMES = 300
LENGTH_UNIT = "graphemes"  # what a reader sees as one character: 👨‍👩‍👧 is one
MAX_BYTES = 3000
_GRAPHEME = regex.compile(r"\X")
_BYTES_PER_GRAPHEME = MAX_BYTES / MAX_GRAPHEMES


def count_length(text: str) -> int:
    """Graphemes; a text over 3,000 bytes (emoji-heavy) counts as bytes / 10, so it is over the limit too."""
    graphemes = len(_GRAPHEME.findall(text))
    size = len(text.encode("utf-8"))
    return graphemes if size <= MAX_BYTES else max(graphemes, math.ceil(size / _BYTES_PER_GRAPHEME))


def mention_handles(text: str) -> list[str]:
    """The handles `@name.bsky.social` written in `text`, in order, without duplicates."""
    return list(dict.fromkeys(match.handle.lower() for match in detect_mentions(text)))


def facets(text: str, dids: dict[str, str]) -> list[models.AppBskyRichtextFacet.Main]:
    """Links, hashtags, and the mentions whose handle resolved to a DID (`dids`, lower-case handle -> DID)."""
    found = list(detect_facets(text))
    for match in detect_mentions(text):
        did = dids.get(match.handle.lower())
        if did:
            found.append(models.AppBskyRichtextFacet.Main(
                features=[models.AppBskyRichtextFacet.Mention(did=did)],
                index=models.AppBskyRichtextFacet.ByteSlice(byte_start=match.byte_start, byte_end=match.byte_end),
            ))
    return sorted(found, key=lambda facet: facet.index.byte_start)


# TIDs: 13 characters of base32-sortable, a 53-bit microsecond timestamp then a 10-bit clock id.
_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
_TID_EPOCH = int(datetime(2023, 1, 1, tzinfo=UTC).timestamp() * 1_000_000)
_TID_SPREAD = 1 << 45  # about 407 days of microseconds before _TID_EPOCH


def record_key(key: str, installation: str) -> str:
    """A valid TID for the outbox `key` of this `installation`: always the same for the same pair, distinct for
    different ones, so two installs answering from one brand account (staging and production) never collide.

    The timestamp part lies in 2021-2022, in the past, so it never collides with TIDs the PDS
    hands out for new records and never looks like a post from the future.
    """
    digest = int.from_bytes(hashlib.sha256(f"{installation}\n{key}".encode()).digest()[:8], "big")
    timestamp = _TID_EPOCH - 1 - (digest >> 10) % _TID_SPREAD
    value = (timestamp << 10) | (digest & 0x3FF)
    return "".join(_TID_ALPHABET[(value >> shift) & 31] for shift in range(60, -1, -5))


def post_url(author: str, uri: str) -> str:
    """https://bsky.app/profile/<handle or DID>/post/<rkey> for at://<did>/app.bsky.feed.post/<rkey>."""
    return f"https://bsky.app/profile/{quote(author, safe=':.')}/post/{uri.rsplit('/', 1)[-1]}"
