"""`socialdesk run` as a process against the fake Discord: killed mid-delivery, and serving Slack at the same time.

Discord forgets nonces after a few minutes, so each kill also wipes the fake's nonce memory: what
prevents doubles after the restart is finding the interrupted message by the ref in its footer.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from bot.chat.discord.render import ref_of
from tests.fakes.discord_api import GUILD_FORUM, FakeDiscord
from tests.fakes.slack_api import FakeSlack
from tests.test_crash_recovery import CUSTOMERS, FOLLOW_UPS, free_port, wait_for, write_posts


def start_bot(tmp_path: Path, fake: FakeDiscord, **env: str) -> subprocess.Popen:
    env = {**os.environ, "SOCIALDESK_CONFIG": str(tmp_path / "socialdesk.toml"), "DISCORD_BOT_TOKEN": fake.token,
           "DISCORD_API_URL": fake.api_url, "DISCORD_GATEWAY_URL": fake.gateway_url, "SLACK_BOT_TOKEN": "", **env}
    env.pop("DATABASE_URL", None)
    command = [sys.executable, "-m", "bot", "run", "--mode", "http", "--host", "127.0.0.1", "--port", str(free_port())]
    return subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=open(tmp_path / "bot.log", "ab"))


def sent(fake: FakeDiscord) -> int:
    return len(fake.calls_to("POST /channels/{id}/messages")) + len(fake.calls_to("POST /channels/{id}/threads"))


def thread_refs(fake: FakeDiscord, forum: str) -> list[str]:
    """The refs of the messages in the conversations' threads (first messages lose theirs when they are edited)."""
    return [ref_of(m) for post in fake.threads(forum) for m in fake.messages(post["id"]) if m["id"] != post["id"]]


def test_kill_mid_delivery_then_restart_delivers_everything_to_discord_exactly_once(tmp_path):
    posts = write_posts(tmp_path / "posts.jsonl")
    with FakeDiscord.in_thread() as fake:
        forum = fake.add_channel("social-desk", GUILD_FORUM)
        (tmp_path / "socialdesk.toml").write_text(
            '[brand]\nname = "Acme"\nhandles = ["@acme"]\n'
            '[[sources]]\nname = "replay"\ntype = "replay"\npath = "posts.jsonl"\npoll_every = "1s"\nbatch_size = 5\n'
            '[[routes]]\nplatform = "discord"\nchannel = "#social-desk"\n'
            f'[discord]\nguild_id = "{fake.guild_id}"\nper_channel_per_second = 40\nburst = 2\n'
            '[incidents]\nenabled = false\nbacklog = 1000\n'  # every message one by one (see test_crash_recovery)
        )
        for kill_after in (5, 23, 41):  # three kills at different points of the delivery
            bot = start_bot(tmp_path, fake)
            reached = wait_for(lambda: sent(fake) >= kill_after, 60, bot)  # noqa: B023 - evaluated before the next round
            bot.send_signal(signal.SIGKILL)
            bot.wait()
            fake.forget_nonces()
            assert reached, (tmp_path / "bot.log").read_text()[-3000:]
        bot = start_bot(tmp_path, fake)
        expected = CUSTOMERS * FOLLOW_UPS + len(posts)  # follow-ups and suggestions in the threads
        done = wait_for(lambda: len(set(thread_refs(fake, forum))) >= expected, 90, bot)
        time.sleep(1.5)  # anything doubled would arrive now
        bot.send_signal(signal.SIGTERM)
        assert bot.wait(timeout=30) == 0, (tmp_path / "bot.log").read_text()[-3000:]
        assert done, (tmp_path / "bot.log").read_text()[-3000:]

        conversations = fake.threads(forum)
        assert len(conversations) == CUSTOMERS
        doubled = [key for key, n in Counter(thread_refs(fake, forum)).items() if n > 1]
        assert not doubled and None not in thread_refs(fake, forum)
        for post in conversations:
            follow_ups = [m for m in fake.messages(post["id"]) if "follow-up" in (m["embeds"][0].get("description") or "")]
            assert len(follow_ups) == FOLLOW_UPS, post["name"]
        assert fake.identified and all(i["intents"] & (1 << 15) for i in fake.identified)  # the gateway was used too


def test_one_process_serves_slack_and_discord_at_once(tmp_path):
    (tmp_path / "x.jsonl").write_text(json.dumps({"id": "x1", "author": {"handle": "carla"}, "text": "@acme my order?",
                                                  "created_at": "2026-11-02T09:00:00Z"}) + "\n")
    (tmp_path / "community.jsonl").write_text(json.dumps({"id": "c1", "author": {"handle": "dana"}, "text": "@acme bug!",
                                                          "created_at": "2026-11-02T09:00:00Z"}) + "\n")
    with FakeDiscord.in_thread() as fake, FakeSlack.in_thread() as slack:
        forum = fake.add_channel("community-desk", GUILD_FORUM)
        channel = slack.add_channel("social-desk")
        (tmp_path / "socialdesk.toml").write_text(
            '[brand]\nname = "Acme"\nhandles = ["@acme"]\n'
            '[[sources]]\nname = "x"\ntype = "replay"\npath = "x.jsonl"\npoll_every = "1s"\n'
            '[[sources]]\nname = "community"\ntype = "replay"\npath = "community.jsonl"\npoll_every = "1s"\n'
            '[[routes]]\nsource = "community"\nplatform = "discord"\nchannel = "#community-desk"\n'
            '[[routes]]\nchannel = "#social-desk"\n'
            f'[discord]\nguild_id = "{fake.guild_id}"\n'
        )
        bot = start_bot(tmp_path, fake, SLACK_BOT_TOKEN=slack.token, SLACK_API_URL=slack.base_url,
                        SLACK_SIGNING_SECRET="s3cret", SLACK_APP_TOKEN="")
        both = wait_for(lambda: slack.messages(channel) and fake.threads(forum), 60, bot)
        bot.send_signal(signal.SIGTERM)
        assert bot.wait(timeout=30) == 0, (tmp_path / "bot.log").read_text()[-3000:]
        assert both, (tmp_path / "bot.log").read_text()[-3000:]
        (slack_parent,) = slack.messages(channel)
        (discord_post,) = fake.threads(forum)
    assert "@carla" in json.dumps(slack_parent["blocks"]) and "dana" not in json.dumps(slack_parent["blocks"])
    assert discord_post["name"].endswith(" · Replay · @dana: @acme bug!")
