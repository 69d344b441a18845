"""The operator's HTTP endpoints, in every process whatever its chat: /healthz, /readyz and /metrics.

- `/healthz`: the process is alive and its event loop answers (a liveness probe).
- `/readyz`: 200 when the database answers, every chat platform this process serves is connected and the
  outbox is not stuck (its oldest due entry has waited less than `[health] outbox_stuck_after`); 503
  otherwise. The JSON body says each check's state, and the lease's (which replica runs the jobs).
- `/metrics`: Prometheus text format (bot/app/metrics.py).

In HTTP mode they share Slack's port (/slack/events); in Socket Mode and for a Discord-only desk the
process serves them alone on the same `--port` ($PORT, default 3000).
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlmodel import Session, select

from bot.app.runtime import Runtime
from bot.settings import ConfigError
from storage.models import OutboxEntry, OutboxStatus

log = logging.getLogger(__name__)
DATABASE_TIMEOUT = 5.0  # seconds for the database to answer `select 1`


class Health:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def routes(self) -> list[web.RouteDef]:
        return [web.get("/healthz", self.alive), web.get("/readyz", self.ready), web.get("/metrics", self.metrics)]

    async def alive(self, _request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def ready(self, _request: web.Request) -> web.Response:
        ready, checks = await self.readiness()
        return web.json_response({"ok": ready, **checks}, status=200 if ready else 503)

    async def metrics(self, _request: web.Request) -> web.Response:
        body = await asyncio.to_thread(generate_latest, self.runtime.metrics.registry)  # reads the database
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def readiness(self) -> tuple[bool, dict]:
        """Whether this process can do its work, and each check's state in words."""
        database = await self._database()
        chats = {platform: "connected" if await connected() else "disconnected"
                 for platform, connected in self.runtime.chat_connected.items()}
        outbox = await asyncio.to_thread(self._outbox) if database == "ok" else "unknown (no database)"
        lease = "held: this replica runs the scheduled jobs" if self.runtime.lease.held() else \
            "standby: another replica runs the scheduled jobs (or the lease is being taken)"
        ready = database == "ok" and bool(chats) and all(state == "connected" for state in chats.values()) and outbox == "ok"
        return ready, {"database": database, "chat": chats, "outbox": outbox, "lease": lease}

    async def _database(self) -> str:
        try:
            await asyncio.wait_for(asyncio.to_thread(self._select_one), DATABASE_TIMEOUT)
        except TimeoutError:
            return f"unreachable: no answer within {DATABASE_TIMEOUT:.0f} s"
        except Exception as error:  # noqa: BLE001 - whatever the driver raises, the database is not there
            return f"unreachable: {error.__class__.__name__}"
        return "ok"

    def _select_one(self) -> None:
        with self.runtime.engine.connect() as connection:
            connection.execute(text("select 1"))

    def _outbox(self) -> str:
        now = self.runtime.clock.now()
        limit = self.runtime.config.health.outbox_stuck_after
        with Session(self.runtime.engine) as session:
            oldest = session.exec(select(OutboxEntry.available_at, OutboxEntry.target)
                                  .where(OutboxEntry.status == OutboxStatus.PENDING, OutboxEntry.available_at < now - limit)
                                  .order_by(OutboxEntry.available_at).limit(1)).first()
        if oldest is None:
            return "ok"
        waited = (now - oldest[0]) // timedelta(minutes=1)
        return f"stuck: an entry for {oldest[1]} has been due for {waited} min"


async def serve(routes: list[web.RouteDef], host: str, port: int) -> Callable[[], Awaitable[None]]:
    """Serve `routes` alone on host:port (no Slack HTTP mode in this process); returns the coroutine that stops."""
    app = web.Application()
    app.add_routes(routes)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError as error:
        await runner.cleanup()
        raise ConfigError(f"Cannot listen on {host}:{port} for /healthz, /readyz and /metrics ({error.strerror}): "
                          "pass another --port, or set PORT.") from None
    log.info("health and metrics on %s:%d (/healthz, /readyz, /metrics)", host, port)
    return runner.cleanup
