"""`bluesky`: mentions, replies, quotes and keyword hits from Bluesky; replies published into the thread.

Reading: the brand's notifications (`app.bsky.notification.listNotifications`, reasons mention,
reply and quote) and one search per keyword (`app.bsky.feed.searchPosts`, newest first; a
hashtag keyword also filters by `tag`), through the brand's PDS, which proxies them to its
AppView. Both APIs page from the newest item backwards, so each poll *sweeps* every stream
from the top down to the newest item the previous sweep saw (the watermark), one page per
`poll()` call; a stream that fails waits out its own backoff while the others are swept. The
cursor stores the watermarks and the progress of the running sweep, so a restart in the middle
resumes at the next page. Items are ordered by `indexedAt`, which is
the earlier of a post's `createdAt` and the time the AppView saw it: a client with a slow
clock posts "in the past". So each sweep looks `late_window` below the watermark too, and the
cursor remembers which posts of that window it already handed out: nothing is missed and
nothing is handed out twice.

Threads: a post's conversation is its thread root (`reply.root.uri`, or the post itself);
`reply_to_id` is `reply.parent.uri`; the external id is the post's at:// URI. Not every
follow-up is announced: the AppView notifies the authors of a reply's nearest ancestors only,
so a customer answering their own post, or writing deep in a long thread, notifies nobody, and
a keyword post's follow-up need not repeat the keyword. So after each round the poller asks
for the threads of open conversations (`thread_posts`, `app.bsky.feed.getPostThread`) and
takes the customer's posts from them (known ones are dropped by their URI when stored).

Publishing: an `app.bsky.feed.post` record with `reply.root` and `reply.parent` strong refs
(taken from the parent post, fetched with `getPosts`), facets for @mentions, links and
hashtags (UTF-8 byte offsets), `langs` when the language is clear. Its record key is derived
from the outbox key and the installation's id (`text.record_key`), so `find_published` is one
`getRecord` and a retry can never create a second post: the PDS refuses a second record with
the same key. A record found under the key is adopted only if it answers the intended post
(its `reply.parent.uri`); anything else there is an error that says so, never a reply marked
published that is not.

Private handoff: Bluesky DMs live in a separate chat service (chat.bsky.convo) that needs an
app password with DM access and offers no idempotency key, so a DM could be sent twice after a
crash. socialdesk does not send them; `send_private` tells the agent what to do instead.
"""
from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from atproto_client import models
from atproto_client.models.utils import get_model_as_dict

from bot.clock import Clock
from bot.enrich.language import detect_language
from bot.settings import Duration
from bot.sources.base import (
    Author,
    InboundPost,
    OutboundReply,
    PollResult,
    PrivateChannelUnavailable,
    Published,
    Quota,
    SourceError,
    Unparsed,
)
from bot.sources.bluesky.client import Session, XrpcClient, XrpcError
from bot.sources.bluesky.text import LENGTH_UNIT, MAX_GRAPHEMES, count_length, facets, mention_handles, post_url, record_key
from bot.sources.feed_health import FeedTracker
from bot.sources.filters import PostFilter
from bot.sources.options import NetworkOptions, SourceContext

log = logging.getLogger(__name__)

DEFAULT_PDS = "https://bsky.social"
POST = "app.bsky.feed.post"
NOTIFICATIONS = "notifications"
KINDS = {"mention": "mention", "reply": "reply", "quote": "quote"}  # notification reason -> post kind
PROFILES_PER_CALL = 25
THREAD_VIEW = "app.bsky.feed.defs#threadViewPost"  # the other nodes of a thread: notFoundPost, blockedPost
THREAD_DEPTH = 1000  # getPostThread's maximum: every reply in the thread
MAX_RECENT = 2000  # posts remembered from the late window, per stream


class BlueskyOptions(NetworkOptions):
    late_window: Duration = timedelta(minutes=15)  # how far below the last seen post each sweep looks again


def build(context: SourceContext) -> BlueskySource:
    options = context.parse(BlueskyOptions)
    prefix = (options.credentials or context.type).upper()
    return BlueskySource(
        context.name, options,
        handle=context.secret(options, "handle"), password=context.secret(options, "app_password"),
        handles=context.handles(options), keywords=context.keywords(options), clock=context.clock,
        installation=context.installation,
        credential_hint=f"check {prefix}_HANDLE and {prefix}_APP_PASSWORD in .env (an app password from "
                        "Bluesky Settings → Privacy and security → App passwords)",
    )


@dataclass
class Sweep:
    """One pass of a stream from its newest item down to the watermark, one page per poll() call."""

    top: str  # indexedAt of the newest item: the stream's watermark once the sweep is done
    next: str | None = None  # the API's cursor for the next, older page
    emitted: list[list[str]] = field(default_factory=list)  # [indexedAt, uri] handed out in the late window


@dataclass
class Stream:
    watermark: str  # indexedAt of the newest item the last finished sweep saw
    recent: list[list[str]] = field(default_factory=list)  # [indexedAt, uri] handed out in the late window


@dataclass
class PollState:
    streams: dict[str, Stream]
    round: list[str] = field(default_factory=list)  # streams still to sweep in this poll; the first is running
    sweep: Sweep | None = None
    handed: list[str] = field(default_factory=list)  # uris handed out in this round: one post, one copy

    @classmethod
    def load(cls, cursor: str | None, names: list[str], start: datetime) -> PollState:
        data = json.loads(cursor) if cursor else {}
        known = {name: Stream(**value) for name, value in data.get("streams", {}).items() if name in names}
        streams = {name: known.get(name) or Stream(watermark=_iso(start)) for name in names}
        state = cls(streams, [name for name in data.get("round", []) if name in names], handed=data.get("handed", []))
        if state.round and data.get("sweep") and state.round[0] == data.get("round", [None])[0]:
            state.sweep = Sweep(**data["sweep"])
        if not state.round:  # the last poll finished its round: start a new one
            state.round, state.sweep, state.handed = list(names), None, []
        return state

    def finish(self, sweep: Sweep, late_window: timedelta) -> None:
        """The running stream reached its watermark: move the watermark up and go on to the next stream."""
        name = self.round.pop(0)
        keep_from = _time(sweep.top) - late_window
        recent = [entry for entry in self.streams[name].recent + sweep.emitted if _time(entry[0]) >= keep_from]
        self.streams[name] = Stream(watermark=sweep.top, recent=recent[-MAX_RECENT:])
        self.sweep = None

    def skip(self) -> None:
        """Leave the running stream for this round, its watermark where it was."""
        self.round.pop(0)
        self.sweep = None

    def dump(self) -> str:
        return json.dumps({"v": 1, "streams": {k: asdict(v) for k, v in self.streams.items()}, "round": self.round,
                           "sweep": asdict(self.sweep) if self.sweep else None, "handed": self.handed},
                          separators=(",", ":"))


class BlueskySource:
    network = "bluesky"
    max_length = MAX_GRAPHEMES
    length_unit = LENGTH_UNIT

    def __init__(self, name: str, options: BlueskyOptions, *, handle: str, password: str, handles: list[str],
                 keywords: list[str], clock: Clock, credential_hint: str = "", installation: str = "") -> None:
        self.name = name
        self.installation = installation
        self.options = options
        self.clock = clock
        self.client = XrpcClient("Bluesky", (options.base_url or DEFAULT_PDS).rstrip("/"),
                                 timeout=options.timeout.total_seconds(), clock=clock,
                                 credential_hint=credential_hint)
        self.session = Session(self.client, handle, password, clock)
        self.filter = PostFilter([handle, *handles], keywords, options.exclude_words, options.exclude_accounts)
        self.streams = [NOTIFICATIONS, *(f"search:{k}" for k in dict.fromkeys(k.strip() for k in keywords) if k)]
        self.health = FeedTracker(clock)

    def count_length(self, text: str) -> int:
        return count_length(text)

    def quota(self) -> list[Quota]:
        return self.client.quota()

    async def close(self) -> None:
        await self.client.close()

    # --- reading ------------------------------------------------------------------------------

    async def verify(self) -> str:
        did = await self.session.ensure()
        return f"signed in as {self.session.handle} ({did})"

    async def poll(self, cursor: str | None) -> PollResult:
        """One page of the stream being swept; `has_more` until every stream has been swept this round."""
        try:
            state = PollState.load(cursor, self.streams, self.clock.now() - self.options.backfill)
        except (ValueError, TypeError, KeyError) as error:
            raise SourceError(f"Bluesky source {self.name}: stored cursor is unreadable ({error}); reset it by deleting "
                              "the row for this source in the sourcecursor table", retryable=False) from None
        await self.session.ensure()  # a login that fails is the whole source failing, not one stream
        due = self.health.due_of(self.streams)  # a stream that failed waits out its backoff; the others go on
        while state.round and state.round[0] not in due:
            state.skip()
        if not state.round:  # what was left of the round is waiting out failures: a new round of the others
            state.round, state.handed = list(due), []
        name = state.round[0]
        stream = state.streams[name]
        floor = _time(stream.watermark) - self.options.late_window
        try:
            items, next_cursor = await self._page(name, state.sweep.next if state.sweep else None, floor)
        except SourceError as error:
            self.health.failed(name, error)
            self.health.raise_if_all_failing(self.streams)
            log.warning("bluesky %s: %s failed (%s); the other streams go on", self.name, name, error)
            state.skip()  # its sweep starts again from its watermark next round
            return PollResult([], state.dump(), has_more=bool(state.round), feeds=self.health.report(self.streams))
        self.health.succeeded(name)
        dated = self._dated(items)
        sweep = state.sweep or Sweep(top=_iso(max([_time(stream.watermark), *(when for when, _ in dated)])))
        picked = self._pick(name, dated, floor, sweep, state)
        posts, unparsed = await self._posts(picked)
        if not items or not next_cursor or any(when < floor for when, _ in dated):
            state.finish(sweep, self.options.late_window)
        else:
            sweep.next, state.sweep = next_cursor, sweep
        return PollResult(posts=posts, cursor=state.dump(), has_more=bool(state.round),
                          feeds=self.health.report(self.streams), unparsed=unparsed)

    def _dated(self, items: list[dict]) -> list[tuple[datetime, dict]]:
        dated = []
        for item in items:
            when = _indexed_at(item)
            if when is None:
                log.info("bluesky %s: skipping %s: no indexedAt", self.name, item.get("uri"))
            else:
                dated.append((when, item))
        return dated

    def _pick(self, name: str, dated: list[tuple[datetime, dict]], floor: datetime, sweep: Sweep,
              state: PollState) -> list[tuple[dict, str]]:
        """The items above the floor not handed out before, with their kind; noted in `sweep` and `state`."""
        seen = {uri for _, uri in state.streams[name].recent} | {uri for _, uri in sweep.emitted} | set(state.handed)
        keep_from = _time(sweep.top) - self.options.late_window
        picked = []
        for when, item in dated:
            uri = item.get("uri")
            if when < floor or not isinstance(uri, str) or uri in seen:
                continue
            kind = self._kind(name, item)
            if kind:
                picked.append((item, kind))
                seen.add(uri)
                state.handed.append(uri)
                if when >= keep_from:
                    sweep.emitted.append([_iso(when), uri])
        return picked

    async def _page(self, stream: str, cursor: str | None, floor: datetime) -> tuple[list[dict], str | None]:
        params: dict[str, Any] = {"limit": self.options.page_size}
        if cursor:
            params["cursor"] = cursor
        if stream == NOTIFICATIONS:
            nsid, key = "app.bsky.notification.listNotifications", "notifications"
            params["reasons"] = list(KINDS)
        else:
            keyword = stream.removeprefix("search:")
            nsid, key = "app.bsky.feed.searchPosts", "posts"
            params.update(q=keyword, sort="latest", since=_iso(floor))
            if keyword.startswith("#") and len(keyword) > 1:
                params["tag"] = keyword[1:]
        answer = await self.session.call("GET", nsid, params=params)
        items = answer.get(key) if isinstance(answer, dict) else None
        if not isinstance(items, list):
            raise SourceError(f"Bluesky {nsid} answered without a list of {key}; will retry")
        next_cursor = answer.get("cursor")
        return [item for item in items if isinstance(item, dict)], next_cursor if isinstance(next_cursor, str) else None

    def _kind(self, stream: str, item: dict) -> str | None:
        """The post's kind if socialdesk keeps it, else None (and why, in the log)."""
        if not self._keeps(item):
            return None
        if stream == NOTIFICATIONS:
            return KINDS.get(item.get("reason"))
        return "keyword" if self.filter.keyword_hit(item["record"]["text"]) else None

    def _keeps(self, item: dict) -> bool:
        """A readable post by someone else than the brand that the filters let through (why not, in the log)."""
        record, author = item.get("record"), item.get("author")
        if not isinstance(record, dict) or record.get("$type") != POST or not isinstance(record.get("text"), str):
            log.info("bluesky %s: skipping %s: not a readable post (deleted, or another record type)", self.name,
                     item.get("uri"))
            return False
        if not isinstance(author, dict) or not isinstance(author.get("handle"), str):
            log.info("bluesky %s: skipping %s: no author", self.name, item.get("uri"))
            return False
        return author.get("did") != self.session.did and self.filter.keep(author["handle"], record["text"])

    async def thread_posts(self, root_id: str, author_id: str, since: datetime) -> list[InboundPost]:
        """The posts of account `author_id` in the thread under `root_id` written since `since`, oldest first.

        A thread that is gone (deleted, or hidden from the brand) has none."""
        try:
            answer = await self.session.call("GET", "app.bsky.feed.getPostThread",
                                             params={"uri": root_id, "depth": THREAD_DEPTH, "parentHeight": 0})
        except XrpcError as error:
            if error.code != "NotFound":
                raise
            log.info("bluesky %s: thread %s is gone: %s", self.name, root_id, error)
            return []
        posts = []
        for view in _thread_views(answer.get("thread") if isinstance(answer, dict) else None):
            author = view.get("author")
            if not isinstance(author, dict) or author.get("did") != author_id or not self._keeps(view):
                continue
            try:
                post = self._post(view, "reply", {})  # followers: known from the conversation's first post
            except (KeyError, TypeError, ValueError, AttributeError) as error:
                log.warning("bluesky %s: skipping malformed post %s: %r", self.name, view.get("uri"), error)
                continue
            if post.created_at >= since:
                posts.append(post)
        return sorted(posts, key=lambda post: post.created_at)

    async def _posts(self, picked: list[tuple[dict, str]]) -> tuple[list[InboundPost], list[Unparsed]]:
        """The picked items as posts; the malformed ones handed on with the reason, for quarantine."""
        followers = await self._followers({item["author"].get("did") for item, _ in picked} - {None})
        posts, unparsed = [], []
        for item, kind in picked:
            try:
                posts.append(self._post(item, kind, followers))
            except (KeyError, TypeError, ValueError, AttributeError) as error:
                log.warning("bluesky %s: malformed post %s set aside in quarantine: %r", self.name, item.get("uri"), error)
                unparsed.append(Unparsed(item, f"malformed {kind} post {item.get('uri')}: {error!r}"))
        return posts, unparsed

    def _post(self, item: dict, kind: str, followers: dict[str, int]) -> InboundPost:
        record, author, uri = item["record"], item["author"], item["uri"]
        root, parent = (_ref_uri(ref) for ref in _reply_refs(record))
        did = author.get("did")
        # A handle that failed verification reads "handle.invalid" for every such account: the DID labels them.
        handle = did if author["handle"] == "handle.invalid" else author["handle"]
        return InboundPost(
            network=self.network,
            external_id=uri,
            author=Author(handle=handle, name=str(author.get("displayName") or ""), followers=followers.get(did),
                          account_id=did if isinstance(did, str) else None),
            text=record["text"],
            created_at=_parse(record.get("createdAt")) or _indexed_at(item),
            thread_root_id=root or uri,
            kind=kind,
            url=post_url(handle, uri),
            reply_to_id=parent,
            raw=item,
        )

    async def _followers(self, dids: set[str]) -> dict[str, int]:
        counts: dict[str, int] = {}
        ordered = sorted(dids)
        for start in range(0, len(ordered), PROFILES_PER_CALL):
            answer = await self.session.call("GET", "app.bsky.actor.getProfiles",
                                             params={"actors": ordered[start:start + PROFILES_PER_CALL]})
            profiles = answer.get("profiles") if isinstance(answer, dict) else None
            for profile in profiles if isinstance(profiles, list) else []:
                if isinstance(profile, dict) and isinstance(profile.get("followersCount"), int):
                    counts[profile.get("did")] = profile["followersCount"]
        return counts

    # --- publishing ---------------------------------------------------------------------------

    async def publish_reply(self, reply: OutboundReply) -> Published:
        did = await self.session.ensure()
        parent = await self._post_view(reply.in_reply_to)
        parent_ref = {"uri": parent["uri"], "cid": parent["cid"]}
        root = _reply_refs(parent.get("record"))[0]
        root_ref = {"uri": root["uri"], "cid": root["cid"]} if _ref_uri(root) and isinstance(root.get("cid"), str) else parent_ref
        record = await self._record(reply.text, root_ref, parent_ref)
        rkey = record_key(reply.key, self.installation)
        try:
            answer = await self.session.call("POST", "com.atproto.repo.createRecord",
                                             body={"repo": did, "collection": POST, "rkey": rkey, "record": record})
        except SourceError:
            found = await self._existing(rkey, reply)  # the PDS refuses a second record under the same key
            if found:
                return found
            raise
        if not isinstance(answer, dict) or not isinstance(answer.get("uri"), str):
            raise SourceError("Bluesky createRecord answered without the new post's uri; will check and retry")
        return Published(answer["uri"], post_url(self.session.handle, answer["uri"]), self.clock.now())

    async def send_private(self, reply: OutboundReply) -> Published:
        raise PrivateChannelUnavailable(
            "Bluesky", "its direct messages live in a separate chat service with no way to prevent a double send. "
                       "Reply publicly asking the customer to DM the brand account, then answer them in the Bluesky app")

    async def find_published(self, key: str, reply: OutboundReply) -> Published | None:
        """The record key is derived from `key`, so one getRecord answers."""
        await self.session.ensure()
        return await self._existing(record_key(key, self.installation), reply, quiet=False)

    async def _existing(self, rkey: str, reply: OutboundReply, quiet: bool = True) -> Published | None:
        """The brand's post with record key `rkey` if it answers `reply`'s post, else None. `quiet`: a failing
        lookup counts as not found. A post there that answers another one is an error: adopting it would mark
        this reply published when it is not."""
        try:
            answer = await self.session.call("GET", "com.atproto.repo.getRecord",
                                             params={"repo": self.session.did, "collection": POST, "rkey": rkey})
        except SourceError as error:
            if quiet or getattr(error, "code", None) == "RecordNotFound":
                return None
            raise
        uri = answer.get("uri") if isinstance(answer, dict) else None
        if not isinstance(uri, str):
            return None
        value = answer.get("value") if isinstance(answer.get("value"), dict) else {}
        answers = _ref_uri(_reply_refs(value)[1])
        if answers != reply.in_reply_to:
            raise SourceError(
                f"Bluesky: the brand's post {uri} already holds this reply's record key but answers "
                f"{answers or 'no post'}, not {reply.in_reply_to}; the reply was not published. Send it again "
                "with /reply (it gets a new key)", retryable=False)
        return Published(uri, post_url(self.session.handle, uri), _parse(value.get("createdAt")) or self.clock.now())

    async def _post_view(self, uri: str) -> dict:
        answer = await self.session.call("GET", "app.bsky.feed.getPosts", params={"uris": [uri]})
        posts = answer.get("posts") if isinstance(answer, dict) else None
        found = next((p for p in posts or [] if isinstance(p, dict) and p.get("uri") == uri and p.get("cid")), None)
        if found is None:
            raise SourceError(f"Bluesky: the post to answer ({uri}) was deleted or is hidden from the brand account, so "
                              "there is no thread to reply in", retryable=False)
        return found

    async def _record(self, text: str, root: dict, parent: dict) -> dict:
        dids = {}
        for handle in mention_handles(text):
            try:
                answer = await self.session.call("GET", "com.atproto.identity.resolveHandle", params={"handle": handle})
            except SourceError as error:
                if error.retryable:
                    raise
                continue  # no such account: the @handle stays plain text
            if isinstance(answer, dict) and isinstance(answer.get("did"), str):
                dids[handle] = answer["did"]
        language = detect_language(text)
        record = models.AppBskyFeedPost.Record(
            text=text,
            created_at=_iso(self.clock.now()),
            reply=models.AppBskyFeedPost.ReplyRef(root=models.ComAtprotoRepoStrongRef.Main(**root),
                                                  parent=models.ComAtprotoRepoStrongRef.Main(**parent)),
            facets=facets(text, dids) or None,
            langs=[language] if language != "und" else None,
        )
        return get_model_as_dict(record)


def _thread_views(node: Any) -> list[dict]:
    """The postViews of a getPostThread answer's thread, its root and every reply under it, at any depth."""
    views, waiting = [], [node]
    while waiting:
        node = waiting.pop()
        if not isinstance(node, dict) or node.get("$type") != THREAD_VIEW or not isinstance(node.get("post"), dict):
            continue  # a deleted or blocked post: its replies are not shown either
        views.append(node["post"])
        replies = node.get("replies")
        waiting.extend(replies if isinstance(replies, list) else [])
    return views


def _reply_refs(record: Any) -> tuple[Any, Any]:
    """(reply.root, reply.parent) of a post record; (None, None) for a post that is not a reply."""
    reply = record.get("reply") if isinstance(record, dict) else None
    return (reply.get("root"), reply.get("parent")) if isinstance(reply, dict) else (None, None)


def _ref_uri(ref: Any) -> str | None:
    return ref["uri"] if isinstance(ref, dict) and isinstance(ref.get("uri"), str) else None


def _indexed_at(item: dict) -> datetime | None:
    return _parse(item.get("indexedAt"))


def _parse(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _time(value: str) -> datetime:
    parsed = _parse(value)
    if parsed is None:
        raise ValueError(f"not a time: {value!r}")
    return parsed


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
