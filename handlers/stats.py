"""/stats [7d] [tag:billing] [chart] [export]: response times, response rate and SLA attainment, overall, by agent,
network and tag; as a chart (PNG) and as the export's CSV files, shared where the command was typed.

The counts are exact. The median and the p90 are within 2.5 % of the exact ones once the window holds hours the
rollup job has counted (bot/reports/rollup.py keeps their response times as 5 %-wide buckets)."""
from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlmodel import Session

from bot.desk import Desk
from bot.reports import export, figures
from bot.reports.charts import chart_png
from bot.settings import parse_duration
from bot.views import Attachment
from handlers.context import Outcome, Refusal, Request, require_agent
from handlers.queue import tag_filter

USAGE = "/stats [7d] [tag:billing] [chart] [export] (or 24h, 30d, today, yesterday)"
LONGEST = timedelta(days=366)
EXTRAS = ("chart", "export")


async def run(desk: Desk, request: Request) -> Outcome:
    with desk.session() as session:
        require_agent(desk, session, request.actor, "see the figures")
    words = request.args.strip().lower().split()
    tags = tuple(tag for word in words if word.startswith("tag:") for tag in tag_filter(word))
    extras = [word for word in words if word in EXTRAS]
    window = _window(desk, " ".join(word for word in words if word not in EXTRAS and not word.startswith("tag:")))
    text, files = await asyncio.to_thread(_figures, desk, window, tags, extras)
    if not files:
        return Outcome(text)
    shared = " and ".join(name for word, name in (("chart", "the chart"), ("export", "the export (four CSV files)"))
                          if word in extras)
    return Outcome(f"{text}\n\n{shared.capitalize()} will appear in this channel.", files=files,
                   files_note=f"socialdesk figures {window.label}")


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


def _figures(desk: Desk, window: figures.Window, tags: tuple[str, ...],
             extras: list[str]) -> tuple[str, tuple[Attachment, ...]]:
    now = desk.clock.now()
    with Session(desk.engine) as session:
        ctx = figures.context(session, desk.config, window, now, tags)
        files = []
        if "chart" in extras:
            files.append(Attachment(f"socialdesk-{_slug(window)}.png", chart_png(ctx), f"Figures {window.label}",
                                    "image/png"))
        if "export" in extras:
            rows = export.tables(session, desk.config, export.Selection(window.start, window.end), now)
            files += [Attachment(export.file_name(table, "csv", _slug(window)), export.render(table, rows[table], "csv"),
                                 f"{table.capitalize()} {window.label}", "text/csv") for table in export.TABLES]
        return figures.render(ctx, figures.SECTIONS), tuple(files)


def _slug(window: figures.Window) -> str:
    """The window in a file name: '2026-11-02' for a day, else '2026-10-26--2026-11-02'."""
    start = window.start.date().isoformat()
    if window.label in ("today", "yesterday"):
        return start
    return f"{start}--{window.end.date().isoformat() if window.end else 'now'}"
