"""The SLA sweep: queue the nudges that are due (snoozes that are up are woken by bot/desk/lifecycle.py first).

It reads only what is due (`SlaClock.next_nudge_at`, indexed), so its cost follows the
conversations that need a nudge, never the stored total.
A clock's new stage and its outbox entry (deterministic key) commit together: a restart, a
second replica or a second sweep finds the stage already taken and the key already queued. (Two
sweepers racing on the same batch: one commits, the other's insert hits the unique key and its
whole batch rolls back, to be looked at again by the next sweep.)
"""
from __future__ import annotations

from datetime import datetime

from sqlmodel import select

from bot.delivery import queue
from bot.settings import SlaConfig
from bot.sla import clocks, policy
from bot.sla.clocks import BREACH, REMIND, RESOLUTION, WARN
from bot.sla.nudges import ASLEEP, escalation_channel, escalation_entry, nudge
from storage.db import session_scope
from storage.models import Conversation, SlaClock

BATCH = 100  # per transaction: short row locks, and a full batch stays well under 50 ms


def sweep(engine, config: SlaConfig, now: datetime, limit: int = BATCH) -> int:
    """One batch; returns how many clocks it handled (a full batch means: sweep again)."""
    with session_scope(engine) as session:
        due = session.exec(
            select(SlaClock).where(SlaClock.next_nudge_at <= now).order_by(SlaClock.next_nudge_at)
            .limit(limit).with_for_update()
        ).all()
        conversations = {c.id: c for c in session.exec(
            select(Conversation).where(Conversation.id.in_({clock.conversation_id for clock in due})))}
        entries = [e for clock in due for e in _look_at(config, conversations[clock.conversation_id], clock, now)]
        queue.add_many(session, entries, now)
    return len(due)


def due_stage(clock: SlaClock, now: datetime) -> str | None:
    """The most advanced nudge due now: a late sweep sends the breach, not a warning and then a breach."""
    if now >= clock.due_at:
        if clock.stage in ("", WARN):
            return BREACH
        return None if clock.kind == RESOLUTION else f"{REMIND}:{clocks.reminders_sent(clock) + 1}"
    if now >= clock.warn_at and clock.stage == "":
        return WARN
    return None


def _look_at(config: SlaConfig, conversation: Conversation, clock: SlaClock, now: datetime) -> list[dict]:
    """Move `clock` to the nudge due now, if any; returns the outbox entries to queue for it."""
    if clock.stopped_at or clock.paused_at or conversation.status in ASLEEP:
        clock.next_nudge_at = None  # resuming reschedules it
        return []
    stage = due_stage(clock, now)
    if stage is None:
        clocks.schedule(config, clock)
        return []
    quiet_until = policy.quiet_until(config, conversation.priority, now)
    if quiet_until:
        clock.next_nudge_at = quiet_until  # sent once when quiet hours end, whatever fell due meanwhile
        return []
    clock.stage, clock.last_nudge_at = stage, now
    clocks.schedule(config, clock)
    entries = [nudge(conversation, clock, stage)]
    channel = escalation_channel(config, conversation.chat_platform)
    if stage == BREACH and channel:
        entries.append(escalation_entry(conversation, clock, channel))
    return entries
