"""The Source contract: what every social network module provides.

A source turns the network's payloads into neutral `InboundPost`s, pages from a stored
cursor, publishes replies into the social thread or privately, and says how the network
counts text. The core never sees a network's own payloads.
"""
from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from bot.ports import PlatformError


class Recent(OrderedDict):
    """A mapping that forgets its least recently remembered entries beyond `size`: what a source learns about
    accounts or threads as it goes is kept in memory this way, never in a plain dict that grows for as long as the
    process runs."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def remember(self, key: str, value: Any) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)


@dataclass(frozen=True)
class Author:
    handle: str
    name: str = ""
    followers: int | None = None
    # The network's stable id for the account (a DID on Bluesky, the numeric account id elsewhere): the handle is a
    # label that can change, this is not. None where the source cannot know it (the replay file).
    account_id: str | None = None


@dataclass(frozen=True)
class InboundPost:
    network: str
    external_id: str
    author: Author
    text: str
    created_at: datetime
    thread_root_id: str
    kind: str = "mention"  # mention | keyword | reply | quote | direct
    url: str = ""
    reply_to_id: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FeedHealth:
    """How one feed of a source is doing: the mentions, the DMs, one keyword or hashtag search, the watched threads.

    Each feed polls, fails and backs off on its own (`bot/sources/feed_health.py`), so one failing feed never keeps
    the others from being read. `note` says what a person should know about a feed that is not failing (a search the
    server cannot do)."""

    name: str
    last_success_at: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    failing_since: datetime | None = None  # the first error since the last success
    next_try_at: datetime | None = None  # while failing: when it is tried again
    needs_action: bool = False  # a person must act before it can work (a missing scope)
    note: str | None = None

    @property
    def failing(self) -> bool:
        return self.failing_since is not None

    def to_json(self) -> dict[str, Any]:
        return {key: value.isoformat() if isinstance(value, datetime) else value
                for key, value in self.__dict__.items()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FeedHealth:
        times = {"last_success_at", "last_error_at", "failing_since", "next_try_at"}
        return cls(**{key: datetime.fromisoformat(value) if key in times and value else value
                      for key, value in data.items() if key in cls.__dataclass_fields__})


@dataclass(frozen=True)
class Unparsed:
    """An item of a page that is not a post socialdesk can read (a malformed line, a network item of the wrong shape):
    handed on with the reason, so it is set aside in quarantine while the rest of the page is stored."""

    raw: Any  # the item as the network (or the file) gave it: a dict, or the line's text
    reason: str


@dataclass(frozen=True)
class PollResult:
    posts: list[InboundPost]
    cursor: str | None
    has_more: bool = False
    feeds: tuple[FeedHealth, ...] = ()  # each feed's health after this poll, for sources with several feeds
    unparsed: list[Unparsed] = field(default_factory=list)


@dataclass(frozen=True)
class OutboundReply:
    key: str  # idempotency key: the same key is never published twice
    text: str
    in_reply_to: str  # external id of the customer's post
    thread_root_id: str
    customer_handle: str
    private: bool = False  # sent with send_private, not publish_reply
    queued_at: datetime | None = None  # when the agent sent it: find_published ignores older look-alikes

    @property
    def not_before(self) -> datetime:
        """The earliest a post can have been made and still be this reply (allowing for clock skew)."""
        return self.queued_at - CLOCK_SKEW if self.queued_at else datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Published:
    external_id: str
    url: str
    published_at: datetime


CLOCK_SKEW = timedelta(minutes=5)  # between our clock and a network's, when matching a reply by time
RESET_MARGIN = 1.0  # servers count a window's reset to the whole second: wait this far past it
READ_RESERVE = 0.05  # share of a rate-limit window a poll leaves unused, for replies


@dataclass
class Quota:
    """What is left of one rate-limit window (one endpoint or one account)."""

    bucket: str
    limit: int | None
    remaining: int
    reset_at: datetime | None

    def exhausted_for(self, now: datetime, *, write: bool) -> float | None:
        """Seconds to wait before the next call, or None if it may go now."""
        if self.reset_at is None or self.reset_at <= now:
            return None
        keep = 0 if write else math.ceil((self.limit or 0) * READ_RESERVE)
        return (self.reset_at - now).total_seconds() + RESET_MARGIN if self.remaining <= keep else None

    def describe(self, now: datetime) -> str:
        window = f" until {self.reset_at:%H:%M} UTC" if self.reset_at and self.reset_at > now else ""
        of = f" of {self.limit}" if self.limit else ""
        return f"{self.bucket}: {self.remaining}{of} left{window}"


class SourceError(PlatformError):
    """A call to the network failed. `retryable` says whether trying later may help; `needs_action` whether a person
    must act first (fix a token, add credits), by default when it is not retryable: a failing poll that needs action
    is announced to the team at once (bot/ingest/alerts.py)."""

    def __init__(self, message: str, *, retryable: bool = True, retry_after: float | None = None,
                 needs_action: bool | None = None) -> None:
        super().__init__(message, retryable=retryable, retry_after=retry_after)
        self.needs_action = not retryable if needs_action is None else needs_action


class FeedsFailing(SourceError):
    """Every feed of the source is failing: the source as a whole is down (the first feed's error says why)."""

    def __init__(self, message: str, feeds: tuple[FeedHealth, ...], *, retryable: bool, retry_after: float | None,
                 needs_action: bool) -> None:
        super().__init__(message, retryable=retryable, retry_after=retry_after, needs_action=needs_action)
        self.feeds = feeds


class PrivateChannelUnavailable(SourceError):
    def __init__(self, network: str, what_to_do: str = "") -> None:
        message = f"{network} has no private messages socialdesk can send"
        super().__init__(f"{message}; {what_to_do}" if what_to_do else message, retryable=False)


class Source(Protocol):
    name: str
    network: str
    max_length: int
    length_unit: str  # what count_length counts, as the agent is told: "graphemes", "weighted characters"...

    def count_length(self, text: str) -> int:
        """Length of `text` the way the network counts it (X weighs URLs, Bluesky counts graphemes...)."""

    async def verify(self) -> str:
        """One cheap authenticated call (no posts read, nothing billed per post): who socialdesk is signed in as.
        Raises SourceError with what to fix. `socialdesk check` shows the answer."""

    async def poll(self, cursor: str | None) -> PollResult:
        """Posts newer than `cursor`, oldest first, and the cursor to store once they are saved."""

    async def publish_reply(self, reply: OutboundReply) -> Published:
        """Publish `reply` publicly in the customer's thread."""

    async def send_private(self, reply: OutboundReply) -> Published:
        """Send `reply` as a private message; raises PrivateChannelUnavailable where there is none."""

    async def find_published(self, key: str, reply: OutboundReply) -> Published | None:
        """After a crash mid-publish: the reply published under `key`, if any.

        `reply` is what was being published; networks that take no idempotency key find it by
        its parent and text among the brand's recent replies."""

    def quota(self) -> list[Quota]:
        """What the network's rate limits leave, as last seen (empty where it has none)."""

    async def close(self) -> None: ...


@runtime_checkable
class FeedCheck(Protocol):
    """A source whose feeds `socialdesk check` may read once each, because reading costs nothing (Mastodon)."""

    async def check_feeds(self) -> tuple[FeedHealth, ...]:
        """Each feed read once (one item): what fails names what to fix; what the server cannot do has a note."""


@runtime_checkable
class Streaming(Protocol):
    """A source that can also push posts as they happen (Mastodon's streaming API); polling stays its backfill."""

    name: str
    streaming: bool  # configured to stream

    def stream(self) -> AsyncIterator[list[InboundPost]]:
        """Lists of new posts; the first, empty, once connected. Raises SourceError when the stream breaks."""


@runtime_checkable
class Threads(Protocol):
    """A source whose feeds do not announce every follow-up (Bluesky notifies only a reply's nearest ancestors):
    after each poll the poller reads the threads of its open conversations too."""

    name: str

    async def thread_posts(self, root_id: str, author_id: str, since: datetime) -> list[InboundPost]:
        """The posts of account `author_id` in the thread under `root_id` written since `since`, oldest first."""
