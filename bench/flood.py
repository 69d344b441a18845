"""A flood into one channel: new conversations into the fake Slack, which enforces Slack's pace per channel.

    python bench/flood.py [--conversations 1000] [--rate 1.0] [--database-url …] [--time-limit 3600]

Each conversation is two messages in the channel (its parent message and the suggested replies in its
thread). The fake Slack answers 429 with Retry-After once a channel gets chat.postMessage faster than
`--rate` per second (burst 3, like Slack's "about one message per second per channel"); the bot's own
pace is set to the same rate. At Slack's real rate, 1,000 conversations take about 35 minutes: a larger
`--rate` scales both sides for a quick run. Prints the delivered rate as a percentage of the allowed
rate (target ≥ 95 %), the 429s, and the messages lost and doubled (target 0 and 0).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.app.runtime import Runtime  # noqa: E402
from bot.chat.slack.outbound import SlackChat, make_client  # noqa: E402
from bot.ingest.poller import poll_once  # noqa: E402
from bot.settings import parse_config  # noqa: E402
from storage.db import database_url  # noqa: E402
from tests.fakes.slack_api import FakeSlack  # noqa: E402

BURST = 3
MESSAGES_PER_CONVERSATION = 2  # the parent and the suggested replies


def write_posts(path: Path, count: int) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for n in range(count):
            handle.write(json.dumps({"id": f"f{n}", "author": {"handle": f"user{n}"},
                                     "text": f"@acme my order {n} never arrived", "created_at": "2026-11-22T09:00:00Z"})
                         + "\n")


async def flood(slack: FakeSlack, conversations: int, rate: float, url: str | None, time_limit: float) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="socialdesk-flood-"))
    write_posts(workdir / "posts.jsonl", conversations)
    config = parse_config({
        "brand": {"name": "Acme", "handles": ["@acme"]},
        "sources": [{"name": "flood", "type": "replay", "path": "posts.jsonl", "batch_size": 500}],
        "routes": [{"channel": "#social-desk"}],
        "outbox": {"per_channel_per_second": rate, "burst": BURST},
    })
    runtime = Runtime(config, database_url=url or database_url(None, workdir / "flood.db"), base_dir=workdir)
    runtime.add_chat(SlackChat(make_client(slack.token, slack.base_url)))
    while await poll_once(runtime.engine, config, runtime.sources["flood"], runtime.clock):
        pass
    expected = conversations * MESSAGES_PER_CONVERSATION
    started = time.monotonic()
    while time.monotonic() - started < time_limit:  # what the outbox job does (every tick, and when poked)
        await runtime.outbox.drain()
        if len(slack.calls_to("chat.postMessage")) - len(refused(slack)) >= expected:
            break
        await asyncio.sleep(0.02)
    await runtime.outbox.settle()
    await runtime.close()
    return {"expected": expected, "database": runtime.engine.url.get_backend_name()}


def refused(slack: FakeSlack) -> list:
    return [error for error in slack.errors if error[0] == "chat.postMessage"]


def report(slack: FakeSlack, result: dict, conversations: int, rate: float) -> None:
    channel = slack.channel_id("social-desk")
    calls = slack.calls_to("chat.postMessage")
    throttled = [error for error in refused(slack) if error[1] == "ratelimited"]
    accepted_at = sorted(call.at for call in calls)
    messages = [*slack.messages(channel)]
    for parent in list(messages):
        messages.extend(slack.thread(channel, parent["ts"]))
    keys = Counter(m["metadata"]["event_payload"]["key"] for m in messages if m.get("metadata"))
    doubled = sum(count - 1 for count in keys.values() if count > 1)
    lost = result["expected"] - len(keys)
    elapsed = (accepted_at[-1] - accepted_at[0]) if len(accepted_at) > 1 else 0.0
    allowed = BURST + elapsed * rate
    print(f"database: {result['database']}; {conversations} conversations, {result['expected']} messages into one channel")
    print(f"allowed rate: {rate:g} msg/s per channel (burst {BURST}); took {elapsed:.1f} s")
    print(f"delivered: {len(messages)} messages = {100 * len(messages) / allowed:.1f} % of the allowed rate (target >= 95 %)")
    print(f"429s: {len(throttled)}  lost: {lost}  doubled: {doubled}")


def main(conversations: int, rate: float, url: str | None, time_limit: float) -> None:
    with FakeSlack.in_thread(channels=("social-desk",)) as slack:
        slack.enforce_channel_rate(per_second=rate, burst=BURST)
        result = asyncio.run(flood(slack, conversations, rate, url, time_limit))
        report(slack, result, conversations, rate)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=1.0, help="messages per second per channel, Slack's is about 1")
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--time-limit", type=float, default=3600.0, help="seconds before giving up")
    args = parser.parse_args()
    main(args.conversations, args.rate, args.database_url, args.time_limit)
