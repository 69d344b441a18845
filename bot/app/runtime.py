"""One socialdesk process wired together: storage, sources, the desk, the outbox and its effects, the lease.

The chat platforms connect afterwards (`add_chat`), each from its own package's start-up
(bot/chat/slack/start.py, bot/chat/discord/start.py); the scheduled jobs run from bot/app/jobs.py.
"""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.app.lease import Lease
from bot.app.metrics import Metrics
from bot.clock import Clock, SystemClock
from bot.delivery.chat import Chats
from bot.delivery.engine import Outbox
from bot.desk import Desk
from bot.desk.agents import sync_agents
from bot.desk.incidents import IncidentMessages
from bot.desk.messages import ConversationMessages, delivery_paused
from bot.desk.publishing import Publishing
from bot.ingest.ahead import Ahead
from bot.ports import ChatPort
from bot.reports import home
from bot.reports.digest import DigestChart
from bot.settings import DeskConfig, Secrets
from bot.sla.nudges import Nudges
from bot.sources import build_source
from bot.suggest.maker import SuggestionMaker
from bot.suggest.model import ModelSuggester, build_client, describe_provider
from bot.suggest.requests import LANE
from bot.suggest.templates import Suggester, TemplateSuggester
from storage.db import make_engine, session_scope, upgrade
from storage.queries import installation_id

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
        secrets: Secrets | None = None,
    ) -> None:
        """`secrets` hold the model's key (none: offline suggestions); `suggester` replaces the offline templates."""
        self.config = config
        self.clock = clock or SystemClock()
        self.engine = make_engine(database_url)
        upgrade(self.engine)
        with session_scope(self.engine) as session:
            sync_agents(session, config)
            installation = installation_id(session)
        self.sources = {s.name: build_source(s, base_dir, self.clock, brand=config.brand, installation=installation)
                        for s in config.sources if s.enabled}
        self.chats = Chats()
        client = build_client(config.llm, secrets) if secrets else None
        log.info("suggested replies: %s", describe_provider(config.llm, secrets) if secrets else "offline")
        self.suggestions = SuggestionMaker(
            self.engine, config=config, sources=self.sources, clock=self.clock, offline=suggester or TemplateSuggester(),
            model=ModelSuggester(client, config.llm, self.clock, base_dir) if client else None, chats=self.chats,
        )
        self.outbox = Outbox(self.engine, clock=self.clock, config=config.outbox, pace=self.pace)
        self.outbox.register(ConversationMessages(self.engine, self.chats, config, self.clock).effects())
        self.outbox.register(IncidentMessages(self.engine, self.chats).effects())
        self.outbox.register(home.effects(self.engine, self.chats, config, self.clock))
        self.outbox.on_paused = lambda session, target, since, error: delivery_paused(
            session, config, target, since, error, self.clock.now())
        self.outbox.register(Publishing(self.engine, self.sources, config.sla, self.clock).effects())
        self.outbox.register(Nudges(self.engine, self.chats, config.sla, self.clock).effects())
        self.outbox.register(self.suggestions.effects())
        self.outbox.register(DigestChart(self.engine, self.chats, config, self.clock).effects())
        self.outbox.add_lane(LANE, self.suggestions.lane)
        self.desk = Desk(self.engine, config, self.clock, self.sources, on_change=self.outbox.poke,
                         suggestions=self.suggestions, base_dir=base_dir)
        # Real time, like the scheduler that renews it: the injected clock may run fast (the demo) or stand still (tests).
        self.lease = Lease(self.engine, SystemClock(), config.scheduler.lease)
        self.poll_failures: dict[str, int] = {}  # consecutive failures per source, for the poll backoff
        self.ahead = Ahead(config.ingest.enrich_ahead)  # a worker process enriching pages during a backlog
        self.metrics = Metrics(self.engine, self.clock, leading=self.lease.held)
        self.outbox.on_outcome = self.metrics.observe_delivery
        self.chat_connected: dict[str, Callable[[], Awaitable[bool]]] = {}  # per platform, for /readyz

    def pace(self, target: str) -> tuple[float, int] | None:
        """A target's own pace: a chat platform's, or a source's replies (`source:<name>`) at its network's limits."""
        publishing = {f"source:{s.name}": s.publish_pace for s in self.config.sources}
        return publishing.get(target) or self.chats.pace(target)

    def add_chat(self, chat: ChatPort, connected: Callable[[], Awaitable[bool]] | None = None) -> None:
        """`connected` says whether the platform's connection is up (Socket Mode, the Discord gateway)."""
        self.chats[chat.platform] = chat
        self.chat_connected[chat.platform] = connected or _always

    async def close(self) -> None:
        for source in self.sources.values():
            await source.close()
        if self.suggestions.model:
            await self.suggestions.model.client.close()
        self.ahead.close()
        self.engine.dispose()


async def _always() -> bool:
    return True
