"""Small factories with sensible defaults (after python-telegram-bot's build_messages)."""
from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

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
         minutes: int = 0, name: str = "Carla Diaz", account_id: str | None = None) -> InboundPost:
    external_id = external_id or f"p{next(_ids)}"
    return InboundPost(
        network=network, external_id=external_id,
        author=Author(handle=handle, name=name, followers=120, account_id=account_id),
        text=text, created_at=T0 + timedelta(minutes=minutes), thread_root_id=thread_root or external_id,
        kind="reply" if reply_to else "mention", url=f"https://social.example/{handle}/{external_id}",
        reply_to_id=reply_to,
    )


def post_item(n: int, text: str, **extra) -> dict:
    """A line of the replay source's file: Carla's post number `n` on X."""
    return {"id": f"x{n}", "network": "x", "author": {"handle": "carla", "name": "Carla Diaz"}, "text": text,
            "created_at": "2026-11-02T09:00:00Z", "url": f"https://x.com/carla/status/{n}", **extra}


def add_posts(tmp_path: Path, *items: dict) -> None:
    """Append lines to posts.jsonl in `tmp_path`, the file `config()`'s replay source reads."""
    with (tmp_path / "posts.jsonl").open("a", encoding="utf-8") as handle:
        for item in items:
            handle.write(json.dumps(item, ensure_ascii=False) + "\n")
