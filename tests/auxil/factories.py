"""Small factories with sensible defaults (after python-telegram-bot's build_messages)."""
from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from bot.settings import DeskConfig, parse_config
from bot.sources.base import Author, InboundPost

_ids = itertools.count(1)
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def config(**overrides) -> DeskConfig:
    data = {
        "brand": {"name": "Acme", "handles": ["@acme"], "misspellings": ["acmee"], "hashtags": ["#acmesupport"]},
        "sources": [{"name": "replay", "type": "replay", "path": "posts.jsonl"}],
        "routes": [{"platform": "slack", "channel": "C0SOCIAL"}],
        "agents": [
            {"name": "Jane Doe", "initials": "JD", "role": "lead", "slack": "UJANE", "console": "jane"},
            {"name": "Sam Lee", "initials": "SL", "slack": "USAM", "console": "sam"},
            {"name": "Kim Park", "initials": "KP", "slack": "UKIM", "console": "kim"},
        ],
        "outbox": {"per_channel_per_second": 1000, "burst": 1000},
    }
    data.update(overrides)
    return parse_config(data)


def post(text: str = "@acme my order never arrived, 2 weeks now", *, handle: str = "carla", external_id: str | None = None,
         thread_root: str | None = None, reply_to: str | None = None, network: str = "replay",
         minutes: int = 0, name: str = "Carla Diaz") -> InboundPost:
    external_id = external_id or f"p{next(_ids)}"
    return InboundPost(
        network=network, external_id=external_id, author=Author(handle=handle, name=name, followers=120),
        text=text, created_at=T0 + timedelta(minutes=minutes), thread_root_id=thread_root or external_id,
        kind="reply" if reply_to else "mention", url=f"https://social.example/{handle}/{external_id}",
        reply_to_id=reply_to,
    )
