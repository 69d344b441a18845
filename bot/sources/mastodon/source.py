"""`mastodon`: a Mastodon account as a socialdesk source; GoToSocial, Takahē, Pleroma and Akkoma too.

httpx through the shared `ApiClient`, not Mastodon.py: Mastodon.py is synchronous (every
call would need a thread), sleeps or raises its own errors on rate limits, and probes the
server's version (`/api/v1/instance/`, which compatible servers may answer with 404). The
shared client is async, reads `X-RateLimit-*` with its ISO reset time into the quota that
`/desk status` shows, and turns 429 / 5xx / timeouts / malformed JSON / plain-text 400s
into `SourceError`s; `client.py` adds typed entities on top.

Reads, with per-feed cursors (`feeds.py`): notifications of type `mention` and `quote`
(mentions, replies to the brand, and direct-visibility mentions = DMs, including those the
notification policy filtered), each `#hashtag` keyword's tag timeline, full-text search for
the other keywords (only where the instance has it: not on GoToSocial), and replies in
threads the brand posted in. Each feed polls, fails and backs off on its own. A status's
conversation is its thread root: the status itself, the root its parent is known to have, or
the first ancestor of its context. Boosts never show up in these feeds (Mastodon indexes and
tags only original statuses), so `include_reposts` changes nothing here.

Publishes a status with `in_reply_to_id`, the customer's `@user@domain` in front (so they
are notified), the original's visibility, and the outbox key as `Idempotency-Key`; a
private handoff is a direct-visibility status; `content_type=text/plain` on servers that
would otherwise render the account's default Markdown. Mastodon keeps idempotency keys for an
hour and GoToSocial ignores them, so after a crash the brand's recent statuses are searched for
a reply to that post with the same text as it was posted (`/statuses/:id/source`, which no
rendering changes), and that one is returned instead.
"""
from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from functools import partial
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import field_validator

from bot.clock import Clock
from bot.settings import Duration
from bot.sources.base import (
    Author,
    FeedHealth,
    InboundPost,
    OutboundReply,
    PollResult,
    Published,
    Quota,
    Recent,
    SourceError,
    Unparsed,
)
from bot.sources.feed_health import FeedTracker
from bot.sources.filters import PostFilter
from bot.sources.http import CredentialsRejected, NotFound
from bot.sources.mastodon.client import (
    SCOPES,
    Account,
    Instance,
    MastodonApi,
    MastodonClient,
    MissingScope,
    Notification,
    Status,
)
from bot.sources.mastodon.feeds import Found, IdFeed, SearchFeed, ThreadsFeed
from bot.sources.mastodon.stream import stream_posts
from bot.sources.mastodon.text import LENGTH_UNIT, comparable, html_to_text, mentions_of, status_length
from bot.sources.options import NetworkOptions, SourceContext

log = logging.getLogger(__name__)
NETWORK = "mastodon"
MENTION_ROOM = len("@") + 30 + len(" ")  # the @mention put in front: Mastodon counts `@user`, a username is ≤ 30
FULL_MENTION_ROOM = MENTION_ROOM + len("@") + 40  # where `@user@domain` counts whole (few domains are longer than 40)
PLAIN_TEXT = {"gotosocial", "akkoma", "pleroma"}  # servers that take `content_type=text/plain` for a status
NO_KEYWORD_SEARCH = {  # servers whose status search cannot find a keyword in other people's posts
    "gotosocial": "GoToSocial searches only the brand's own posts and the replies to them "
                  "(db/bundb/search.go), so keyword search is not available there; follow it as a #hashtag instead",
}
NOTIFICATION_PAGE, STATUS_PAGE = 80, 40  # Mastodon's largest pages


class MastodonOptions(NetworkOptions):
    base_url: str  # the instance, e.g. https://mastodon.social
    watch_threads: Literal[False] | Duration = timedelta(days=2)  # replies in threads the brand posted in this recently
    stream: bool = True  # follow the streaming API for mentions and #hashtags (stream.py); polling stays the backfill
    streaming_url: str | None = None  # where the streaming API is, when not on base_url (the instance's urls.streaming)

    @field_validator("base_url")
    @classmethod
    def _an_instance(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")) or not urlsplit(value).netloc:
            raise ValueError("expected the instance's address, like https://mastodon.social")
        return value.rstrip("/")


def build(context: SourceContext) -> MastodonSource:
    options = context.parse(MastodonOptions)
    variable = f"{(options.credentials or context.type).upper()}_ACCESS_TOKEN"
    return MastodonSource(context.name, options, token=context.secret(options, "access_token"),
                          handles=context.handles(options), keywords=context.keywords(options),
                          clock=context.clock, token_variable=variable)


class MastodonSource:
    network = NETWORK
    length_unit = LENGTH_UNIT

    def __init__(self, name: str, options: MastodonOptions, *, token: str, handles: list[str], keywords: list[str],
                 clock: Clock, token_variable: str = "MASTODON_ACCESS_TOKEN") -> None:
        self.name = name
        self.options = options
        self.clock = clock
        self.handles, self.keywords = handles, keywords
        self.host = urlsplit(options.base_url).netloc
        self._headers = {"Authorization": f"Bearer {token}", "User-Agent": "socialdesk"}
        self.client = MastodonClient(
            "Mastodon", options.base_url, timeout=options.timeout.total_seconds(), clock=clock,
            headers=self._headers,
            credential_hint=f"check {token_variable} in .env: an access token from Preferences → Development "
                            f"on {self.host} with the scopes {SCOPES}",
        )
        self.api = MastodonApi(self.client)
        self.instance = Instance(self.host)
        self._me: Account | None = None
        self._filter = PostFilter([])
        self._feeds: dict[str, Any] = {}
        self._unavailable: dict[str, str] = {}  # feed -> why this instance cannot read it (a keyword search)
        self.feed_health = FeedTracker(clock)
        self._roots = Recent(10_000)  # status id -> thread root
        self._starting = asyncio.Lock()

    # --- counting ------------------------------------------------------------------------

    @property
    def max_length(self) -> int:
        return self.instance.max_characters

    def count_length(self, text: str) -> int:
        """The instance's count of the status as posted, the customer's @mention in front included (at its longest);
        publishing checks again with the customer's own handle."""
        room = MENTION_ROOM if self.instance.counts_like_mastodon else FULL_MENTION_ROOM
        return self._length(text) + room

    def _length(self, text: str) -> int:
        return status_length(text, url_length=self.instance.characters_reserved_per_url,
                             counts_like_mastodon=self.instance.counts_like_mastodon)

    # --- reading -------------------------------------------------------------------------

    async def verify(self) -> str:
        me = await self._ready()
        return (f"signed in as @{self._full(me.acct)} on {self.instance.name}; replies up to {self.max_length} "
                "characters")

    async def check_feeds(self) -> tuple[FeedHealth, ...]:
        """Each feed read once, one item (reads cost nothing here): what fails says what to fix."""
        await self._ready()
        found = []
        for name, feed in self._feeds.items():
            if name in self._unavailable:
                found.append(FeedHealth(name, note=self._unavailable[name]))
                continue
            try:
                await feed.probe()
                found.append(FeedHealth(name, last_success_at=self.clock.now()))
            except SourceError as error:
                now = self.clock.now()
                found.append(FeedHealth(name, last_error=str(error), last_error_at=now, failing_since=now,
                                        needs_action=error.needs_action))
        return tuple(found)

    async def _ready(self) -> Account:
        """Who the brand is and what the instance allows; asked once, on the first poll or publish."""
        async with self._starting:
            if self._me is None:
                me = await self.api.verify_credentials()
                self.instance = await self.api.instance(self.host)
                own = [*self.handles, me.acct]
                self._filter = PostFilter([self._full(h) for h in own], self.keywords, self.options.exclude_words,
                                          [self._full(a) for a in self.options.exclude_accounts])
                self._feeds = self._make_feeds(me)
                if why := NO_KEYWORD_SEARCH.get(self.instance.software):
                    self._unavailable |= {name: why for name in self._feeds if name.startswith("search:")}
                self._me = me
        return self._me

    def _full(self, acct: str) -> str:
        """`user@domain` for every account: local ones get the instance's domain, so one person is one customer."""
        user, _, domain = acct.strip().removeprefix("@").partition("@")
        return f"{user}@{(domain or self.instance.domain).lower()}"

    def _make_feeds(self, me: Account) -> dict[str, Any]:
        size = self.options.page_size
        feeds: dict[str, Any] = {"mentions": IdFeed(partial(self.api.notifications, types=["mention", "quote"]),
                                                    partial(self._mention, me), min(size, NOTIFICATION_PAGE))}
        if self.options.watch_threads:
            feeds["threads"] = ThreadsFeed(self.api, me.id, self.options.watch_threads, self.clock.now, STATUS_PAGE)
        for keyword in (k.strip() for k in self.keywords):
            if keyword.startswith("#") and keyword[1:]:
                feeds[f"tag:{keyword[1:].casefold()}"] = IdFeed(partial(self.api.tag_timeline, keyword[1:]),
                                                                _keyword, min(size, STATUS_PAGE))
            elif keyword:
                feeds[f"search:{keyword.casefold()}"] = SearchFeed(self.api, keyword, min(size, STATUS_PAGE))
        return feeds

    @staticmethod
    def _mention(me: Account, notification: Notification, raw: dict[str, Any]) -> Found | None:
        status = notification.status
        if notification.type not in ("mention", "quote"):
            return None  # a server that ignores types[]
        if status is None:
            log.info("mastodon: notification %s has no status (deleted); skipped", notification.id)
            return None
        kind = "quote" if notification.type == "quote" else (
            "reply" if status.in_reply_to_account_id == me.id else "mention")
        return Found(status, raw["status"], kind)

    async def poll(self, cursor: str | None) -> PollResult:
        """Every feed that is due, each on its own: one that fails waits out its backoff while the others are read
        (bot/sources/feed_health.py); the poll fails only when every feed does."""
        await self._ready()
        feeds = {name: feed for name, feed in self._feeds.items() if name not in self._unavailable}
        health = self.feed_health
        state = {name: part for name, part in _load_cursor(cursor).items() if name in feeds}
        mid_round = any(part.get("more") for name, part in state.items() if health.due(name))
        cutoff = self.clock.now() - self.options.backfill
        found: list[Found] = []
        unparsed: list[Unparsed] = []
        for name, feed in feeds.items():
            if not health.due(name) or (mid_round and not state.get(name, {}).get("more")):
                continue
            try:
                step = await feed.advance(state.get(name, {}), cutoff)
            except SourceError as error:
                self._feed_failed(name, error)
                if name in self._unavailable:
                    state.pop(name, None)
                continue
            health.succeeded(name)
            state[name] = {**step.state, "more": True} if step.more else step.state
            for status_id, root in step.roots.items():
                self._roots.remember(status_id, root)
            found += step.found
            unparsed += step.unparsed
        health.raise_if_all_failing(list(feeds))
        posts = await self._posts(found)
        more = any(part.get("more") for name, part in state.items() if health.due(name))
        return PollResult(posts, json.dumps({"v": 1, "feeds": state}), has_more=more,
                          feeds=self._feed_report(), unparsed=unparsed)

    def _feed_failed(self, name: str, error: SourceError) -> None:
        """A search the instance refuses for good (not for the token's sake) is not asked again; any other failure
        waits out its backoff."""
        if name.startswith("search:") and not isinstance(error, MissingScope | CredentialsRejected) and not error.retryable:
            self._unavailable[name] = f"keyword search is not available on {self.host} ({error})"
            log.warning("mastodon %s: keyword search for %r is not available on %s (%s); the other feeds still work",
                        self.name, name.removeprefix("search:"), self.host, error)
            return
        self.feed_health.failed(name, error)
        log.warning("mastodon %s: feed %s failed (%s); the other feeds go on", self.name, name, error)

    def _feed_report(self) -> tuple[FeedHealth, ...]:
        for name, why in self._unavailable.items():
            self.feed_health.note(name, why)
        return self.feed_health.report(list(self._feeds))

    async def _posts(self, found: list[Found]) -> list[InboundPost]:
        """One post per status (a mention that is also a keyword hit comes once, as the mention), oldest first."""
        posts, seen = [], set()
        for item in found:
            if item.status.id in seen:
                continue
            seen.add(item.status.id)
            try:
                post = await self._post(item)
            except NotFound:
                log.info("mastodon: status %s was deleted while it was read; skipped", item.status.id)
                continue
            if post is not None:
                posts.append(post)
        return sorted(posts, key=lambda post: post.created_at)

    async def _post(self, item: Found) -> InboundPost | None:
        status, me = item.status, self._me
        handle, text = self._full(status.account.acct), _text(status)
        if status.account.id == me.id or not self._filter.keep(handle, text):
            return None
        if item.kind == "keyword" and not self._filter.keyword_hit(text):
            return None  # search is fuzzy: keep real whole-word hits only
        direct = status.visibility == "direct"
        if direct and not self.options.direct_messages:
            return None
        return InboundPost(
            network=NETWORK, external_id=status.id,
            author=Author(handle, status.account.display_name or status.account.username, status.account.followers_count,
                          account_id=f"{self.host}:{status.account.id}"),
            text=text, created_at=status.created_at, thread_root_id=item.root or await self._root(status),
            kind="direct" if direct else item.kind, url=status.url or status.uri,
            reply_to_id=status.in_reply_to_id, raw=item.raw,
        )

    async def _root(self, status: Status) -> str:
        """The thread root: known for the parent, else the first ancestor in the status's context."""
        parent = status.in_reply_to_id
        if parent is None:
            return status.id
        if parent in self._roots:
            return self._roots[parent]
        thread = await self.api.context(status.id)
        root = thread.ancestors[0][0].id if thread.ancestors else parent  # an ancestor out of sight: the parent
        for ancestor, _ in thread.ancestors:
            self._roots.remember(ancestor.id, root)
        self._roots.remember(status.id, root)
        return root

    @property
    def streaming(self) -> bool:
        return self.options.stream

    def stream(self) -> AsyncIterator[list[InboundPost]]:
        """Mentions and #hashtag posts as they happen (stream.py); polling reads the rest and fills any gap."""
        tags = [k.strip()[1:] for k in self.keywords if k.strip().startswith("#") and k.strip()[1:]]
        return stream_posts(self, self.options.streaming_url or self.options.base_url, self._headers, tags)

    # --- publishing ------------------------------------------------------------------------

    async def publish_reply(self, reply: OutboundReply) -> Published:
        return await self._publish(reply, private=False)

    async def send_private(self, reply: OutboundReply) -> Published:
        """A direct-visibility status mentioning the customer, under their post when it still exists."""
        return await self._publish(reply, private=True)

    async def find_published(self, key: str, reply: OutboundReply) -> Published | None:
        """After a crash mid-publish: the brand's recent status answering the same post with the same text.

        The `Idempotency-Key` header stops a repeat too, but Mastodon remembers it for an hour only."""
        me = await self._ready()
        target = await self._original(reply, reply.private)
        earlier = await self._find_on_network(me, reply, target.id if target else None, reply.private)
        return None if earlier is None else self._remember(reply, earlier)

    async def _publish(self, reply: OutboundReply, *, private: bool) -> Published:
        await self._ready()
        target = await self._original(reply, private)
        text = self._addressed(reply.text, reply.customer_handle)
        length = self._length(text)
        if length > self.max_length:
            how = "" if self.instance.counts_like_mastodon else (
                f" ({self.instance.name} counts every character: links and @user@domain in full)")
            raise SourceError(f"{self.instance.name}: with the @mention of {reply.customer_handle} the reply is "
                              f"{length} {LENGTH_UNIT}{how} and {self.instance.domain} allows {self.max_length}; "
                              f"shorten it by {length - self.max_length} {LENGTH_UNIT}", retryable=False)
        content_type = "text/plain" if self.instance.software in PLAIN_TEXT else None
        status = await self.api.post_status(text, visibility="direct" if private else target.visibility,
                                            in_reply_to_id=target.id if target else None, idempotency_key=reply.key,
                                            content_type=content_type)
        return self._remember(reply, status)

    async def _original(self, reply: OutboundReply, private: bool) -> Status | None:
        """The customer's status to answer; None for a private reply to one that was deleted."""
        try:
            status = await self.api.status(reply.in_reply_to, publishing=True)
        except NotFound:
            if private:
                return None
            raise SourceError(f"Mastodon: the customer's post {reply.in_reply_to} is gone (deleted, or no longer "
                              "visible to the brand), so there is nothing to reply under; send it with --private to "
                              "reach them by direct message", retryable=False) from None
        return status

    async def _find_on_network(self, me: Account, reply: OutboundReply, target: str | None,
                               private: bool) -> Status | None:
        """The brand's recent status answering `target` with this text and visibility, if an attempt got through.

        The text is compared with what the status was posted with (its source), not with how the server rendered it:
        a server that renders Markdown shows `**please**` as `please`. Without a source route, the rendered text."""
        wanted = comparable(reply.text)
        page = await self.api.account_statuses(me.id, limit=STATUS_PAGE, publishing=True)
        for status, _ in page.items:
            if (status.in_reply_to_id == target and (status.visibility == "direct") == private
                    and status.created_at >= reply.not_before):
                posted = await self.api.status_source(status.id)
                if comparable(html_to_text(status.content) if posted is None else posted) == wanted:
                    return status
        return None

    def _addressed(self, text: str, customer: str) -> str:
        """`text` with the customer's @mention in front, unless it already mentions them."""
        handle = self._full(customer)
        user, _, domain = handle.partition("@")
        mentioned = mentions_of(text)
        if handle.casefold() in mentioned or (domain == self.instance.domain and user.casefold() in mentioned):
            return text
        return f"@{handle} {text}"

    def _remember(self, reply: OutboundReply, status: Status) -> Published:
        self._roots.remember(status.id, reply.thread_root_id)  # the customer's answer to it joins the conversation
        return Published(external_id=status.id, url=status.url or status.uri, published_at=status.created_at)

    # --- the rest of the contract ------------------------------------------------------------

    def quota(self) -> list[Quota]:
        return self.client.quota()

    async def close(self) -> None:
        await self.client.close()


def _keyword(status: Status, raw: dict[str, Any]) -> Found:
    return Found(status, raw, "keyword")


def _text(status: Status) -> str:
    """What the team reads: the content warning, the text, and a line per attachment (with its description)."""
    parts = [f"CW: {status.spoiler_text}"] if status.spoiler_text else []
    parts.append(html_to_text(status.content))
    for attachment in status.media_attachments:
        description = attachment.get("description")
        parts.append(f"[{attachment.get('type') or 'media'}{': ' + description if description else ''}]")
    return "\n\n".join(part for part in parts if part)


def _load_cursor(cursor: str | None) -> dict[str, dict[str, Any]]:
    if not cursor:
        return {}
    try:
        state = json.loads(cursor)
        return dict(state["feeds"])
    except (ValueError, KeyError, TypeError):
        log.error("mastodon: the stored cursor %.100r is not one this source wrote; starting with a backfill", cursor)
        return {}
