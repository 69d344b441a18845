"""`reddit`: the brand's Reddit inbox, keyword searches and own subreddits in; comments and messages out.

Why httpx (through `ApiClient`) rather than asyncpraw: asyncpraw's request layer sleeps by
itself on rate limits and on `RATELIMIT` answers and retries server errors on its own, which
would hold a poll or a publish for minutes out of the poller's and outbox's sight; its lazy
objects hide how many calls a poll makes. socialdesk needs about ten endpoints, wants every
failure as a `SourceError` the poller and outbox can schedule around, and one rate-limit view
for `/desk status`. So the calls are plain httpx with typed models (`client.py`).

Reading, one feed per `poll()` call (the poller pages through them while `has_more`); a feed
that fails waits out its own backoff while the others are read:
- `inbox`: `/message/inbox` has username mentions (kind mention), replies to the brand's
  comments and posts (`comment_reply`, `post_reply`: kind reply) and private messages (t4:
  kind direct; only with `direct_messages`): one call for what `/message/mentions`,
  `/message/comments` and `/message/messages` list apart. Reddit's admin notices and
  AutoModerator's replies are skipped.
- `comments`: with `subreddits = [...]`, the newest comments of those subreddits
  (`/r/a+b/comments`), kept when they contain a keyword (kind keyword). Reddit's search does
  not search comments, so this is how comments that name the brand without mentioning its
  account are found, in the subreddits you list.
- `search`: `/search?sort=new&type=link` for the keywords (joined with OR, split to keep each
  query under Reddit's 512 characters): new submissions anywhere on Reddit whose title or
  text has a keyword (kind keyword).

Threads: a submission is its own root; a comment's root is its submission (`link_id`, or for
inbox items, which carry no `link_id`, the id in their `context` link) and it answers
`parent_id`; a private message's root is the first message of its conversation.

Cursor: per feed, the newest `created_utc` seen and the fullnames seen in the last few
minutes (a lookback window, half an hour for search, which indexes late). A feed is read
newest first, paging with `after`, down to the window, and its new items are returned
oldest first in one page. Reddit's `before` is not used to resume: it returns nothing once
the item it points at is deleted, which would stall the feed. Each feed's posts are stored
with the cursor after that feed, so a crash between feeds resumes with the next feed, and
one inside a feed reads that feed again: no gap, no duplicate.

Publishing: `/api/comment` with the customer's comment, submission or message as `thing_id`
(answering a message stays private); private handoff `/api/compose`. Reddit reports refusals
inside HTTP 200 (`json.errors`: RATELIMIT, THREAD_LOCKED, TOO_OLD, DELETED_COMMENT …), turned
into `SourceError`s that say what to do. Reddit takes no idempotency key, so after a crash
`find_published` looks for a comment of the brand's (`/user/<me>/comments`) or a sent message
(`/message/sent`) with the same parent (or recipient) and the same text.
"""
from __future__ import annotations

import json
import logging
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from bot.settings import ConfigError
from bot.sources.base import Author, InboundPost, OutboundReply, PollResult, Published, Quota, SourceError, Unparsed
from bot.sources.feed_health import FeedTracker
from bot.sources.filters import PostFilter
from bot.sources.http import ApiClient
from bot.sources.options import NetworkOptions, SourceContext
from bot.sources.reddit.client import (
    WEB,
    Page,
    RedditApi,
    RedditAuth,
    ScriptCredentials,
    Thing,
    gone,
    parse_listing,
    refusal,
)
from bot.sources.reddit.text import LENGTH_UNIT, MAX_LENGTH, count_length, to_markdown

log = logging.getLogger(__name__)
API_URL = "https://oauth.reddit.com"
LISTING_DEPTH = 1000  # Reddit serves at most about this many items of a listing
MAX_QUERY = 512
BOTS = {"AutoModerator"}  # subreddits' moderation bot: its comments are rules and reminders, not customers
INBOX_KINDS = {"username_mention": "mention", "comment_reply": "reply", "post_reply": "reply"}
_CONTEXT_LINK = re.compile(r"/comments/([a-z0-9]+)/")


class RedditOptions(NetworkOptions):
    auth_url: str = "https://www.reddit.com"  # where tokens come from; base_url is the API (oauth.reddit.com)
    user_agent: str | None = None  # default "python:socialdesk:<version> (by /u/<account>)", as Reddit asks
    subreddits: list[str] = []  # the brand's own subreddits: their new comments are searched for keywords
    markdown: bool = False  # send replies as Reddit markdown as typed, instead of escaping it
    message_subject: str = "{brand} support"  # subject of a private message that starts a conversation


@dataclass(frozen=True)
class Feed:
    key: str  # the feed's name in the cursor
    path: str
    params: dict[str, str] = field(default_factory=dict)
    keyword: bool = False  # keep only items with a keyword (kind keyword); else the kind comes from the inbox
    lookback: float = 120.0  # seconds: items this much older than the newest seen may still show up late


def build(context: SourceContext) -> RedditSource:
    options = context.parse(RedditOptions)
    prefix = (options.credentials or context.type).upper()
    credentials = ScriptCredentials(
        client_id=context.secret(options, "client_id"), client_secret=context.secret(options, "client_secret"),
        username=context.secret(options, "username").removeprefix("u/"), password=context.secret(options, "password"),
        env_prefix=prefix,
    )
    try:
        subject = options.message_subject.format(brand=context.brand.name)
    except (KeyError, IndexError, ValueError):
        raise ConfigError(f"sources.{context.name}.message_subject: only {{brand}} may be filled in") from None
    return RedditSource(context, options, credentials, subject=subject[:100])


class RedditSource:
    network = "reddit"
    max_length = MAX_LENGTH
    length_unit = LENGTH_UNIT

    def __init__(self, context: SourceContext, options: RedditOptions, credentials: ScriptCredentials,
                 *, subject: str) -> None:
        self.name = context.name
        self.options = options
        self.clock = context.clock
        self.subject = subject
        self.filter = PostFilter([*context.handles(options), credentials.username], context.keywords(options),
                                 options.exclude_words, options.exclude_accounts)
        self.feeds = {feed.key: feed for feed in _feeds(options, context.keywords(options))}
        agent = options.user_agent or f"python:socialdesk:{_version()} (by /u/{credentials.username})"
        timeout = options.timeout.total_seconds()
        p = credentials.env_prefix
        hint = f"check {p}_CLIENT_ID, {p}_CLIENT_SECRET, {p}_USERNAME and {p}_PASSWORD in .env"
        self._token_api = ApiClient("Reddit", options.auth_url, timeout=timeout, clock=self.clock,
                                    headers={"User-Agent": agent}, credential_hint=hint)
        self._auth = RedditAuth(self._token_api, credentials, self.clock)
        self.api = RedditApi("Reddit", options.base_url or API_URL, timeout=timeout, clock=self.clock,
                             headers={"User-Agent": agent}, credential_hint=hint,
                             auth=self._auth)
        self._me: str | None = None
        self.health = FeedTracker(self.clock)

    # --- reading ----------------------------------------------------------------------------

    async def poll(self, cursor: str | None) -> PollResult:
        state = _load_cursor(cursor, self.name)
        await self._whoami()
        due = self.health.due_of(list(self.feeds))  # a feed that failed waits out its backoff; the others go on
        pending = [key for key in state.get("pending", []) if key in due] or due
        feed = self.feeds[pending[0]]
        feeds = {key: value for key, value in state["feeds"].items() if key in self.feeds}
        elsewhere = {name for key, value in feeds.items() if key != feed.key for name in value["seen"]}
        rest = pending[1:]
        unparsed: list[Unparsed] = []
        try:
            posts, feeds[feed.key] = await self._read(feed, feeds.get(feed.key), elsewhere, unparsed)
        except SourceError as error:
            self.health.failed(feed.key, error)
            self.health.raise_if_all_failing(list(self.feeds))
            log.warning("reddit %s: feed %s failed (%s); the other feeds go on", self.name, feed.key, error)
            posts = []
        else:
            self.health.succeeded(feed.key)
        return PollResult(posts, json.dumps({"feeds": feeds, "pending": rest}, separators=(",", ":")), bool(rest),
                          feeds=self.health.report(list(self.feeds)), unparsed=unparsed)

    async def _read(self, feed: Feed, state: dict | None, elsewhere: set[str],
                    unparsed: list[Unparsed]) -> tuple[list[InboundPost], dict]:
        """Everything in `feed` newer than its cursor, oldest first, and the feed's next cursor; the items that did
        not parse are added to `unparsed` (a listing is read again each poll: quarantine keeps each once).

        Items another feed has just read (`elsewhere`: a reply to the brand that also has a keyword) are
        not emitted twice."""
        now = self.clock.now().timestamp()
        newest = float(state["at"]) if state else now - self.options.backfill.total_seconds()
        seen: dict[str, float] = dict(state["seen"]) if state else {}
        floor = newest - feed.lookback if state else newest
        new: dict[str, Thing] = {}
        after = None
        for _ in range(math.ceil(LISTING_DEPTH / self.options.page_size)):
            page = await self._listing(feed, after)
            unparsed += page.unparsed
            older = False
            for thing in page.things:
                if thing.created < floor:
                    older = True
                    break
                if thing.name not in seen:
                    new.setdefault(thing.name, thing)
            if older or not page.after:
                break
            after = page.after
        else:
            log.warning("reddit %s: more than %d new items in %s since the last poll; Reddit lists no further back",
                        self.name, LISTING_DEPTH, feed.key)
        things = sorted(new.values(), key=lambda t: (t.created, t.name))
        newest = max([newest, *(t.created for t in things)])
        seen.update((t.name, t.created) for t in things)
        seen = {name: created for name, created in seen.items() if created >= newest - feed.lookback}
        posts = [post for thing in things if thing.name not in elsewhere and (post := self._accept(feed, thing))]
        return posts, {"at": newest, "seen": seen}

    async def _listing(self, feed: Feed, after: str | None) -> Page:
        return await self._get(feed.path, **feed.params, limit=str(self.options.page_size), **({"after": after} if after else {}))

    async def _get(self, path: str, **params: str) -> Page:
        body = await self.api.request("GET", path, bucket="api", params={**params, "raw_json": "1"})
        try:
            return parse_listing(body, f"GET {path}")
        except ValueError as error:
            raise SourceError(f"Reddit {error}; will retry") from None

    def _accept(self, feed: Feed, thing: Thing) -> InboundPost | None:
        """The post to ingest, or None (with a log line saying why) for what is not a customer's post."""
        data = thing.data
        if gone(thing):
            log.info("reddit %s: skipping %s: deleted or removed", self.name, thing.name)
            return None
        if data.author in BOTS:
            kind = None
        elif feed.keyword:
            kind = "keyword"
        elif thing.kind == "t4":
            kind = "direct" if self.options.direct_messages and data.distinguished != "admin" else None
        else:
            kind = INBOX_KINDS.get(data.type or "") if thing.kind == "t1" else None
        if kind is None:
            log.info("reddit %s: skipping %s (%s %s by u/%s): not a mention, reply or message to answer",
                     self.name, thing.name, thing.kind, data.type or data.distinguished or "", data.author)
            return None
        post = to_post(thing, kind)
        if not self.filter.keep(post.author.handle, post.text):
            return None
        if data.crosspost_parent and not self.options.include_reposts:
            return None
        if feed.keyword and not self.filter.keyword_hit(post.text):
            return None
        return post

    async def verify(self) -> str:
        me = await self._whoami()
        if missing := self._auth.missing_scopes():
            raise SourceError(f"Reddit: the token of u/{me} lacks the scopes {', '.join(missing)}; use a \"script\" app "
                              "at reddit.com/prefs/apps with the account's password (its tokens have every scope)",
                              retryable=False)
        return f"signed in as u/{me}"

    async def _whoami(self) -> str:
        """The account's name as Reddit spells it; also proves the credentials on the first poll."""
        if self._me is None:
            me = await self.api.request("GET", "/api/v1/me", bucket="api", params={"raw_json": "1"})
            if not isinstance(me, dict) or not me.get("name"):
                raise SourceError("Reddit GET /api/v1/me did not say who is logged in; will retry")
            self._me = str(me["name"])
        return self._me

    # --- publishing -------------------------------------------------------------------------

    def render(self, text: str) -> str:
        return text if self.options.markdown else to_markdown(text)

    def count_length(self, text: str) -> int:
        return count_length(text, markdown=self.options.markdown)

    async def publish_reply(self, reply: OutboundReply) -> Published:
        return await self._comment(reply.in_reply_to, self.render(reply.text))

    async def send_private(self, reply: OutboundReply) -> Published:
        body = self.render(reply.text)
        if reply.in_reply_to.startswith("t4_"):  # the customer wrote privately: answer in that conversation
            return await self._comment(reply.in_reply_to, body)
        to = reply.customer_handle.removeprefix("u/")
        await self._submit("/api/compose", {"to": to, "subject": self.subject, "text": body})
        found = await self._find_sent_message(to, body, reply.not_before.timestamp())
        # Reddit does not return the new message; if it is not listed yet, the sent folder is the link.
        return found or Published(f"compose:{reply.key}", f"{WEB}/message/sent", self.clock.now())

    async def find_published(self, key: str, reply: OutboundReply) -> Published | None:
        body, since = self.render(reply.text), reply.not_before.timestamp()
        if reply.in_reply_to.startswith("t4_"):
            return await self._find("/message/sent", since, lambda d: d.parent_id == reply.in_reply_to and _same(d.body, body))
        if reply.private:
            return await self._find_sent_message(reply.customer_handle.removeprefix("u/"), body, since)
        me = await self._whoami()
        return await self._find(f"/user/{me}/comments", since,
                                lambda d: d.parent_id == reply.in_reply_to and _same(d.body, body), sort="new")

    async def _find_sent_message(self, to: str, body: str, since: float) -> Published | None:
        return await self._find("/message/sent", since, lambda d: not d.parent_id and d.subject == self.subject
                                and (d.dest or "").casefold() == to.casefold() and _same(d.body, body))

    async def _find(self, path: str, since: float, match, **params: str) -> Published | None:
        """The newest of the brand's last 100 comments or messages at `path`, not older than `since`, that matches."""
        things = (await self._get(path, **params, limit="100")).things
        found = next((thing for thing in things if thing.created >= since and match(thing.data)), None)
        return _published(found) if found else None

    async def _comment(self, thing_id: str, body: str) -> Published:
        answer = await self._submit("/api/comment", {"thing_id": thing_id, "text": body})
        things = answer.get("things") or []
        try:
            return _published(Thing.model_validate(things[0]))
        except (IndexError, ValueError):
            raise SourceError("Reddit took the comment but did not return it; checking before trying again") from None

    async def _submit(self, path: str, form: dict[str, str]) -> dict[str, Any]:
        answer = await self.api.request("POST", path, bucket="api", params={"raw_json": "1"},
                                        data={**form, "api_type": "json"})
        result = answer.get("json") if isinstance(answer, dict) else None
        if not isinstance(result, dict):
            raise SourceError(f"Reddit POST {path} answered without a result; checking before trying again")
        if result.get("errors"):
            raise refusal(path, result["errors"])
        return result.get("data") or {}

    def quota(self) -> list[Quota]:
        return self.api.quota()

    async def close(self) -> None:
        await self.api.close()
        await self._token_api.close()


def _feeds(options: RedditOptions, keywords: list[str]) -> list[Feed]:
    feeds = [Feed("inbox", "/message/inbox")]
    subreddits = [s.strip().removeprefix("/").removeprefix("r/") for s in options.subreddits if s.strip()]
    if subreddits and keywords:
        feeds.append(Feed("comments:" + "+".join(subreddits), f"/r/{'+'.join(subreddits)}/comments", keyword=True))
    for query in _queries(keywords):
        feeds.append(Feed("search:" + query, "/search", {"q": query, "sort": "new", "type": "link"},
                          keyword=True, lookback=1800.0))
    return feeds


def _queries(keywords: list[str]) -> list[str]:
    """The keywords as few `a OR "b c"` queries as fit Reddit's 512 characters each (hashtags as words)."""
    terms = list(dict.fromkeys(f'"{k}"' if " " in k else k for k in (w.strip().lstrip("#") for w in keywords) if k))
    queries: list[str] = []
    for term in terms:
        if queries and len(queries[-1]) + len(" OR ") + len(term) <= MAX_QUERY:
            queries[-1] += " OR " + term
        else:
            queries.append(term[:MAX_QUERY])
    return queries


def _load_cursor(cursor: str | None, name: str) -> dict[str, Any]:
    """The stored cursor; what cannot be read starts again from the backfill window (logged), never crashes."""
    if not cursor:
        return {"feeds": {}}
    try:
        state = json.loads(cursor)
        feeds = state["feeds"]
        readable = {key: {"at": float(value["at"]), "seen": {str(k): float(v) for k, v in value["seen"].items()}}
                    for key, value in feeds.items()}
        pending = [str(key) for key in state.get("pending", [])]
    except (ValueError, TypeError, KeyError, AttributeError):
        log.error("reddit %s: the stored cursor is unreadable; starting again from the backfill window", name)
        return {"feeds": {}}
    return {"feeds": readable, "pending": pending}


def text_of(thing: Thing) -> str:
    data = thing.data
    if thing.kind == "t3":
        return "\n\n".join(part for part in (data.title, data.selftext) if part)
    if thing.kind == "t4" and not data.parent_id and data.subject:
        return f"{data.subject}\n\n{data.body or ''}".strip()  # a new conversation's subject says what it is about
    return data.body or ""


def thread_of(thing: Thing) -> tuple[str, str | None]:
    """(thread root, what it answers)."""
    data = thing.data
    if thing.kind == "t3":
        return data.name, None
    if thing.kind == "t4":
        return data.first_message_name or data.name, data.parent_id
    if data.link_id:
        return data.link_id, data.parent_id
    found = _CONTEXT_LINK.search(data.context or "")
    return (f"t3_{found.group(1)}" if found else data.name), data.parent_id


def url_of(thing: Thing) -> str:
    data = thing.data
    if thing.kind == "t4":
        root = (data.first_message_name or data.name).removeprefix("t4_")
        return f"{WEB}/message/messages/{root}"
    path = (data.permalink or data.context or "").split("?", 1)[0] or _short_permalink(thing)  # no ?context=3, ?ref=…
    return WEB + path if path.startswith("/") else path


def _short_permalink(thing: Thing) -> str:
    """`/comments/<post>/_/<comment>/`: Reddit's link to a Thing by id alone, for the answers that carry no
    permalink (a new comment from /api/comment, comment listings recorded before 2017)."""
    link = thing.data.link_id if thing.kind == "t1" else thing.name
    if not link:
        return ""
    comment = f"_/{thing.name.removeprefix('t1_')}/" if thing.kind == "t1" else ""
    return f"/comments/{link.removeprefix('t3_')}/{comment}"


def to_post(thing: Thing, kind: str) -> InboundPost:
    root, reply_to = thread_of(thing)
    return InboundPost(
        network="reddit",
        external_id=thing.name,
        author=Author(handle=f"u/{thing.data.author}", name=thing.data.author or "", account_id=thing.data.author_fullname),
        text=text_of(thing),
        created_at=datetime.fromtimestamp(thing.created, tz=UTC),
        thread_root_id=root,
        kind=kind,
        url=url_of(thing),
        reply_to_id=reply_to,
        raw={"kind": thing.kind, "data": thing.data.model_dump(exclude_none=True)},
    )


def _published(thing: Thing) -> Published:
    return Published(thing.name, url_of(thing), datetime.fromtimestamp(thing.created, tz=UTC))


def _same(sent: str | None, body: str) -> bool:
    return (sent or "").strip() == body.strip()


def _version() -> str:
    try:
        return version("socialdesk")
    except PackageNotFoundError:
        return "dev"
