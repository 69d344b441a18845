"""Bases for the fakes: a real HTTP server on 127.0.0.1, and for social networks, faults on demand.

`LocalServer` serves a fake's aiohttp app on an ephemeral port, on the test's own loop
(`async with FakeX(...) as server`) or from a daemon thread with a loop of its own
(`with FakeSlack.in_thread() as slack`, for code under test that runs its own loop or process).
Every fake records what it received in its `received` (a `Recorder`), and what it refused in
its `refused`, in arrival order.

`FakeNetwork` subclasses (fake X, Mastodon, Reddit, Bluesky) add routes answering like the network's
API. Every such fake records the requests it got and can be told to misbehave for the next calls to a path:

    async with FakeNetwork() as server:
        server.fail("/2/tweets/search/recent", status=429, headers={"x-rate-limit-reset": "..."})
        server.fail("/api/v1/statuses", body="not json{", status=200)   # malformed JSON
        server.fail("/api/v1/timelines/home", delay=5)                    # a slow answer (timeout)
"""
from __future__ import annotations

import asyncio
import json
import threading
from collections import defaultdict, deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Generic, NamedTuple, Self, TypeVar

from aiohttp import web

T = TypeVar("T")


class Recorder(Generic[T]):
    """What a fake received (or refused), in order. A fake may serve from its own thread while the test reads, so
    both sides go through a lock; reading gives a copy."""

    def __init__(self) -> None:
        self._items: list[T] = []
        self._lock = threading.Lock()

    def add(self, item: T) -> None:
        with self._lock:
            self._items.append(item)

    def all(self) -> list[T]:
        with self._lock:
            return list(self._items)

    def where(self, keep) -> list[T]:
        return [item for item in self.all() if keep(item)]

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def __getitem__(self, index: int) -> T:
        with self._lock:
            return self._items[index]

    def __iter__(self) -> Iterator[T]:
        return iter(self.all())


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


class LocalServer:
    """A fake's aiohttp app on 127.0.0.1, an ephemeral port. Subclasses build the app in `start` and `_serve` it."""

    _runner: web.AppRunner | None = None

    def __init__(self) -> None:
        self.received: Recorder = Recorder()
        self.refused: Recorder = Recorder()

    async def start(self) -> Self:
        raise NotImplementedError

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()
            self._runner = None

    async def _serve(self, app: web.Application, **runner: Any) -> int:
        """Serve `app` (`runner`: web.AppRunner's options); returns the port."""
        self._runner = web.AppRunner(app, **runner)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        return self._runner.addresses[0][1]

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @classmethod
    @contextmanager
    def in_thread(cls, **kwargs: Any) -> Iterator[Self]:
        """Serve from a daemon thread with its own event loop (for code under test in another thread or process)."""
        server = cls(**kwargs)
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name=f"fake-{cls.__name__}", daemon=True)
        thread.start()
        try:
            asyncio.run_coroutine_threadsafe(server.start(), loop).result(10)
            yield server
        finally:
            try:
                asyncio.run_coroutine_threadsafe(server.stop(), loop).result(10)
            finally:
                loop.call_soon_threadsafe(loop.stop)
                thread.join(10)
                loop.close()


class FakeNetwork(LocalServer):
    def __init__(self) -> None:
        super().__init__()
        self.app = web.Application(middlewares=[self._record_and_fault])
        self.headers: dict[str, str] = {}  # added to every normal answer (rate-limit headers, say)
        self._faults: dict[str, deque[Fault]] = defaultdict(deque)
        self.base_url = ""

    def fail(self, path: str, times: int = 1, **fault: Any) -> None:
        """The next `times` requests to `path` get this fault instead of their answer."""
        self._faults[path].extend(Fault(**fault) for _ in range(times))

    @property
    def requests(self) -> Recorder[Seen]:
        return self.received

    def seen(self, path: str | None = None, method: str | None = None) -> list[Seen]:
        return self.received.where(lambda r: (path is None or r.path == path) and (method is None or r.method == method))

    @web.middleware
    async def _record_and_fault(self, request: web.Request, handler):
        body = await request.read()
        self.received.add(Seen(request.method, request.path, dict(request.query), dict(request.headers), body))
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
        self.base_url = f"http://127.0.0.1:{await self._serve(self.app)}"
        return self
