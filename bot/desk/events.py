"""Inbound chat events acted on once, however many replicas receive them.

Discord sends every gateway event (a thread message, an interaction) to every connected session,
so with several replicas each one gets it; Slack redelivers an event it thinks was not
acknowledged. Before acting on such an event a listener claims it: one INSERT of (platform,
event id), whose primary key lets only the first replica through. The others stay silent, since
Discord takes one answer per interaction. A claim is at most once: a replica that dies between
claiming and acting loses that event (the teammate gets no answer and types it again), which is
the price of never publishing a reply twice.
"""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from storage.db import session_scope
from storage.models import ChatEvent

KEEP = timedelta(days=7)  # far longer than any platform redelivers an event


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
