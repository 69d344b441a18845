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


@dataclass(frozen=True)
class IncidentSample:
    """One customer's post in an incident, shown as a sample (untrusted text, escaped by each chat package)."""

    number: int
    network: str
    author_handle: str
    url: str
    text: str


@dataclass(frozen=True)
class IncidentView:
    """A surge folded into one message: how many customers, what they say, where, and what to do."""

    number: int  # shown as I7
    status: str  # open | resolved
    conversations: int
    open_conversations: int
    answered: int  # conversations with a published reply
    phrasings: tuple[tuple[str, int], ...]  # the most common ways it is said (untrusted text), with counts
    networks: tuple[tuple[str, int], ...]
    samples: tuple[IncidentSample, ...]
    first_at: datetime
    last_at: datetime
    due_at: datetime | None  # the earliest response due among its open conversations
    suggestion: str | None = None  # a suggested reply for all of them


ThreadMessage = CustomerPost | Suggestions | Notice
