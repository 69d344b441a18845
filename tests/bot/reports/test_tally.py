"""/stats figures counted in SQL give what the clock-by-clock definition gives, on SQLite and PostgreSQL.

The reference is `figures.measure` (one clock's verdict and response time, the definition) over every clock of the
window, counted, ranked and grouped in Python, on generated clocks: every kind, outcome and verdict, spam, tags,
agents and owners, business hours, clocks before and after the window, and response times stored when clocks
stopped before they were (filled by `count_response_times`).
"""
from __future__ import annotations

import random
import statistics
from collections import defaultdict
from datetime import timedelta

from sqlmodel import Session

from bot.reports import figures
from bot.reports.tally import AGENT, NETWORK, OVERALL, TAG, Counts, Group, tally_all
from bot.sla import clocks as sla_clocks
from bot.sla.clocks import FIRST, NEXT, RESOLUTION, RESOLVED, RESPONDED
from storage.db import session_scope
from storage.models import Agent, Conversation, ConversationTag, Customer, SlaClock
from tests.auxil import factories
from tests.auxil.desk import make_runtime

OFFICE = {"business_hours": {"timezone": "Europe/Berlin"}, "around_the_clock": ["urgent"]}
WEEK = timedelta(days=7)


def random_conversation(session, rng: random.Random, number: int, opened) -> None:
    """Conversation `number` of customer 1, opened at `opened`, on a random network, with a random intent, owner and
    tags."""
    session.add(Conversation(id=number, source_name="s", network=rng.choice(["x", "mastodon", "bluesky"]),
                             thread_root_id=str(number), customer_id=1, opened_at=opened, updated_at=opened,
                             intent=rng.choice(["question", "complaint", "spam"]), assignee_id=rng.choice([None, 1, 2, 3])))
    session.flush()
    for tag in rng.sample(["billing", "bug", "vip"], rng.randrange(0, 3)):
        session.add(ConversationTag(conversation_id=number, tag=tag))


def fill(engine, config, rng: random.Random, conversations: int = 150) -> None:
    """Random conversations with random clocks, about half of them stopped before response times were stored."""
    now = factories.T0
    with session_scope(engine) as session:
        session.add_all([Agent(name=name, initials=name[:2]) for name in ("Ana", "Bo", "Cy")])
        session.add(Customer(network="x", handle="c", created_at=now))
    with session_scope(engine) as session:
        for number in range(1, conversations + 1):
            opened = now - timedelta(minutes=rng.randrange(0, 9 * 24 * 60))
            random_conversation(session, rng, number, opened)
            for cycle, kind in enumerate([FIRST, RESOLUTION] + [NEXT] * rng.randrange(0, 3)):
                started = opened + timedelta(minutes=rng.randrange(0, 600))
                due = started + timedelta(minutes=rng.choice([30, 60, 240, 1440]))
                stopped = rng.choice([None, started + timedelta(seconds=rng.randrange(0, 200_000))])
                stopped = stopped if stopped is None or stopped <= now else now
                outcome = None if stopped is None else (rng.choice([RESPONDED, RESOLVED]) if kind != RESOLUTION
                                                        else RESOLVED)
                priority = rng.choice(["low", "normal", "high", "urgent"])
                clock = SlaClock(conversation_id=number, kind=kind, cycle=cycle if kind == NEXT else 0,
                                 priority=priority, started_at=started, warn_at=due, due_at=due, stopped_at=stopped,
                                 outcome=outcome, agent_id=rng.choice([None, 1, 2, 3]) if stopped else None)
                if outcome == RESPONDED and rng.random() < 0.5:
                    clock.response_seconds = sla_clocks.policy.elapsed(config.sla, priority, started,
                                                                       stopped).total_seconds()
                session.add(clock)


def reference(measured: list[figures.Measured], by: str) -> dict[str, Group]:
    """The figures of `by`'s groups from the clocks one by one, as /stats counted them before."""
    groups: dict[str, list[figures.Measured]] = defaultdict(list)
    for clock in measured:
        if by == OVERALL:
            groups[""].append(clock)
        elif clock.kind != RESOLUTION:
            for name in {AGENT: [clock.agent], NETWORK: [clock.network], TAG: clock.tags}[by]:
                groups[name].append(clock)
    result = {}
    for name, clocks in groups.items():
        kinds = {}
        for kind in {c.kind for c in clocks}:
            of = [c for c in clocks if c.kind == kind]
            kinds[kind] = Counts(len(of), sum(c.spam for c in of), sum(c.responded for c in of),
                                 sum(c.responded and not c.spam for c in of), sum(c.verdict == "met" for c in of),
                                 sum(c.verdict == "missed" for c in of))
        times = sorted(c.response_time for c in clocks if c.kind == FIRST and c.response_time is not None)
        median = timedelta(seconds=statistics.median(t.total_seconds() for t in times)) if times else None
        p90 = times[-(-9 * len(times) // 10) - 1] if times else None  # nearest rank: the ceil(0.9 n)-th
        result[name] = Group(kinds, median, p90)
    return result


async def test_sql_figures_match_the_clock_by_clock_definition(db_url, tmp_path):
    runtime, _, clock = make_runtime(db_url, tmp_path, sla=OFFICE)
    fill(runtime.engine, runtime.config, random.Random(14))
    assert sla_clocks.count_response_times(runtime.engine, runtime.config.sla, batch=10) > 10
    now = clock.now()
    with Session(runtime.engine) as session:
        for window in (figures.last(WEEK, now), figures.day(runtime.config.sla.timezone, now, days_ago=1)):
            for tags in ((), ("billing", "vip")):
                ctx = figures.context(session, runtime.config, window, now, tags)
                measured = figures.measured(ctx)
                assert len({c.kind for c in measured}) == 3 and any(c.verdict == "missed" for c in measured)
                for by in (OVERALL, AGENT, NETWORK, TAG):
                    assert tally_all(session, (by,), window.start, window.end, now, tags)[by] == reference(measured, by), by
    await runtime.close()


async def test_medians_and_the_90th_percentile_by_rank(db_url, tmp_path):
    """An odd count has a middle time, an even one the mean of two; the p90 of 70 times is the 63rd (0.9 × 70
    in floating point is a hair above 63, which once made it the 64th)."""
    runtime, _, clock = make_runtime(db_url, tmp_path)
    now = clock.now()
    with session_scope(runtime.engine) as session:
        session.add(Customer(network="x", handle="c", created_at=now))
        session.flush()
        for number, network, count in ((1, "x", 70), (2, "mastodon", 3), (3, "bluesky", 4)):
            session.add(Conversation(id=number, source_name="s", network=network, thread_root_id=str(number),
                                     customer_id=1, opened_at=now, updated_at=now))
            session.flush()
            for cycle in range(count):
                started = now - timedelta(hours=1)
                session.add(SlaClock(conversation_id=number, kind=FIRST, cycle=cycle, priority="normal",
                                     started_at=started, warn_at=now, due_at=now, stopped_at=now, outcome=RESPONDED,
                                     response_seconds=60.0 * (cycle + 1)))
    with Session(runtime.engine) as session:
        groups = tally_all(session, (NETWORK,), now - WEEK, None, now)[NETWORK]
    minutes = {name: (group.median / timedelta(minutes=1), group.p90 / timedelta(minutes=1))
               for name, group in groups.items()}
    assert minutes == {"x": (35.5, 63), "mastodon": (2, 3), "bluesky": (2.5, 4)}
    await runtime.close()
