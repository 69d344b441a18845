"""The SLA sweep: wake snoozed conversations whose time is up, and queue the nudges that are due.

It reads only what is due (`SlaClock.next_nudge_at` and `Conversation.snoozed_until`, both
indexed), so its cost follows the conversations that need a nudge, never the stored total.
A clock's new stage and its outbox entry (deterministic key) commit together: a restart, a
second replica or a second sweep finds the stage already taken and the key already queued. (Two
sweepers racing on the same batch: one commits, the other's insert hits the unique key and its
whole batch rolls back, to be looked at again by the next sweep.)
"""
from __future__ import annotations

from datetime import datetime

from sqlmodel import select

from bot.sla import clocks as sla_clocks
from bot.delivery import queue as outbox_entries
from bot.sla import policy as sla
from bot.sla.nudges import ASLEEP, escalation_channel
from bot.settings import SlaConfig
from bot.sla.clocks import BREACH, REMIND, RESOLUTION, WARN
from storage.db import session_scope
from storage.models import Conversation, SlaClock

BATCH = 100  # per transaction: short row locks, and a full batch stays well under 50 ms


def sweep(engine, config: SlaConfig, now: datetime, limit: int = BATCH) -> int:
    """One batch; returns how many snoozes and clocks it handled (a full batch means: sweep again)."""
    with session_scope(engine) as session:
        snoozed = session.exec(
            select(Conversation).where(Conversation.snoozed_until <= now).order_by(Conversation.snoozed_until)
            .limit(limit).with_for_update()
        ).all()
        for conversation in snoozed:
            sla_clocks.wake(session, config, conversation, now, "Snooze over:")
        clocks = session.exec(
            select(SlaClock).where(SlaClock.next_nudge_at <= now).order_by(SlaClock.next_nudge_at)
            .limit(limit).with_for_update()
        ).all()
        conversations = {c.id: c for c in session.exec(
            select(Conversation).where(Conversation.id.in_({clock.conversation_id for clock in clocks})))}
        entries = [e for clock in clocks for e in _look_at(config, conversations[clock.conversation_id], clock, now)]
        outbox_entries.add_many(session, entries, now)
    return len(snoozed) + len(clocks)


def due_stage(clock: SlaClock, now: datetime) -> str | None:
    """The most advanced nudge due now: a late sweep sends the breach, not a warning and then a breach."""
    if now >= clock.due_at:
        if clock.stage in ("", WARN):
            return BREACH
        return None if clock.kind == RESOLUTION else f"{REMIND}:{sla_clocks.reminders_sent(clock) + 1}"
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
        sla_clocks.schedule(config, clock)
        return []
    quiet_until = sla.quiet_until(config, conversation.priority, now)
    if quiet_until:
        clock.next_nudge_at = quiet_until  # sent once when quiet hours end, whatever fell due meanwhile
        return []
    clock.stage, clock.last_nudge_at = stage, now
    sla_clocks.schedule(config, clock)
    entries = [outbox_entries.nudge(conversation, clock, stage)]
    channel = escalation_channel(config, conversation.chat_platform)
    if stage == BREACH and channel:
        entries.append(outbox_entries.escalation(conversation, clock, channel))
    return entries
