"""A runtime served to a fake Discord over the wire: the real discord.py client, its REST calls and its gateway."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bot.app.runtime import Runtime
from bot.chat.discord.inbound import DeskBot
from bot.chat.discord.outbound import point_at
from bot.ingest.poller import poll_once
from bot.settings import Secrets
from bot.views import Suggestions
from tests.auxil import factories
from tests.auxil.clock import FakeClock
from tests.auxil.desk import make_runtime
from tests.fakes.discord_api import GUILD_FORUM, GUILD_TEXT, FakeDiscord

AGENT_ROLE, LEAD_ROLE = "Support", "Support Lead"
DEFAULTS = Secrets.model_fields


async def until(found: Callable[[], object], timeout: float = 10.0):
    """Wait for the bot to react to an event (its answers travel over real sockets)."""
    for _ in range(int(timeout / 0.01)):
        value = found()
        if value:
            return value
        await asyncio.sleep(0.01)
    raise AssertionError("the bot did not answer in time")


@dataclass
class DiscordDesk:
    fake: FakeDiscord
    runtime: Runtime
    bot: DeskBot
    clock: FakeClock
    tmp_path: Path
    channel: str  # the routed channel's id
    db_url: str
    users: dict[str, str]  # sam, kim (Support role), lena (Support Lead role), jane (lead) and tess (trainee) in
    # [[agents]], stranger -> user id
    offered: list[Suggestions] = field(default_factory=list)  # the suggestions the adapter was given to post

    def __post_init__(self) -> None:
        chat, post_in_thread = self.bot.chat, self.bot.chat.post_in_thread

        async def recording(ref, message, key):
            if isinstance(message, Suggestions):
                self.offered.append(message)
            return await post_in_thread(ref, message, key)

        chat.post_in_thread = recording

    def add_posts(self, *items: dict) -> None:
        factories.add_posts(self.tmp_path, *items)

    async def settle(self) -> None:
        """Ingest what was added, deliver the outbox, and let the gateway events reach the bot."""
        await poll_once(self.runtime.engine, self.runtime.config, self.runtime.sources["replay"], self.clock)
        for _ in range(4):
            await self.runtime.outbox.drain_once()
            await self.runtime.outbox.settle()
            await asyncio.sleep(0.02)

    until = staticmethod(until)

    async def interact(self, payload: dict, answers: int = 1) -> list[dict]:
        """Send an interaction and return the bot's followups (ephemeral answers) once `answers` arrived."""
        token = await self.fake.interact(payload)
        return await self.until(lambda: len(self.fake.followups(token)) >= answers and self.fake.followups(token))

    async def respond(self, payload: dict, done: Callable[[dict], bool] = lambda message: True) -> dict:
        """Send an interaction the bot answers without a followup (a message, or an edit of the pressed one) and
        return that answer once `done` says it is final."""
        token = await self.fake.interact(payload)

        def answered() -> dict | None:
            message = self.fake.original(token)
            return message if message and done(message) else None

        return await self.until(answered)

    def conversation_thread(self, number: int) -> dict:
        return next(t for t in self.fake.threads(self.channel) if t["name"].startswith(f"#{number} "))

    def first_message(self, number: int) -> dict:
        """The conversation's embed: the forum post's first message, or the message its thread was started on."""
        thread = self.conversation_thread(number)
        where = thread["id"] if self.fake.channel(self.channel)["type"] == GUILD_FORUM else self.channel
        return next(m for m in self.fake.messages(where) if m["id"] == thread["id"])

    def thread_messages(self, number: int) -> list[dict]:
        thread = self.conversation_thread(number)
        return [m for m in self.fake.messages(thread["id"]) if m["id"] != thread["id"]]


@asynccontextmanager
async def discord_desk(tmp_path: Path, *, style: str = "forum", route_style: str | None = None, db_url: str | None = None,
                       secrets: Secrets | None = None, llm: dict | None = None, incidents: dict | None = None,
                       approvals: dict | None = None, **discord_overrides) -> AsyncIterator[DiscordDesk]:
    """`style`: the routed channel is a forum or a text channel; `route_style`: what the route says (None: nothing);
    `secrets` with a model key and `llm` settings make suggestions online."""
    async with FakeDiscord() as fake:
        channel = fake.add_channel("social-desk", GUILD_FORUM if style == "forum" else GUILD_TEXT)
        fake.add_role(AGENT_ROLE)
        fake.add_role(LEAD_ROLE)
        users = {
            "sam": fake.add_member(name="sam", nick="Sam Lee", roles=(AGENT_ROLE,)),
            "kim": fake.add_member(name="kim_park", roles=(AGENT_ROLE,)),
            "lena": fake.add_member(name="lena", nick="Lena Ortiz", roles=(LEAD_ROLE,)),
            "jane": fake.add_member(name="jane"),
            "tess": fake.add_member(name="tess"),
            "stranger": fake.add_member(name="stranger"),
        }
        point_at(fake.api_url, fake.gateway_url)
        (tmp_path / "posts.jsonl").touch()
        discord_config = {"guild_id": fake.guild_id, "roles": {"agent": [AGENT_ROLE], "lead": [LEAD_ROLE]},
                          "per_channel_per_second": 1000, "burst": 1000, **discord_overrides}
        runtime, _, clock = make_runtime(
            db_url or f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path, secrets=secrets, discord=discord_config,
            **({"llm": llm} if llm else {}), **({"incidents": incidents} if incidents else {}),
            **({"approvals": approvals} if approvals else {}),
            routes=[{"platform": "discord", "channel": "#social-desk", **({"style": route_style} if route_style else {})}],
            agents=[{"name": "Jane Doe", "initials": "JD", "role": "lead", "discord": users["jane"]},
                    {"name": "Tess Ray", "initials": "TR", "role": "trainee", "discord": users["tess"]}],
        )
        runtime.chats.clear()
        try:
            async with _connected(runtime, fake) as bot:
                yield DiscordDesk(fake, runtime, bot, clock, tmp_path, channel, db_url, users)
        finally:
            await runtime.close()
            point_at(DEFAULTS["discord_api_url"].default, DEFAULTS["discord_gateway_url"].default)


@asynccontextmanager
async def another_replica(desk: DiscordDesk) -> AsyncIterator[DeskBot]:
    """A second `socialdesk run` on the same database and config, connected to the same Discord as the same bot
    (so Discord sends it every event too). Its runtime is the bot's `listeners.runtime`."""
    runtime = Runtime(desk.runtime.config, database_url=desk.db_url, base_dir=desk.tmp_path, clock=desk.clock)
    try:
        async with _connected(runtime, desk.fake) as bot:
            yield bot
    finally:
        await runtime.close()


@asynccontextmanager
async def _connected(runtime: Runtime, fake: FakeDiscord) -> AsyncIterator[DeskBot]:
    """A DeskBot serving `runtime`, logged in and connected to the fake's gateway, with the server known."""
    bot = DeskBot(runtime.desk)
    gateway = None
    try:
        await bot.login(fake.token)
        runtime.add_chat(bot.chat)
        gateway = asyncio.create_task(bot.connect())
        await until(lambda: bot.get_guild(int(fake.guild_id)))  # GUILD_CREATE is in (on_ready comes 2 s later)
        yield bot
    finally:
        await bot.close()
        if gateway is not None:
            await asyncio.gather(gateway, return_exceptions=True)
