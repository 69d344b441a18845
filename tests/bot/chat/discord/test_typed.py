"""Discord messages as the member typed them, `!commands` outside a conversation, answers within 2,000 characters
with the mention of whom they answer, and commands run after a crash: over the fake's gateway and REST API."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import Session

from bot.chat.discord.render import CONTENT_LIMIT, answer_chunks
from storage.models import Conversation
from tests.auxil.discord_desk import AGENT_ROLE, discord_desk
from tests.auxil.factories import post_item


@pytest.fixture
async def desk(tmp_path):
    async with discord_desk(tmp_path) as desk:
        yield desk


def published(desk) -> list[dict]:
    path = desk.tmp_path / "replay-published.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


async def test_a_reply_goes_out_as_typed_with_mentions_as_names(desk):
    desk.add_posts(post_item(1, "@acme is the Q&A open?"))
    await desk.settle()
    thread_id = desk.conversation_thread(1)["id"]
    role = desk.fake._role_id(AGENT_ROLE)
    await desk.fake.user_says(desk.users["sam"], thread_id,
                              f"!reply Yes, Q&A is open <3, ask <@&{role}> or <@{desk.users['kim']}> in <#{desk.channel}>")
    await desk.until(lambda: any("being published" in m["content"] for m in desk.fake.messages(thread_id)))
    await desk.settle()
    assert [p["text"] for p in published(desk)] == [f"Yes, Q&A is open <3, ask @{AGENT_ROLE} or Kim_Park in #social-desk ^SL"]


async def test_a_typed_command_outside_a_conversation_says_what_to_do(tmp_path):
    async with discord_desk(tmp_path, style="text") as desk:
        await _answered_with_the_slash_command(desk)


async def _answered_with_the_slash_command(desk) -> None:
    said = await desk.fake.user_says(desk.users["sam"], desk.channel, "!claim")
    answer = await desk.until(lambda: next((m for m in desk.fake.messages(desk.channel)
                                            if (m.get("message_reference") or {}).get("message_id") == said["id"]), None))
    assert "works inside a conversation's thread" in answer["content"] and "`/claim 42`" in answer["content"]


async def test_a_long_refusal_in_a_thread_stays_within_2000_characters_with_its_mention(desk):
    desk.add_posts(post_item(1, "@acme hello"))
    await desk.settle()
    thread_id = desk.conversation_thread(1)["id"]
    said = await desk.fake.user_says(desk.users["stranger"], thread_id, "!reply " + "x" * 1990)
    answers = await desk.until(lambda: [m for m in desk.fake.messages(thread_id)
                                        if m["author"]["id"] == desk.fake.bot["id"] and desk.users["stranger"] in m["content"]]
                               or None)
    assert answers[0]["content"].startswith(f"<@{desk.users['stranger']}> ") and said["id"]
    assert all(len(m["content"]) <= CONTENT_LIMIT for m in desk.fake.messages(thread_id))
    assert desk.fake.errors == []


def test_answer_chunks_count_the_mention_in_their_2000_characters():
    prefix = "<@123456789012345678> "
    for text in ("a" * 1990, "b" * 5000, "line\n" * 900, "👍🏽" * 1500):
        chunks = answer_chunks(text, prefix=prefix)
        assert chunks[0].startswith(prefix) and all(len(c) <= CONTENT_LIMIT for c in chunks)
        assert "".join(c.replace(prefix, "", 1) if i == 0 else c for i, c in enumerate(chunks)).replace("\n", "") \
            == text.replace("\n", "")


async def test_a_command_acknowledged_before_a_crash_is_run_on_restart(desk, monkeypatch):
    desk.add_posts(post_item(1, "@acme hello"))
    await desk.settle()
    listeners = desk.bot.listeners
    start = listeners.desk.start_command

    async def died(platform: str, key: str) -> bool:  # the process dies right after the ack
        return False

    monkeypatch.setattr(listeners.desk, "start_command", died)
    token = await desk.fake.interact(desk.fake.command(desk.users["sam"], "claim", desk.conversation_thread(1)["id"]))
    await desk.until(lambda: desk.fake.callbacks(token))  # deferred: Discord shows "thinking…"
    monkeypatch.setattr(listeners.desk, "start_command", start)
    assert await listeners.recover() == 0  # too fresh: its own process may still be at it
    desk.clock.advance(timedelta(minutes=1))
    assert await listeners.recover() == 1
    assert await listeners.recover() == 0
    (late,) = desk.fake.followups(token)
    assert "Answered late" in late["content"] and "#1 is yours" in late["content"] and late["flags"] & 64
    with Session(desk.runtime.engine) as session:
        assert session.get(Conversation, 1).status == "claimed"


HOSTILE_URLS = ["https://", "https://[::1", "https://exa mple.com/a\x01b", "https://example.com/" + "a" * 3000,
                "javascript:alert(1)", "https://example.com/(x)|y"]


async def test_hostile_posts_and_urls_all_reach_discord_over_http(tmp_path):
    async with discord_desk(tmp_path, incidents={"enabled": False}) as desk:  # alike, but not a surge to fold
        desk.add_posts(*(post_item(n + 1, "@acme \u202eevil\u2066 see [docs](https://a) then [refund form](https://evil) "
                                          + "長" * 5000, url=url, author={"handle": f"x{n}\u202e", "name": "@everyone " * 40})
                         for n, url in enumerate(HOSTILE_URLS)))
        await desk.settle()
        assert len(desk.fake.threads(desk.channel)) == len(HOSTILE_URLS)
        assert desk.fake.errors == []
        for number in range(1, len(HOSTILE_URLS) + 1):
            (embed,) = desk.first_message(number)["embeds"]
            assert "\u202e" not in embed["title"] + embed["description"] and "more characters cut" in embed["description"]
            assert "\\[refund form\\]" in embed["description"]
        assert all("\u202e" not in thread["name"] and len(thread["name"]) <= 100
                   for thread in desk.fake.threads(desk.channel))
