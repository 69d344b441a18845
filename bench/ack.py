"""Ack latency of slash commands: signed `/claim` requests over HTTP to the real Bolt app (HTTP mode).

    python bench/ack.py [--commands 500] [--concurrency 10] [--database-url postgresql+psycopg://…]

The bot (runtime, Bolt app on aiohttp) runs in this process; the fake Slack (answering the lazy
listeners' response_url posts and Web API calls) and the client that sends the signed requests,
10 at a time, run in another, as Slack's side of the wire would. Prints p50 / p99 / max of the time until the HTTP answer
(the ack: Slack wants it within 3 s; the target is p99 under 300 ms on 2 cores), how many were
answered 200, and how many commands ran in the end (each exactly once).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import NamedTuple

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlmodel import Session, func, select  # noqa: E402

from bot.app.runtime import Runtime  # noqa: E402
from bot.chat.slack.inbound import build_app, http_app  # noqa: E402
from bot.chat.slack.outbound import SlackChat, make_client  # noqa: E402
from bot.ingest.poller import poll_once  # noqa: E402
from bot.settings import parse_config  # noqa: E402
from storage.db import database_url  # noqa: E402
from storage.models import ChatEvent  # noqa: E402
from tests.auxil import slack_requests as slack_wire  # noqa: E402
from tests.fakes.slack_api import FakeSlack  # noqa: E402

CONVERSATIONS = 50
AGENTS = [("Jane Doe", "JD", "lead", "UJANE"), ("Sam Lee", "SL", "agent", "USAM"), ("Kim Park", "KP", "agent", "UKIM")]


def write_posts(path: Path) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for n in range(CONVERSATIONS):
            handle.write(json.dumps({"id": f"a{n}", "author": {"handle": f"user{n}"}, "text": f"@acme order {n} is late",
                                     "created_at": "2026-11-22T09:00:00Z"}) + "\n")


class SlackAt(NamedTuple):
    """Where the fake Slack of the other process answers."""

    token: str
    base_url: str


class Bot:
    """The runtime and the Bolt HTTP app on a loop of their own, in a thread."""

    def __init__(self, slack: SlackAt, url: str | None) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="socialdesk-ack-"))
        write_posts(self.workdir / "posts.jsonl")
        self.config = parse_config({
            "brand": {"name": "Acme", "handles": ["@acme"]},
            "sources": [{"name": "bench", "type": "replay", "path": "posts.jsonl", "batch_size": 500}],
            "routes": [{"channel": "#social-desk"}],
            "agents": [{"name": n, "initials": i, "role": r, "slack": s} for n, i, r, s in AGENTS],
        })
        self.slack, self.url = slack, url or database_url(None, self.workdir / "ack.db")
        self.loop = asyncio.new_event_loop()
        self.port = 0
        self.ready = threading.Event()
        threading.Thread(target=self.loop.run_forever, name="bot", daemon=True).start()

    def start(self) -> None:
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result()

    async def _start(self) -> None:
        self.runtime = Runtime(self.config, database_url=self.url, base_dir=self.workdir)
        client = make_client(self.slack.token, self.slack.base_url)
        self.runtime.add_chat(SlackChat(client))
        await poll_once(self.runtime.engine, self.config, self.runtime.sources["bench"], self.runtime.clock)
        self.web = web.AppRunner(http_app(build_app(self.runtime.desk, client, slack_wire.SIGNING_SECRET)),
                                 access_log=None)
        await self.web.setup()
        site = web.TCPSite(self.web, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]

    def finished(self) -> int:
        with Session(self.runtime.engine) as session:
            return session.exec(select(func.count()).select_from(ChatEvent).where(ChatEvent.done_at.is_not(None))).one()

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self.loop).result()
        self.loop.call_soon_threadsafe(self.loop.stop)

    async def _stop(self) -> None:
        await self.web.cleanup()
        await self.runtime.close()


async def send_all(port: int, response_url: str, commands: int, concurrency: int) -> tuple[list[float], int]:
    latencies: list[float] = []
    ok = 0
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(commands):
        queue.put_nowait(n)

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal ok
        while not queue.empty():
            n = queue.get_nowait()
            user = AGENTS[n % len(AGENTS)][3]
            body, kind = slack_wire.slash_command("/claim", str(1 + n % CONVERSATIONS), user, "C0DESK", response_url)
            headers = {"Content-Type": kind, **slack_wire.sign(body)}
            started = time.perf_counter()
            async with session.post(f"http://127.0.0.1:{port}/slack/events", data=body.encode(), headers=headers) as answer:
                await answer.read()
                latencies.append(time.perf_counter() - started)
                ok += answer.status == 200

    async with aiohttp.ClientSession() as session:
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
    return latencies, ok


def platform_side(pipe, commands: int, concurrency: int) -> None:
    """The child process: the fake Slack and the client that sends the signed commands (Slack's side of the wire)."""
    with FakeSlack.in_thread(channels=("social-desk",)) as slack:
        pipe.send((slack.token, slack.base_url))
        port = pipe.recv()
        pipe.send(asyncio.run(send_all(port, slack.response_url("bench"), commands, concurrency)))
        pipe.recv()  # keep answering the bot's calls until it is done


def main(commands: int, concurrency: int, url: str | None) -> None:
    ours, theirs = multiprocessing.Pipe()
    child = multiprocessing.get_context("spawn").Process(target=platform_side, args=(theirs, commands, concurrency))
    child.start()
    token, base_url = ours.recv()
    bot = Bot(SlackAt(token, base_url), url)
    bot.start()
    ours.send(bot.port)
    latencies, ok = ours.recv()
    deadline = time.monotonic() + 300
    while bot.finished() < commands and time.monotonic() < deadline:
        time.sleep(0.2)
    ran = bot.finished()
    bot.stop()
    ours.send("done")
    child.join()
    quantiles = statistics.quantiles(latencies, n=100)
    print(f"database: {bot.runtime.engine.url.get_backend_name()}")
    print(f"/claim commands: {commands}, {concurrency} at a time; answered 200: {ok}")
    print(f"ack latency p50: {quantiles[49] * 1000:.0f} ms  p99: {quantiles[98] * 1000:.0f} ms  "
          f"max: {max(latencies) * 1000:.0f} ms  (target p99 < 300 ms)")
    print(f"commands run to the end (recorded, run once, done): {ran} of {commands}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    args = parser.parse_args()
    main(args.commands, args.concurrency, args.database_url)
