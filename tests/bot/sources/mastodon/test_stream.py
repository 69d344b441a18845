"""Mastodon's streaming API against the fake server: posts as they happen, polls as the backfill after a break."""
from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.ingest.stream import follow
from bot.settings import BrandConfig
from bot.sources.base import SourceError
from bot.sources.mastodon.source import build
from bot.sources.options import SourceContext
from storage.models import Post
from tests.auxil.clock import FakeClock
from tests.auxil.desk import make_runtime
from tests.fakes.mastodon_api import FakeMastodon

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
BRAND = BrandConfig(name="Acme", handles=["@acme"], hashtags=["#acmehelp"])


@pytest.fixture
async def fake():
    async with FakeMastodon(FakeClock(NOW).now) as server:
        server.heartbeat = 0.2  # seconds: a few heartbeats within each test
        yield server


@pytest.fixture
async def source(fake):
    clock = FakeClock(NOW)
    context = SourceContext(name="fedi", type="mastodon", options={"base_url": fake.base_url}, brand=BRAND,
                            base_dir=Path("."), clock=clock, env={"MASTODON_ACCESS_TOKEN": fake.token})
    made = build(context)
    yield made
    await made.close()


async def until(condition, seconds: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_mentions_and_hashtag_posts_arrive_as_they_are_written(fake, source):
    carla, bob = fake.account("carla", display_name="Carla Diaz"), fake.account("bob", domain="other.example")
    events = source.stream()
    assert await anext(events) == []  # connected: the user stream and #acmehelp
    assert fake.listeners == 2 and {s.path for s in fake.seen(method="GET") if "streaming" in s.path} == {
        "/api/v1/streaming/user/notification", "/api/v1/streaming/hashtag"}
    fake.post(carla, "@acme my order never arrived")
    (mention,) = await asyncio.wait_for(anext(events), 5)
    assert (mention.kind, mention.author.handle, mention.text) == ("mention", "carla@social.example",
                                                                   "@acme my order never arrived")
    fake.post(bob, "does anyone know if the shop is open today #AcmeHelp")
    (tagged,) = await asyncio.wait_for(anext(events), 5)
    assert tagged.kind == "keyword" and tagged.author.handle == "bob@other.example"
    fake.post(bob, "nothing to do with the brand #cooking")  # neither a mention nor a followed tag
    await asyncio.sleep(0.5)  # a few heartbeats go by, and nothing else
    fake.post(carla, "@acme still nothing")
    (later,) = await asyncio.wait_for(anext(events), 5)
    assert later.text == "@acme still nothing"
    await events.aclose()
    await until(lambda: fake.listeners == 0)


async def test_a_dropped_stream_is_a_source_error(fake, source):
    events = source.stream()
    assert await anext(events) == []
    fake.drop_streams()
    with pytest.raises(SourceError, match="closed the stream"):
        await asyncio.wait_for(anext(events), 5)


async def test_no_streaming_on_the_server_is_an_error_that_retrying_soon_will_not_fix(fake, source):
    fake.streaming_available = False
    with pytest.raises(SourceError) as raised:
        await anext(source.stream())
    assert not raised.value.retryable and "404" in str(raised.value)


async def test_follow_stores_what_is_streamed_and_polls_after_each_reconnection(fake, source, db_url, tmp_path,
                                                                                   monkeypatch):
    monkeypatch.setenv("MASTODON_ACCESS_TOKEN", fake.token)
    runtime, _, clock = make_runtime(db_url, tmp_path, sources=[{"name": "fedi", "type": "mastodon",
                                                                 "base_url": fake.base_url}])
    connections, stored = [], []
    task = asyncio.create_task(follow(runtime.engine, runtime.config, source, clock, may_run=lambda: True,
                                      connected=lambda: connections.append(1), stored=stored.append))
    try:
        await until(lambda: connections == [1])
        fake.post(fake.account("carla"), "@acme the app logs me out every minute")
        await until(lambda: stored == [1])
        fake.drop_streams()  # the streaming server restarts: the follower reconnects and asks for a backfill
        await until(lambda: len(connections) == 2, seconds=10)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    with Session(runtime.engine) as session:
        assert [p.text for p in session.exec(select(Post))] == ["@acme the app logs me out every minute"]
