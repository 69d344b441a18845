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

from bot.reports import figures as stats
from bot.ingest import alerts as source_alerts
from bot.delivery import queue as outbox_entries
from bot.settings import DeskConfig
from storage.db import session_scope
from storage.models import OutboxEntry

SECTIONS = (stats.overview, stats.overdue_now, source_alerts.failing_now)


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
        ctx = stats.context(session, config, stats.day(config.sla.timezone, now, days_ago=1), now)
        text = f"Daily digest, {local:%A} {local.day} {local:%B}: yesterday in figures, and what is overdue now.\n"
        text += stats.render(ctx, SECTIONS)
        outbox_entries.channel_post(session, key=key, platform=digest.platform, channel=digest.channel, text=text, now=now)
    return True

