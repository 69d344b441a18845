"""SLA clocks follow a conversation's life.

- It opens: a first-response clock and a resolution clock start at the customer's post.
- The customer writes again after an answer: a next-response clock starts.
- A response is published: the running response clock stops.
- It is resolved: every clock stops.
- It is snoozed: every clock pauses; while it awaits the customer, the resolution clock pauses.
  A paused clock's due time moves on by the working time the pause covered.

Each change also sets when the sweep should look at a clock again (`next_nudge_at`), and keeps
the conversation's own due times (shown in chat and /queue) in step.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.settings import SlaConfig
from bot.sla import policy
from storage import bulk, hours
from storage.db import session_scope
from storage.models import Conversation, ConversationStatus, SlaClock

FIRST, NEXT, RESOLUTION = "first", "next", "resolution"
RESPONSE = (FIRST, NEXT)
TARGETS = {FIRST: "first_response", NEXT: "next_response", RESOLUTION: "resolution"}
NAMES = {FIRST: "first response", NEXT: "next response", RESOLUTION: "resolution"}
RESPONDED, RESOLVED = "responded", "resolved"
WARN, BREACH, REMIND = "warn", "breach", "remind"


KEPT = "sla.running"  # in session.info while `kept`: conversation id -> its clocks that were running or started since
STARTED = "sla.started"  # in session.info while `kept`: the clocks started since, in order, to be inserted


def running(session: Session, conversation_id: int) -> list[SlaClock]:
    kept_ones = session.info.get(KEPT, {}).get(conversation_id)
    if kept_ones is not None:
        return [clock for clock in kept_ones if clock.stopped_at is None]
    query = select(SlaClock).where(SlaClock.conversation_id == conversation_id, SlaClock.stopped_at.is_(None))
    return list(session.exec(query.order_by(SlaClock.id)))


@contextmanager
def kept(session: Session, conversation_ids: Iterable[int]) -> Iterator[None]:
    """Within it, `running` answers from memory for these conversations and those opened inside: one query for a
    page of posts instead of one per post (and no flush before each). The clocks started inside are inserted
    together when it ends, with Core: nothing needs their ids meanwhile, and the ORM would insert them one by one
    on SQLite (which cannot return ids in order)."""
    if KEPT in session.info:
        yield
        return
    ids = set(conversation_ids)
    kept_ones: dict[int, list[SlaClock]] = {conversation_id: [] for conversation_id in ids}
    query = select(SlaClock).where(SlaClock.conversation_id.in_(ids), SlaClock.stopped_at.is_(None))
    for clock in session.exec(query.order_by(SlaClock.id)) if ids else ():
        kept_ones[clock.conversation_id].append(clock)
    session.info[KEPT], session.info[STARTED] = kept_ones, []
    try:
        yield
        started = session.info[STARTED]
    finally:
        session.info.pop(KEPT, None)
        session.info.pop(STARTED, None)
    if started:
        columns = [column.key for column in SlaClock.__table__.columns if column.key != "id"]
        bulk.insert_all(session.connection(), SlaClock.__table__, [{key: getattr(clock, key) for key in columns}
                                                                    for clock in started])
        hours.mark(session.connection(), {clock.started_at for clock in started})  # not an ORM flush


def reminders_sent(clock: SlaClock) -> int:
    return int(clock.stage.split(":")[1]) if clock.stage.startswith(REMIND) else 0


def schedule(config: SlaConfig, clock: SlaClock) -> None:
    """When the sweep should next look at `clock`: the warning, the breach, then each reminder."""
    if clock.stopped_at or clock.paused_at:
        clock.next_nudge_at = None
    elif clock.stage == "":
        clock.next_nudge_at = clock.warn_at
    elif clock.stage == WARN:
        clock.next_nudge_at = clock.due_at
    elif clock.kind == RESOLUTION:
        clock.next_nudge_at = None  # a missed resolution is announced once; the response clocks keep reminding
    else:
        wait = policy.reminder_interval(config, reminders_sent(clock))
        clock.next_nudge_at = policy.add(config, clock.priority, clock.last_nudge_at, wait)


def opened(session: Session, config: SlaConfig, conversation: Conversation, at: datetime) -> None:
    """A new conversation: its first-response and resolution clocks start when the customer wrote."""
    if KEPT in session.info:
        session.info[KEPT][conversation.id] = []  # a new conversation has no clocks yet
    clocks = [_start(session, config, conversation, FIRST, 0, at), _start(session, config, conversation, RESOLUTION, 0, at)]
    _show(conversation, clocks)


def customer_wrote(session: Session, config: SlaConfig, conversation: Conversation, at: datetime, now: datetime,
                   priority_before: str) -> None:
    """A later post: start a next-response clock unless one is running; a raised priority brings it forward."""
    clocks = running(session, conversation.id)
    response = next((c for c in clocks if c.kind in RESPONSE), None)
    if response is None:
        cycle = session.exec(select(func.max(SlaClock.cycle)).where(SlaClock.conversation_id == conversation.id,
                                                                     SlaClock.kind == NEXT)).one() or 0
        cycle = max([cycle, *(c.cycle for c in session.info.get(STARTED, ())  # not inserted yet
                              if c.conversation_id == conversation.id and c.kind == NEXT)])
        clocks.append(_start(session, config, conversation, NEXT, cycle + 1, at))
    elif conversation.priority != priority_before:
        _bring_forward(config, conversation, response, now)
    follow(session, config, conversation, now, clocks)


def responded(session: Session, config: SlaConfig, conversation: Conversation, at: datetime, agent_id: int,
              now: datetime) -> None:
    """A response was published at `at`: the running response clock stops (met if `at` <= its due time)."""
    clocks = running(session, conversation.id)
    for clock in clocks:
        if clock.kind in RESPONSE:
            _stop(clock, at, RESPONDED, agent_id)
            clock.response_seconds = policy.elapsed(config, clock.priority, clock.started_at, at).total_seconds()
    follow(session, config, conversation, now, clocks)


def resolved(session: Session, conversation: Conversation, at: datetime) -> None:
    clocks = running(session, conversation.id)
    for clock in clocks:
        _stop(clock, at, RESOLVED, conversation.assignee_id)
    _show(conversation, clocks)


def follow(session: Session, config: SlaConfig, conversation: Conversation, now: datetime,
           clocks: list[SlaClock] | None = None) -> None:
    """Pause or resume the running clocks to match the conversation's status."""
    clocks = running(session, conversation.id) if clocks is None else clocks
    for clock in clocks:
        if clock.stopped_at:
            continue
        runs = conversation.status != ConversationStatus.SNOOZED and not (
            clock.kind == RESOLUTION and conversation.status == ConversationStatus.AWAITING_CUSTOMER)
        if runs and clock.paused_at:
            for moment in ("warn_at", "due_at", "last_nudge_at"):
                if getattr(clock, moment):
                    setattr(clock, moment, policy.extend(config, clock.priority, getattr(clock, moment), clock.paused_at, now))
            clock.paused_at = None
        elif not runs and not clock.paused_at:
            clock.paused_at = now
        schedule(config, clock)
    _show(conversation, clocks)


def reprioritised(session: Session, config: SlaConfig, conversation: Conversation, now: datetime) -> None:
    """A later reading (the model's) raised the priority: the running clocks take the new targets from their start."""
    clocks = running(session, conversation.id)
    for clock in clocks:
        if clock.priority != conversation.priority:
            _bring_forward(config, conversation, clock, clock.started_at)
    follow(session, config, conversation, now, clocks)


def _start(session: Session, config: SlaConfig, conversation: Conversation, kind: str, cycle: int,
           at: datetime) -> SlaClock:
    priority = conversation.priority
    target = config.target(TARGETS[kind], priority, conversation.network, conversation.intent)
    clock = SlaClock(conversation_id=conversation.id, kind=kind, cycle=cycle, priority=priority, started_at=at,
                     warn_at=policy.add(config, priority, at, target * config.warn_at),
                     due_at=policy.add(config, priority, at, target))
    schedule(config, clock)
    if STARTED in session.info:
        session.info[STARTED].append(clock)  # inserted when `kept` ends
    else:
        session.add(clock)
    kept_ones = session.info.get(KEPT, {}).get(conversation.id)
    if kept_ones is not None:
        kept_ones.append(clock)
    return clock


def _bring_forward(config: SlaConfig, conversation: Conversation, clock: SlaClock, since: datetime) -> None:
    """The priority was raised: the clock is due no later than the new priority's target from `since`."""
    clock.priority = conversation.priority
    target = config.target(TARGETS[clock.kind], clock.priority, conversation.network, conversation.intent)
    clock.warn_at = min(clock.warn_at, policy.add(config, clock.priority, since, target * config.warn_at))
    clock.due_at = min(clock.due_at, policy.add(config, clock.priority, since, target))


def _stop(clock: SlaClock, at: datetime, outcome: str, agent_id: int | None) -> None:
    clock.stopped_at = at
    clock.outcome = outcome
    clock.agent_id = agent_id
    clock.paused_at = None
    clock.next_nudge_at = None


def _show(conversation: Conversation, clocks: list[SlaClock]) -> None:
    """Copy the running response clock's due time onto the conversation (chat, /queue, stats read it there)."""
    response = next((c for c in clocks if c.kind in RESPONSE and not c.stopped_at), None)
    conversation.response_due_at = response.due_at if response and not response.paused_at else None
    first = next((c for c in clocks if c.kind == FIRST), None)
    if first is not None:
        conversation.first_response_due_at = first.due_at


def count_response_times(engine: Engine, config: SlaConfig, batch: int = 1000) -> int:
    """Give the responded clocks stopped before response times were stored theirs, a batch per transaction; returns
    how many."""
    total = 0
    while True:
        with session_scope(engine) as session:
            clocks = session.exec(select(SlaClock).where(SlaClock.outcome == RESPONDED,
                                                         SlaClock.response_seconds.is_(None)).limit(batch)).all()
            for clock in clocks:
                clock.response_seconds = policy.elapsed(config, clock.priority, clock.started_at,
                                                        clock.stopped_at).total_seconds()
        total += len(clocks)
        if len(clocks) < batch:
            return total
