"""The figures of /stats, /sla, the digest and App Home: kept figures of whole past hours, the rest counted by the database.

A week of a busy desk is millions of SLA clocks. The hours the rollup job has counted (bot/reports/rollup.py) are
read from their rows (a few thousand for a week); what is left is counted from the clocks as before, in SQL: the
window's partial first and last hours, hours not counted yet or changed since (storage/hours.py marks them), and
the running clocks of counted hours that fell due since the rollup's cutoff (missed now, not when they were counted).
The first responses' times of the counted hours come as histograms (bot/reports/histogram.py), so with any counted
hour in the window the median and the p90 are within 2.5 % of the exact ones; every count is exact.

A /stats filtered by several tags (any of them), and the by-tag figures of a filtered one, are counted from the
clocks: the rollup keeps one tag at a time. The definitions are bot/reports/figures.py's; `figures.measure` is the
same verdict for one clock.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, case, false, func, literal, or_, select
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session

from bot.desk import tags as conversation_tags
from bot.reports import histogram
from bot.sla.clocks import FIRST, NEXT, RESOLUTION, RESOLVED, RESPONDED
from storage.hours import hour_of
from storage.models import Agent, Conversation, ConversationTag, SlaClock, StatsCutoff, StatsHour, StatsRollup
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


Ranges = list[tuple[datetime, datetime | None]]  # [start, end) each, None: no end
HOUR = timedelta(hours=1)


def tally(session: Session, by: str, start: datetime, end: datetime | None, now: datetime,
          tags: tuple[str, ...] = ()) -> dict[str, Group]:
    """The clocks that started in [start, end) grouped `by` OVERALL (one group, ""), AGENT, NETWORK or TAG (a clock
    counts under each of its conversation's tags); only conversations tagged with any of `tags`, when given. Grouped
    by anything but OVERALL, resolution clocks are left out (the sections show responses only)."""
    kinds = (FIRST, NEXT, RESOLUTION) if by == OVERALL else (FIRST, NEXT)
    scope = "" if not tags else tags[0] if len(tags) == 1 and by != TAG else None  # the rollup rows that fit
    kept, cutoff = _kept(session, start, end) if scope is not None else ([], None)
    counts: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0] * 6))
    times: dict[str, Counter[float]] = defaultdict(Counter)
    if kept:
        _add_kept(session, by, scope, kinds, kept, counts, times)
        _add_fallen_due(session, by, kinds, kept, cutoff, now, tags, counts)
    connection = session.connection()
    for rest in _rest(start, end, kept):  # a query each: the databases walk the index for one range, not for an OR
        for name, kind, *numbers in connection.execute(_counted(by, kinds, [rest], now, tags)):
            counts[name][kind] = [have + int(n or 0) for have, n in zip(counts[name][kind], numbers, strict=True)]
        for name, seconds, taking in connection.execute(_first_responses(by, [rest], tags)):
            times[name][seconds] += int(taking)
    return {name: Group({kind: Counts(*numbers) for kind, numbers in kinds_of.items()},
                        *(histogram.ranked(times[name]) or (None, None)))
            for name, kinds_of in counts.items()}


def _group(by: str) -> ColumnElement:
    return {
        OVERALL: literal(""),
        AGENT: func.coalesce(Agent.name, UNASSIGNED),
        NETWORK: Conversation.network,
        TAG: ConversationTag.tag,
    }[by].label("grp")


def _within(column, ranges: Ranges) -> ColumnElement:
    return or_(false(), *[and_(column >= start, *([column < end] if end is not None else []))
                          for start, end in ranges])


def _scoped(query, by: str, kinds: tuple[str, ...], ranges: Ranges | None, tags: tuple[str, ...]):
    """`query` over the clocks of `kinds` started in `ranges` (None: any time) with their conversations (and what `by`
    groups by)."""
    query = query.select_from(SlaClock).join(Conversation, Conversation.id == SlaClock.conversation_id)
    if by == AGENT:
        query = query.outerjoin(Agent, Agent.id == func.coalesce(SlaClock.agent_id, Conversation.assignee_id))
    elif by == TAG:
        query = query.join(ConversationTag, ConversationTag.conversation_id == Conversation.id)
    query = query.where(SlaClock.kind.in_(kinds))
    if ranges is not None:
        query = query.where(_within(SlaClock.started_at, ranges))
    return query.where(conversation_tags.tagged(tags)) if tags else query


def _counted(by: str, kinds: tuple[str, ...], ranges: Ranges, now: datetime, tags: tuple[str, ...]):
    """Per group and kind: clocks, spam, responded, responded leaving spam out, met, missed."""
    done = or_(and_(SlaClock.kind == RESOLUTION, SlaClock.outcome == RESOLVED),
               and_(SlaClock.kind != RESOLUTION, SlaClock.outcome == RESPONDED))
    spam = Conversation.intent == "spam"
    met = case((and_(done, SlaClock.stopped_at <= SlaClock.due_at), 1), else_=0)
    missed = case((done, case((SlaClock.stopped_at > SlaClock.due_at, 1), else_=0)),
                  (func.coalesce(SlaClock.stopped_at, literal(now, UTCDateTime())) > SlaClock.due_at, 1), else_=0)
    figures = (func.count(), func.sum(case((spam, 1), else_=0)), func.sum(case((done, 1), else_=0)),
               func.sum(case((and_(done, ~spam), 1), else_=0)), func.sum(met), func.sum(missed))
    if by != TAG:
        group = _group(by)
        return _scoped(select(group, SlaClock.kind, *figures), by, kinds, ranges, tags).group_by(group, SlaClock.kind)
    per = _by_conversation(select(SlaClock.kind, *[f.label(f"f{i}") for i, f in enumerate(figures)]), kinds, ranges,
                           tags, SlaClock.kind)
    return (select(ConversationTag.tag, per.c.kind, *[func.sum(per.c[f"f{i}"]) for i in range(len(figures))])
            .join(ConversationTag, ConversationTag.conversation_id == per.c.conversation_id)
            .group_by(ConversationTag.tag, per.c.kind))


def _first_responses(by: str, ranges: Ranges, tags: tuple[str, ...]):
    """Per group, the first responses' times and how many took each."""
    responded = (SlaClock.outcome == RESPONDED, SlaClock.response_seconds.is_not(None))
    if by != TAG:
        group = _group(by)
        return (_scoped(select(group, SlaClock.response_seconds, func.count()), by, (FIRST,), ranges, tags)
                .where(*responded).group_by(group, SlaClock.response_seconds))
    per = _by_conversation(select(SlaClock.response_seconds.label("seconds"), func.count().label("n")), (FIRST,),
                           ranges, tags, SlaClock.response_seconds, where=responded)
    return (select(ConversationTag.tag, per.c.seconds, func.sum(per.c.n))
            .join(ConversationTag, ConversationTag.conversation_id == per.c.conversation_id)
            .group_by(ConversationTag.tag, per.c.seconds))


def _by_conversation(query, kinds: tuple[str, ...], ranges: Ranges, tags: tuple[str, ...], *group_by, where=()):
    """`query` per conversation (and `group_by`), to be joined to the conversations' tags: grouped first, PostgreSQL
    looks up the tags of the few conversations there are, where joined directly it read every tag there is."""
    conversation = (SlaClock.conversation_id + 0).label("conversation_id")  # not the column: grouped by it, SQLite
    # walked every clock in the order of the index that starts with it, to spare itself a sort
    query = _scoped(query.add_columns(conversation), OVERALL, kinds, ranges, tags)
    return query.where(*where).group_by(conversation, *group_by).subquery()


# --- the kept hours ---------------------------------------------------------------------------


def _kept(session: Session, start: datetime, end: datetime | None) -> tuple[Ranges, datetime | None]:
    """The runs of whole hours in [start, end) whose kept rows are current, and the cutoff they were counted at."""
    first = hour_of(start) + (HOUR if hour_of(start) < start else timedelta(0))
    query = select(StatsHour.hour, select(StatsCutoff.at).scalar_subquery()).where(
        StatsHour.version == StatsHour.rolled_version, StatsHour.hour >= first)
    if end is not None:
        query = query.where(StatsHour.hour <= end - HOUR)
    runs: Ranges = []
    cutoff = None
    for hour, counted_at in session.connection().execute(query.order_by(StatsHour.hour)):
        cutoff = counted_at
        if runs and runs[-1][1] == hour:
            runs[-1] = (runs[-1][0], hour + HOUR)
        else:
            runs.append((hour, hour + HOUR))
    return runs, cutoff


def _rest(start: datetime, end: datetime | None, kept: Ranges) -> Ranges:
    """[start, end) without the kept runs (which lie inside it, in order)."""
    rest: Ranges = []
    for run_start, run_end in kept:
        if start < run_start:
            rest.append((start, run_start))
        start = run_end
    if end is None or start < end:
        rest.append((start, end))
    return rest


def _add_kept(session: Session, by: str, scope: str, kinds: tuple[str, ...], kept: Ranges,
              counts: dict[str, dict[str, list[int]]], times: dict[str, Counter[float]]) -> None:
    """Add the kept rows of the `kept` hours: their counts, and their histograms of first-response times."""
    connection = session.connection()
    rows = (StatsRollup.scope == scope, StatsRollup.grouping == by, _within(StatsRollup.hour, kept))
    names = dict(connection.execute(select(Agent.id, Agent.name)).all()) if by == AGENT else {}

    def named(grp: str) -> str:
        return (names.get(int(grp), UNASSIGNED) if grp else UNASSIGNED) if by == AGENT else grp  # agents by id

    summed = select(StatsRollup.grp, StatsRollup.kind, *[func.sum(getattr(StatsRollup, name)) for name in
                                                          ("clocks", "spam", "responded", "responded_counted", "met",
                                                           "missed")])
    for grp, kind, *numbers in connection.execute(summed.where(*rows, StatsRollup.kind.in_(kinds))
                                                  .group_by(StatsRollup.grp, StatsRollup.kind)):
        name = named(grp)
        counts[name][kind] = [have + int(n) for have, n in zip(counts[name][kind], numbers, strict=True)]
    timed: dict[str, int] = defaultdict(int)
    for grp, data in connection.execute(select(StatsRollup.grp, StatsRollup.times).where(
            *rows, StatsRollup.kind == FIRST, StatsRollup.times.is_not(None))):
        timed[named(grp)] += histogram.decode(data)  # adding histograms is adding integers
    for name, total in timed.items():
        times[name].update(histogram.times(total))


def _add_fallen_due(session: Session, by: str, kinds: tuple[str, ...], kept: Ranges, cutoff: datetime | None,
                    now: datetime, tags: tuple[str, ...], counts: dict[str, dict[str, list[int]]]) -> None:
    """The kept rows count a running clock as missed when it was due before their cutoff; one due between the cutoff
    and `now` is missed now (or, should `now` be earlier than the cutoff, not yet)."""
    if cutoff is None or cutoff == now:
        return
    low, high = sorted((cutoff, now))
    # found by the index of the running clocks' due times, then kept to the kept hours here: with the hours in the
    # query, SQLite walked every clock of the window instead
    query = _scoped(select(_group(by), SlaClock.kind, SlaClock.started_at), by, kinds, None, tags).where(
        SlaClock.stopped_at.is_(None), SlaClock.due_at >= low, SlaClock.due_at < high)
    for name, kind, started_at in session.connection().execute(query):
        if any(start <= started_at < end for start, end in kept):
            counts[name][kind][5] += 1 if now > cutoff else -1
