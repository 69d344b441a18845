"""`socialdesk manifest`: the Slack app manifest generated from COMMANDS, equal to the checked-in file, for either
mode and any command prefix; the bot answers the prefixed commands it declares."""
from __future__ import annotations

import yaml

from bot.app.cli import app
from bot.chat.slack.manifest import render
from handlers import TYPED
from tests.auxil.cli import ROOT, project, runner


def test_the_checked_in_manifest_is_the_generated_one():
    assert (ROOT / "slack-manifest.yml").read_text() == render("socket"), "run: socialdesk manifest > slack-manifest.yml"


def test_every_typed_command_is_declared_with_its_usage():
    commands = yaml.safe_load(render("socket"))["features"]["slash_commands"]
    assert [c["command"] for c in commands] == [f"/{name}" for name in TYPED]
    reply = next(c for c in commands if c["command"] == "/reply")
    assert reply["usage_hint"].startswith("42 ") and reply["description"] == TYPED["reply"].summary
    assert all("url" not in c for c in commands)  # Socket Mode needs none


def test_http_mode_points_every_url_at_the_events_endpoint_with_the_prefix():
    manifest = yaml.safe_load(render("http", "https://desk.example.com/", "sd-"))
    endpoint = "https://desk.example.com/slack/events"
    commands = manifest["features"]["slash_commands"]
    assert {c["command"] for c in commands} == {f"/sd-{name}" for name in TYPED}
    assert {c["url"] for c in commands} == {endpoint}
    settings = manifest["settings"]
    assert settings["event_subscriptions"]["request_url"] == endpoint == settings["interactivity"]["request_url"]
    assert settings["socket_mode_enabled"] is False


def test_the_app_home_tab_is_declared_unless_left_out():
    manifest = yaml.safe_load(render("socket"))
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert "app_home_opened" in manifest["settings"]["event_subscriptions"]["bot_events"]
    without = yaml.safe_load(render("socket", home_tab=False))
    assert "app_home" not in without["features"]
    assert "app_home_opened" not in without["settings"]["event_subscriptions"]["bot_events"]


def test_the_cli_takes_the_prefix_from_the_config_and_refuses_what_slack_would(tmp_path, monkeypatch):
    folder = project(tmp_path, monkeypatch)
    config = folder / "socialdesk.toml"
    config.write_text(config.read_text().replace('# [slack]\n# command_prefix = "sd-"', '[slack]\ncommand_prefix = "acme-"'))
    result = runner.invoke(app, ["manifest"])
    assert result.exit_code == 0 and "command: /acme-claim" in result.output
    assert yaml.safe_load(result.output)["settings"]["socket_mode_enabled"] is True
    result = runner.invoke(app, ["manifest", "--mode", "http", "--url", "https://x.example", "--prefix", "sd-"])
    assert "url: https://x.example/slack/events" in result.output and "/sd-queue" in result.output
    assert runner.invoke(app, ["manifest", "--mode", "http"]).exit_code == 2  # no URL
    refused = runner.invoke(app, ["manifest", "--prefix", "SD "])
    assert refused.exit_code == 2 and "cannot start a Slack command" in refused.output
