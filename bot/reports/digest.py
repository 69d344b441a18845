"""The daily digest: yesterday's figures, what is overdue and which sources fail now, posted once a day to a channel.

The job checks every minute whether the digest's time has come in the team's time zone; the
outbox key carries the date, so a restart, a takeover by another replica or a second check on
the same day queues nothing more. A replica that starts after the digest's time posts it then.
"""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import select

from bot.desk.messages import channel_post
from bot.ingest.health import source_health
from bot.reports import figures
from bot.reports.figures import StatsContext
from bot.settings import DeskConfig
from bot.wording import clock_time, plain, span
from storage.db import session_scope
from storage.models import OutboxEntry


def queue_digest(engine: Engine, config: DeskConfig, now: datetime) -> bool:
    """Queue today's digest if its time has come and it is not queued yet; returns whether it was queued now."""
    digest = config.digest
    local = now.astimezone(ZoneInfo(config.sla.timezone))
    if digest is None or local.time() < digest.at:
        return False
    key = f"digest:{digest.platform}:{digest.channel}:{local.date().isoformat()}"
    with session_scope(engine) as session:
        if session.exec(select(OutboxEntry.id).where(OutboxEntry.key == key)).first() is not None:
            return False
        ctx = figures.context(session, config, figures.day(config.sla.timezone, now, days_ago=1), now)
        text = f"Daily digest, {local:%A} {local.day} {local:%B}: yesterday in figures, and what is overdue now.\n"
        text += figures.render(ctx, SECTIONS)
        channel_post(session, key=key, platform=digest.platform, channel=digest.channel, text=text, now=now)
    return True


def failing_now(ctx: StatsContext) -> list[str]:
    """The daily digest's section on sources failing now (nothing when every source works)."""
    failing = [health for health in source_health(ctx.session, ctx.config) if health.enabled and health.failing]
    if not failing:
        return []
    timezone = ctx.config.sla.timezone
    lines = [f"Sources failing now ({len(failing)}):"]
    for health in failing:
        since = health.failing_since or health.last_error_at
        lines.append(f"• {health.name} ({health.type}) since {clock_time(since, timezone, ctx.now)} "
                     f"({span(ctx.now - since)}): {plain(health.last_error)}")
    return lines


SECTIONS = (figures.overview, figures.by_tag, figures.overdue_now, failing_now)
