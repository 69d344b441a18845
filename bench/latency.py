"""Time from a post appearing on the network to its conversation in chat: a streamed and a polled Mastodon source.

    python bench/latency.py [--posts 40] [--every 3]

Customers post to the fake Mastodon one every `--every` seconds; the bot (its real jobs, against the
fake Slack at 1 message per second per channel) shows each conversation in Slack. Prints the median
and p95 seconds, first with the streaming API on, then with streaming off and the source polled at
its default interval (60 s for Mastodon). Target: median under 2 s with streaming.
"""
from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.rig import percentile, rig  # noqa: E402
from bot.settings import POLL_EVERY  # noqa: E402
from tests.auxil.surge import unrelated_text  # noqa: E402


async def measure(posts: int, every: float, *, stream: bool) -> list[float]:
    poll_every = f"{int(POLL_EVERY['mastodon'].total_seconds())}s"
    with tempfile.TemporaryDirectory() as workdir:
        async with rig(Path(workdir), stream=stream, poll_every=poll_every) as bench:
            await asyncio.sleep(3)  # connected, first poll done
            rng = random.Random(1)
            for n in range(posts):  # unrelated questions: none of them forms an incident
                bench.post(f"customer{n}", unrelated_text(rng, "acme", n).removeprefix("@acme "))
                await asyncio.sleep(every)
            deadline = time.monotonic() + (10 if stream else POLL_EVERY["mastodon"].total_seconds() + 20)
            while len(bench.latencies()) < posts and time.monotonic() < deadline:
                await asyncio.sleep(0.5)
            return list(bench.latencies().values())


def report(label: str, latencies: list[float], posts: int) -> None:
    if not latencies:
        print(f"{label}: no conversation reached chat")
        return
    print(f"{label}: {len(latencies)}/{posts} in chat; median {statistics.median(latencies):.2f} s, "
          f"p95 {percentile(latencies, 0.95):.2f} s, max {max(latencies):.2f} s")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=40)
    parser.add_argument("--every", type=float, default=3.0, help="seconds between posts")
    args = parser.parse_args()
    report("streaming Mastodon", await measure(args.posts, args.every, stream=True), args.posts)
    report(f"polled Mastodon (every {POLL_EVERY['mastodon'].total_seconds():.0f} s)",
           await measure(args.posts, args.every, stream=False), args.posts)


if __name__ == "__main__":
    asyncio.run(main())
