"""The ended five-minute slots of the current hour are kept every minute (bot/reports/rollup.py `count_slots`,
table StatsSlotVersion): /stats counts from the clocks only the current slot and what is stale, and its figures are
those of every clock, on SQLite and PostgreSQL (the clock-by-clock reference of test_tally.py)."""
from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import text
from sqlmodel import Session, select

from bot.ingest.stream import store_posts
from bot.reports import figures
from bot.reports.rollup import roll_up
from bot.reports.tally import OVERALL
from bot.sla import clocks as sla_clocks
from bot.sla.clocks import FIRST, NEXT, RESOLUTION, RESOLVED, RESPONDED
from storage.db import session_scope
from storage.models import Conversation, SlaClock, StatsSlot, StatsSlotVersion
from tests.auxil import factories
from tests.auxil.desk import make_runtime
from tests.bot.reports.test_rollup import _stop, check, counted_from_clocks
from tests.bot.reports.test_tally import OFFICE, WEEK, fill, random_conversation

T0 = factories.T0
FILLED = 120  # conversations of fill(); the live hour's come after


def live_hour(engine, rng: random.Random, conversations: int = 60, until: timedelta = timedelta(minutes=59)) -> None:
    """Conversations opened in the hour from T0 (up to `until` past), their clocks stopped within it or running,
    some falling due within it."""
    with session_scope(engine) as session:
        for number in range(FILLED + 1, FILLED + conversations + 1):
            opened = T0 + timedelta(seconds=rng.randrange(0, int(until.total_seconds())))
            random_conversation(session, rng, number, opened)
            for cycle, kind in enumerate([FIRST, RESOLUTION] + [NEXT] * rng.randrange(0, 2)):
                due = opened + timedelta(minutes=rng.choice([10, 20, 240]))
                stopped = rng.choice([None, opened + timedelta(seconds=rng.randrange(0, 1500))])
                stopped = None if stopped is not None and stopped > T0 + until else stopped
                outcome = None if stopped is None else RESOLVED if kind == RESOLUTION else RESPONDED
                session.add(SlaClock(conversation_id=number, kind=kind, cycle=cycle if kind == NEXT else 0,
                                     priority="urgent", started_at=opened, warn_at=due, due_at=due,
                                     stopped_at=stopped, outcome=outcome, agent_id=rng.choice([1, 2, 3]) if stopped
                                     else None, response_seconds=(stopped - opened).total_seconds()
                                     if outcome == RESPONDED else None))


def desk(runtime, seed: int) -> None:
    fill(runtime.engine, runtime.config, random.Random(seed), conversations=FILLED)
    live_hour(runtime.engine, random.Random(seed))
    sla_clocks.count_response_times(runtime.engine, runtime.config.sla)
    roll_up(runtime.engine, T0)


def kept_slots(engine) -> set:
    with Session(engine) as session:
        return set(session.exec(select(StatsSlotVersion.slot).where(
            StatsSlotVersion.version == StatsSlotVersion.counted_version)).all())


def open_ended(ranges) -> set:
    """The ranges the untagged week counted from the clocks: the one up to now (no end) and any stale ones."""
    return {rest for rest in ranges if rest[0] >= T0}


async def test_the_current_hours_ended_slots_are_kept_and_give_the_figures_of_every_clock(db_url, tmp_path,
                                                                                           monkeypatch):
    runtime, _, clock = make(db_url, tmp_path)
    desk(runtime, 21)
    now = T0 + timedelta(minutes=47, seconds=20)
    roll_up(runtime.engine, now)
    assert kept_slots(runtime.engine) == {T0 + timedelta(minutes=m) for m in range(0, 45, 5)}
    ranges = counted_from_clocks(monkeypatch)
    for at in (now, now + timedelta(minutes=2)):  # the job's run at this minute, and before the next one
        ranges.clear()
        check(runtime, at, tag_filters=((),), windows=[figures.last(WEEK, at)])
        assert open_ended(ranges) == {(T0 + timedelta(minutes=45), None)}  # only the current slot from the clocks
        check(runtime, at, tag_filters=(("billing",),), windows=[figures.last(WEEK, at)])  # no slots: the clocks
    later = T0 + timedelta(minutes=59)
    roll_up(runtime.engine, later)
    assert kept_slots(runtime.engine) == {T0 + timedelta(minutes=m) for m in range(0, 55, 5)}
    check(runtime, later, windows=[figures.last(WEEK, later), figures.last(timedelta(minutes=33), later)])
    turned = T0 + timedelta(hours=1, minutes=1)
    roll_up(runtime.engine, turned)  # the hour counted whole: its slot versions are forgotten
    with Session(runtime.engine) as session:
        assert session.exec(select(StatsSlotVersion).where(StatsSlotVersion.slot < T0 + timedelta(hours=1))).all() == []
    check(runtime, turned, tag_filters=((),), windows=[figures.last(WEEK, turned)])
    await runtime.close()


async def test_a_write_into_a_kept_slot_makes_it_stale_until_counted_again(db_url, tmp_path, monkeypatch):
    runtime, _, clock = make(db_url, tmp_path)
    desk(runtime, 22)
    now = T0 + timedelta(minutes=53)
    roll_up(runtime.engine, now)
    with Session(runtime.engine) as session:
        running = session.exec(select(SlaClock).where(
            SlaClock.stopped_at.is_(None), SlaClock.kind == FIRST, SlaClock.started_at >= T0 + timedelta(minutes=10),
            SlaClock.started_at < T0 + timedelta(minutes=45)).order_by(SlaClock.started_at)).first()
        spam = session.exec(select(Conversation).where(Conversation.id > FILLED,
                                                       Conversation.intent != "spam")).first()
    slot = running.started_at.replace(minute=running.started_at.minute // 5 * 5, second=0)
    assert slot in kept_slots(runtime.engine)
    with session_scope(runtime.engine) as session:
        _stop(session, runtime.config, running.id)  # a response into a kept slot
    assert slot not in kept_slots(runtime.engine)
    ranges = counted_from_clocks(monkeypatch)
    check(runtime, now, tag_filters=((), ("vip",)), windows=[figures.last(WEEK, now)])
    assert (slot, slot + timedelta(minutes=5)) in ranges  # stale: counted from the clocks
    roll_up(runtime.engine, now + timedelta(minutes=1))
    assert slot in kept_slots(runtime.engine)
    ranges.clear()
    check(runtime, now + timedelta(minutes=1), tag_filters=((),), windows=[figures.last(WEEK, now)])
    assert open_ended(ranges) == {(T0 + timedelta(minutes=50), None)}
    with session_scope(runtime.engine) as session:  # the conversation's intent: every slot its clocks started in
        session.get(Conversation, spam.id).intent = "spam"
    assert len(kept_slots(runtime.engine)) < 10
    check(runtime, now + timedelta(minutes=1), tag_filters=((), ("vip",)), windows=[figures.last(WEEK, now)])
    roll_up(runtime.engine, now + timedelta(minutes=2))
    check(runtime, now + timedelta(minutes=2), tag_filters=((), ("vip",)), windows=[figures.last(WEEK, now)])
    await runtime.close()


async def test_a_running_clock_of_a_kept_slot_that_falls_due_later_is_missed(db_url, tmp_path, monkeypatch):
    runtime, _, clock = make(db_url, tmp_path)
    fill(runtime.engine, runtime.config, random.Random(23), conversations=FILLED)
    live_hour(runtime.engine, random.Random(23), until=timedelta(minutes=10))
    started, due = T0 + timedelta(minutes=12, seconds=30), T0 + timedelta(minutes=50)
    with session_scope(runtime.engine) as session:
        session.add(Conversation(id=500, source_name="s", network="x", thread_root_id="500", customer_id=1,
                                 opened_at=started, updated_at=started, intent="question"))
        session.flush()
        session.add(SlaClock(conversation_id=500, kind=FIRST, priority="urgent", started_at=started, warn_at=due,
                             due_at=due))
    sla_clocks.count_response_times(runtime.engine, runtime.config.sla)
    roll_up(runtime.engine, T0 + timedelta(minutes=48))
    slot = T0 + timedelta(minutes=10)

    def missed() -> int:
        with Session(runtime.engine) as session:
            return session.exec(select(StatsSlot.missed).where(StatsSlot.slot == slot, StatsSlot.grouping == OVERALL,
                                                               StatsSlot.kind == FIRST)).one()

    assert slot in kept_slots(runtime.engine) and missed() == 0
    for now in (T0 + timedelta(minutes=49), T0 + timedelta(minutes=52)):  # before it is due and after, no job run
        check(runtime, now, tag_filters=((),), windows=[figures.last(WEEK, now)])
    roll_up(runtime.engine, T0 + timedelta(minutes=52))  # fell due since the last cutoff: the slot counted again
    assert slot in kept_slots(runtime.engine) and missed() == 1
    for now in (T0 + timedelta(minutes=52), T0 + timedelta(minutes=55), T0 + timedelta(minutes=49)):
        check(runtime, now, tag_filters=((),), windows=[figures.last(WEEK, now)])
    await runtime.close()


async def test_clocks_a_page_of_posts_starts_in_a_kept_slot_make_it_stale(db_url, tmp_path):
    """A page's clocks are inserted with Core and marked by bot/sla/clocks.py (`kept`): their slots too."""
    runtime, _, clock = make(db_url, tmp_path)
    desk(runtime, 24)
    now = T0 + timedelta(minutes=31)
    roll_up(runtime.engine, now)
    assert T0 + timedelta(minutes=10) in kept_slots(runtime.engine)
    late = [factories.post(f"@acme order {n} never arrived", handle=f"late{n}", external_id=f"late-{n}",
                           minutes=12 + n) for n in range(2)]
    with session_scope(runtime.engine) as session:
        if runtime.engine.dialect.name == "postgresql":  # the conversations were given their ids
            session.exec(text("SELECT setval(pg_get_serial_sequence('conversation', 'id'), max(id)) FROM conversation"))
        assert store_posts(session, runtime.config, "replay", late, now) == 2
    assert T0 + timedelta(minutes=10) not in kept_slots(runtime.engine)
    check(runtime, now, tag_filters=((),), windows=[figures.last(WEEK, now)])
    roll_up(runtime.engine, now + timedelta(minutes=1))
    assert T0 + timedelta(minutes=10) in kept_slots(runtime.engine)
    check(runtime, now + timedelta(minutes=1), tag_filters=((),), windows=[figures.last(WEEK, now)])
    await runtime.close()


def make(db_url, tmp_path):
    return make_runtime(db_url, tmp_path, sla=OFFICE)
