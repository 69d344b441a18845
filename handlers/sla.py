"""/sla: the response-time policy in a few lines, and how today is going."""
from __future__ import annotations

import asyncio
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.desk import Desk
from bot.reports import figures
from bot.settings import DeskConfig, SlaConfig
from bot.sla import policy as sla_policy
from bot.sla.nudges import escalation_channel
from bot.vocabulary import PRIORITIES
from bot.wording import span
from handlers.context import Outcome, Request, require_agent

USAGE = "/sla"
NEXT_HOLIDAYS = 3
KINDS = (("first_response", "first response"), ("next_response", "next"), ("resolution", "resolution"))


async def run(desk: Desk, request: Request) -> Outcome:
    with desk.session() as session:
        require_agent(desk, session, request.actor, "see the SLA policy")
    today = await asyncio.to_thread(_today, desk)
    lines = policy(desk.config.sla, request.actor.platform)
    return Outcome("\n".join([*lines, *next_holidays(desk.config.sla, desk.clock.now()), today]))


def policy(config: SlaConfig, platform: str) -> list[str]:
    lines = [f"SLA policy · {_hours(config)}"]
    for priority in PRIORITIES:
        lines.append(f"• {priority}: " + " · ".join(f"{name} {span(getattr(config, kind)[priority])}" for kind, name in KINDS))
    for override in config.overrides:
        where = ", ".join(f"{key} {value}" for key, value in (("network", override.network), ("intent", override.intent))
                          if value)
        targets = "; ".join(f"{name} " + ", ".join(f"{p} {span(t)}" for p, t in getattr(override, kind).items())
                            for kind, name in KINDS if getattr(override, kind))
        lines.append(f"• for {where}: {targets}")
    channel = escalation_channel(config, platform)
    quiet = config.quiet_hours
    lines.append(
        f"Nudges: a warning at {round(config.warn_at * 100)} % of a target · a breach in the thread"
        + (f" and in {channel}" if channel else "")
        + f" · reminders after {span(config.remind_after)}, doubling up to {span(config.remind_cap)}"
        + (f" · quiet {quiet.start:%H:%M}–{quiet.end:%H:%M} (urgent still nudged)" if quiet else "")
        + ". `/snooze N 2h` pauses a conversation's clocks."
    )
    return lines


def _hours(config: SlaConfig) -> str:
    hours = config.business_hours
    if hours is None:
        return "every target runs around the clock"
    days = ", ".join(day.capitalize() for day in hours.days)
    region = "-".join(part for part in (hours.country, hours.subdivision) if part)
    kinds = [text for text in (f"{region} public holidays" if region else "",
                               f"{len(hours.holidays)} holidays" if hours.holidays else "") if text]
    holidays = ", " + " + ".join(kinds) if kinds else ""
    always = ", ".join(config.around_the_clock)
    return (f"business hours {days} {hours.start:%H:%M}–{hours.end:%H:%M} {hours.timezone}{holidays}"
            + (f" · {always} around the clock" if always else ""))


def next_holidays(config: SlaConfig, now: datetime, count: int = NEXT_HOLIDAYS) -> list[str]:
    """The next days off (the clocks of business-hours targets stand still then), or nothing without holidays."""
    hours = config.business_hours
    if hours is None:
        return []
    today = now.astimezone(ZoneInfo(hours.timezone)).date()
    upcoming = sla_policy.days_off(hours).upcoming(today, count)
    if not upcoming:
        return []
    return ["Next holidays (targets pause): " + " · ".join(f"{day:%a} {day.day} {day:%b} {day.year} {name}"
                                                           for day, name in upcoming)]


def _today(desk: Desk) -> str:
    config: DeskConfig = desk.config
    now = desk.clock.now()
    with Session(desk.engine) as session:
        ctx = figures.context(session, config, figures.day(config.sla.timezone, now, days_ago=0), now,
                              groupings=(figures.OVERALL,))
        return figures.render(ctx, [figures.attainment_today])
