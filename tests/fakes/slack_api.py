"""A local HTTP server that answers like the Slack Web API, for the real slack_sdk client.

Point `AsyncWebClient(token=slack.token, base_url=slack.base_url)` at it. It keeps channels, users,
messages (threads, metadata, edits), ephemeral messages and modal views; records every call; and
misbehaves on demand: 429 with Retry-After, error answers, slow answers, per-channel rate limits.
It also serves Socket Mode (apps.connections.open and a WebSocket) and posts to response_url.

    async with FakeSlack() as slack:        # on the running event loop (async tests)
        ...
    with FakeSlack.in_thread() as slack:    # own loop in a daemon thread (code under test in a subprocess)
        ...

Shapes follow docs.slack.dev: errors are HTTP 200 with {"ok": false, "error": ...}, except injected
faults (any status) and rate limits (429 with Retry-After). All state sits behind one lock, so tests
may read it from any thread; the read helpers return copies.
"""
from __future__ import annotations

import asyncio
import base64
import contextlib
import copy
import itertools
import json
import math
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple, Self

from aiohttp import WSMsgType, web

from tests.fakes.network_server import LocalServer
from tests.fakes.slack_blocks import MESSAGE_TEXT, blocks_problems, metadata_too_large, view_problems

TOKEN = "xoxb-fake-socialdesk-token"
TEAM_ID, TEAM_NAME, TEAM_URL = "T0TEAM", "Acme", "https://acme.slack.com/"
BOT_USER_ID, BOT_ID, BOT_NAME, APP_ID = "U0BOT", "B0BOT", "socialdesk", "A0APP"
DEFAULT_CHANNELS = ("general", "random")
FIRST_TS = 1_700_000_000  # the first message gets "1700000000.000100", each later one a second more
JSON_FIELDS = ("blocks", "metadata", "view", "attachments")  # may arrive as JSON strings (form-encoded)
MAX_LIMIT = 1000


MAX_REQUEST_BYTES = 32 * 1024 * 1024


class Call(NamedTuple):
    """One recorded Web API call; unpacks like (method, params, at)."""

    method: str
    params: dict
    at: float  # on the fake's clock


@dataclass
class _Fault:
    status: int
    error: str
    times: int
    retry_after: int | None = None


@dataclass
class _ChannelRate:
    per_second: float
    burst: int
    methods: tuple[str, ...]


class _Refusal(Exception):
    """Answer the current call with {"ok": false, "error": ...} right away."""

    def __init__(self, error: str, status: int = 200, retry_after: int | None = None,
                 messages: list[str] | None = None) -> None:
        super().__init__(error)
        self.error, self.status, self.messages = error, status, messages or []
        self.headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}


class FakeSlack(LocalServer):
    """The Slack Web API on 127.0.0.1, an ephemeral port; `base_url` ends with "/api/"."""

    team_id, bot_user_id, bot_id, app_id = TEAM_ID, BOT_USER_ID, BOT_ID, APP_ID

    def __init__(self, token: str = TOKEN, *, channels: tuple[str, ...] = DEFAULT_CHANNELS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.token = token
        self.base_url = ""
        self._clock = clock
        self._lock = threading.RLock()
        self._tokens = {token}
        self._ids = itertools.count(1)
        self._ts = itertools.count(0)
        self._channels: dict[str, dict] = {}  # id -> conversation object
        self._users: dict[str, dict] = {}
        self._messages: dict[str, list[dict]] = defaultdict(list)  # channel id -> messages incl. replies, post order
        self._views_by_id: dict[str, dict] = {}
        self._homes: dict[str, dict] = {}  # user id -> the published home tab
        self._ephemerals: list[dict] = []
        self._views: list[dict] = []
        self._responses: list[dict] = []
        self._socket_acks: list[dict] = []
        self._faults: dict[str, deque[_Fault]] = defaultdict(deque)
        self._delays: dict[str, float] = {}
        self._rate: _ChannelRate | None = None
        self._buckets: dict[str, tuple[float, float]] = {}  # channel id -> (tokens, when)
        self._sockets: list[web.WebSocketResponse] = []
        self.add_user(BOT_USER_ID, BOT_NAME, "Socialdesk", is_bot=True)
        for name in channels:
            self.add_channel(name)

    # --- set-up ---------------------------------------------------------------------------------

    def add_channel(self, name: str, *, channel_id: str | None = None, private: bool = False, member: bool = True) -> str:
        """Register a channel ("support" or "#support") and return its id; a known name returns the same id.
        With `member` False the bot is not in it: posting answers not_in_channel."""
        name = name.lstrip("#")
        with self._lock:
            existing = self._channel_by_name(name)
            if existing:
                return existing
            channel_id = channel_id or f"C{next(self._ids):08d}"
            self._channels[channel_id] = {
                "id": channel_id, "name": name, "name_normalized": name, "is_channel": not private,
                "is_group": private, "is_im": False, "is_private": private, "is_archived": False,
                "is_member": member, "created": FIRST_TS, "creator": BOT_USER_ID,
            }
            return channel_id

    def channel_id(self, channel: str) -> str | None:
        """The id of a channel given by id, "#name" or "name"; None if unknown."""
        with self._lock:
            return self._find_channel(channel)

    def add_user(self, user_id: str, name: str, real_name: str = "", **fields: Any) -> dict:
        """Register a user for users.info (extra fields, e.g. tz or is_admin, go into the user object)."""
        real_name = real_name or name
        user = {"id": user_id, "team_id": TEAM_ID, "name": name, "real_name": real_name, "deleted": False,
                "is_bot": False, "is_admin": False, "tz": "UTC", "tz_offset": 0,
                "profile": {"display_name": name, "real_name": real_name, "team": TEAM_ID}, **fields}
        with self._lock:
            self._users[user_id] = user
        return copy.deepcopy(user)

    def add_token(self, token: str) -> None:
        """Accept another bot token."""
        with self._lock:
            self._tokens.add(token)

    def add_message(self, channel: str, text: str, *, user: str = "UHUMAN", thread_ts: str | None = None,
                    metadata: dict | None = None) -> str:
        """Seed a message as if someone posted it (no call is recorded); returns its ts."""
        with self._lock:
            channel_id = self._find_channel(channel)
            if channel_id is None:
                raise ValueError(f"unknown channel {channel!r}: add_channel it first")
            message = {"type": "message", "user": user, "team": TEAM_ID, "text": text, "ts": self._next_ts()}
            if metadata:
                message["metadata"] = metadata
            try:
                self._store(channel_id, message, thread_ts)
            except _Refusal as refusal:
                raise ValueError(f"no message {thread_ts!r} in {channel!r} to reply to") from refusal
            return message["ts"]

    # --- fault injection ------------------------------------------------------------------------

    def rate_limit(self, method: str, times: int = 1, retry_after: int = 1) -> None:
        """The next `times` calls to `method` get HTTP 429, Retry-After and error "ratelimited"."""
        with self._lock:
            self._faults[method].append(_Fault(429, "ratelimited", times, retry_after))

    def fail(self, method: str, error: str = "internal_error", status: int = 200, times: int = 1) -> None:
        """The next `times` calls to `method` fail with `error` and HTTP `status`."""
        with self._lock:
            self._faults[method].append(_Fault(status, error, times))

    def heal(self, method: str) -> None:
        """Forget the faults still queued for `method` (an outage ends)."""
        with self._lock:
            self._faults.pop(method, None)

    def delay(self, method: str, seconds: float) -> None:
        """Answer `method` `seconds` late (the call takes effect first, as when a client times out); 0 stops."""
        with self._lock:
            if seconds > 0:
                self._delays[method] = seconds
            else:
                self._delays.pop(method, None)

    def enforce_channel_rate(self, per_second: float | None = 1.0, burst: int = 3,
                             methods: tuple[str, ...] = ("chat.postMessage",)) -> None:
        """Answer 429 + Retry-After when a channel gets `methods` faster than a token bucket allows; None stops."""
        with self._lock:
            self._rate = _ChannelRate(per_second, burst, methods) if per_second else None
            self._buckets.clear()

    # --- what was recorded ----------------------------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        """Every Web API call in arrival order, failed ones included."""
        return self.received.all()

    def calls_to(self, method: str) -> list[Call]:
        return self.received.where(lambda call: call.method == method)

    @property
    def errors(self) -> list[tuple[str, str, int]]:
        """(method, error, HTTP status) of every call answered with ok: false."""
        return self.refused.all()

    @property
    def ephemerals(self) -> list[dict]:
        """chat.postEphemeral calls: their params with the channel id and the message_ts answered."""
        with self._lock:
            return copy.deepcopy(self._ephemerals)

    @property
    def views(self) -> list[dict]:
        """views.open / views.update calls: params plus "method", with "view" as stored (id, hash...)."""
        with self._lock:
            return copy.deepcopy(self._views)

    def home(self, user_id: str) -> dict | None:
        """The home tab last published for `user_id` (views.publish), as stored."""
        with self._lock:
            return copy.deepcopy(self._homes.get(user_id))

    @property
    def responses(self) -> list[dict]:
        """Bodies posted to a response_url (see `response_url`)."""
        with self._lock:
            return copy.deepcopy(self._responses)

    @property
    def socket_acks(self) -> list[dict]:
        """What the app sent back over the Socket Mode WebSocket."""
        with self._lock:
            return copy.deepcopy(self._socket_acks)

    def messages(self, channel: str) -> list[dict]:
        """Top-level messages of a channel (id or name), in post order, with metadata."""
        with self._lock:
            channel_id = self._find_channel(channel)
            return copy.deepcopy([m for m in self._messages.get(channel_id, []) if _top_level(m)])

    def thread(self, channel: str, ts: str) -> list[dict]:
        """Replies in the thread of `ts` (without the parent), in post order, with metadata."""
        with self._lock:
            channel_id = self._find_channel(channel)
            return copy.deepcopy([m for m in self._messages.get(channel_id, [])
                                  if m.get("thread_ts") == ts and m["ts"] != ts])

    def response_url(self, name: str = "cmd") -> str:
        """A response_url to hand to the app in interaction payloads; posts to it land in `responses`."""
        return self.base_url.replace("/api/", "/response/") + name

    # --- running --------------------------------------------------------------------------------

    async def start(self) -> Self:
        app = web.Application(client_max_size=MAX_REQUEST_BYTES)  # files beyond aiohttp's 1 MiB reach the checks
        app.router.add_route("*", "/api/{method}", self._api)  # slack_sdk sends GET for reads, POST otherwise
        app.router.add_post("/response/{name:.*}", self._response_url)
        app.router.add_get("/socket", self._socket)
        app.router.add_post("/upload/{file_id}", self._upload_url)  # files.getUploadURLExternal's upload_url
        port = await self._serve(app, access_log=None, shutdown_timeout=1.0)
        self.base_url = f"http://127.0.0.1:{port}/api/"
        return self

    async def stop(self) -> None:
        for socket in list(self._sockets):
            await socket.close()
        await super().stop()

    # --- the wire -------------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        try:
            params: dict | None = await _read_params(request)
        except ValueError:
            params = None
        token = _bearer(request) or (params or {}).pop("token", None)
        with self._lock:
            self.received.add(Call(method, copy.deepcopy(params or {}), self._clock()))
            delay = self._delays.get(method, 0)
            status, body, headers = self._answer(method, params, token)
            if not body.get("ok"):
                self.refused.add((method, body.get("error", ""), status))
        if delay:
            await asyncio.sleep(delay)
        return web.json_response(body, status=status, headers=headers)

    def _answer(self, method: str, params: dict | None, token: str | None) -> tuple[int, dict, dict]:
        try:
            if params is None:
                raise _Refusal("invalid_json")
            if method == "apps.connections.open":  # the one method that takes the app-level token
                return 200, {"ok": True, **self._apps_connections_open(token)}, {}
            if not token:
                raise _Refusal("not_authed")
            if token not in self._tokens:
                raise _Refusal("invalid_auth")
            self._take_fault(method)
            handler = self._handlers.get(method)
            if handler is None:
                raise _Refusal("unknown_method")
            self._pace(method, params)
            return 200, {"ok": True, **handler(self, params)}, {}
        except _Refusal as refusal:
            body = {"ok": False, "error": refusal.error}
            if refusal.messages:  # as Slack explains invalid_blocks / invalid_arguments
                body["response_metadata"] = {"messages": refusal.messages}
            return refusal.status, body, refusal.headers

    def _take_fault(self, method: str) -> None:
        faults = self._faults.get(method)
        if not faults:
            return
        fault = faults[0]
        fault.times -= 1
        if fault.times <= 0:
            faults.popleft()
        raise _Refusal(fault.error, fault.status, fault.retry_after)

    def _pace(self, method: str, params: dict) -> None:
        """Token bucket per channel: `burst` at once, then `per_second`."""
        rate = self._rate
        if rate is None or method not in rate.methods:
            return
        channel = self._find_channel(params.get("channel"))
        if channel is None:
            return  # the method itself answers channel_not_found
        now = self._clock()
        tokens, when = self._buckets.get(channel, (float(rate.burst), now))
        tokens = min(float(rate.burst), tokens + (now - when) * rate.per_second)
        if tokens < 1:
            self._buckets[channel] = (tokens, now)
            raise _Refusal("ratelimited", 429, max(1, math.ceil((1 - tokens) / rate.per_second)))
        self._buckets[channel] = (tokens - 1, now)

    async def _response_url(self, request: web.Request) -> web.Response:
        body = await request.json()
        try:
            _content(body, required=True)  # a response_url takes a message, checked as chat.postMessage checks one
        except _Refusal as refusal:
            with self._lock:
                self.refused.add(("response_url", refusal.error, 400))
            return web.json_response({"ok": False, "error": refusal.error,
                                      "response_metadata": {"messages": refusal.messages}}, status=400)
        with self._lock:
            self._responses.append(body)
        return web.Response(text="ok")

    # --- Socket Mode ----------------------------------------------------------------------------

    def _apps_connections_open(self, token: str | None) -> dict:
        if not token or not token.startswith("xapp-"):
            raise _Refusal("not_allowed_token_type" if token in self._tokens else "invalid_auth")
        return {"url": self.base_url.replace("http://", "ws://").replace("/api/", "/socket")}

    async def send_envelope(self, envelope_type: str, payload: dict) -> str:
        """Push a Socket Mode envelope (slash_commands, interactive, events_api) to connected apps."""
        envelope_id = f"env-{next(self._ids)}"
        message = {"envelope_id": envelope_id, "type": envelope_type, "payload": payload,
                   "accepts_response_payload": envelope_type != "events_api", "retry_attempt": 0}
        for socket in list(self._sockets):
            await socket.send_json(message)
        return envelope_id

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(autoping=True)
        await socket.prepare(request)
        self._sockets.append(socket)
        await socket.send_json({"type": "hello", "num_connections": 1, "connection_info": {"app_id": APP_ID}})
        async for message in socket:
            if message.type == WSMsgType.TEXT:
                with self._lock:
                    self._socket_acks.append(json.loads(message.data))
        self._sockets.remove(socket)
        return socket

    # --- state helpers (called with the lock held) ----------------------------------------------

    def _channel_by_name(self, name: str) -> str | None:
        return next((cid for cid, c in self._channels.items() if c.get("name") == name), None)

    def _find_channel(self, channel: Any, *, direct_messages: bool = False) -> str | None:
        channel = str(channel or "")
        if channel in self._channels:
            return channel
        if direct_messages and channel in self._users:  # chat.postMessage to a user id opens the DM
            return self._direct_message(channel)
        return self._channel_by_name(channel.lstrip("#")) if channel else None

    def _require_channel(self, channel: Any, *, direct_messages: bool = False) -> str:
        channel_id = self._find_channel(channel, direct_messages=direct_messages)
        if channel_id is None:
            raise _Refusal("channel_not_found")
        return channel_id

    def _direct_message(self, user_id: str) -> str:
        for cid, conversation in self._channels.items():
            if conversation.get("is_im") and conversation.get("user") == user_id:
                return cid
        cid = f"D{next(self._ids):08d}"
        self._channels[cid] = {"id": cid, "is_im": True, "is_channel": False, "is_private": True, "user": user_id,
                               "created": FIRST_TS, "is_archived": False}
        return cid

    def _next_ts(self) -> str:
        return f"{FIRST_TS + next(self._ts)}.000100"

    def _find_message(self, channel_id: str, ts: Any, error: str = "message_not_found") -> dict:
        for message in self._messages.get(channel_id, []):
            if message["ts"] == ts:
                return message
        raise _Refusal(error)

    def _store(self, channel_id: str, message: dict, thread_ts: str | None, broadcast: bool = False) -> None:
        """Append a message; a reply goes to the thread's root and updates the root's reply fields."""
        if thread_ts:
            root = self._find_message(channel_id, thread_ts, "invalid_thread_ts")
            root = self._find_message(channel_id, root.get("thread_ts", root["ts"]))
            message["thread_ts"] = root["ts"]
            message["parent_user_id"] = root.get("user", "")
            if broadcast:
                message["subtype"] = "thread_broadcast"
            root["thread_ts"] = root["ts"]
            root["reply_count"] = root.get("reply_count", 0) + 1
            root["reply_users"] = list(dict.fromkeys([*root.get("reply_users", []), message.get("user", "")]))
            root["reply_users_count"] = len(root["reply_users"])
            root["latest_reply"] = message["ts"]
        self._messages[channel_id].append(message)

    # --- Web API methods (params in, the fields after "ok": true out) ---------------------------

    def _auth_test(self, params: dict) -> dict:
        return {"url": TEAM_URL, "team": TEAM_NAME, "user": BOT_NAME, "team_id": TEAM_ID, "user_id": BOT_USER_ID,
                "bot_id": BOT_ID, "is_enterprise_install": False}

    def _chat_postMessage(self, params: dict) -> dict:
        channel = self._require_channel(params.get("channel"), direct_messages=True)
        if self._channels[channel].get("is_member") is False:
            raise _Refusal("not_in_channel")
        message = {"type": "message", "user": BOT_USER_ID, "bot_id": BOT_ID, "app_id": APP_ID, "team": TEAM_ID}
        message.update(_content(params, required=True))
        message["ts"] = self._next_ts()
        self._store(channel, message, params.get("thread_ts"), broadcast=_flag(params.get("reply_broadcast")))
        return {"channel": channel, "ts": message["ts"], "message": copy.deepcopy(message)}

    def _chat_update(self, params: dict) -> dict:
        channel = self._require_channel(params.get("channel"))
        message = self._find_message(channel, params.get("ts"))
        for key, value in _content(params, required=False).items():
            if key == "blocks" and not value:
                message.pop("blocks", None)  # an empty array removes the blocks
            else:
                message[key] = value
        message["edited"] = {"user": BOT_USER_ID, "ts": self._next_ts()}
        return {"channel": channel, "ts": message["ts"], "text": message.get("text", ""),
                "message": copy.deepcopy(message)}

    def _chat_postEphemeral(self, params: dict) -> dict:
        channel = self._require_channel(params.get("channel"))
        if not params.get("user"):
            raise _Refusal("user_not_in_channel")
        _content(params, required=True)
        message_ts = self._next_ts()
        self._ephemerals.append({**copy.deepcopy(params), "channel": channel, "message_ts": message_ts})
        return {"message_ts": message_ts}

    def _chat_getPermalink(self, params: dict) -> dict:
        channel = self._require_channel(params.get("channel"))
        message = self._find_message(channel, params.get("message_ts"))
        permalink = f"{TEAM_URL}archives/{channel}/p{message['ts'].replace('.', '')}"
        if message.get("thread_ts", message["ts"]) != message["ts"]:
            permalink += f"?thread_ts={message['thread_ts']}&cid={channel}"
        return {"channel": channel, "permalink": permalink}

    def _conversations_history(self, params: dict) -> dict:
        channel = self._require_channel(params.get("channel"))
        top = [m for m in self._messages.get(channel, []) if _top_level(m) and _in_window(m["ts"], params)]
        return _message_page(list(reversed(top)), params, newest_first=True)

    def _conversations_replies(self, params: dict) -> dict:
        channel = self._require_channel(params.get("channel"))
        message = self._find_message(channel, params.get("ts"), "thread_not_found")
        root_ts = message.get("thread_ts", message["ts"])
        thread = [m for m in self._messages[channel] if m["ts"] == root_ts or m.get("thread_ts") == root_ts]
        return _message_page([m for m in thread if _in_window(m["ts"], params)], params, newest_first=False)

    def _conversations_list(self, params: dict) -> dict:
        types = set(str(params.get("types") or "public_channel").split(","))
        wanted = [c for c in self._channels.values() if _conversation_type(c) in types
                  and not (c.get("is_archived") and _flag(params.get("exclude_archived")))]
        start = _decode_cursor(params.get("cursor"), "offset", "0")
        limit = _limit(params, 100)
        start = int(start) if start.isdigit() else 0
        more = start + limit < len(wanted)
        next_cursor = _encode_cursor("offset", str(start + limit)) if more else ""
        return {"channels": copy.deepcopy(wanted[start:start + limit]),
                "response_metadata": {"next_cursor": next_cursor}}

    def _conversations_info(self, params: dict) -> dict:
        return {"channel": copy.deepcopy(self._channels[self._require_channel(params.get("channel"))])}

    def _users_info(self, params: dict) -> dict:
        user = self._users.get(str(params.get("user", "")))
        if user is None:
            raise _Refusal("user_not_found")
        return {"user": copy.deepcopy(user)}

    def _views_open(self, params: dict) -> dict:
        if not params.get("trigger_id"):
            raise _Refusal("invalid_trigger_id")
        view = _view_object(params.get("view"))
        view_id = f"V{next(self._ids):08d}"
        view.update(id=view_id, root_view_id=view_id, previous_view_id=None, hash=f"{self._next_ts()}.{view_id}")
        self._views_by_id[view_id] = view
        self._views.append({**copy.deepcopy(params), "method": "views.open", "view": copy.deepcopy(view)})
        return {"view": copy.deepcopy(view)}

    def _views_update(self, params: dict) -> dict:
        if params.get("view_id"):
            current = self._views_by_id.get(params["view_id"])
        else:
            current = next((v for v in self._views_by_id.values()
                            if params.get("external_id") and v.get("external_id") == params["external_id"]), None)
        if current is None:
            raise _Refusal("not_found")
        if params.get("hash") and params["hash"] != current["hash"]:
            raise _Refusal("hash_conflict")
        view = _view_object(params.get("view"))
        view.update(id=current["id"], root_view_id=current["root_view_id"], previous_view_id=None,
                    hash=f"{self._next_ts()}.{current['id']}")
        self._views_by_id[current["id"]] = view
        self._views.append({**copy.deepcopy(params), "method": "views.update", "view": copy.deepcopy(view)})
        return {"view": copy.deepcopy(view)}

    def _views_publish(self, params: dict) -> dict:
        """Publish a user's home tab (docs.slack.dev/reference/methods/views.publish): a `home` view only."""
        user_id = str(params.get("user_id") or "")
        if user_id not in self._users:
            raise _Refusal("user_not_found")
        view = _view_object(params.get("view"))
        if view["type"] != "home":
            raise _Refusal("invalid_arguments", messages=["[ERROR] must be home [json-pointer:/view/type]"])
        current = self._homes.get(user_id)
        if params.get("hash") and current and params["hash"] != current["hash"]:
            raise _Refusal("hash_conflict")
        view_id = current["id"] if current else f"V{next(self._ids):08d}"
        view.update(id=view_id, root_view_id=view_id, previous_view_id=None, hash=f"{self._next_ts()}.{view_id}")
        self._homes[user_id] = view
        self._views.append({**copy.deepcopy(params), "method": "views.publish", "view": copy.deepcopy(view)})
        return {"view": copy.deepcopy(view)}

    _handlers: ClassVar[dict[str, Callable[[FakeSlack, dict], dict]]] = {
        "auth.test": _auth_test,
        "chat.postMessage": _chat_postMessage,
        "chat.update": _chat_update,
        "chat.postEphemeral": _chat_postEphemeral,
        "chat.getPermalink": _chat_getPermalink,
        "conversations.history": _conversations_history,
        "conversations.replies": _conversations_replies,
        "conversations.list": _conversations_list,
        "conversations.info": _conversations_info,
        "users.info": _users_info,
        "views.open": _views_open,
        "views.update": _views_update,
        "views.publish": _views_publish,
    }


# --- request parsing and payload shapes ---------------------------------------------------------


async def _read_params(request: web.Request) -> dict:
    """Query string plus a JSON or form body; JSON-in-a-string fields (blocks, metadata, view) decoded."""
    params: dict[str, Any] = dict(request.query)
    if request.method == "POST" and request.body_exists:
        if request.content_type == "application/json":
            body = json.loads(await request.text())
            if not isinstance(body, dict):
                raise ValueError("JSON body is not an object")
            params.update(body)
        else:
            form = await request.post()
            params.update({key: value for key, value in form.items() if isinstance(value, str)})
    for key in JSON_FIELDS:
        if isinstance(params.get(key), str):
            # A string that is not JSON is left as it is: the method answers invalid_blocks_format / invalid_metadata_format.
            with contextlib.suppress(ValueError):
                params[key] = json.loads(params[key])
    return params


def _bearer(request: web.Request) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def _flag(value: Any) -> bool:
    return value in (True, 1) or str(value).lower() in ("1", "true")


def _content(params: dict, *, required: bool) -> dict:
    """The validated text, blocks, attachments and metadata of a message (only the fields given)."""
    content: dict[str, Any] = {}
    if "text" in params:
        content["text"] = str(params["text"] or "")
        if len(content["text"]) > MESSAGE_TEXT:
            raise _Refusal("msg_too_long")
    if "blocks" in params:
        blocks = params["blocks"]
        if isinstance(blocks, str):
            raise _Refusal("invalid_blocks_format")
        problems = blocks_problems(blocks)
        if problems:
            raise _Refusal("invalid_blocks", messages=problems)
        content["blocks"] = blocks
    if params.get("attachments"):
        if not isinstance(params["attachments"], list):
            raise _Refusal("invalid_attachments")
        content["attachments"] = params["attachments"]
    if params.get("metadata"):
        metadata = params["metadata"]
        if not (isinstance(metadata, dict) and isinstance(metadata.get("event_type"), str) and metadata["event_type"]
                and isinstance(metadata.get("event_payload"), dict)):
            raise _Refusal("invalid_metadata_format")
        if metadata_too_large(metadata):
            raise _Refusal("metadata_too_large")
        content["metadata"] = {"event_type": metadata["event_type"], "event_payload": metadata["event_payload"]}
    if required and not (content.get("text") or content.get("blocks") or content.get("attachments")):
        raise _Refusal("no_text")
    if required:
        content.setdefault("text", "")
    return content


def _view_object(view: Any) -> dict:
    problems = view_problems(view)
    if problems:
        raise _Refusal("invalid_arguments", messages=problems)
    return {"team_id": TEAM_ID, "state": {"values": {}}, "private_metadata": "", "callback_id": "",
            "external_id": "", "clear_on_close": False, "notify_on_close": False, "app_id": APP_ID,
            "bot_id": BOT_ID, **copy.deepcopy(view)}


def _top_level(message: dict) -> bool:
    return message.get("thread_ts") in (None, message["ts"]) or message.get("subtype") == "thread_broadcast"


def _ts_key(ts: Any) -> tuple[int, int]:
    seconds, _, fraction = str(ts).partition(".")
    try:
        return int(seconds or 0), int((fraction or "0")[:6].ljust(6, "0"))
    except ValueError:
        raise _Refusal("invalid_ts_oldest") from None


def _in_window(ts: str, params: dict) -> bool:
    inclusive = _flag(params.get("inclusive"))
    key = _ts_key(ts)
    if params.get("oldest"):
        oldest = _ts_key(params["oldest"])
        if key < oldest or (key == oldest and not inclusive):
            return False
    if params.get("latest"):
        latest = _ts_key(params["latest"])
        if key > latest or (key == latest and not inclusive):
            return False
    return True


def _limit(params: dict, default: int) -> int:
    try:
        return max(1, min(MAX_LIMIT, int(params.get("limit") or default)))
    except (TypeError, ValueError):
        raise _Refusal("invalid_limit") from None


def _encode_cursor(kind: str, value: str) -> str:
    return base64.b64encode(f"{kind}:{value}".encode()).decode()


def _decode_cursor(cursor: Any, kind: str, default: str) -> str:
    if not cursor:
        return default
    try:
        found, _, value = base64.b64decode(str(cursor), validate=True).decode().partition(":")
    except ValueError:
        raise _Refusal("invalid_cursor") from None
    if found != kind or not value:
        raise _Refusal("invalid_cursor")
    return value


def _message_page(messages: list[dict], params: dict, *, newest_first: bool) -> dict:
    """One page of messages: an opaque cursor names the next message's ts, so new posts don't shift pages."""
    start_ts = _decode_cursor(params.get("cursor"), "next_ts", "")
    if start_ts:
        start = _ts_key(start_ts)
        messages = [m for m in messages if (_ts_key(m["ts"]) <= start if newest_first else _ts_key(m["ts"]) >= start)]
    limit = _limit(params, 100 if newest_first else 1000)
    page, rest = messages[:limit], messages[limit:]
    if not _flag(params.get("include_all_metadata")):
        page = [{k: v for k, v in m.items() if k != "metadata"} for m in page]
    next_cursor = _encode_cursor("next_ts", rest[0]["ts"]) if rest else ""
    return {"messages": copy.deepcopy(page), "has_more": bool(rest), "pin_count": 0,
            "response_metadata": {"next_cursor": next_cursor}}


def _conversation_type(conversation: dict) -> str:
    if conversation.get("is_im"):
        return "im"
    return "private_channel" if conversation.get("is_private") else "public_channel"


# --- file uploads: files.getUploadURLExternal, the upload URL, files.completeUploadExternal -------
# The flow of the SDK's files_upload_v2 (https://docs.slack.dev/reference/methods/files.getUploadURLExternal and
# https://docs.slack.dev/reference/methods/files.completeUploadExternal): a URL and a file id per file, the bytes
# POSTed to the URL (HTTP 200, or an error status), then one completion that shares the files, in a thread if
# thread_ts names a parent message. Files neither uploaded nor completed are not shared.
MAX_ALT_TXT = 1000  # getUploadURLExternal: alt_txt_too_large beyond it


def _get_upload_url(self: FakeSlack, params: dict) -> dict:
    if not params.get("filename"):
        raise _Refusal("invalid_arguments")
    try:
        length = int(params.get("length") or 0)
    except (TypeError, ValueError):
        raise _Refusal("invalid_arguments") from None
    if length <= 0:
        raise _Refusal("missing_argument")  # "typically only occurs when the length provided is 0"
    if len(str(params.get("alt_txt") or "")) > MAX_ALT_TXT:
        raise _Refusal("alt_txt_too_large")
    file_id = f"F{next(self._ids):08d}"
    self._pending_files()[file_id] = {"id": file_id, "name": str(params["filename"]), "length": length, "content": None}
    return {"upload_url": self.base_url.replace("/api/", f"/upload/{file_id}"), "file_id": file_id}


def _complete_upload(self: FakeSlack, params: dict) -> dict:
    files = params.get("files")
    if isinstance(files, str):
        try:
            files = json.loads(files)
        except ValueError:
            raise _Refusal("invalid_arguments") from None
    if not isinstance(files, list) or not files or not all(isinstance(f, dict) and f.get("id") for f in files):
        raise _Refusal("invalid_arguments")
    pending = self._pending_files()
    if any(pending.get(f["id"], {}).get("content") is None for f in files):
        raise _Refusal("file_not_found")  # no such id, or its bytes never reached the upload URL
    channel = self._require_channel(params["channel_id"]) if params.get("channel_id") else None
    thread_ts = params.get("thread_ts") if channel is not None else None
    if thread_ts:
        root = self._find_message(channel, thread_ts, "invalid_thread_ts")
        if root.get("thread_ts", root["ts"]) != root["ts"]:
            raise _Refusal("invalid_thread_ts")  # "never use a reply's ts value; use its parent instead"
    shared = []
    for f in files:
        stored = pending.pop(f["id"])
        shared.append({"id": stored["id"], "name": stored["name"], "title": f.get("title") or stored["name"],
                       "size": len(stored["content"]), "mimetype": _mimetype(stored["name"])})
        self._uploaded().append({**stored, "title": shared[-1]["title"], "channel": channel,
                                 "thread_ts": params.get("thread_ts"), "initial_comment": params.get("initial_comment")})
    if channel is not None:
        message = {"type": "message", "user": BOT_USER_ID, "bot_id": BOT_ID, "team": TEAM_ID, "upload": True,
                   "text": str(params.get("initial_comment") or ""), "files": copy.deepcopy(shared),
                   "ts": self._next_ts()}
        self._store(channel, message, thread_ts)
    return {"files": copy.deepcopy(shared)}


async def _upload_url(self: FakeSlack, request: web.Request) -> web.Response:
    content = await request.read()
    with self._lock:
        stored = self._pending_files().get(request.match_info["file_id"])
        if stored is None:
            return web.Response(status=404, text="no such upload")
        if len(content) != stored["length"]:
            return web.Response(status=400, text="length does not match the length given to getUploadURLExternal")
        stored["content"] = content
    return web.Response(text=f"OK - {len(content)}")


def _pending_files(self: FakeSlack) -> dict[str, dict]:
    return self.__dict__.setdefault("_files_pending", {})


def _uploaded(self: FakeSlack) -> list[dict]:
    return self.__dict__.setdefault("_files_uploaded", [])


def uploads(self: FakeSlack) -> list[dict]:
    """Files shared through completeUploadExternal: id, name, title, content (bytes), channel, thread_ts,
    initial_comment."""
    with self._lock:
        return copy.deepcopy(self._uploaded())


def _mimetype(name: str) -> str:
    return {"png": "image/png", "csv": "text/csv", "jsonl": "application/x-ndjson"}.get(name.rpartition(".")[2],
                                                                                      "application/octet-stream")


FakeSlack._pending_files = _pending_files
FakeSlack._uploaded = _uploaded
FakeSlack._upload_url = _upload_url
FakeSlack.uploads = property(uploads)
FakeSlack._handlers.update({"files.getUploadURLExternal": _get_upload_url,
                            "files.completeUploadExternal": _complete_upload})
