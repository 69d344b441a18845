"""The chat port: what every chat platform package provides, and the error every platform call raises.

The desk, the SLA nudges, the suggestions and the delivery engine talk to chat only through
`ChatPort`; `bot/chat/slack/`, `bot/chat/discord/` and `bot/chat/console.py` implement it. What
they are asked to show are the neutral views of `bot/views.py`. Both the chat platforms' and the
networks' failures are `PlatformError`s, so the delivery engine decides about retries in one way.
"""
from __future__ import annotations

from typing import Protocol

from bot.views import Attachment, ChatRef, ConversationView, IncidentView, Notice, ThreadMessage


class PlatformError(Exception):
    """A call to a chat platform or a social network failed; `retryable` and `retry_after` say when to try again."""

    def __init__(self, message: str, *, retryable: bool = True, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after


class ChatError(PlatformError):
    """A chat platform call failed."""


class ChatPort(Protocol):
    platform: str

    async def post_conversation(self, channel: str, view: ConversationView, key: str) -> ChatRef:
        """Post the parent message; `key` is stored with it so `find_message` can see it later."""

    async def update_conversation(self, ref: ChatRef, view: ConversationView) -> None: ...

    async def post_incident(self, channel: str, view: IncidentView, key: str) -> ChatRef:
        """Post an incident's message at the top of `channel` (found again by `key` like a parent message)."""

    async def update_incident(self, ref: ChatRef, view: IncidentView) -> None:
        """Edit the incident's message in place."""

    async def post_in_thread(self, ref: ChatRef, message: ThreadMessage, key: str) -> str:
        """Post into the conversation's thread; returns the new message's id."""

    async def update_in_thread(self, ref: ChatRef, message_id: str, message: ThreadMessage, key: str) -> None:
        """Edit a message posted in the thread (an approval request once a lead decided: its buttons go); `key` is
        the one it was posted with."""

    async def post_to_channel(self, channel: str, message: Notice, key: str) -> str:
        """Post at the top level of `channel` (an escalation, the digest); returns the new message's id.
        `find_message(channel, None, key)` finds it after a crash."""

    async def find_message(self, channel: str, thread_id: str | None, key: str) -> str | None:
        """After a crash mid-send: the id of the message posted with `key`, if it exists."""

    async def tell(self, channel: str, user_id: str, text: str, thread_id: str | None = None) -> None:
        """A private (ephemeral) answer to one teammate, in the thread where they wrote if given."""

    async def upload(self, channel: str, thread_id: str | None, files: tuple[Attachment, ...], comment: str) -> str:
        """Share `files` (a chart, an export) in `channel`, in the thread of `thread_id` when given, under `comment`;
        returns an id of what was shared. A caller that must not share twice puts a ref in the file names and asks
        `find_upload` after a crash."""

    async def find_upload(self, channel: str, thread_id: str | None, name: str) -> str | None:
        """After a crash mid-upload: the id of a file named `name` already shared there, if any."""
