"""/stats [7d] [tag:billing]: response times, response rate and SLA attainment, overall, by agent, network and tag."""
from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlmodel import Session

from bot.desk import Desk
from bot.reports import figures
from bot.settings import parse_duration
from handlers.context import Outcome, Refusal, Request, require_agent
from handlers.queue import tag_filter

USAGE = "/stats [7d] [tag:billing] (or 24h, 30d, today, yesterday)"
LONGEST = timedelta(days=366)


async def run(desk: Desk, request: Request) -> Outcome:
    with desk.session() as session:
        require_agent(desk, session, request.actor, "see the figures")
    words = request.args.strip().lower().split()
    tags = tuple(tag for word in words if word.startswith("tag:") for tag in tag_filter(word))
    window = _window(desk, " ".join(word for word in words if not word.startswith("tag:")))
    return Outcome(await asyncio.to_thread(_figures, desk, window, tags))


def _window(desk: Desk, args: str) -> figures.Window:
    now = desk.clock.now()
    if args in ("today", "yesterday"):
        return figures.day(desk.config.sla.timezone, now, days_ago=0 if args == "today" else 1)
    try:
        length = parse_duration(args or "7d")
    except ValueError:
        raise Refusal(f"I can't read {args!r} as a period. Usage: {USAGE}") from None
    if length > LONGEST:
        raise Refusal(f"{args} is longer than a year; ask for at most 366d.")
    return figures.last(length, now)


def _figures(desk: Desk, window: figures.Window, tags: tuple[str, ...]) -> str:
    with Session(desk.engine) as session:
        return figures.render(figures.context(session, desk.config, window, desk.clock.now(), tags), figures.SECTIONS)
