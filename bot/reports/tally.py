"""The figures of /stats, /sla, the digest and App Home, counted by the database rather than in Python.

A week of a busy desk is millions of SLA clocks; loading them to count them grew with the window. Here each
grouping (everything, by agent, by network, by tag) is two queries whatever the window holds: one counts clocks,
spam, responses and verdicts per group and kind, the other ranks the first-response times per group and returns
only the rows the median and the 90th percentile (nearest rank) need. Both run the same on SQLite and PostgreSQL.
The definitions are bot/reports/figures.py's; `figures.measure` is the same verdict for one clock.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, literal, or_, select
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session

from bot.desk import tags as conversation_tags
from bot.sla.clocks import FIRST, NEXT, RESOLUTION, RESOLVED, RESPONDED
from storage.models import Agent, Conversation, ConversationTag, SlaClock
from storage.types import UTCDateTime

UNASSIGNED = "unassigned"
OVERALL, AGENT, NETWORK, TAG = "overall", "agent", "network", "tag"


@dataclass(frozen=True)
class Counts:
    """One kind of clock in one group."""

    clocks: int = 0
    spam: int = 0
    responded: int = 0  # done: responded (a response clock) or resolved (the resolution clock)
    responded_counted: int = 0  # the same, spam left out (the response rate's numerator)
    met: int = 0
    missed: int = 0


@dataclass(frozen=True)
class Group:
    kinds: dict[str, Counts] = field(default_factory=dict)
    median: timedelta | None = None  # of the first responses' times
    p90: timedelta | None = None

    def of(self, kind: str) -> Counts:
        return self.kinds.get(kind, Counts())


def tally(session: Session, by: str, start: datetime, end: datetime | None, now: datetime,
          tags: tuple[str, ...] = ()) -> dict[str, Group]:
    """The clocks that started in [start, end) grouped `by` OVERALL (one group, ""), AGENT, NETWORK or TAG (a clock
    counts under each of its conversation's tags); only conversations tagged with any of `tags`, when given. Grouped
    by anything but OVERALL, resolution clocks are left out (the sections show responses only)."""
    group = _group(by)
    done = or_(and_(SlaClock.kind == RESOLUTION, SlaClock.outcome == RESOLVED),
               and_(SlaClock.kind != RESOLUTION, SlaClock.outcome == RESPONDED))
    spam = Conversation.intent == "spam"
    met = case((and_(done, SlaClock.stopped_at <= SlaClock.due_at), 1), else_=0)
    missed = case((done, case((SlaClock.stopped_at > SlaClock.due_at, 1), else_=0)),
                  (func.coalesce(SlaClock.stopped_at, literal(now, UTCDateTime())) > SlaClock.due_at, 1), else_=0)
    kinds = (FIRST, NEXT, RESOLUTION) if by == OVERALL else (FIRST, NEXT)
    counts = _scoped(select(group, SlaClock.kind, func.count(), func.sum(case((spam, 1), else_=0)),
                            func.sum(case((done, 1), else_=0)), func.sum(case((and_(done, ~spam), 1), else_=0)),
                            func.sum(met), func.sum(missed)), by, kinds, start, end, tags).group_by(group, SlaClock.kind)
    found: dict[str, dict[str, Counts]] = defaultdict(dict)
    for name, kind, *numbers in session.execute(counts):
        found[name][kind] = Counts(*(int(n or 0) for n in numbers))
    times = _percentiles(session, group, by, start, end, tags)
    return {name: Group(kinds, *times.get(name, (None, None))) for name, kinds in found.items()}


def _group(by: str) -> ColumnElement:
    return {
        OVERALL: literal(""),
        AGENT: func.coalesce(Agent.name, UNASSIGNED),
        NETWORK: Conversation.network,
        TAG: ConversationTag.tag,
    }[by].label("grp")


def _scoped(query, by: str, kinds: tuple[str, ...], start: datetime, end: datetime | None, tags: tuple[str, ...]):
    """`query` over the window's clocks of `kinds` with their conversations (and what `by` groups by)."""
    query = query.select_from(SlaClock).join(Conversation, Conversation.id == SlaClock.conversation_id)
    if by == AGENT:
        query = query.outerjoin(Agent, Agent.id == func.coalesce(SlaClock.agent_id, Conversation.assignee_id))
    elif by == TAG:
        query = query.join(ConversationTag, ConversationTag.conversation_id == Conversation.id)
    query = query.where(SlaClock.kind.in_(kinds), SlaClock.started_at >= start)
    if end is not None:
        query = query.where(SlaClock.started_at < end)
    return query.where(conversation_tags.tagged(tags)) if tags else query


def _percentiles(session: Session, group: ColumnElement, by: str, start: datetime, end: datetime | None,
                 tags: tuple[str, ...]) -> dict[str, tuple[timedelta, timedelta]]:
    """Per group, the median and the 90th percentile (nearest rank) of the first responses' times: the times ranked
    in the database, and only the (at most three) rows those need read."""
    seconds = SlaClock.response_seconds
    ranked = _scoped(select(group, seconds.label("seconds"),
                            func.row_number().over(partition_by=group, order_by=seconds).label("rank"),
                            func.count().over(partition_by=group).label("n")), by, (FIRST,), start, end, tags)
    ranked = ranked.where(SlaClock.outcome == RESPONDED, seconds.is_not(None)).subquery()
    n = ranked.c.n
    wanted = select(ranked.c.grp, ranked.c.rank, ranked.c.n, ranked.c.seconds).where(
        ranked.c.rank.in_([(n + 1) // 2, (n + 2) // 2, (9 * n + 9) // 10]))
    at: dict[str, dict[int, float]] = defaultdict(dict)
    sizes: dict[str, int] = {}
    for name, rank, size, value in session.execute(wanted):
        at[name][rank] = value
        sizes[name] = size
    return {name: (timedelta(seconds=(at[name][(size + 1) // 2] + at[name][(size + 2) // 2]) / 2),
                   timedelta(seconds=at[name][(9 * size + 9) // 10]))
            for name, size in sizes.items()}
