"""Kill the bot (SIGKILL) in the middle of delivery, restart it, and check exactly-once in Slack."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from tests.fakes.slack_api import FakeSlack

ROOT = Path(__file__).resolve().parents[1]
CUSTOMERS = 12
FOLLOW_UPS = 2  # per customer, in the same social thread


def write_posts(path: Path) -> list[dict]:
    posts = []
    for c in range(CUSTOMERS):
        root = f"c{c}-0"
        posts.append({"id": root, "author": {"handle": f"customer{c}"}, "text": f"@acme problem number {c}",
                      "created_at": "2026-11-02T09:00:00Z"})
        for f in range(1, FOLLOW_UPS + 1):
            posts.append({"id": f"c{c}-{f}", "author": {"handle": f"customer{c}"}, "text": f"@acme follow-up {f} of {c}",
                          "created_at": "2026-11-02T09:05:00Z", "thread_root": root, "reply_to": root})
    path.write_text("".join(json.dumps(p) + "\n" for p in posts))
    return posts


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_bot(tmp_path: Path, slack: FakeSlack) -> subprocess.Popen:
    env = {**os.environ, "SOCIALDESK_CONFIG": str(tmp_path / "socialdesk.toml"), "SLACK_BOT_TOKEN": slack.token,
           "SLACK_API_URL": slack.base_url, "SLACK_SIGNING_SECRET": "s3cret", "SLACK_APP_TOKEN": ""}
    env.pop("DATABASE_URL", None)
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "run", "--mode", "http", "--host", "127.0.0.1", "--port", str(free_port())],
        cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=open(tmp_path / "bot.log", "ab"),
    )


def wait_for(predicate, timeout: float, process: subprocess.Popen) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def test_kill_mid_delivery_then_restart_delivers_everything_exactly_once(tmp_path):
    posts = write_posts(tmp_path / "posts.jsonl")
    (tmp_path / "socialdesk.toml").write_text(
        '[brand]\nname = "Acme"\nhandles = ["@acme"]\n'
        '[[sources]]\nname = "replay"\ntype = "replay"\npath = "posts.jsonl"\npoll_every = "1s"\nbatch_size = 5\n'
        '[[routes]]\nchannel = "#social-desk"\n'
        '[outbox]\nper_channel_per_second = 40\nburst = 2\n'
        # Every message one by one: its twelve "problem number N" posts are a surge otherwise, and a backlog would
        # fold their suggestions into the first messages.
        '[incidents]\nenabled = false\nbacklog = 1000\n'
    )
    with FakeSlack.in_thread() as slack:
        channel = slack.add_channel("social-desk")
        posted = lambda: len(slack.calls_to("chat.postMessage"))  # noqa: E731
        for kill_after in (5, 23, 41):  # three kills at different points of the delivery
            bot = start_bot(tmp_path, slack)
            reached = wait_for(lambda kill_after=kill_after: posted() >= kill_after, 60, bot)
            bot.send_signal(signal.SIGKILL)
            bot.wait()
            assert reached, (tmp_path / "bot.log").read_text()[-3000:]
        bot = start_bot(tmp_path, slack)
        expected_messages = CUSTOMERS + CUSTOMERS * FOLLOW_UPS + len(posts)  # parents, follow-ups, suggestions
        done = wait_for(lambda: len(unique_keys(slack, channel)) >= expected_messages, 90, bot)
        time.sleep(1.5)  # anything doubled would arrive now
        bot.send_signal(signal.SIGTERM)
        assert bot.wait(timeout=30) == 0
        assert done, (tmp_path / "bot.log").read_text()[-3000:]

        parents = slack.messages(channel)
        assert len(parents) == CUSTOMERS
        keys = all_keys(slack, channel)
        doubled = [k for k, n in Counter(keys).items() if n > 1]
        assert not doubled
        for parent in parents:
            number = parent["metadata"]["event_payload"]["number"]
            replies = slack.thread(channel, parent["ts"])
            assert {m["metadata"]["event_payload"]["number"] for m in replies} == {number}  # the real number, not 0
            thread = [m["text"] for m in replies]
            follow_ups = [t for t in thread if "follow-up" in t]
            assert len(follow_ups) == FOLLOW_UPS, (number, thread)


def all_keys(slack, channel) -> list[str]:
    keys = []
    for parent in slack.messages(channel):
        keys.append(parent["metadata"]["event_payload"]["key"])
        keys += [m["metadata"]["event_payload"]["key"] for m in slack.thread(channel, parent["ts"])]
    return keys


def unique_keys(slack, channel) -> set[str]:
    return set(all_keys(slack, channel))
