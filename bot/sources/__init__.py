"""Social network sources, built from the [[sources]] entries of socialdesk.toml.

Each network is a package here (`x/`, `mastodon/`, `bluesky/`, `reddit/`, `replay/`) with the
same inner files: `source.py` (the Source class and a `build(context: SourceContext) -> Source`
function), `client.py` (the network's wire: auth or session, calls, error dialect, typed
payloads) and `text.py` (its text rules: length, formatting, facets), plus a file of its own
only where the network needs one (`mastodon/feeds.py`); `replay/` has only `source.py`.
`TYPES` maps the `type` key to the `source` module. A source validates its own keys with a
pydantic model derived from `options.NetworkOptions` and reads credentials with
`context.secret(...)`. Shared by all: `base.py` (the Source contract), `options.py`, `http.py`
(the rate-limit-aware client) and `filters.py`. A network's SDK is imported only inside its
own package.
"""
from __future__ import annotations

import importlib
from collections.abc import Mapping
from pathlib import Path

from bot.settings import BrandConfig, ConfigError, SourceConfig
from bot.sources.base import Source
from bot.sources.options import SourceContext, environment

TYPES = {
    "replay": "bot.sources.replay.source",
    "reddit": "bot.sources.reddit.source",
    "x": "bot.sources.x.source",
    "mastodon": "bot.sources.mastodon.source",
    "bluesky": "bot.sources.bluesky.source",
}


def build_source(config: SourceConfig, base_dir: Path, clock=None, *, brand: BrandConfig | None = None,
                 env: Mapping[str, str] | None = None, installation: str = "") -> Source:
    module_name = TYPES.get(config.type)
    if module_name is None:
        raise ConfigError(f"sources.{config.name}.type: unknown source type {config.type!r} "
                          f"(one of {', '.join(TYPES)})")
    context = SourceContext(
        name=config.name, type=config.type, options=dict(config.model_extra or {}),
        brand=brand or BrandConfig(name=config.name), base_dir=base_dir,
        env=environment() if env is None else env, installation=installation,
        **({"clock": clock} if clock is not None else {}),
    )
    return importlib.import_module(module_name).build(context)
