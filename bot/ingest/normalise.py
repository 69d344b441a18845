"""A post's values made storable before the pipeline sees them, so SQLite and PostgreSQL accept the same posts.

PostgreSQL refuses what SQLite lets through (a NUL character in text, a name over its column's 255 characters, a
word in an integer column), and both refuse integers past 64 bits; a year-0001 timestamp overflows the SLA's
business-time arithmetic. Here NULs and unencodable surrogates are removed, names are capped, follower counts
bounded, and a timestamp no network can have made is replaced by the time socialdesk read the post, with the value
given kept in `raw` under `CLAMPED` so nothing is lost. What cannot be made storable without changing which post it
is (an id over 255 characters) raises `NotStorable`, and the post goes to quarantine.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.sources.base import Author, InboundPost

NAME_MAX = 255  # Customer.handle and Customer.display_name
ID_MAX = 255  # Post.external_id, thread_root_id, reply_to_id
NETWORK_MAX, KIND_MAX, URL_MAX = 32, 16, 2048
FOLLOWERS_MAX = 2**31 - 1  # Customer.followers is a PostgreSQL integer
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)  # before any social network
AHEAD = timedelta(days=1)  # a network's clock may run ahead of ours, not by days
CLAMPED = "socialdesk_clamped"  # in `raw`: the timestamp the network gave, where it was replaced


class NotStorable(ValueError):
    """A post that cannot be stored as it is, and must not be changed to fit: it goes to quarantine."""


def normalised(post: InboundPost, now: datetime) -> InboundPost:
    """`post` with every value in the range both databases and the SLA arithmetic accept."""
    handle = _clean(post.author.handle)[:NAME_MAX]
    if not handle:
        raise NotStorable("the author has no handle")
    author = Author(handle=handle, name=_clean(post.author.name)[:NAME_MAX], followers=_followers(post.author.followers),
                    account_id=_clean(post.author.account_id)[:NAME_MAX] or None)
    raw = post.raw if isinstance(post.raw, dict) else {"value": post.raw}
    created_at = post.created_at
    if not isinstance(created_at, datetime):
        raise NotStorable(f"created_at is not a time: {created_at!r:.80}")
    if created_at.tzinfo is None:
        created_at = created_at.replace(tzinfo=UTC)
    if not EARLIEST <= created_at <= now + AHEAD:
        raw = {**raw, CLAMPED: {"created_at": created_at.isoformat()}}
        created_at = now
    return replace(
        post,
        network=_bounded_id(post.network, "network", NETWORK_MAX),
        external_id=_bounded_id(post.external_id, "id", ID_MAX),
        author=author,
        text=_clean(post.text),
        created_at=created_at,
        thread_root_id=_bounded_id(post.thread_root_id, "thread root", ID_MAX),
        kind=_clean(post.kind)[:KIND_MAX] or "mention",
        url=_clean(post.url)[:URL_MAX],
        reply_to_id=_bounded_id(post.reply_to_id, "reply_to", ID_MAX) if post.reply_to_id is not None else None,
        raw=raw,
    )


def enrichment_input(post: InboundPost) -> tuple[str, int | None]:
    """What enrichment reads of `post` (its text and its author's followers), as `normalised` leaves them."""
    return _clean(post.text), _followers(post.author.followers)


def _clean(value: Any) -> str:
    """Text without NUL characters or lone surrogates (which no database encoding takes)."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if "\x00" in text:
        text = text.replace("\x00", "")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text


def _bounded_id(value: Any, what: str, limit: int) -> str:
    text = _clean(value)
    if not text:
        raise NotStorable(f"the post's {what} is empty")
    if len(text) > limit:
        raise NotStorable(f"the post's {what} is {len(text)} characters long; socialdesk stores at most {limit}")
    return text


def _followers(value: Any) -> int | None:
    """A follower count in 0..FOLLOWERS_MAX, from an integer or a string of digits; anything else counts as unknown."""
    if isinstance(value, str):
        digits = value.strip()
        if not (digits.isascii() and digits.isdigit()):
            return None
        value = int(digits) if len(digits) <= 19 else FOLLOWERS_MAX
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return min(max(value, 0), FOLLOWERS_MAX)
