"""The figures of /stats, /sla, the digest and App Home: kept figures of whole past days, hours and five-minute slots,
the rest counted by the database.

A week of a busy desk is millions of SLA clocks. What the rollup job has counted (bot/reports/rollup.py) is read
from its rows: whole UTC days added up, the other whole hours, the five-minute slots of the window's partial first
and last hours, and the ended slots of the current hour (the job counts an hour once it has ended, its slots every
minute as they end): a few hundred rows for a week. What is left is counted from the clocks, in SQL: at most five
minutes at each end of the window (the current slot, at the end of a window up to now), hours and slots not counted
yet or changed since (storage/hours.py marks them), and the running clocks of kept hours and slots that fell due
since the rollup's cutoff (missed now, not when they were counted). Every grouping /stats shows is read in one pass
(`tally_all`): one query for the kept rows of all of them, one for the rest, whose cells (kind, responder, network,
the conversation's tags) Python adds into each grouping's groups.
The first responses' times of kept rows come as histograms (bot/reports/histogram.py), so with any kept row in the
window the median and the p90 are within 2.5 % of the exact ones; every count is exact.

A /stats filtered by several tags (any of them), and the by-tag figures of a filtered one, are counted from the
clocks: the rollup keeps one tag at a time (and the slots none: a filtered window's ends come from the clocks). The
definitions are bot/reports/figures.py's; `figures.measure` is the same verdict for one clock.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import String, and_, case, false, func, literal, literal_column, or_, select, text
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session

from bot.desk import tags as conversation_tags
from bot.reports import histogram
from bot.sla.clocks import FIRST, NEXT, RESOLUTION, RESOLVED, RESPONDED
from storage.hours import SLOT_MINUTES, day_of, hour_of, slot_of
from storage.models import (
    Agent,
    Conversation,
    ConversationTag,
    SlaClock,
    StatsCutoff,
    StatsDay,
    StatsDayRollup,
    StatsHour,
    StatsRollup,
    StatsSlot,
    StatsSlotVersion,
)
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
SLOT = timedelta(minutes=SLOT_MINUTES)
DAY = timedelta(days=1)
SMALL = 3 * HOUR  # what is left to count from the clocks, at most, for `_small_queries`


Counted = dict[str, dict[str, dict[str, list[int]]]]  # grouping -> group -> kind -> the six counts
Timed = dict[str, dict[str, Counter[float]]]  # grouping -> group -> first-response time -> how many


def tally_all(session: Session, bys: tuple[str, ...], start: datetime, end: datetime | None, now: datetime,
              tags: tuple[str, ...] = ()) -> dict[str, dict[str, Group]]:
    """For each grouping of `bys`, the clocks that started in [start, end) grouped by OVERALL (one group, ""), AGENT,
    NETWORK or TAG (a clock counts under each of its conversation's tags); only conversations tagged with any of
    `tags`, when given. Grouped by anything but OVERALL, resolution clocks are left out (the sections show responses
    only). Read in one pass: the kept rows of every grouping in one query, the rest of the window counted once for
    all of them (each query returns the cells of kind, responder, network and the conversation's tags, which Python
    adds into every grouping's groups)."""
    passes: dict[str | None, list[str]] = defaultdict(list)
    for by in dict.fromkeys(bys):
        passes["" if not tags else tags[0] if len(tags) == 1 and by != TAG else None].append(by)  # the rows that fit
    counts: Counted = {by: defaultdict(lambda: defaultdict(lambda: [0] * 6)) for by in bys}
    times: Timed = {by: defaultdict(Counter) for by in bys}
    connection = session.connection()
    names = dict(connection.execute(select(Agent.id, Agent.name)).all()) if AGENT in bys else {}  # by id
    for scope, its in passes.items():
        days, hours, in_slots, cutoff = (_kept(session, start, end, scope == "") if scope is not None
                                         else ([], [], [], None))
        kept = sorted(days + hours + in_slots)
        rests = _rest(start, end, kept)
        small = (sum((min(e or now, now) - s for s, e in rests), timedelta(0)) <= SMALL
                 and (cutoff is None or abs(now - cutoff) <= SMALL))  # the clocks left to count, and fallen due
        with _small_queries(connection, small):
            if days:
                _add_kept(session, tuple(its), names, StatsDayRollup.day, _starts(days, DAY), counts, times,
                          StatsDayRollup.scope == scope)
            if hours:
                _add_kept(session, tuple(its), names, StatsRollup.hour, _starts(hours, HOUR), counts, times,
                          StatsRollup.scope == scope)
            if in_slots:
                _add_kept(session, tuple(its), names, StatsSlot.slot, _starts(in_slots, SLOT), counts, times)
            if kept:
                _add_fallen_due(session, tuple(its), names, kept, cutoff, now, tags, counts)
            for rest in rests:  # a query each: the databases walk the index for one range, not for an OR
                _add_counted(connection, tuple(its), names, rest, now, tags, counts, times)
    return {by: {name: Group({kind: Counts(*numbers) for kind, numbers in kinds_of.items()},
                             *(histogram.ranked(times[by][name]) or (None, None)))
                 for name, kinds_of in counts[by].items()}
            for by in bys}


@contextmanager
def _small_queries(connection, small: bool):
    """PostgreSQL plans a query over a few thousand clocks as a big one (their tags looked up one by one weigh in the
    estimate): compiled (JIT) and with parallel workers, which took longer to start than the query to run. Off for
    every query of a pass that counts a few hours of clocks at most (`small`)."""
    if not small or connection.dialect.name != "postgresql":
        yield
        return
    settings = {"jit": "off", "max_parallel_workers_per_gather": "0"}  # for the transaction, until reset below
    connection.execute(select(*[func.set_config(name, value, True) for name, value in settings.items()]))
    try:
        yield
    finally:
        name = literal_column("name")
        connection.execute(select(func.set_config(name, literal_column("reset_val"), True)).select_from(
            text("pg_settings")).where(name.in_(list(settings))))  # back to the session's values


def _kinds(by: str) -> tuple[str, ...]:
    return (FIRST, NEXT, RESOLUTION) if by == OVERALL else (FIRST, NEXT)


def _groups(bys: tuple[str, ...], kind: str, agent: str, network: str, tags: str | None):
    """The (grouping, group) pairs of `bys` a clock of `kind` counts in."""
    for by in bys:
        if by == OVERALL:
            yield by, ""
        elif kind != RESOLUTION:
            if by == AGENT:
                yield by, agent
            elif by == NETWORK:
                yield by, network
            else:
                yield from ((by, tag) for tag in (tags or "").split())


def _tag_list():
    """A conversation's tags as one string, space between (a tag has no space), for queries over Conversation."""
    return (select(func.aggregate_strings(ConversationTag.tag, " "))
            .where(ConversationTag.conversation_id == Conversation.id).scalar_subquery())


def _cells(bys: tuple[str, ...], tags: tuple[str, ...], *columns):
    """The clocks of the kinds `bys` count with their responder's id (else the owner's), network and tags (only
    when grouped by them), and `columns`, to be grouped by the first four."""
    kinds = tuple(dict.fromkeys(kind for by in bys for kind in _kinds(by)))
    tag_list = _tag_list() if TAG in bys else literal(None, String())
    query = (select(SlaClock.kind.label("kind"),
                    func.coalesce(SlaClock.agent_id, Conversation.assignee_id).label("agent"),
                    Conversation.network.label("network"), tag_list.label("tags"), *columns)
             .select_from(SlaClock).join(Conversation, Conversation.id == SlaClock.conversation_id)
             .where(SlaClock.kind.in_(kinds)))
    return query.where(conversation_tags.tagged(tags)) if tags else query


def _add_counted(connection, bys: tuple[str, ...], names: dict[int, str], rest: tuple[datetime, datetime | None],
                 now: datetime, tags: tuple[str, ...], counts: Counted, times: Timed) -> None:
    """Count the clocks that started in `rest` into every grouping of `bys`."""
    done = or_(and_(SlaClock.kind == RESOLUTION, SlaClock.outcome == RESOLVED),
               and_(SlaClock.kind != RESOLUTION, SlaClock.outcome == RESPONDED))
    spam = Conversation.intent == "spam"
    met = case((and_(done, SlaClock.stopped_at <= SlaClock.due_at), 1), else_=0)
    missed = case((done, case((SlaClock.stopped_at > SlaClock.due_at, 1), else_=0)),
                  (func.coalesce(SlaClock.stopped_at, literal(now, UTCDateTime())) > SlaClock.due_at, 1), else_=0)
    flags = (case((spam, 1), else_=0), case((done, 1), else_=0), case((and_(done, ~spam), 1), else_=0), met, missed)
    within = _within(SlaClock.started_at, [rest])
    per_clock = _cells(bys, tags, *[flag.label(f"f{i}") for i, flag in enumerate(flags)]).where(within).subquery()
    cell = (per_clock.c.kind, per_clock.c.agent, per_clock.c.network, per_clock.c.tags)
    query = select(*cell, func.count(), *[func.sum(per_clock.c[f"f{i}"]) for i in range(len(flags))]).group_by(*cell)
    for kind, agent, network, its_tags, *numbers in connection.execute(query):
        for by, name in _groups(bys, kind, names.get(agent, UNASSIGNED), network, its_tags):
            have = counts[by][name][kind]
            have[:] = [h + int(n or 0) for h, n in zip(have, numbers, strict=True)]
    responded = _cells(bys, tags, SlaClock.response_seconds.label("seconds")).where(
        within, SlaClock.kind == FIRST, SlaClock.outcome == RESPONDED, SlaClock.response_seconds.is_not(None)
    ).subquery()
    cell = (responded.c.agent, responded.c.network, responded.c.tags, responded.c.seconds)
    for agent, network, its_tags, seconds, taking in connection.execute(
            select(*cell, func.count()).group_by(*cell)):
        for by, name in _groups(bys, FIRST, names.get(agent, UNASSIGNED), network, its_tags):
            times[by][name][seconds] += int(taking)


def _within(column, ranges: Ranges) -> ColumnElement:
    return or_(false(), *[and_(column >= start, *([column < end] if end is not None else []))
                          for start, end in ranges])


# --- the kept hours ---------------------------------------------------------------------------


def _kept(session: Session, start: datetime, end: datetime | None, slots: bool) -> tuple[Ranges, Ranges, Ranges,
                                                                                    datetime | None]:
    """The runs in [start, end) of whole UTC days whose added-up rows are current; of the other whole hours whose kept
    rows are current; of the five-minute slots whose slots are current (when `slots`): those of its partial first and
    last hours counted with their hour, and of hours not counted yet (the current one) counted one by one
    (StatsSlotVersion); and the cutoff they were counted at."""
    connection = session.connection()
    counted_at = select(StatsCutoff.at).scalar_subquery()
    query = select(StatsHour.hour, StatsHour.version, StatsHour.version == StatsHour.rolled_version,
                   StatsHour.version == StatsHour.slotted_version, counted_at).where(
        StatsHour.hour >= hour_of(start), or_(StatsHour.version == StatsHour.rolled_version,
                                              StatsHour.version == StatsHour.slotted_version))
    if end is not None:
        query = query.where(StatsHour.hour < end)
    first_slot = slot_of(start) + (SLOT if slot_of(start) < start else timedelta(0))
    whole: dict[datetime, int] = {}  # hour -> version
    kept_slots: list[datetime] = []
    covered: set[datetime] = set()  # the hours read whole or by their hour's slots
    cutoff = None
    for hour, version, rolled, slotted, at in connection.execute(query.order_by(StatsHour.hour)):
        if start <= hour and (end is None or hour + HOUR <= end):
            if rolled:
                cutoff = at
                whole[hour] = version
                covered.add(hour)
        elif slots and slotted:
            low, high = max(hour, first_slot), hour + HOUR if end is None else min(hour + HOUR, slot_of(end))
            if low < high:
                cutoff = at
                covered.add(hour)
                kept_slots += _starts([(low, high)], SLOT)
    if slots:
        counted = select(StatsSlotVersion.slot, counted_at).where(
            StatsSlotVersion.slot >= first_slot, StatsSlotVersion.version == StatsSlotVersion.counted_version)
        if end is not None:
            counted = counted.where(StatsSlotVersion.slot < slot_of(end))
        one_by_one = [(slot, at) for slot, at in connection.execute(counted) if hour_of(slot) not in covered]
        # read after the hours: should the job have moved the cutoff in between, these are left to the clocks
        if one_by_one and (cutoff is None or all(at == cutoff for _, at in one_by_one)):
            cutoff = one_by_one[0][1]
            kept_slots += [slot for slot, _ in one_by_one]
    in_slots: Ranges = []
    for slot in sorted(kept_slots):
        _extend(in_slots, slot, slot + SLOT)
    versions: dict[datetime, list[int]] = defaultdict(list)
    for hour, version in whole.items():
        versions[day_of(hour)].append(version)
    days = [day for day, its in versions.items() if len(its) == 24]
    added = set()
    if days:
        added = {day for day, summed in connection.execute(select(StatsDay.day, StatsDay.versions).where(
            StatsDay.day.in_(days))) if summed == sum(versions[day])}
    day_runs: Ranges = []
    hours: Ranges = []
    for hour in whole:
        if day_of(hour) in added:
            if hour == day_of(hour):
                _extend(day_runs, hour, hour + DAY)
        else:
            _extend(hours, hour, hour + HOUR)
    return day_runs, hours, in_slots, cutoff


def _starts(runs: Ranges, step: timedelta) -> list[datetime]:
    """Where the days, hours or slots (`step` long) of `runs` begin."""
    starts = []
    for start, end in runs:
        while start < end:
            starts.append(start)
            start += step
    return starts


def _extend(runs: Ranges, start: datetime, end: datetime) -> None:
    if runs and runs[-1][1] == start:
        runs[-1] = (runs[-1][0], end)
    else:
        runs.append((start, end))


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


def _add_kept(session: Session, bys: tuple[str, ...], names: dict[int, str], at, starts: list[datetime],
              counts: Counted, times: Timed, *where) -> None:
    """Add the kept rows (StatsDayRollup, StatsRollup or StatsSlot: the table of the column `at`) of every grouping
    of `bys` of the days, hours or slots that begin at `starts`: their counts, and their histograms of first-response
    times (one query each for all the groupings). Listed, not as ranges: PostgreSQL walked all the rows of the scope
    for two ranges (an OR), where it finds listed ones in the index."""
    connection = session.connection()
    table = at.class_
    rows = (*where, table.grouping.in_(bys), at.in_(starts))

    def named(by: str, grp: str) -> str:
        return (names.get(int(grp), UNASSIGNED) if grp else UNASSIGNED) if by == AGENT else grp  # agents by id

    summed = select(table.grouping, table.grp, table.kind,
                    *[func.sum(getattr(table, name)) for name in
                      ("clocks", "spam", "responded", "responded_counted", "met", "missed")])
    for by, grp, kind, *numbers in connection.execute(
            summed.where(*rows).group_by(table.grouping, table.grp, table.kind)):
        if kind in _kinds(by):
            have = counts[by][named(by, grp)][kind]
            have[:] = [h + int(n) for h, n in zip(have, numbers, strict=True)]
    timed: dict[tuple[str, str], int] = defaultdict(int)
    for by, grp, data in connection.execute(select(table.grouping, table.grp, table.times).where(
            *rows, table.kind == FIRST, table.times.is_not(None))):
        timed[(by, named(by, grp))] += histogram.decode(data)  # adding histograms is adding integers
    for (by, name), total in timed.items():
        times[by][name].update(histogram.times(total))


def _add_fallen_due(session: Session, bys: tuple[str, ...], names: dict[int, str], kept: Ranges,
                    cutoff: datetime | None, now: datetime, tags: tuple[str, ...], counts: Counted) -> None:
    """The kept rows count a running clock as missed when it was due before their cutoff; one due between the cutoff
    and `now` is missed now (or, should `now` be earlier than the cutoff, not yet)."""
    if cutoff is None or cutoff == now:
        return
    low, high = sorted((cutoff, now))
    # found by the index of the running clocks' due times, then kept to the kept hours here: with the hours in the
    # query, SQLite walked every clock of the window instead
    connection = session.connection()
    query = _cells(bys, tags, SlaClock.started_at).where(SlaClock.stopped_at.is_(None), SlaClock.due_at >= low,
                                                        SlaClock.due_at < high)
    for kind, agent, network, its_tags, started_at in connection.execute(query):
        if any(start <= started_at < end for start, end in kept):
            for by, name in _groups(bys, kind, names.get(agent, UNASSIGNED), network, its_tags):
                counts[by][name][kind][5] += 1 if now > cutoff else -1
