"""A base for fake social-network APIs: a real HTTP server on 127.0.0.1 with faults on demand.

Subclasses (fake X, Mastodon, Reddit) add routes answering like the network's API. Every
fake records the requests it got and can be told to misbehave for the next calls to a path:

    async with FakeNetwork() as server:
        server.fail("/2/tweets/search/recent", status=429, headers={"x-rate-limit-reset": "..."})
        server.fail("/api/v1/statuses", body="not json{", status=200)   # malformed JSON
        server.fail("/api/v1/timelines/home", delay=5)                    # a slow answer (timeout)
"""
from __future__ import annotations

import asyncio
import json
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Self

from aiohttp import web


class Seen(NamedTuple):
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes


@dataclass
class Fault:
    status: int = 500
    body: str | None = None  # raw text; default a JSON error
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (then the normal answer if status is 0)


class FakeNetwork:
    def __init__(self) -> None:
        self.app = web.Application(middlewares=[self._record_and_fault])
        self.requests: list[Seen] = []
        self.headers: dict[str, str] = {}  # added to every normal answer (rate-limit headers, say)
        self._faults: dict[str, deque[Fault]] = defaultdict(deque)
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    def fail(self, path: str, times: int = 1, **fault: Any) -> None:
        """The next `times` requests to `path` get this fault instead of their answer."""
        self._faults[path].extend(Fault(**fault) for _ in range(times))

    def seen(self, path: str | None = None, method: str | None = None) -> list[Seen]:
        return [r for r in self.requests if (path is None or r.path == path) and (method is None or r.method == method)]

    @web.middleware
    async def _record_and_fault(self, request: web.Request, handler):
        body = await request.read()
        self.requests.append(Seen(request.method, request.path, dict(request.query), dict(request.headers), body))
        if self._faults.get(request.path):
            fault = self._faults[request.path].popleft()
            if fault.delay:
                await asyncio.sleep(fault.delay)
            if fault.status:
                text = fault.body if fault.body is not None else json.dumps({"error": f"injected {fault.status}"})
                return web.Response(status=fault.status, text=text, headers=fault.headers,
                                    content_type="application/json")
        response = await handler(request)
        response.headers.update(self.headers)
        return response

    async def start(self) -> Self:
        self._runner = web.AppRunner(self.app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        self.base_url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc_info) -> None:
        await self.stop()
