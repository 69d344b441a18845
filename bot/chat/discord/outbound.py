"""Discord as a ChatPort: conversations as forum posts or threads, over discord.py's REST client.

A conversation is a thread whose id is also its first message's id: a forum post (created with
its first message in one call) or a thread started on a message in a text channel. The route
may name the style; otherwise the channel's kind decides.

Delivery is exactly-once with the outbox's help: every message is sent with a nonce
(`enforce_nonce`: Discord returns the earlier message instead of a second one for a few
minutes) and carries its key's digest in the embed footer, which `find_message` looks for in
the channel's or thread's recent messages after a crash. Rate limits: discord.py reads the
rate-limit headers and waits before a bucket runs dry; every call here also takes a token
from a bucket kept under Discord's global 50 requests per second; a 429 that would need a
long wait becomes a ChatError with `retry_after`, which pauses only that channel in the outbox.
"""
from __future__ import annotations

import asyncio
import io
import logging

import aiohttp
import discord
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.chat.discord.render import (
    THREAD_NAME_LIMIT,
    allowed_mentions,
    answer_chunks,
    conversation_message,
    incident_message,
    is_conversation_parent,
    ref,
    ref_of,
    thread_message,
    thread_name,
)
from bot.delivery.pace import TokenBucket
from bot.ports import ChatError
from bot.settings import DiscordConfig
from bot.views import Attachment, ChatRef, ConversationView, EscalationSummary, IncidentView, Notice, ThreadMessage

log = logging.getLogger(__name__)
FORUM_TYPES = {15, 16}  # GUILD_FORUM, GUILD_MEDIA: every message is a post (a thread)
TEXT_TYPES = {0, 5}  # GUILD_TEXT, GUILD_ANNOUNCEMENT: threads start on a message
ARCHIVE_AFTER = 10080  # minutes of inactivity before Discord hides a thread from the channel list (7 days)
REQUEST_BURST = 5
SCAN_PAGES = 10  # find_message reads at most 1,000 recent messages of a channel or thread
SCAN_POSTS = 50  # ...and the first message of at most 50 of the bot's newest open forum posts
ARCHIVED_THREAD, THREAD_EXISTS = 50083, 160004
HINTS = {
    50001: "the bot cannot see the channel: give it View Channel and Read Message History there",
    50013: "give the bot the {needs} permission in that channel (Server Settings → Roles, or the channel's Permissions)",
    10003: "the channel or thread is gone: check [[routes]] in socialdesk.toml",
    10004: "the server is gone or the bot was removed from it: check [discord] guild_id and invite the bot again",
    10008: "the message is gone (deleted in Discord)",
    160005: "the thread is locked: a moderator must unlock it",
    40058: "that is a forum channel: set style = \"forum\" on the route",
    40067: "the forum requires a tag on every post: turn off 'Require people to select tags when posting' in its settings",
}


class DiscordError(ChatError):
    """Discord refused a call; `code` is Discord's JSON error code (50013: missing permissions...)."""

    def __init__(self, message: str, *, code: int, retryable: bool) -> None:
        super().__init__(message, retryable=retryable)
        self.code = code


def point_at(api_url: str, gateway_url: str) -> None:
    """Send discord.py's REST calls and gateway connection elsewhere (a proxy, or a fake Discord in tests)."""
    Route.BASE = api_url.rstrip("/")
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)


class DiscordChat:
    platform = "discord"

    def __init__(self, client: discord.Client, config: DiscordConfig, styles: dict[str, str] | None = None) -> None:
        """`client` must be logged in before the first call; `styles` maps a routed channel to "forum" or "thread"."""
        self.client = client
        self.guild_id = config.guild_id
        self.pace = config.pace  # the outbox paces each routed channel with it
        self._styles = styles or {}
        # any one second sees at most requests_per_second + REQUEST_BURST calls (40 + 5 by default, under Discord's 50)
        self._requests = TokenBucket(config.requests_per_second, REQUEST_BURST)
        self._channel_ids: dict[str, str] = {}
        self._forums: dict[str, bool] = {}  # channel id -> is a forum

    # --- the ChatPort ----------------------------------------------------------------------------

    async def post_conversation(self, channel: str, view: ConversationView, key: str) -> ChatRef:
        channel_id = await self.channel_id(channel)
        payload = conversation_message(view, key)
        if await self._is_forum(channel_id, declared=self._styles.get(channel)):
            return ChatRef(channel_id, await self._create_post(channel_id, thread_name(view), payload))
        message = await self._send(channel_id, payload, key, "Send Messages")
        await self._start_thread(channel_id, message["id"], thread_name(view))
        return ChatRef(channel_id, message["id"])

    async def update_conversation(self, ref: ChatRef, view: ConversationView) -> None:
        payload = conversation_message(view, None)
        in_channel = ref.thread_id if await self._is_forum(ref.channel) else ref.channel
        route = Route("PATCH", "/channels/{channel_id}/messages/{message_id}", channel_id=in_channel,
                      message_id=ref.thread_id)
        body = {k: payload[k] for k in ("embeds", "components", "allowed_mentions")}
        try:
            await self._call("edit the conversation's first message", "Send Messages", route, json=body)
        except DiscordError as error:
            if error.code != ARCHIVED_THREAD:
                raise
            await self._call("reopen the archived thread", "Send Messages in Threads", Route(
                "PATCH", "/channels/{channel_id}", channel_id=ref.thread_id), json={"archived": False})
            await self._call("edit the conversation's first message", "Send Messages", route, json=body)

    async def post_incident(self, channel: str, view: IncidentView, key: str) -> ChatRef:
        channel_id = await self.channel_id(channel)
        payload = incident_message(view, key)
        if await self._is_forum(channel_id):
            return ChatRef(channel_id, await self._create_post(channel_id, f"Incident I{view.number}", payload))
        return ChatRef(channel_id, (await self._send(channel_id, payload, key, "Send Messages"))["id"])

    async def update_incident(self, ref: ChatRef, view: IncidentView) -> None:
        payload = incident_message(view, None)
        in_channel = ref.thread_id if await self._is_forum(ref.channel) else ref.channel
        route = Route("PATCH", "/channels/{channel_id}/messages/{message_id}", channel_id=in_channel,
                      message_id=ref.thread_id)
        await self._call("edit the incident's message", "Send Messages", route,
                         json={k: payload[k] for k in ("embeds", "components", "allowed_mentions") if k in payload})

    async def post_in_thread(self, ref: ChatRef, message: ThreadMessage, key: str) -> str:
        return (await self._send(ref.thread_id, thread_message(message, key), key, "Send Messages in Threads"))["id"]

    async def update_in_thread(self, ref: ChatRef, message_id: str, message: ThreadMessage, key: str) -> None:
        payload = thread_message(message, key)
        route = Route("PATCH", "/channels/{channel_id}/messages/{message_id}", channel_id=ref.thread_id,
                      message_id=message_id)
        await self._call("edit a message in the thread", "Send Messages in Threads", route,
                         json={k: payload[k] for k in ("embeds", "components", "allowed_mentions")})

    async def post_to_channel(self, channel: str, message: Notice | EscalationSummary, key: str) -> str:
        channel_id = await self.channel_id(channel)
        payload = thread_message(message, key)
        if await self._is_forum(channel_id):
            title = message.text if isinstance(message, Notice) else f"#{message.number} escalated: {message.reason}"
            return await self._create_post(channel_id, " ".join(title.split())[:THREAD_NAME_LIMIT] or "socialdesk", payload)
        return (await self._send(channel_id, payload, key, "Send Messages"))["id"]

    async def find_message(self, channel: str, thread_id: str | None, key: str) -> str | None:
        digest = ref(key)
        if thread_id:
            found = await self._scan(thread_id, digest)
            return found["id"] if found else None
        channel_id = await self.channel_id(channel)
        if await self._is_forum(channel_id):
            return await self._find_forum_post(channel_id, digest)
        found = await self._scan(channel_id, digest)
        if found is None:
            return None
        if is_conversation_parent(found) and not found.get("thread"):
            # The process died between the message and its thread: finish the job.
            await self._start_thread(channel_id, found["id"], found["embeds"][0].get("title") or "socialdesk")
        return found["id"]

    async def tell(self, channel: str, user_id: str, text: str, thread_id: str | None = None) -> None:
        """Discord has no ephemeral messages outside interactions: answer in the thread, pinging only that person."""
        await self.answer(thread_id or await self.channel_id(channel), user_id, text)

    async def upload(self, channel: str, thread_id: str | None, files: tuple[Attachment, ...], comment: str) -> str:
        """One message with the files attached (multipart: payload_json and files[n], as discord.py sends them): in
        the forum post `thread_id`, or in a text channel as a reply to the message `thread_id`."""
        channel_id = await self.channel_id(channel)
        target = thread_id if thread_id and await self._is_forum(channel_id) else channel_id
        reply = {"message_reference": {"message_id": thread_id, "fail_if_not_exists": False}} \
            if thread_id and target == channel_id else {}
        params = discord.http.handle_message_parameters(
            content=comment[:2000], allowed_mentions=discord.AllowedMentions.none(), **reply,
            files=[discord.File(io.BytesIO(f.content), filename=f.name, description=f.title or None) for f in files])
        with params:
            message = await self._call("attach a file", "Attach Files", Route(
                "POST", "/channels/{channel_id}/messages", channel_id=target), files=params.files, form=params.multipart)
        return message["id"]

    async def find_upload(self, channel: str, thread_id: str | None, name: str) -> str | None:
        channel_id = await self.channel_id(channel)
        target = thread_id if thread_id and await self._is_forum(channel_id) else channel_id
        found = await self._scan_for(target, lambda m: any(a.get("filename") == name for a in m.get("attachments", [])))
        return found["id"] if found else None

    # --- beyond the ChatPort ---------------------------------------------------------------------

    async def answer(self, channel_id: str, user_id: str, text: str, reply_to: str | None = None,
                     components: list[dict] | None = None) -> None:
        """Tell one person something where they wrote, as a reply to their message if given; nobody else is pinged.
        `components` (buttons) go under the last message."""
        chunks = answer_chunks(text, prefix=f"<@{user_id}> ")
        for index, chunk in enumerate(chunks):
            body = {"content": chunk,
                    "allowed_mentions": allowed_mentions(users=(user_id,))}
            if reply_to and index == 0:
                body["message_reference"] = {"message_id": reply_to, "fail_if_not_exists": False}
            if components and index == len(chunks) - 1:
                body["components"] = components
            await self._call("answer in the thread", "Send Messages in Threads", Route(
                "POST", "/channels/{channel_id}/messages", channel_id=channel_id), json=body)

    async def interaction_answered(self, application_id: str, token: str) -> bool:
        """Whether an interaction was acknowledged (its original answer exists); False once its token expired."""
        try:
            await self.client.http.request(Route("GET", "/webhooks/{application_id}/{token}/messages/@original",
                                                 application_id=application_id, token=token))
        except discord.NotFound:
            return False
        except discord.HTTPException as error:
            raise _chat_error(error, "look up an interaction", "nothing") from None
        return True

    async def late_answer(self, application_id: str, token: str, text: str) -> None:
        """An ephemeral follow-up to an interaction answered late (after a restart)."""
        for chunk in answer_chunks(text):
            await self._call("answer a command", "nothing", Route(
                "POST", "/webhooks/{application_id}/{token}", application_id=application_id, token=token),
                json={"content": chunk, "flags": discord.MessageFlags(ephemeral=True).value,
                      "allowed_mentions": allowed_mentions()})

    async def react(self, channel_id: str, message_id: str, emoji: str) -> None:
        await self._call("add a reaction", "Add Reactions", Route(
            "PUT", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me",
            channel_id=channel_id, message_id=message_id, emoji=emoji))

    async def channel_id(self, channel: str) -> str:
        """Config may name a channel (#social-desk); the API needs its id."""
        if not channel.startswith("#"):
            return channel
        if channel not in self._channel_ids:
            channels = await self._call("list the server's channels", "View Channels", Route(
                "GET", "/guilds/{guild_id}/channels", guild_id=self.guild_id))
            for item in channels:
                self._channel_ids.setdefault(f"#{item['name']}", item["id"])
                self._forums[item["id"]] = item["type"] in FORUM_TYPES
        if channel not in self._channel_ids:
            raise ChatError(f"Discord channel {channel} not found in server {self.guild_id}: check [[routes]] in "
                            "socialdesk.toml and that the bot can see the channel (View Channels)", retryable=False)
        return self._channel_ids[channel]

    # --- helpers ---------------------------------------------------------------------------------

    @property
    def bot_user_id(self) -> str:
        return str(self.client.user.id)

    async def _is_forum(self, channel_id: str, declared: str | None = None) -> bool:
        if channel_id not in self._forums:
            channel = await self._call("read the channel", "View Channels", Route(
                "GET", "/channels/{channel_id}", channel_id=channel_id))
            if channel["type"] not in FORUM_TYPES | TEXT_TYPES:
                raise ChatError(f"Discord channel {channel.get('name', channel_id)} cannot hold conversations: route them "
                                "to a forum channel or a text channel", retryable=False)
            self._forums[channel_id] = channel["type"] in FORUM_TYPES
        forum = self._forums[channel_id]
        if declared and declared != ("forum" if forum else "thread"):
            kind = "a forum" if forum else "a text channel"
            raise ChatError(f"the route's style is {declared!r} but Discord channel {channel_id} is {kind}: set style = "
                            f"\"{'forum' if forum else 'thread'}\" on the route, or route to another channel", retryable=False)
        return forum

    async def _create_post(self, forum_id: str, name: str, payload: dict) -> str:
        """A forum post: the thread and its first message in one call (which takes no nonce); returns its id."""
        post = await self._call("create a forum post", "Send Messages", Route(
            "POST", "/channels/{channel_id}/threads", channel_id=forum_id),
            json={"name": name[:THREAD_NAME_LIMIT], "auto_archive_duration": ARCHIVE_AFTER, "message": payload})
        return post["id"]

    async def _send(self, channel_id: str, payload: dict, key: str, needs: str) -> dict:
        return await self._call("send a message", needs, Route("POST", "/channels/{channel_id}/messages", channel_id=channel_id),
                                json={**payload, "nonce": ref(key), "enforce_nonce": True})

    async def _start_thread(self, channel_id: str, message_id: str, name: str) -> None:
        try:
            await self._call("start the conversation's thread", "Create Public Threads", Route(
                "POST", "/channels/{channel_id}/messages/{message_id}/threads", channel_id=channel_id, message_id=message_id),
                json={"name": name[:THREAD_NAME_LIMIT], "auto_archive_duration": ARCHIVE_AFTER})
        except DiscordError as error:
            if error.code != THREAD_EXISTS:
                raise

    async def _scan(self, channel_id: str, digest: str) -> dict | None:
        """The bot's message with `digest` in its footer among the channel's latest messages, newest first."""
        return await self._scan_for(channel_id, lambda message: ref_of(message) == digest)

    async def _scan_for(self, channel_id: str, wanted) -> dict | None:
        """The newest of the bot's messages among the channel's latest for which `wanted(message)` is true."""
        before = None
        for _ in range(SCAN_PAGES):
            params = {"limit": 100, **({"before": before} if before else {})}
            page = await self._call("read the message history", "Read Message History", Route(
                "GET", "/channels/{channel_id}/messages", channel_id=channel_id), params=params)
            for message in page:
                if message["author"]["id"] == self.bot_user_id and wanted(message):
                    return message
            if len(page) < 100:
                return None
            before = page[-1]["id"]
        return None

    async def _find_forum_post(self, forum_id: str, digest: str) -> str | None:
        """Forum posts have no channel history: read the first message of the bot's newest open posts."""
        active = await self._call("list the open threads", "Read Message History", Route(
            "GET", "/guilds/{guild_id}/threads/active", guild_id=self.guild_id))
        mine = sorted((t["id"] for t in active.get("threads", [])
                       if t.get("parent_id") == forum_id and t.get("owner_id") == self.bot_user_id), key=int, reverse=True)
        for thread_id in mine[:SCAN_POSTS]:
            try:
                first = await self._call("read a forum post", "Read Message History", Route(
                    "GET", "/channels/{channel_id}/messages/{message_id}", channel_id=thread_id, message_id=thread_id))
            except DiscordError as error:
                if error.code == 10008:
                    continue  # a post whose first message was deleted
                raise
            if ref_of(first) == digest:
                return thread_id
        return None

    async def _call(self, what: str, needs: str, route: Route, **kwargs):
        """One REST call, paced under the global limit; failures become ChatErrors that say what to do."""
        await self._take_request_token()
        try:
            return await self.client.http.request(route, **kwargs)
        except discord.RateLimited as limited:
            raise ChatError(f"Discord rate limit when trying to {what}", retry_after=limited.retry_after) from None
        except discord.HTTPException as error:
            raise _chat_error(error, what, needs) from None
        except (TimeoutError, aiohttp.ClientError, OSError) as error:
            raise ChatError(f"Discord unreachable when trying to {what}: {error!r}") from None

    async def _take_request_token(self) -> None:
        loop = asyncio.get_running_loop()
        while wait := self._requests.wait_time(loop.time()):
            await asyncio.sleep(wait)
        self._requests.take()


def _chat_error(error: discord.HTTPException, what: str, needs: str) -> ChatError:
    """Discord's answer as a ChatError: the code, what it means, and whether trying again can help."""
    if error.status == 429:
        retry_after = float(error.response.headers.get("Retry-After", 1))
        return ChatError(f"Discord rate limit when trying to {what}", retry_after=retry_after)
    hint = HINTS.get(error.code, "").format(needs=needs)
    if error.status == 401:
        hint = "DISCORD_BOT_TOKEN was refused: copy the bot's token again (Developer Portal → Bot → Reset Token)"
    detail = f"{error.status} {error.text or 'no details'}" + (f" (code {error.code})" if error.code else "")
    return DiscordError(f"Discord refused to {what}: {detail}" + (f"; {hint}" if hint else ""), code=error.code,
                        retryable=error.status >= 500 or error.status == 408)
