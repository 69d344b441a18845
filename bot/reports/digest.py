"""The daily digest: yesterday's figures, what is overdue and which sources fail now, posted once a day to a channel,
with yesterday's chart (bot/reports/charts.py) in its thread.

The job checks every minute whether the digest's time has come in the team's time zone; the
outbox key carries the date, so a restart, a takeover by another replica or a second check on
the same day queues nothing more. A replica that starts after the digest's time posts it then.
The chart is an outbox entry of its own (`chat.chart`) that waits for the digest's message, is
drawn when it is delivered, and carries a ref in its file name, so an upload interrupted by a crash
is found (`find_upload`) rather than made twice.
"""
from __future__ import annotations

import asyncio
import hashlib
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.clock import Clock
from bot.delivery import queue
from bot.delivery.chat import Chats
from bot.delivery.engine import Effect, NotReady
from bot.desk.messages import channel_post
from bot.ingest.health import source_health
from bot.ports import ChatError
from bot.reports import figures
from bot.reports.charts import chart_png
from bot.reports.figures import StatsContext
from bot.settings import DeskConfig
from bot.views import Attachment
from bot.wording import clock_time, plain, span
from storage.db import session_scope
from storage.models import OutboxEntry, OutboxStatus

CHART = "chat.chart"  # yesterday's chart in the digest's thread


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
        ctx = figures.context(session, config, figures.day(config.sla.timezone, now, days_ago=1), now,
                              groupings=(figures.OVERALL, figures.TAG))
        text = f"Daily digest, {local:%A} {local.day} {local:%B}: yesterday in figures, and what is overdue now.\n"
        text += figures.render(ctx, SECTIONS)
        channel_post(session, key=key, platform=digest.platform, channel=digest.channel, text=text, now=now)
        queue.add(session, key=f"{key}:chart", kind=CHART, target=queue.channel_target(digest.platform, digest.channel),
                  conversation_id=None, now=now, payload={"platform": digest.platform, "channel": digest.channel,
                                                          "digest": key, "day": local.date().isoformat()})
    return True


class DigestChart:
    """Delivers `chat.chart`: the chart of the digest's day, drawn from the database, uploaded in its thread."""

    def __init__(self, engine: Engine, chats: Chats, config: DeskConfig, clock: Clock) -> None:
        self.engine = engine
        self.chats = chats
        self.config = config
        self.clock = clock

    def effects(self) -> dict[str, Effect]:
        return {CHART: Effect(self._upload)}

    async def _upload(self, entry: OutboxEntry) -> dict:
        payload = entry.payload
        chat = self.chats.port(payload["platform"])
        with Session(self.engine) as session:
            posted = session.exec(select(OutboxEntry).where(OutboxEntry.key == payload["digest"])).first()
        if posted is not None and posted.status == OutboxStatus.FAILED:
            raise ChatError(f"the digest itself failed: {posted.last_error}", retryable=False)
        if posted is None or posted.status != OutboxStatus.DONE:
            raise NotReady()
        thread_id = (posted.result or {}).get("message_id")
        name = f"socialdesk-digest-{payload['day']}-{hashlib.sha256(entry.key.encode()).hexdigest()[:8]}.png"
        if entry.attempts > 1:
            found = await chat.find_upload(payload["channel"], thread_id, name)
            if found:
                return {"file": found, "reconciled": True}
        png = await asyncio.to_thread(self._draw, payload["day"])
        chart = Attachment(name, png, f"socialdesk, the day before {payload['day']}", "image/png")
        return {"file": await chat.upload(payload["channel"], thread_id, (chart,), "Yesterday in a chart.")}

    def _draw(self, day: str) -> bytes:
        """The chart of the day before `day` (the digest's date), in the team's time zone."""
        noon = datetime.combine(datetime.fromisoformat(day).date(), time(12), ZoneInfo(self.config.sla.timezone))
        with Session(self.engine) as session:
            return chart_png(figures.context(session, self.config, figures.day(self.config.sla.timezone, noon, 1),
                                             self.clock.now()))


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
