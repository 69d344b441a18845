"""Slack as a ChatPort: posting and updating conversation threads through the Web API.

The SDK's own retries are switched off: the outbox decides about retries, after asking
Slack whether an interrupted message already exists (message metadata carries its key).
"""
from __future__ import annotations

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.chat.slack.home import home_tab
from bot.chat.slack.render import METADATA_EVENT, conversation_blocks, incident_blocks, metadata, thread_blocks
from bot.ports import ChatError
from bot.views import Attachment, ChatRef, ConversationView, HomeView, IncidentView, Notice, ThreadMessage

# Errors that will not go away by trying again: the setup needs fixing.
PERMANENT = {
    "channel_not_found", "not_in_channel", "is_archived", "invalid_auth", "account_inactive", "token_revoked",
    "missing_scope", "not_authed", "invalid_blocks", "msg_too_long", "no_text", "message_not_found",
    "cant_update_message", "restricted_action", "invalid_metadata_format",
}
HINTS = {
    "not_in_channel": "invite the bot to the channel (/invite @socialdesk)",
    "channel_not_found": "check the channel in [[routes]] of socialdesk.toml and invite the bot",
    "invalid_auth": "check SLACK_BOT_TOKEN in .env",
    "missing_scope": "reinstall the app from slack-manifest.yml",
}


def make_client(token: str, base_url: str, timeout: int = 15) -> AsyncWebClient:
    client = AsyncWebClient(token=token, base_url=base_url, timeout=timeout)
    client.retry_handlers.clear()
    return client


class SlackChat:
    platform = "slack"

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client
        self._channel_ids: dict[str, str] = {}
        self._team_url: str | None = None

    async def post_conversation(self, channel: str, view: ConversationView, key: str) -> ChatRef:
        text, blocks = conversation_blocks(view)
        response = await self._call(
            "chat_postMessage", channel=await self.channel_id(channel), text=text, blocks=blocks,
            metadata=metadata(key, view.number), unfurl_links=False, unfurl_media=False,
        )
        return ChatRef(channel=response["channel"], thread_id=response["ts"])

    async def update_conversation(self, ref: ChatRef, view: ConversationView) -> None:
        text, blocks = conversation_blocks(view)
        await self._call("chat_update", channel=ref.channel, ts=ref.thread_id, text=text, blocks=blocks)

    async def post_incident(self, channel: str, view: IncidentView, key: str) -> ChatRef:
        text, blocks = incident_blocks(view)
        response = await self._call(
            "chat_postMessage", channel=await self.channel_id(channel), text=text, blocks=blocks,
            metadata=metadata(key, None), unfurl_links=False, unfurl_media=False,
        )
        return ChatRef(channel=response["channel"], thread_id=response["ts"])

    async def update_incident(self, ref: ChatRef, view: IncidentView) -> None:
        text, blocks = incident_blocks(view)
        await self._call("chat_update", channel=ref.channel, ts=ref.thread_id, text=text, blocks=blocks)

    async def post_in_thread(self, ref: ChatRef, message: ThreadMessage, key: str) -> str:
        return await self._post(ref.channel, message, key, thread_ts=ref.thread_id)

    async def update_in_thread(self, ref: ChatRef, message_id: str, message: ThreadMessage, key: str) -> None:
        text, blocks = thread_blocks(message)
        await self._call("chat_update", channel=ref.channel, ts=message_id, text=text, blocks=blocks)

    async def post_to_channel(self, channel: str, message: Notice, key: str) -> str:
        return await self._post(await self.channel_id(channel), message, key)

    async def _post(self, channel: str, message: ThreadMessage, key: str, thread_ts: str | None = None) -> str:
        text, blocks = thread_blocks(message)
        response = await self._call(
            "chat_postMessage", channel=channel, thread_ts=thread_ts, text=text, blocks=blocks,
            metadata=metadata(key, message.number), unfurl_links=False, unfurl_media=False,
        )
        return response["ts"]

    async def find_message(self, channel: str, thread_id: str | None, key: str) -> str | None:
        async for message in self._messages(channel, thread_id):
            meta = message.get("metadata") or {}
            if meta.get("event_type") == METADATA_EVENT and (meta.get("event_payload") or {}).get("key") == key:
                return message["ts"]
        return None

    async def _messages(self, channel: str, thread_id: str | None):
        """The messages of a thread (oldest first) or of a channel (newest first), with their metadata, page by page."""
        channel = await self.channel_id(channel)
        cursor = None
        while True:
            if thread_id:
                response = await self._call("conversations_replies", channel=channel, ts=thread_id,
                                            include_all_metadata=True, limit=200, cursor=cursor)
            else:
                response = await self._call("conversations_history", channel=channel, include_all_metadata=True,
                                            limit=200, cursor=cursor)
            for message in response.get("messages", []):
                yield message
            cursor = (response.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return

    async def tell(self, channel: str, user_id: str, text: str, thread_id: str | None = None,
                   blocks: list[dict] | None = None) -> None:
        """`blocks` (Slack only) add buttons to the answer, e.g. "Publish anyway" on a held reply."""
        await self._call("chat_postEphemeral", channel=channel, user=user_id, text=text, thread_ts=thread_id, blocks=blocks)

    async def publish_home(self, user_id: str, view: HomeView) -> None:
        """Draw `user_id`'s App Home tab."""
        await self.publish_home_view(user_id, home_tab(view, await self.team_url()))

    async def publish_home_view(self, user_id: str, view: dict) -> None:
        await self._call("views_publish", user_id=user_id, view=view)

    async def direct_message(self, user_id: str, text: str) -> None:
        """A message in the app's direct messages with `user_id` (where answers to App Home buttons go)."""
        await self._call("chat_postMessage", channel=user_id, text=text)

    async def team_url(self) -> str:
        """The workspace's address (https://acme.slack.com/), for message links."""
        if self._team_url is None:
            self._team_url = (await self._call("auth_test"))["url"]
        return self._team_url

    async def upload(self, channel: str, thread_id: str | None, files: tuple[Attachment, ...], comment: str) -> str:
        """The SDK's files_upload_v2: files.getUploadURLExternal per file, the bytes to each upload URL, then one
        files.completeUploadExternal that shares them all in the channel (the thread) under `comment`."""
        uploads = [{"content": file.content, "filename": file.name, "title": file.title or file.name} for file in files]
        response = await self._call("files_upload_v2", file_uploads=uploads, channel=await self.channel_id(channel),
                                    thread_ts=thread_id, initial_comment=comment)
        return ",".join(file["id"] for file in response.get("files", []))

    async def find_upload(self, channel: str, thread_id: str | None, name: str) -> str | None:
        async for message in self._messages(channel, thread_id):
            found = next((file["id"] for file in message.get("files") or [] if file.get("name") == name), None)
            if found:
                return found
        return None

    async def channel_id(self, channel: str) -> str:
        """Config may name a channel (#social); the API needs its id (C0123…)."""
        if not channel.startswith("#"):
            return channel
        if channel not in self._channel_ids:
            cursor = None
            while True:
                response = await self._call("conversations_list", types="public_channel,private_channel",
                                            exclude_archived=True, limit=1000, cursor=cursor)
                for item in response.get("channels", []):
                    self._channel_ids[f"#{item['name']}"] = item["id"]
                cursor = (response.get("response_metadata") or {}).get("next_cursor")
                if not cursor or channel in self._channel_ids:
                    break
        if channel not in self._channel_ids:
            raise ChatError(f"Slack channel {channel} not found: {HINTS['channel_not_found']}", retryable=False)
        return self._channel_ids[channel]

    async def _call(self, method: str, **kwargs) -> dict:
        kwargs = {k: v for k, v in kwargs.items() if v is not None}
        try:
            return (await getattr(self.client, method)(**kwargs)).data
        except SlackApiError as error:
            response = error.response
            code = response.get("error", "unknown_error") if isinstance(response.data, dict) else "unknown_error"
            if response.status_code == 429:
                retry_after = float(response.headers.get("Retry-After", response.headers.get("retry-after", 1)))
                raise ChatError(f"Slack rate limit on {method}", retry_after=retry_after) from None
            hint = f" ({HINTS[code]})" if code in HINTS else ""
            raise ChatError(f"Slack {method} failed: {code}{hint}", retryable=code not in PERMANENT) from None
        except (TimeoutError, aiohttp.ClientError, OSError) as error:
            raise ChatError(f"Slack {method} unreachable: {error!r}") from None
        except SlackClientError as error:  # an upload URL that refused the file's bytes
            raise ChatError(f"Slack {method} failed: {error}") from None
