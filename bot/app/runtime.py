"""One socialdesk process: storage, sources, the outbox and the chat adapters, on one asyncio loop."""
from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlmodel import Session, select

from bot.app import jobs
from bot.desk.agents import sync_agents
from bot.views import ChatPort
from bot.clock import Clock, SystemClock
from bot.app.lease import Lease
from bot.suggest.model import ModelSuggester, build_client, describe_provider
from bot.delivery.engine import Outbox
from bot.settings import DeskConfig, Secrets
from bot.sources import build_source
from bot.suggest.templates import Suggester, TemplateSuggester
from bot.suggest.maker import SuggestionMaker
from bot.desk.snapshots import latest_post
from handlers.context import Desk
from storage.db import make_engine, session_scope, upgrade
from storage.models import Conversation

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
        self.sources = {
            s.name: build_source(s, base_dir, self.clock, brand=config.brand) for s in config.sources if s.enabled
        }
        self.chats: dict[str, ChatPort] = {}
        client = build_client(config.llm, secrets) if secrets else None
        log.info("suggested replies: %s", describe_provider(config.llm, secrets) if secrets else "offline")
        self.suggestions = SuggestionMaker(
            self.engine, config=config, sources=self.sources, clock=self.clock, offline=suggester or TemplateSuggester(),
            model=ModelSuggester(client, config.llm, self.clock, base_dir) if client else None,
        )
        self.outbox = Outbox(self.engine, chats=self.chats, sources=self.sources, suggestions=self.suggestions,
                             clock=self.clock, config=config.outbox, sla=config.sla)
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

    def conversation_in_thread(self, platform: str, thread_id: str, channel: str | None = None) -> int | None:
        """The number of the conversation whose chat thread `thread_id` is (in `channel`, when given), else None."""
        query = select(Conversation.id).where(Conversation.chat_platform == platform,
                                              Conversation.chat_thread_id == thread_id)
        if channel is not None:
            query = query.where(Conversation.chat_channel == channel)
        with Session(self.engine) as session:
            return session.exec(query).first()

    def reply_limit(self, number: int) -> int:
        """The reply length limit of conversation #number's network (0 when unknown), for the reply modal's hint."""
        with Session(self.engine) as session:
            conversation = session.get(Conversation, number)
        source = self.sources.get(conversation.source_name) if conversation else None
        return source.max_length if source else 0

    async def first_suggestion(self, number: int) -> str:
        """A suggestion to pre-fill the reply modal: the newest stored one, else an offline one. Instant, since
        Slack and Discord want the modal within 3 seconds."""
        with Session(self.engine) as session:
            conversation = session.get(Conversation, number)
            if conversation is None:
                return ""
            stored = self.suggestions.latest(session, number)
            if stored:
                return stored[0]
            request = self.suggestions.request_for(session, conversation, latest_post(session, number))
        found = await self.suggestions.offline.suggest(request)
        return found[0].text if found else ""

    async def close(self) -> None:
        for source in self.sources.values():
            await source.close()
        if self.suggestions.model:
            await self.suggestions.model.client.close()
        self.engine.dispose()
