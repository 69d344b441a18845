"""slack-manifest.yml declares what the app listens to: every typed command, the Home tab and its event."""
import yaml

from handlers import TYPED
from tests.auxil.cli import ROOT


def manifest() -> dict:
    return yaml.safe_load((ROOT / "slack-manifest.yml").read_text(encoding="utf-8"))


def test_every_command_is_declared_once_with_a_description():
    declared = [c["command"].lstrip("/") for c in manifest()["features"]["slash_commands"]]
    assert sorted(declared) == sorted(TYPED) and len(declared) == len(set(declared))
    # kept to one short line in Slack's command menu
    assert all(0 < len(c["description"]) <= 100 for c in manifest()["features"]["slash_commands"])


def test_the_home_tab_and_its_event_are_declared():
    found = manifest()
    assert found["features"]["app_home"]["home_tab_enabled"] is True
    assert "app_home_opened" in found["settings"]["event_subscriptions"]["bot_events"]
