"""The scheduled jobs: wired on APScheduler, run only by the lease holder, polls back off as the network says."""
import asyncio
import json
import logging
import os
import socket
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from bot.app import jobs
from bot.app.lease import Lease
from bot.chat.discord.held import HeldReplies
from bot.desk import events
from bot.desk.events import claim_event
from bot.ingest.poller import poll_on_schedule
from bot.sources.base import SourceError
from handlers import dispatch
from handlers.context import Actor, Request
from storage.db import session_scope
from storage.models import HeldReply, SlaClock, SourceCursor
from tests.auxil import factories
from tests.auxil.desk import feed, make_runtime

URGENT = "@acme URGENT I was charged twice!!"


def write_posts(tmp_path, *texts):
    with (tmp_path / "posts.jsonl").open("a", encoding="utf-8") as handle:
        for n, text in enumerate(texts):
            handle.write(json.dumps({"id": f"j{n}", "author": {"handle": f"c{n}"}, "text": text,
                                     "created_at": "2026-11-02T09:00:00Z"}) + "\n")


async def test_only_the_lease_holder_runs_the_jobs(db_url, tmp_path):
    leader, leader_chat, clock = make_runtime(db_url, tmp_path)
    standby, standby_chat, _ = make_runtime(db_url, tmp_path)
    leader.lease = Lease(leader.engine, clock, leader.config.scheduler.lease, holder="replica-a")
    standby.lease = Lease(standby.engine, clock, standby.config.scheduler.lease, holder="replica-b")
    assert leader.lease.refresh() and not standby.lease.refresh()
    write_posts(tmp_path, URGENT)
    keys = {runtime: jobs.register(runtime) for runtime in (leader, standby)}

    for runtime in (standby, leader):
        await jobs.poll_source(keys[runtime], "replay")
        await jobs.deliver_outbox(keys[runtime])
    assert standby_chat.parents == [] and len(leader_chat.parents) == 1

    clock.advance(timedelta(minutes=16))
    await jobs.keep_lease(keys[leader])
    for runtime in (standby, leader):
        await jobs.sweep_sla(keys[runtime])
        await jobs.deliver_outbox(keys[runtime])
    assert [s.key for s in leader_chat.replies if ":sla:" in s.key] == ["conv:1:sla:first:breach"]
    assert standby_chat.replies == []


async def test_the_scheduler_has_every_job_and_a_poke_runs_the_outbox_now(db_url, tmp_path):
    runtime, _, _ = make_runtime(db_url, tmp_path, digest={"channel": "C0LEADS"}, retention={"resolved_after": "90d"},
                                 sla={"sweep_every": "20s"}, scheduler={"lease": "15s"})
    scheduler = await jobs.start(runtime)
    try:
        found = {job.id: job for job in scheduler.get_jobs()}
        assert set(found) == {"lease", "poll:replay", "outbox", "sla", "digest", "purge", "rollup"}
        assert found["rollup"].trigger.interval == timedelta(seconds=60)
        assert found["lease"].trigger.interval == timedelta(seconds=5)
        assert found["sla"].trigger.interval == timedelta(seconds=20)
        assert found["poll:replay"].trigger.interval == timedelta(seconds=60)
        assert all(job.args[0] == found["lease"].args[0] and isinstance(job.args[0], str) for job in found.values())
        assert runtime.lease.held()
        status = await dispatch(runtime.desk, Request("desk", Actor("slack", "USAM"), args="status"))
        assert f"Scheduled jobs: run by {socket.gethostname()}:{os.getpid()} since" in status.text
        scheduler.modify_job("outbox", next_run_time=datetime.now(UTC) + timedelta(hours=1))
        runtime.outbox.poke()
        assert scheduler.get_job("outbox").next_run_time <= datetime.now(UTC)
    finally:
        await jobs.shutdown(runtime, scheduler)
    assert not runtime.lease.held()


async def test_a_rate_limited_poll_waits_as_long_as_the_network_says_and_shows_it(db_url, tmp_path):
    runtime, _, clock = make_runtime(db_url, tmp_path)
    source = runtime.sources["replay"]

    async def limited(cursor):
        raise SourceError("429 Too Many Requests", retry_after=120)

    source.poll = limited
    outcome = await poll_on_schedule(runtime.engine, runtime.config, source, clock, 60, failures=0)
    assert (outcome.failures, outcome.wait) == (1, 120)
    with Session(runtime.engine) as session:
        state = session.get(SourceCursor, "replay")
        assert state.next_poll_at == clock.now() + timedelta(seconds=120) and "429" in state.last_error

    async def broken(cursor):
        raise SourceError("502 Bad Gateway")

    source.poll = broken
    waits = []
    failures = 1
    for _ in range(3):
        outcome = await poll_on_schedule(runtime.engine, runtime.config, source, clock, 60, failures=failures)
        failures = outcome.failures
        waits.append(outcome.wait)
    for wait, base in zip(waits, (240, 480, 900), strict=True):  # doubling with jitter, capped at 15 min
        assert 0.8 * base <= wait <= 1.2 * base


async def test_the_sweep_job_works_through_a_backlog_in_batches(db_url, tmp_path, monkeypatch):
    from bot.sla import sweep as sla_sweep

    runtime, chat, clock = make_runtime(db_url, tmp_path)
    monkeypatch.setattr(sla_sweep, "BATCH", 2)
    feed(runtime, *(factories.post(URGENT, external_id=f"b{n}", handle=f"c{n}") for n in range(5)))
    clock.advance(timedelta(minutes=16))
    key = jobs.register(runtime)
    runtime.lease.refresh()
    calls = []
    real_sweep = sla_sweep.sweep
    monkeypatch.setattr(sla_sweep, "sweep", lambda *args: calls.append(real_sweep(*args)) or calls[-1])
    await jobs.sweep_sla(key)
    assert calls == [2, 2, 1]  # five breaches due, two at a time, until a batch comes back short
    await runtime.outbox.drain()
    assert sorted(s.key for s in chat.replies if ":sla:" in s.key) == [f"conv:{n}:sla:first:breach" for n in range(1, 6)]


async def test_the_hourly_purge_forgets_old_chat_claims_and_held_replies_even_without_retention(db_url, tmp_path):
    runtime, _, clock = make_runtime(db_url, tmp_path)
    assert runtime.config.retention is None
    key = jobs.register(runtime)
    assert runtime.lease.refresh()
    feed(runtime, factories.post(URGENT))
    held = HeldReplies(runtime.engine, clock)
    assert claim_event(runtime.engine, "discord", "1", clock.now()) and held.hold(1, "u1", "--anyway a")
    clock.advance(events.KEEP)
    assert claim_event(runtime.engine, "discord", "2", clock.now())
    new_held = held.hold(1, "u1", "--anyway b")
    clock.advance(timedelta(seconds=1))
    with session_scope(runtime.engine) as session:  # answered before 0013 stored response times
        session.add(SlaClock(conversation_id=1, kind="next", cycle=1, priority="urgent", started_at=clock.now(),
                             warn_at=clock.now(), due_at=clock.now(), stopped_at=clock.now() + timedelta(minutes=3),
                             outcome="responded"))
    await jobs.purge(key)
    with Session(runtime.engine) as session:
        assert session.exec(select(SlaClock.response_seconds).where(SlaClock.kind == "next")).one() == 180
    assert claim_event(runtime.engine, "discord", "1", clock.now()), "forgotten: could be claimed again"
    assert not claim_event(runtime.engine, "discord", "2", clock.now()), "a recent claim stays"
    with Session(runtime.engine) as session:
        assert [h.token for h in session.exec(select(HeldReply))] == [new_held]
    runtime.lease.release()
    await runtime.close()


async def test_a_shutdown_in_the_middle_of_a_drain_logs_no_traceback(db_url, tmp_path, caplog):
    runtime, chat, _ = make_runtime(db_url, tmp_path)
    feed(runtime, factories.post())
    draining = asyncio.Event()

    async def slow_post(channel, view, key):
        draining.set()
        await asyncio.sleep(60)  # a slow chat platform: the drain is under way when SIGTERM comes

    chat.post_conversation = slow_post
    scheduler = await jobs.start(runtime)
    await asyncio.wait_for(draining.wait(), 10)
    caplog.clear()
    with caplog.at_level(logging.INFO):
        await jobs.shutdown(runtime, scheduler)
        await asyncio.sleep(0.1)  # APScheduler reports a job's end from a callback
    assert [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info] == []
    assert any("stopped for the shutdown" in r.getMessage() for r in caplog.records)


async def test_a_long_run_is_not_started_twice_and_apscheduler_never_warns(tmp_path, caplog, monkeypatch):
    """A drain that outlasts the tick (a backlog at 1 msg/s) used to log "maximum number of running instances
    reached" every second; now each run is a task and a tick during it starts nothing."""
    runtime, _, _ = make_runtime(f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path)
    release, runs = asyncio.Event(), []

    async def slow_drain(key: str) -> None:
        runs.append(key)
        await release.wait()

    monkeypatch.setitem(jobs.JOBS, "deliver_outbox", slow_drain)
    monkeypatch.setattr(jobs, "OUTBOX_TICK", 0.05)
    scheduler = await jobs.start(runtime)
    try:
        await asyncio.sleep(0.5)  # ten ticks while the first run is still going
        assert len(runs) == 1
        release.set()
        await asyncio.sleep(0.2)
        assert len(runs) >= 2  # once it ended, the next tick started the next run
    finally:
        await jobs.shutdown(runtime, scheduler)
        await runtime.close()
    assert not [r for r in caplog.records if "maximum number of running instances" in r.getMessage()]
