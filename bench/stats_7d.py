"""How long `/stats` takes for 7 days when the week holds millions of SLA clocks.

    python bench/stats_7d.py [--clocks 2000000] [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test]

Bulk-loads `--clocks` clocks started over the last 7 days (a first-response and a resolution clock per
conversation, a next-response clock for every third; answered, late, running, spam, tagged, by five agents on
three networks) into a fresh SQLite file and a fresh PostgreSQL schema (dropped after), counts every hour into the
kept figures as the rollup job does on its first run (and says how long that took), then renders /stats for 7 days
(every section, as the command does) five times and prints the median and the slowest: at the loaded `now`, on the
hour, and 37 minutes later, when the window's first and last hours are partial (read from their five-minute slots).
Then a live desk late in the hour: a full current hour of clocks (`--live`, about 12,000) is loaded up to 59 minutes
past, the rollup job runs at that minute (it keeps the hour's ended slots) and /stats is timed again; and once more
with the slots' versions forgotten, the current hour counted from the clocks as before migration 0018.
Target: under 100 ms at 2 million clocks.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import delete  # noqa: E402
from sqlmodel import Session  # noqa: E402

from bench.sla_sweep import CHUNK, CONVERSATION_COLUMNS, _insert, fresh_url  # noqa: E402
from bot.reports import figures  # noqa: E402
from bot.reports.rollup import count_slots, roll_up  # noqa: E402
from bot.settings import parse_config  # noqa: E402
from storage.db import make_engine, upgrade  # noqa: E402
from storage.models import StatsSlotVersion  # noqa: E402

NOW = datetime(2026, 11, 9, 9, 0, tzinfo=UTC)
WEEK = timedelta(days=7)
CUSTOMERS = 1000
AGENTS = ("Ana", "Bo", "Cy", "Dee", "Eli")
NETWORKS = ("x", "mastodon", "bluesky")
TAGS = ("billing", "bug", "vip")
CLOCK_COLUMNS = ("conversation_id", "kind", "cycle", "priority", "started_at", "warn_at", "due_at", "stopped_at",
                 "outcome", "agent_id", "stage", "response_seconds")
CONFIG = parse_config({"brand": {"name": "Acme"}, "routes": [{"channel": "C0BENCH"}],
                       "agents": [{"name": name, "initials": name[:2], "slack": f"U{name.upper()}"} for name in AGENTS]})


LIVE = NOW + timedelta(minutes=59)  # the live desk's now: its current hour full of clocks up to here


def rows(clocks: int, rng: random.Random, now: datetime = NOW, span: timedelta = WEEK, first: int = 0):
    """Conversations (numbered from `first` + 1) with their clocks (2 each, 3 for every third one), opened in the
    `span` before `now`, until `clocks` clocks."""
    n, made = first, 0
    while made < clocks:
        n += 1
        opened = now - span * rng.random()
        agent = rng.randrange(1, len(AGENTS) + 1)
        intent = "spam" if n % 40 == 0 else rng.choice(("question", "complaint", "bug_report"))
        conversation = (n, "bench", rng.choice(NETWORKS), str(n), n % CUSTOMERS + 1, "resolved", "normal", "neutral",
                        intent, "en", False, opened, opened, opened + timedelta(hours=4), None, None, None, "slack",
                        "C0BENCH", f"{n}.0")
        its = [_clock(n, "first", 0, opened, timedelta(hours=4), agent, rng, now),
               _clock(n, "resolution", 0, opened, timedelta(hours=24), agent, rng, now)]
        if n % 3 == 0:
            its.append(_clock(n, "next", 1, opened + timedelta(minutes=30), timedelta(hours=4), agent, rng, now))
        made += len(its)
        yield conversation, its, rng.sample(TAGS, rng.randrange(0, 3))


def _clock(n: int, kind: str, cycle: int, started: datetime, target: timedelta, agent: int, rng: random.Random,
           now: datetime):
    due = started + target
    took = timedelta(seconds=rng.expovariate(1 / 7200))
    if started + took > now or rng.random() < 0.05:  # still running
        return (n, kind, cycle, "normal", started, due - target / 4, due, None, None, None, "", None)
    outcome = "resolved" if kind == "resolution" else "responded"
    seconds = None if kind == "resolution" else took.total_seconds()
    return (n, kind, cycle, "normal", started, due - target / 4, due, started + took, outcome, agent, "", seconds)


def load(engine, clocks: int, live: int = 0) -> float:
    """The week's clocks (and the people), or, with `live`, that many more in the current hour up to LIVE (the
    clocks inserted as the bench loads them, unmarked: the job counts the slots never counted)."""
    started = time.perf_counter()
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if live:
            cursor.execute("SELECT max(id) FROM conversation")
            made = rows(live, random.Random(8), LIVE, LIVE - NOW, cursor.fetchone()[0])
        else:
            _insert(engine, cursor, "customer", ("id", "network", "handle", "display_name", "created_at"),
                    [(c, "x", f"customer{c}", "", NOW) for c in range(1, CUSTOMERS + 1)])
            _insert(engine, cursor, "agent", ("id", "name", "initials", "role", "slack_user_id"),
                    [(i, name, name[:2], "agent", f"U{name.upper()}") for i, name in enumerate(AGENTS, 1)])
            made = rows(clocks, random.Random(7))
        conversations, its_clocks, tags = [], [], []
        for conversation, clocks_of, tags_of in made:
            conversations.append(conversation)
            its_clocks += clocks_of
            tags += [(conversation[0], tag) for tag in tags_of]
            if len(conversations) >= CHUNK:
                _flush(engine, cursor, conversations, its_clocks, tags)
                conversations, its_clocks, tags = [], [], []
        _flush(engine, cursor, conversations, its_clocks, tags)
        if not live:  # a live desk's hour is not analysed either
            cursor.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()
    return time.perf_counter() - started


def _flush(engine, cursor, conversations: list, clocks: list, tags: list) -> None:
    _insert(engine, cursor, "conversation", CONVERSATION_COLUMNS, conversations)
    _insert(engine, cursor, "slaclock", CLOCK_COLUMNS, clocks)
    _insert(engine, cursor, "conversationtag", ("conversation_id", "tag"), tags)


def time_stats(engine, now: datetime) -> tuple[list[float], str]:
    took, text = [], ""
    for _ in range(5):
        began = time.perf_counter()
        with Session(engine) as session:
            text = figures.render(figures.context(session, CONFIG, figures.last(WEEK, now), now), figures.SECTIONS)
        took.append((time.perf_counter() - began) * 1000)
    return took, text


def measure(label: str, url: str, clocks: int, live: int, show: bool) -> None:
    engine = make_engine(url)
    upgrade(engine)
    seconds = load(engine, clocks)
    began = time.perf_counter()
    hours = roll_up(engine, NOW)
    rolled = time.perf_counter() - began
    print(f"{label}: {clocks:,} clocks in 7 days (loaded in {seconds:.0f} s); the rollup's first run counted "
          f"{hours} hours in {rolled:.1f} s")
    for now, when in ((NOW, "on the hour"), (NOW + timedelta(minutes=37), "37 min past")):
        took, text = time_stats(engine, now)
        if show:
            print(text)
        print(f"{label}: /stats 7d {when}: median {statistics.median(took):.0f} ms, slowest {max(took):.0f} ms "
              "(target: under 100 ms)")
    if live:
        load(engine, clocks, live)
        began = time.perf_counter()
        roll_up(engine, LIVE)
        rolled = time.perf_counter() - began
        left = count_slots(engine, LIVE)
        print(f"{label}: a live desk: {live:,} clocks in the current hour up to 59 min past; the job's run at that "
              f"minute (catching up from on the hour) took {rolled:.1f} s ({left} slots left to count after it)")
        took, text = time_stats(engine, LIVE)
        if show:
            print(text)
        print(f"{label}: /stats 7d 59 min past, the current hour's ended slots kept: median "
              f"{statistics.median(took):.0f} ms, slowest {max(took):.0f} ms (target: under 100 ms)")
        with engine.begin() as connection:  # as before migration 0018: the current hour from the clocks
            connection.execute(delete(StatsSlotVersion))
        took, _ = time_stats(engine, LIVE)
        print(f"{label}: /stats 7d 59 min past, the current hour counted from the clocks (before): median "
              f"{statistics.median(took):.0f} ms, slowest {max(took):.0f} ms")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clocks", type=int, default=2_000_000)
    parser.add_argument("--live", type=int, default=12_000,
                        help="clocks in the live desk's current hour (0: no live measurement)")
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test",
                        help="the PostgreSQL server to use (a schema of its own, dropped after); '' for SQLite only")
    parser.add_argument("--show", action="store_true", help="print the /stats text too")
    args = parser.parse_args()
    for label, base in (("sqlite", None), ("postgresql", args.database_url)):
        if label == "postgresql" and not base:
            continue
        url, drop = fresh_url(base, "stats")
        try:
            measure(label, url, args.clocks, args.live, args.show)
        finally:
            drop()


if __name__ == "__main__":
    main()
