"""The Slack desk fixture (a runtime, the Bolt HTTP app and the strict fake Slack), shared by the Slack tests."""
from tests.bot.chat.slack.test_inbound import desk  # noqa: F401
