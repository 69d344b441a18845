"""`replay`: reads posts from a JSONL file and "publishes" replies to another JSONL file.

It runs the whole loop offline (demo, tests, benchmarks). The cursor is the byte offset
of the next unread line, so lines appended later are picked up and none is read twice.
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.settings import ConfigError
from bot.sources.base import Author, InboundPost, OutboundReply, PollResult, Published, SourceError, Unparsed
from bot.sources.options import SourceContext

log = logging.getLogger(__name__)


def build(context: SourceContext) -> ReplaySource:
    options = dict(context.options)
    if "path" not in options:
        raise ConfigError(f"sources.{context.name}.path: required for a replay source (a JSONL file of posts)")
    path = context.base_dir / options.pop("path")
    published = context.base_dir / options.pop("published_path", f"{context.name}-published.jsonl")
    try:
        return ReplaySource(context.name, path, published, clock=context.clock, **options)
    except TypeError as error:
        raise ConfigError(f"sources.{context.name}: {error}") from None


class ReplaySource:
    length_unit = "characters"  # code points

    def __init__(
        self,
        name: str,
        path: str | Path,
        published_path: str | Path,
        *,
        network: str = "replay",
        max_length: int = 500,
        batch_size: int = 100,
        clock=None,
    ) -> None:
        self.name = name
        self.network = network
        self.max_length = max_length
        self.path = Path(path)
        self.published_path = Path(published_path)
        self.batch_size = batch_size
        self._clock = clock

    def count_length(self, text: str) -> int:
        return len(text)

    def quota(self) -> list:
        return []

    async def verify(self) -> str:
        if not self.path.exists():
            raise SourceError(f"replay file {self.path} does not exist")
        return f"reading {self.path}"

    async def poll(self, cursor: str | None) -> PollResult:
        return await asyncio.to_thread(self._read_batch, int(cursor or 0))

    def _read_batch(self, offset: int) -> PollResult:
        if not self.path.exists():
            raise SourceError(f"replay file {self.path} does not exist", retryable=True)
        posts: list[InboundPost] = []
        unparsed: list[Unparsed] = []
        with self.path.open("rb") as handle:
            handle.seek(offset)
            while len(posts) + len(unparsed) < self.batch_size:
                line = handle.readline()
                if not line.endswith(b"\n"):
                    break  # end of file, or a line still being written: read it next time
                offset += len(line)
                if not line.strip():
                    continue
                text = line.decode("utf-8", "replace").rstrip("\n")
                try:
                    posts.append(self.parse_raw(text))
                except (ValueError, KeyError, TypeError, RecursionError) as error:
                    reason = f"line at byte {offset - len(line)} is not a post: {_error(error)}"
                    log.error("replay %s: %s; set aside in quarantine", self.path, reason)
                    unparsed.append(Unparsed(raw=text, reason=reason))
            has_more = bool(handle.readline())
        return PollResult(posts=posts, cursor=str(offset), has_more=has_more, unparsed=unparsed)

    def parse_raw(self, line: str) -> InboundPost:
        """One line of the file as a post (also `socialdesk quarantine retry`); raises ValueError, KeyError,
        TypeError or RecursionError for a line that is not one."""
        item = json.loads(line)
        if not isinstance(item, dict):
            raise TypeError(f"a post is a JSON object, not {type(item).__name__}")
        author = item["author"]
        if isinstance(author, str):
            author = {"handle": author}
        if not isinstance(author, dict):
            raise TypeError(f"author is a handle or an object, not {type(author).__name__}")
        external_id = _id(item["id"], "id")
        if external_id is None:
            raise ValueError("id is empty")
        reply_to = _id(item.get("reply_to"), "reply_to")
        return InboundPost(
            network=str(item.get("network") or self.network),
            external_id=external_id,
            author=Author(handle=_text(author["handle"], "author.handle"),
                          name=_text(author.get("name") or "", "author.name"), followers=author.get("followers"),
                          account_id=_id(author.get("account_id"), "author.account_id")),
            text=_text(item["text"], "text"),
            created_at=_parse_time(item.get("created_at")),
            thread_root_id=_id(item.get("thread_root"), "thread_root") or reply_to or external_id,
            kind=str(item.get("kind") or "mention"),
            url=str(item.get("url") or ""),
            reply_to_id=reply_to,
            raw=item,
        )

    async def publish_reply(self, reply: OutboundReply) -> Published:
        return await asyncio.to_thread(self._append, reply, "public")

    async def send_private(self, reply: OutboundReply) -> Published:
        return await asyncio.to_thread(self._append, reply, "private")

    def _append(self, reply: OutboundReply, visibility: str) -> Published:
        now = self._clock.now() if self._clock else datetime.now(UTC)
        external_id = "replay-" + hashlib.sha256(reply.key.encode()).hexdigest()[:16]
        record = {
            "key": reply.key,
            "id": external_id,
            "visibility": visibility,
            "in_reply_to": reply.in_reply_to,
            "thread_root": reply.thread_root_id,
            "to": reply.customer_handle,
            "text": reply.text,
            "published_at": now.isoformat(),
        }
        self.published_path.parent.mkdir(parents=True, exist_ok=True)
        with self.published_path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        return Published(external_id=external_id, url=f"replay://{self.name}/{external_id}", published_at=now)

    async def find_published(self, key: str, reply: OutboundReply | None = None) -> Published | None:
        return await asyncio.to_thread(self._find, key)

    def _find(self, key: str) -> Published | None:
        if not self.published_path.exists():
            return None
        with self.published_path.open(encoding="utf-8") as handle:
            for line in handle:
                try:
                    record = json.loads(line)
                except ValueError:
                    continue  # a torn last line from a crash mid-write was never published
                if record.get("key") == key:
                    return Published(
                        external_id=record["id"],
                        url=f"replay://{self.name}/{record['id']}",
                        published_at=datetime.fromisoformat(record["published_at"]),
                    )
        return None

    async def close(self) -> None:
        return None


def _id(value: Any, field: str) -> str | None:
    """A post's or account's id as the file may give it (a string or a number); anything else is not an id."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise TypeError(f"{field} is an id (a string or a number), not {type(value).__name__}")
    return str(value)


def _text(value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{field} is text, not {type(value).__name__}")
    return value


def _error(error: BaseException) -> str:
    if isinstance(error, RecursionError):
        return "nested too deeply to read"
    return f"no {error.args[0]!r} field" if isinstance(error, KeyError) else str(error)


def _parse_time(value: Any) -> datetime:
    if not value:
        return datetime.now(UTC)
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
