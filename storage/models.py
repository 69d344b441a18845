"""SQLModel tables: the single source of truth for everything socialdesk knows.

Unique keys carry the "nothing doubled" principle: a post is unique per network and
external id, an outbox entry per idempotency key, a note per chat message, an inbound chat
event per platform and event id (so that only one replica acts on it).
"""
from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any

from pydantic_core import PydanticUndefined
from sqlalchemy import JSON, Column, Index, LargeBinary, Text, UniqueConstraint
from sqlalchemy.orm.attributes import set_attribute
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


class ConversationStatus:
    NEW = "new"
    CLAIMED = "claimed"
    AWAITING_CUSTOMER = "awaiting_customer"
    RESOLVED = "resolved"
    SNOOZED = "snoozed"
    OPEN = (NEW, CLAIMED, AWAITING_CUSTOMER, SNOOZED)


class ReplyStatus:
    DRAFT = "draft"
    AWAITING_APPROVAL = "needs_approval"  # held for a lead by the [approvals] policy
    PUBLISHING = "publishing"
    PUBLISHED = "published"
    FAILED = "failed"
    REJECTED = "rejected"  # a lead rejected it: never published
    SENT = (AWAITING_APPROVAL, PUBLISHING, PUBLISHED)  # on its way to the customer, for the collision guard


class IncidentStatus:
    OPEN = "open"
    RESOLVED = "resolved"
    MERGED = "merged"  # its conversations were moved into another incident (`Incident.merged_into_id`)


class OutboxStatus:
    PENDING = "pending"
    SENDING = "sending"
    DONE = "done"
    FAILED = "failed"


class Table(SQLModel):
    """A table's rows, built and changed with less of SQLModel's per-field work: a page of posts builds thousands of
    them (bench/ingest.py), and that work was most of what building one cost.
    - Building one sets the given fields and the other fields' defaults, as SQLModel does for a table (which does not
      validate either), without working out each field's default again for every row.
    - Setting a column goes straight to SQLAlchemy's instrumentation: SQLModel asks SQLAlchemy and pydantic in turn.
      Table models do not validate on assignment, so pydantic would only record the field as set, which this does."""

    def __init__(self, **values: Any) -> None:
        for name, default, factory in _fields(type(self)):
            if name in values:
                setattr(self, name, values[name])
            elif factory is not None:
                setattr(self, name, factory())
            elif default is not PydanticUndefined:
                setattr(self, name, default)
        object.__setattr__(self, "__pydantic_fields_set__", {name for name in values if name in type(self).model_fields})

    def __setattr__(self, name: str, value: Any) -> None:
        if name in (_COLUMNS.get(type(self)) or _columns(type(self))):
            set_attribute(self, name, value)
            self.__pydantic_fields_set__.add(name)
        else:
            super().__setattr__(name, value)


_COLUMNS: dict[type, frozenset[str]] = {}
_FIELDS: dict[type, list[tuple[str, Any, Callable[[], Any] | None]]] = {}


def _columns(table: type) -> frozenset[str]:
    """The fields of `table` that are mapped columns (not relationships)."""
    names = _COLUMNS.get(table)
    if names is None:
        names = _COLUMNS[table] = frozenset(table.model_fields) & frozenset(table.__table__.columns.keys())
    return names


def _fields(table: type) -> list[tuple[str, Any, Callable[[], Any] | None]]:
    """Each field of `table`: its name, its default and its default factory (a copy, for a default a row could
    change in place, as pydantic would)."""
    fields = _FIELDS.get(table)
    if fields is None:
        fields = _FIELDS[table] = [
            (name, field.default, field.default_factory or (partial(copy.deepcopy, field.default)
                                                            if isinstance(field.default, list | dict | set) else None))
            for name, field in table.model_fields.items()]
    return fields


class Customer(Table, table=True):
    """One account on one network. `account_id` (a DID on Bluesky, the account id elsewhere) is who they are; the
    handle is a label they can change, kept up to date from their latest post."""

    __table_args__ = (UniqueConstraint("network", "handle", name="uq_customer_handle"),
                      Index("uq_customer_account", "network", "account_id", unique=True))
    id: int | None = Field(default=None, primary_key=True)
    network: str = Field(max_length=32)
    handle: str = Field(max_length=255)
    account_id: str | None = Field(default=None, max_length=255)  # None for rows from before 0011 until they post
    display_name: str = Field(default="", max_length=255)
    followers: int | None = None
    created_at: datetime = Field(sa_type=UTCDateTime)
    # One person behind handles on several networks (/link): the customer id the linked handles share; None on its own.
    person_id: int | None = Field(default=None, index=True)
    muted_until: datetime | None = Field(default=None, sa_type=UTCDateTime)  # /spam: their posts open no conversation


class Agent(Table, table=True):
    """A teammate from the config, mirrored here so history keeps its author."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=255)
    initials: str = Field(max_length=16)
    role: str = Field(default="agent", max_length=32)
    slack_user_id: str | None = Field(default=None, max_length=64, unique=True)
    discord_user_id: str | None = Field(default=None, max_length=64, unique=True)
    console_user_id: str | None = Field(default=None, max_length=64, unique=True)
    home_opened_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # Slack App Home: kept up to date once seen


class Conversation(Table, table=True):
    """The unit of work: one social thread with one customer, one chat thread."""

    __table_args__ = (
        Index("ix_conversation_thread", "network", "thread_root_id", "customer_id", "status"),
        Index("ix_conversation_open_due", "status", "first_response_due_at"),
        Index("ix_conversation_chat", "chat_channel", "chat_thread_id"),
        Index("ix_conversation_opened", "opened_at"),
        Index("ix_conversation_snoozed", "snoozed_until"),
        Index("ix_conversation_unpurged", "purged_at", "resolved_at"),
        Index("ix_conversation_incident", "incident_id", "status"),
        Index("ix_conversation_customer", "customer_id", "status"),  # a page's customers' open conversations
    )
    id: int | None = Field(default=None, primary_key=True)
    source_name: str = Field(max_length=64)
    network: str = Field(max_length=32)
    thread_root_id: str = Field(max_length=255)
    customer_id: int = Field(foreign_key="customer.id")
    status: str = Field(default=ConversationStatus.NEW, max_length=32)
    priority: str = Field(default="normal", max_length=16)
    sentiment: str = Field(default="neutral", max_length=16)
    intent: str = Field(default="other", max_length=32)
    language: str = Field(default="und", max_length=16)
    has_pii: bool = False
    assignee_id: int | None = Field(default=None, foreign_key="agent.id")
    opened_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    first_response_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    first_responded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    response_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # the running response clock's
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    snoozed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    purged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # texts removed after the retention period
    chat_platform: str = Field(default="", max_length=16)
    chat_channel: str = Field(default="", max_length=128)
    chat_thread_id: str | None = Field(default=None, max_length=128)
    composing_agent_id: int | None = None  # the agent with the Reply… modal open (no FK: SQLite would rebuild the table)
    composing_since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    incident_id: int | None = None  # folded into a surge's incident (no foreign key: SQLite could not add one in place)


class ConversationTag(Table, table=True):
    """A tag on a conversation (/tag): shown on its parent message, a filter in /queue, /stats and the digest."""

    __table_args__ = (Index("ix_conversationtag_tag", "tag"),)
    conversation_id: int = Field(foreign_key="conversation.id", primary_key=True)
    tag: str = Field(primary_key=True, max_length=32)


class Escalation(Table, table=True):
    """A conversation handed to an expert group ([[escalations]]): its summary opens a thread in the group's
    channel, where the experts answer as in the conversation's own thread. `ended_at` is set by /deescalate."""

    __table_args__ = (Index("ix_escalation_thread", "chat_platform", "chat_thread_id"),)
    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversation.id", index=True)
    group: str = Field(max_length=64)
    reason: str = Field(sa_column=Column(Text, nullable=False))
    by_agent_id: int = Field(foreign_key="agent.id")
    priority_before: str = Field(max_length=16)
    chat_platform: str = Field(max_length=16)
    chat_channel: str = Field(max_length=128)
    chat_thread_id: str | None = Field(default=None, max_length=128)
    escalated_at: datetime = Field(sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Incident(Table, table=True):
    """Many customers writing about the same thing within minutes: one chat message stands for all their conversations.

    Each conversation stays a conversation of its own (`Conversation.incident_id`); the incident's parent
    message shows how many, the top phrasings (`phrasings`, kept by bot/ingest/incidents.py), the networks and
    a few samples, and is edited in place as the surge grows.
    """

    __table_args__ = (Index("ix_incident_open", "status", "chat_channel", "updated_at"),)
    id: int | None = Field(default=None, primary_key=True)
    status: str = Field(default=IncidentStatus.OPEN, max_length=16)
    chat_platform: str = Field(max_length=16)
    chat_channel: str = Field(max_length=128)  # the route's channel, as configured: conversations routed there join
    message_channel: str | None = Field(default=None, max_length=128)  # where its message is (the platform's id)
    chat_thread_id: str | None = Field(default=None, max_length=128)  # its message's id
    phrasings: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    opened_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)  # the last time a conversation joined
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    merged_into_id: int | None = None  # /incident I7 merge I8: I8's conversations are I7's now


class Post(Table, table=True):
    __table_args__ = (UniqueConstraint("network", "external_id", name="uq_post_external"),)
    id: int | None = Field(default=None, primary_key=True)
    source_name: str = Field(max_length=64)
    network: str = Field(max_length=32)
    external_id: str = Field(max_length=255)
    url: str = Field(default="", max_length=2048)
    kind: str = Field(default="mention", max_length=16)
    customer_id: int = Field(foreign_key="customer.id")
    conversation_id: int = Field(foreign_key="conversation.id", index=True)
    text: str = Field(sa_column=Column(Text, nullable=False))
    language: str = Field(default="und", max_length=16)
    sentiment: str = Field(default="neutral", max_length=16)
    intent: str = Field(default="other", max_length=32)
    priority: str = Field(default="normal", max_length=16)
    pii: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    reply_to_id: str | None = Field(default=None, max_length=255)
    thread_root_id: str = Field(max_length=255)
    created_at: datetime = Field(sa_type=UTCDateTime)
    ingested_at: datetime = Field(sa_type=UTCDateTime)
    raw: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Reply(Table, table=True):
    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversation.id", index=True)
    agent_id: int = Field(foreign_key="agent.id")
    text: str = Field(sa_column=Column(Text, nullable=False))
    in_reply_to: str = Field(max_length=255)
    private: bool = False
    status: str = Field(default=ReplyStatus.DRAFT, max_length=16)
    external_id: str | None = Field(default=None, max_length=255)
    url: str | None = Field(default=None, max_length=2048)
    error: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(sa_type=UTCDateTime)
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    approval_reason: str | None = Field(default=None, max_length=255)  # why [approvals] held it for a lead
    reviewed_by_id: int | None = None  # the agent (a lead) who approved or rejected it


class Note(Table, table=True):
    __table_args__ = (UniqueConstraint("chat_platform", "chat_message_id", name="uq_note_message"),)
    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int | None = Field(default=None, foreign_key="conversation.id", index=True)
    customer_id: int | None = Field(default=None, foreign_key="customer.id", index=True)
    author: str = Field(max_length=255)
    text: str = Field(sa_column=Column(Text, nullable=False))
    chat_platform: str = Field(default="", max_length=16)
    chat_message_id: str | None = Field(default=None, max_length=128)
    created_at: datetime = Field(sa_type=UTCDateTime)


class AuditEvent(Table, table=True):
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(index=True, sa_type=UTCDateTime)
    actor: str = Field(max_length=255)
    action: str = Field(max_length=64)
    conversation_id: int | None = Field(default=None, index=True)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class SlaClock(Table, table=True):
    """One response-time target being measured: a first response, the n-th next response, or the resolution.

    A clock runs from `started_at` until a response is published or the conversation is resolved
    (`stopped_at`); while paused, `due_at` and `warn_at` move on by the business time that passes.
    `stage` is the last nudge queued; `next_nudge_at` (indexed) is when the sweep looks at it again.
    """

    __table_args__ = (
        UniqueConstraint("conversation_id", "kind", "cycle", name="uq_slaclock_cycle"),
        Index("ix_slaclock_next_nudge", "next_nudge_at"),
        Index("ix_slaclock_started", "kind", "started_at"),
        Index("ix_slaclock_running", "stopped_at", "due_at"),  # running clocks falling due (bot/reports/rollup.py)
    )
    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversation.id")
    kind: str = Field(max_length=16)  # first | next | resolution
    cycle: int = 0  # which next response (1, 2, ...); 0 for first and resolution
    priority: str = Field(max_length=16)
    started_at: datetime = Field(sa_type=UTCDateTime)
    warn_at: datetime = Field(sa_type=UTCDateTime)
    due_at: datetime = Field(sa_type=UTCDateTime)
    paused_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    stopped_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    outcome: str | None = Field(default=None, max_length=16)  # responded | resolved
    agent_id: int | None = Field(default=None, foreign_key="agent.id")  # who responded
    # The response's time as the policy counts it (business time where it does), stored when it stops: /stats takes
    # its medians in SQL. Clocks stopped before 0013 get theirs from the hourly job (bot/sla/clocks.py).
    response_seconds: float | None = None
    stage: str = Field(default="", max_length=32)  # "", warn, breach, remind:N
    last_nudge_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    next_nudge_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class StatsHour(Table, table=True):
    """An hour of SLA clocks (by `started_at`, UTC) whose figures bot/reports/rollup.py keeps in StatsRollup.

    Every write that changes what the hour's clocks count (a clock inserted, stopped or moved, its conversation's
    assignee, intent, network or tags) adds one to `version` (storage/hours.py); the rows are used only while
    `rolled_version` (the version they were counted at) equals it; its five-minute slots (StatsSlot) while
    `slotted_version` does."""

    hour: datetime = Field(primary_key=True, sa_type=UTCDateTime)
    version: int = 0
    rolled_version: int = -1
    slotted_version: int = Field(default=-1, sa_column_kwargs={"server_default": "-1"})


class StatsRollup(Table, table=True):
    """The figures of one hour's clocks of one kind, in one group of one grouping, as bot/reports/tally.py counts them
    (`tally.Counts`); `scope` "" is every clock, a tag only the clocks of conversations tagged with it. `times` is the
    histogram of the first responses' times (bot/reports/rollup.py), empty for other kinds."""

    __table_args__ = (Index("ix_statsrollup_hour", "hour"),)
    scope: str = Field(primary_key=True, max_length=32)
    grouping: str = Field(primary_key=True, max_length=16)  # overall | agent | network | tag
    hour: datetime = Field(primary_key=True, sa_type=UTCDateTime)
    kind: str = Field(primary_key=True, max_length=16)
    grp: str = Field(primary_key=True, max_length=255)  # "" overall, an agent's id ("" for nobody), a network, a tag
    clocks: int = 0
    spam: int = 0
    responded: int = 0
    responded_counted: int = 0
    met: int = 0
    missed: int = 0
    times: bytes | None = Field(default=None, sa_column=Column(LargeBinary))


class StatsSlot(Table, table=True):
    """The figures of five minutes of clocks (`slot`, its start, UTC), as StatsRollup keeps an hour's, every clock
    (no tag scope): a window that starts or ends inside an hour reads the slots it covers of that hour, so at most
    five minutes at each end are counted from the clocks. Counted with the hour, current with it (StatsHour)."""

    slot: datetime = Field(primary_key=True, sa_type=UTCDateTime)
    grouping: str = Field(primary_key=True, max_length=16)  # overall | agent | network | tag
    kind: str = Field(primary_key=True, max_length=16)
    grp: str = Field(primary_key=True, max_length=255)  # as StatsRollup.grp
    clocks: int = 0
    spam: int = 0
    responded: int = 0
    responded_counted: int = 0
    met: int = 0
    missed: int = 0
    times: bytes | None = Field(default=None, sa_column=Column(LargeBinary))


class StatsSlotVersion(Table, table=True):
    """A five-minute slot of SLA clocks (`slot`, its start, UTC) of the hour not counted yet (the current one): every
    write that changes what its clocks count adds one to `version` as it does to its hour's (storage/hours.py); its
    StatsSlot rows, counted every minute once the slot has ended (bot/reports/rollup.py), are used only while
    `counted_version` (the version they were counted at) equals it. Its hour's StatsHour rules once the hour is
    counted; the rows of past hours are deleted then."""

    slot: datetime = Field(primary_key=True, sa_type=UTCDateTime)
    version: int = 0
    counted_version: int = -1


class StatsDay(Table, table=True):
    """A UTC day whose 24 hours' kept rows are added up in StatsDayRollup: current while `versions`, the sum of its
    hours' versions (StatsHour) when they were added up, is still that sum (a version only ever grows)."""

    day: datetime = Field(primary_key=True, sa_type=UTCDateTime)
    versions: int = 0


class StatsDayRollup(Table, table=True):
    """A day's figures, as StatsRollup keeps an hour's: its 24 hours' rows added up (bot/reports/rollup.py)."""

    scope: str = Field(primary_key=True, max_length=32)
    grouping: str = Field(primary_key=True, max_length=16)
    day: datetime = Field(primary_key=True, sa_type=UTCDateTime)
    kind: str = Field(primary_key=True, max_length=16)
    grp: str = Field(primary_key=True, max_length=255)
    clocks: int = 0
    spam: int = 0
    responded: int = 0
    responded_counted: int = 0
    met: int = 0
    missed: int = 0
    times: bytes | None = Field(default=None, sa_column=Column(LargeBinary))


class StatsCutoff(Table, table=True):
    """One row: the rolled-up hours count a running clock as missed when its due time is before `at`."""

    id: int = Field(default=1, primary_key=True)
    at: datetime = Field(sa_type=UTCDateTime)


JOBS_LEASE = "jobs"  # the lease of the scheduled jobs (bot/app/lease.py)


class Lease(Table, table=True):
    """Who runs the scheduled jobs: the holder renews `expires_at`; once it has passed, anyone may take over."""

    name: str = Field(primary_key=True, max_length=64)
    holder: str = Field(max_length=255)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    acquired_at: datetime = Field(sa_type=UTCDateTime)


class Installation(Table, table=True):
    """The one row naming this installation (every replica on one database shares it), made by migration 0011:
    what the brand publishes under keys of its own (a Bluesky record key) is told apart from another install's."""

    id: str = Field(primary_key=True, max_length=32)
    created_at: datetime = Field(sa_type=UTCDateTime)


class SourceCursor(Table, table=True):
    source_name: str = Field(primary_key=True, max_length=64)
    cursor: str | None = Field(default=None, sa_column=Column(Text))
    last_success_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    last_error_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    failing_since: datetime | None = Field(default=None, sa_type=UTCDateTime)  # the first error since the last success
    next_poll_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    quota: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]"))
    # each feed's health (FeedHealth.to_json) as of the last poll, for sources with several feeds
    feeds: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]"))


class QuarantinedPost(Table, table=True):
    """A post a source read but socialdesk could not parse or store: set aside with the reason, so the posts after it
    arrive (bot/ingest/quarantine.py). `payload` is what the network or file gave, as text (JSON, or the line itself);
    `post` the parsed post as JSON where parsing worked, so `socialdesk quarantine retry` can store it after a fix."""

    __table_args__ = (Index("ix_quarantinedpost_source", "source_name", "quarantined_at"),)
    id: int | None = Field(default=None, primary_key=True)
    source_name: str = Field(max_length=64)
    external_id: str | None = Field(default=None, max_length=255)
    reason: str = Field(sa_column=Column(Text, nullable=False))
    payload: str = Field(sa_column=Column(Text, nullable=False))
    post: str | None = Field(default=None, sa_column=Column(Text))
    quarantined_at: datetime = Field(sa_type=UTCDateTime)


class OutboxEntry(Table, table=True):
    """One effect on the outside world, delivered at least once and reconciled to exactly once."""

    __table_args__ = (
        Index("ix_outbox_due", "status", "available_at"),
        Index("ix_outbox_conversation_kind", "conversation_id", "kind", "status"),  # refresh_parent's "one waiting?"
    )
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=255, unique=True)
    kind: str = Field(max_length=64)
    target: str = Field(max_length=255)
    conversation_id: int | None = None  # indexed first in ix_outbox_conversation_kind
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default=OutboxStatus.PENDING, max_length=16)
    attempts: int = 0
    available_at: datetime = Field(sa_type=UTCDateTime)
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    failing_since: datetime | None = Field(default=None, sa_type=UTCDateTime)  # first transient error of its current run
    result: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    created_at: datetime = Field(sa_type=UTCDateTime)
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class SuggestionSet(Table, table=True):
    """Suggested replies made for one request (a new post, or /suggest): what the model or the templates said.

    `key` is the request's outbox key; the model is asked at most once per key, so a redelivered
    or retried request never pays twice.
    """

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=255, unique=True)
    conversation_id: int = Field(foreign_key="conversation.id", index=True)
    post_id: int = Field(foreign_key="post.id")
    source: str = Field(max_length=128)  # "offline" or the model's name
    offline_reason: str | None = Field(default=None, sa_column=Column(Text))  # why the model was not used
    analysis: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    suggestions: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    dropped: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(sa_type=UTCDateTime)


class LlmUsage(Table, table=True):
    """Tokens and cost of one model call, per conversation (for /stats)."""

    __table_args__ = (Index("ix_llmusage_at", "at"),)
    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversation.id", index=True)
    post_id: int | None = Field(default=None, foreign_key="post.id")
    model: str = Field(max_length=128)
    purpose: str = Field(max_length=32)  # suggest | shorten
    input_tokens: int = 0
    output_tokens: int = 0
    cost: float = 0.0  # in [llm] currency, at the configured prices
    at: datetime = Field(sa_type=UTCDateTime)


class ChatEvent(Table, table=True):
    """An inbound chat event (a message, an interaction) one replica claimed: the others, which got it too, do nothing.

    A command recorded before its ack also keeps its `payload` until it has run (`done_at`): one whose run never
    finished (`started_at` empty or long past) is run on restart, so an ack always means it will happen."""

    platform: str = Field(primary_key=True, max_length=16)
    event_id: str = Field(primary_key=True, max_length=128)  # Discord: the message or interaction id; Slack: channel:ts
    claimed_at: datetime = Field(index=True, sa_type=UTCDateTime)
    payload: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class HeldReply(Table, table=True):
    """A reply a guard held, waiting for its author's "Publish anyway" on Discord under a short token (a button's
    custom_id holds 100 characters). In the database, so that whichever replica gets the press finds it."""

    token: str = Field(primary_key=True, max_length=32)
    conversation_id: int = Field(foreign_key="conversation.id")
    user_id: str = Field(max_length=64)  # the Discord user who wrote it: nobody else may publish it
    args: str = Field(sa_column=Column(Text, nullable=False))  # the reply command's args that publish it anyway
    held_at: datetime = Field(index=True, sa_type=UTCDateTime)
