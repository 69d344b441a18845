"""Mastodon's streaming API: mentions and #hashtag posts as they happen, over server-sent events.

docs.joinmastodon.org/methods/streaming: `GET /api/v1/streaming/user/notification` sends the
brand's notifications (`event: notification`), `GET /api/v1/streaming/hashtag?tag=…` each new
status with the tag (`event: update`); the server sends a `:thump` comment about every 15 seconds
to keep the connection open. SSE rather than the WebSocket endpoint: it is plain HTTP through httpx
(`httpx-sse`), with the same bearer token and the same proxies as every other call.

What is streamed is only what the poll also reads: notifications and hashtag timelines. Keyword
search and the brand's threads have no stream and stay polled. Every event becomes an `InboundPost`
through the source's own reading (filters, thread roots), so a streamed post is the same post the poll
would have stored, and storing it twice is a no-op.
"""
from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
from httpx_sse import SSEError, aconnect_sse
from pydantic import ValidationError

from bot.sources.base import InboundPost, SourceError
from bot.sources.mastodon.client import Notification, Status
from bot.sources.mastodon.feeds import Found

log = logging.getLogger(__name__)
SILENCE = 60.0  # seconds without a byte (four missed heartbeats) after which the connection counts as dead
USER_STREAM = "/api/v1/streaming/user/notification"
HASHTAG_STREAM = "/api/v1/streaming/hashtag"
PERMANENT = (401, 403, 404, 410)  # no token, no scope, no streaming here: retrying soon will not help


def streams(tags: list[str]) -> list[tuple[str, dict[str, str]]]:
    """The streams to follow: the brand's notifications, and each #hashtag keyword."""
    return [(USER_STREAM, {}), *((HASHTAG_STREAM, {"tag": tag}) for tag in tags)]


async def stream_posts(source: Any, base_url: str, headers: dict[str, str],
                       tags: list[str]) -> AsyncIterator[list[InboundPost]]:
    """Posts as they are streamed, a list at a time. The first list, empty, says every stream is connected (the
    caller backfills what was missed meanwhile with a poll). Raises SourceError when a stream breaks."""
    me = await source._ready()
    if source.instance.software == "gotosocial":  # api/client/streaming: one WebSocket route, no server-sent events
        raise SourceError("GoToSocial streams over WebSocket only (GET /api/v1/streaming), not server-sent events; "
                          "polls read every feed", retryable=False)
    found: asyncio.Queue[Found | SourceError | None] = asyncio.Queue()
    timeout = httpx.Timeout(source.options.timeout.total_seconds(), read=SILENCE)
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=timeout, follow_redirects=True) as http:
        readers = [asyncio.create_task(_read(http, path, params, me, source, found)) for path, params in streams(tags)]
        try:
            waiting_for = len(readers)
            while True:
                item = await found.get()
                if isinstance(item, SourceError):
                    raise item
                if item is None:  # one more stream connected
                    waiting_for -= 1
                    if not waiting_for:
                        yield []
                    continue
                posts = await source._posts([item])
                if posts:
                    yield posts
        finally:
            for reader in readers:
                reader.cancel()
            await asyncio.gather(*readers, return_exceptions=True)


async def _read(http: httpx.AsyncClient, path: str, params: dict[str, str], me: Any, source: Any,
                found: asyncio.Queue) -> None:
    """Follow one stream, putting what it finds (None once connected, a SourceError when it ends) on `found`."""
    where = f"Mastodon streaming {path}" + (f" #{params['tag']}" if params else "")
    try:
        async with aconnect_sse(http, "GET", path, params=params) as events:
            status = events.response.status_code
            if status >= 400:
                await events.response.aread()
                raise SourceError(f"{where} answered {status}: {events.response.text[:200]}",
                                  retryable=status not in PERMANENT)
            await found.put(None)
            async for event in events.aiter_sse():
                item = _found(event.event, event.data, me, source, where)
                if item is not None:
                    await found.put(item)
        raise SourceError(f"{where}: the server closed the stream")
    except SourceError as error:
        await found.put(error)
    except SSEError as error:  # not text/event-stream: a proxy's error page, or no streaming on this server
        await found.put(SourceError(f"{where} is not an event stream ({error})", retryable=False))
    except httpx.ReadTimeout:
        await found.put(SourceError(f"{where}: nothing received for {SILENCE:.0f}s (not even a heartbeat)"))
    except httpx.HTTPError as error:
        await found.put(SourceError(f"{where} is unreachable: {error.__class__.__name__} {error}".strip()))


def _found(event: str, data: str, me: Any, source: Any, where: str) -> Found | None:
    """A notification (a mention or quote of the brand) or a hashtag's new status; anything else is not for us."""
    try:
        if event == "notification":
            raw = json.loads(data)
            return source._mention(me, Notification.model_validate(raw), raw)
        if event == "update":
            raw = json.loads(data)
            return Found(Status.model_validate(raw), raw, "keyword")
    except (ValueError, ValidationError) as error:
        log.error("%s: skipping an event that does not parse (%s): %.200r", where, error, data)
    return None
