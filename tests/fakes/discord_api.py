"""A local server that answers like Discord: the REST API v10 and the gateway, for the real discord.py client.

Point discord.py at it with `bot.chat.discord.point_at(fake.api_url, fake.gateway_url)`. It keeps one
server (guild) with roles, members, text and forum channels, threads and messages; records every
REST call; speaks the gateway (HELLO, IDENTIFY → READY + GUILD_CREATE, heartbeats) and sends the
events Discord would (MESSAGE_CREATE, THREAD_CREATE, INTERACTION_CREATE); takes interaction
callbacks (a message, an edit of the message whose button was pressed, a modal checked as Discord
checks it) and followups, and edits the original response; and misbehaves on demand: 429s (per
route or global) with Retry-After, missing permissions, a Message Content intent that is not
enabled, a global request limit.

    async with FakeDiscord() as fake:          # on the running event loop
        ...
    with FakeDiscord.in_thread() as fake:      # own loop in a daemon thread (code under test in a subprocess)
        ...

Shapes follow discord/discord-api-docs (resources/message, resources/channel, interactions/receiving-
and-responding, components/reference, topics/gateway, topics/rate-limits): errors are {"code", "message"[, "errors"]};
a 429 carries Retry-After, X-RateLimit-* and Via headers and {"message", "retry_after", "global"}.
Messages are stored as the REST API returns them. Mentions are computed as Discord does: from the
content only (never from embeds), filtered by allowed_mentions (everything when it is absent).
"""
from __future__ import annotations

import asyncio
import copy
import itertools
import json
import re
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple, Self

from aiohttp import WSMsgType, web

from tests.fakes.discord_limits import message_errors, modal_errors, thread_name_errors
from tests.fakes.network_server import LocalServer

TOKEN = "fake-discord-bot-token.0123456789"
DISCORD_EPOCH_MS = 1_420_070_400_000
FIRST_ID_MS = 1_793_610_000_000  # 2026-11-02: every new id is a millisecond later
GUILD_TEXT, GUILD_FORUM, PUBLIC_THREAD = 0, 15, 11
MESSAGE, THINKING, DEFERRED_UPDATE, UPDATE, MODAL = 4, 5, 6, 7, 9  # interaction callback types
EPHEMERAL, LOADING = 1 << 6, 1 << 7  # message flags
MESSAGE_CONTENT_INTENT = 1 << 15
NONCE_WINDOW = 300.0  # seconds Discord remembers an enforced nonce ("the past few minutes")
PERMISSION_BITS = {"view": 1 << 10, "send": 1 << 11, "send_in_threads": 1 << 38, "create_threads": 1 << 35,
                   "history": 1 << 16, "react": 1 << 6, "attach": 1 << 15}
_USER_MENTION = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION = re.compile(r"<@&(\d+)>")
_EVERYONE = re.compile(r"@(everyone|here)\b")


MAX_REQUEST_BYTES = 32 * 1024 * 1024


class Call(NamedTuple):
    method: str
    path: str
    body: Any
    query: dict
    at: float


@dataclass
class _Fault:
    status: int
    code: int
    message: str
    times: int
    retry_after: float | None = None
    is_global: bool = False


class _Refusal(Exception):
    def __init__(self, status: int, code: int, message: str, *, errors: dict | None = None, headers: dict | None = None,
                 body: dict | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = body or {"code": code, "message": message, **({"errors": errors} if errors else {})}
        self.headers = headers or {}


class FakeDiscord(LocalServer):
    """Discord on 127.0.0.1, an ephemeral port: `api_url` (…/api/v10) and `gateway_url` (ws://…/gateway)."""

    def __init__(self, token: str = TOKEN, *, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.token = token
        self.api_url = self.gateway_url = ""
        self.message_content_enabled = True  # the privileged intent, as toggled in the Developer Portal
        self.application_flags = 1 << 19  # GATEWAY_MESSAGE_CONTENT_LIMITED: the intent is on for an unverified app
        self.global_limit: int | None = None  # requests per second before a global 429 (Discord: 50)
        self._clock = clock
        self._lock = threading.RLock()
        self._ms = itertools.count(FIRST_ID_MS)
        self.application_id = self.new_id()
        self.bot = self._user(self.new_id(), "socialdesk", bot=True)
        self.guild_id = self.new_id()
        self.guild_name = "Acme Community"
        self._roles: dict[str, dict] = {}
        self._members: dict[str, dict] = {}
        self._channels: dict[str, dict] = {}
        self._messages: dict[str, list[dict]] = defaultdict(list)  # channel id -> messages, oldest first
        self._nonces: dict[tuple[str, str], tuple[dict, float]] = {}
        self._denied: dict[str, set[str]] = defaultdict(set)
        self._faults: dict[str, deque[_Fault]] = defaultdict(deque)
        self._recent: deque[float] = deque()
        self._commands: list[dict] = []
        self._callbacks: dict[str, list[dict]] = defaultdict(list)  # interaction token -> callback bodies
        self._followups: dict[str, list[dict]] = defaultdict(list)  # interaction token -> messages
        self._interactions: dict[str, tuple[str, str]] = {}  # interaction id -> (token, channel id)
        self._pressed: dict[str, str] = {}  # interaction token -> id of the message whose button was pressed
        self._originals: dict[str, dict] = {}  # interaction token -> its original response (what @original edits)
        self._answers: dict[str, dict] = {}  # message id -> a message sent through an interaction (ephemeral ones too)
        self._sockets: list[web.WebSocketResponse] = []
        self._identified: list[dict] = []
        self._gateway_closes: list[int] = []
        self._seq = itertools.count(1)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._roles[self.guild_id] = self._role(self.guild_id, "@everyone", position=0)
        self.add_member(self.bot["id"], "socialdesk", bot=True)
        self.owner_id = self.add_member(name="owner")

    # --- set-up ---------------------------------------------------------------------------------

    def new_id(self) -> str:
        """A snowflake: later ids are larger, and their timestamp part is a real time."""
        return str((next(self._ms) - DISCORD_EPOCH_MS) << 22)

    def add_role(self, name: str, *, mentionable: bool = False) -> str:
        with self._lock:
            role_id = self.new_id()
            self._roles[role_id] = self._role(role_id, name, position=len(self._roles), mentionable=mentionable)
            return role_id

    def add_member(self, user_id: str | None = None, name: str = "someone", *, roles: tuple[str, ...] = (),
                   nick: str | None = None, bot: bool = False) -> str:
        """A member of the server; `roles` by id or name. Returns the user id."""
        with self._lock:
            user_id = user_id or self.new_id()
            role_ids = [self._role_id(role) for role in roles]
            self._members[user_id] = {
                "user": self._user(user_id, name, bot=bot), "nick": nick, "roles": role_ids, "avatar": None,
                "banner": None, "joined_at": _iso(FIRST_ID_MS), "premium_since": None, "deaf": False, "mute": False,
                "flags": 0, "pending": False, "communication_disabled_until": None,
            }
            return user_id

    def add_channel(self, name: str, kind: int = GUILD_TEXT) -> str:
        """A text (0) or forum (15) channel; returns its id."""
        with self._lock:
            channel_id = self.new_id()
            channel = {"id": channel_id, "type": kind, "guild_id": self.guild_id, "name": name, "position": len(self._channels),
                       "permission_overwrites": [], "parent_id": None, "nsfw": False, "topic": None,
                       "rate_limit_per_user": 0, "last_message_id": None, "flags": 0}
            if kind == GUILD_FORUM:
                channel.update(available_tags=[], default_reaction_emoji=None, default_sort_order=None,
                               default_forum_layout=0, default_thread_rate_limit_per_user=0)
            self._channels[channel_id] = channel
            return channel_id

    def deny(self, channel_id: str, permission: str) -> None:
        """Take a permission from the bot in one channel (and its threads): view, send, send_in_threads,
        create_threads, history, react. The channel gets the member overwrite Discord would show for it."""
        with self._lock:
            self._denied[channel_id].add(permission)
            denied = sum(PERMISSION_BITS[p] for p in self._denied[channel_id])
            overwrites = [o for o in self._channels[channel_id]["permission_overwrites"] if o["id"] != self.bot["id"]]
            overwrites.append({"id": self.bot["id"], "type": 1, "allow": "0", "deny": str(denied)})
            self._channels[channel_id]["permission_overwrites"] = overwrites

    def archive(self, thread_id: str, *, locked: bool = False) -> None:
        with self._lock:
            self._channels[thread_id]["thread_metadata"].update(archived=True, locked=locked)

    def forget_nonces(self) -> None:
        """As if Discord's few minutes of nonce memory had passed."""
        with self._lock:
            self._nonces.clear()

    # --- fault injection ------------------------------------------------------------------------

    def rate_limit(self, route: str, *, retry_after: float = 1.0, times: int = 1, is_global: bool = False) -> None:
        """The next `times` calls to `route` ("POST /channels/{id}/messages", ids written as {id}) get a 429."""
        with self._lock:
            self._faults[route].append(_Fault(429, 0, "You are being rate limited.", times, retry_after, is_global))

    def fail(self, route: str, *, status: int, code: int, message: str, times: int = 1) -> None:
        with self._lock:
            self._faults[route].append(_Fault(status, code, message, times))

    # --- what was recorded ----------------------------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        return self.received.all()

    def calls_to(self, route: str) -> list[Call]:
        """Calls whose route ("POST /channels/{id}/messages") matches."""
        return self.received.where(lambda call: _route_of(call.method, call.path) == route)

    @property
    def errors(self) -> list[tuple[str, str, int, int]]:
        """(method, path, status, code) of every call that was refused."""
        return self.refused.all()

    @property
    def commands(self) -> list[dict]:
        with self._lock:
            return copy.deepcopy(self._commands)

    @property
    def identified(self) -> list[dict]:
        """The IDENTIFY payloads received on the gateway."""
        with self._lock:
            return copy.deepcopy(self._identified)

    @property
    def gateway_closes(self) -> list[int]:
        with self._lock:
            return list(self._gateway_closes)

    def channel(self, channel_id: str) -> dict:
        with self._lock:
            return copy.deepcopy(self._channels[channel_id])

    def threads(self, parent_id: str) -> list[dict]:
        """Threads of a channel (forum posts or threads on messages), oldest first."""
        with self._lock:
            return copy.deepcopy([c for c in self._channels.values() if c.get("parent_id") == parent_id])

    def messages(self, channel_id: str) -> list[dict]:
        """Messages of a channel or thread, oldest first, as the REST API returns them."""
        with self._lock:
            return copy.deepcopy(self._messages.get(channel_id, []))

    def message_event(self, message: dict) -> dict:
        """The MESSAGE_CREATE payload of a stored message: with guild_id and its author's `member` (without `user`)."""
        with self._lock:
            return self._event_message(message, self._members[message["author"]["id"]])

    def callbacks(self, token: str) -> list[dict]:
        """Interaction responses (type 5 deferred, 9 modal...) sent for the interaction with `token`."""
        with self._lock:
            return copy.deepcopy(self._callbacks.get(token, []))

    def followups(self, token: str) -> list[dict]:
        """Followup messages of the interaction with `token`, as they are now (edits included)."""
        with self._lock:
            return copy.deepcopy(self._followups.get(token, []))

    def original(self, token: str) -> dict | None:
        """The interaction's original response as it is now: the message a type 4 or 5 callback created, or for a
        button, the message the button is on (which callbacks 6 and 7 and PATCH …/@original edit)."""
        with self._lock:
            return copy.deepcopy(self._originals.get(token))

    # --- running --------------------------------------------------------------------------------

    async def start(self) -> Self:
        app = web.Application(client_max_size=MAX_REQUEST_BYTES)  # files beyond aiohttp's 1 MiB reach the checks
        app.router.add_post(r"/api/v10/{path:channels/\d+/messages}", self._message_with_files)  # before the rest
        app.router.add_route("*", "/api/v10/{path:.*}", self._rest)
        app.router.add_get("/gateway", self._gateway)
        port = await self._serve(app, access_log=None, shutdown_timeout=1.0)
        self.api_url = f"http://127.0.0.1:{port}/api/v10"
        self.gateway_url = f"ws://127.0.0.1:{port}/gateway"
        self._loop = asyncio.get_running_loop()
        return self

    async def stop(self) -> None:
        for socket in list(self._sockets):
            await socket.close()
        await super().stop()

    # --- what people do in Discord (sent over the gateway) ---------------------------------------

    async def send_event(self, event: str, data: dict) -> None:
        """Dispatch a gateway event (op 0) to every identified connection."""
        for socket in list(self._sockets):
            if not socket.closed:
                await socket.send_str(json.dumps({"op": 0, "t": event, "s": next(self._seq), "d": data}))

    async def interact(self, payload: dict) -> str:
        """Send an INTERACTION_CREATE; returns the interaction's token (to read its callbacks and followups)."""
        with self._lock:
            self._interactions[payload["id"]] = (payload["token"], payload["channel_id"])
            if payload.get("message"):
                self._pressed[payload["token"]] = payload["message"]["id"]
        await self.send_event("INTERACTION_CREATE", payload)
        return payload["token"]

    async def user_says(self, user_id: str, channel_id: str, content: str, **extra: Any) -> dict:
        """A member posts a message (stored, then sent as MESSAGE_CREATE with `member`); returns the message.
        `extra` fields (attachments, sticker_items...) go into the message as they are."""
        with self._lock:
            member = self._members[user_id]
            message = self._new_message(channel_id, member["user"], {"content": content}, required=not extra)
            message.update(copy.deepcopy(extra))
            event = self._event_message(message, member)
        await self.send_event("MESSAGE_CREATE", event)
        return copy.deepcopy(message)

    def command(self, user_id: str, name: str, channel_id: str, **options: Any) -> dict:
        """An INTERACTION_CREATE payload for a chat-input command (type 2); options by name (int or str)."""
        registered = next((c for c in self.commands if c["name"] == name), None)
        data = {"id": registered["id"] if registered else self.new_id(), "name": name, "type": 1, "guild_id": self.guild_id,
                "options": [{"name": k, "type": 4 if isinstance(v, int) else 3, "value": v} for k, v in options.items()]}
        return self._interaction(2, user_id, channel_id, data)

    def button(self, user_id: str, message: dict, custom_id: str) -> dict:
        """A button press (type 3) on `message` (as stored: in a channel, or an answer to an interaction)."""
        data = {"custom_id": custom_id, "component_type": 2}
        return self._interaction(3, user_id, message["channel_id"], data, message=message)

    def modal_submit(self, user_id: str, channel_id: str, custom_id: str, values: dict[str, str | bool]) -> dict:
        """A modal submit (type 5) of a modal built from labels, as Discord sends it: each field in a label (18), a text
        input (4) for a string value, a checkbox (23) for a boolean."""
        ids = itertools.count(1)
        labels = [{"type": 18, "id": next(ids), "component": {"type": 23 if isinstance(value, bool) else 4, "id": next(ids),
                                                              "custom_id": key, "value": value}}
                  for key, value in values.items()]
        return self._interaction(5, user_id, channel_id, {"custom_id": custom_id, "components": labels})

    # --- the REST API ---------------------------------------------------------------------------

    async def _rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["path"]
        body: Any = None
        if request.body_exists:
            text = await request.text()
            try:
                body = json.loads(text) if text else None
            except ValueError:
                body = text
        with self._lock:
            self.received.add(Call(request.method, path, copy.deepcopy(body), dict(request.query), self._clock()))
            status, answer, headers = self._answer(request, path, body)
            if status >= 400:
                self.refused.add((request.method, path, status, answer.get("code", 0)))
        headers = {"X-RateLimit-Limit": "50", "X-RateLimit-Remaining": "49", "X-RateLimit-Reset-After": "1.0",
                   "X-RateLimit-Reset": f"{time.time() + 1:.3f}", "X-RateLimit-Bucket": _bucket(request.method, path),
                   "Via": "1.1 google", **headers}
        if status == 204:
            return web.Response(status=204, headers=headers)
        # exactly "application/json", as Discord sends it: discord.py reads any other content type as text
        return web.Response(status=status, body=json.dumps(answer).encode(),
                            headers={**headers, "Content-Type": "application/json"})

    def _answer(self, request: web.Request, path: str, body: Any) -> tuple[int, Any, dict]:
        route = _route_of(request.method, path)
        try:
            webhook = route.startswith(("POST /interactions/", "POST /webhooks/", "PATCH /webhooks/", "GET /webhooks/"))
            if not webhook and request.headers.get("Authorization") != f"Bot {self.token}":
                raise _Refusal(401, 0, "401: Unauthorized")
            self._take_fault(route)
            self._count_global()
            for pattern, handler in _ROUTES:
                match = pattern.fullmatch(f"{request.method} {path}")
                if match:
                    result = handler(self, body if isinstance(body, dict | list) else {}, dict(request.query), *match.groups())
                    return (204, None, {}) if result is None else (200, result, {})
            raise _Refusal(404, 0, "404: Not Found")
        except _Refusal as refusal:
            return refusal.status, refusal.body, refusal.headers

    def _take_fault(self, route: str) -> None:
        faults = self._faults.get(route)
        if not faults:
            return
        fault = faults[0]
        fault.times -= 1
        if fault.times <= 0:
            faults.popleft()
        if fault.status == 429:
            raise _rate_limited(fault.retry_after, fault.is_global)
        raise _Refusal(fault.status, fault.code, fault.message)

    def _count_global(self) -> None:
        """Discord's global limit: more than `global_limit` requests in one second get a global 429."""
        if self.global_limit is None:
            return
        now = self._clock()
        while self._recent and now - self._recent[0] >= 1.0:
            self._recent.popleft()
        if len(self._recent) >= self.global_limit:
            raise _rate_limited(1.0 - (now - self._recent[0]), True)
        self._recent.append(now)

    # routes: (self, body, query, *path ids) -> JSON answer, or None for 204

    def _get_me(self, body, query) -> dict:
        return copy.deepcopy(self.bot)

    def _get_application(self, body, query) -> dict:
        return {"id": self.application_id, "name": "socialdesk", "icon": None, "description": "", "bot_public": False,
                "bot_require_code_grant": False, "owner": self._user(self.new_id(), "owner"), "verify_key": "0" * 64,
                "flags": self.application_flags, "bot": copy.deepcopy(self.bot), "summary": "", "team": None,
                "interactions_endpoint_url": None, "redirect_uris": [], "install_params": None}

    def _get_gateway_bot(self, body, query) -> dict:
        return {"url": self.gateway_url, "shards": 1,
                "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}}

    def _put_commands(self, body, query, application_id, guild_id) -> list:
        self._require_guild(guild_id)
        self._commands = [{**command, "id": self.new_id(), "application_id": application_id, "guild_id": guild_id,
                           "version": self.new_id(), "default_member_permissions": None, "type": command.get("type", 1)}
                          for command in body]
        return copy.deepcopy(self._commands)

    def _get_guild(self, body, query, guild_id) -> dict:
        self._require_guild(guild_id)
        return self._guild(full=False)

    def _get_guild_channels(self, body, query, guild_id) -> list:
        self._require_guild(guild_id)
        return [copy.deepcopy(c) for c in self._channels.values() if c["type"] != PUBLIC_THREAD]

    def _get_roles(self, body, query, guild_id) -> list:
        self._require_guild(guild_id)
        return copy.deepcopy(list(self._roles.values()))

    def _get_member(self, body, query, guild_id, user_id) -> dict:
        self._require_guild(guild_id)
        if user_id not in self._members:
            raise _Refusal(404, 10007, "Unknown Member")
        return copy.deepcopy(self._members[user_id])

    def _get_active_threads(self, body, query, guild_id) -> dict:
        self._require_guild(guild_id)
        active = [copy.deepcopy(c) for c in self._channels.values()
                  if c["type"] == PUBLIC_THREAD and not c["thread_metadata"]["archived"]]
        return {"threads": active, "members": []}

    def _get_channel(self, body, query, channel_id) -> dict:
        return copy.deepcopy(self._visible(channel_id))

    def _patch_channel(self, body, query, channel_id) -> dict:
        channel = self._visible(channel_id)
        if "archived" in body and channel["type"] == PUBLIC_THREAD:
            meta = channel["thread_metadata"]
            if meta["locked"] and not body["archived"]:
                raise _Refusal(403, 50013, "Missing Permissions")
            meta["archived"] = bool(body["archived"])
            meta["archive_timestamp"] = _iso_now()
        return copy.deepcopy(channel)

    def _get_messages(self, body, query, channel_id) -> list:
        self._require(channel_id, "history")
        self._visible(channel_id)
        messages = list(reversed(self._messages.get(channel_id, [])))
        if query.get("before"):
            messages = [m for m in messages if int(m["id"]) < int(query["before"])]
        limit = max(1, min(100, int(query.get("limit", 50))))
        return copy.deepcopy(messages[:limit])

    def _get_message(self, body, query, channel_id, message_id) -> dict:
        self._require(channel_id, "history")
        return copy.deepcopy(self._find_message(channel_id, message_id))

    def _post_message(self, body, query, channel_id) -> dict:
        channel = self._visible(channel_id)
        if channel["type"] == GUILD_FORUM:
            raise _Refusal(400, 40058, "Cannot send messages in a forum channel")
        if channel["type"] == PUBLIC_THREAD:
            self._require(channel["parent_id"], "send_in_threads")
            meta = channel["thread_metadata"]
            if meta["locked"]:
                raise _Refusal(403, 160005, "Thread is locked")
            meta["archived"] = False  # sending a message unarchives a thread
        else:
            self._require(channel_id, "send")
        nonce = body.get("nonce")
        if nonce is not None and body.get("enforce_nonce"):
            earlier = self._nonces.get((self.bot["id"], str(nonce)))
            if earlier and self._clock() - earlier[1] < NONCE_WINDOW:
                return copy.deepcopy(earlier[0])
        message = self._new_message(channel_id, self.bot, body)
        if nonce is not None:
            message["nonce"] = nonce
            if body.get("enforce_nonce"):
                self._nonces[(self.bot["id"], str(nonce))] = (message, self._clock())
        self._later(self.send_event("MESSAGE_CREATE", self._event_message(message, self._members[self.bot["id"]])))
        answer = copy.deepcopy(message)
        message.pop("nonce", None)  # the nonce is only in the answer and the event, never stored
        return answer

    def _patch_message(self, body, query, channel_id, message_id) -> dict:
        channel = self._visible(channel_id)
        if channel["type"] == PUBLIC_THREAD and channel["thread_metadata"]["archived"]:
            raise _Refusal(400, 50083, "Thread is archived")
        message = self._find_message(channel_id, message_id)
        if message["author"]["id"] != self.bot["id"]:
            raise _Refusal(403, 50005, "Cannot edit a message authored by another user")
        self._edit(message, body)
        return copy.deepcopy(message)

    def _post_thread_from_message(self, body, query, channel_id, message_id) -> dict:
        channel = self._visible(channel_id)
        self._require(channel_id, "create_threads")
        if channel["type"] != GUILD_TEXT:
            raise _Refusal(400, 50024, "Cannot execute action on this channel type")
        message = self._find_message(channel_id, message_id)
        if message.get("thread"):
            raise _Refusal(400, 160004, "A thread has already been created for this message")
        thread = self._new_thread(channel_id, body, thread_id=message_id)
        message["thread"] = copy.deepcopy(thread)
        return copy.deepcopy(thread)

    def _post_forum_thread(self, body, query, channel_id) -> dict:
        channel = self._visible(channel_id)
        if channel["type"] != GUILD_FORUM:
            raise _Refusal(400, 50024, "Cannot execute action on this channel type")
        self._require(channel_id, "send")
        thread = self._new_thread(channel_id, body, thread_id=self.new_id())
        message = self._new_message(thread["id"], self.bot, body.get("message") or {}, message_id=thread["id"])
        self._later(self.send_event("MESSAGE_CREATE", self._event_message(message, self._members[self.bot["id"]])))
        return {**copy.deepcopy(thread), "message": copy.deepcopy(message)}

    def _put_reaction(self, body, query, channel_id, message_id, emoji) -> None:
        self._require(channel_id, "react")
        message = self._find_message(channel_id, message_id)
        reaction = next((r for r in message.setdefault("reactions", []) if r["emoji"]["name"] == emoji), None)
        if reaction is None:
            message["reactions"].append({"count": 1, "me": True, "emoji": {"id": None, "name": emoji}})
        return None

    def _interaction_callback(self, body, query, interaction_id, token) -> dict | None:
        if self._interactions.get(interaction_id, ("",))[0] != token:
            raise _Refusal(404, 10062, "Unknown interaction")
        if self._callbacks[token]:
            raise _Refusal(400, 40060, "Interaction has already been acknowledged.")
        kind, data = body.get("type"), body.get("data") or {}
        channel_id = self._interactions[interaction_id][1]
        if kind == MODAL:
            _check_modal(data)
        elif kind in (MESSAGE, THINKING):
            content = _content(data, required=kind == MESSAGE)
            message = self._build_message(self.new_id(), channel_id, self.bot, content, data.get("allowed_mentions"))
            message["flags"] = data.get("flags", 0) | (LOADING if kind == THINKING else 0)
            self._originals[token] = self._answers[message["id"]] = message
        elif kind in (DEFERRED_UPDATE, UPDATE):
            pressed = self._pressed.get(token)
            if pressed is None:
                raise _Refusal(400, 40004, "Interaction is not a message component interaction")
            message = self._answers.get(pressed) or self._find_message(channel_id, pressed)
            if kind == UPDATE:
                self._edit(message, data)
            self._originals[token] = message
        self._callbacks[token].append(body)
        if query.get("with_response") not in ("1", "true", "True"):
            return None
        return {"interaction": {"id": interaction_id, "type": 2, "response_message_loading": kind == THINKING,
                                "response_message_ephemeral": bool(data.get("flags", 0) & EPHEMERAL)}}

    def _post_followup(self, body, query, application_id, token) -> dict:
        channel_id = next((channel for known, channel in self._interactions.values() if known == token), None)
        if channel_id is None or not self._callbacks.get(token):
            raise _Refusal(404, 10015, "Unknown Webhook")  # a followup needs the interaction answered first
        message = self._build_message(self.new_id(), channel_id, self.bot, _content(body, required=True),
                                      body.get("allowed_mentions"))
        message["flags"] = body.get("flags", 0)
        message["webhook_id"] = application_id
        self._followups[token].append(message)
        self._answers[message["id"]] = message
        return copy.deepcopy(message)

    def _patch_original(self, body, query, application_id, token) -> dict:
        if token not in self._originals:
            raise _Refusal(404, 10008, "Unknown Message")  # nothing answered yet (or a modal, which is no message)
        message = self._originals[token]
        self._edit(message, body)
        return copy.deepcopy(message)

    def _get_original(self, body, query, application_id, token) -> dict:
        if token not in self._originals:
            raise _Refusal(404, 10008, "Unknown Message")  # never answered (or answered with a modal)
        return copy.deepcopy(self._originals[token])

    def _edit(self, message: dict, body: dict) -> None:
        """Edit a message as PATCH does: only the fields given change; mentions are worked out again."""
        message.update(_content(body, required=False))
        message["mentions"], message["mention_roles"], message["mention_everyone"] = self._mentions(
            message.get("content", ""), body.get("allowed_mentions"))
        message["edited_timestamp"] = _iso_now()

    # --- the gateway ----------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        await socket.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 41250}, "s": None, "t": None}))
        async for frame in socket:
            if frame.type != WSMsgType.TEXT:
                continue
            message = json.loads(frame.data)
            if message.get("op") == 1:
                await socket.send_str(json.dumps({"op": 11}))
            elif message.get("op") == 2:
                await self._identify(socket, message["d"])
            elif message.get("op") == 6:  # RESUME: this fake keeps no sessions
                await socket.send_str(json.dumps({"op": 9, "d": False}))
        if socket in self._sockets:
            self._sockets.remove(socket)
        return socket

    async def _identify(self, socket: web.WebSocketResponse, identify: dict) -> None:
        with self._lock:
            self._identified.append(identify)
            if identify.get("token") != self.token:
                self._gateway_closes.append(4004)
                await socket.close(code=4004, message=b"Authentication failed.")
                return
            if identify.get("intents", 0) & MESSAGE_CONTENT_INTENT and not self.message_content_enabled:
                self._gateway_closes.append(4014)
                await socket.close(code=4014, message=b"Disallowed intent(s).")
                return
            ready = {"v": 10, "user": copy.deepcopy(self.bot), "guilds": [{"id": self.guild_id, "unavailable": True}],
                     "session_id": f"session-{self.new_id()}", "resume_gateway_url": self.gateway_url,
                     "shard": [0, 1], "application": {"id": self.application_id, "flags": self.application_flags},
                     "private_channels": [], "relationships": [], "presences": [], "user_settings": {}}
            guild = self._guild(full=True)
        self._sockets.append(socket)
        await socket.send_str(json.dumps({"op": 0, "t": "READY", "s": next(self._seq), "d": ready}))
        await socket.send_str(json.dumps({"op": 0, "t": "GUILD_CREATE", "s": next(self._seq), "d": guild}))

    # --- payload shapes -------------------------------------------------------------------------

    @staticmethod
    def _user(user_id: str, name: str, *, bot: bool = False) -> dict:
        user = {"id": user_id, "username": name, "discriminator": "0", "global_name": name.title(), "avatar": None,
                "public_flags": 0, "flags": 0, "banner": None, "accent_color": None, "avatar_decoration_data": None}
        if bot:
            user["bot"] = True
        return user

    @staticmethod
    def _role(role_id: str, name: str, *, position: int, mentionable: bool = False) -> dict:
        return {"id": role_id, "name": name, "color": 0, "colors": {"primary_color": 0}, "hoist": False, "icon": None,
                "unicode_emoji": None, "position": position, "permissions": "1071698660929", "managed": False,
                "mentionable": mentionable, "flags": 0}

    def _role_id(self, role: str) -> str:
        if role in self._roles:
            return role
        return next(r["id"] for r in self._roles.values() if r["name"] == role)

    def _guild(self, *, full: bool) -> dict:
        guild = {"id": self.guild_id, "name": self.guild_name, "icon": None, "splash": None, "discovery_splash": None,
                 "owner_id": self.owner_id, "afk_channel_id": None, "afk_timeout": 300,
                 "verification_level": 1, "default_message_notifications": 1, "explicit_content_filter": 2,
                 "roles": copy.deepcopy(list(self._roles.values())), "emojis": [], "features": ["COMMUNITY"],
                 "mfa_level": 0, "application_id": None, "system_channel_id": None, "system_channel_flags": 0,
                 "rules_channel_id": None, "vanity_url_code": None, "description": None, "banner": None,
                 "premium_tier": 0, "preferred_locale": "en-US", "public_updates_channel_id": None, "nsfw_level": 0,
                 "stickers": [], "premium_progress_bar_enabled": False}
        if full:
            guild.update({
                "joined_at": _iso(FIRST_ID_MS), "large": False, "unavailable": False, "member_count": len(self._members),
                "voice_states": [], "members": [copy.deepcopy(self._members[self.bot["id"]])],
                "channels": [copy.deepcopy(c) for c in self._channels.values() if c["type"] != PUBLIC_THREAD],
                "threads": [copy.deepcopy(c) for c in self._channels.values()
                            if c["type"] == PUBLIC_THREAD and not c["thread_metadata"]["archived"]],
                "presences": [], "stage_instances": [], "guild_scheduled_events": [], "soundboard_sounds": [],
            })
        return guild

    def _interaction(self, kind: int, user_id: str, channel_id: str, data: dict, message: dict | None = None) -> dict:
        with self._lock:
            member = {**copy.deepcopy(self._members[user_id]), "permissions": "2248473465835073"}
            channel = copy.deepcopy(self._channels[channel_id])
        payload = {
            "id": self.new_id(), "application_id": self.application_id, "type": kind, "data": data,
            "guild_id": self.guild_id, "guild": {"id": self.guild_id, "locale": "en-US", "features": ["COMMUNITY"]},
            "channel_id": channel_id, "channel": channel, "member": member, "token": f"interaction-token-{self.new_id()}",
            "version": 1, "app_permissions": "2248473465835073", "locale": "en-US", "guild_locale": "en-US",
            "entitlements": [], "authorizing_integration_owners": {"0": self.guild_id}, "context": 0,
            "attachment_size_limit": 10485760,
        }
        if message is not None:
            payload["message"] = message
        return payload

    def _new_message(self, channel_id: str, author: dict, body: dict, *, message_id: str | None = None,
                     required: bool = True) -> dict:
        channel = self._channels[channel_id]
        message = self._build_message(message_id or self.new_id(), channel_id, author, _content(body, required=required),
                                      body.get("allowed_mentions"))
        if body.get("message_reference"):
            message["type"] = 19
            message["message_reference"] = {"type": 0, "channel_id": channel_id, "guild_id": self.guild_id,
                                            **body["message_reference"]}
        if channel["type"] == PUBLIC_THREAD:
            message["position"] = channel["total_message_sent"]
            channel["message_count"] += 1
            channel["total_message_sent"] += 1
        channel["last_message_id"] = message["id"]
        self._messages[channel_id].append(message)
        return message

    def _build_message(self, message_id: str, channel_id: str, author: dict, content: dict, allowed: dict | None) -> dict:
        mentions, roles, everyone = self._mentions(content.get("content", ""), allowed)
        return {"id": message_id, "channel_id": channel_id, "author": copy.deepcopy(author), "content": "", "embeds": [],
                "components": [], **content, "timestamp": _iso(_id_ms(message_id)), "edited_timestamp": None,
                "tts": False, "mention_everyone": everyone, "mentions": mentions, "mention_roles": roles,
                "attachments": [], "pinned": False, "type": 0, "flags": 0}

    def _mentions(self, content: str, allowed: dict | None) -> tuple[list[dict], list[str], bool]:
        """Who a message pings, as Discord decides: mentions in the content that allowed_mentions permits."""
        parse = set(allowed.get("parse", [])) if allowed else {"users", "roles", "everyone"}
        users = {str(u) for u in allowed.get("users", [])} if allowed else set()  # snowflakes as strings or numbers
        roles = {str(r) for r in allowed.get("roles", [])} if allowed else set()
        user_ids = [u for u in dict.fromkeys(_USER_MENTION.findall(content)) if "users" in parse or u in users]
        role_ids = [r for r in dict.fromkeys(_ROLE_MENTION.findall(content)) if "roles" in parse or r in roles]
        mentioned = [copy.deepcopy(self._members[u]["user"]) for u in user_ids if u in self._members]
        return mentioned, role_ids, bool(_EVERYONE.search(content)) and "everyone" in parse

    def _event_message(self, message: dict, member: dict) -> dict:
        event = {**copy.deepcopy(message), "guild_id": self.guild_id,
                 "member": {k: v for k, v in copy.deepcopy(member).items() if k != "user"}}
        return event

    def _new_thread(self, parent_id: str, body: dict, *, thread_id: str) -> dict:
        name = str(body.get("name") or "")
        if errors := thread_name_errors(name):
            raise _Refusal(400, 50035, "Invalid Form Body", errors=errors)
        thread = {"id": thread_id, "type": PUBLIC_THREAD, "guild_id": self.guild_id, "parent_id": parent_id,
                  "owner_id": self.bot["id"], "name": name, "last_message_id": None, "message_count": 0,
                  "member_count": 1, "rate_limit_per_user": 0, "flags": 0, "total_message_sent": 0,
                  "thread_metadata": {"archived": False, "auto_archive_duration": body.get("auto_archive_duration", 4320),
                                      "archive_timestamp": _iso_now(), "locked": False, "create_timestamp": _iso_now()}}
        if self._channels[parent_id]["type"] == GUILD_FORUM:
            thread["applied_tags"] = body.get("applied_tags", [])
        self._channels[thread_id] = thread
        self._later(self.send_event("THREAD_CREATE", {**copy.deepcopy(thread), "newly_created": True}))
        return thread

    def _later(self, coroutine: Coroutine) -> None:
        """Send a gateway event after the REST answer, as Discord does (on the server's own loop)."""
        assert self._loop is not None
        self._loop.call_soon_threadsafe(lambda: self._loop.create_task(coroutine))

    def _find_message(self, channel_id: str, message_id: str) -> dict:
        self._visible(channel_id)
        for message in self._messages.get(channel_id, []):
            if message["id"] == message_id:
                return message
        raise _Refusal(404, 10008, "Unknown Message")

    def _visible(self, channel_id: str) -> dict:
        channel = self._channels.get(channel_id)
        if channel is None:
            raise _Refusal(404, 10003, "Unknown Channel")
        self._require(channel.get("parent_id") or channel_id, "view", code=50001, message="Missing Access")
        return channel

    def _require(self, channel_id: str, permission: str, code: int = 50013, message: str = "Missing Permissions") -> None:
        channel = self._channels.get(channel_id, {})
        where = channel.get("parent_id") or channel_id
        if permission in self._denied.get(where, set()):
            raise _Refusal(403, code, message)

    def _require_guild(self, guild_id: str) -> None:
        if guild_id != self.guild_id:
            raise _Refusal(404, 10004, "Unknown Guild")


_ROUTES: list[tuple[re.Pattern, Callable]] = [(re.compile(pattern), handler) for pattern, handler in [
    (r"GET /users/@me", FakeDiscord._get_me),
    (r"GET /oauth2/applications/@me", FakeDiscord._get_application),
    (r"GET /gateway/bot", FakeDiscord._get_gateway_bot),
    (r"PUT /applications/(\d+)/guilds/(\d+)/commands", FakeDiscord._put_commands),
    (r"GET /guilds/(\d+)", FakeDiscord._get_guild),
    (r"GET /guilds/(\d+)/channels", FakeDiscord._get_guild_channels),
    (r"GET /guilds/(\d+)/roles", FakeDiscord._get_roles),
    (r"GET /guilds/(\d+)/members/(\d+)", FakeDiscord._get_member),
    (r"GET /guilds/(\d+)/threads/active", FakeDiscord._get_active_threads),
    (r"GET /channels/(\d+)", FakeDiscord._get_channel),
    (r"PATCH /channels/(\d+)", FakeDiscord._patch_channel),
    (r"GET /channels/(\d+)/messages", FakeDiscord._get_messages),
    (r"POST /channels/(\d+)/messages", FakeDiscord._post_message),
    (r"GET /channels/(\d+)/messages/(\d+)", FakeDiscord._get_message),
    (r"PATCH /channels/(\d+)/messages/(\d+)", FakeDiscord._patch_message),
    (r"POST /channels/(\d+)/messages/(\d+)/threads", FakeDiscord._post_thread_from_message),
    (r"POST /channels/(\d+)/threads", FakeDiscord._post_forum_thread),
    (r"PUT /channels/(\d+)/messages/(\d+)/reactions/([^/]+)/@me", FakeDiscord._put_reaction),
    (r"POST /interactions/(\d+)/([^/]+)/callback", FakeDiscord._interaction_callback),
    (r"POST /webhooks/(\d+)/([^/]+)", FakeDiscord._post_followup),
    (r"PATCH /webhooks/(\d+)/([^/]+)/messages/@original", FakeDiscord._patch_original),
    (r"GET /webhooks/(\d+)/([^/]+)/messages/@original", FakeDiscord._get_original),
]]
def _content(body: dict, *, required: bool) -> dict:
    """The validated content, embeds and components of a message body (only the fields given), as Discord checks them."""
    errors = message_errors(body)
    if errors:
        raise _Refusal(400, 50035, "Invalid Form Body", errors=errors)
    content: dict[str, Any] = {}
    if body.get("content") is not None:
        content["content"] = str(body["content"])
    if "embeds" in body:
        content["embeds"] = [{"type": "rich", **{k: v for k, v in e.items() if k != "flags"}} for e in body["embeds"] or []]
    if "components" in body:
        content["components"] = body["components"] or []
    if required and not (content.get("content") or content.get("embeds") or content.get("components")):
        raise _Refusal(400, 50006, "Cannot send an empty message")
    return content


def _check_modal(data: dict) -> None:
    errors = modal_errors(data)
    if errors:
        raise _Refusal(400, 50035, "Invalid Form Body", errors=errors)


def _rate_limited(retry_after: float | None, is_global: bool) -> _Refusal:
    retry_after = max(0.0, retry_after or 1.0)
    headers = {"Retry-After": f"{retry_after:.3f}", "X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "0",
               "X-RateLimit-Reset-After": f"{retry_after:.3f}", "X-RateLimit-Scope": "global" if is_global else "user",
               "Via": "1.1 google"}
    if is_global:
        headers["X-RateLimit-Global"] = "true"
    return _Refusal(429, 0, "You are being rate limited.", headers=headers,
                    body={"message": "You are being rate limited.", "retry_after": retry_after, "global": is_global})


def _route_of(method: str, path: str) -> str:
    """'POST /channels/123/messages' -> 'POST /channels/{id}/messages' (ids, tokens and emoji as {id})."""
    path = re.sub(r"/\d{5,}", "/{id}", path)
    path = re.sub(r"/(interactions|webhooks)/\{id\}/[^/]+", r"/\1/{id}/{id}", path)
    path = re.sub(r"/reactions/[^/]+/", "/reactions/{id}/", path)
    return f"{method} {path}"


def _bucket(method: str, path: str) -> str:
    return f"fake-{abs(hash(_route_of(method, path))) % 10**8:08d}"


def _id_ms(snowflake: str) -> int:
    return (int(snowflake) >> 22) + DISCORD_EPOCH_MS


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat()


def _iso_now() -> str:
    return datetime.now(UTC).isoformat()


# --- messages with files: multipart/form-data with payload_json and files[n] ----------------------
# https://discord.com/developers/docs/reference#uploading-files: each file is a part named files[n], the JSON body
# goes in a part named payload_json (its `attachments` may describe them by id n); a message carries at most 10
# attachments (resources/message, Create Message), and each file at most the default upload limit of 10 MiB, else
# 413 / 40005 "Request entity too large". Attaching needs the Attach Files permission (50013 without it).
MAX_FILES, MAX_FILE_BYTES = 10, 10 * 1024 * 1024


async def _message_with_files(self: FakeDiscord, request: web.Request) -> web.Response:
    if not request.content_type.startswith("multipart/"):
        return await self._rest(request)
    channel_id = request.match_info["path"].split("/")[1]
    payload: dict = {}
    files: list[tuple[int, str, bytes]] = []
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if part.name == "payload_json":
            payload = json.loads(await part.text())
        elif part.name and part.name.startswith("files["):
            files.append((int(part.name[6:-1]), part.filename or "", bytes(await part.read())))
    path = f"/channels/{channel_id}/messages"
    with self._lock:
        recorded = {**copy.deepcopy(payload), "files": [(n, name, len(data)) for n, name, data in files]}
        self.received.add(Call("POST", path, recorded, dict(request.query), self._clock()))
        status, answer = self._attach(channel_id, payload, files, request.headers.get("Authorization"))
        if status >= 400:
            self.refused.add(("POST", path, status, answer.get("code", 0)))
    return web.Response(status=status, body=json.dumps(answer).encode(), headers={"Content-Type": "application/json"})


def _attach(self: FakeDiscord, channel_id: str, payload: dict, files: list, authorization: str | None) -> tuple[int, dict]:
    try:
        if authorization != f"Bot {self.token}":
            raise _Refusal(401, 0, "401: Unauthorized")
        self._take_fault("POST /channels/{id}/messages")
        self._visible(channel_id)
        self._require(channel_id, "attach")
        if len(files) > MAX_FILES:
            raise _Refusal(400, 50035, "Invalid Form Body", errors={"files": {"_errors": [
                {"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 10 or fewer in length."}]}})
        if any(len(data) > MAX_FILE_BYTES for _, _, data in files):
            raise _Refusal(413, 40005, "Request entity too large")
        described = {str(a.get("id")): a for a in payload.get("attachments") or []}
        if payload.get("content") or payload.get("embeds") or not files:
            answer = self._post_message(payload, {}, channel_id)
        else:  # files alone make a message too
            answer = copy.deepcopy(self._new_message(channel_id, self.bot, payload, required=False))
        attachments = [{"id": self.new_id(), "filename": name, "size": len(data),
                        "description": described.get(str(n), {}).get("description"),
                        "url": f"{self.api_url}/attachments/{channel_id}/{name}", "content_type": _content_type(name)}
                       for n, name, data in files]
        stored = self._find_message(channel_id, answer["id"])
        stored["attachments"] = attachments
        self._files().extend({"channel_id": channel_id, "message_id": answer["id"], "filename": name, "content": data,
                              "description": a["description"]} for (_, name, data), a in zip(files, attachments, strict=True))
        return 200, {**answer, "attachments": copy.deepcopy(attachments)}
    except _Refusal as refusal:
        return refusal.status, refusal.body


def _files(self: FakeDiscord) -> list[dict]:
    return self.__dict__.setdefault("_uploaded_files", [])


def uploads(self: FakeDiscord) -> list[dict]:
    """Files attached to messages: channel_id, message_id, filename, content (bytes), description."""
    with self._lock:
        return copy.deepcopy(self._files())


def _content_type(name: str) -> str:
    return {"png": "image/png", "csv": "text/csv"}.get(name.rpartition(".")[2], "application/octet-stream")


FakeDiscord._message_with_files = _message_with_files
FakeDiscord._attach = _attach
FakeDiscord._files = _files
FakeDiscord.uploads = property(uploads)
