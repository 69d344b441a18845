"""The kept figures of whole hours (bot/reports/rollup.py) give what counting every clock gives, on SQLite and
PostgreSQL: every count the same, the median and the p90 within 2.5 % (bot/reports/histogram.py), before and after
the rollup job runs, and while the desk changes under it (a clock stops, an owner changes, spam, tags).

The reference is the clock-by-clock definition of test_tally.py (`figures.measure` over every clock of the window).
"""
from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, text, update
from sqlmodel import Session, select

from bot.desk import tags as conversation_tags
from bot.ingest.stream import store_posts
from bot.reports import figures, histogram
from bot.reports import tally as tally_module
from bot.reports.rollup import roll_up
from bot.reports.tally import AGENT, NETWORK, OVERALL, TAG, Group, tally_all
from bot.sla import clocks as sla_clocks
from bot.sla.clocks import FIRST, RESPONDED
from storage.db import session_scope
from storage.models import Conversation, Customer, SlaClock, StatsHour, StatsRollup, StatsSlot
from tests.auxil import factories
from tests.auxil.desk import make_runtime
from tests.bot.reports.test_tally import OFFICE, WEEK, fill, reference

T0 = factories.T0


def close(got: timedelta | None, want: timedelta | None) -> bool:
    if got is None or want is None:
        return got is want
    return abs(got - want) <= max(want * 0.025, timedelta(seconds=0.5)) + timedelta(microseconds=1)


def assert_matches(got: dict[str, Group], want: dict[str, Group], label) -> None:
    assert got.keys() == want.keys(), label
    for name in want:
        assert got[name].kinds == want[name].kinds, (label, name)
        assert close(got[name].median, want[name].median), (label, name, got[name].median, want[name].median)
        assert close(got[name].p90, want[name].p90), (label, name, got[name].p90, want[name].p90)


def check(runtime, now, tag_filters=((), ("billing",), ("billing", "vip")), windows=None) -> None:
    """Every grouping of several windows (whole hours and not, open and closed) against the reference."""
    windows = windows or [figures.last(WEEK, now), figures.last(timedelta(days=3, minutes=29), now),
                          figures.day(runtime.config.sla.timezone, now, days_ago=1),
                          figures.Window(T0 - timedelta(days=5), T0 - timedelta(days=2), "whole hours")]
    with Session(runtime.engine) as session:
        for window in windows:
            for tags in tag_filters:
                ctx = figures.context(session, runtime.config, window, now, tags)
                measured = figures.measured(ctx)
                for by in (OVERALL, AGENT, NETWORK, TAG):
                    assert_matches(tally_all(session, (by,), window.start, window.end, now, tags)[by], reference(measured, by),
                                   (window.label, tags, by, now))


def kept_hours(engine) -> int:
    with Session(engine) as session:
        return len(session.exec(select(StatsHour).where(StatsHour.version == StatsHour.rolled_version)).all())


@pytest.mark.parametrize("seed", [3, 15])
async def test_kept_hours_give_the_figures_of_every_clock(db_url, tmp_path, seed):
    runtime, _, clock = make_runtime(db_url, tmp_path, sla=OFFICE)
    fill(runtime.engine, runtime.config, random.Random(seed), conversations=120)
    sla_clocks.count_response_times(runtime.engine, runtime.config.sla)
    assert roll_up(runtime.engine, T0 - timedelta(hours=30)) > 150  # counted with running clocks not yet due
    assert roll_up(runtime.engine, T0) > 0  # those that fell due since: their hours again, and the hours since
    assert kept_hours(runtime.engine) > 200
    for now in (T0, T0 + timedelta(minutes=17), T0 + timedelta(hours=5), T0 - timedelta(hours=2)):
        check(runtime, now)  # later than the cutoff: due since are missed now; earlier: not yet
    await runtime.close()


async def test_the_figures_follow_changes_before_and_after_the_job(db_url, tmp_path):
    runtime, _, clock = make_runtime(db_url, tmp_path, sla=OFFICE)
    fill(runtime.engine, runtime.config, random.Random(7), conversations=80)
    sla_clocks.count_response_times(runtime.engine, runtime.config.sla)
    roll_up(runtime.engine, T0)
    now = T0 + timedelta(minutes=5)
    changes = []
    with Session(runtime.engine) as session:
        running = session.exec(select(SlaClock).where(SlaClock.kind == FIRST, SlaClock.stopped_at.is_(None),
                                                      SlaClock.started_at < T0 - timedelta(days=1))).first()
        others = session.exec(select(Conversation).where(Conversation.intent != "spam",
                                                         Conversation.id != running.conversation_id)).all()[:3]
    changes.append(lambda s: _stop(s, runtime.config, running.id))
    changes.append(lambda s: setattr(s.get(Conversation, others[0].id), "assignee_id",
                                     3 if others[0].assignee_id != 3 else None))
    changes.append(lambda s: setattr(s.get(Conversation, others[1].id), "intent", "spam"))
    changes.append(lambda s: conversation_tags.add(s, others[2].id, ["vip", "billing"]))
    changes.append(lambda s: conversation_tags.remove(s, others[2].id, ["vip"]))
    for change in changes:
        with session_scope(runtime.engine) as session:
            change(session)
        check(runtime, now, tag_filters=((), ("vip",)))  # stale hours counted from the clocks
        roll_up(runtime.engine, now)
        check(runtime, now, tag_filters=((), ("vip",)))  # counted again
    await runtime.close()


def _stop(session, config, clock_id: int) -> None:
    clock = session.get(SlaClock, clock_id)
    sla_clocks._stop(clock, clock.started_at + timedelta(minutes=42), RESPONDED, 2)
    clock.response_seconds = 42 * 60.0


async def test_rows_are_used_only_at_the_version_they_were_counted_at(db_url, tmp_path):
    runtime, _, clock = make_runtime(db_url, tmp_path)
    fill(runtime.engine, runtime.config, random.Random(2), conversations=30)
    roll_up(runtime.engine, T0)
    with Session(runtime.engine) as session:
        rows = len(session.exec(select(StatsRollup)).all())
        clock_row = session.exec(select(SlaClock).where(SlaClock.stopped_at.is_not(None))).first()
    with session_scope(runtime.engine) as session:
        session.get(SlaClock, clock_row.id).stage = "warn"  # nudge bookkeeping: the figures do not read it
    assert kept_hours(runtime.engine) == kept_before(runtime.engine)
    with session_scope(runtime.engine) as session:
        session.get(SlaClock, clock_row.id).due_at -= timedelta(minutes=1)
    with Session(runtime.engine) as session:
        stale = session.exec(select(StatsHour).where(StatsHour.version != StatsHour.rolled_version)).all()
    assert [row.hour for row in stale] == [clock_row.started_at.replace(minute=0, second=0, microsecond=0)]
    assert rows > 0
    await runtime.close()


def kept_before(engine) -> int:
    with Session(engine) as session:
        return len(session.exec(select(StatsHour)).all())


@given(st.lists(st.floats(min_value=0, max_value=10 ** 7, allow_nan=False), min_size=1, max_size=60))
def test_ranks_over_buckets_are_within_two_and_a_half_percent(seconds):
    exact = histogram.ranked(Counter(seconds))
    kept = 0
    for value in seconds:
        kept += histogram.of(value)
    approximate = histogram.ranked(histogram.times(kept))
    assert all(close(a, e) for a, e in zip(approximate, exact, strict=True))


async def test_clocks_a_page_of_posts_starts_in_counted_hours_make_them_stale(db_url, tmp_path):
    """A page's clocks are inserted with Core (bot/sla/clocks.py `kept`), not by an ORM flush: they mark their hours
    themselves, so posts read late (after an outage, say) into hours already counted are in the figures."""
    runtime, _, clock = make_runtime(db_url, tmp_path, sla=OFFICE)
    fill(runtime.engine, runtime.config, random.Random(5), conversations=40)
    sla_clocks.count_response_times(runtime.engine, runtime.config.sla)
    roll_up(runtime.engine, T0)
    before = kept_hours(runtime.engine)
    late = [factories.post(f"@acme order {n} never arrived", handle=f"late{n}", external_id=f"late-{n}",
                           minutes=-180 - n) for n in range(3)]
    with session_scope(runtime.engine) as session:
        if runtime.engine.dialect.name == "postgresql":  # fill() gave the conversations their ids itself
            session.exec(text("SELECT setval(pg_get_serial_sequence('conversation', 'id'), max(id)) FROM conversation"))
        assert store_posts(session, runtime.config, "replay", late, T0) == 3
    with Session(runtime.engine) as session:
        started = {c.started_at for c in session.exec(select(SlaClock).join(Conversation).where(
            Conversation.customer_id.in_(select(Customer.id).where(Customer.handle.like("late%")))))}
    assert started and kept_hours(runtime.engine) < before
    check(runtime, T0 + timedelta(minutes=5), tag_filters=((),))
    roll_up(runtime.engine, T0 + timedelta(minutes=5))
    check(runtime, T0 + timedelta(minutes=5), tag_filters=((),))
    await runtime.close()


def counted_from_clocks(monkeypatch) -> list[tuple]:
    """The ranges tally counts from the clocks, recorded as it counts them."""
    ranges: list[tuple] = []
    counted = tally_module._add_counted

    def recording(connection, bys, names, rest, *args):
        ranges.append(rest)
        return counted(connection, bys, names, rest, *args)

    monkeypatch.setattr(tally_module, "_add_counted", recording)
    return ranges


async def test_a_window_inside_hours_reads_their_five_minute_slots(db_url, tmp_path, monkeypatch):
    """The partial first and last hours of a window come from the slots they cover: at most five minutes at each
    end are counted from the clocks, and the figures are those of every clock."""
    runtime, _, clock = make_runtime(db_url, tmp_path, sla=OFFICE)
    fill(runtime.engine, runtime.config, random.Random(11), conversations=150)
    sla_clocks.count_response_times(runtime.engine, runtime.config.sla)
    roll_up(runtime.engine, T0)
    with Session(runtime.engine) as session:
        assert session.exec(select(StatsSlot)).first() is not None
    ranges = counted_from_clocks(monkeypatch)
    now = T0 + timedelta(minutes=23)
    window = figures.Window(T0 - timedelta(days=3, minutes=-17, seconds=-30), T0 - timedelta(hours=5, minutes=2),
                            "inside hours")
    check(runtime, now, tag_filters=((),), windows=[window, figures.last(WEEK, now)])
    untagged = [(start, end) for start, end in ranges if end is not None]
    assert untagged and all(end - start < timedelta(minutes=5) for start, end in untagged), untagged
    await runtime.close()


async def test_slots_of_a_changed_hour_are_not_read_until_counted_again(db_url, tmp_path, monkeypatch):
    runtime, _, clock = make_runtime(db_url, tmp_path, sla=OFFICE)
    fill(runtime.engine, runtime.config, random.Random(4), conversations=150)
    sla_clocks.count_response_times(runtime.engine, runtime.config.sla)
    roll_up(runtime.engine, T0)
    now = T0 + timedelta(minutes=40)
    with Session(runtime.engine) as session:
        running = session.exec(select(SlaClock).where(
            SlaClock.kind == FIRST, SlaClock.stopped_at.is_(None), SlaClock.started_at < T0 - timedelta(days=1),
            func.extract("minute", SlaClock.started_at) >= 30)).first()
    start = running.started_at.replace(minute=10, second=0, microsecond=0)  # the clock in the window's first slots
    window = figures.Window(start, T0, "from a changed hour")
    with session_scope(runtime.engine) as session:
        _stop(session, runtime.config, running.id)
    ranges = counted_from_clocks(monkeypatch)
    check(runtime, now, tag_filters=((),), windows=[window])  # the hour is stale: its part counted from the clocks
    assert (start, start.replace(minute=0) + timedelta(hours=1)) in ranges
    ranges.clear()
    roll_up(runtime.engine, now)
    check(runtime, now, tag_filters=((),), windows=[window])
    assert ranges == []  # the slots again
    with session_scope(runtime.engine) as session:  # hours counted before the slots were (0017): edges from clocks
        session.exec(update(StatsHour).values(slotted_version=-1))
    check(runtime, now, tag_filters=((),), windows=[window])
    assert set(ranges) == {(start, start.replace(minute=0) + timedelta(hours=1))}
    assert roll_up(runtime.engine, now) > 100  # and the job counts them again, slots and all
    await runtime.close()


async def test_whole_days_are_read_added_up_while_their_hours_are_unchanged(db_url, tmp_path, monkeypatch):
    runtime, _, clock = make_runtime(db_url, tmp_path, sla=OFFICE)
    fill(runtime.engine, runtime.config, random.Random(9), conversations=150)
    sla_clocks.count_response_times(runtime.engine, runtime.config.sla)
    roll_up(runtime.engine, T0)
    read: list[tuple] = []
    kept = tally_module._add_kept

    def recording(session, bys, names, at, starts, *args):
        step = {"StatsDayRollup": timedelta(days=1), "StatsRollup": timedelta(hours=1)}.get(at.class_.__name__,
                                                                                            timedelta(minutes=5))
        read.extend((at.class_.__name__, start, start + step) for start in starts)
        return kept(session, bys, names, at, starts, *args)

    monkeypatch.setattr(tally_module, "_add_kept", recording)
    now = T0 + timedelta(minutes=12)
    day = T0.replace(hour=0) - timedelta(days=3)
    check(runtime, now, tag_filters=((), ("billing",)), windows=[figures.last(WEEK, now)])
    days = {(start, end) for table, start, end in read if table == "StatsDayRollup"}
    assert any(start <= day and day + timedelta(days=1) <= end for start, end in days), days
    with Session(runtime.engine) as session:
        changed = session.exec(select(SlaClock).where(SlaClock.kind == FIRST, SlaClock.stopped_at.is_(None),
                                                      SlaClock.started_at >= day + timedelta(hours=1),
                                                      SlaClock.started_at < day + timedelta(hours=23))).first()
    with session_scope(runtime.engine) as session:
        _stop(session, runtime.config, changed.id)
    read.clear()
    check(runtime, now, tag_filters=((), ("billing",)), windows=[figures.last(WEEK, now)])
    days = {(start, end) for table, start, end in read if table == "StatsDayRollup"}
    assert days and not any(start <= day < end for start, end in days)  # its other hours read one by one
    roll_up(runtime.engine, now)
    read.clear()
    check(runtime, now, tag_filters=((), ("billing",)), windows=[figures.last(WEEK, now)])
    days = {(start, end) for table, start, end in read if table == "StatsDayRollup"}
    assert any(start <= day and day + timedelta(days=1) <= end for start, end in days), days
    await runtime.close()
