"""Inbound chat events acted on once, however many replicas receive them.

Discord sends every gateway event (a thread message, an interaction) to every connected session,
so with several replicas each one gets it; Slack redelivers an event it thinks was not
acknowledged. Before acting on such an event a listener claims it: one INSERT of (platform,
event id), whose primary key lets only the first replica through. The others stay silent, since
Discord takes one answer per interaction. A claim is at most once: a replica that dies between
claiming and acting loses that event (the teammate gets no answer and types it again), which is
the price of never publishing a reply twice.

Slash commands and buttons go further: each is *recorded* with its payload under its idempotency
key (Slack's trigger_id) before it is acknowledged, *started* by whoever runs it (a lease, so a
redelivery or another replica does not run it again) and marked *done* once answered. On start-up,
a command recorded but never started, or started and never finished within the lease, is run
then (`unfinished`): an ack means the command will run. A run interrupted after its effect and
before "done" can run twice; the handlers make that harmless (claiming is idempotent, and an
identical /reply within minutes is held).
"""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from storage.db import session_scope
from storage.models import ChatEvent

KEEP = timedelta(days=7)  # far longer than any platform redelivers an event
LEASE = timedelta(minutes=2)  # a started command not done by then is taken up again
UNSTARTED = timedelta(seconds=30)  # a recorded command nobody started by then was lost with its process


def claim_event(engine: Engine, platform: str, event_id: str, now: datetime) -> bool:
    """Whether this replica is the first to claim the event (and so acts on it)."""
    try:
        with session_scope(engine) as session:
            session.add(ChatEvent(platform=platform, event_id=event_id, claimed_at=now))
    except IntegrityError:
        return False
    return True


async def claimed(engine: Engine, platform: str, event_id: str, now: datetime) -> bool:
    """`claim_event` off the event loop."""
    return await asyncio.to_thread(claim_event, engine, platform, event_id, now)


def forget_claims(engine: Engine, now: datetime, keep: timedelta = KEEP) -> int:
    """Delete the claims older than `keep`; returns how many."""
    with session_scope(engine) as session:
        return session.exec(delete(ChatEvent).where(ChatEvent.claimed_at < now - keep)).rowcount


def record_command(engine: Engine, platform: str, key: str, payload: dict, now: datetime) -> bool:
    """Store a command before its ack; False when it was recorded already (a redelivery: the first one runs)."""
    try:
        with session_scope(engine) as session:
            session.add(ChatEvent(platform=platform, event_id=key, claimed_at=now, payload=payload))
    except IntegrityError:
        return False
    return True


def start_command(engine: Engine, platform: str, key: str, now: datetime) -> bool:
    """Take the run of a recorded command: True for exactly one runner until the lease runs out."""
    with session_scope(engine) as session:
        return bool(session.exec(
            update(ChatEvent)
            .where(ChatEvent.platform == platform, ChatEvent.event_id == key, ChatEvent.done_at.is_(None),
                   or_(ChatEvent.started_at.is_(None), ChatEvent.started_at < now - LEASE))
            .values(started_at=now)
        ).rowcount)


def finish_command(engine: Engine, platform: str, key: str, now: datetime) -> None:
    with session_scope(engine) as session:
        session.exec(update(ChatEvent).where(ChatEvent.platform == platform, ChatEvent.event_id == key)
                     .values(done_at=now, payload=None))


def unfinished(engine: Engine, platform: str, now: datetime) -> list[tuple[str, dict]]:
    """The recorded commands whose process died before running or finishing them: (key, payload), oldest first."""
    with Session(engine) as session:
        rows = session.exec(
            select(ChatEvent.event_id, ChatEvent.payload)
            .where(ChatEvent.platform == platform, ChatEvent.payload.is_not(None), ChatEvent.done_at.is_(None),
                   or_((ChatEvent.started_at.is_(None)) & (ChatEvent.claimed_at < now - UNSTARTED),
                       ChatEvent.started_at < now - LEASE))
            .order_by(ChatEvent.claimed_at)
        ).all()
    return [(key, payload) for key, payload in rows]
