"""How long /queue takes with many open conversations: the database filters, sorts and pages them.

    python bench/queue_listing.py [--total 100000] [--open 10000]
                          [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test]

Builds a fresh database (SQLite in a temporary folder by default; on PostgreSQL in a schema of its
own, dropped afterwards) with `--total` conversations of which `--open` are open, spread over the
four priorities, four networks and three owners (a third unowned, some snoozed), then times the
whole command (agent check, count, one page of rows, the text) for the first page, a page in the
middle, the last page and a few filters. The target: under 100 ms a /queue.
"""
from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sla_sweep import fresh_url  # noqa: E402  (bench/, the script's folder, is on sys.path)

from bot.desk.agents import sync_agents  # noqa: E402
from bot.settings import parse_config  # noqa: E402
from bot.vocabulary import PRIORITIES  # noqa: E402
from handlers import dispatch  # noqa: E402
from handlers.context import Actor, Desk, Request  # noqa: E402
from storage.db import make_engine, session_scope, upgrade  # noqa: E402
from storage.models import Agent, Conversation, Customer  # noqa: E402
from tests.auxil.clock import FakeClock  # noqa: E402

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
CUSTOMERS = 5000
NETWORKS = ("x", "mastodon", "bluesky", "reddit")
SAM = Actor("slack", "USAM")
CONFIG = parse_config({
    "brand": {"name": "Acme"}, "routes": [{"channel": "C0BENCH"}],
    "agents": [{"name": "Jane Doe", "initials": "JD", "role": "lead", "slack": "UJANE"},
               {"name": "Sam Lee", "initials": "SL", "slack": "USAM"}],
})
ASKS = ("", "page 2", "page {middle}", "page {last}", "mine", "unowned urgent", "x high page 2", "mine low reddit")
CHUNK = 10_000


def conversations(total: int, open_count: int, agents: list[int | None], rng: random.Random):
    every = max(1, total // open_count)
    for n in range(1, total + 1):
        opened = NOW - timedelta(minutes=rng.randrange(1, 60 * 24 * 30))
        is_open = n % every == 0 and n // every <= open_count
        snoozed = is_open and rng.random() < 0.05
        yield {
            "id": n, "source_name": "bench", "network": rng.choice(NETWORKS), "thread_root_id": str(n),
            "customer_id": n % CUSTOMERS + 1, "status": ("snoozed" if snoozed else "new") if is_open else "resolved",
            "priority": rng.choice(PRIORITIES), "sentiment": "neutral", "intent": "question", "language": "en",
            "has_pii": False, "assignee_id": rng.choice(agents), "opened_at": opened, "updated_at": opened,
            "response_due_at": NOW + timedelta(minutes=rng.randrange(-600, 2400)) if is_open and not snoozed else None,
            "snoozed_until": NOW + timedelta(hours=rng.randrange(1, 48)) if snoozed else None,
            "resolved_at": None if is_open else opened + timedelta(hours=2),
            "chat_platform": "slack", "chat_channel": "C0BENCH", "chat_thread_id": f"{n}.0",
        }


def load(engine, total: int, open_count: int) -> float:
    started = time.perf_counter()
    with session_scope(engine) as session:
        sync_agents(session, CONFIG)
    with engine.begin() as connection:
        agents = [row.id for row in connection.execute(Agent.__table__.select())] + [None]
        connection.execute(Customer.__table__.insert(), [
            {"id": c, "network": "x", "handle": f"customer{c}", "display_name": "", "created_at": NOW}
            for c in range(1, CUSTOMERS + 1)])
        batch = []
        for row in conversations(total, open_count, agents, random.Random(7)):
            batch.append(row)
            if len(batch) == CHUNK:
                connection.execute(Conversation.__table__.insert(), batch)
                batch = []
        if batch:
            connection.execute(Conversation.__table__.insert(), batch)
    return time.perf_counter() - started


async def time_asks(desk: Desk, open_count: int, times: int) -> None:
    last = -(-open_count // 20)
    for template in ASKS:
        args = template.format(middle=last // 2, last=last)
        took = []
        for _ in range(times):
            began = time.perf_counter()
            outcome = await dispatch(desk, Request("queue", SAM, args=args))
            took.append((time.perf_counter() - began) * 1000)
        assert outcome.ok, outcome.text
        print(f"  /queue {args:<18} median {statistics.median(took):6.1f} ms, max {max(took):6.1f} ms · "
              f"{outcome.text.splitlines()[0]}")


def measure(url: str, total: int, open_count: int, times: int) -> None:
    engine = make_engine(url)
    upgrade(engine)
    seconds = load(engine, total, open_count)
    print(f"{total:,} stored, {open_count:,} open (loaded in {seconds:.1f} s):")
    asyncio.run(time_asks(Desk(engine, CONFIG, FakeClock(NOW)), open_count, times))
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--total", type=int, default=100_000)
    parser.add_argument("--open", type=int, default=10_000)
    parser.add_argument("--times", type=int, default=10, help="runs of each /queue")
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    args = parser.parse_args()
    print(f"database: {'postgresql' if args.database_url else 'sqlite'}; target: under 100 ms a /queue")
    url, drop = fresh_url(args.database_url, "queue")
    try:
        measure(url, args.total, args.open, args.times)
    finally:
        drop()


if __name__ == "__main__":
    main()
