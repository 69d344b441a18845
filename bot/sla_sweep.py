"""The SLA sweep: wake snoozed conversations whose time is up, and queue the nudges that are due.

It reads only what is due (`SlaClock.next_nudge_at` and `Conversation.snoozed_until`, both
indexed), so its cost follows the conversations that need a nudge, never the stored total.
A clock's new stage and its outbox entry (deterministic key) commit together: a restart, a
second replica or a second sweep finds the stage already taken and the key already queued.
"""
from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot import outbox_entries, sla, sla_clocks
from bot.nudges import ASLEEP, escalation_channel
from bot.settings import SlaConfig
from bot.sla_clocks import BREACH, REMIND, RESOLUTION, WARN
from storage.db import session_scope
from storage.models import Conversation, SlaClock

log = logging.getLogger(__name__)
BATCH = 500


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
        for clock in clocks:
            try:
                with session.begin_nested():
                    _look_at(session, config, conversations[clock.conversation_id], clock, now)
            except IntegrityError:  # another sweeper queued the same nudge first: it is sent once either way
                log.info("sla: nudge for clock %s already queued elsewhere", clock.id)
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


def _look_at(session: Session, config: SlaConfig, conversation: Conversation, clock: SlaClock, now: datetime) -> None:
    if clock.stopped_at or clock.paused_at or conversation.status in ASLEEP:
        clock.next_nudge_at = None  # resuming reschedules it
        return
    stage = due_stage(clock, now)
    if stage is None:
        sla_clocks.schedule(config, clock)
        return
    quiet_until = sla.quiet_until(config, conversation.priority, now)
    if quiet_until:
        clock.next_nudge_at = quiet_until  # sent once when quiet hours end, whatever fell due meanwhile
        return
    clock.stage, clock.last_nudge_at = stage, now
    sla_clocks.schedule(config, clock)
    outbox_entries.nudge(session, conversation, clock, stage, now)
    channel = escalation_channel(config, conversation.chat_platform)
    if stage == BREACH and channel:
        outbox_entries.escalate(session, conversation, clock, channel, now)
