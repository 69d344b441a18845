"""Reddit through the whole desk: poller + database, chat threads, /reply, the outbox across crashes."""
from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from bot.app.cli import app
from bot.ingest.poller import poll_once
from bot.views import Notice
from handlers import dispatch
from handlers.context import Actor, Request
from storage.models import Conversation, Post, Reply, ReplyStatus, SourceCursor
from tests.auxil.cli import ROOT, project, runner
from tests.auxil.clock import FakeClock
from tests.auxil.desk import drain, make_runtime
from tests.auxil.sources import dies_after_publishing
from tests.fakes.chat import SimulatedCrash
from tests.fakes.reddit_api import BRAND, CLIENT_ID, CLIENT_SECRET, PASSWORD, FakeReddit

SAM = Actor("slack", "USAM")


@pytest.fixture
async def reddit(monkeypatch):
    for key, value in {"CLIENT_ID": CLIENT_ID, "CLIENT_SECRET": CLIENT_SECRET, "USERNAME": BRAND,
                       "PASSWORD": PASSWORD}.items():
        monkeypatch.setenv(f"REDDIT_{key}", value)
    async with FakeReddit(clock=None) as fake:
        yield fake


@pytest.fixture
async def desk(reddit, db_url, tmp_path):
    """A runtime whose only source is Reddit, pointed at the fake; `desk.restart()` is a new process."""
    runtimes = []

    def start(**options):
        source = {"name": "reddit", "type": "reddit", "base_url": reddit.base_url, "auth_url": reddit.base_url,
                  "subreddits": ["acme"], **options}
        runtime, chat, clock = make_runtime(db_url, tmp_path, sources=[source])
        if runtimes:
            clock.advance(runtimes[-1][2].now() - clock.now())  # the same time line as before the restart
        reddit.clock = clock
        runtimes.append((runtime, chat, clock))
        return runtime, chat, clock

    yield start
    for runtime, _, _ in runtimes:
        await runtime.close()


def stored(runtime) -> list[str]:
    with Session(runtime.engine) as session:
        return [p.external_id for p in session.exec(select(Post).order_by(Post.id))]


def cursor(runtime) -> dict:
    with Session(runtime.engine) as session:
        return json.loads(session.get(SourceCursor, "reddit").cursor)


async def poll(runtime, clock):
    return await poll_once(runtime.engine, runtime.config, runtime.sources["reddit"], clock)


async def test_a_failing_feed_is_stored_alone_and_read_again_after_a_restart(reddit, desk):
    runtime, _, clock = desk(page_size=2)
    thread = reddit.submission("dan", "Daily thread", "")
    mentions = [reddit.comment(f"user{n}", f"u/{BRAND} help {n}", thread) for n in range(5)]
    keyword_comments = [reddit.comment("gus", "acme is slow", thread), reddit.comment("hal", "acme is down", thread)]
    searched = [reddit.submission(f"op{n}", f"Acme question {n}", "") for n in range(3)]
    reddit.fail("/search", status=502, body="Bad Gateway")

    await poll(runtime, clock)  # search fails alone: the poll goes on
    assert stored(runtime) == mentions + keyword_comments, "inbox and subreddit comments were stored"
    with Session(runtime.engine) as session:
        feeds = {feed["name"]: feed for feed in session.get(SourceCursor, "reddit").feeds}
    assert "server error 502" in feeds["search:Acme OR acmee OR acmesupport"]["last_error"]
    assert feeds["inbox"]["last_error"] is None and feeds["inbox"]["last_success_at"]

    runtime, _, clock = desk(page_size=2)  # a new process
    await poll(runtime, clock)
    assert stored(runtime) == mentions + keyword_comments + searched
    later = reddit.submission("ivy", "acme again", "")
    await poll(runtime, clock)
    assert stored(runtime) == mentions + keyword_comments + searched + [later]


async def test_a_crash_in_the_middle_of_a_feed_reads_that_feed_again(reddit, desk):
    runtime, _, clock = desk(page_size=2)
    thread = reddit.submission("dan", "Daily thread", "")
    first = reddit.comment("carla", f"u/{BRAND} first", thread)
    assert await poll(runtime, clock) == 1
    clock.advance(timedelta(minutes=1))
    mentions = [reddit.comment(f"user{n}", f"u/{BRAND} question {n}", thread) for n in range(5)]
    source = runtime.sources["reddit"]
    real_listing, calls = source._listing, []

    async def die_on_the_second_page(feed, after):
        calls.append(after)
        if after:
            raise SimulatedCrash("the process died after reading page 1 of the inbox")
        return await real_listing(feed, after)

    source._listing = die_on_the_second_page
    with pytest.raises(SimulatedCrash):
        await poll(runtime, clock)
    assert stored(runtime) == [first] and calls[-1] is not None

    runtime, _, clock = desk(page_size=2)
    await poll(runtime, clock)
    assert stored(runtime) == [first, *mentions]


async def test_reddit_conversation_from_poll_to_published_reply(reddit, desk):
    runtime, chat, clock = desk()
    question = reddit.submission("carla", "Acme app crashes on start", "Since the update, every time.")
    assert await poll(runtime, clock) == 1
    await drain(runtime)
    (parent,) = chat.parents
    assert parent.channel == "C0SOCIAL"

    outcome = await dispatch(runtime.desk, Request("reply", SAM, 1, "Sorry! Please update to 2.1 *today*"))
    assert outcome.ok, outcome.text
    await drain(runtime)
    (comment,) = reddit.brand_comments()
    assert comment["parent_id"] == question and comment["body"] == r"Sorry! Please update to 2.1 \*today\* \^SL"
    notice = [m for m in chat.thread(parent.message_id) if isinstance(m, Notice)][-1]
    assert "Published publicly by Sam Lee" in notice.text
    assert notice.link == "https://www.reddit.com" + comment["permalink"]

    clock.advance(timedelta(minutes=3))
    follow_up = reddit.comment("carla", "Updated, works now, thanks!", comment["name"])
    await poll(runtime, clock)
    await drain(runtime)
    with Session(runtime.engine) as session:
        assert len(session.exec(select(Conversation)).all()) == 1, "the follow-up joins the conversation"
        post = session.exec(select(Post).where(Post.external_id == follow_up)).one()
        assert (post.kind, post.thread_root_id, post.reply_to_id) == ("reply", question, comment["name"])


async def test_a_reply_is_published_once_across_a_crash_mid_publish(reddit, desk):
    runtime, chat, clock = desk()
    question = reddit.submission("carla", "Acme billing question", "")
    await poll(runtime, clock)
    await drain(runtime)
    assert (await dispatch(runtime.desk, Request("reply", SAM, 1, "We've refunded you"))).ok
    source = runtime.sources["reddit"]
    with dies_after_publishing(source, "died after Reddit took the comment"), pytest.raises(SimulatedCrash):
        await runtime.outbox.drain_once()

    runtime, chat, clock = desk()  # restarted
    clock.advance(timedelta(minutes=1))  # the lease of the interrupted attempt runs out
    await drain(runtime)
    (comment,) = reddit.brand_comments()
    assert comment["parent_id"] == question
    assert len(reddit.seen("/api/comment", "POST")) == 1, "found on Reddit, not posted again"
    with Session(runtime.engine) as session:
        (reply,) = session.exec(select(Reply)).all()
        assert reply.status == ReplyStatus.PUBLISHED and reply.external_id == comment["name"]


async def test_private_reply_and_a_locked_thread_tell_the_agent(reddit, desk):
    runtime, chat, clock = desk()
    question = reddit.submission("carla", "Acme charged me twice", "")
    reddit.locked.add(question)
    await poll(runtime, clock)
    await drain(runtime)
    assert (await dispatch(runtime.desk, Request("reply", SAM, 1, "Sorry about that"))).ok
    await drain(runtime)
    failed = [m for m in chat.thread(chat.parents[0].message_id) if isinstance(m, Notice)][-1]
    assert "NOT published" in failed.text and "locked" in failed.text and "--private" in failed.text

    assert (await dispatch(runtime.desk, Request("reply", SAM, 1, "--private We'll refund you today"))).ok
    await drain(runtime)
    (message,) = reddit.brand_messages()
    assert message["dest"] == "carla" and message["subject"] == "Acme support"
    assert "Published privately by Sam Lee" in [m for m in chat.thread(chat.parents[0].message_id)
                                                if isinstance(m, Notice)][-1].text


async def test_a_too_long_reply_is_held_with_reddits_numbers(reddit, desk):
    runtime, _, clock = desk()
    reddit.submission("carla", "Acme?", "")
    await poll(runtime, clock)
    outcome = await dispatch(runtime.desk, Request("reply", SAM, 1, "*" * 5_000))
    assert not outcome.ok and "10000" in outcome.text.replace(",", "")
    assert not reddit.seen("/api/comment")


@pytest.mark.parametrize("password,line", [
    (PASSWORD, "ok source reddit (reddit) — signed in as u/AcmeSupport"),
    ("wrong", "failed source reddit (reddit) — Reddit refused the login of u/AcmeSupport (invalid_grant): "
              "check REDDIT_USERNAME and REDDIT_PASSWORD in .env"),
])
async def test_socialdesk_check_tries_the_reddit_login(reddit, tmp_path, monkeypatch, password, line):
    project(tmp_path, monkeypatch, REDDIT_PASSWORD=password)
    config = (ROOT / "socialdesk.example.toml").read_text() + (
        f'\n[[sources]]\nname = "reddit"\ntype = "reddit"\nbase_url = "{reddit.base_url}"\n'
        f'auth_url = "{reddit.base_url}"\n')
    (tmp_path / "socialdesk.toml").write_text(config)
    reddit.clock = FakeClock()
    result = await asyncio.to_thread(runner.invoke, app, ["check"])  # the CLI runs its own loop; the fake serves on ours
    assert line in " ".join(result.output.split()), result.output
    assert not reddit.seen("/message/inbox") and not reddit.seen("/search")  # a check reads no posts
