"""Logs (issue 13, "Operable"): LOG_LEVEL, LOG_FORMAT=json with named fields, customer text only at DEBUG,
secrets shown by their last 4 characters, one line with the fix when the database is down or the port taken."""
from __future__ import annotations

import json
import logging
import socket

import pytest

from bot.app.cli import app
from bot.app.logs import JsonFormatter, TextFormatter, setup_logging
from bot.settings import ConfigError, load_secrets
from tests.auxil.cli import project, runner
from tests.fakes.slack_api import FakeSlack


def _record(level: int, message: str, **extra) -> logging.LogRecord:
    record = logging.LogRecord("bot.delivery.engine", level, __file__, 1, message, (), None)
    record.__dict__.update(extra)
    return record


def test_json_lines_carry_the_conversation_source_and_outbox_key():
    line = JsonFormatter().format(_record(logging.WARNING, "outbox: failed", conversation=42, source="x-main",
                                          outbox_key="chat.post:42:1"))
    entry = json.loads(line)
    assert entry["level"] == "WARNING" and entry["logger"] == "bot.delivery.engine" and entry["message"] == "outbox: failed"
    assert (entry["conversation"], entry["source"], entry["outbox_key"]) == (42, "x-main", "chat.post:42:1")
    assert entry["time"].endswith("+00:00")


def test_a_traceback_stays_inside_its_json_line():
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), __import__("sys").exc_info())
    line = JsonFormatter().format(record)
    assert "\n" not in line and "ValueError: boom" in json.loads(line)["traceback"]


@pytest.mark.parametrize("formatter", [JsonFormatter(), TextFormatter()])
def test_customer_text_is_shown_only_at_debug_and_marked(formatter):
    text = "my card is 4111 1111 1111 1111"
    assert text not in formatter.format(_record(logging.ERROR, "could not tell", customer_text=text))
    shown = formatter.format(_record(logging.DEBUG, "the message that failed", customer_text=text))
    assert "customer_text" in shown and "4111 1111 1111 1111" in shown


def test_text_lines_end_with_the_fields():
    line = TextFormatter().format(_record(logging.INFO, "source: streaming", source="masto"))
    assert line.endswith("INFO bot.delivery.engine: source: streaming source=masto")


def test_log_level_and_format_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("LOG_LEVEL", "debug")
    monkeypatch.setenv("LOG_FORMAT", "json")
    secrets = load_secrets()
    assert (secrets.log_level, secrets.log_format) == ("DEBUG", "json")
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        setup_logging(secrets.log_level, secrets.log_format)
        assert root.level == logging.DEBUG and isinstance(root.handlers[-1].formatter, JsonFormatter)
    finally:
        root.handlers[:], root.level = handlers, level


@pytest.mark.parametrize(("name", "value"), [("LOG_LEVEL", "LOUD"), ("LOG_FORMAT", "xml"), ("PORT", "eighty")])
def test_a_wrong_option_names_its_variable(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=name.lower()):
        load_secrets()


def test_secrets_show_only_their_last_four_characters(monkeypatch):
    token = "xoxb-1111-2222-SECRETPART-wxyz"
    monkeypatch.setenv("SLACK_BOT_TOKEN", token)
    monkeypatch.setenv("DATABASE_URL", "postgresql://bot:hunter22hunter22@db/desk")
    shown = repr(load_secrets()) + str(load_secrets())
    assert "…wxyz" in shown and "SECRETPART" not in shown and "hunter22" not in shown


def test_run_with_the_database_down_says_so_in_one_line(tmp_path, monkeypatch):
    with FakeSlack.in_thread() as slack:
        project(tmp_path, monkeypatch, SLACK_BOT_TOKEN=slack.token, SLACK_API_URL=slack.base_url,
                SLACK_SIGNING_SECRET="0123456789abcdef", DATABASE_URL="postgresql://postgres:pw@127.0.0.1:1/test")
        result = runner.invoke(app, ["run", "--mode", "http", "--port", "0", "--host", "127.0.0.1"])
    assert result.exit_code == 2, result.output
    (line,) = result.output.strip().splitlines()
    assert line.startswith("Stopped: Cannot reach the database postgresql+psycopg://postgres:***@127.0.0.1:1/test (connection")
    assert "Start it, or set DATABASE_URL" in line and "pw@" not in line


def test_check_with_the_database_down_gives_the_fix(tmp_path, monkeypatch):
    project(tmp_path, monkeypatch, DATABASE_URL="postgresql://postgres@127.0.0.1:1/test")
    result = runner.invoke(app, ["check"])
    shown = " ".join(result.output.split())  # the console wraps long lines
    assert result.exit_code == 1
    assert "failed database — Cannot reach the database" in shown and "set DATABASE_URL to one that runs" in shown


def test_run_on_a_taken_port_says_so_in_one_line(tmp_path, monkeypatch):
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    try:
        with FakeSlack.in_thread() as slack:
            project(tmp_path, monkeypatch, SLACK_BOT_TOKEN=slack.token, SLACK_API_URL=slack.base_url,
                    SLACK_SIGNING_SECRET="0123456789abcdef")
            result = runner.invoke(app, ["run", "--mode", "http", "--port", str(port), "--host", "127.0.0.1"])
    finally:
        taken.close()
    assert result.exit_code == 2, result.output
    assert result.output.strip().splitlines()[-1] == (
        f"Stopped: Port {port} on 127.0.0.1 is taken by another process. Stop that process, or pick a free port with "
        "--port (or PORT).")
