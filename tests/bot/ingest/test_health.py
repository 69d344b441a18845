"""Source health: the poller stores it, `/desk status` and `socialdesk check` show it."""
from __future__ import annotations

import contextlib
from datetime import timedelta

from bot.ingest.poller import poll_once
from bot.sources.base import Author, FeedHealth, InboundPost, PollResult, Quota, SourceError
from handlers import dispatch
from handlers.context import Actor, Request
from tests.auxil.desk import make_runtime

SAM = Actor("slack", "USAM")


class ScriptedSource:
    """A source whose pages, errors and quota the test sets."""

    name, network, max_length = "replay", "example", 500

    def __init__(self, clock) -> None:
        self.clock, self.pages, self.quotas = clock, [], []

    def count_length(self, text):
        return len(text)

    def quota(self):
        return self.quotas

    async def poll(self, cursor):
        page = self.pages.pop(0)
        if isinstance(page, Exception):
            raise page
        return page


def post(number: int, clock) -> InboundPost:
    return InboundPost(network="example", external_id=f"e{number}", author=Author("carla"), text="@acme hello?",
                       created_at=clock.now(), thread_root_id=f"e{number}")


async def status(runtime) -> str:
    outcome = await dispatch(runtime.desk, Request("desk", SAM, args="status"))
    assert outcome.ok
    return outcome.text


async def test_status_shows_success_quota_then_failure(db_url, tmp_path):
    runtime, _, clock = make_runtime(db_url, tmp_path)
    source = ScriptedSource(clock)
    assert "replay (replay): not polled yet" in await status(runtime)

    source.quotas = [Quota("mentions", 300, 290, clock.now() + timedelta(minutes=15))]
    source.pages = [PollResult([post(1, clock)], cursor="c1")]
    assert await poll_once(runtime.engine, runtime.config, source, clock) == 1
    clock.advance(timedelta(minutes=2))
    text = await status(runtime)
    assert "replay (replay): ok, polled 2 min ago" in text
    assert "mentions: 290 of 300 left until 09:15 UTC" in text

    source.quotas = [Quota("mentions", 300, 0, clock.now() + timedelta(minutes=13))]
    source.pages = [SourceError("example GET /mentions: rate limited (429); waiting 780s", retry_after=780)]
    with contextlib.suppress(SourceError):
        await poll_once(runtime.engine, runtime.config, source, clock)
    clock.advance(timedelta(seconds=30))
    text = await status(runtime)
    assert "FAILING since 30 s ago: example GET /mentions: rate limited (429)" in text
    assert "(last success 2 min ago)" in text and "mentions: 0 of 300 left" in text


async def test_status_shows_each_feed_its_last_success_error_and_next_try(db_url, tmp_path):
    runtime, _, clock = make_runtime(db_url, tmp_path)
    source = ScriptedSource(clock)
    started = clock.now()
    tag = FeedHealth("tag:acmesupport", last_error="example GET /tags/acmesupport: server error 502; will retry",
                     last_error_at=started, failing_since=started, next_try_at=started + timedelta(minutes=2))
    search = FeedHealth("search:acme", note="keyword search is not available on this server")
    source.pages = [PollResult([post(1, clock)], cursor="c1",
                               feeds=(FeedHealth("mentions", last_success_at=started), tag, search))]
    assert await poll_once(runtime.engine, runtime.config, source, clock) == 1
    clock.advance(timedelta(seconds=30))
    text = await status(runtime)
    assert "replay (replay): ok, polled 30 s ago" in text, "one failing feed is not the source failing"
    assert "feed mentions ok 30 s ago" in text
    assert ("feed tag:acmesupport FAILING since 30 s ago: example GET /tags/acmesupport: server error 502; will retry "
            "(next try in 2 min)") in text
    assert "feed search:acme not read yet (keyword search is not available on this server)" in text


async def test_status_is_for_agents_and_knows_its_subcommands(db_url, tmp_path):
    runtime, _, _ = make_runtime(db_url, tmp_path)
    stranger = await dispatch(runtime.desk, Request("desk", Actor("slack", "UNOBODY"), args="status"))
    assert not stranger.ok and "Only socialdesk agents" in stranger.text
    typo = await dispatch(runtime.desk, Request("desk", SAM, args="stauts"))
    assert not typo.ok and "Usage: /desk [status|me]" in typo.text
