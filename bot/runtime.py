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
from bot.settings import DeskConfig
from bot.sources import build_source
from bot.suggest import Suggester, TemplateSuggester
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
            clock=self.clock, config=config.outbox, brand=config.brand.name,
        )
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

    async def first_suggestion(self, number: int, timeout: float) -> str:
        """A suggestion to pre-fill the reply modal, or "" when none comes within `timeout` seconds."""
        with Session(self.engine) as session:
            conversation = session.get(Conversation, number)
            if conversation is None:
                return ""
            try:
                found = await asyncio.wait_for(self.outbox.suggest_for(session, conversation), timeout)
            except TimeoutError:
                return ""
        return found[0].text if found else ""

    async def close(self) -> None:
        for source in self.sources.values():
            await source.close()
        self.engine.dispose()
