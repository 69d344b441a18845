"""Two `socialdesk run` processes on PostgreSQL: one runs the jobs, both serve Slack; kill -9 the leader,
the other takes over within a lease period, and nothing reaches Slack twice."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from datetime import UTC, datetime

from sqlalchemy import create_engine, text
from sqlalchemy.exc import ProgrammingError

from tests.auxil import slack_requests as slack_wire
from tests.fakes.slack_api import FakeSlack
from tests.test_crash_recovery import free_port, wait_for

CUSTOMERS = 6
LEASE_SECONDS = 3
CONFIG = f'''
[brand]
name = "Acme"
handles = ["@acme"]
[[sources]]
name = "replay"
type = "replay"
path = "posts.jsonl"
poll_every = "1s"
[[routes]]
channel = "#social-desk"
[[agents]]
name = "Sam Lee"
initials = "SL"
slack = "USAM"
[outbox]
per_channel_per_second = 50
burst = 10
[sla]
first_response = {{ urgent = "4s", high = "4s", normal = "4s", low = "4s" }}
resolution = {{ urgent = "1h", high = "1h", normal = "1h", low = "1h" }}
warn_at = 0.5
remind_after = "2s"
remind_cap = "4s"
sweep_every = "1s"
[sla.escalation.slack]
channel = "#social-escalations"
on_call = "S0ONCALL"
[scheduler]
lease = "{LEASE_SECONDS}s"
[incidents]
enabled = false  # its customers write alike: each conversation's own escalation is what is checked
'''


class Replica:
    def __init__(self, tmp_path, slack: FakeSlack, database_url: str, name: str) -> None:
        self.port = free_port()
        env = {**os.environ, "SOCIALDESK_CONFIG": str(tmp_path / "socialdesk.toml"), "SLACK_BOT_TOKEN": slack.token,
               "SLACK_API_URL": slack.base_url, "SLACK_SIGNING_SECRET": slack_wire.SIGNING_SECRET, "SLACK_APP_TOKEN": "",
               "DATABASE_URL": database_url}
        self.log = tmp_path / f"{name}.log"
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot", "run", "--mode", "http", "--host", "127.0.0.1", "--port", str(self.port)],
                cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=log,
            )

    def slash(self, command: str, text_: str, user: str, channel: str, response_url: str) -> int:
        body, kind = slack_wire.slash_command(command, text_, user, channel, response_url)
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/slack/events", data=body.encode(),
                                         headers={"Content-Type": kind, **slack_wire.sign(body)})
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=1) as answer:
                return answer.status == 200
        except OSError:
            return False

    def tail(self) -> str:
        return self.log.read_text()[-3000:]


def keys_in(slack: FakeSlack, channel: str) -> list[str]:
    keys = []
    for message in slack.messages(channel):
        keys.append(message["metadata"]["event_payload"]["key"])
        keys += [m["metadata"]["event_payload"]["key"] for m in slack.thread(channel, message["ts"])]
    return keys


def test_a_standby_takes_over_when_the_leader_is_killed_and_nothing_is_sent_twice(tmp_path, postgres_url):
    now = datetime.now(UTC).isoformat()
    (tmp_path / "posts.jsonl").write_text("".join(
        json.dumps({"id": f"c{n}", "author": {"handle": f"customer{n}"}, "text": f"@acme my order {n} never arrived",
                    "created_at": now}) + "\n" for n in range(CUSTOMERS)))
    (tmp_path / "socialdesk.toml").write_text(CONFIG)
    database = create_engine(postgres_url)

    def holder() -> str | None:
        try:
            with database.connect() as connection:
                return connection.execute(text("SELECT holder FROM lease WHERE name = 'jobs'")).scalar()
        except ProgrammingError:
            return None  # not migrated yet

    with FakeSlack.in_thread() as slack:
        desk = slack.add_channel("social-desk")
        escalations = slack.add_channel("social-escalations")
        leader = Replica(tmp_path, slack, postgres_url, "a")
        assert wait_for(lambda: f":{leader.process.pid}:" in (holder() or ""), 30, leader.process), leader.tail()
        standby = Replica(tmp_path, slack, postgres_url, "b")
        try:
            breached = lambda: len([k for k in keys_in(slack, desk) if k.endswith(":first:breach")])  # noqa: E731
            assert wait_for(lambda: breached() == CUSTOMERS, 60, leader.process), leader.tail()
            assert wait_for(lambda: len(slack.messages(escalations)) == CUSTOMERS, 10, leader.process), leader.tail()
            assert f":{leader.process.pid}:" in holder(), "the standby must not have taken the jobs"

            # the standby serves chat: /resolve 1 there stops #1's nudges; the leader posts the notice
            assert wait_for(standby.ready, 30, standby.process), standby.tail()
            assert standby.slash("/resolve", "1", "USAM", desk, slack.response_url()) == 200
            assert wait_for(lambda: any("resolved" in r.get("text", "") for r in slack.responses), 20,
                            standby.process), standby.tail()
            assert wait_for(lambda: "conv:1:resolve" in " ".join(keys_in(slack, desk)), 20, leader.process)

            before_kill = set(keys_in(slack, desk))
            leader.process.send_signal(signal.SIGKILL)
            leader.process.wait()
            # a deadline, not a measurement: the standby takes the jobs within about one lease period
            assert wait_for(lambda: f":{standby.process.pid}:" in (holder() or ""), LEASE_SECONDS * 2, standby.process)

            def reminded_after_the_kill() -> bool:
                new = set(keys_in(slack, desk)) - before_kill
                return all(any(k.startswith(f"conv:{n}:sla:first:remind:") for k in new) for n in range(2, CUSTOMERS + 1))

            assert wait_for(reminded_after_the_kill, 60, standby.process), standby.tail()
            time.sleep(1.5)  # anything doubled would arrive now
        finally:
            for replica in (leader, standby):
                if replica.process.poll() is None:
                    replica.process.send_signal(signal.SIGTERM)
                    replica.process.wait(timeout=30)
        database.dispose()

        thread_keys, channel_keys = keys_in(slack, desk), keys_in(slack, escalations)
        doubled = [k for k, n in Counter(thread_keys + channel_keys).items() if n > 1]
        assert not doubled
        assert sorted(channel_keys) == sorted(f"conv:{n}:sla:first:breach:escalate" for n in range(1, CUSTOMERS + 1))
        reminders_of_1 = [k for k in thread_keys if k.startswith("conv:1:sla:first:remind:")]
        assert set(reminders_of_1) <= before_kill, "no reminder for #1 once it was resolved"
        assert len(slack.messages(desk)) == CUSTOMERS
