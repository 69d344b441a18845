"""During a backlog a worker process enriches the next page while this one is stored (bot/ingest/ahead.py): the
rows are those of enriching inline, a failing worker costs nothing but the overlap, and a page the network refuses
to give comes after the pages before it are stored."""
from __future__ import annotations

import asyncio
import logging

import pytest
from sqlmodel import Session, select

from bot.enrich import enrich
from bot.ingest import ahead as ahead_module
from bot.ingest.ahead import Ahead, Job
from bot.ingest.normalise import enrichment_input
from bot.ingest.poller import pages, poll_once
from bot.sources.base import Author, InboundPost, PollResult, SourceError
from storage.models import Post, SourceCursor
from tests.auxil.clock import FakeClock
from tests.auxil.desk import make_runtime

TEXTS = ["@acme the app crashes every time I log in", "Acme support is great, thanks!", "@acme ¿dónde está mi pedido?",
         "@acme refund me now or I call my lawyer, card 4111 1111 1111 1111", "@acme Die App stürzt ständig ab"]


class PagedSource:
    """A source that hands out its posts `size` at a time, or an error where the test puts one."""

    name, network, max_length = "replay", "example", 500

    def __init__(self, posts: list[InboundPost | Exception], size: int) -> None:
        self.posts, self.size, self.cursors = posts, size, []

    def count_length(self, text):
        return len(text)

    def quota(self):
        return []

    async def poll(self, cursor):
        self.cursors.append(cursor)
        start = int(cursor or 0)
        chunk = self.posts[start:start + self.size]
        if any(isinstance(item, Exception) for item in chunk):
            raise next(item for item in chunk if isinstance(item, Exception))
        end = start + len(chunk)
        return PollResult(chunk, cursor=str(end), has_more=end < len(self.posts))


def posts(clock, count: int) -> list[InboundPost]:
    return [InboundPost(network="example", external_id=f"e{n}", author=Author(f"user{n % 7}", followers=n * 1000),
                        text=f"{TEXTS[n % len(TEXTS)]} #{n}", created_at=clock.now(), thread_root_id=f"e{n}")
            for n in range(count)]


@pytest.fixture
def two_cores(monkeypatch):
    monkeypatch.setattr(ahead_module, "cores", lambda: 2)


def stored(runtime) -> list[tuple]:
    with Session(runtime.engine) as session:
        return [tuple(row) for row in session.exec(select(Post.external_id, Post.language, Post.sentiment, Post.intent,
                                                          Post.priority, Post.pii).order_by(Post.external_id))]


async def test_the_worker_finds_what_enriching_inline_finds(two_cores):
    ahead = Ahead()
    source = PagedSource(posts(FakeClock(), 12), size=5)
    try:
        seen = [(page, enriched) async for page, enriched in pages(source, None, ahead)]
    finally:
        ahead.close()
    assert [len(page.posts) for page, _ in seen] == [5, 5, 2]
    for page, enriched in seen:
        assert enriched == {enrichment_input(post): enrich(post.text, followers=post.author.followers)
                            for post in page.posts}
    assert source.cursors == [None, "5", "10"]


async def test_a_single_page_starts_no_worker(two_cores):
    ahead = Ahead()
    source = PagedSource(posts(FakeClock(), 3), size=5)
    seen = [enriched async for _, enriched in pages(source, None, ahead)]
    assert seen == [{}] and ahead._pool is None  # enriched inline: nothing to overlap


async def test_a_backlog_stores_the_rows_that_enriching_inline_stores(db_url, tmp_path, two_cores):
    inline, _, clock = make_runtime(db_url, tmp_path / "inline")
    ahead, _, _ = make_runtime(f"sqlite:///{tmp_path / 'ahead.db'}", tmp_path)
    try:
        backlog = posts(clock, 23)
        assert await poll_once(inline.engine, inline.config, PagedSource(backlog, size=4), clock) == 23
        assert await poll_once(ahead.engine, ahead.config, PagedSource(backlog, size=4), clock, ahead.ahead) == 23
        assert ahead.ahead._pool is not None  # the worker did enrich
        assert stored(ahead) == stored(inline)
    finally:
        await inline.close()
        await ahead.close()


async def test_a_failing_worker_costs_the_overlap_not_the_posts(db_url, tmp_path, two_cores, monkeypatch, caplog):
    runtime, _, clock = make_runtime(db_url, tmp_path)

    def broken(self, posts):
        failed = asyncio.get_running_loop().create_future()
        failed.set_exception(RuntimeError("worker died"))
        return Job([enrichment_input(post) for post in posts], failed)

    monkeypatch.setattr(Ahead, "start", broken)
    try:
        with caplog.at_level(logging.WARNING, logger="bot.ingest.ahead"):
            assert await poll_once(runtime.engine, runtime.config, PagedSource(posts(clock, 9), size=4), clock,
                                   runtime.ahead) == 9
        assert "enriching in this process" in caplog.text
        assert [row[1:4] for row in stored(runtime)] == [
            (found.language, found.sentiment, found.intent) for found in
            (enrich(post.text, followers=post.author.followers)
             for post in sorted(posts(clock, 9), key=lambda post: post.external_id))]
    finally:
        await runtime.close()


@pytest.mark.parametrize("failure", [SourceError("example GET /mentions: rate limited (429)", retry_after=60),
                                     RuntimeError("a bug while reading the page")], ids=["refused", "unexpected"])
async def test_a_page_that_cannot_be_fetched_fails_the_poll_after_the_pages_before_it_are_stored(
        db_url, tmp_path, two_cores, failure):
    runtime, _, clock = make_runtime(db_url, tmp_path)
    try:
        with pytest.raises(type(failure)):
            await poll_once(runtime.engine, runtime.config, PagedSource([*posts(clock, 8), failure], size=4), clock,
                            runtime.ahead)
        with Session(runtime.engine) as session:
            state = session.get(SourceCursor, "replay")
            assert state.cursor == "8"  # both pages kept, with the cursor after them
            assert ("rate limited" in state.last_error) if isinstance(failure, SourceError) else not state.last_error
        assert len(stored(runtime)) == 8
    finally:
        await runtime.close()
