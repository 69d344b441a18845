"""What the desk shows in chat: platform-neutral views, rendered by each chat package.

Views are built from the database at delivery time (bot/desk/snapshots.py), so a message always
shows the conversation as it is now. Every text that came from the internet is marked untrusted
here by type (`CustomerPost.text`), and each chat package escapes it for its platform.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


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
    number: int | None = None  # the conversation whose thread it is in; None at the top of a channel
    mention_chat_id: str | None = None  # the owner
    link: str | None = None
    mention_group_id: str | None = None  # the on-call group (Slack user group S…, Discord role) when nobody owns it


ThreadMessage = CustomerPost | Suggestions | Notice


@dataclass(frozen=True)
class Attachment:
    """A file to share in chat: a chart, an export. `name` is the file name people see (and download as)."""

    name: str
    content: bytes
    title: str = ""
    mime: str = "application/octet-stream"
