"""Ingest throughput: posts from the replay source through the pipeline into the outbox, page by page.

    python bench/ingest.py [--posts 20000] [--page 500] [--inline]
                           [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test]

On SQLite (a temporary file) and PostgreSQL (a schema of its own, dropped after), each in a process of its own so
that its peak RSS is its own: the replay file's pages go through `store_posts` (bot/ingest/stream.py), one
transaction a page, as the poller stores them (with a worker process enriching the next page meanwhile, as in a
backlog, unless `--inline`); nothing is delivered. The texts are the shipped held-out posts
(bench/data), in several languages. Prints posts/s, the time per page at the first, middle and last page (flat
means the last costs what the first did), and the same run's limit: enriching the same posts and inserting the
same rows the pipeline wrote (every table, a page's share per transaction) into a fresh database, with no lookups.
Targets on 2 cores: at least 2,000 posts/s on SQLite and 1,500 on PostgreSQL, flat, peak RSS under 200 MB.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event, insert, select  # noqa: E402
from sqlmodel import SQLModel  # noqa: E402

from bench.pipeline import write_posts  # noqa: E402
from bench.sla_sweep import fresh_url  # noqa: E402
from bot.app.memory import tune_collector  # noqa: E402
from bot.enrich import enrich  # noqa: E402
from bot.ingest.ahead import Ahead, cores  # noqa: E402
from bot.ingest.poller import pages  # noqa: E402
from bot.ingest.stream import store_posts  # noqa: E402
from bot.settings import parse_config  # noqa: E402
from bot.sources.base import Author, InboundPost  # noqa: E402
from bot.sources.replay.source import ReplaySource  # noqa: E402
from storage.db import make_engine, session_scope, upgrade  # noqa: E402

DATA = Path(__file__).resolve().parent / "data"
SOURCE = "bench"
CONFIG = parse_config({"brand": {"name": "Acme", "handles": ["@acme"]}, "routes": [{"channel": "C0BENCH"}]})


def texts() -> list[str]:
    return [json.loads(line)["text"] for path in sorted(DATA.glob("*.jsonl"))
            for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


async def pipeline(engine, replay: ReplaySource, ahead: Ahead) -> tuple[list[float], int, list[list[str]]]:
    """Store every page as the poller does (bot/ingest/poller.py `pages`: in a backlog the worker enriches the next
    page meanwhile); returns the seconds each page took (from the end of the one before), the posts stored and each
    page's texts."""
    took, stored, pages_texts = [], 0, []
    began = time.perf_counter()
    async for page, enriched in pages(replay, None, ahead):
        stored += await asyncio.to_thread(store, engine, page.posts, enriched)
        took.append(time.perf_counter() - began)
        began = time.perf_counter()
        pages_texts.append([post.text for post in page.posts])
    return took, stored, pages_texts


def store(engine, posts, enriched) -> int:
    with session_scope(engine) as session:
        return store_posts(session, CONFIG, SOURCE, posts, datetime.now(UTC), enriched=enriched)


def without_foreign_keys(engine) -> None:
    """The limit inserts each table a page's share at a time, not row by row in the pipeline's order, so a post may
    come before its customer within a page: the target does not check foreign keys."""
    @event.listens_for(engine, "connect")
    def off(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        sqlite = engine.dialect.name == "sqlite"
        cursor.execute("PRAGMA foreign_keys=OFF" if sqlite else "SET session_replication_role = replica")
        cursor.close()
        if not sqlite:
            dbapi_connection.commit()


def limit(engine, target, pages: list[list[str]]) -> float:
    """Seconds to enrich the same posts and insert the rows the pipeline wrote, a page's share per transaction."""
    tables = SQLModel.metadata.sorted_tables
    with engine.connect() as connection:
        rows = {table: [dict(row) for row in connection.execute(select(table)).mappings()] for table in tables}
    began = time.perf_counter()
    for number, page in enumerate(pages):
        for text in page:
            enrich(text)
        with target.begin() as connection:
            for table in tables:
                share = rows[table][len(rows[table]) * number // len(pages):len(rows[table]) * (number + 1) // len(pages)]
                if share:
                    connection.execute(insert(table), share)
    return time.perf_counter() - began


async def measure(label: str, base: str | None, posts: int, page_size: int, worker: bool) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="socialdesk-ingest-"))
    write_posts(workdir / "posts.jsonl", posts, texts())
    replay = ReplaySource(SOURCE, workdir / "posts.jsonl", workdir / "published.jsonl", batch_size=page_size)
    url, drop = fresh_url(base, "ingest")
    limit_url, drop_limit = fresh_url(base, "limit")
    try:
        engine, target = make_engine(url), make_engine(limit_url)
        upgrade(engine)
        upgrade(target)
        target.dispose()
        without_foreign_keys(target)
        enrich("warm up the language model")
        ahead = Ahead(enabled=worker)
        await ahead.results(ahead.start([InboundPost("x", "0", Author("warm"), "warm up", datetime.now(UTC), "0")]))
        began = time.perf_counter()
        took, stored, pages = await pipeline(engine, replay, ahead)
        seconds = time.perf_counter() - began
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        ahead.close()
        limit_seconds = limit(engine, target, pages)
        engine.dispose()
        target.dispose()
    finally:
        drop()
        drop_limit()
    rate, limit_rate = stored / seconds, stored / limit_seconds
    middle = len(took) // 2
    per_post = [page * 1000 / page_size for page in took]
    where = "in a worker process" if ahead.enabled else "inline"
    print(f"{label}: enrichment {where} ({cores()} cores)")
    print(f"{label}: {stored:,} posts in {seconds:.1f} s: {rate:,.0f} posts/s · limit (enrich + plain inserts of the "
          f"same rows) {limit_rate:,.0f} posts/s · ratio {rate / limit_rate:.2f}")
    print(f"{label}: ms per post at page 1 {per_post[0]:.2f}, page {middle + 1} {per_post[middle]:.2f}, "
          f"page {len(took)} {per_post[-1]:.2f} (last/first {per_post[-1] / per_post[0]:.2f}; "
          f"median of the first 5 {statistics.median(per_post[:5]):.2f}, of the last 5 {statistics.median(per_post[-5:]):.2f})"
          f" · peak RSS {rss:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=20_000)
    parser.add_argument("--page", type=int, default=500, help="posts a page (the replay source's batch_size)")
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test",
                        help="the PostgreSQL server to use; '' for SQLite only")
    parser.add_argument("--inline", action="store_true", help="enrich in this process, not in a worker")
    parser.add_argument("--only", choices=("sqlite", "postgresql"), help=argparse.SUPPRESS)  # one child process
    args = parser.parse_args()
    if args.only:
        tune_collector()  # as `socialdesk run`
        asyncio.run(measure(args.only, args.database_url if args.only == "postgresql" else None, args.posts, args.page,
                            not args.inline))
        return
    print("targets: >= 2,000 posts/s on SQLite, >= 1,500 on PostgreSQL, flat per page, peak RSS < 200 MB")
    for label in ("sqlite", "postgresql"):
        if label == "postgresql" and not args.database_url:
            continue
        subprocess.run([sys.executable, __file__, "--only", label, "--posts", str(args.posts), "--page", str(args.page),
                        "--database-url", args.database_url, *(["--inline"] if args.inline else [])], check=True)


if __name__ == "__main__":
    main()
