"""Polling a source: page from the stored cursor, storing each page's posts and the new cursor together.

Because a page and its cursor commit in one transaction, a crash or restart resumes exactly
where the last stored page ended: no gap, no duplicate. A source whose feeds miss follow-ups
(`Threads`, Bluesky) then has the threads of its open conversations read, each stored on its own.
"""
from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.clock import Clock
from bot.ingest import alerts
from bot.ingest.ahead import Ahead, Enriched
from bot.ingest.quarantine import reason_of
from bot.ingest.stream import store_posts, store_posts_once
from bot.settings import DeskConfig
from bot.sources.base import FeedsFailing, PollResult, Source, SourceError, Threads
from bot.sources.feed_health import continued
from storage.db import session_scope
from storage.models import SourceCursor
from storage.queries import open_threads

log = logging.getLogger(__name__)
MAX_PAGES_PER_POLL = 50
THREADS_PER_POLL = 100  # open conversations whose threads are read after a poll, the most recently active first


async def poll_once(engine: Engine, config: DeskConfig, source: Source, clock: Clock, ahead: Ahead | None = None) -> int:
    """Fetch and store everything new; returns how many posts were new. Raises SourceError on failure.
    In a backlog, `ahead`'s worker enriches each page while the page before it is stored."""
    with session_scope(engine) as session:
        state = session.get(SourceCursor, source.name)
        cursor = state.cursor if state else None
    new = 0
    try:
        async with aclosing(pages(source, cursor, ahead or Ahead(enabled=False))) as fetched:
            async for page, enriched in fetched:
                # Enriching and storing a page is CPU and database work: off the event loop, so chat stays answered.
                new += await asyncio.to_thread(_store_page, engine, config, source, page, clock.now(), enriched)
    except SourceError as error:
        await asyncio.to_thread(_record_error, engine, config, source, clock, error)
        raise
    if isinstance(source, Threads):
        new += await _follow_threads(engine, config, source, clock)
    return new


async def pages(source: Source, cursor: str | None, ahead: Ahead) -> AsyncIterator[tuple[PollResult, Enriched]]:
    """The source's pages from `cursor` (at most MAX_PAGES_PER_POLL), each with what `ahead`'s worker found of its
    posts. In a backlog the next page is fetched, and its enrichment started, before this one is handed on: the
    worker enriches it while the caller stores this one. A failure fetching it is raised after this one is stored."""
    page = await source.poll(cursor)
    job = ahead.start(page.posts) if page.has_more else None  # a single page: nothing to overlap
    for number in range(1, MAX_PAGES_PER_POLL + 1):
        following = following_job = failure = None
        if page.has_more and number < MAX_PAGES_PER_POLL:
            try:
                following = await source.poll(page.cursor)
                following_job = ahead.start(following.posts)
            except Exception as error:  # this page is stored first, as when pages were fetched one by one
                failure = error
        yield page, await ahead.results(job)
        if failure is not None:
            raise failure
        if following is None:
            return
        page, job = following, following_job


async def _follow_threads(engine: Engine, config: DeskConfig, source: Threads, clock: Clock) -> int:
    """The customers' new posts in the threads of the source's open conversations; returns how many were new.
    A thread the network refuses for good is skipped (logged). A temporary error ends this round of thread reads
    without failing the poll, whose feeds were read and stored: every poll reads the threads again."""
    with Session(engine) as session:
        threads = open_threads(session, source.name, THREADS_PER_POLL)
    new = 0
    for root_id, author_id, since in threads:
        try:
            posts = await source.thread_posts(root_id, author_id, since)
        except SourceError as error:
            if not error.retryable:
                log.warning("%s: skipped the thread %s: %s", source.name, root_id, error)
                continue
            log.warning("%s: reading the open conversations' threads stopped at %s (%s); the next poll reads them "
                        "again", source.name, root_id, error)
            break
        if posts:
            new += await asyncio.to_thread(store_posts_once, engine, config, source.name, posts, clock.now())
    return new


def _store_page(engine: Engine, config: DeskConfig, source: Source, page: PollResult, now, enriched: Enriched) -> int:
    """The page's posts and the cursor after them, in one transaction (with the news that a failing source
    recovered); returns how many posts were new."""
    with session_scope(engine) as session:
        new = store_posts(session, config, source.name, page.posts, now, page.unparsed, enriched)
        state = session.get(SourceCursor, source.name) or SourceCursor(source_name=source.name)
        state.cursor = page.cursor
        state.last_success_at = now
        state.last_error = None
        state.quota = quota_state(source)
        alerts.record_success(session, config, state, now)
        alerts.record_feeds(session, config, state, page.feeds, now)
        session.add(state)
    return new


def quota_state(source: Source) -> list[dict]:
    return [{"bucket": q.bucket, "limit": q.limit, "remaining": q.remaining,
             "reset_at": q.reset_at.isoformat() if q.reset_at else None} for q in source.quota()]


def _record_error(engine: Engine, config: DeskConfig, source: Source, clock: Clock, error: SourceError) -> None:
    """The error on the source's health row, and the team's alert once it is due, in one transaction."""
    with session_scope(engine) as session:
        state = session.get(SourceCursor, source.name) or SourceCursor(source_name=source.name)
        state.last_error = str(error)
        state.last_error_at = clock.now()
        state.quota = quota_state(source)
        if isinstance(error, FeedsFailing):  # every feed failing is the source failing: its own alert says so
            state.feeds = [feed.to_json() for feed in continued(state.feeds or [], error.feeds)]
        alerts.record_failure(session, config, state, error, clock.now())
        session.add(state)


def unexpected(error: Exception) -> SourceError:
    """An error no source or post explains (a bug, the database): recorded as the source's error, and announced at
    once, since only a person can fix it."""
    return SourceError(f"unexpected {reason_of(error)}; socialdesk's log has the details. Retrying; if it persists, "
                       "report it with the log lines", needs_action=True)


def _record_next_poll(engine: Engine, name: str, at) -> None:
    with session_scope(engine) as session:
        state = session.get(SourceCursor, name) or SourceCursor(source_name=name)
        state.next_poll_at = at
        session.add(state)


@dataclass(frozen=True)
class PollOutcome:
    new: int  # posts stored
    failures: int  # consecutive failures so far
    wait: float  # seconds until the next poll


async def poll_on_schedule(engine: Engine, config: DeskConfig, source: Source, clock: Clock, every: float,
                           failures: int, ahead: Ahead | None = None) -> PollOutcome:
    """One scheduled poll. The next one comes after the interval; after an error, when the network says
    (Retry-After) or after a jittered backoff. The next poll's time is stored for the source's health."""
    new = 0
    try:
        new = await poll_once(engine, config, source, clock, ahead)
        failures, wait = 0, every
    except SourceError as error:
        failures += 1
        wait = error.retry_after or min(900.0, every * 2 ** failures) * random.uniform(0.8, 1.2)
        log.warning("source %s: %s; next try in %.0fs", source.name, error, wait, extra={"source": source.name})
    except Exception as error:
        failures += 1
        wait = min(900.0, every * 2 ** failures)
        log.exception("source %s: unexpected error; next try in %.0fs", source.name, wait, extra={"source": source.name})
        await asyncio.to_thread(_record_error, engine, config, source, clock, unexpected(error))
    _record_next_poll(engine, source.name, clock.now() + timedelta(seconds=wait))
    return PollOutcome(new, failures, wait)
