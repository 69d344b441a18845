"""What every network source is configured with, and how a source module is built from it.

A `[[sources]]` entry in socialdesk.toml carries `name`, `type`, `poll_every` and `enabled`;
every other key belongs to the source module, which declares them as a pydantic model
derived from `NetworkOptions`. Credentials never sit in the TOML: each source reads them
from the environment (and `.env`) under a prefix, `X_…` for X by default, so two accounts
on one network can use `credentials = "X_SUPPORT"` and `X_SUPPORT_BEARER_TOKEN`.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

from dotenv import dotenv_values
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.clock import Clock, SystemClock
from bot.settings import BrandConfig, ConfigError, Duration

Options = TypeVar("Options", bound="NetworkOptions")


class NetworkOptions(BaseModel):
    """Keys shared by the X, Mastodon, Bluesky and Reddit sources."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    base_url: str | None = None  # the network's API; for self-hosted servers and tests
    handles: list[str] | None = None  # the brand's own accounts here; default [brand] handles
    keywords: list[str] | None = None  # searched for; default brand name, misspellings and hashtags
    exclude_words: list[str] = []  # a post containing any of these is skipped
    exclude_accounts: list[str] = []  # posts by these accounts are skipped
    include_reposts: bool = False  # reposts / retweets / boosts carry no new words: skipped by default
    direct_messages: bool = True  # read DMs where the network and the access level allow it
    backfill: Duration = timedelta(days=1)  # how far back the first poll looks
    page_size: int = Field(default=50, ge=1, le=100)
    timeout: Duration = timedelta(seconds=20)
    credentials: str | None = None  # environment prefix; default the source type in capitals


@dataclass(frozen=True)
class SourceContext:
    """Everything a source module needs to build itself from one `[[sources]]` entry."""

    name: str
    type: str
    options: Mapping[str, object]
    brand: BrandConfig
    base_dir: Path
    clock: Clock = field(default_factory=SystemClock)
    env: Mapping[str, str] = field(default_factory=dict)
    installation: str = ""  # this installation's id (storage's `Installation`), for keys that must not collide

    def parse(self, model: type[Options]) -> Options:
        """The module's options, validated; errors name `sources.<name>.<key>`."""
        try:
            return model.model_validate(dict(self.options))
        except ValidationError as error:
            problems = []
            for item in error.errors():
                key = ".".join(str(part) for part in item["loc"])
                message = item["msg"].removeprefix("Value error, ")
                if item["type"] == "extra_forbidden":
                    message = f"unknown key for a {self.type} source (see socialdesk.example.toml)"
                problems.append(f"sources.{self.name}.{key}: {message}")
            raise ConfigError("\n".join(problems)) from None

    def secret(self, options: NetworkOptions, key: str, *, required: bool = True) -> str | None:
        """`<PREFIX>_<KEY>` from the environment or `.env`, e.g. X_BEARER_TOKEN."""
        variable = f"{(options.credentials or self.type).upper()}_{key.upper()}"
        value = (self.env.get(variable) or "").strip()
        if not value and required:
            raise ConfigError(f"sources.{self.name}: {variable} is not set; add it to .env (see .env.example)")
        return value or None

    def handles(self, options: NetworkOptions) -> list[str]:
        return list(options.handles if options.handles is not None else self.brand.handles)

    def keywords(self, options: NetworkOptions) -> list[str]:
        if options.keywords is not None:
            return list(options.keywords)
        return [self.brand.name, *self.brand.misspellings, *self.brand.hashtags]


def environment(dotenv: Path | None = Path(".env")) -> dict[str, str]:
    """`.env` overlaid by the real environment, as pydantic-settings reads the other secrets."""
    values = {k: v for k, v in dotenv_values(dotenv).items() if v is not None} if dotenv and dotenv.exists() else {}
    return {**values, **os.environ}
