"""Social network sources, built from the [[sources]] entries of socialdesk.toml."""
from __future__ import annotations

from pathlib import Path

from bot.settings import ConfigError, SourceConfig
from bot.sources.base import Source


def build_source(config: SourceConfig, base_dir: Path, clock) -> Source:
    options = dict(config.model_extra or {})
    if config.type == "replay":
        from bot.sources.replay import ReplaySource

        if "path" not in options:
            raise ConfigError(f"sources.{config.name}.path: required for a replay source (a JSONL file of posts)")
        path = base_dir / options.pop("path")
        published = base_dir / options.pop("published_path", f"{config.name}-published.jsonl")
        try:
            return ReplaySource(config.name, path, published, clock=clock, **options)
        except TypeError as error:
            raise ConfigError(f"sources.{config.name}: {error}") from None
    raise ConfigError(f"sources.{config.name}.type: unknown source type {config.type!r}")
