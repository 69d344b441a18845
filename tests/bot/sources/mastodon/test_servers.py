"""Mastodon-API servers as they are: GoToSocial 0.20 and Akkoma against the fake's flavours of them.

What differs from Mastodon, each rule cited in tests/fakes/mastodon_api.py: GoToSocial's 404 for a tag nobody used
yet, its ignored Idempotency-Key, its Markdown rendering, its raw code-point count; Akkoma's count and content types.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, select

from bot.ingest.poller import poll_once
from bot.settings import BrandConfig
from bot.sources.base import OutboundReply, SourceError
from bot.sources.mastodon.client import Instance
from bot.sources.mastodon.source import build
from bot.sources.mastodon.text import countable_length, status_length
from bot.sources.options import SourceContext
from handlers import dispatch
from handlers.context import Actor, Request
from storage.models import Reply, ReplyStatus
from tests.auxil.clock import FakeClock
from tests.auxil.desk import drain, make_runtime
from tests.auxil.sources import dies_after_publishing, poll_all
from tests.fakes.chat import SimulatedCrash
from tests.fakes.mastodon_api import FakeMastodon

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
BRAND = BrandConfig(name="Acme", handles=["@acme"], hashtags=["#acmesupport"])
FAMILY = "👨\u200d👩\u200d👧\u200d👦"  # one grapheme, seven code points


@pytest.fixture
def clock():
    return FakeClock(NOW)


def make_source(fake, clock):
    context = SourceContext(name="fedi", type="mastodon", options={"base_url": fake.base_url}, brand=BRAND,
                            base_dir=Path("."), clock=clock, env={"MASTODON_ACCESS_TOKEN": fake.token})
    return build(context)


def reply_to(status, text, key="reply:7"):
    return OutboundReply(key=key, text=text, in_reply_to=status["id"], thread_root_id=status["id"],
                         customer_handle="carla@social.example", queued_at=NOW)


@pytest.mark.parametrize("flavour,software,name", [
    ("mastodon", "mastodon", "Mastodon"), ("gotosocial", "gotosocial", "GoToSocial"), ("akkoma", "akkoma", "Akkoma"),
    ("pleroma", "pleroma", "Pleroma"),
])
async def test_the_server_is_recognised_from_its_instance(clock, flavour, software, name):
    async with FakeMastodon(clock.now, flavour=flavour) as fake:
        source = make_source(fake, clock)
        assert f"@acme@social.example on {name};" in await source.verify()
        assert source.instance.software == software
        assert source.instance.counts_like_mastodon is (software == "mastodon")
        await source.close()


async def test_a_fresh_hashtag_is_no_posts_yet_not_a_failure(clock):
    async with FakeMastodon(clock.now, flavour="gotosocial") as fake:
        carla = fake.account("carla")
        mention = fake.post(carla, "@acme is anyone there?", at=NOW - timedelta(minutes=5))
        source = make_source(fake, clock)
        page = await source.poll(None)
        assert [p.external_id for p in page.posts] == [mention["id"]]
        assert fake.seen("/api/v1/timelines/tag/acmesupport")[0].path  # asked, and answered 404
        assert not any(feed.failing for feed in page.feeds)
        tagged = fake.post(carla, "#acmesupport my parcel is lost")
        posts, _ = await poll_all(source, page.cursor)
        assert [p.external_id for p in posts] == [tagged["id"]]
        await source.close()


@pytest.mark.parametrize("flavour,sent", [("gotosocial", "text/plain"), ("akkoma", "text/plain"),
                                          ("pleroma", "text/plain"), ("mastodon", None)])
async def test_replies_are_sent_as_plain_text_where_the_server_takes_it(clock, flavour, sent):
    async with FakeMastodon(clock.now, flavour=flavour, default_content_type="text/markdown") as fake:
        question = fake.post(fake.account("carla"), "@acme refund?")
        source = make_source(fake, clock)
        await source.publish_reply(reply_to(question, "**please** keep the receipt_number_ ^JD"))
        (request,) = fake.seen("/api/v1/statuses", method="POST")
        assert dict(parse_qsl(request.body.decode())).get("content_type") == sent
        (posted,) = fake.replies_by_brand()
        assert "<strong>" not in fake.status_json(posted)["content"], "what the agent typed is what the customer reads"
        await source.close()


async def test_without_content_type_gotosocial_renders_markdown(clock):
    """The fake is as strict as the server: the account's default format applies when no content_type is sent."""
    async with FakeMastodon(clock.now, flavour="gotosocial", default_content_type="text/markdown") as fake:
        async with httpx.AsyncClient(base_url=fake.base_url, headers={"Authorization": f"Bearer {fake.token}"}) as http:
            answer = await http.post("/api/v1/statuses", data={"status": "**please**"})
        assert answer.json()["content"] == "<p><strong>please</strong></p>"


async def test_crash_recovery_compares_the_text_as_posted_not_as_rendered(clock):
    """GoToSocial ignores Idempotency-Key: an attempt that got through is found by its source text, even where the
    server rendered `**please**` as bold (an account whose default is Markdown)."""
    async with FakeMastodon(clock.now, flavour="gotosocial", default_content_type="text/markdown") as fake:
        question = fake.post(fake.account("carla"), "@acme refund?")
        reply = reply_to(question, "**please** send the receipt ^JD")
        earlier = fake.post(fake.brand, "@carla@social.example **please** send the receipt ^JD",
                            reply_to=question["id"], markdown=True)
        source = make_source(fake, clock)
        found = await source.find_published(reply.key, reply)
        assert found is not None and found.external_id == earlier["id"]
        assert fake.seen(f"/api/v1/statuses/{earlier['id']}/source")
        other = replace(reply, text="please send the receipt ^JD")  # the rendered text, but not what was typed
        assert await source.find_published(other.key, other) is None
        await source.close()


async def test_without_a_source_route_the_rendered_text_is_compared(clock):
    async with FakeMastodon(clock.now, flavour="akkoma") as fake:
        question = fake.post(fake.account("carla"), "@acme refund?")
        reply = reply_to(question, "Refund sent ^JD")
        source = make_source(fake, clock)
        published = await source.publish_reply(reply)
        restarted = make_source(fake, clock)
        assert await restarted.find_published(reply.key, reply) == published
        await source.close()
        await restarted.close()


async def test_a_reply_published_once_across_a_crash_on_gotosocial(db_url, tmp_path, monkeypatch):
    async with FakeMastodon(lambda: NOW, flavour="gotosocial", default_content_type="text/markdown") as fake:
        monkeypatch.setenv("MASTODON_ACCESS_TOKEN", fake.token)
        sources = [{"name": "fedi", "type": "mastodon", "base_url": fake.base_url}]
        runtime, _, clock = make_runtime(db_url, tmp_path, sources=sources)
        fake.now = clock.now
        fake.post(fake.account("carla"), "@acme refund please", at=clock.now() - timedelta(minutes=1))
        await poll_once(runtime.engine, runtime.config, runtime.sources["fedi"], clock)
        await drain(runtime)
        await dispatch(runtime.desk, Request("reply", Actor("slack", "USAM"), 1, "**please** keep the receipt"))
        with (dies_after_publishing(runtime.sources["fedi"], "died after GoToSocial took the status"),
              pytest.raises(SimulatedCrash)):
            await runtime.outbox.drain_once()
        await runtime.close()
        second, _, second_clock = make_runtime(db_url, tmp_path, sources=sources)
        second_clock.advance(timedelta(minutes=2))
        await drain(second)
        (published,) = fake.replies_by_brand()  # the Idempotency-Key did nothing: the lookup found it
        assert published["text"].startswith("@carla@social.example **please** keep the receipt")
        with Session(second.engine) as session:
            (reply,) = session.exec(select(Reply)).all()
            assert reply.status == ReplyStatus.PUBLISHED and reply.external_id == published["id"]
        await second.close()


@pytest.mark.parametrize("text", [
    "See https://example.com/" + "a" * 60 + " ^JD",  # Mastodon counts the link as 23, GoToSocial in full
    FAMILY * 60 + " ^JD",  # one grapheme each on Mastodon, seven code points each on GoToSocial
])
async def test_gotosocial_counts_every_code_point_whatever_it_advertises(clock, text):
    async with FakeMastodon(clock.now, flavour="gotosocial", max_characters=100) as fake:
        question = fake.post(fake.account("carla"), "@acme hi")
        source = make_source(fake, clock)
        await source.poll(None)
        assert source.instance.characters_reserved_per_url == 25 and not source.instance.counts_like_mastodon
        assert countable_length(text) <= 100 < source.count_length(text)
        with pytest.raises(SourceError) as refused:
            await source.publish_reply(reply_to(question, text))
        assert not refused.value.retryable
        assert "GoToSocial counts every character: links and @user@domain in full" in str(refused.value)
        assert "shorten it by" in str(refused.value)
        assert not fake.seen("/api/v1/statuses", method="POST"), "refused here, not by the server with a 400"
        await source.close()


async def test_the_fakes_refuse_what_the_servers_refuse(clock):
    async with FakeMastodon(clock.now, flavour="gotosocial", max_characters=10) as fake:
        async with httpx.AsyncClient(base_url=fake.base_url, headers={"Authorization": f"Bearer {fake.token}"}) as http:
            too_long = await http.post("/api/v1/statuses", data={"status": FAMILY * 2})
            first = await http.post("/api/v1/statuses", data={"status": "hi"}, headers={"Idempotency-Key": "k"})
            again = await http.post("/api/v1/statuses", data={"status": "hi"}, headers={"Idempotency-Key": "k"})
        assert (too_long.status_code, too_long.json()) == (400, {"error": "Bad Request: text with spoiler exceed max "
                                                                          "chars (10)"})
        assert first.json()["id"] != again.json()["id"], "GoToSocial ignores Idempotency-Key"
    async with FakeMastodon(clock.now, flavour="akkoma", max_characters=10) as fake:
        async with httpx.AsyncClient(base_url=fake.base_url, headers={"Authorization": f"Bearer {fake.token}"}) as http:
            too_long = await http.post("/api/v1/statuses", data={"status": "https://example.com/a"})
        assert (too_long.status_code, too_long.json()) == (422, {"error": "The status is over the character limit"})


@pytest.mark.parametrize("flavour", ["gotosocial", "akkoma", "pleroma"])
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(st.characters(codec="utf-8"), max_size=80)
       | st.lists(st.sampled_from(["https://example.com/x", "@carla@social.example", FAMILY, "é", "e\u0301", " ", "a"]),
                  max_size=30).map("".join))
def test_the_guard_is_never_looser_than_the_server(flavour, text):
    """Whatever the text, a server that does not count Mastodon's way never counts more than socialdesk does."""
    server = FakeMastodon(lambda: NOW, flavour=flavour)
    instance = Instance("social.example", characters_reserved_per_url=25 if flavour == "gotosocial" else 23,
                        software=flavour)
    ours = status_length(text, url_length=instance.characters_reserved_per_url,
                         counts_like_mastodon=instance.counts_like_mastodon)
    assert ours >= server.countable_length(text)


async def test_gotosocial_has_no_event_stream_and_says_polls_read_everything(clock):
    async with FakeMastodon(clock.now, flavour="gotosocial") as fake:
        source = make_source(fake, clock)
        with pytest.raises(SourceError) as raised:
            await anext(source.stream())
        assert not raised.value.retryable and "polls read every feed" in str(raised.value)
        assert not fake.seen("/api/v1/streaming/user/notification"), "no request the server would answer with 404"
        async with httpx.AsyncClient() as http:
            probe = await http.get(f"{fake.base_url}/api/v1/streaming/user/notification",
                                   headers={"Authorization": f"Bearer {fake.token}"})
        assert probe.status_code == 404
        await source.close()


async def test_after_a_429_the_next_poll_waits_past_the_reset_second(monkeypatch):
    """GoToSocial states the reset as a whole second while the window ends within it: a poll at that second would be
    refused again, so the wait goes a margin past it."""
    clock = FakeClock(NOW + timedelta(milliseconds=500))
    monkeypatch.setattr("bot.sources.http.random.uniform", lambda low, high: low)  # no jitter: the shortest wait
    async with FakeMastodon(clock.now, flavour="gotosocial") as fake:
        mention = fake.post(fake.account("carla"), "@acme hello?", at=NOW - timedelta(minutes=1))
        source = make_source(fake, clock)
        await source.poll(None)
        fake.used = fake.rate_limit  # the window is used up
        with pytest.raises(SourceError, match="rate limited") as limited:
            await source.poll(None)
        stated_reset = fake.window_ends.replace(microsecond=0)
        assert clock.now() + timedelta(seconds=limited.value.retry_after) > fake.window_ends > stated_reset
        clock.advance(timedelta(seconds=limited.value.retry_after))
        posts, _ = await poll_all(source)
        assert [p.external_id for p in posts] == [mention["id"]], "read after the wait, not refused again"
        await source.close()
