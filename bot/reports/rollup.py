"""The figures of whole past hours, kept: /stats over a week adds up a few hundred rows instead of every clock.

Each hour of SLA clocks (by `started_at`, UTC) is counted once, into StatsRollup rows per kind and group of every
grouping tally.py has (everything, agent, network, tag), and again per tag for the conversations tagged with it (a
/stats filtered by one tag), with what tally counts (clocks, spam, responded, met, missed) and a histogram of the
first responses' times (bot/reports/histogram.py). Running clocks are in it too: counted, and missed when their due
time was before the cutoff (StatsCutoff) the rows were counted at. In the same transaction the hour's clocks are
counted again by five-minute slot (StatsSlot, every clock, no tag scope), for windows that start or end inside it.
The current hour's slots are counted one by one as they end (`count_slots`, each with a version of its own,
StatsSlotVersion), so /stats counts from the clocks only the current five minutes of a live desk.
Once a UTC day's 24 hours are all counted, their rows are added up into the day's (StatsDayRollup), recorded with
the sum of the hours' versions (StatsDay).

The rows are a cache, made again from the clocks whenever they may be stale:
- a write that changes what an hour's clocks count marks the hour (storage/hours.py, in the writer's transaction);
  its rows and slots are used only while they were counted at the hour's current version, and the job counts it
  again; its day, only while the sum of its hours' versions is the one it was added up at (a version only grows);
  a slot of the current hour, only while it was counted at its own version (marked with the hour);
- a running clock falling due changes no row, only the time: each run moves the cutoff to its `now`, and first marks
  the hours (and slots) of the running clocks that fell due since the last cutoff (an index finds them), so every
  kept hour or slot counts as missed exactly the running clocks due before the cutoff; tally counts those due since,
  from the clocks.
`roll_up` runs every minute (bot/app/jobs.py): it counts the marked hours that have ended and every whole hour never
counted (or never counted by slot, as before migration 0017), from the first clock on (so its first run after the
upgrade, or after a bulk load, fills the past), then the current hour's ended slots that are marked or never
counted (an hour's slot versions are forgotten once it is counted whole), then adds up the days.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.reports import histogram
from bot.reports.tally import AGENT, NETWORK, OVERALL, TAG
from bot.sla.clocks import FIRST, NEXT, RESOLUTION, RESOLVED, RESPONDED
from storage.db import session_scope
from storage.hours import SLOT_MINUTES, day_of, hour_of, mark, mark_hours, slot_of
from storage.models import (
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

HOUR = timedelta(hours=1)
SLOT = timedelta(minutes=SLOT_MINUTES)
DAY = timedelta(days=1)
COUNTS = ("clocks", "spam", "responded", "responded_counted", "met", "missed")


def roll_up(engine: Engine, now: datetime) -> int:
    """Bring the kept figures up to `now`; returns how many hours were counted."""
    _move_cutoff(engine, now)
    hours = _to_count(engine, now)
    for hour in hours:
        count_hour(engine, hour)
    count_slots(engine, now)
    _add_up_days(engine, now)
    return len(hours)


def _add_up_days(engine: Engine, now: datetime) -> None:
    """Add up the hours' rows of every ended day whose 24 hours are current and that is not added up at their
    versions yet."""
    with Session(engine) as session:
        hours: dict[datetime, list[tuple[int, bool]]] = defaultdict(list)
        for hour, version, rolled in session.execute(select(StatsHour.hour, StatsHour.version,
                                                            StatsHour.version == StatsHour.rolled_version)):
            hours[day_of(hour)].append((version, rolled))
        added = dict(session.execute(select(StatsDay.day, StatsDay.versions)).all())
    for day, its in sorted(hours.items()):
        versions = sum(version for version, _ in its)
        if day + DAY <= hour_of(now) and len(its) == 24 and all(rolled for _, rolled in its) \
                and added.get(day) != versions:
            add_up_day(engine, day, versions)


def add_up_day(engine: Engine, day: datetime, versions: int) -> None:
    """The day's rows from its hours' (current at `versions`, their versions' sum, when they were read: a write since
    moved an hour's version on, and the day is not used until added up again)."""
    with session_scope(engine) as session:
        connection = session.connection()
        in_day = (StatsRollup.hour >= day, StatsRollup.hour < day + DAY)
        cell = (StatsRollup.scope, StatsRollup.grouping, StatsRollup.kind, StatsRollup.grp)
        rows: dict[tuple, dict] = {}
        for row in connection.execute(select(*cell, *[func.sum(getattr(StatsRollup, name)) for name in COUNTS])
                                      .where(*in_day).group_by(*cell)):
            key = tuple(row[:4])
            rows[key] = {**dict(zip(("scope", "grouping", "kind", "grp"), key, strict=True)), "day": day,
                         **dict(zip(COUNTS, (int(n) for n in row[4:]), strict=True)), "times": None}
        timed: dict[tuple, int] = defaultdict(int)
        for *key, data in connection.execute(select(*cell, StatsRollup.times).where(
                *in_day, StatsRollup.times.is_not(None))):
            timed[tuple(key)] += histogram.decode(data)
        for key, total in timed.items():
            rows[key]["times"] = histogram.encode(total)
        connection.execute(delete(StatsDayRollup).where(StatsDayRollup.day == day))
        if rows:
            connection.execute(insert(StatsDayRollup), list(rows.values()))
        connection.execute(delete(StatsDay).where(StatsDay.day == day))
        connection.execute(insert(StatsDay), [{"day": day, "versions": versions}])


def _move_cutoff(engine: Engine, now: datetime) -> None:
    """Mark the hours of the running clocks that fell due since the last cutoff, and move it to `now`."""
    with session_scope(engine) as session:
        cutoff = session.get(StatsCutoff, 1)
        if cutoff is None:
            session.add(StatsCutoff(id=1, at=now))
            return
        if now <= cutoff.at:
            return
        fell_due = select(SlaClock.started_at).where(SlaClock.stopped_at.is_(None), SlaClock.due_at >= cutoff.at,
                                                      SlaClock.due_at < now)
        mark(session.connection(), set(session.execute(fell_due).scalars()))
        cutoff.at = now


def _to_count(engine: Engine, now: datetime) -> list[datetime]:
    """The ended hours that are marked or were never counted, from the first hour there is (a row or a clock)."""
    last = hour_of(now) - HOUR
    with Session(engine) as session:
        firsts = [session.execute(select(func.min(StatsHour.hour))).scalar()]
        firsts += [session.execute(select(func.min(SlaClock.started_at)).where(SlaClock.kind == kind)).scalar()
                   for kind in (FIRST, NEXT, RESOLUTION)]  # one index lookup each
        firsts = [hour_of(first) for first in firsts if first is not None]
        if not firsts:
            return []
        current = set(session.execute(select(StatsHour.hour).where(StatsHour.hour >= min(firsts),
                                                                    StatsHour.version == StatsHour.rolled_version,
                                                                    StatsHour.version == StatsHour.slotted_version))
                      .scalars())
    hours, hour = [], min(firsts)
    while hour <= last:
        if hour not in current:
            hours.append(hour)
        hour += HOUR
    return hours


def count_hour(engine: Engine, hour: datetime) -> None:
    """Count the clocks that started in `hour` into its rows, in one transaction."""
    with session_scope(engine) as session:
        connection = session.connection()
        if session.get(StatsHour, hour) is None:
            mark_hours(connection, [hour])
        # the version before the clocks are read, the cutoff after: a write or a cutoff moving meanwhile leaves the
        # hour marked (its version moves on past the one recorded below)
        version = session.execute(select(StatsHour.version).where(StatsHour.hour == hour)).scalar_one()
        cutoff = session.execute(select(StatsCutoff.at)).scalar_one()
        rows, slots = _figures(session, hour, hour + HOUR, cutoff)
        connection.execute(delete(StatsRollup).where(StatsRollup.hour == hour))
        connection.execute(delete(StatsSlot).where(StatsSlot.slot >= hour, StatsSlot.slot < hour + HOUR))
        if rows:
            connection.execute(insert(StatsRollup), rows)
        if slots:
            connection.execute(insert(StatsSlot), slots)
        connection.execute(update(StatsHour).where(StatsHour.hour == hour).values(rolled_version=version,
                                                                                   slotted_version=version))
        # its slots' versions, kept while it was the current hour: its own rule now (after its row: as writers lock)
        connection.execute(delete(StatsSlotVersion).where(StatsSlotVersion.slot >= hour,
                                                          StatsSlotVersion.slot < hour + HOUR))


def count_slots(engine: Engine, now: datetime) -> int:
    """Count the ended five-minute slots of the current hour that are marked or were never counted into their
    StatsSlot rows; returns how many slots were counted. Their versions are forgotten when their hour is counted
    (`count_hour`): its StatsHour rules then."""
    hour, last = hour_of(now), slot_of(now)  # the slots in [hour, last) have ended
    ended = [hour + SLOT * n for n in range((last - hour) // SLOT)]
    if not ended:
        return 0
    in_hour = (StatsSlotVersion.slot >= hour, StatsSlotVersion.slot < last)
    with session_scope(engine) as session:  # first a row for each to record its version in (and its hour's, so the
        connection = session.connection()  # hour is counted once ended, even without a clock): committed at once
        known = set(connection.execute(select(StatsSlotVersion.slot).where(*in_hour)).scalars())
        if missing := [slot for slot in ended if slot not in known]:
            mark(connection, missing)
    with session_scope(engine) as session:  # their rows updated last: a writer waits on them only for the commit
        connection = session.connection()
        # the versions before the clocks are read, the cutoff after, as for an hour (`count_hour`)
        versions = dict(connection.execute(select(StatsSlotVersion.slot, StatsSlotVersion.version).where(
            *in_hour, StatsSlotVersion.version != StatsSlotVersion.counted_version)).all())
        stale = sorted(versions)
        if not stale:
            return 0
        cutoff = session.execute(select(StatsCutoff.at)).scalar_one()
        slots: list[dict] = []
        for start, end in _runs(stale):
            slots += _figures(session, start, end, cutoff)[1]
        connection.execute(delete(StatsSlot).where(StatsSlot.slot.in_(stale)))
        if slots:
            connection.execute(insert(StatsSlot), slots)
        connection.execute(update(StatsSlotVersion).where(StatsSlotVersion.slot == bindparam("at")).values(
            counted_version=bindparam("counted")), [{"at": slot, "counted": versions[slot]} for slot in stale])
    return len(stale)


def _runs(slots: list[datetime]) -> list[tuple[datetime, datetime]]:
    """The runs of adjacent `slots` (in order), [start, end) each."""
    runs: list[tuple[datetime, datetime]] = []
    for slot in slots:
        if runs and runs[-1][1] == slot:
            runs[-1] = (runs[-1][0], slot + SLOT)
        else:
            runs.append((slot, slot + SLOT))
    return runs


def _figures(session: Session, start: datetime, end: datetime, cutoff: datetime) -> tuple[list[dict], list[dict]]:
    """The rows of the hour `start` is in and the slots' (StatsSlot) of [start, end): every clock that started in it,
    counted as tally.py counts it with `now` the cutoff."""
    hour = hour_of(start)
    in_hour = (SlaClock.started_at >= start, SlaClock.started_at < end,
               SlaClock.kind.in_((FIRST, NEXT, RESOLUTION)))
    clocks = session.execute(
        select(SlaClock.kind, SlaClock.due_at, SlaClock.stopped_at, SlaClock.outcome, SlaClock.response_seconds,
               func.coalesce(SlaClock.agent_id, Conversation.assignee_id), Conversation.network, Conversation.intent,
               SlaClock.conversation_id, SlaClock.started_at)
        .join(Conversation, Conversation.id == SlaClock.conversation_id).where(*in_hour)).all()
    tags: dict[int, tuple[str, ...]] = defaultdict(tuple)
    tagged = select(ConversationTag.conversation_id, ConversationTag.tag).where(
        ConversationTag.conversation_id.in_(select(SlaClock.conversation_id).where(*in_hour)))
    for conversation_id, tag in session.execute(tagged):
        tags[conversation_id] += (tag,)
    # first the clocks alike (kind, responder, network, tags) added up, then each such cell into its groups
    cells: dict[tuple, list[int]] = defaultdict(lambda: [0] * (len(COUNTS) + 1))
    for kind, due_at, stopped_at, outcome, seconds, agent, network, intent, conversation_id, started_at in clocks:
        done = outcome == (RESOLVED if kind == RESOLUTION else RESPONDED)
        spam = intent == "spam"
        missed = (stopped_at or cutoff) > due_at  # done: it stopped late; else: stopped or still running past due
        cell = cells[(kind, "" if agent is None else str(agent), network, tags.get(conversation_id, ()),
                      slot_of(started_at))]
        for index, figure in enumerate((1, spam, done, done and not spam, done and not missed, missed)):
            cell[index] += figure
        if kind == FIRST and outcome == RESPONDED and seconds is not None:
            cell[-1] += histogram.of(seconds)
    groups: dict[tuple[str, str, str, str], list[int]] = defaultdict(lambda: [0] * (len(COUNTS) + 1))
    slots: dict[tuple[datetime, str, str, str], list[int]] = defaultdict(lambda: [0] * (len(COUNTS) + 1))
    for (kind, agent, network, its_tags, slot), cell in cells.items():
        for scope in ("", *its_tags):
            keys = [(OVERALL, "")]
            if kind != RESOLUTION:
                keys += [(AGENT, agent), (NETWORK, network)] + ([(TAG, tag) for tag in its_tags] if scope == "" else [])
            for grouping, grp in keys:
                for group in (groups[(scope, grouping, kind, grp)],
                              *([slots[(slot, grouping, kind, grp)]] if scope == "" else [])):
                    for index, figure in enumerate(cell):
                        group[index] += figure
    return ([{"scope": scope, "grouping": grouping, "hour": hour, "kind": kind, "grp": grp,
              **dict(zip(COUNTS, counts[:-1], strict=True)), "times": histogram.encode(counts[-1])}
             for (scope, grouping, kind, grp), counts in groups.items()],
            [{"slot": slot, "grouping": grouping, "kind": kind, "grp": grp,
              **dict(zip(COUNTS, counts[:-1], strict=True)), "times": histogram.encode(counts[-1])}
             for (slot, grouping, kind, grp), counts in slots.items()])
