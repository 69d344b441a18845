"""/snooze N 2h (or `until 17:00`, `until tomorrow 9:00`, `until 2026-12-01`, `off`): put a conversation aside.

While snoozed its SLA clocks are paused and it nudges nobody; when the time is up (or the
customer writes again) it is back in the queue, its clocks run again with their due times
moved on by the working time the snooze covered, and the thread is told.
"""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.desk import Desk, lifecycle
from bot.settings import parse_duration
from bot.wording import clock_time
from handlers.context import Outcome, Refusal, Request, require_agent, require_conversation
from storage.models import ConversationStatus

USAGE = "/snooze 42 2h (or: until 17:00, until tomorrow 9:00, until 2026-12-01, off)"
LONGEST = timedelta(days=30)
_UNTIL = re.compile(r"^until(?:\s+(?:(tomorrow)|(\d{4}-\d{2}-\d{2})))?\s*(?:(\d{1,2})[:.](\d{2}))?$", re.I)


async def run(desk: Desk, request: Request) -> Outcome:
    args = request.args.strip()
    now = desk.clock.now()
    with desk.session() as session:
        agent = require_agent(desk, session, request.actor, "snooze conversations")
        conversation = require_conversation(session, request.number, USAGE)
        if conversation.status == ConversationStatus.RESOLVED:
            raise Refusal(f"#{conversation.id} is resolved; there is nothing to snooze.")
        if args.lower() == "off":
            if conversation.status != ConversationStatus.SNOOZED:
                return Outcome(f"#{conversation.id} is not snoozed.")
            lifecycle.end_snooze(session, desk.config.sla, conversation, agent, now)
            return Outcome(f"#{conversation.id} is back in the queue.")
        until = snooze_until(args, now, desk.config.sla.timezone, _day_starts(desk))
        lifecycle.snooze(session, desk.config.sla, conversation, until, agent, now)
        when = clock_time(until, desk.config.sla.timezone, now)
    return Outcome(f"#{conversation.id} is snoozed until {when}; its SLA clocks are paused. "
                   f"`/snooze {conversation.id} off` brings it back sooner.")


def snooze_until(args: str, now: datetime, zone: str, day_starts: time) -> datetime:
    """When a snooze given as `2h`, `until 17:00`, `until tomorrow [9:00]` or `until 2026-12-01 [9:00]` ends."""
    if not args:
        raise Refusal(f"For how long? Usage: {USAGE}")
    match = _UNTIL.match(args)
    if match:
        until = _until(match, now, ZoneInfo(zone), day_starts)
    else:
        try:
            until = now + parse_duration(args)
        except ValueError:
            raise Refusal(f"I can't read {args!r} as a time. Usage: {USAGE}") from None
    if until <= now:
        raise Refusal(f"{clock_time(until, zone, now)} has already passed. Usage: {USAGE}")
    if until - now > LONGEST:
        raise Refusal("A snooze can last 30 days at most; resolve the conversation if nothing is left to do.")
    return until


def _until(match: re.Match, now: datetime, zone: ZoneInfo, day_starts: time) -> datetime:
    tomorrow, on, hour, minute = match.groups()
    if not (tomorrow or on or hour):
        raise Refusal(f"Until when? Usage: {USAGE}")
    try:
        at = time(int(hour), int(minute)) if hour else day_starts
        today = now.astimezone(zone).date()
        day = date.fromisoformat(on) if on else today + timedelta(days=1 if tomorrow else 0)
    except ValueError:
        raise Refusal(f"That is not a date and time I know. Usage: {USAGE}") from None
    until = datetime.combine(day, at, zone)
    if not (tomorrow or on) and until <= now:
        until = datetime.combine(day + timedelta(days=1), at, zone)  # `until 9:00` at 15:00 means tomorrow
    return until


def _day_starts(desk: Desk) -> time:
    hours = desk.config.sla.business_hours
    return hours.start if hours else time(9)
