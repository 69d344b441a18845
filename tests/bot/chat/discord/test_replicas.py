"""Two replicas connected to Discord as the same bot: Discord sends both every event, one acts on it."""
from __future__ import annotations

import json

import pytest
from sqlmodel import Session, func, select

from bot.chat.discord.inbound import DeskBot
from storage.models import AuditEvent, ChatEvent, Conversation, Reply
from tests.auxil.discord_desk import another_replica, discord_desk, until
from tests.auxil.factories import post_item

ASKS_FOR_EMAIL = "Sorry! What's your email address?"


class Claims:
    """Spies on each replica's claim of an event (the real claim runs): who tried and who won. `hold_back(i)` makes
    replica i try for the next event only once every other replica has, so that another one wins it."""

    def __init__(self, *bots: DeskBot) -> None:
        self.tries: list[tuple[int, str, bool]] = []  # (replica, event id, won)
        self.held_back: int | None = None
        for index, bot in enumerate(bots):
            bot.listeners.first_to = self._spying(index, bot.listeners.first_to, len(bots))

    def _spying(self, index: int, first_to, replicas: int):
        async def claim(event_id: int, *command) -> bool:
            if self.held_back == index:
                self.held_back = None
                await until(lambda: len(self.of(str(event_id))) == replicas - 1)
            won = await first_to(event_id, *command)
            self.tries.append((index, str(event_id), won))
            return won

        return claim

    def hold_back(self, index: int) -> None:
        self.held_back = index

    def of(self, event_id: str) -> dict[int, bool]:
        return {replica: won for replica, event, won in self.tries if event == event_id}

    async def decided(self, event_id: str) -> dict[int, bool]:
        """Once both replicas tried for the event: replica -> won."""
        return await until(lambda: len(self.of(event_id)) == 2 and self.of(event_id))


@pytest.fixture
async def desk(tmp_path, db_url):
    async with discord_desk(tmp_path, db_url=db_url) as desk:
        desk.add_posts(post_item(1, "@acme my parcel is late"))
        await desk.settle()
        async with another_replica(desk) as other:
            desk.claims = Claims(desk.bot, other)
            yield desk


def published(desk) -> list[dict]:
    path = desk.tmp_path / "replay-published.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def count(desk, table, *where) -> int:
    with Session(desk.runtime.engine) as session:
        return session.exec(select(func.count()).select_from(table).where(*where)).one()


def answers_to(desk, thread_id: str, message_id: str) -> list[dict]:
    return [m for m in desk.fake.messages(thread_id) if (m.get("message_reference") or {}).get("message_id") == message_id]


async def test_a_reply_typed_in_the_thread_is_published_and_answered_once(desk):
    thread_id = desk.conversation_thread(1)["id"]
    said = await desk.fake.user_says(desk.users["sam"], thread_id, "!reply So sorry, checking now!")
    assert sorted((await desk.claims.decided(said["id"])).values()) == [False, True]  # both got it, one won
    (answer,) = await desk.until(lambda: answers_to(desk, thread_id, said["id"]))
    assert "being published publicly" in answer["content"]
    await desk.settle()
    assert [p["text"] for p in published(desk)] == ["So sorry, checking now! ^SL"]
    assert count(desk, Reply) == 1 and len(answers_to(desk, thread_id, said["id"])) == 1
    assert count(desk, ChatEvent, ChatEvent.platform == "discord", ChatEvent.event_id == said["id"]) == 1

    claim = await desk.fake.user_says(desk.users["lena"], thread_id, "!claim")  # a lead takes it over
    await desk.claims.decided(claim["id"])
    (answer,) = await desk.until(lambda: answers_to(desk, thread_id, claim["id"]))
    assert "#1 is yours." in answer["content"]  # run once: a second run would say "already yours"
    assert count(desk, AuditEvent, AuditEvent.action == "claim") == 1
    assert desk.fake.errors == []


async def test_an_interaction_reaching_two_replicas_gets_one_response(desk):
    thread_id = desk.conversation_thread(1)["id"]
    command = desk.fake.command(desk.users["sam"], "reply", thread_id, number=1, text="On it, Carla!")
    (answer,) = await desk.interact(command)
    assert sorted((await desk.claims.decided(command["id"])).values()) == [False, True]
    assert "being published publicly" in answer["content"]
    assert len(desk.fake.callbacks(command["token"])) == 1 and len(desk.fake.followups(command["token"])) == 1
    await desk.settle()
    assert desk.fake.errors == []  # nobody tried to answer it a second time ("already acknowledged")
    assert [p["text"] for p in published(desk)] == ["On it, Carla! ^SL"] and count(desk, Reply) == 1

    pressed = desk.fake.button(desk.users["kim"], desk.first_message(1), "sd:resolve:1")
    (answer,) = await desk.interact(pressed)
    await desk.claims.decided(pressed["id"])
    assert answer["content"].startswith("#1 resolved") and len(desk.fake.followups(pressed["token"])) == 1
    with Session(desk.runtime.engine) as session:
        assert session.get(Conversation, 1).status == "resolved"


async def test_a_reply_held_on_one_replica_is_published_anyway_from_the_other(desk):
    thread_id = desk.conversation_thread(1)["id"]
    command = desk.fake.command(desk.users["sam"], "reply", thread_id, number=1, text=ASKS_FOR_EMAIL)
    (held,) = await desk.interact(command)
    assert held["content"].startswith("Held, not sent")
    holder = next(replica for replica, won in (await desk.claims.decided(command["id"])).items() if won)

    desk.claims.hold_back(holder)  # the press reaches the replica that did not hold the reply first
    anyway = next(b["custom_id"] for row in held["components"] for b in row["components"])
    press = desk.fake.button(desk.users["sam"], held, anyway)
    asking = await desk.respond(press)
    assert (await desk.claims.decided(press["id"]))[holder] is False
    assert "Publish your reply to #1 anyway?" in asking["content"]

    publish = next(b["custom_id"] for row in asking["components"] for b in row["components"] if b["label"] == "Publish it")
    done = await desk.respond(desk.fake.button(desk.users["sam"], asking, publish),
                              lambda message: not message["content"].startswith("Publishing"))
    assert done["content"].startswith("Reply to #1 is being published publicly")
    await desk.settle()
    assert [p["text"] for p in published(desk)] == [f"{ASKS_FOR_EMAIL} ^SL"]
    assert desk.fake.errors == []
