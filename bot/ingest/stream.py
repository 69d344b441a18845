"""Storing posts, polled or streamed, and following a source's stream.

`store_posts` is the one entry point the poller and the streams share: the posts through the
pipeline, then incident grouping (bot/ingest/incidents.py), in the caller's transaction. A page is
stored at once, in one savepoint (bot/ingest/pipeline.py `ingest_page`); should anything in it fail,
it is stored again post by post, each in a savepoint of its own: a post that cannot be stored is set
aside in quarantine (bot/ingest/quarantine.py) and the rest of the page goes on.

`follow` keeps a streaming source connected while this process runs the jobs. Streamed posts are
stored the moment they arrive; each (re)connection asks for a poll at once, which fills whatever
was missed while the stream was down (the poll's cursor knows where it stopped). While the stream
is down the polls simply go on at their interval, so a broken stream costs latency, never posts.
"""
from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from contextlib import aclosing
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.clock import Clock
from bot.ingest import incidents, quarantine
from bot.ingest.ahead import EMPTY, Enriched
from bot.ingest.pipeline import Ingested, ingest, ingest_page
from bot.settings import DeskConfig
from bot.sources.base import InboundPost, SourceError, Streaming, Unparsed
from storage.db import session_scope

log = logging.getLogger(__name__)
MAX_BACKOFF = 300.0  # seconds between reconnection attempts, at most
IDLE = 5.0  # seconds between looks while another replica runs the jobs


def store_posts(session: Session, config: DeskConfig, source_name: str, posts: list[InboundPost], now: datetime,
                unparsed: list[Unparsed] = (), enriched: Enriched = EMPTY) -> int:
    """Store `posts` (duplicates and the brand's own are skipped), then group new conversations into incidents;
    returns how many posts were new. `unparsed` items, and posts that cannot be stored, go to quarantine.
    `enriched`: what a worker process found of the posts already (bot/ingest/ahead.py)."""
    for item in unparsed:
        quarantine.set_aside(session, config, source_name, payload=item.raw, reason=item.reason, now=now)
    try:
        with session.begin_nested():
            results = ingest_page(session, config, source_name, posts, now, enriched)
    except Exception as error:
        if not quarantine.is_the_posts_fault(error):
            raise
        log.info("source %s: a page of %d posts did not store at once (%s); storing it post by post", source_name,
                 len(posts), quarantine.reason_of(error))
        session.expunge_all()  # the page's new rows, rolled back, would stay in the session (storage/bulk.py)
        results = [_store_one(session, config, source_name, post, now) for post in posts]
    stored = [found for found in results if found]
    incidents.group(session, config, stored, now)
    return len(stored)


def _store_one(session: Session, config: DeskConfig, source_name: str, post: InboundPost, now: datetime) -> Ingested | None:
    """`post` in a savepoint of its own; one that cannot be stored goes to quarantine."""
    try:
        with session.begin_nested():
            return ingest(session, config, source_name, post, now)
    except Exception as error:
        if not quarantine.is_the_posts_fault(error):
            raise
        quarantine.set_aside(session, config, source_name, payload=post.raw, reason=quarantine.reason_of(error),
                             post=post, now=now)
        return None


def store_posts_once(engine: Engine, config: DeskConfig, source_name: str, posts: list[InboundPost],
                     now: datetime) -> int:
    """`store_posts` in a transaction of its own."""
    with session_scope(engine) as session:
        return store_posts(session, config, source_name, posts, now)


async def follow(engine: Engine, config: DeskConfig, source: Streaming, clock: Clock, *, may_run: Callable[[], bool],
                 connected: Callable[[], None], stored: Callable[[int], None]) -> None:
    """Stream `source` until cancelled: `connected()` after each (re)connection (poll now to backfill), `stored(n)`
    after new posts were stored. Only while `may_run()` (this replica holds the jobs' lease)."""
    failures = 0
    while True:
        if not may_run():
            await asyncio.sleep(IDLE)
            continue
        try:
            async with aclosing(source.stream()) as stream:
                async for posts in stream:
                    if not posts:
                        log.info("source %s: streaming; polls backfill and read what has no stream", source.name,
                                 extra={"source": source.name})
                        failures = 0
                        connected()
                        continue
                    new = await asyncio.to_thread(store_posts_once, engine, config, source.name, posts, clock.now())
                    if new:
                        stored(new)
                    if not may_run():
                        break  # another replica took the jobs over: it streams now
        except SourceError as error:
            failures += 1
            wait = error.retry_after or min(MAX_BACKOFF, 2.0 ** failures) * random.uniform(0.8, 1.2)
            if not error.retryable:
                wait = MAX_BACKOFF
            log.warning("source %s: stream interrupted (%s); polls go on, reconnecting in %.0fs", source.name, error, wait,
                        extra={"source": source.name})
            await asyncio.sleep(wait)
        except Exception:
            failures += 1
            log.exception("source %s: unexpected error in the stream; polls go on, reconnecting", source.name,
                          extra={"source": source.name})
            await asyncio.sleep(min(MAX_BACKOFF, 2.0 ** failures))
