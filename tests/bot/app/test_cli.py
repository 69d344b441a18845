"""The command line: check, db, and the offline demo driven by a script on standard input."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bot.app.cli import app
from storage.db import head_revision
from tests.auxil.cli import ROOT, project, runner
from tests.fakes.discord_api import GUILD_FORUM, GUILD_TEXT, FakeDiscord
from tests.fakes.openai_api import FakeOpenAI
from tests.fakes.slack_api import FakeSlack


def test_check_tries_the_token_and_names_what_is_missing(tmp_path, monkeypatch):
    with FakeSlack.in_thread() as slack:
        project(tmp_path, monkeypatch, SLACK_BOT_TOKEN=slack.token, SLACK_API_URL=slack.base_url)
        result = runner.invoke(app, ["check"])
    assert result.exit_code == 1, result.output
    assert "ok  source replay" in result.output
    assert "ok  SLACK_BOT_TOKEN" in result.output and "bot socialdesk in Acme" in result.output
    assert "missing  Slack connection — set SLACK_APP_TOKEN" in result.output
    assert slack.token not in result.output  # secrets are masked


def test_check_passes_when_everything_is_there(tmp_path, monkeypatch):
    with FakeSlack.in_thread(channels=("social-desk", "social-urgent", "social-escalations", "social-leads")) as slack:
        project(tmp_path, monkeypatch, SLACK_BOT_TOKEN=slack.token, SLACK_API_URL=slack.base_url,
                SLACK_SIGNING_SECRET="0123456789abcdef")
        result = runner.invoke(app, ["check"])
    assert result.exit_code == 0, result.output
    assert "ok  Slack channel #social-desk — #social-desk" in result.output and "the bot is a member" in result.output


def test_check_finds_a_misspelled_slack_channel_and_one_the_bot_is_not_in(tmp_path, monkeypatch):
    with FakeSlack.in_thread(channels=("social-dsek", "social-escalations", "social-leads")) as slack:
        slack.add_channel("social-urgent", member=False)
        project(tmp_path, monkeypatch, SLACK_BOT_TOKEN=slack.token, SLACK_API_URL=slack.base_url,
                SLACK_SIGNING_SECRET="0123456789abcdef")
        result = runner.invoke(app, ["check"])
    assert result.exit_code == 1
    output = " ".join(result.output.split())
    assert "failed Slack channel #social-desk — not found: check its name in socialdesk.toml ([[routes]]" in output
    assert "failed Slack channel #social-urgent — the bot is not a member" in output and "/invite @socialdesk" in output
    assert "ok Slack channel #social-escalations" in output


def test_check_shows_where_suggestions_come_from(tmp_path, monkeypatch):
    project(tmp_path, monkeypatch)
    assert "ok  suggested replies — offline (no OPENAI_API_KEY" in runner.invoke(app, ["check"]).output
    with FakeOpenAI.in_thread() as api:
        config = (tmp_path / "socialdesk.toml").read_text()
        config = config.replace('# base_url = "http://localhost:11434/v1"', f'base_url = "{api.base_url}"')
        (tmp_path / "socialdesk.toml").write_text(config)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-0123456789")
        output = runner.invoke(app, ["check"]).output
        assert f"ok  suggested replies — model gpt-4o-mini at {api.base_url}" in output
        (tmp_path / "socialdesk.toml").write_text(config.replace(api.base_url, "http://127.0.0.1:9/v1"))  # nobody there
        output = runner.invoke(app, ["check"]).output
        assert "failed  suggested replies — model gpt-4o-mini at http://127.0.0.1:9/v1" in output
        assert "APIConnectionError" in output


def test_check_reports_a_wrong_token(tmp_path, monkeypatch):
    with FakeSlack.in_thread() as slack:
        project(tmp_path, monkeypatch, SLACK_BOT_TOKEN="xoxb-not-the-right-one", SLACK_API_URL=slack.base_url,
                SLACK_APP_TOKEN="xapp-0123456789")
        result = runner.invoke(app, ["check"])
    assert result.exit_code == 1 and "failed  SLACK_BOT_TOKEN" in result.output and "invalid_auth" in result.output


def test_a_bad_config_names_the_key(tmp_path, monkeypatch):
    project(tmp_path, monkeypatch)
    (tmp_path / "socialdesk.toml").write_text('[brand]\nname = "Acme"\n[[routes]]\nchanel = "#x"\n')
    result = runner.invoke(app, ["check"])
    assert result.exit_code == 2
    assert "routes.0.chanel: unknown key" in result.output and "routes.0.channel: required key is missing" in result.output


def test_db_upgrade_and_current(tmp_path, monkeypatch):
    project(tmp_path, monkeypatch)
    assert "empty" in runner.invoke(app, ["db", "current"]).output
    head = head_revision()
    assert f"revision {head}" in runner.invoke(app, ["db", "upgrade"]).output
    assert runner.invoke(app, ["db", "current"]).output.strip() == head
    assert (tmp_path / "socialdesk.db").exists()


def test_the_demo_runs_a_script_offline(tmp_path):
    script = "\n".join([
        "/claim 2",
        "/reply 2 So sorry Carla, we're checking with the courier now!",
        "#2 courier ticket opened",
        "#2 !resolve",
        "#3 !resolv",
        "/reply 3 Yes, we ship to Norway!",
        "/customer 2",
        "/assign 4 @sam",
        "/claim 999",
        "help",
        "quit",
    ]) + "\n"
    env = {**os.environ, "COLUMNS": "200", "HOME": str(tmp_path), "TMPDIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "bot", "demo", "--interval", "0", "--initials", "AD"],
                            input=script, capture_output=True, text=True, timeout=120, env=env)
    out = result.stdout
    assert result.returncode == 0, result.stderr[-2000:]
    assert "#2 · new conversation" in out and "suggested replies" in out
    assert "2nd conversation; last resolved 2 days ago by SL" in out  # Carla wrote before: her history shows
    assert "#2 is yours" in out and "Published publicly by Alex Demo" in out
    assert "Saved as an internal note on #2" in out and "#2 resolved" in out
    assert "Unknown command !resolv" in out
    assert "Held, not sent: #3 is Sam Lee's — send again with --anyway" in out  # the collision guard
    assert "Alex Demo tried to answer; the reply was held on #3" in out  # and Sam hears of it
    assert "2 conversations, newest first" in out and "#4 is now Sam Lee's" in out
    assert "There is no conversation #999" in out
    for command in ("/customer", "/link", "/tag", "/escalate", "/reopen", "/unclaim", "/spam", "/replies", "/approve"):
        assert f"  {command} " in out  # the help lists every command
    published = next(tmp_path.glob("socialdesk-demo-*")) / "published.jsonl"
    (record,) = [json.loads(line) for line in published.read_text().splitlines()]
    assert record["text"] == "So sorry Carla, we're checking with the courier now! ^AD"


def discord_project(tmp_path: Path, monkeypatch, fake: FakeDiscord, routes: str, **env) -> Path:
    project(tmp_path, monkeypatch, DISCORD_API_URL=fake.api_url, DISCORD_GATEWAY_URL=fake.gateway_url, **env)
    (tmp_path / "socialdesk.toml").write_text(
        '[brand]\nname = "Acme"\n[[sources]]\nname = "replay"\ntype = "replay"\npath = "posts.jsonl"\n'
        f'[discord]\nguild_id = "{fake.guild_id}"\nroles = {{ agent = ["Support"] }}\n{routes}')
    return tmp_path


def test_check_tries_the_discord_token_server_channels_and_permissions(tmp_path, monkeypatch):
    with FakeDiscord.in_thread() as fake:
        fake.add_channel("social-desk", GUILD_FORUM)
        escalations = fake.add_channel("escalations", GUILD_TEXT)
        fake.deny(escalations, "create_threads")
        routes = ('[[routes]]\nplatform = "discord"\nchannel = "#social-desk"\nstyle = "forum"\n'
                  '[[routes]]\npriority = "urgent"\nplatform = "discord"\nchannel = "#escalations"\n'
                  '[[routes]]\nplatform = "discord"\nchannel = "#nowhere"\n')
        discord_project(tmp_path, monkeypatch, fake, routes, DISCORD_BOT_TOKEN=fake.token)
        result = runner.invoke(app, ["check"])
    output = " ".join(result.output.split())
    assert result.exit_code == 1, result.output
    assert "ok DISCORD_BOT_TOKEN" in output and "bot socialdesk" in output and fake.token not in output
    assert f"ok Discord server — Acme Community ({fake.guild_id})" in output
    assert "ok Discord channel #social-desk — conversations as forum posts; permissions ok" in output
    assert "failed Discord channel #escalations — the bot lacks Create Public Threads there" in output
    assert "failed Discord channel #nowhere — not found in the server" in output
    assert "Message Content intent" not in output


def test_check_says_the_message_content_intent_is_off_and_the_readme_has_the_permissions(tmp_path, monkeypatch):
    from bot.chat.discord.check import PERMISSIONS_INTEGER

    with FakeDiscord.in_thread() as fake:
        fake.add_channel("social-desk", GUILD_FORUM)
        fake.application_flags = 0
        discord_project(tmp_path, monkeypatch, fake, '[[routes]]\nplatform = "discord"\nchannel = "#social-desk"\n',
                        DISCORD_BOT_TOKEN=fake.token)
        result = runner.invoke(app, ["check"])
    assert result.exit_code == 1 and "failed  Discord Message Content intent — off: turn it on" in result.output
    assert f"permissions={PERMISSIONS_INTEGER}" in (ROOT / "README.md").read_text()


def test_check_reports_a_refused_discord_token(tmp_path, monkeypatch):
    with FakeDiscord.in_thread() as fake:
        fake.add_channel("social-desk", GUILD_FORUM)
        routes = '[[routes]]\nplatform = "discord"\nchannel = "#social-desk"\n'
        discord_project(tmp_path, monkeypatch, fake, routes, DISCORD_BOT_TOKEN="not-the-token-at-all")
        result = runner.invoke(app, ["check"])
    assert result.exit_code == 1 and "failed  DISCORD_BOT_TOKEN" in result.output and "refused by Discord" in result.output


def test_run_names_the_missing_discord_credentials(tmp_path, monkeypatch):
    with FakeDiscord.in_thread() as fake:
        discord_project(tmp_path, monkeypatch, fake, '[[routes]]\nplatform = "discord"\nchannel = "#social-desk"\n')
        result = runner.invoke(app, ["run"])
        assert result.exit_code == 2 and "A route posts to Discord but DISCORD_BOT_TOKEN is not set" in result.output
        monkeypatch.setenv("DISCORD_BOT_TOKEN", "not-the-token-at-all")
        result = runner.invoke(app, ["run"])
        assert result.exit_code == 2 and "DISCORD_BOT_TOKEN was refused by Discord" in result.output
    project(tmp_path, monkeypatch, DISCORD_BOT_TOKEN="x" * 30)  # the example config routes to Slack only
    result = runner.invoke(app, ["run"])
    assert result.exit_code == 2 and "A route posts to Slack but SLACK_BOT_TOKEN is not set" in result.output
    project(tmp_path, monkeypatch, SLACK_BOT_TOKEN="xoxb-1", DISCORD_BOT_TOKEN="x" * 30)
    result = runner.invoke(app, ["run"])
    assert result.exit_code == 2 and "DISCORD_BOT_TOKEN is set but socialdesk.toml has no [discord] block" in result.output


def test_version_is_the_installed_packages():
    from importlib.metadata import version

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"socialdesk {version('socialdesk')}"


def test_quarantine_list_show_retry_and_drop(tmp_path, monkeypatch):
    import asyncio

    from bot.app.runtime import Runtime
    from bot.ingest.poller import poll_once
    from bot.settings import load_config
    from bot.sources.replay.source import ReplaySource

    project(tmp_path, monkeypatch)
    good = {"id": "c1", "author": "carla", "text": "@acme my order never arrived", "created_at": "2026-11-02T09:00:00Z"}
    odd = {**good, "id": "c2", "reply_to": {"id": "c1"}}
    (tmp_path / "posts.jsonl").write_text("not a post\n" + json.dumps(good) + "\n" + json.dumps(odd) + "\n")
    config = load_config(tmp_path / "socialdesk.toml")

    async def poll() -> int:
        runtime = Runtime(config, database_url=f"sqlite:///{tmp_path / 'socialdesk.db'}", base_dir=tmp_path)
        try:
            return await poll_once(runtime.engine, config, runtime.sources["replay"], runtime.clock)
        finally:
            await runtime.close()

    assert asyncio.run(poll()) == 1

    listed = " ".join(runner.invoke(app, ["quarantine", "list"]).output.split())
    assert "#1 replay ·" in listed and "line at byte 0 is not a post: Expecting value" in listed
    assert "#2 replay ·" in listed and "reply_to is an id (a string or a number), not dict" in listed
    assert "2 posts in quarantine." in listed
    shown = runner.invoke(app, ["quarantine", "show", "2"])
    assert shown.exit_code == 0 and json.dumps(odd) in shown.output
    assert runner.invoke(app, ["quarantine", "show", "9"]).exit_code == 1
    assert "failed quarantine of replay — 2 posts could not be stored" in " ".join(
        runner.invoke(app, ["check"]).output.split())

    retried = runner.invoke(app, ["quarantine", "retry", "1"])
    assert retried.exit_code == 1 and "#1: still cannot be stored" in retried.output
    parse = ReplaySource.parse_raw

    def upgraded(self, line):  # a later version that reads a reply_to object
        item = json.loads(line)
        return parse(self, json.dumps({**item, "reply_to": item["reply_to"]["id"]}))

    monkeypatch.setattr(ReplaySource, "parse_raw", upgraded)
    retried = runner.invoke(app, ["quarantine", "retry", "2"])
    assert retried.exit_code == 0 and "#2: stored in conversation #1" in retried.output  # carla's thread c1
    dropped = runner.invoke(app, ["quarantine", "drop", "1", "7"])
    assert dropped.exit_code == 1 and "1 posts dropped from quarantine. Not in quarantine: #7." in dropped.output
    assert "0 posts in quarantine." in runner.invoke(app, ["quarantine", "list"]).output
