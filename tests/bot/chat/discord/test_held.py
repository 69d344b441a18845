"""Publish anyway on Discord: a held reply -> its button -> socialdesk's confirmation -> published once, audited."""
from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from bot.chat.discord.held import KEEP, HeldReplies, forget_expired
from storage.models import AuditEvent, HeldReply, Reply
from tests.auxil.cli import ROOT
from tests.auxil.discord_desk import discord_desk
from tests.auxil.factories import post_item

EPHEMERAL = 64
README = ROOT / "README.md"
ASKS_FOR_EMAIL = "Sorry! What's your email address?"


@pytest.fixture
async def desk(tmp_path, db_url):
    async with discord_desk(tmp_path, db_url=db_url) as desk:
        desk.add_posts(post_item(1, "@acme my parcel is late"))
        await desk.settle()
        yield desk


def published(desk) -> list[dict]:
    path = desk.tmp_path / "replay-published.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def audited(desk, action: str) -> list[AuditEvent]:
    with Session(desk.runtime.engine) as session:
        return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)))


def buttons(message: dict) -> dict[str, str]:
    """A message's buttons: label -> custom_id."""
    return {b["label"]: b["custom_id"] for row in message["components"] for b in row["components"]}


def final(message: dict) -> bool:
    return not message["content"].startswith("Publishing")


async def test_a_held_command_reply_is_published_once_after_confirming_and_audited(desk):
    thread_id = desk.conversation_thread(1)["id"]
    (held,) = await desk.interact(desk.fake.command(desk.users["sam"], "reply", thread_id, number=1, text=ASKS_FOR_EMAIL))
    assert held["content"].startswith("Held, not sent") and held["flags"] & EPHEMERAL
    assert held["content"].endswith(f"Your reply, to fix and send again:\n```\n{ASKS_FOR_EMAIL}\n```")  # nothing typed is lost
    anyway = buttons(held)["Publish anyway…"]
    assert re.fullmatch(r"sd:anyway:1:[A-Za-z0-9_-]{16}", anyway)  # a short token: the text stays on the server
    assert published(desk) == [] and audited(desk, "reply.guard_overridden") == []

    asking = await desk.respond(desk.fake.button(desk.users["sam"], held, anyway))
    assert asking["flags"] & EPHEMERAL and "Publish your reply to #1 anyway?" in asking["content"]
    assert asking["embeds"][0]["description"] == ASKS_FOR_EMAIL  # what goes out, shown before it does
    assert list(buttons(asking)) == ["Publish it", "Cancel"] and asking["mentions"] == []
    await desk.settle()
    assert published(desk) == []  # asking is not publishing

    done = await desk.respond(desk.fake.button(desk.users["sam"], asking, buttons(asking)["Publish it"]), final)
    assert done["content"].startswith("Reply to #1 is being published publicly") and done["components"] == []
    assert done["id"] == asking["id"] and done["edited_timestamp"]  # the confirmation itself, edited: no second press
    await desk.settle()
    assert [p["text"] for p in published(desk)] == [f"{ASKS_FOR_EMAIL} ^SL"]
    (overridden,) = audited(desk, "reply.guard_overridden")
    assert overridden.actor == "Sam Lee" and overridden.detail["issues"] == ["asks_for_personal_data"]

    # pressing again, on the held answer or on a stale confirmation, publishes nothing more
    again = await desk.respond(desk.fake.button(desk.users["sam"], held, anyway))
    assert again["content"].startswith("That held reply is no longer waiting") and "/reply 1 --anyway" in again["content"]
    stale = await desk.respond(desk.fake.button(desk.users["sam"], asking, buttons(asking)["Publish it"]))
    assert stale["content"].startswith("That held reply is no longer waiting") and stale["components"] == []
    await desk.settle()
    assert len(published(desk)) == 1
    with Session(desk.runtime.engine) as session:
        assert len(session.exec(select(Reply)).all()) == 1


async def test_cancel_keeps_the_reply_held_and_only_its_author_can_publish_it(desk):
    thread_id = desk.conversation_thread(1)["id"]
    (held,) = await desk.interact(desk.fake.command(desk.users["sam"], "reply", thread_id, number=1, text=ASKS_FOR_EMAIL))
    anyway = buttons(held)["Publish anyway…"]
    not_yours = await desk.respond(desk.fake.button(desk.users["kim"], held, anyway))
    assert not_yours["content"].startswith("Only the teammate who wrote this reply") and not_yours["components"] == []

    asking = await desk.respond(desk.fake.button(desk.users["sam"], held, anyway))
    cancelled = await desk.respond(desk.fake.button(desk.users["sam"], asking, buttons(asking)["Cancel"]))
    assert cancelled["id"] == asking["id"] and cancelled["content"].startswith("Not published")
    assert cancelled["components"] == [] and cancelled["embeds"] == []
    await desk.settle()
    assert published(desk) == []

    asking = await desk.respond(desk.fake.button(desk.users["sam"], held, anyway))  # still held after Cancel
    done = await desk.respond(desk.fake.button(desk.users["sam"], asking, buttons(asking)["Publish it"]), final)
    assert "being published publicly" in done["content"]
    await desk.settle()
    assert [p["text"] for p in published(desk)] == [f"{ASKS_FOR_EMAIL} ^SL"]


async def test_a_held_thread_reply_gets_the_button_under_the_answer(desk):
    thread_id = desk.conversation_thread(1)["id"]
    said = await desk.fake.user_says(desk.users["kim"], thread_id, "!reply Please share your order number")
    (held,) = await desk.until(lambda: [m for m in desk.fake.messages(thread_id) if m.get("message_reference")])
    assert held["message_reference"]["message_id"] == said["id"] and "Held, not sent" in held["content"]
    assert [u["id"] for u in held["mentions"]] == [desk.users["kim"]]  # pings its author only
    asking = await desk.respond(desk.fake.button(desk.users["kim"], held, buttons(held)["Publish anyway…"]))
    assert asking["flags"] & EPHEMERAL  # the public answer leads to a private confirmation
    await desk.respond(desk.fake.button(desk.users["kim"], asking, buttons(asking)["Publish it"]), final)
    await desk.settle()
    assert [p["text"] for p in published(desk)] == ["Please share your order number ^KP"]
    assert [e.actor for e in audited(desk, "reply.guard_overridden")] == ["Kim_Park"]


async def test_the_reply_modal_box_publishes_anyway_and_without_it_the_held_reply_keeps_its_text_and_button(desk):
    thread_id = desk.conversation_thread(1)["id"]
    held, *rest = await desk.interact(desk.fake.modal_submit(desk.users["kim"], thread_id, "sd:reply_modal:1",
                                                             {"text": ASKS_FOR_EMAIL, "anyway": False}))
    shown = "".join(m["content"] for m in [held, *rest])
    assert shown.startswith("Held, not sent") and ASKS_FOR_EMAIL in shown
    assert "Publish anyway…" in buttons([held, *rest][-1])
    answers = await desk.interact(desk.fake.modal_submit(desk.users["kim"], thread_id, "sd:reply_modal:1",
                                                         {"text": ASKS_FOR_EMAIL, "anyway": True}))
    assert answers[0]["content"].startswith("Reply to #1 is being published") and answers[0]["components"] == []
    await desk.settle()
    assert [p["text"] for p in published(desk)] == [f"{ASKS_FOR_EMAIL} ^KP"]
    assert len(audited(desk, "reply.guard_overridden")) == 1


async def test_the_box_does_not_override_the_length_rule(desk):
    thread_id = desk.conversation_thread(1)["id"]
    answers = await desk.interact(desk.fake.modal_submit(desk.users["kim"], thread_id, "sd:reply_modal:1",
                                                         {"text": "x" * 600, "anyway": True}))
    assert answers[0]["content"].startswith("Held, not sent") and "--anyway" not in answers[0]["content"]
    assert all(m["components"] == [] for m in answers)  # nothing to override
    await desk.settle()
    assert published(desk) == []


async def test_held_replies_are_shared_by_the_replicas_taken_once_and_forgotten_after_keep(desk):
    engine, clock = desk.runtime.engine, desk.clock
    here, there = HeldReplies(engine, clock), HeldReplies(engine, clock)  # two replicas on one database
    first = here.hold(1, "u1", "--anyway a")
    assert there.get(first).args == "--anyway a" and there.get("unknown") is None
    second = here.hold(1, "u2", "--anyway b")
    assert there.take(first).user_id == "u1" and here.take(first) is None and there.get(first) is None  # taken once
    clock.advance(KEEP)
    assert there.get(second).args == "--anyway b"  # kept for KEEP...
    assert forget_expired(engine, clock.now()) == 0
    clock.advance(timedelta(seconds=1))
    assert there.get(second) is None and here.take(second) is None  # ...then no longer waiting
    assert forget_expired(engine, clock.now()) == 1  # and deleted by the hourly purge
    with Session(engine) as session:
        assert session.exec(select(HeldReply)).all() == []


def test_the_readme_says_how_long_a_held_reply_waits():
    assert f"waits in the database for {KEEP.total_seconds() / 60:.0f} minutes" in " ".join(README.read_text().split())
