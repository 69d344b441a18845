"""Compaction: delivered outbox entries forget what nothing reads any more, so the table keeps the size of what is
in flight rather than of everything ever sent.

Each kind's `Effect.kept` says what a delivered entry is still read for (bot/delivery/engine.py, `Kept`): all of
it (the default: its key keeps queueing it again a no-op, a later entry reads its result), its key and result but
not its payload, or nothing (a one-off key, never queued again: the row is deleted). Only entries delivered more
than GRACE ago are compacted; pending, sending and failed ones are never touched, so recovery after a crash (which
asks the platform about an entry still `sending`) and `socialdesk outbox retry` have what they need.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Text, cast, delete, update
from sqlalchemy.engine import Engine
from sqlmodel import select

from bot.delivery.engine import Effect, Kept
from storage.db import session_scope
from storage.models import OutboxEntry, OutboxStatus

GRACE = timedelta(hours=1)  # recent deliveries stay whole, for whoever looks into what just happened
BATCH = 5000


def compact(engine: Engine, effects: dict[str, Effect], now: datetime, batch: int = BATCH) -> tuple[int, int]:
    """Delete the delivered entries nothing reads and empty the payloads nothing reads, a batch per transaction;
    returns (deleted, emptied)."""
    forget = [kind for kind, effect in effects.items() if effect.kept == Kept.NOTHING]
    key_only = [kind for kind, effect in effects.items() if effect.kept == Kept.KEY]
    settled = (OutboxEntry.status == OutboxStatus.DONE) & (OutboxEntry.done_at < now - GRACE)
    deleted = emptied = 0
    while forget:
        with session_scope(engine) as session:
            ids = list(session.exec(select(OutboxEntry.id).where(settled, OutboxEntry.kind.in_(forget)).limit(batch)))
            session.exec(delete(OutboxEntry).where(OutboxEntry.id.in_(ids)))
        deleted += len(ids)
        if len(ids) < batch:
            break
    while key_only:
        with session_scope(engine) as session:
            ids = list(session.exec(select(OutboxEntry.id).where(settled, OutboxEntry.kind.in_(key_only),
                                                                 cast(OutboxEntry.payload, Text) != "{}").limit(batch)))
            session.exec(update(OutboxEntry).where(OutboxEntry.id.in_(ids)).values(payload={}))
        emptied += len(ids)
        if len(ids) < batch:
            break
    return deleted, emptied
