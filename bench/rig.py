"""A whole socialdesk wired to the fakes, for the benchmarks that measure it from the outside.

The bot runs as in production (its scheduled jobs, the lease, the outbox's pacing, the Mastodon
stream) against a fake Slack (one channel, 1 message per second per channel enforced, as Slack
does) and a fake Mastodon server (streaming API included). `Rig.shown` records when each
conversation's or incident's message reached Slack, on the monotonic clock. `fakes` and `bot` are
the two halves, for a bench that runs them in separate processes (bench/soak.py); `Wire` is what
the bot needs to know of the fakes.
"""
from __future__ import annotations

import os
import sys
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlmodel import Session, select  # noqa: E402

from bot.app import jobs  # noqa: E402
from bot.app.runtime import Runtime  # noqa: E402
from bot.chat.slack.outbound import SlackChat, make_client  # noqa: E402
from bot.settings import parse_config  # noqa: E402
from bot.views import ChatRef  # noqa: E402
from storage.models import Post  # noqa: E402
from tests.fakes.mastodon_api import FakeMastodon  # noqa: E402
from tests.fakes.slack_api import FakeSlack  # noqa: E402

AGENT = "UJANE"


class TimedSlack(SlackChat):
    """SlackChat that notes when each conversation's and incident's message got through."""

    def __init__(self, client, shown: dict) -> None:
        super().__init__(client)
        self.shown = shown

    async def post_conversation(self, channel, view, key) -> ChatRef:
        ref = await super().post_conversation(channel, view, key)
        self.shown.setdefault(("conversation", view.number), time.monotonic())
        return ref

    async def post_incident(self, channel, view, key) -> ChatRef:
        ref = await super().post_incident(channel, view, key)
        self.shown.setdefault(("incident", view.number), time.monotonic())
        return ref


@dataclass
class Rig:
    runtime: Runtime
    slack: FakeSlack
    mastodon: FakeMastodon
    channel: str
    shown: dict = field(default_factory=dict)  # ("conversation" | "incident", number) -> monotonic time
    posted: dict = field(default_factory=dict)  # Mastodon status id -> monotonic time it was written
    written: dict = field(default_factory=dict)  # the same, on the wall clock (to compare with Post.ingested_at)

    def post(self, handle: str, text: str, tag: str | None = None) -> str:
        account = self.mastodon.account(handle) if handle not in self._accounts else self._accounts[handle]
        self._accounts[handle] = account
        status = self.mastodon.post(account, f"@acme {text}" if tag is None else f"{text} #{tag}")
        self.posted[status["id"]] = time.monotonic()
        self.written[status["id"]] = time.time()
        return status["id"]

    def store_lags(self) -> list[float]:
        """Seconds from each post being written to its being stored (streamed or polled)."""
        with Session(self.runtime.engine) as session:
            stored = session.exec(select(Post.external_id, Post.ingested_at)).all()
        return [at.timestamp() - self.written[status] for status, at in stored if status in self.written]

    def latencies(self) -> dict[str, float]:
        """Seconds from each post being written to its conversation's message in Slack, by status id."""
        with Session(self.runtime.engine) as session:
            first = {conversation: external for conversation, external in session.exec(
                select(Post.conversation_id, Post.external_id).order_by(Post.id))}
        by_status = {}
        for (kind, number), at in self.shown.items():
            if kind == "conversation" and first.get(number) in self.posted:
                by_status[first[number]] = at - self.posted[first[number]]
        return by_status

    def __post_init__(self) -> None:
        self._accounts: dict[str, dict] = {}


def config(mastodon_url: str, *, stream: bool = True, poll_every: str = "60s", publish_per_second: float | None = None,
           incidents: dict | None = None) -> dict:
    source = {"name": "fedi", "type": "mastodon", "base_url": mastodon_url, "stream": stream, "poll_every": poll_every,
              "keywords": ["#acmedown"], "watch_threads": False, "backfill": "1h"}
    if publish_per_second:
        source["publish_per_second"] = publish_per_second
    return {
        "brand": {"name": "Acme", "handles": ["@acme"]},
        "sources": [source],
        "routes": [{"platform": "slack", "channel": "#social"}],
        "agents": [{"name": "Jane Doe", "initials": "JD", "role": "lead", "slack": AGENT}],
        "sla": {"escalation": {"slack": {"channel": "#escalations"}}},
        "outbox": {"per_channel_per_second": 1.0, "burst": 3},
        "incidents": incidents or {},
    }


@asynccontextmanager
async def fakes(slack_rate: float | None = 1.0):
    """The fake Slack (channels #social and #escalations, paced like Slack) and the fake Mastodon, serving."""
    async with FakeSlack() as slack, FakeMastodon(lambda: datetime.now(UTC)) as mastodon:
        mastodon.rate_limit = 10 ** 9  # the bench measures socialdesk, not the fake's 5-minute window
        slack.add_channel("social")
        slack.add_channel("escalations")
        if slack_rate:
            slack.enforce_channel_rate(slack_rate, burst=3)
        yield slack, mastodon


@dataclass
class Wire:
    """Where the fakes answer: all the bot needs of them, and all that crosses to another process."""
    slack_url: str
    slack_token: str
    mastodon_url: str
    mastodon_token: str


@asynccontextmanager
async def bot(workdir: Path, wire: Wire, shown, *, database_url: str | None = None, **options):
    """socialdesk with its scheduled jobs, talking to the fakes at `wire`; `shown` gets each message's time."""
    os.environ["MASTODON_ACCESS_TOKEN"] = wire.mastodon_token
    runtime = Runtime(parse_config(config(wire.mastodon_url, **options)),
                      database_url=database_url or f"sqlite:///{workdir / 'bench.db'}", base_dir=workdir)
    runtime.add_chat(TimedSlack(make_client(wire.slack_token, wire.slack_url), shown))
    scheduler = await jobs.start(runtime)
    try:
        yield runtime
    finally:
        await jobs.shutdown(runtime, scheduler)
        await runtime.close()


@asynccontextmanager
async def rig(workdir: Path, *, database_url: str | None = None, slack_rate: float | None = 1.0, **options):
    """Start the fakes and the bot's jobs in this process; yields the Rig, and stops everything after."""
    async with fakes(slack_rate) as (slack, mastodon):
        shown: dict = {}
        wire = Wire(slack.base_url, slack.token, mastodon.base_url, mastodon.token)
        async with bot(workdir, wire, shown, database_url=database_url, **options) as runtime:
            yield Rig(runtime, slack, mastodon, slack.channel_id("social"), shown)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))] if ordered else float("nan")
