"""Throughput of the whole offline loop: replay file -> ingest (enrich, store) -> outbox -> chat.

    python bench/pipeline.py [--posts 5000] [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test]

Prints posts ingested per second, chat messages delivered per second and peak memory.
The chat is a null adapter and the outbox pace is unlimited, so the figures are socialdesk's own cost.
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.app.runtime import Runtime  # noqa: E402
from bot.ingest.poller import poll_once  # noqa: E402
from bot.settings import parse_config  # noqa: E402
from bot.views import ChatRef  # noqa: E402
from storage.db import database_url  # noqa: E402

TEXTS = [
    "@acme my order never arrived and it's been 2 weeks",
    "@acme the app crashes when I open settings 😡",
    "@acme do you ship to Canada?",
    "@acme love the new update, thanks! 🙌",
    "@acme hola, mi pedido llegó roto",
    "@acme meine Bestellung ist immer noch nicht da",
    "@acme I was charged twice, card 4111 1111 1111 1111, fix ASAP",
]


class NullChat:
    platform = "slack"
    ids = itertools.count(1)

    async def post_conversation(self, channel, view, key):
        return ChatRef(channel, f"{next(self.ids)}.0")

    async def update_conversation(self, ref, view):
        return None

    async def post_in_thread(self, ref, message, key):
        return f"{next(self.ids)}.0"

    async def find_message(self, channel, thread_id, key):
        return None

    async def tell(self, channel, user_id, text, thread_id=None):
        return None


def write_posts(path: Path, count: int, texts: list[str] = TEXTS) -> None:
    """A replay file of `count` posts by about count / 3 customers (so later posts join their conversations)."""
    rng = random.Random(7)
    with path.open("w", encoding="utf-8") as handle:
        for n in range(count):
            customer = rng.randrange(count // 3 + 1)
            root = f"root-{customer}"
            handle.write(json.dumps({"id": f"b{n}", "author": {"handle": f"user{customer}"}, "text": rng.choice(texts),
                                     "created_at": "2026-11-22T09:00:00Z", "thread_root": root}) + "\n")


async def main(posts: int, url: str | None) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="socialdesk-bench-"))
    write_posts(workdir / "posts.jsonl", posts)
    config = parse_config({
        "brand": {"name": "Acme", "handles": ["@acme"]},
        "sources": [{"name": "bench", "type": "replay", "path": "posts.jsonl", "batch_size": 500}],
        "routes": [{"channel": "C0BENCH"}],
        "outbox": {"per_channel_per_second": 1_000_000, "burst": 1_000_000},
    })
    runtime = Runtime(config, database_url=url or database_url(None, workdir / "bench.db"), base_dir=workdir)
    runtime.add_chat(NullChat())
    started = time.perf_counter()
    stored = await poll_once(runtime.engine, config, runtime.sources["bench"], runtime.clock)
    ingest_seconds = time.perf_counter() - started
    started = time.perf_counter()
    delivered = 0
    idle = 0
    while idle < 2:  # suggestions are made in the background, then queued for chat: drain until both are done
        batch = await runtime.outbox.drain_once(limit=1000)
        await runtime.outbox.settle()
        delivered += batch
        idle = 0 if batch else idle + 1
    deliver_seconds = time.perf_counter() - started
    await runtime.close()
    print(f"database: {runtime.engine.url.get_backend_name()}")
    print(f"posts ingested: {stored} in {ingest_seconds:.2f} s ({stored / ingest_seconds:.0f} posts/s)")
    print(f"chat messages delivered: {delivered} in {deliver_seconds:.2f} s ({delivered / deliver_seconds:.0f} messages/s)")
    print(f"peak memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=5000)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    args = parser.parse_args()
    asyncio.run(main(args.posts, args.database_url))
