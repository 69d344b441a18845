"""A surge: 1,000 posts about one outage within 60 s plus 50 unrelated ones, into one Slack channel at 1 message/s.

    python bench/surge.py [--outage 1000] [--unrelated 50] [--seconds 60]

Customers post on the fake Mastodon (tests/auxil/surge.py: bursty, near-duplicates in four languages);
the bot streams them in, runs its real jobs, and posts to the fake Slack, which answers 429 beyond 1
message per second per channel as Slack does. Prints when the first incident appeared, how many chat
messages the surge cost, when each unrelated post appeared in chat, and, after merging the incidents
into the first (`/incident I1 merge …`) and one `/reply-all`, how many customers were answered once,
not at all, or twice. Targets: the incident in chat within 10 s, every unrelated post within 60 s,
every customer answered once.

The replies go out at 50 a second here (`publish_per_second`), to measure correctness rather than
Mastodon's pace: at the default 0.5 a second, 1,000 replies take about 33 minutes.
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlmodel import Session, func, select  # noqa: E402

from bench.rig import AGENT, percentile, rig  # noqa: E402
from handlers import dispatch  # noqa: E402
from handlers.context import Actor, Request  # noqa: E402
from storage.models import Conversation, Incident, Reply, ReplyStatus  # noqa: E402
from tests.auxil.surge import surge  # noqa: E402


async def run(outage: int, unrelated: int, seconds: float) -> None:
    posts = surge(outage=outage, unrelated=unrelated, seconds=seconds)
    with tempfile.TemporaryDirectory() as workdir:
        async with rig(Path(workdir), publish_per_second=50) as bench:
            await asyncio.sleep(3)  # the stream is connected, the first poll done
            start = time.monotonic()
            unrelated_ids, outage_ids = [], []
            for post in posts:
                await asyncio.sleep(max(0.0, start + post.at - time.monotonic()))
                status = bench.post(post.handle, post.text)
                (outage_ids if post.outage else unrelated_ids).append(status)
            print(f"{len(posts)} posts written in {time.monotonic() - start:.1f} s "
                  f"({outage} about the outage, {unrelated} unrelated)")
            deadline = start + seconds + 120
            while time.monotonic() < deadline and len(set(bench.latencies()) & set(unrelated_ids)) < len(unrelated_ids):
                await asyncio.sleep(1)
            await asyncio.sleep(bench.runtime.config.incidents.update_every.total_seconds() + 2)  # the last edit
            report_chat(bench, start, unrelated_ids)
            await reply_all(bench, outage_ids + unrelated_ids)


def report_chat(bench, start: float, unrelated_ids: list[str]) -> None:
    incidents = sorted((at - start, number) for (kind, number), at in bench.shown.items() if kind == "incident")
    if incidents:
        print(f"first incident in chat after {incidents[0][0]:.1f} s; {len(incidents)} incidents: "
              + ", ".join(f"I{number} at {at:.1f} s" for at, number in incidents))
    else:
        print("no incident formed")
    with Session(bench.runtime.engine) as session:
        sizes = dict(session.exec(select(Conversation.incident_id, func.count()).group_by(Conversation.incident_id)).all())
        folded = sum(count for incident, count in sizes.items() if incident is not None)
        for incident in session.exec(select(Incident).order_by(Incident.id)):
            top = max(incident.phrasings, key=lambda p: p["count"])
            print(f"  I{incident.id}: {sizes.get(incident.id, 0)} conversations, {len(incident.phrasings)} phrasings; "
                  f"most say ({top['count']}): {top['text'][:70]!r}")
    lags = bench.store_lags()
    print(f"stored (streamed or polled): {len(lags)} posts, {statistics.median(lags):.2f} s median, "
          f"p95 {percentile(lags, 0.95):.2f} s, max {max(lags):.2f} s after they were written")
    posted = bench.slack.calls_to("chat.postMessage")
    ok_posts = [c for c in posted if c.params.get("channel") == bench.channel]
    edits = [c for c in bench.slack.calls_to("chat.update") if c.params.get("channel") == bench.channel]
    refused = len([e for e in bench.slack.errors if e[0] == "chat.postMessage" and e[2] == 429])
    top = bench.slack.messages(bench.channel)
    in_threads = sum(len(bench.slack.thread(bench.channel, m["ts"])) for m in top)
    print(f"chat: {len(top) + in_threads} messages in the channel ({len(top)} at its top, {in_threads} in threads) and "
          f"{len(edits)} edits; {len(ok_posts)} attempts to post there ({refused} attempts, here or in the escalation "
          f"channel, refused with 429); {folded} conversations folded into incidents, {sizes.get(None, 0)} shown one by one")
    latencies = bench.latencies()
    shown = [latencies[i] for i in unrelated_ids if i in latencies]
    late = len(unrelated_ids) - len(shown)
    if shown:
        print(f"unrelated posts: {len(shown)}/{len(unrelated_ids)} in chat; median {statistics.median(shown):.1f} s, "
              f"p95 {percentile(shown, 0.95):.1f} s, max {max(shown):.1f} s after they were written"
              + (f"; {late} not shown" if late else ""))
        print("  each (s): " + " ".join(f"{latencies[i]:.0f}" if i in latencies else "-" for i in unrelated_ids))


async def reply_all(bench, statuses: list[str]) -> None:
    desk = bench.runtime.desk
    with Session(bench.runtime.engine) as session:
        numbers = list(session.exec(select(Incident.id).order_by(Incident.id)))
    if not numbers:
        return
    started = time.monotonic()
    first, *others = numbers
    if others:  # one outage, said in several ways: merged into one incident, answered with one /reply-all
        outcome = await dispatch(desk, Request(command="incident", actor=Actor("slack", AGENT),
                                               args=f"I{first} merge " + " ".join(f"I{n}" for n in others)))
        print(f"/incident I{first} merge …: {outcome.text[:160]}")
    outcome = await dispatch(desk, Request(command="reply-all", actor=Actor("slack", AGENT),
                                           args=f"I{first} Sorry {{name}}, the login is fixed: please try again."))
    print(f"/reply-all I{first}: {outcome.text[:160]}")
    with Session(bench.runtime.engine) as session:
        members = set(session.exec(select(Conversation.id).where(Conversation.incident_id.is_not(None))))
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        with Session(bench.runtime.engine) as session:
            waiting = session.exec(select(func.count()).select_from(Reply)
                                   .where(Reply.status == ReplyStatus.PUBLISHING)).one()
        if not waiting:
            break
        await asyncio.sleep(1)
    answered = Counter(s["in_reply_to_id"] for s in bench.mastodon.replies_by_brand())
    with Session(bench.runtime.engine) as session:
        customer_posts = dict(session.exec(select(Conversation.id, Reply.in_reply_to)
                                           .join(Reply, Reply.conversation_id == Conversation.id)).all())
    wanted = [customer_posts.get(number) for number in members]
    once = sum(1 for post in wanted if answered.get(post) == 1)
    twice = sum(1 for post in wanted if (answered.get(post) or 0) > 1)
    lost = len(members) - once - twice
    print(f"after /reply-all ({time.monotonic() - started:.0f} s): {len(members)} customers in incidents; "
          f"{once} answered once, {lost} not answered, {twice} answered twice or more")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--outage", type=int, default=1000)
    parser.add_argument("--unrelated", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    asyncio.run(run(args.outage, args.unrelated, args.seconds))


if __name__ == "__main__":
    main()
