"""The chat contract: what every chat platform module provides, and the neutral views it renders.

Adapters receive views built from the database at delivery time, so a message always shows
the conversation as it is now. Every text that came from the internet is marked untrusted
here by type (`CustomerPost.text`), and each adapter escapes it for its platform.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class ChatRef:
    """Where a conversation lives in chat: a channel and the parent message / thread id."""

    channel: str
    thread_id: str


@dataclass(frozen=True)
class ConversationView:
    number: int
    network: str
    author_handle: str
    author_name: str
    url: str
    text: str
    language: str
    sentiment: str
    intent: str
    priority: str
    status: str
    due_at: datetime | None
    owner_name: str | None
    owner_chat_id: str | None
    has_pii: bool
    suggestion: str | None = None
    snoozed_until: datetime | None = None


@dataclass(frozen=True)
class CustomerPost:
    """A later post of the customer, shown in the conversation's thread."""

    number: int
    author_handle: str
    url: str
    text: str
    has_pii: bool


@dataclass(frozen=True)
class Suggestions:
    number: int
    texts: tuple[str, ...]  # may be empty: nothing fits, or the post looks like spam
    source: str  # "offline" or the model's name
    offline_reason: str | None = None  # why the model was not used, when one is configured


@dataclass(frozen=True)
class Notice:
    """A short message of the bot's own: in a thread (published, claimed, an SLA nudge...) or a channel (the digest)."""

    text: str
    mention_chat_id: str | None = None  # the owner
    link: str | None = None
    mention_group_id: str | None = None  # the on-call group (Slack user group S…, Discord role) when nobody owns it


ThreadMessage = CustomerPost | Suggestions | Notice


class ChatError(Exception):
    """A chat platform call failed; `retryable` and `retry_after` say when to try again."""

    def __init__(self, message: str, *, retryable: bool = True, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after


class ChatPort(Protocol):
    platform: str

    async def post_conversation(self, channel: str, view: ConversationView, key: str) -> ChatRef:
        """Post the parent message; `key` is stored with it so `find_message` can see it later."""

    async def update_conversation(self, ref: ChatRef, view: ConversationView) -> None: ...

    async def post_in_thread(self, ref: ChatRef, message: ThreadMessage, key: str) -> str:
        """Post into the conversation's thread; returns the new message's id."""

    async def post_to_channel(self, channel: str, message: Notice, key: str) -> str:
        """Post at the top level of `channel` (an escalation, the digest); returns the new message's id.
        `find_message(channel, None, key)` finds it after a crash."""

    async def find_message(self, channel: str, thread_id: str | None, key: str) -> str | None:
        """After a crash mid-send: the id of the message posted with `key`, if it exists."""

    async def tell(self, channel: str, user_id: str, text: str, thread_id: str | None = None) -> None:
        """A private (ephemeral) answer to one teammate, in the thread where they wrote if given."""
