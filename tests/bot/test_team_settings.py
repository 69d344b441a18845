"""The team settings of socialdesk.example.toml parse once uncommented, and bad ones are refused by name."""
import re
import tomllib

import pytest

from bot.settings import ConfigError, parse_config
from tests.auxil import factories
from tests.auxil.cli import ROOT


def test_the_commented_team_example_is_valid_once_uncommented():
    text = (ROOT / "socialdesk.example.toml").read_text(encoding="utf-8")
    team = text[text.index("# --- A desk for a whole team"):]
    lines = [line[2:] for line in team.splitlines() if re.match(r"^# (\[|[a-z_]+ = )", line)]
    data = tomllib.loads(text + "\n" + "\n".join(lines))
    config = parse_config(data)
    assert config.expert_group("billing").priority == "high" and config.approvals.guard_overrides is True
    assert config.tags.intents["bug_report"] == "bug" and config.spam.mute_for.days == 7
    assert [a.role for a in config.agents][-1] == "trainee"


@pytest.mark.parametrize(("override", "message"), [
    ({"escalations": [{"name": "billing", "channel": "#b"}, {"name": "billing", "channel": "#c"}]}, "listed twice"),
    ({"escalations": [{"name": "billing", "channel": "#b", "mention": "billing-team"}]}, "a user group id like S0123ABCD"),
    ({"escalations": [{"name": "Billing Team", "channel": "#b"}]}, "escalations.0.name"),
    ({"approvals": {"roles": ["lead"]}}, "approvals.roles.0"),
    ({"replies": {"collision_window": "soon"}}, "replies.collision_window"),
])
def test_bad_team_settings_are_named(override, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        factories.config(**override)
