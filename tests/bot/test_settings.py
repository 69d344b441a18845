from datetime import timedelta
from pathlib import Path

import pytest

from bot.settings import ConfigError, load_config, load_secrets, parse_config, parse_duration

ROOT = Path(__file__).resolve().parents[2]


def minimal(**extra) -> dict:
    return {"brand": {"name": "Acme"}, "routes": [{"channel": "#desk"}], **extra}


def test_the_example_config_is_valid():
    config = load_config(ROOT / "socialdesk.example.toml")
    assert config.brand.name == "Acme"
    assert config.sla.first_response["urgent"] == timedelta(minutes=15)
    assert config.route_for("replay", "urgent").channel == "#social-urgent"
    assert config.route_for("replay", "low").channel == "#social-desk"


@pytest.mark.parametrize("text,expected", [("90s", timedelta(seconds=90)), ("15m", timedelta(minutes=15)),
                                           ("4h", timedelta(hours=4)), ("2d", timedelta(days=2)), (30, timedelta(seconds=30))])
def test_durations(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("bad", ["15", "m", "0m", "-5m", "1w", True])
def test_bad_durations_say_what_is_expected(bad):
    with pytest.raises(ValueError, match="duration like '15m'"):
        parse_duration(bad)


def test_errors_name_the_key_and_what_is_expected():
    with pytest.raises(ConfigError) as error:
        parse_config(minimal(brand={"name": "Acme", "handels": ["@acme"]}, sla={"first_response": {"urgent": "soon"}}))
    message = str(error.value)
    assert "brand.handels: unknown key" in message
    assert "sla.first_response.urgent: expected a duration like '15m'" in message


def test_missing_priority_target_is_named():
    with pytest.raises(ConfigError, match="missing a target for high, normal, low"):
        parse_config(minimal(sla={"first_response": {"urgent": "15m"}}))


def test_route_to_an_unknown_source_is_refused():
    with pytest.raises(ConfigError, match=r"routes\[0\].source: no source named 'x'"):
        parse_config(minimal(routes=[{"channel": "#d", "source": "x"}]))


def test_duplicate_agent_ids_are_refused():
    agents = [{"name": "A", "initials": "A", "slack": "U1"}, {"name": "B", "initials": "B", "slack": "U1"}]
    with pytest.raises(ConfigError, match="slack user 'U1' is listed twice"):
        parse_config(minimal(agents=agents))


def test_missing_and_broken_files(tmp_path):
    with pytest.raises(ConfigError, match="Copy socialdesk.example.toml"):
        load_config(tmp_path / "nope.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[brand\nname=1")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(broken)


def test_secrets_come_from_env_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("SLACK_BOT_TOKEN", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / ".env").write_text("SLACK_BOT_TOKEN=xoxb-from-file\nDATABASE_URL=postgres://u@h/db\n")
    secrets = load_secrets()
    assert secrets.slack_bot_token == "xoxb-from-file"
    assert secrets.database_url == "postgres://u@h/db"


def test_business_hours_are_validated():
    with pytest.raises(ConfigError, match="unknown time zone 'Mars/Olympus'"):
        parse_config(minimal(sla={"business_hours": {"timezone": "Mars/Olympus"}}))
    with pytest.raises(ConfigError, match=r"start \(18:00\) must be before end \(09:00\)"):
        parse_config(minimal(sla={"business_hours": {"timezone": "UTC", "start": "18:00", "end": "09:00"}}))
    with pytest.raises(ConfigError, match="sla.business_hours.days"):
        parse_config(minimal(sla={"business_hours": {"timezone": "UTC", "days": ["someday"]}}))


DISCORD = {"guild_id": "111111111111111111", "roles": {"agent": ["Support"], "lead": ["Support Lead", "222222222222222222"]}}


def test_a_discord_route_needs_the_discord_block():
    with pytest.raises(ConfigError, match=r"routes\[0\]: platform 'discord' needs a \[discord\] block with guild_id"):
        parse_config(minimal(routes=[{"channel": "#desk", "platform": "discord"}]))
    config = parse_config(minimal(routes=[{"channel": "#desk", "platform": "discord", "style": "forum"}], discord=DISCORD))
    assert config.routes[0].style == "forum" and config.discord.pace == (5.0, 5)


def test_only_discord_routes_have_a_style_and_ids_are_snowflakes():
    with pytest.raises(ConfigError, match=r"routes\[0\].style: only Discord routes have a style"):
        parse_config(minimal(routes=[{"channel": "#desk", "style": "thread"}]))
    with pytest.raises(ConfigError, match="discord.guild_id: String should match pattern"):
        parse_config(minimal(discord={"guild_id": "acme"}))
    with pytest.raises(ConfigError, match="discord.requests_per_second: Input should be less than or equal to 50"):
        parse_config(minimal(discord={**DISCORD, "requests_per_second": 60}))
    agents = [{"name": "A", "initials": "A", "discord": "333333333333333333"},
              {"name": "B", "initials": "B", "discord": "333333333333333333"}]
    with pytest.raises(ConfigError, match="discord user '333333333333333333' is listed twice"):
        parse_config(minimal(agents=agents, discord=DISCORD))


def test_discord_roles_map_to_socialdesk_roles_by_name_or_id():
    config = parse_config(minimal(discord=DISCORD))
    assert config.chat_role("discord", ("999", "support")) == "agent"  # names match whatever their case
    assert config.chat_role("discord", ("Support", "222222222222222222")) == "lead"  # the higher role wins
    assert config.chat_role("discord", ("Moderators",)) is None and config.chat_role("discord", ()) is None
    assert config.chat_role("slack", ("Support",)) is None  # Slack has no role mapping
    assert config.chat_role_names("discord") == ["Support", "Support Lead", "222222222222222222"]
    assert parse_config(minimal()).chat_role("discord", ("Support",)) is None


def test_discord_secrets_have_defaults(monkeypatch):
    monkeypatch.delenv("DISCORD_BOT_TOKEN", raising=False)
    secrets = load_secrets(_env_file=None)
    assert secrets.discord_bot_token is None and secrets.discord_api_url == "https://discord.com/api/v10"
    assert secrets.discord_gateway_url == "wss://gateway.discord.gg/"
