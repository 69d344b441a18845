"""The Discord ChatPort against the fake Discord: both conversation styles, failures, rate limits, crash recovery."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from bot.chat.discord.outbound import DiscordChat
from bot.chat.discord.render import ref
from bot.delivery.engine import LEASE
from bot.delivery.pace import TokenBucket
from bot.ports import ChatError
from bot.views import Notice
from handlers import dispatch
from handlers.context import Actor, Request
from storage.models import OutboxEntry
from tests.auxil.discord_desk import discord_desk
from tests.auxil.factories import post_item
from tests.fakes.chat import SimulatedCrash
from tests.fakes.discord_api import GUILD_FORUM, GUILD_TEXT


def entries(desk, kind: str) -> list[OutboxEntry]:
    with Session(desk.runtime.engine) as session:
        return list(session.exec(select(OutboxEntry).where(OutboxEntry.kind == kind).order_by(OutboxEntry.id)))


def crash_after(chat: DiscordChat, method: str, path: str) -> None:
    """The process dies right after Discord answered this call, before socialdesk could record it."""
    real = chat._call

    async def call(what, needs, route, **kwargs):
        answer = await real(what, needs, route, **kwargs)
        if (route.method, route.path) == (method, path):
            raise SimulatedCrash(f"after {method} {path}")
        return answer

    chat._call = call


def restart(desk) -> None:
    """A new process: a fresh adapter (no caches), Discord's short nonce memory gone, the crashed lease expired."""
    desk.runtime.chats["discord"] = DiscordChat(desk.bot, desk.runtime.config.discord)
    desk.fake.forget_nonces()
    desk.clock.advance(LEASE + timedelta(seconds=1))


def refs_in(messages: list[dict]) -> list[str]:
    return [m["embeds"][0]["footer"]["text"].rsplit("ref ", 1)[-1] for m in messages if m["embeds"]]


async def test_a_text_channel_gets_a_message_with_a_thread_edited_in_place(tmp_path):
    async with discord_desk(tmp_path, style="thread", route_style="thread") as desk:
        desk.add_posts(post_item(1, "@acme my order never arrived"), post_item(2, "@acme hello?", thread_root="x1"))
        await desk.settle()
        (parent,) = desk.fake.messages(desk.channel)
        (thread,) = desk.fake.threads(desk.channel)
        assert thread["id"] == parent["id"] and parent["thread"]["name"].startswith("#1 · X · @carla")
        assert len(desk.thread_messages(1)) == 3  # the later post and two sets of suggestions
        answers = await desk.interact(desk.fake.command(desk.users["sam"], "claim", thread["id"]))
        assert answers[0]["content"].startswith("#1 is yours")
        await desk.settle()
        (edited,) = desk.fake.messages(desk.channel)
        assert edited["edited_timestamp"] and {f["name"]: f["value"] for f in edited["embeds"][0]["fields"]}["Owner"] == (
            f"<@{desk.users['sam']}>")


async def test_a_route_style_that_does_not_match_the_channel_fails_with_the_fix(tmp_path):
    async with discord_desk(tmp_path, style="forum", route_style="thread") as desk:
        desk.add_posts(post_item(1, "@acme hi"))
        await desk.settle()
        (opened,) = entries(desk, "chat.open")
        assert opened.status == "failed" and opened.attempts == 1
        assert "the route's style is 'thread'" in opened.last_error and 'set style = "forum"' in opened.last_error
        assert desk.fake.threads(desk.channel) == []


async def test_a_missing_permission_is_named_and_not_retried(tmp_path):
    async with discord_desk(tmp_path) as desk:
        desk.fake.deny(desk.channel, "send_in_threads")
        desk.add_posts(post_item(1, "@acme hi"))
        await desk.settle()
        assert len(desk.fake.threads(desk.channel)) == 1  # the post itself only needs Send Messages
        (suggestions,) = entries(desk, "chat.suggestions")
        assert suggestions.status == "failed" and suggestions.attempts == 1
        assert "403 Missing Permissions (code 50013)" in suggestions.last_error
        assert "give the bot the Send Messages in Threads permission" in suggestions.last_error


async def test_an_unknown_channel_and_a_revoked_token_fail_loudly(tmp_path):
    async with discord_desk(tmp_path) as desk:
        chat = desk.runtime.chats["discord"]
        with pytest.raises(ChatError, match="channel #gone not found in server") as gone:
            await chat.channel_id("#gone")
        assert not gone.value.retryable
        desk.fake.token = "revoked"
        with pytest.raises(ChatError, match="DISCORD_BOT_TOKEN was refused") as refused:
            await chat.post_to_channel(desk.channel, Notice("hello"), "k")
        assert not refused.value.retryable


async def test_a_server_error_is_retried_later(tmp_path):
    async with discord_desk(tmp_path) as desk:
        desk.fake.fail("POST /channels/{id}/threads", status=503, code=0, message="upstream connect error")
        desk.add_posts(post_item(1, "@acme hi"))
        await desk.settle()
        (opened,) = entries(desk, "chat.open")
        assert opened.status == "pending" and "503" in opened.last_error
        desk.clock.advance(timedelta(minutes=5))
        await desk.settle()
        assert entries(desk, "chat.open")[0].status == "done" and len(desk.fake.threads(desk.channel)) == 1


async def test_a_long_429_pauses_the_channel_until_retry_after(tmp_path):
    async with discord_desk(tmp_path) as desk:
        desk.fake.rate_limit("POST /channels/{id}/threads", retry_after=60)
        desk.add_posts(post_item(1, "@acme hi"))
        await desk.settle()
        assert desk.fake.threads(desk.channel) == [] and len(desk.fake.calls_to("POST /channels/{id}/threads")) == 1
        (opened,) = entries(desk, "chat.open")
        assert opened.status == "pending" and opened.attempts == 0 and "rate limit" in opened.last_error
        desk.clock.advance(timedelta(seconds=61))
        await desk.settle()
        assert len(desk.fake.threads(desk.channel)) == 1


async def test_a_short_429_is_waited_out_by_discord_py(tmp_path):
    async with discord_desk(tmp_path) as desk:
        desk.fake.rate_limit("POST /channels/{id}/threads", retry_after=0.05)
        desk.add_posts(post_item(1, "@acme hi"))
        await desk.settle()
        assert len(desk.fake.threads(desk.channel)) == 1 and len(desk.fake.calls_to("POST /channels/{id}/threads")) == 2
        assert entries(desk, "chat.open")[0].attempts == 1


async def test_a_flood_of_conversations_stays_under_the_global_limit(tmp_path):
    posts = [post_item(n, f"@acme problem {n}", author={"handle": f"customer{n}"}) for n in range(1, 41)]
    every_message = {"backlog": 1000}  # suggestions in messages of their own, however long the queue
    async with discord_desk(tmp_path, requests_per_second=40, incidents=every_message) as desk:
        desk.fake.global_limit = 50  # Discord answers a global 429 beyond 50 requests per second
        desk.add_posts(*posts)
        await desk.settle()
        assert len(desk.fake.threads(desk.channel)) == 40 and len(desk.fake.calls) > 80
        assert [e for e in desk.fake.errors if e[2] == 429] == []
    (tmp_path / "unpaced").mkdir()
    async with discord_desk(tmp_path / "unpaced", incidents=every_message) as desk:  # the same flood, unpaced
        desk.runtime.chats["discord"]._requests = TokenBucket(10_000, 10_000)
        desk.fake.global_limit = 50
        desk.add_posts(*posts)
        await desk.settle()
        assert [e for e in desk.fake.errors if e[2] == 429], "without pacing the flood would hit Discord's global limit"


async def test_the_same_key_twice_is_one_message_thanks_to_the_nonce(tmp_path):
    async with discord_desk(tmp_path, style="thread") as desk:
        chat = desk.runtime.chats["discord"]
        first = await chat.post_to_channel(desk.channel, Notice("#1 is overdue"), "conv:1:sla:breach")
        again = await chat.post_to_channel(desk.channel, Notice("#1 is overdue"), "conv:1:sla:breach")
        assert first == again and len(desk.fake.messages(desk.channel)) == 1
        (call, _) = desk.fake.calls_to("POST /channels/{id}/messages")
        assert call.body["nonce"] == ref("conv:1:sla:breach") and call.body["enforce_nonce"] is True


async def test_post_to_channel_pings_only_the_on_call_role_and_is_found_again(tmp_path):
    async with discord_desk(tmp_path, style="thread") as desk:
        on_call = desk.fake.add_role("On call", mentionable=True)
        chat = desk.runtime.chats["discord"]
        sent = await chat.post_to_channel(desk.channel, Notice("#1 missed its first-response target @everyone",
                                                               mention_group_id=on_call), "conv:1:sla:escalate")
        (message,) = desk.fake.messages(desk.channel)
        assert message["mention_roles"] == [on_call] and message["mentions"] == [] and not message["mention_everyone"]
        desk.fake.forget_nonces()
        assert await DiscordChat(desk.bot, desk.runtime.config.discord).find_message(
            desk.channel, None, "conv:1:sla:escalate") == sent
        assert await chat.find_message(desk.channel, None, "conv:1:sla:other") is None


async def test_post_to_a_forum_is_a_post_and_is_found_again(tmp_path):
    async with discord_desk(tmp_path) as desk:
        chat = desk.runtime.chats["discord"]
        sent = await chat.post_to_channel("#social-desk", Notice("Daily digest: 12 new, 11 answered"), "digest:2026-11-02")
        (post,) = desk.fake.threads(desk.channel)
        assert post["id"] == sent and post["name"] == "Daily digest: 12 new, 11 answered"
        fresh = DiscordChat(desk.bot, desk.runtime.config.discord)
        assert await fresh.find_message("#social-desk", None, "digest:2026-11-02") == sent
        assert await fresh.find_message("#social-desk", None, "digest:2026-11-03") is None


async def test_tell_answers_in_the_thread_pinging_only_that_person(tmp_path):
    async with discord_desk(tmp_path) as desk:
        desk.add_posts(post_item(1, "@acme hi"))
        await desk.settle()
        thread_id = desk.conversation_thread(1)["id"]
        await desk.runtime.chats["discord"].tell(desk.channel, desk.users["kim"], "Your reply was held @here", thread_id)
        told = desk.fake.messages(thread_id)[-1]
        assert told["content"].startswith(f"<@{desk.users['kim']}> Your reply was held")
        assert [u["id"] for u in told["mentions"]] == [desk.users["kim"]] and not told["mention_everyone"]


async def test_an_archived_thread_is_reopened_to_edit_and_a_locked_one_is_reported(tmp_path):
    async with discord_desk(tmp_path) as desk:
        desk.add_posts(post_item(1, "@acme hi"))
        await desk.settle()
        thread_id = desk.conversation_thread(1)["id"]
        desk.fake.archive(thread_id)
        await dispatch(desk.runtime.desk, Request("claim", Actor("discord", desk.users["jane"]), 1))
        await desk.settle()
        assert not desk.fake.channel(thread_id)["thread_metadata"]["archived"]
        assert desk.first_message(1)["edited_timestamp"]
        assert [e for e in entries(desk, "chat.update") if e.status != "done"] == []
        desk.fake.archive(thread_id, locked=True)
        await dispatch(desk.runtime.desk, Request("resolve", Actor("discord", desk.users["jane"]), 1))
        await desk.settle()
        (resolved,) = [e for e in entries(desk, "chat.notice") if ":resolve:" in e.key]
        assert resolved.status == "failed" and "the thread is locked" in resolved.last_error


async def test_crash_after_a_forum_post_is_reconciled_not_posted_twice(tmp_path):
    async with discord_desk(tmp_path) as desk:
        crash_after(desk.runtime.chats["discord"], "POST", "/channels/{channel_id}/threads")
        desk.add_posts(post_item(1, "@acme hi"))
        with pytest.raises(SimulatedCrash):
            await desk.settle()
        restart(desk)
        await desk.settle()
        (thread,) = desk.fake.threads(desk.channel)
        (opened,) = entries(desk, "chat.open")
        assert opened.status == "done" and opened.result == {"channel": "#social-desk", "thread_id": thread["id"],
                                                             "reconciled": True}
        assert len(desk.thread_messages(1)) == 1  # the suggestions went into the one post


async def test_crash_after_a_thread_message_is_reconciled_not_posted_twice(tmp_path):
    async with discord_desk(tmp_path) as desk:
        desk.add_posts(post_item(1, "@acme hi"))
        await desk.settle()
        crash_after(desk.runtime.chats["discord"], "POST", "/channels/{channel_id}/messages")
        desk.add_posts(post_item(2, "@acme still waiting", thread_root="x1"))
        with pytest.raises(SimulatedCrash):
            await desk.settle()
        restart(desk)
        await desk.settle()
        (later,) = [e for e in entries(desk, "chat.post")]
        assert later.status == "done" and later.result["reconciled"] is True
        keys = refs_in(desk.thread_messages(1))
        assert len(keys) == len(set(keys)) == 3 and ref(later.key) in keys


async def test_crash_between_a_message_and_its_thread_finishes_the_thread(tmp_path):
    async with discord_desk(tmp_path, style="thread") as desk:
        crash_after(desk.runtime.chats["discord"], "POST", "/channels/{channel_id}/messages")
        desk.add_posts(post_item(1, "@acme hi"))
        with pytest.raises(SimulatedCrash):
            await desk.settle()
        assert desk.fake.threads(desk.channel) == []  # the message is there, its thread is not
        restart(desk)
        await desk.settle()
        (parent,) = desk.fake.messages(desk.channel)
        (thread,) = desk.fake.threads(desk.channel)
        assert thread["id"] == parent["id"] and thread["name"] == "#1 · X · @carla (Carla Diaz)"
        assert entries(desk, "chat.open")[0].result["reconciled"] is True
        assert len(desk.fake.messages(thread["id"])) == 1  # the suggestions


@pytest.mark.parametrize("kind", [GUILD_FORUM, GUILD_TEXT])
async def test_channels_are_found_by_name_or_id(tmp_path, kind):
    async with discord_desk(tmp_path) as desk:
        other = desk.fake.add_channel("escalations", kind)
        chat = DiscordChat(desk.bot, desk.runtime.config.discord)
        assert await chat.channel_id("#escalations") == other and await chat.channel_id(other) == other
        assert len(desk.fake.calls_to("GET /guilds/{id}/channels")) == 1
        await chat.channel_id("#escalations")
        assert len(desk.fake.calls_to("GET /guilds/{id}/channels")) == 1  # cached
