"""Running the `socialdesk` command in a test: a project folder from the example config, and a CLI runner."""
from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[2]  # the repository
runner = CliRunner()


def project(tmp_path: Path, monkeypatch, **env) -> Path:
    """A project folder with the example socialdesk.toml and an empty replay file; no socialdesk variable from the
    environment, only `env`."""
    (tmp_path / "socialdesk.toml").write_text((ROOT / "socialdesk.example.toml").read_text())
    (tmp_path / "posts.jsonl").write_text("")
    monkeypatch.chdir(tmp_path)
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_API_URL", "DATABASE_URL",
                 "SOCIALDESK_CONFIG", "OPENAI_API_KEY", "AZURE_OPENAI_API_KEY", "AZURE_OPENAI_ENDPOINT",
                 "DISCORD_BOT_TOKEN", "DISCORD_API_URL", "DISCORD_GATEWAY_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return tmp_path
