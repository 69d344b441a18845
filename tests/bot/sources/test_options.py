"""Building sources from socialdesk.toml: unknown types and keys, credentials from the environment."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import BrandConfig, ConfigError
from bot.sources import build_source
from bot.sources.options import NetworkOptions, SourceContext, environment
from tests.auxil import factories

BRAND = BrandConfig(name="Acme", handles=["@acme"], misspellings=["akme"], hashtags=["#acmehelp"])


class ExampleOptions(NetworkOptions):
    instance: str = "https://example.social"


def context(**options) -> SourceContext:
    return SourceContext(name="fedi", type="mastodon", options=options, brand=BRAND, base_dir=Path("."),
                         env={"MASTODON_ACCESS_TOKEN": "t0k", "SUPPORT_ACCESS_TOKEN": "s3c"})


def test_defaults_come_from_the_brand():
    ctx = context()
    options = ctx.parse(ExampleOptions)
    assert ctx.handles(options) == ["@acme"] and ctx.keywords(options) == ["Acme", "akme", "#acmehelp"]
    assert options.backfill.days == 1 and not options.include_reposts


def test_unknown_and_bad_keys_are_named():
    with pytest.raises(ConfigError) as error:
        context(instanse="x", backfill="soon").parse(ExampleOptions)
    assert "sources.fedi.instanse: unknown key for a mastodon source" in str(error.value)
    assert "sources.fedi.backfill: expected a duration" in str(error.value)


def test_credentials_come_from_the_environment_under_a_prefix():
    ctx = context()
    assert ctx.secret(ctx.parse(ExampleOptions), "access_token") == "t0k"
    assert ctx.secret(context(credentials="support").parse(ExampleOptions), "access_token") == "s3c"
    with pytest.raises(ConfigError, match="MASTODON_CLIENT_SECRET is not set; add it to .env"):
        ctx.secret(ctx.parse(ExampleOptions), "client_secret")
    assert ctx.secret(ctx.parse(ExampleOptions), "client_secret", required=False) is None


def test_environment_overlays_dotenv(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("X_BEARER_TOKEN=from-file\nX_OTHER=file\n")
    monkeypatch.setenv("X_BEARER_TOKEN", "from-env")
    env = environment(tmp_path / ".env")
    assert env["X_BEARER_TOKEN"] == "from-env" and env["X_OTHER"] == "file"


def test_unknown_source_type(tmp_path):
    config = factories.config(sources=[{"name": "fb", "type": "facebook"}])
    with pytest.raises(ConfigError, match="sources.fb.type: unknown source type 'facebook'"):
        build_source(config.sources[0], tmp_path, brand=config.brand)
