"""One socialdesk process: storage, sources, the outbox and the chat adapters, on one asyncio loop."""
from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot import jobs
from bot.agents import sync_agents
from bot.chat.base import ChatPort
from bot.clock import Clock, SystemClock
from bot.lease import Lease
from bot.outbox import Outbox
from bot.settings import DeskConfig
from bot.sources import build_source
from bot.suggest import Suggester, TemplateSuggester
from handlers.context import Desk
from storage.db import make_engine, session_scope, upgrade

log = logging.getLogger(__name__)


class Runtime:
    def __init__(
        self,
        config: DeskConfig,
        *,
        database_url: str,
        base_dir: Path = Path("."),
        clock: Clock | None = None,
        suggester: Suggester | None = None,
    ) -> None:
        self.config = config
        self.clock = clock or SystemClock()
        self.engine = make_engine(database_url)
        upgrade(self.engine)
        with session_scope(self.engine) as session:
            sync_agents(session, config)
        self.sources = {
            s.name: build_source(s, base_dir, self.clock, brand=config.brand) for s in config.sources if s.enabled
        }
        self.chats: dict[str, ChatPort] = {}
        self.outbox = Outbox(
            self.engine, chats=self.chats, sources=self.sources, suggester=suggester or TemplateSuggester(),
            clock=self.clock, config=config.outbox, brand=config.brand.name, sla=config.sla,
        )
        self.desk = Desk(self.engine, config, self.clock, self.sources, on_change=self.outbox.poke)
        # Real time, like the scheduler that renews it: the injected clock may run fast (the demo) or stand still (tests).
        self.lease = Lease(self.engine, SystemClock(), config.scheduler.lease)
        self.scheduler: AsyncIOScheduler | None = None  # set while run() runs
        self.poll_failures: dict[str, int] = {}  # consecutive failures per source, for the poll backoff

    def add_chat(self, chat: ChatPort) -> None:
        self.chats[chat.platform] = chat

    async def run(self, stop: asyncio.Event) -> None:
        """Run the scheduled jobs (polls, outbox, SLA sweep, digest, retention) until `stop` is set.

        Every replica serves chat; the jobs run only while this process holds the lease."""
        scheduler = await jobs.start(self)
        try:
            await stop.wait()
        finally:
            await jobs.stop(self, scheduler)

    async def close(self) -> None:
        for source in self.sources.values():
            await source.close()
        self.engine.dispose()
