"""A local HTTP server that answers like the Slack Web API, for the real slack_sdk client (`base_url`).

It keeps channels, messages (with threads and metadata), ephemeral messages, opened views and
posts to response_url; records every call; and fails on demand (429 with Retry-After, errors).
Use `async with FakeSlack() as slack` in async tests, or `with FakeSlack.in_thread() as slack`
when the code under test runs in another process.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field

from aiohttp import web

TOKEN = "xoxb-fake-socialdesk-token"
JSON_FIELDS = ("blocks", "metadata", "view", "attachments")


@dataclass
class Fault:
    status: int
    error: str
    times: int
    retry_after: int | None = None


@dataclass
class FakeSlack:
    token: str = TOKEN
    calls: list[tuple[str, dict, float]] = field(default_factory=list)
    ephemerals: list[dict] = field(default_factory=list)
    views: list[dict] = field(default_factory=list)
    responses: list[dict] = field(default_factory=list)  # posts to response_url
    socket_acks: list[dict] = field(default_factory=list)  # Socket Mode acknowledgements from the app

    def __post_init__(self) -> None:
        self._lock = threading.RLock()
        self._channels: dict[str, str] = {}  # id -> name
        self._users: dict[str, dict] = {}
        self._messages: dict[str, list[dict]] = defaultdict(list)  # channel -> every message, in post order
        self._faults: dict[str, list[Fault]] = defaultdict(list)
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)
        self._sockets: list[web.WebSocketResponse] = []
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    # --- set-up and fault injection ---------------------------------------------------------

    def add_channel(self, name: str) -> str:
        with self._lock:
            channel_id = f"C{next(self._ids):08d}"
            self._channels[channel_id] = name.lstrip("#")
            return channel_id

    def add_user(self, user_id: str, name: str, real_name: str = "") -> None:
        self._users[user_id] = {"id": user_id, "name": name, "real_name": real_name or name,
                                "profile": {"display_name": name, "real_name": real_name or name}}

    def rate_limit(self, method: str, times: int = 1, retry_after: int = 1) -> None:
        self._faults[method].append(Fault(429, "ratelimited", times, retry_after))

    def fail(self, method: str, error: str = "internal_error", status: int = 200, times: int = 1) -> None:
        self._faults[method].append(Fault(status, error, times))

    # --- what was recorded ------------------------------------------------------------------

    def calls_to(self, method: str) -> list[tuple[str, dict, float]]:
        with self._lock:
            return [call for call in self.calls if call[0] == method]

    def messages(self, channel: str) -> list[dict]:
        """Top-level messages of a channel, in post order."""
        with self._lock:
            return [dict(m) for m in self._messages[channel] if m.get("thread_ts") in (None, m["ts"])]

    def thread(self, channel: str, ts: str) -> list[dict]:
        """Replies in a thread (without the parent), in post order."""
        with self._lock:
            return [dict(m) for m in self._messages[channel] if m.get("thread_ts") == ts and m["ts"] != ts]

    # --- running ------------------------------------------------------------------------------

    async def start(self) -> FakeSlack:
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)  # slack_sdk reads history and replies with GET
        app.router.add_post("/response/{anything:.*}", self._response_url)
        app.router.add_get("/socket", self._socket)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        self.base_url = f"http://127.0.0.1:{port}/api/"
        return self

    async def stop(self) -> None:
        for socket in list(self._sockets):
            await socket.close()
        if self._runner:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeSlack:
        return await self.start()

    async def __aexit__(self, *exc) -> None:
        await self.stop()

    @classmethod
    @contextmanager
    def in_thread(cls):
        """Serve from a daemon thread with its own event loop (for code under test in a subprocess)."""
        slack = cls()
        loop = asyncio.new_event_loop()
        ready = threading.Event()

        def serve() -> None:
            asyncio.set_event_loop(loop)
            loop.run_until_complete(slack.start())
            ready.set()
            loop.run_forever()

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        ready.wait(10)
        try:
            yield slack
        finally:
            asyncio.run_coroutine_threadsafe(slack.stop(), loop).result(10)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)

    # --- the wire -----------------------------------------------------------------------------

    async def _params(self, request: web.Request) -> dict:
        if request.method == "GET":
            params = dict(request.query)
        elif request.content_type == "application/json":
            params = await request.json()
        else:
            params = dict(await request.post())
        for key in JSON_FIELDS:
            if isinstance(params.get(key), str):
                try:
                    params[key] = json.loads(params[key])
                except ValueError:
                    pass
        return params

    async def _response_url(self, request: web.Request) -> web.Response:
        with self._lock:
            self.responses.append(await request.json())
        return web.Response(text="ok")

    async def send_envelope(self, envelope_type: str, payload: dict) -> str:
        """Push a Socket Mode envelope (slash_commands, interactive, events_api) to the connected app."""
        envelope_id = f"env-{next(self._ids)}"
        message = {"envelope_id": envelope_id, "type": envelope_type, "payload": payload,
                   "accepts_response_payload": envelope_type != "events_api", "retry_attempt": 0}
        for socket in self._sockets:
            await socket.send_json(message)
        return envelope_id

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(autoping=True)
        await socket.prepare(request)
        self._sockets.append(socket)
        await socket.send_json({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0APP"}})
        async for message in socket:
            if message.type.name == "TEXT":
                with self._lock:
                    self.socket_acks.append(json.loads(message.data))
        self._sockets.remove(socket)
        return socket

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await self._params(request)
        if method == "apps.connections.open":  # authenticated with the app-level token, not the bot token
            if not request.headers.get("Authorization", "").startswith("Bearer xapp-"):
                return web.json_response({"ok": False, "error": "invalid_auth"})
            return web.json_response({"ok": True, "url": self.base_url.replace("http://", "ws://").replace("/api/", "/socket")})
        with self._lock:
            self.calls.append((method, params, time.time()))
            faults = self._faults.get(method)
            if faults:
                fault = faults[0]
                fault.times -= 1
                if fault.times <= 0:
                    faults.pop(0)
                headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
                return web.json_response({"ok": False, "error": fault.error}, status=fault.status, headers=headers)
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return web.json_response({"ok": False, "error": "invalid_auth"})
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None:
            return web.json_response({"ok": False, "error": "unknown_method"})
        with self._lock:
            return web.json_response(handler(params))

    def _channel(self, params: dict) -> str | None:
        channel = str(params.get("channel", ""))
        if channel in self._channels:
            return channel
        by_name = {name: cid for cid, name in self._channels.items()}
        return by_name.get(channel.lstrip("#"))

    def _new_ts(self) -> str:
        return f"{1_700_000_000 + next(self._ts)}.000100"

    def _auth_test(self, params: dict) -> dict:
        return {"ok": True, "url": "https://acme.slack.com/", "team": "Acme", "user": "socialdesk",
                "team_id": "T0TEAM", "user_id": "U0BOT", "bot_id": "B0BOT"}

    def _chat_postMessage(self, params: dict) -> dict:
        channel = self._channel(params)
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        if not params.get("text") and not params.get("blocks"):
            return {"ok": False, "error": "no_text"}
        message = {"type": "message", "ts": self._new_ts(), "text": params.get("text", ""), "bot_id": "B0BOT",
                   "blocks": params.get("blocks", [])}
        if params.get("thread_ts"):
            if not any(m["ts"] == params["thread_ts"] for m in self._messages[channel]):
                return {"ok": False, "error": "thread_not_found"}
            message["thread_ts"] = params["thread_ts"]
        if params.get("metadata"):
            message["metadata"] = params["metadata"]
        self._messages[channel].append(message)
        return {"ok": True, "channel": channel, "ts": message["ts"], "message": message}

    def _chat_update(self, params: dict) -> dict:
        channel = self._channel(params)
        for message in self._messages.get(channel, []):
            if message["ts"] == params.get("ts"):
                message["text"] = params.get("text", message["text"])
                message["blocks"] = params.get("blocks", message["blocks"])
                return {"ok": True, "channel": channel, "ts": message["ts"], "text": message["text"]}
        return {"ok": False, "error": "message_not_found" if channel else "channel_not_found"}

    def _chat_postEphemeral(self, params: dict) -> dict:
        if self._channel(params) is None:
            return {"ok": False, "error": "channel_not_found"}
        self.ephemerals.append(params)
        return {"ok": True, "message_ts": self._new_ts()}

    def _chat_getPermalink(self, params: dict) -> dict:
        return {"ok": True, "channel": params.get("channel"),
                "permalink": f"https://acme.slack.com/archives/{params.get('channel')}/p{params.get('message_ts', '').replace('.', '')}"}

    def _paged(self, messages: list[dict], params: dict, key: str = "messages") -> dict:
        limit = int(params.get("limit") or 100)
        start = int(params.get("cursor") or 0)
        page = messages[start:start + limit]
        if str(params.get("include_all_metadata", "")).lower() not in ("true", "1"):
            page = [{k: v for k, v in m.items() if k != "metadata"} for m in page]
        more = start + limit < len(messages)
        return {"ok": True, key: page, "has_more": more,
                "response_metadata": {"next_cursor": str(start + limit) if more else ""}}

    def _conversations_history(self, params: dict) -> dict:
        channel = self._channel(params)
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        return self._paged(list(reversed(self.messages(channel))), params)

    def _conversations_replies(self, params: dict) -> dict:
        channel = self._channel(params)
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        ts = params.get("ts")
        parent = [m for m in self._messages[channel] if m["ts"] == ts]
        if not parent:
            return {"ok": False, "error": "thread_not_found"}
        return self._paged(parent + self.thread(channel, ts), params)

    def _conversations_list(self, params: dict) -> dict:
        channels = [{"id": cid, "name": name, "is_channel": True, "is_archived": False}
                    for cid, name in self._channels.items()]
        return self._paged(channels, params, key="channels")

    def _views_open(self, params: dict) -> dict:
        if not params.get("trigger_id"):
            return {"ok": False, "error": "invalid_trigger_id"}
        self.views.append(params)
        return {"ok": True, "view": {"id": f"V{next(self._ids):08d}", **(params.get("view") or {})}}

    def _users_info(self, params: dict) -> dict:
        user = self._users.get(params.get("user", ""))
        return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}
