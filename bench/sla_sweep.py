"""How long one SLA sweep takes with many stored conversations and a few open ones.

    python bench/sla_sweep.py [--total 1000000] [--open 10000]
                              [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test]

Builds a fresh database (SQLite in a temporary folder by default; on PostgreSQL in a schema of its
own, dropped afterwards), bulk-loads `--total` conversations of which `--open` are open, each with
its first-response and resolution clocks, then times sweeps: with nothing due, with the nudges of
30 seconds (one sweep interval), and with a full batch due (a backlog; the job runs batch after
batch until it is cleared). It repeats the
figures with a tenth of the open conversations, and with only the open conversations stored, to
show that a sweep grows with what is due, not with what is stored. The target: under 50 ms a sweep.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, text  # noqa: E402

from bot.settings import parse_config  # noqa: E402
from bot.sla.sweep import BATCH, sweep  # noqa: E402
from storage.db import make_engine, upgrade  # noqa: E402

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
SPREAD = timedelta(hours=8)  # open conversations' warnings fall due over the next eight hours
CUSTOMERS = 1000
CHUNK = 50_000
CONVERSATION_COLUMNS = (
    "id", "source_name", "network", "thread_root_id", "customer_id", "status", "priority", "sentiment", "intent",
    "language", "has_pii", "opened_at", "updated_at", "first_response_due_at", "first_responded_at", "response_due_at",
    "resolved_at", "chat_platform", "chat_channel", "chat_thread_id",
)
CLOCK_COLUMNS = ("conversation_id", "kind", "cycle", "priority", "started_at", "warn_at", "due_at", "stopped_at",
                 "outcome", "stage", "next_nudge_at")
CONFIG = parse_config({
    "brand": {"name": "Acme"}, "routes": [{"channel": "C0BENCH"}],
    "sla": {"escalation": {"slack": {"channel": "C0ESCALATE", "on_call": "S0ONCALL"}}},
})


def rows(total: int, open_count: int, rng: random.Random):
    """Conversations and their clocks; every `total // open_count`-th one is open."""
    every = max(1, total // open_count)
    for n in range(1, total + 1):
        opened = NOW - timedelta(seconds=rng.randrange(365 * 86400)) if n % every else NOW - timedelta(minutes=1)
        first_due, resolution_due = opened + timedelta(hours=4), opened + timedelta(hours=24)
        if n % every:  # resolved long ago, answered in time
            answered = opened + timedelta(minutes=rng.randrange(1, 240))
            conversation = (n, "bench", "x", str(n), n % CUSTOMERS + 1, "resolved", "normal", "neutral", "question", "en",
                            False, opened, answered, first_due, answered, None, answered, "slack", "C0BENCH", f"{n}.0")
            clocks = [(n, "first", 0, "normal", opened, first_due - timedelta(hours=1), first_due, answered, "responded",
                       "", None),
                      (n, "resolution", 0, "normal", opened, resolution_due - timedelta(hours=6), resolution_due, answered,
                       "resolved", "", None)]
        else:  # open: its warning falls due somewhere in the next eight hours
            warn = NOW + SPREAD * rng.random()
            due = warn + timedelta(hours=1)
            conversation = (n, "bench", "x", str(n), n % CUSTOMERS + 1, "new", "normal", "neutral", "question", "en",
                            False, opened, opened, due, None, due, None, "slack", "C0BENCH", f"{n}.0")
            clocks = [(n, "first", 0, "normal", opened, warn, due, None, None, "", warn),
                      (n, "resolution", 0, "normal", opened, NOW + timedelta(hours=18), NOW + timedelta(hours=24), None,
                       None, "", NOW + timedelta(hours=18))]
        yield conversation, clocks


def load(engine, total: int, open_count: int) -> float:
    started = time.perf_counter()
    rng = random.Random(7)
    conversations, clocks = [], []
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        customers = [(c, "x", f"customer{c}", "", NOW) for c in range(1, CUSTOMERS + 1)]
        _insert(engine, cursor, "customer", ("id", "network", "handle", "display_name", "created_at"), customers)
        for conversation, its_clocks in rows(total, open_count, rng):
            conversations.append(conversation)
            clocks += its_clocks
            if len(conversations) >= CHUNK:
                _insert(engine, cursor, "conversation", CONVERSATION_COLUMNS, conversations)
                _insert(engine, cursor, "slaclock", CLOCK_COLUMNS, clocks)
                conversations, clocks = [], []
        _insert(engine, cursor, "conversation", CONVERSATION_COLUMNS, conversations)
        _insert(engine, cursor, "slaclock", CLOCK_COLUMNS, clocks)
        cursor.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()
    return time.perf_counter() - started


def _insert(engine, cursor, table: str, columns: tuple[str, ...], values: list[tuple]) -> None:
    if not values:
        return
    values = [tuple(_plain(v) for v in row) for row in values]
    if engine.dialect.name == "postgresql":
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in values:
                copy.write_row(row)
    else:
        cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", values)


def _plain(value):
    """Naive UTC as storage/types.py stores it (SQLite: the text SQLAlchemy writes)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


def time_sweeps(engine, start: datetime, step: timedelta, times: int) -> tuple[list[float], list[int]]:
    took, handled = [], []
    now = start
    for _ in range(times):
        now += step
        began = time.perf_counter()
        handled.append(sweep(engine, CONFIG.sla, now))
        took.append((time.perf_counter() - began) * 1000)
    return took, handled


def measure(url: str, total: int, open_count: int) -> None:
    engine = make_engine(url)
    upgrade(engine)
    seconds = load(engine, total, open_count)
    idle, _ = time_sweeps(engine, NOW - timedelta(minutes=10), timedelta(seconds=1), 5)
    typical, typical_n = time_sweeps(engine, NOW, timedelta(seconds=30), 20)
    backlog_step = SPREAD * BATCH / open_count  # long enough for a batch of warnings to fall due
    backlog, backlog_n = time_sweeps(engine, NOW + timedelta(minutes=10), backlog_step, 3)
    engine.dispose()
    print(f"{total:>9,} stored, {open_count:>6,} open (loaded in {seconds:5.1f} s): "
          f"idle {statistics.median(idle):5.1f} ms · every 30 s ({statistics.mean(typical_n):4.1f} due) "
          f"median {statistics.median(typical):5.1f} ms, max {max(typical):5.1f} ms · "
          f"backlog ({int(statistics.mean(backlog_n))} due) median {statistics.median(backlog):6.1f} ms")


def fresh_url(base: str | None, label: str):
    """A fresh database for one run: a temporary SQLite file, or a new PostgreSQL schema (dropped after)."""
    if not base:
        return f"sqlite:///{tempfile.mkdtemp(prefix='socialdesk-sweep-')}/{label}.db", lambda: None
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    separator = "&" if "?" in base else "?"
    return f"{base}{separator}options=-csearch_path%3D{schema}", drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--total", type=int, default=1_000_000)
    parser.add_argument("--open", type=int, default=10_000)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    args = parser.parse_args()
    print(f"database: {'postgresql' if args.database_url else 'sqlite'}; target: under 50 ms a sweep")
    for total, open_count in ((args.total, args.open), (args.total, args.open // 10), (args.open, args.open)):
        url, drop = fresh_url(args.database_url, f"{total}-{open_count}")
        try:
            measure(url, total, open_count)
        finally:
            drop()


if __name__ == "__main__":
    main()
