"""The Mastodon source's feeds, and how each pages without a gap or a duplicate across restarts.

Each feed keeps its own small state in the source's cursor, so a crash after any stored
page resumes exactly there. IDs are never compared: the server orders every list.

- `IdFeed` (mentions, a hashtag's timeline): pages forward with `min_id`, which returns the
  items immediately newer than it, oldest page first; the next `min_id` comes from the
  Link header's `prev` link (the newest item as a fallback). The first poll walks back
  with `max_id` until it passes the backfill window, emits that oldest page and pages
  forward from there.
- `SearchFeed` (full-text search): results may be ordered by relevance, and Mastodon
  turns `min_id` into a date filter (to the second), so a round asks for everything after
  the newest hit of the last round, pages with `offset`, and drops that hit itself when it
  comes back; the newest hit is picked by its time.
- `ThreadsFeed` (replies in the brand's threads): the brand's statuses of the last
  `watch_threads` whose reply count changed get their context read again; a thread whose context
  cannot be read is skipped and tried again on the next poll.

A feed that fails is isolated by the source (`bot/sources/feed_health.py`): the others are read.
"""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.sources.base import SourceError, Unparsed
from bot.sources.http import NotFound
from bot.sources.mastodon.client import Entity, MastodonApi, Page, Status

log = logging.getLogger(__name__)
BACKFILL_PAGES = 20  # the first poll walks back at most this many pages to find the window's start
LATE_ARRIVALS = timedelta(hours=1)  # statuses can federate late: look this far before the last round again


@dataclass(frozen=True)
class Found:
    """A status a feed turned up, with the kind of hit and its thread root when the feed knows it."""

    status: Status
    raw: dict[str, Any]
    kind: str
    root: str | None = None


@dataclass
class Advance:
    found: list[Found]
    state: dict[str, Any]
    more: bool = False
    roots: dict[str, str] = field(default_factory=dict)  # status id -> thread root learned on the way
    unparsed: list[Unparsed] = field(default_factory=list)  # items of the pages read that did not parse


Fetch = Callable[..., Awaitable[Page]]
Pick = Callable[[Entity, dict[str, Any]], Found | None]


class IdFeed:
    def __init__(self, fetch: Fetch, pick: Pick, limit: int) -> None:
        self.fetch, self.pick, self.limit = fetch, pick, limit

    async def advance(self, state: dict[str, Any], cutoff: datetime) -> Advance:
        min_id = state.get("min_id")
        if min_id is None:
            return await self._backfill(cutoff)
        page = await self.fetch(min_id=min_id, limit=self.limit)
        newest = page.link_param("prev", "min_id") or (page.items[0][0].id if page.items else None)
        moved = newest is not None and newest != min_id
        more = moved and (page.size >= self.limit or not page.items)  # an empty page that moved was all filtered
        return Advance(self._found(page), {"min_id": newest if moved else min_id}, more, unparsed=page.unparsed)

    async def _backfill(self, cutoff: datetime) -> Advance:
        pages, max_id = [], None
        for _ in range(BACKFILL_PAGES):
            page = await self.fetch(max_id=max_id, limit=self.limit)
            pages.append(page)
            max_id = page.link_param("next", "max_id") or (page.items[-1][0].id if page.items else None)
            if page.size < self.limit or max_id is None or any(f.status.created_at < cutoff for f in self._found(page)):
                break
        else:
            log.warning("mastodon: more than %d pages since %s; the backfill starts at the oldest of them",
                        BACKFILL_PAGES, cutoff.isoformat())
        if len(pages) > 1 and not pages[-1].size:
            pages.pop()  # the walk ran past the oldest item: the page before is the oldest
        oldest = pages[-1]
        newest = oldest.link_param("prev", "min_id") or (oldest.items[0][0].id if oldest.items else None)
        found = [f for f in self._found(oldest) if f.status.created_at >= cutoff]
        return Advance(found, {"min_id": newest}, more=newest is not None and len(pages) > 1, unparsed=oldest.unparsed)

    def _found(self, page: Page) -> list[Found]:
        return [found for entity, raw in page.items if (found := self.pick(entity, raw)) is not None]

    async def probe(self) -> None:
        """Read one item, as `socialdesk check` does: raises SourceError when the feed cannot be read."""
        await self.fetch(limit=1)


class SearchFeed:
    def __init__(self, api: MastodonApi, query: str, limit: int) -> None:
        self.api, self.query, self.limit = api, query, limit

    async def advance(self, state: dict[str, Any], cutoff: datetime) -> Advance:
        since = state.get("since")  # {"id", "at"} of the newest hit of the last round
        floor = _time(since["at"]) - LATE_ARRIVALS if since else cutoff
        offset = state.get("offset", 0)
        page = await self.api.search_statuses(self.query, limit=self.limit, offset=offset,
                                              min_id=since["id"] if since else None)
        hits = [(status, raw) for status, raw in page.items if not (since and status.id == since["id"])]
        fresh = [(status, raw) for status, raw in hits if status.created_at >= floor]
        found = [Found(status, raw, "keyword") for status, raw in fresh]
        top = _newest(state.get("top"), [status for status, _ in fresh])
        if page.size >= self.limit and len(fresh) == len(hits):
            return Advance(found, {"since": since, "top": top, "offset": offset + page.size}, more=True,
                           unparsed=page.unparsed)
        return Advance(found, {"since": top or since}, unparsed=page.unparsed)

    async def probe(self) -> None:
        await self.api.search_statuses(self.query, limit=1, offset=0, min_id=None)


class ThreadsFeed:
    def __init__(self, api: MastodonApi, account_id: str, window: timedelta, now: Callable[[], datetime],
                 limit: int) -> None:
        self.api, self.account_id, self.window, self.now, self.limit = api, account_id, window, now, limit

    async def advance(self, state: dict[str, Any], cutoff: datetime) -> Advance:
        checked_at = _time(state.get("checked_at"))
        floor = checked_at - LATE_ARRIVALS if checked_at else cutoff
        replies_seen: dict[str, int] = state.get("replies", {})
        now = self.now()
        page = await self.api.account_statuses(self.account_id, limit=self.limit)
        watched = [status for status, _ in page.items if status.created_at >= now - self.window]
        result = Advance([], {"checked_at": now.isoformat(), "replies": {s.id: s.replies_count for s in watched}})
        for status in watched:
            if not status.replies_count or status.replies_count == replies_seen.get(status.id):
                continue
            try:
                thread = await self.api.context(status.id)
            except NotFound:
                continue  # deleted meanwhile
            except SourceError as error:  # one thread failing never keeps the others from being read
                log.warning("mastodon: the replies under %s could not be read (%s); tried again next poll",
                            status.id, error)
                result.state["replies"][status.id] = replies_seen.get(status.id, 0)
                continue
            root = thread.ancestors[0][0].id if thread.ancestors else status.id
            result.roots[status.id] = root
            result.roots.update({s.id: root for s, _ in (*thread.ancestors, *thread.descendants)})
            result.found += [Found(reply, raw, "reply", root) for reply, raw in thread.descendants
                             if reply.created_at >= floor]
        return result

    async def probe(self) -> None:
        await self.api.account_statuses(self.account_id, limit=1)


def _newest(mark: dict[str, str] | None, statuses: list[Status]) -> dict[str, str] | None:
    """The newest of a stored {"id", "at"} mark and `statuses`, by creation time."""
    candidates = [(status.created_at, status.id) for status in statuses]
    if mark:
        candidates.append((_time(mark["at"]), mark["id"]))
    if not candidates:
        return None
    at, newest = max(candidates, key=lambda candidate: candidate[0])
    return {"id": newest, "at": at.isoformat()}


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
