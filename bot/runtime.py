"""One socialdesk process: storage, sources, the outbox and the chat adapters, on one asyncio loop."""
from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from sqlmodel import Session

from bot.agents import sync_agents
from bot.chat.base import ChatPort
from bot.clock import Clock, SystemClock
from bot.outbox import Outbox
from bot.poller import poll_forever
from bot.llm import ModelSuggester, build_client, describe_provider
from bot.settings import DeskConfig, Secrets
from bot.sources import build_source
from bot.suggest import Suggester, TemplateSuggester
from bot.suggestions import SuggestionMaker
from bot.views import latest_post
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
                             clock=self.clock, config=config.outbox)
        self.desk = Desk(self.engine, config, self.clock, self.sources, on_change=self.outbox.poke)

    def add_chat(self, chat: ChatPort) -> None:
        self.chats[chat.platform] = chat

    async def run(self, stop: asyncio.Event) -> None:
        """Poll every source and deliver the outbox until `stop` is set."""
        intervals = {s.name: s.poll_every.total_seconds() for s in self.config.sources}
        tasks = [asyncio.create_task(self.outbox.run(stop), name="outbox")]
        for name, source in self.sources.items():
            tasks.append(asyncio.create_task(
                poll_forever(self.engine, self.config, source, self.clock, intervals[name], stop, self.outbox.poke),
                name=f"poll:{name}",
            ))
        try:
            await stop.wait()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

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
