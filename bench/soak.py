"""Hours, not minutes: N minutes of steady mixed traffic and commands through the fakes, watched from outside.

    python bench/soak.py [--minutes 30] [--rate 0.3] [--warmup 5] [--arenas 2|default]
                         [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test]

Customers post on the fake Mastodon at `--rate` posts a second (new questions, and follow-ups in
their threads); the bot streams them in and shows them in the fake Slack at 1 message per second per
channel; every few seconds a teammate runs a command (/claim, /reply, /resolve, /queue, /stats).
The fakes and the customers' traffic run in a process of their own (a `multiprocessing` child that
only shares the fakes' addresses), so what is sampled is socialdesk's process alone: every 30 s its
RSS, Python heap (with --trace-python, which also prints where it grew after the warm-up, by
traceback), what pymalloc and SQLite hold of it, open files and native threads, the database's size
and the post-to-chat latency of the conversations shown in the last minute. Prints the samples at
the start, middle and end, and the slope per hour after the warm-up. Targets: RSS under 5 MB/h after a 5-minute
warm-up, database growth only from stored posts, p95 flat.

`--arenas 2` (the default, as `socialdesk run`) caps glibc's malloc arenas (bot/app/memory.py);
`--arenas default` leaves glibc's own setting, for comparison.
"""
from __future__ import annotations

import argparse
import asyncio
import ctypes
import math
import multiprocessing
import os
import random
import re
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections import deque
from dataclasses import dataclass
from functools import cache
from multiprocessing.connection import Connection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text  # noqa: E402
from sqlmodel import Session, func, select  # noqa: E402

from bench.rig import AGENT, Wire, bot, fakes, percentile  # noqa: E402
from bot.app.memory import limit_arenas, tune_collector  # noqa: E402
from handlers import dispatch  # noqa: E402
from handlers.context import Actor, Request  # noqa: E402
from storage.models import Conversation, OutboxEntry, Post  # noqa: E402
from tests.auxil.surge import chatter  # noqa: E402

SAMPLE_EVERY = 30.0
COMMAND_EVERY = 10.0
TRACE_TOP, TRACE_FRAMES = 15, 8  # --trace-python: the biggest growths, each with its callers


@dataclass
class Sample:
    minute: float
    rss_mb: float
    python_mb: float
    open_files: int
    threads: int
    pymalloc_mb: float
    sqlite_mb: float
    db_mb: float
    posts: int
    outbox_rows: int
    p50: float
    p95: float


class RecentlyShown:
    """When the latest messages reached chat, for TimedSlack: bounded, so the measured process holds no growing
    record of its own (the latencies of the last minute are all a sample needs)."""

    def __init__(self, keep: int = 2000) -> None:
        self._shown: deque[tuple[tuple[str, int], float]] = deque(maxlen=keep)

    def setdefault(self, key: tuple[str, int], at: float) -> None:
        self._shown.append((key, at))

    def conversations_since(self, since: float) -> dict[int, float]:
        return {number: at for (kind, number), at in self._shown if kind == "conversation" and at > since}


def status_of(pid: int | str = "self") -> dict[str, int]:
    """The kB and count fields of /proc/<pid>/status (VmRSS, Threads…)."""
    with open(f"/proc/{pid}/status") as status:
        fields = (line.split(":", 1) for line in status)
        return {name: int(value.split()[0]) for name, value in fields if value.split() and value.split()[0].isdigit()}


@cache
def _sqlite_library() -> ctypes.CDLL | None:
    """The SQLite library this process loaded (the sqlite3 module links it dynamically on most Linux builds)."""
    with open("/proc/self/maps") as maps:
        path = next((line.split()[-1] for line in maps if "libsqlite3" in line), None)
    if path is None:
        return None
    library = ctypes.CDLL(path)
    library.sqlite3_memory_used.restype = ctypes.c_int64
    return library


def pymalloc_mb() -> float:
    """What CPython's small-object allocator holds from the system (its 1 MiB arenas, in use or not): an arena goes
    back only once every object in it is freed, so objects that outlive their neighbours keep arenas resident."""
    with tempfile.TemporaryFile("w+") as capture:
        stderr = os.dup(2)
        try:
            os.dup2(capture.fileno(), 2)
            sys._debugmallocstats()  # writes to the C-level stderr
        finally:
            os.dup2(stderr, 2)
            os.close(stderr)
        capture.seek(0)
        found = re.search(r"^\d+ arenas \* \d+ bytes/arena\s+=\s+([\d,]+)", capture.read(), re.M)
    return int(found.group(1).replace(",", "")) / 2 ** 20 if found else float("nan")


def sqlite_mb() -> float:
    """What SQLite holds now (its page caches above all, up to 2 MB per pooled connection), in this process."""
    library = _sqlite_library()
    return library.sqlite3_memory_used() / 2 ** 20 if library else float("nan")


def db_mb(engine, url: str, workdir: Path) -> float:
    if url.startswith("sqlite"):
        return sum(f.stat().st_size for f in workdir.glob("bench.db*")) / 2 ** 20
    with engine.connect() as connection:
        return connection.execute(text("SELECT pg_total_relation_size('post') + pg_total_relation_size('outboxentry') "
                                       "+ pg_total_relation_size('conversation') + pg_total_relation_size('auditevent') "
                                       "+ pg_total_relation_size('slaclock')")).scalar() / 2 ** 20


# --- the other process: the fakes, and the customers writing on the fake Mastodon ------------------------------------

def serve_fakes(conn: Connection, rate: float) -> None:
    """The child process: serves the fakes, sends their Wire, writes posts from "go" until "stop"."""
    asyncio.run(_serve_fakes(conn, rate))


async def _serve_fakes(conn: Connection, rate: float) -> None:
    async with fakes() as (slack, mastodon):
        conn.send(Wire(slack.base_url, slack.token, mastodon.base_url, mastodon.token))
        await asyncio.to_thread(conn.recv)  # "go"
        writing = asyncio.create_task(traffic(mastodon, rate))
        await asyncio.to_thread(conn.recv)  # "stop"
        writing.cancel()
        await asyncio.gather(writing, return_exceptions=True)


async def traffic(mastodon, rate: float) -> None:
    """New questions and follow-ups, at `rate` posts a second on average (Poisson arrivals)."""
    rng, n, threads = random.Random(5), 0, []
    while True:
        await asyncio.sleep(rng.expovariate(rate))
        if threads and rng.random() < 0.3:  # a follow-up in a customer's own thread
            account, status_id = rng.choice(threads[-200:])
            mastodon.post(account, f"@acme any news on this? it is {rng.randrange(2, 59)} minutes now", reply_to=status_id)
            continue
        n += 1
        account = mastodon.account(f"soak{n}")
        status = mastodon.post(account, f"@acme {chatter(rng, 'acme').removeprefix('@acme ')}")
        threads.append((account, status["id"]))


# --- this process: socialdesk, measured --------------------------------------------------------------------------------

async def commands(runtime, stop: asyncio.Event) -> None:
    """A teammate at work: claim, reply to and resolve the oldest new conversation, and look at /queue and /stats."""
    desk, actor, step = runtime.desk, Actor("slack", AGENT), 0
    while not stop.is_set():
        await asyncio.sleep(COMMAND_EVERY)
        step += 1
        with Session(runtime.engine) as session:
            number = session.exec(select(Conversation.id).where(Conversation.status == "new")
                                  .order_by(Conversation.id)).first()
        if step % 5 == 0:
            await dispatch(desk, Request("queue", actor))
        elif step % 7 == 0:
            await dispatch(desk, Request("stats", actor))
        elif number and step % 3 == 0:
            await dispatch(desk, Request("reply", actor, number, "Thanks for writing, we are on it."))
        elif number and step % 3 == 1:
            await dispatch(desk, Request("claim", actor, number))
        elif number:
            await dispatch(desk, Request("resolve", actor, number))


async def run(args) -> list[Sample]:
    samples: list[Sample] = []
    spawn = multiprocessing.get_context("spawn")
    conn, child_end = spawn.Pipe()
    child = spawn.Process(target=serve_fakes, args=(child_end, args.rate), name="soak-fakes", daemon=True)
    child.start()
    try:
        wire = await asyncio.to_thread(conn.recv)
        with tempfile.TemporaryDirectory() as workdir:
            url = args.database_url or f"sqlite:///{Path(workdir) / 'bench.db'}"
            shown = RecentlyShown()
            async with bot(Path(workdir), wire, shown, database_url=url, publish_per_second=5) as runtime:
                await asyncio.sleep(3)
                conn.send("go")
                stop = asyncio.Event()
                teammate = asyncio.create_task(commands(runtime, stop))
                started, warm = time.monotonic(), None
                try:
                    while time.monotonic() - started < args.minutes * 60:
                        await asyncio.sleep(SAMPLE_EVERY)
                        samples.append(sample(runtime, shown, url, Path(workdir), started))
                        if tracemalloc.is_tracing() and warm is None and samples[-1].minute >= args.warmup:
                            warm = tracemalloc.take_snapshot()
                        last = samples[-1]
                        print(f"  {last.minute:5.1f} min: RSS {last.rss_mb:6.1f} MB, Python {last.python_mb:5.1f} MB, "
                              f"pymalloc {last.pymalloc_mb:5.1f} MB, SQLite {last.sqlite_mb:4.1f} MB, "
                              f"db {last.db_mb:6.2f} MB, {last.posts} posts, p95 {last.p95:.2f} s", flush=True)
                finally:
                    conn.send("stop")
                    stop.set()
                    teammate.cancel()
                    await asyncio.gather(teammate, return_exceptions=True)
                if warm is not None:
                    print_growth(warm)
    finally:
        child.join(10)
        if child.is_alive():
            child.terminate()
    return samples


def print_growth(warm: tracemalloc.Snapshot) -> None:
    """Where the Python heap grew since the warm-up, by the allocating line and its callers."""
    print("\nPython heap growth since the warm-up (socialdesk's process only), by traceback:")
    ours = [tracemalloc.Filter(False, tracemalloc.__file__)]
    now = tracemalloc.take_snapshot().filter_traces(ours)
    for stat in now.compare_to(warm.filter_traces(ours), "traceback")[:TRACE_TOP]:
        print(f"  {stat.size_diff / 2 ** 10:+9.0f} KiB {stat.count_diff:+7d} blocks")
        for frame in stat.traceback.format(limit=TRACE_FRAMES, most_recent_first=True):
            print(f"      {frame.strip()}")


def sample(runtime, shown: RecentlyShown, url: str, workdir: Path, started: float) -> Sample:
    """This process and the database now; the latencies of the conversations shown in the last minute."""
    window = last_minute_latencies(runtime, shown)
    with Session(runtime.engine) as session:
        posts = session.exec(select(func.count()).select_from(Post)).one()
        outbox = session.exec(select(func.count()).select_from(OutboxEntry)).one()
    status = status_of()
    return Sample(
        minute=(time.monotonic() - started) / 60, rss_mb=status["VmRSS"] / 1024,
        python_mb=tracemalloc.get_traced_memory()[0] / 2 ** 20 if tracemalloc.is_tracing() else float("nan"),
        open_files=len(os.listdir("/proc/self/fd")), threads=status["Threads"],
        pymalloc_mb=pymalloc_mb(), sqlite_mb=sqlite_mb(),
        db_mb=db_mb(runtime.engine, url, workdir), posts=posts, outbox_rows=outbox,
        p50=statistics.median(window) if window else float("nan"), p95=percentile(window, 0.95),
    )


def last_minute_latencies(runtime, shown: RecentlyShown) -> list[float]:
    """Seconds from each conversation's first post being written (its created_at on the fake Mastodon, which runs in
    the other process) to its message in Slack, for the conversations shown in the last minute."""
    at_by_number = shown.conversations_since(time.monotonic() - 60)
    if not at_by_number:
        return []
    with Session(runtime.engine) as session:
        first = session.exec(select(Post.conversation_id, func.min(Post.created_at))
                             .where(Post.conversation_id.in_(list(at_by_number))).group_by(Post.conversation_id)).all()
    wall_minus_monotonic = time.time() - time.monotonic()
    return [at_by_number[number] + wall_minus_monotonic - written.timestamp() for number, written in first]


def slope_per_hour(samples: list[Sample], field: str) -> float:
    """Least-squares slope of `field` against time, per hour (samples without a value left out)."""
    pairs = [(s.minute / 60, getattr(s, field)) for s in samples if math.isfinite(getattr(s, field))]
    xs, ys = [x for x, _ in pairs], [y for _, y in pairs]
    if len(xs) < 2:
        return float("nan")
    return statistics.linear_regression(xs, ys).slope


def report(samples: list[Sample], warmup: float) -> None:
    steady = [s for s in samples if s.minute >= warmup] or samples
    print("\n            RSS MB  Python MB  pymalloc MB  SQLite MB  files  threads  db MB   posts  outbox rows  p50 s  p95 s")
    for label, s in (("start", samples[0]), ("middle", samples[len(samples) // 2]), ("end", samples[-1])):
        print(f"  {label:7} {s.rss_mb:8.1f} {s.python_mb:10.1f} {s.pymalloc_mb:12.1f} {s.sqlite_mb:10.1f} "
              f"{s.open_files:6d} {s.threads:8d} {s.db_mb:7.2f} {s.posts:7d} {s.outbox_rows:12d} {s.p50:6.2f} {s.p95:6.2f}")
    growth_posts = slope_per_hour(steady, "posts")
    db = slope_per_hour(steady, "db_mb")
    print(f"\nafter the {warmup:g}-minute warm-up, per hour: RSS {slope_per_hour(steady, 'rss_mb'):+.1f} MB, "
          f"Python heap {slope_per_hour(steady, 'python_mb'):+.1f} MB, "
          f"pymalloc {slope_per_hour(steady, 'pymalloc_mb'):+.1f} MB, "
          f"SQLite's memory {slope_per_hour(steady, 'sqlite_mb'):+.1f} MB, database {db:+.2f} MB "
          f"({db * 2 ** 20 / growth_posts if growth_posts else float('nan'):.0f} bytes per stored post, "
          f"{slope_per_hour(steady, 'outbox_rows') / growth_posts if growth_posts else float('nan'):.1f} outbox rows per "
          f"post), open files {slope_per_hour(steady, 'open_files'):+.1f}, threads {slope_per_hour(steady, 'threads'):+.1f}, "
          f"p95 {slope_per_hour(steady, 'p95'):+.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=30)
    # One Slack channel takes about 1 message a second; a new conversation costs 2 (its message and suggestions), a
    # follow-up 1, the commands about 0.2 a second: 0.3 posts a second keeps the channel below its limit.
    parser.add_argument("--rate", type=float, default=0.3, help="posts per second")
    parser.add_argument("--warmup", type=float, default=5, help="minutes left out of the slopes")
    parser.add_argument("--arenas", default="2", choices=["2", "default"])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--trace-python", action="store_true", help="measure the Python heap too (tracemalloc: slower)")
    args = parser.parse_args()
    if args.arenas == "2":
        limit_arenas()
    tune_collector()  # as `socialdesk run`
    if args.trace_python:
        tracemalloc.start(TRACE_FRAMES)
    print(f"soak: {args.minutes:g} min at {args.rate:g} posts/s, malloc arenas {args.arenas}, "
          f"{'PostgreSQL' if args.database_url else 'SQLite'}", flush=True)
    report(asyncio.run(run(args)), args.warmup)


if __name__ == "__main__":
    main()
