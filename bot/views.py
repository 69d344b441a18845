"""What the desk shows in chat: platform-neutral views, rendered by each chat package.

Views are built from the database at delivery time (bot/desk/snapshots.py), so a message always
shows the conversation as it is now. Every text that came from the internet is marked untrusted
here by type (`CustomerPost.text`), and each chat package escapes it for its platform.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ReplyLimit:
    """A network's reply length limit as agents read it in the reply modal: "300 graphemes", "280 weighted
    characters". Falsy when unknown."""

    length: int = 0
    unit: str = "characters"

    def __str__(self) -> str:
        return f"{self.length} {self.unit}"

    def __bool__(self) -> bool:
        return self.length > 0


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
    history: str = ""  # the customer's earlier conversations: "first contact", "3rd conversation; last resolved …"
    tags: tuple[str, ...] = ()
    suggested_tags: tuple[str, ...] = ()  # from its intent and keywords, not applied yet
    composing: str | None = None  # the teammate writing a reply now (the Reply… modal is open)
    awaiting_approval: str | None = None  # "Sam's reply, waiting 12 min for a lead", while one waits
    escalated_to: str | None = None  # the expert group handling it

    def team_facts(self) -> list[tuple[str, str]]:
        """What the team should know at a glance, as (kind, text) in the order shown: `history`, `tags`,
        `suggested_tags`, `composing`, `approval`, `escalated`. Texts are plain; each platform marks and escapes them."""
        facts = [("history", self.history)] if self.history else []
        if self.tags:
            facts.append(("tags", " ".join(self.tags)))
        if self.suggested_tags:
            facts.append(("suggested_tags", f"suggested tags: {', '.join(self.suggested_tags)} (`/tag {self.number}`)"))
        if self.composing:
            facts.append(("composing", f"{self.composing} is writing a reply"))
        if self.awaiting_approval:
            facts.append(("approval", self.awaiting_approval))
        if self.escalated_to:
            facts.append(("escalated", f"escalated to {self.escalated_to}"))
        return facts


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
class ApprovalRequest:
    """A reply held for a lead ([approvals]): Approve / Edit / Reject under it while it waits."""

    number: int
    reply_id: int
    author: str
    text: str  # the signed reply, as it would be published
    reasons: str  # why it waits: "trainee", "overrode a guard", "tagged legal"
    decided: str | None = None  # "Approved by Jane Doe" once decided: the buttons are gone


@dataclass(frozen=True)
class EscalationSummary:
    """The thread an expert group gets: who the customer is, their history, the team's notes, the posts."""

    number: int
    group: str
    reason: str  # typed by a teammate
    by: str
    customer: str  # "@carla on X (Carla Diaz), also @carla@mastodon.social on Mastodon"
    history: str
    notes: tuple[str, ...]
    posts: tuple[CustomerPost, ...]  # the latest few, oldest first
    mention_group_id: str | None = None  # the group's Slack user group or Discord role


@dataclass(frozen=True)
class HomeRow:
    """One conversation in an agent's home (Slack's App Home tab)."""

    number: int
    network: str
    author_handle: str
    priority: str
    status: str
    due_at: datetime | None
    owner_name: str | None
    thread: ChatRef | None  # None while its parent message is on its way
    waiting: str = ""  # for a reply waiting for approval: "Sam Lee's reply, waiting 12 min"


@dataclass(frozen=True)
class HomeView:
    """An agent's own desk: their open conversations, the unowned ones by SLA urgency, what waits for their approval,
    and today's figures. Each list holds at most a few rows; `more_*` count the rest."""

    agent_name: str
    mine: tuple[HomeRow, ...]
    unowned: tuple[HomeRow, ...]
    approvals: tuple[HomeRow, ...]
    today: str
    more_mine: int = 0
    more_unowned: int = 0
    is_lead: bool = False


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
    status: str  # open | resolved | merged
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
    merged_into: int | None = None  # merged: the incident that holds its conversations now


ThreadMessage = CustomerPost | Suggestions | Notice | ApprovalRequest | EscalationSummary


@dataclass(frozen=True)
class Attachment:
    """A file to share in chat: a chart, an export. `name` is the file name people see (and download as)."""

    name: str
    content: bytes
    title: str = ""
    mime: str = "application/octet-stream"
