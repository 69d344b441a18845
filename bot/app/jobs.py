"""The scheduled jobs, on APScheduler 3's AsyncIOScheduler in the bot's own event loop.

Every replica schedules the same jobs; only the lease holder (bot/app/lease.py) runs them, so with
several replicas on PostgreSQL each job runs in one place at a time while every replica still
serves chat commands. Callbacks are module-level functions with plain arguments (the key of a
registered runtime and a name), as APScheduler wants; the time they act on comes from the
runtime's injected clock, the scheduler only decides when they run. Database work runs in a
worker thread so the event loop stays free for chat.

The scheduler only *starts* a job (`run_job`): each run is a task of its own, and a job whose last
run is still going (a long drain during a backlog, a slow poll) is skipped quietly, so APScheduler
never finds "maximum number of running instances reached" and logs nothing every second. A source
that streams (Mastodon) is followed by a task of its own while this replica holds the lease.
"""
from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.app.runtime import Runtime
from bot.chat.discord import held as discord_held
from bot.delivery import compaction
from bot.desk import events, lifecycle
from bot.ingest import stream
from bot.ingest.poller import poll_on_schedule
from bot.reports import digest, retention, rollup
from bot.settings import DeskConfig
from bot.sla import clocks as sla_clocks
from bot.sla import sweep as sla_sweep
from bot.sources.base import Streaming

log = logging.getLogger(__name__)
logging.getLogger("apscheduler").setLevel(logging.WARNING)  # not a line per job run, every second
OUTBOX_TICK = 1.0  # seconds between outbox drains when nothing pokes it
DIGEST_CHECK = 60.0  # seconds between checks whether today's digest is due
PURGE_EVERY = 3600.0
ROLLUP_EVERY = 60.0  # seconds between runs of the /stats rollup
MAX_SWEEP_BATCHES = 100  # per run (10,000 nudges), so a backlog after an outage cannot hog the worker thread

_runtimes: dict[str, Runtime] = {}
_schedulers: dict[str, AsyncIOScheduler] = {}
_tasks: dict[tuple[str, str], asyncio.Task] = {}  # (runtime key, job id) -> its current run
_streams: dict[str, list[asyncio.Task]] = {}


async def run(runtime: Runtime, stop: asyncio.Event) -> None:
    """Run the scheduled jobs (polls, outbox, SLA sweep, digest, retention, the /stats rollup) until `stop` is set.

    Every replica serves chat; the jobs run only while this process holds the lease."""
    scheduler = await start(runtime)
    try:
        await stop.wait()
    finally:
        await shutdown(runtime, scheduler)


def register(runtime: Runtime) -> str:
    """The plain key job callbacks find `runtime` by."""
    key = f"runtime-{id(runtime)}"
    _runtimes[key] = runtime
    return key


async def start(runtime: Runtime) -> AsyncIOScheduler:
    """Register `runtime`, try for the lease, and start its jobs."""
    key = register(runtime)
    await asyncio.to_thread(runtime.lease.refresh)
    config = runtime.config
    scheduler = AsyncIOScheduler(timezone=UTC, job_defaults={"coalesce": True, "max_instances": 1,
                                                             "misfire_grace_time": None})
    now = datetime.now(UTC)

    def repeat(job, seconds: float, *args: str, job_id: str) -> None:
        scheduler.add_job(run_job, "interval", seconds=seconds, args=[key, job_id, job.__name__, *args], id=job_id,
                          next_run_time=now)

    repeat(keep_lease, runtime.lease.renew_every.total_seconds(), job_id="lease")
    for source in config.sources:
        if source.name in runtime.sources:
            repeat(poll_source, source.interval.total_seconds(), source.name, job_id=f"poll:{source.name}")
    repeat(deliver_outbox, OUTBOX_TICK, job_id="outbox")
    repeat(sweep_sla, config.sla.sweep_every.total_seconds(), job_id="sla")
    if config.digest:
        repeat(post_digest, DIGEST_CHECK, job_id="digest")
    repeat(purge, PURGE_EVERY, job_id="purge")
    repeat(roll_up_stats, ROLLUP_EVERY, job_id="rollup")
    _schedulers[key] = scheduler
    runtime.outbox.on_poke = lambda: _deliver_soon(scheduler, runtime)
    runtime.outbox.may_deliver = runtime.lease.held
    scheduler.start()
    _streams[key] = [asyncio.create_task(_follow(runtime, scheduler, source), name=f"stream:{source.name}")
                     for source in runtime.sources.values() if isinstance(source, Streaming) and source.streaming]
    return scheduler


async def _follow(runtime: Runtime, scheduler: AsyncIOScheduler, source: Streaming) -> None:
    """Stream a source while this replica holds the lease; a (re)connection polls at once to fill the gap."""
    def poll_now() -> None:
        if scheduler.running:
            scheduler.modify_job(f"poll:{source.name}", next_run_time=datetime.now(UTC))

    await stream.follow(runtime.engine, runtime.config, source, runtime.clock, may_run=runtime.lease.held,
                        connected=poll_now, stored=lambda _: runtime.outbox.poke())


async def shutdown(runtime: Runtime, scheduler: AsyncIOScheduler) -> None:
    """Stop the jobs (running ones are cancelled) and hand the lease over."""
    runtime.outbox.on_poke = lambda: None
    runtime.outbox.may_deliver = lambda: True
    scheduler.shutdown(wait=False)
    key = f"runtime-{id(runtime)}"
    running = [task for (owner, _), task in list(_tasks.items()) if owner == key and not task.done()]
    streams = _streams.pop(key, [])
    for task in running + streams:
        task.cancel()
    await asyncio.gather(*running, *streams, return_exceptions=True)
    for task in running:  # its work is in the outbox or the database: the next run takes it up
        log.info("%s stopped for the shutdown; the next run takes it up", task.get_name().removeprefix("job:"))
    for job in [job for job in _tasks if job[0] == key]:
        _tasks.pop(job, None)
    _runtimes.pop(f"runtime-{id(runtime)}", None)
    _schedulers.pop(f"runtime-{id(runtime)}", None)
    await runtime.outbox.stop()
    await asyncio.to_thread(runtime.lease.release)


async def run_job(key: str, job_id: str, name: str, *args: str) -> None:
    """Start job `name` as a task of its own, unless its previous run is still going."""
    running = _tasks.get((key, job_id))
    if running is not None and not running.done():
        return
    task = asyncio.get_running_loop().create_task(JOBS[name](key, *args), name=f"job:{job_id}")
    task.add_done_callback(_report)
    _tasks[(key, job_id)] = task


def _report(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("scheduled job %s failed", task.get_name(), exc_info=task.exception())


def _deliver_soon(scheduler: AsyncIOScheduler, runtime: Runtime) -> None:
    """A poke: run the outbox job now, unless it is running (its loop picks the new entry up)."""
    if scheduler.running and not runtime.outbox.draining:
        scheduler.modify_job("outbox", next_run_time=datetime.now(UTC))


def _leading(key: str) -> Runtime | None:
    runtime = _runtimes.get(key)
    return runtime if runtime is not None and runtime.lease.held() else None


async def keep_lease(key: str) -> None:
    runtime = _runtimes.get(key)
    if runtime is not None:
        await asyncio.to_thread(runtime.lease.refresh)


async def poll_source(key: str, name: str) -> None:
    runtime = _leading(key)
    if runtime is None:
        return
    source = runtime.sources[name]
    every = next(s.interval for s in runtime.config.sources if s.name == name).total_seconds()
    outcome = await poll_on_schedule(runtime.engine, runtime.config, source, runtime.clock, every,
                                     runtime.poll_failures.get(name, 0), runtime.ahead)
    runtime.poll_failures[name] = outcome.failures
    runtime.metrics.observe_poll(name, outcome)
    if outcome.new:
        runtime.outbox.poke()
    scheduler = _schedulers.get(key)
    if outcome.wait != every and scheduler is not None:  # back off: the next poll moves, later ones follow
        scheduler.modify_job(f"poll:{name}", next_run_time=datetime.now(UTC) + timedelta(seconds=outcome.wait))


async def deliver_outbox(key: str) -> None:
    runtime = _leading(key)
    if runtime is not None:
        await runtime.outbox.drain()


async def sweep_sla(key: str) -> None:
    runtime = _leading(key)
    if runtime is None:
        return
    handled = 0
    for _ in range(MAX_SWEEP_BATCHES):
        batch = await asyncio.to_thread(sweep_once, runtime.engine, runtime.config, runtime.clock.now())
        handled += batch
        if batch < sla_sweep.BATCH:
            break
    if handled:
        runtime.outbox.poke()


def sweep_once(engine, config: DeskConfig, now: datetime) -> int:
    """One batch of the SLA job: wake the snoozes that are up, then queue the nudges that are due; returns the
    larger count (a full batch means: sweep again)."""
    return max(lifecycle.wake_due(engine, config.sla, now, sla_sweep.BATCH),
               sla_sweep.sweep(engine, config.sla, now, sla_sweep.BATCH))


async def post_digest(key: str) -> None:
    runtime = _leading(key)
    if runtime is not None and await asyncio.to_thread(digest.queue_digest, runtime.engine, runtime.config,
                                                       runtime.clock.now()):
        runtime.outbox.poke()


async def roll_up_stats(key: str) -> None:
    """Count the hours of SLA clocks that ended or changed into the figures /stats reads (bot/reports/rollup.py)."""
    runtime = _leading(key)
    if runtime is not None:
        await asyncio.to_thread(rollup.roll_up, runtime.engine, runtime.clock.now())


async def purge(key: str) -> None:
    """Forget old chat event claims and expired held replies, give clocks stopped before 0013 their response times,
    compact the delivered outbox entries and forget those of conversations resolved a month ago; with [retention],
    purge old resolved conversations."""
    runtime = _leading(key)
    if runtime is None:
        return
    now = runtime.clock.now()
    await asyncio.to_thread(events.forget_claims, runtime.engine, now)
    await asyncio.to_thread(discord_held.forget_expired, runtime.engine, now)
    await asyncio.to_thread(sla_clocks.count_response_times, runtime.engine, runtime.config.sla)
    await asyncio.to_thread(compaction.compact, runtime.engine, runtime.outbox.effects, now)
    await asyncio.to_thread(retention.forget_delivered, runtime.engine, now)
    if not runtime.config.retention:
        return
    purged = await asyncio.to_thread(retention.purge, runtime.engine, runtime.config.retention, now)
    if purged:
        log.info("retention: removed the texts of %d resolved conversations", purged)


JOBS = {job.__name__: job for job in (keep_lease, poll_source, deliver_outbox, sweep_sla, post_digest, purge,
                                         roll_up_stats)}
