"""`x`: X (Twitter) through the X API v2: mentions, keyword search and DMs in; replies and DMs out.

Three feeds, each paged newest first from a stored cursor (X has no oldest-first paging):
- `mentions`: GET /2/users/:id/mentions, the brand's @mentions, replies to its posts and replies in
  threads it takes part in (X keeps the brand's @handle in those);
- `search`: GET /2/tweets/search/recent for the keywords (brand name, misspellings, hashtags);
- `dms`: GET /2/dm_events, with the user tokens.
A poll reads one page of one feed; the cursor (JSON) keeps, per feed, the newest id stored by its last
finished round (`since`), the newest id and page token of the round in progress, and which feeds are
still due in this round, so a restart mid-round resumes with the next page: no gap, no duplicate.

Answers go out as a reply (POST /2/tweets with reply.in_reply_to_tweet_id) or a DM
(POST /2/dm_conversations/with/:participant_id/messages), both with the user tokens (OAuth 1.0a).
"""
from __future__ import annotations

import html
import json
import logging
import re
import unicodedata
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import Field, ValidationError

from bot.clock import Clock
from bot.settings import ConfigError
from bot.sources.base import Author, InboundPost, OutboundReply, PollResult, Published, Quota, Recent, SourceError, Unparsed
from bot.sources.feed_health import FeedTracker
from bot.sources.filters import PostFilter
from bot.sources.options import NetworkOptions, SourceContext
from bot.sources.x.client import (
    ACCESS_LEVELS,
    DmEvent,
    DuplicatePost,
    OAuth1,
    Page,
    Tweet,
    User,
    XApi,
    snowflake,
    snowflake_time,
)
from bot.sources.x.text import LENGTH_UNIT, MAX_WEIGHTED_LENGTH, url_spans, weighted_length

log = logging.getLogger(__name__)
# posts, items that do not parse, next page token, newest id, caught up
Read = tuple[list[InboundPost], list[Unparsed], str | None, str | None, bool]

DEFAULT_BASE_URL = "https://api.x.com"
USER_KEYS = ("api_key", "api_secret", "access_token", "access_token_secret")
SEARCH_WINDOW = timedelta(days=7) - timedelta(minutes=1)  # recent search reaches back 7 days; keep a margin
QUERY_LIMIT = 512  # characters of a recent-search query on self-serve access
USER_IDS_KEPT = 10_000  # customers' X user ids remembered for DMs (looked up again once forgotten)
RECONCILE_PAGES = 5  # pages of the brand's posts (or DMs) searched for a reply that may already be out
TWEET_PARAMS = {
    "tweet.fields": "author_id,conversation_id,created_at,in_reply_to_user_id,referenced_tweets,note_tweet",
    "expansions": "author_id,referenced_tweets.id",
    "user.fields": "username,name,public_metrics",
}
DM_PARAMS = {
    "event_types": "MessageCreate",
    "dm_event.fields": "id,text,event_type,created_at,sender_id,dm_conversation_id",
    "expansions": "sender_id",
    "user.fields": "username,name,public_metrics",
}
_LEADING_MENTIONS = re.compile(r"^(?:@\w{1,15}\s+)+")
_TCO = re.compile(r"https?://t\.co/\w+", re.I)


class XOptions(NetworkOptions):
    account: str | None = None  # the brand account read and answered as; default the tokens' account, else handles[0]
    user_id: str | None = Field(default=None, pattern=r"^\d+$")  # its numeric id, to skip the lookup
    mentions: bool = True
    max_length: int = Field(default=MAX_WEIGHTED_LENGTH, ge=1, le=25_000)  # Premium accounts may post up to 25,000


def build(context: SourceContext) -> XSource:
    options = context.parse(XOptions)
    prefix = (options.credentials or context.type).upper()
    user_keys = {key: context.secret(options, key, required=False) for key in USER_KEYS}
    bearer = context.secret(options, "bearer_token", required=False)
    if any(user_keys.values()) and not all(user_keys.values()):
        missing = ", ".join(f"{prefix}_{k.upper()}" for k, v in user_keys.items() if not v)
        raise ConfigError(f"sources.{context.name}: {missing} not set; the user tokens come as four (see .env.example)")
    if all(user_keys.values()):
        auth, headers = OAuth1(*user_keys.values()), None
        hint = f"check {', '.join(f'{prefix}_{k.upper()}' for k in USER_KEYS)} in .env"
    elif bearer:
        auth, headers = None, {"Authorization": f"Bearer {bearer}"}
        hint = f"check {prefix}_BEARER_TOKEN in .env"
    else:
        raise ConfigError(f"sources.{context.name}: set {prefix}_API_KEY, {prefix}_API_SECRET, {prefix}_ACCESS_TOKEN and "
                          f"{prefix}_ACCESS_TOKEN_SECRET in .env to read and answer, or {prefix}_BEARER_TOKEN to only read")
    handles = [h.lstrip("@") for h in context.handles(options)]
    account = (options.account or "").lstrip("@") or None
    if auth is None and not (account or handles):
        raise ConfigError(f"sources.{context.name}.account: with only {prefix}_BEARER_TOKEN, name the brand's X account "
                          "(or list it in [brand] handles)")
    keywords = context.keywords(options)
    feeds = [name for name, on in (("mentions", options.mentions), ("search", bool(keywords)),
                                   ("dms", options.direct_messages and auth is not None)) if on]
    if not feeds:
        raise ConfigError(f"sources.{context.name}: nothing to read; turn on mentions, give keywords, or add the user "
                          "tokens for DMs")
    own = handles + ([account] if account else [])
    query = search_query(keywords, own, options, mentions=options.mentions) if keywords else None
    if query and len(query) > QUERY_LIMIT:
        raise ConfigError(f"sources.{context.name}.keywords: the X search query is {len(query)} characters and X allows "
                          f"{QUERY_LIMIT}; drop some keywords or exclusions")
    api = XApi("X", options.base_url or DEFAULT_BASE_URL, timeout=options.timeout.total_seconds(), clock=context.clock,
               headers=headers, auth=auth, credential_hint=hint)
    post_filter = PostFilter(own, keywords, options.exclude_words, options.exclude_accounts)
    return XSource(context.name, options, api, feeds=feeds, query=query, post_filter=post_filter,
                   user_context=auth is not None, account=account or (handles[0] if handles else None), clock=context.clock)


def search_query(keywords: list[str], own: list[str], options: NetworkOptions, *, mentions: bool) -> str:
    """`(acme OR "acme corp" OR #acme) -is:retweet -from:acme -@acme -spam`: what the search feed asks X for."""
    terms = [_term(k) for k in keywords if k.strip()]
    parts = ["(" + " OR ".join(terms) + ")" if len(terms) > 1 else terms[0]]
    if not options.include_reposts:
        parts.append("-is:retweet")
    parts += [f"-from:{h}" for h in dict.fromkeys(own + [a.lstrip("@") for a in options.exclude_accounts])]
    if mentions:  # posts mentioning the brand come through the mentions feed
        parts += [f"-@{h}" for h in dict.fromkeys(own)]
    parts += [f"-{_term(w)}" for w in options.exclude_words if w.strip()]
    return " ".join(parts)


def _term(word: str) -> str:
    word = word.strip()
    return word if re.fullmatch(r"#?\w+", word) else '"' + word.replace('"', "") + '"'


@dataclass
class Feed:
    """Where one feed stands. `since`: newest id stored by the last finished round; `newest`, `next`: the round
    in progress (its first page's newest id and the token of its next page); `start`: backfill until a `since`."""

    since: str | None = None
    newest: str | None = None
    next: str | None = None
    start: str | None = None


class XSource:
    network = "x"
    length_unit = LENGTH_UNIT

    def __init__(self, name: str, options: XOptions, api: XApi, *, feeds: list[str], query: str | None,
                 post_filter: PostFilter, user_context: bool, account: str | None, clock: Clock) -> None:
        self.name = name
        self.max_length = options.max_length
        self._options = options
        self._api = api
        self._feeds = feeds
        self._query = query
        self._filter = post_filter
        self._user_context = user_context
        self._account = account
        self._clock = clock
        self._brand: User | None = None
        self._health = FeedTracker(clock)
        self._user_ids = Recent(USER_IDS_KEPT)  # customer handle -> X user id, for DMs

    def count_length(self, text: str) -> int:
        return weighted_length(text)

    def quota(self) -> list[Quota]:
        return self._api.quota()

    async def close(self) -> None:
        await self._api.close()

    # --- reading ----------------------------------------------------------------------------

    async def poll(self, cursor: str | None) -> PollResult:
        feeds, pending = self._load(cursor)
        brand = await self._brand_account()
        due = self._health.due_of(self._feeds)  # a feed that failed waits out its backoff; the others go on
        pending = [f for f in pending if f in due] or due
        name, feed = pending[0], feeds[pending[0]]
        try:
            posts, unparsed, next_token, newest, caught_up = await getattr(self, f"_read_{name}")(brand, feed)
        except SourceError as error:
            self._health.failed(name, error)
            self._health.raise_if_all_failing(self._feeds)
            log.warning("X %s: feed %s failed (%s); the other feeds go on", self.name, name, error)
            return PollResult([], self._dump(feeds, pending[1:]), has_more=len(pending) > 1,
                              feeds=self._health.report(self._feeds))
        self._health.succeeded(name)
        if feed.next is None:
            feed.newest = newest
        if next_token and not caught_up:
            feed.next = next_token
        else:
            feed.since = max(feed.newest, feed.since, key=snowflake) if feed.newest or feed.since else None
            feed.newest = feed.next = None
            feed.start = None if feed.since else feed.start
            pending.pop(0)
        posts.sort(key=lambda p: snowflake(p.external_id))
        return PollResult(posts, self._dump(feeds, pending), has_more=bool(pending), feeds=self._health.report(self._feeds),
                          unparsed=unparsed)

    @staticmethod
    def _dump(feeds: dict[str, Feed], pending: list[str]) -> str:
        return json.dumps({"feeds": {k: asdict(v) for k, v in feeds.items()}, "pending": pending})

    def _load(self, cursor: str | None) -> tuple[dict[str, Feed], list[str]]:
        start = (self._clock.now() - self._options.backfill).isoformat()
        feeds = {name: Feed(start=start) for name in self._feeds}
        if not cursor:
            return feeds, []
        try:
            state = json.loads(cursor)
            feeds |= {name: Feed(**value) for name, value in state["feeds"].items() if name in feeds}
            return feeds, [str(name) for name in state["pending"]]
        except (ValueError, KeyError, TypeError) as error:
            log.error("X %s: stored cursor %.200r is unreadable (%s); starting over from the backfill window",
                      self.name, cursor, error)
            return {name: Feed(start=start) for name in self._feeds}, []

    async def _read_mentions(self, brand: User, feed: Feed) -> Read:
        params = {**self._window(feed), **TWEET_PARAMS, "max_results": max(5, self._options.page_size)}
        if feed.next:
            params["pagination_token"] = feed.next
        page = Page(await self._api.request("GET", f"/2/users/{brand.id}/mentions", bucket="mentions", params=params),
                    Tweet, "mention")
        return self._posts(page, brand, "mention"), page.malformed, page.next_token, page.newest_id, False

    async def _read_search(self, brand: User, feed: Feed) -> Read:
        if feed.next is None:
            self._keep_within_search_window(feed)
        params = {**self._window(feed), **TWEET_PARAMS, "query": self._query, "max_results": max(10, self._options.page_size)}
        if feed.next:
            params["next_token"] = feed.next
        page = Page(await self._api.request("GET", "/2/tweets/search/recent", bucket="search", params=params),
                    Tweet, "search result")
        return self._posts(page, brand, "keyword"), page.malformed, page.next_token, page.newest_id, False

    async def _read_dms(self, brand: User, feed: Feed) -> Read:
        """GET /2/dm_events has no since_id: page back from the newest until the events the last round stored."""
        params = {**DM_PARAMS, "max_results": self._options.page_size}
        if feed.next:
            params["pagination_token"] = feed.next
        page = Page(await self._api.request("GET", "/2/dm_events", bucket="dm_events", params=params), DmEvent, "DM event")
        since = snowflake(feed.since)
        start = datetime.fromisoformat(feed.start) if feed.start and not feed.since else None
        fresh = [e for e in page.items
                 if snowflake(e.id) > since and (start is None or (e.created_at or snowflake_time(e.id)) >= start)]
        newest = max((e.id for e in page.items), key=snowflake, default=None)
        posts = [post for event in fresh if (post := self._dm_post(event, page, brand))]
        return posts, page.malformed, page.next_token, newest, len(fresh) < len(page.items)

    def _window(self, feed: Feed) -> dict[str, str]:
        return {"since_id": feed.since} if feed.since else {"start_time": _iso(datetime.fromisoformat(feed.start))}

    def _keep_within_search_window(self, feed: Feed) -> None:
        """Recent search covers 7 days: a longer backfill or outage is cut to them, and the log says so."""
        floor = self._clock.now() - SEARCH_WINDOW
        if feed.since and snowflake_time(feed.since) < floor:
            log.warning("X %s: the last keyword search was over 7 days ago; X's recent search cannot reach posts "
                        "between then and %s, so keyword hits from that gap are missed", self.name, f"{floor:%Y-%m-%d %H:%M}")
            feed.since, feed.start = None, floor.isoformat()
        elif not feed.since and datetime.fromisoformat(feed.start) < floor:
            log.warning("X %s: backfill is longer than the 7 days X's recent search covers; keyword hits start at %s "
                        "(mentions and DMs go further back)", self.name, f"{floor:%Y-%m-%d %H:%M}")
            feed.start = floor.isoformat()

    def _posts(self, page: Page, brand: User, kind: str) -> list[InboundPost]:
        seen: set[str] = set()
        posts = []
        for tweet in page.items:
            post = self._tweet_post(tweet, page, brand, kind)
            if post and tweet.id not in seen:
                seen.add(tweet.id)
                posts.append(post)
        return posts

    def _tweet_post(self, tweet: Tweet, page: Page, brand: User, kind: str) -> InboundPost | None:
        if tweet.author_id == brand.id or (tweet.reference("retweeted") and not self._options.include_reposts):
            return None
        author = page.users.get(tweet.author_id or "")
        handle = author.username if author else (tweet.author_id or "unknown")
        text = html.unescape(tweet.note_tweet.text if tweet.note_tweet else tweet.text)  # X escapes & < > in posts
        if not self._filter.keep(handle, text) or (kind == "keyword" and not self._filter.keyword_hit(text)):
            return None
        if kind == "mention":
            kind = self._mention_kind(tweet, page, brand)
        return InboundPost(
            network=self.network, external_id=tweet.id, text=text,
            author=Author(handle, author.name if author else "", author.public_metrics.followers_count if author else None,
                          account_id=tweet.author_id),
            created_at=tweet.created_at or snowflake_time(tweet.id),
            thread_root_id=tweet.conversation_id or tweet.id, kind=kind, url=_status_url(author, tweet.id),
            reply_to_id=tweet.reference("replied_to"),
            raw={"tweet": tweet.model_dump(mode="json"), "author": author.model_dump(mode="json") if author else None},
        )

    @staticmethod
    def _mention_kind(tweet: Tweet, page: Page, brand: User) -> str:
        if tweet.in_reply_to_user_id == brand.id:
            return "reply"
        quoted = page.tweets.get(tweet.reference("quoted") or "")
        return "quote" if quoted and quoted.author_id == brand.id else "mention"

    def _dm_post(self, event: DmEvent, page: Page, brand: User) -> InboundPost | None:
        if event.sender_id == brand.id or not event.text:
            return None
        sender = page.users.get(event.sender_id or "")
        handle = sender.username if sender else (event.sender_id or "unknown")
        if not self._filter.keep(handle, event.text):
            return None
        conversation = event.dm_conversation_id or "-".join(sorted((brand.id, event.sender_id or "")))
        return InboundPost(
            network=self.network, external_id=event.id, text=event.text,
            author=Author(handle, sender.name if sender else "", sender.public_metrics.followers_count if sender else None,
                          account_id=event.sender_id),
            created_at=event.created_at or snowflake_time(event.id), thread_root_id=f"dm:{conversation}",
            kind="direct", url=f"https://x.com/messages/{conversation}",
            raw={"dm_event": event.model_dump(mode="json"), "sender": sender.model_dump(mode="json") if sender else None},
        )

    # --- the brand and other accounts -------------------------------------------------------

    async def verify(self) -> str:
        brand = await self._brand_account()
        if not self._user_context:
            return f"@{brand.username}: reads only (no user tokens: replies cannot be published)"
        if self._api.access_level is None:  # the brand came from the config: ask once for the tokens' permission
            await self._api.request("GET", "/2/users/me", bucket="users/me")
        if needed := self._api.missing_permission(dms=self._options.direct_messages):
            level = ACCESS_LEVELS.get(self._api.access_level or "", self._api.access_level)
            raise SourceError(f"X: the user tokens of @{brand.username} only have '{level}' permission and socialdesk "
                              f"needs '{needed}'; set it under User authentication settings at developer.x.com, then "
                              "regenerate the access token and secret (old tokens keep the old permission)",
                              retryable=False)
        return f"@{brand.username}: reads and replies"

    async def _brand_account(self) -> User:
        """Looked up once: the tokens' own account (/2/users/me), or the configured one by username."""
        if self._brand is None:
            if self._options.user_id:
                self._brand = User(id=self._options.user_id, username=self._account or self._options.user_id)
            elif self._user_context:
                me = _user(await self._api.request("GET", "/2/users/me", bucket="users/me"), "the tokens' own account")
                if self._account and self._account.lower() != me.username.lower():
                    raise SourceError(f"X: the user tokens belong to @{me.username}, not @{self._account}; generate "
                                      f"them while signed in as @{self._account}", retryable=False)
                self._brand = me
            else:
                self._brand = _user(await self._api.request("GET", f"/2/users/by/username/{self._account}",
                                                            bucket="users/by"), f"@{self._account}")
        return self._brand

    async def _user_id(self, handle: str) -> str:
        key = handle.lstrip("@").lower()
        if key not in self._user_ids:
            user = _user(await self._api.request("GET", f"/2/users/by/username/{key}", bucket="users/by"), f"@{key}")
            self._user_ids.remember(key, user.id)
        return self._user_ids[key]

    # --- answering --------------------------------------------------------------------------

    async def publish_reply(self, reply: OutboundReply) -> Published:
        self._require_user_context("publish replies")
        brand = await self._brand_account()
        try:
            body = await self._api.request("POST", "/2/tweets", bucket="post",
                                           json={"text": reply.text, "reply": {"in_reply_to_tweet_id": reply.in_reply_to}})
        except DuplicatePost:
            found = await self._find_reply(reply, brand)
            if found:
                return found
            raise SourceError("X refused the reply as a duplicate of a recent post by the brand, and no such reply to "
                              "the customer's post is visible yet; if this keeps happening, reword the reply") from None
        post_id = _created(body, "id")
        return Published(post_id, f"https://x.com/{brand.username}/status/{post_id}", self._clock.now())

    async def send_private(self, reply: OutboundReply) -> Published:
        self._require_user_context("send DMs")
        participant = await self._user_id(reply.customer_handle)
        body = await self._api.request("POST", f"/2/dm_conversations/with/{participant}/messages", bucket="dm_send",
                                       json={"text": reply.text})
        event_id = _created(body, "dm_event_id")
        return Published(event_id, f"https://x.com/messages/{body['data'].get('dm_conversation_id', '')}", self._clock.now())

    async def find_published(self, key: str, reply: OutboundReply) -> Published | None:
        """The brand's reply to `reply.in_reply_to` (or DM to the customer) after that post and after the agent
        sent it, with the same text."""
        brand = await self._brand_account()
        if reply.private:
            return await self._find_dm(reply, brand)
        return await self._find_reply(reply, brand)

    async def _find_reply(self, reply: OutboundReply, brand: User) -> Published | None:
        params: dict[str, Any] = {"since_id": reply.in_reply_to, "max_results": 100, "exclude": "retweets",
                                  "tweet.fields": "created_at,referenced_tweets"}
        for _ in range(RECONCILE_PAGES):
            page = Page(await self._api.request("GET", f"/2/users/{brand.id}/tweets", bucket="timeline", params=params),
                        Tweet, "brand post")
            for tweet in page.items:
                if (tweet.reference("replied_to") == reply.in_reply_to and snowflake_time(tweet.id) >= reply.not_before
                        and same_text(reply.text, tweet.text)):
                    return Published(tweet.id, f"https://x.com/{brand.username}/status/{tweet.id}",
                                     tweet.created_at or snowflake_time(tweet.id))
            if not page.next_token:
                return None
            params["pagination_token"] = page.next_token
        return None

    async def _find_dm(self, reply: OutboundReply, brand: User) -> Published | None:
        participant = await self._user_id(reply.customer_handle)
        params: dict[str, Any] = {**DM_PARAMS, "max_results": 100}
        after = snowflake(reply.in_reply_to)
        for _ in range(RECONCILE_PAGES):
            page = Page(await self._api.request("GET", f"/2/dm_conversations/with/{participant}/dm_events",
                                                bucket="dm_conversation", params=params), DmEvent, "DM event")
            for event in page.items:
                if (event.sender_id == brand.id and snowflake(event.id) > after and snowflake_time(event.id) >= reply.not_before
                        and same_text(reply.text, event.text)):
                    return Published(event.id, f"https://x.com/messages/{event.dm_conversation_id or ''}",
                                     event.created_at or snowflake_time(event.id))
            if not page.next_token or any(snowflake(e.id) <= after for e in page.items):
                return None
            params["pagination_token"] = page.next_token
        return None

    def _require_user_context(self, what: str) -> None:
        if not self._user_context:
            prefix = (self._options.credentials or "x").upper()
            raise SourceError(f"X: socialdesk has only {prefix}_BEARER_TOKEN, which can read but not {what}; add "
                              f"{prefix}_API_KEY, {prefix}_API_SECRET, {prefix}_ACCESS_TOKEN and "
                              f"{prefix}_ACCESS_TOKEN_SECRET to .env", retryable=False)


def same_text(ours: str, theirs: str) -> bool:
    """Whether X's copy of a post is the text we sent: X escapes & < >, wraps links in t.co and may lead with @mentions."""
    def comparable(text: str, links: list[tuple[int, int]]) -> str:
        for start, end in reversed(links):
            text = text[:start] + "\x00" + text[end:]
        return _LEADING_MENTIONS.sub("", " ".join(text.split()))

    ours = unicodedata.normalize("NFC", ours)
    theirs = unicodedata.normalize("NFC", html.unescape(theirs))
    wrapped = [(start, end) for start, end in url_spans(theirs) if _TCO.fullmatch(theirs, start, end)]
    return comparable(ours, list(url_spans(ours))) == comparable(theirs, wrapped)


def _status_url(author: User | None, post_id: str) -> str:
    return f"https://x.com/{author.username}/status/{post_id}" if author else f"https://x.com/i/web/status/{post_id}"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _user(body: Any, what: str) -> User:
    data = body.get("data") if isinstance(body, dict) else None
    try:
        return User.model_validate(data)
    except ValidationError:
        raise SourceError(f"X has no account for {what} (renamed or suspended?); check the X settings in "
                          "socialdesk.toml", retryable=False) from None


def _created(body: Any, key: str) -> str:
    """The id X gave a new post or DM; without it, the outbox retries and first looks for the post on X."""
    data = body.get("data") if isinstance(body, dict) else None
    value = data.get(key) if isinstance(data, dict) else None
    if not isinstance(value, str):
        raise SourceError(f"X accepted the request but its answer has no {key} ({str(body)[:200]}); will look for it "
                          "on X before trying again")
    return value
