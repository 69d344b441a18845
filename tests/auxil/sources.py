"""Helpers for the network source tests: read a whole poll, and die mid-publish."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from bot.sources.base import InboundPost, Source, Unparsed
from tests.fakes.chat import SimulatedCrash


async def poll_all(source: Source, cursor: str | None = None) -> tuple[list[InboundPost], str | None]:
    """Every page of one poll, as the poller fetches them while `has_more`; returns the posts and the last cursor."""
    posts, _, cursor = await poll_with_unparsed(source, cursor)
    return posts, cursor


async def poll_with_unparsed(source: Source, cursor: str | None = None) -> tuple[list[InboundPost], list[Unparsed],
                                                                                  str | None]:
    """`poll_all`, with the items that did not parse (handed on for quarantine)."""
    posts: list[InboundPost] = []
    unparsed: list[Unparsed] = []
    while True:
        page = await source.poll(cursor)
        posts += page.posts
        unparsed += page.unparsed
        cursor = page.cursor
        if not page.has_more:
            return posts, unparsed, cursor


@contextmanager
def dies_after_publishing(source: Source, why: str) -> Iterator[None]:
    """Inside the block, `source.publish_reply` publishes and then the process dies (SimulatedCrash) before the
    outbox can record it; afterwards the source publishes normally again."""
    real_publish = source.publish_reply

    async def publish_then_die(reply):
        await real_publish(reply)
        raise SimulatedCrash(why)

    source.publish_reply = publish_then_die
    try:
        yield
    finally:
        source.publish_reply = real_publish
