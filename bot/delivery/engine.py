"""The outbox engine: every chat message and published reply delivered exactly once, at each target's pace.

An entry is claimed (status `sending`, with a lease) and committed *before* its effect runs.
If the process dies after the call but before the result is recorded, the next attempt's
effect first asks the platform whether the message with that key exists and only sends when it
does not. Targets (a chat channel, a source) are paced independently: one throttled channel
never holds up the others. Entries of a background lane (suggestion requests, `llm`) run as
tasks, up to the lane's cap, so a slow model holds up neither a chat channel nor the next drain.

Only a permanent error fails an entry. A transient one (5xx, a timeout, a 429, a lost connection)
is retried with a capped delay for as long as it takes: an outage of any length loses nothing and
needs no `outbox retry`. The entry remembers since when it has been failing; once that is longer
than PAUSED_AFTER the target counts as *paused* (`admin.paused`, shown by `/desk status` and
`socialdesk check`) and `on_paused` is called, which the runtime turns into one chat alert per
episode. A target's entries go out in the order they were queued: an entry waiting to be retried
(throttled, or failing) holds back the later ones of its target, so nothing overtakes it.

The engine knows mechanics only. What an entry does, and what its delivery or failure means,
is the `Effect` its wing registered for its kind.
"""
from __future__ import annotations

import asyncio
import logging
import random
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.clock import Clock
from bot.delivery.pace import TokenBucket
from bot.ports import PlatformError
from bot.settings import OutboxConfig
from storage.db import session_scope
from storage.models import OutboxEntry, OutboxStatus

log = logging.getLogger(__name__)
LEASE = timedelta(seconds=30)
RETRY_CAP = timedelta(seconds=60)  # the longest wait between two tries of a transient failure
THROTTLED_PACE = 0.98  # after a 429 a target is paced at this share of its configured rate
PAUSED_AFTER = timedelta(minutes=2)  # failing this long, a target counts as paused and the team is told once


class NotReady(Exception):
    """The entry depends on another one not delivered yet (a thread message before its parent)."""


class Kept:
    """What a delivered entry of a kind is still read for; compaction (bot/delivery/compaction.py) forgets the rest."""

    ALL = "all"  # its key (queueing it again stays a no-op) and its payload or result, which something reads later
    KEY = "key"  # its key and result, not its payload (a notice's text: sent, and rendered from nowhere else)
    NOTHING = "nothing"  # a one-off key never queued again (a refresh that renders fresh state): the row goes


@dataclass(frozen=True)
class Effect:
    """What an entry kind does, registered by the wing that queues it.

    `perform` does the work (asking first, when `entry.attempts > 1`, whether an interrupted attempt already
    did it) and returns the result to store; `delivered` and `failed` run in the transaction that records
    the outcome, so what the outcome means to the conversation is stored with it. `kept` says what of a
    delivered entry must outlive its delivery."""

    perform: Callable[[OutboxEntry], Awaitable[dict]]
    delivered: Callable[[Session, OutboxEntry, dict], None] | None = None
    failed: Callable[[Session, OutboxEntry, str], None] | None = None
    kept: str = Kept.ALL


@dataclass(frozen=True)
class Lane:
    """A target whose entries are worked as background tasks, up to `concurrency` at once, each leased for `lease`."""

    concurrency: int
    lease: timedelta



def _about(entry: OutboxEntry) -> dict:
    """The log fields that name an entry (bot/app/logs.py)."""
    return {"outbox_key": entry.key, "conversation": entry.conversation_id}

class Outbox:
    def __init__(self, engine: Engine, *, clock: Clock, config: OutboxConfig,
                 pace: Callable[[str], tuple[float, int] | None] = lambda target: None) -> None:
        """`pace(target)` may give a target its own (rate per second, burst); else [outbox]'s applies."""
        self.engine = engine
        self.clock = clock
        self.config = config
        self.pace = pace
        self.effects: dict[str, Effect] = {}
        self.lanes: dict[str, Lane] = {}
        self.on_poke: Callable[[], None] = lambda: None  # the runtime asks its scheduler for a drain now
        self.may_deliver: Callable[[], bool] = lambda: True  # False once another replica took over the jobs
        # Called in the transaction of a retry once a target has been failing for PAUSED_AFTER (target, since, error).
        self.on_paused: Callable[[Session, str, datetime, str], None] = lambda session, target, since, error: None
        # Told of every attempt's outcome (delivered, retry, throttled, failed) with the result stored; the app
        # counts them for /metrics.
        self.on_outcome: Callable[[OutboxEntry, str, dict | None], None] = lambda entry, outcome, result: None
        self.draining = False
        self._running: dict[int, asyncio.Task] = {}  # background lane entries being worked, by entry id
        self._working: dict[str, set[int]] = {}  # the same, by lane
        self._buckets: dict[str, TokenBucket] = {}
        self._throttled_until: dict[str, datetime] = {}
        self._wakeup = asyncio.Event()

    def register(self, effects: dict[str, Effect]) -> None:
        """Add a wing's kinds and their effects."""
        self.effects.update(effects)

    def add_lane(self, target: str, lane: Lane) -> None:
        self.lanes[target] = lane

    def poke(self) -> None:
        """Something was queued: deliver now rather than at the next tick."""
        self._wakeup.set()
        self.on_poke()

    async def settle(self) -> None:
        """Wait for the background entries being worked (tests, the demo, shutdown)."""
        while self._running:
            await asyncio.gather(*self._running.values(), return_exceptions=True)

    async def stop(self) -> None:
        """Shutdown: cancel the background entries being worked; their leases run out and a later run takes them up."""
        for task in self._running.values():
            task.cancel()
        await self.settle()

    async def drain(self) -> int:
        """Deliver until nothing is due, including whatever is queued (poked) meanwhile."""
        total = 0
        self.draining = True
        try:
            while True:
                self._wakeup.clear()
                delivered = await self.drain_once()
                total += delivered
                if not delivered and not self._wakeup.is_set():
                    return total
        finally:
            self.draining = False

    async def drain_once(self, limit: int = 500) -> int:
        """Deliver what is due now; returns how many entries were delivered (background entries are not counted:
        the chat messages they queue are)."""
        now = self.clock.now()
        due = or_(
            (OutboxEntry.status == OutboxStatus.PENDING) & (OutboxEntry.available_at <= now),
            (OutboxEntry.status == OutboxStatus.SENDING) & (OutboxEntry.locked_until < now),
        )
        with Session(self.engine) as session:
            # Read apart, so that a backlog in a lane (a slow model) never crowds chat messages out of a drain.
            deliveries = list(session.exec(select(OutboxEntry).where(due, OutboxEntry.target.not_in(list(self.lanes)))
                                           .order_by(OutboxEntry.id).limit(limit)))
            for target, lane in self.lanes.items():
                self._start_background(lane, session.exec(select(OutboxEntry).where(due, OutboxEntry.target == target)
                                                          .order_by(OutboxEntry.id).limit(lane.concurrency)))
        by_target: dict[str, list[OutboxEntry]] = defaultdict(list)
        for entry in deliveries:
            by_target[entry.target].append(entry)
        counts = await asyncio.gather(*(self._deliver_target(t, entries) for t, entries in by_target.items()))
        return sum(counts)

    def _start_background(self, lane: Lane, entries) -> None:
        """Work a lane's entries as tasks, as many at once as its cap allows; the rest wait (unclaimed) for a slot."""
        for entry in entries:
            working = self._working.setdefault(entry.target, set())
            if len(working) >= lane.concurrency:
                return
            if entry.id not in self._running:
                task = asyncio.create_task(self._deliver(entry, lease=lane.lease), name=f"{entry.target}:{entry.key}")
                self._running[entry.id] = task
                working.add(entry.id)
                task.add_done_callback(lambda _, entry=entry: self._background_done(entry))

    def _background_done(self, entry: OutboxEntry) -> None:
        self._running.pop(entry.id, None)
        self._working[entry.target].discard(entry.id)
        self.poke()  # what it queued is due, and a slot is free

    async def _deliver_target(self, target: str, entries: list[OutboxEntry]) -> int:
        """Deliver one target's entries in order, pacing them; stop at the first one that must wait, and at any
        earlier entry of the target that is waiting (throttled or failing): later ones never overtake it."""
        loop = asyncio.get_running_loop()
        bucket = self._bucket(target)
        delivered = 0
        in_line = self._unfinished_ids(target, len(entries))
        for position, entry in enumerate(entries):
            if position >= len(in_line) or in_line[position] != entry.id:
                break  # an earlier entry of the target is not due yet (waiting for its retry): this one waits too
            wait = bucket.wait_time(loop.time())
            if wait:
                await asyncio.sleep(wait)
                bucket.wait_time(loop.time())
            if not self.may_deliver() or self._throttled(target):  # checked after the pause: a 429 may have come
                break
            bucket.take()
            outcome = await self._deliver(entry)
            if outcome == "skipped":  # done with nothing to send (a conversation folded into an incident)
                bucket.give_back()
            if outcome in ("done", "skipped"):
                delivered += 1
            elif outcome == "wait":
                break
        return delivered

    def _throttled(self, target: str) -> bool:
        throttled_until = self._throttled_until.get(target)
        return bool(throttled_until and throttled_until > self.clock.now())

    def _unfinished_ids(self, target: str, count: int) -> list[int]:
        """The ids of the target's first `count` entries not yet delivered or failed, in queue order."""
        with Session(self.engine) as session:
            return list(session.exec(
                select(OutboxEntry.id).where(OutboxEntry.target == target,
                                             OutboxEntry.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]))
                .order_by(OutboxEntry.id).limit(count)))

    def _bucket(self, target: str) -> TokenBucket:
        if target not in self._buckets:
            rate, burst = self.pace(target) or (self.config.per_channel_per_second, self.config.burst)
            self._buckets[target] = TokenBucket(rate, burst)
        return self._buckets[target]

    async def _deliver(self, entry: OutboxEntry, lease: timedelta = LEASE) -> str:
        claimed = self._claim(entry, lease)
        if claimed is None:
            return "skip"
        try:
            effect = self.effects.get(claimed.kind)
            if effect is None:
                raise PlatformError(f"unknown outbox kind {claimed.kind!r}", retryable=False)
            result = await effect.perform(claimed)
        except NotReady:
            self._release(claimed, delay=timedelta(seconds=1), error=None, count_attempt=False)
            return "wait"
        except PlatformError as error:
            if error.retry_after is not None:
                self._throttled_until[claimed.target] = self.clock.now() + timedelta(seconds=error.retry_after)
                if claimed.target in self._buckets:
                    configured = (self.pace(claimed.target) or (self.config.per_channel_per_second, 0))[0]
                    self._buckets[claimed.target].slow_down(configured * THROTTLED_PACE)
                self._release(claimed, delay=timedelta(seconds=error.retry_after), error=str(error), count_attempt=False,
                              transient=True)
                log.info("outbox: %s throttled for %.1fs", claimed.target, error.retry_after, extra=_about(claimed))
                self.on_outcome(claimed, "throttled", None)
                return "wait"
            if error.retryable:
                self._release(claimed, delay=self._backoff(claimed.attempts), error=str(error), transient=True)
                log.warning("outbox: %s failed (attempt %d), will retry: %s", claimed.key, claimed.attempts, error,
                            extra=_about(claimed))
                self.on_outcome(claimed, "retry", None)
                return "wait"
            self._fail(claimed, str(error))
            self.on_outcome(claimed, "failed", None)
            return "failed"
        except Exception as error:  # a bug rather than an outage: retried max_attempts times, then set aside
            log.exception("outbox: unexpected error delivering %s", claimed.key, extra=_about(claimed))
            if claimed.attempts >= self.config.max_attempts:
                self._fail(claimed, repr(error))
                self.on_outcome(claimed, "failed", None)
                return "failed"
            self._release(claimed, delay=self._backoff(claimed.attempts), error=repr(error))
            self.on_outcome(claimed, "retry", None)
            return "wait"
        self._complete(claimed, result)
        self.on_outcome(claimed, "delivered", result)
        return "skipped" if "skipped" in result else "done"

    def _backoff(self, attempts: int) -> timedelta:
        seconds = min(RETRY_CAP.total_seconds(), 2.0 ** attempts) * random.uniform(0.8, 1.0)
        return timedelta(seconds=seconds)

    def _claim(self, entry: OutboxEntry, lease: timedelta) -> OutboxEntry | None:
        """Take the entry with a lease; only one worker (or replica) wins."""
        now = self.clock.now()
        with session_scope(self.engine) as session:
            claimed = session.exec(
                update(OutboxEntry)
                .where(
                    OutboxEntry.id == entry.id,
                    or_(
                        OutboxEntry.status == OutboxStatus.PENDING,
                        (OutboxEntry.status == OutboxStatus.SENDING) & (OutboxEntry.locked_until < now),
                    ),
                )
                .values(status=OutboxStatus.SENDING, locked_until=now + lease, attempts=OutboxEntry.attempts + 1)
            ).rowcount
            if not claimed:
                return None
            return session.get(OutboxEntry, entry.id)

    def _release(self, entry: OutboxEntry, *, delay: timedelta, error: str | None, count_attempt: bool = True,
                 transient: bool = False) -> None:
        now = self.clock.now()
        with session_scope(self.engine) as session:
            row = session.get(OutboxEntry, entry.id)
            row.status = OutboxStatus.PENDING
            row.available_at = now + delay
            row.locked_until = None
            row.last_error = error
            if not count_attempt:
                row.attempts -= 1
            if transient:
                row.failing_since = row.failing_since or now
                if now - row.failing_since >= PAUSED_AFTER:
                    self.on_paused(session, row.target, row.failing_since, error or "")

    def _fail(self, entry: OutboxEntry, error: str) -> None:
        log.error("outbox: giving up on %s: %s. Fix the cause, then run `socialdesk outbox retry`.", entry.key, error,
                  extra=_about(entry))
        effect = self.effects.get(entry.kind)
        with session_scope(self.engine) as session:
            row = session.get(OutboxEntry, entry.id)
            row.status = OutboxStatus.FAILED
            row.last_error = error
            row.locked_until = None
            if effect is not None and effect.failed:
                effect.failed(session, row, error)
        if effect is not None and effect.failed:
            self.poke()

    def _complete(self, entry: OutboxEntry, result: dict) -> None:
        effect = self.effects[entry.kind]
        with session_scope(self.engine) as session:
            row = session.get(OutboxEntry, entry.id)
            row.status = OutboxStatus.DONE
            row.result = result
            row.locked_until = None
            row.failing_since = None
            row.done_at = self.clock.now()
            if effect.delivered:
                effect.delivered(session, row, result)
        if effect.delivered:
            self.poke()  # it may have queued what follows (the "Published" notice)
