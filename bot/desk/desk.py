"""The desk: what handlers and chat adapters act on. The narrow port they get instead of the whole runtime."""
from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.clock import Clock
from bot.desk import collisions, events
from bot.desk.agents import agent_for
from bot.settings import DeskConfig
from bot.views import ReplyLimit
from prompts import PROMPTS_DIR
from storage.db import session_scope
from storage.models import Conversation, Escalation

_ACK_THREADS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="ack")


class FirstSuggestion(Protocol):
    async def first_suggestion(self, number: int) -> str:
        """A suggestion to pre-fill the reply modal at once ("" when there is none)."""


class NoSuggestions:
    async def first_suggestion(self, number: int) -> str:
        return ""


@dataclass
class Desk:
    engine: Engine
    config: DeskConfig
    clock: Clock
    sources: dict = field(default_factory=dict)  # name -> Source, for length rules
    on_change: Callable[[], None] = lambda: None  # wakes the outbox
    suggestions: FirstSuggestion = field(default_factory=NoSuggestions)
    base_dir: Path = Path(".")  # where socialdesk.toml is: its relative paths start here

    @property
    def saved_replies_dir(self) -> Path:
        saved = self.config.replies.saved
        return self.base_dir / saved if saved else PROMPTS_DIR / "replies"

    @property
    def knowledge_path(self) -> Path:
        knowledge = self.config.llm.knowledge
        return self.base_dir / knowledge if knowledge else PROMPTS_DIR / "knowledge.md"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction; when it commits, the outbox is woken for what it queued."""
        with session_scope(self.engine) as session:
            yield session
        self.on_change()

    def conversation_in_thread(self, platform: str, thread_id: str, channel: str | None = None) -> int | None:
        """The number of the conversation whose chat thread `thread_id` is (in `channel`, when given), or which an
        expert group handles in that thread (escalated), else None."""
        query = select(Conversation.id).where(Conversation.chat_platform == platform,
                                              Conversation.chat_thread_id == thread_id)
        if channel is not None:
            query = query.where(Conversation.chat_channel == channel)
        escalated = select(Escalation.conversation_id).where(
            Escalation.chat_platform == platform, Escalation.chat_thread_id == thread_id, Escalation.ended_at.is_(None))
        with Session(self.engine) as session:
            return session.exec(query).first() or session.exec(escalated).first()

    def composing(self, number: int, platform: str, user_id: str, writing: bool) -> None:
        """A teammate opened (`writing`) or closed the Reply… modal of #number: the parent message says so."""
        with self.session() as session:
            conversation = session.get(Conversation, number)
            agent = agent_for(session, self.config, platform, user_id)
            if conversation is None or agent is None:
                return
            if writing or conversation.composing_agent_id == agent.id:
                collisions.composing(session, conversation, agent if writing else None, self.clock.now())

    def reply_limit(self, number: int) -> ReplyLimit:
        """The reply length limit of conversation #number's network, in its units, for the reply modal's hint."""
        with Session(self.engine) as session:
            conversation = session.get(Conversation, number)
        source = self.sources.get(conversation.source_name) if conversation else None
        return ReplyLimit(source.max_length, source.length_unit) if source else ReplyLimit()

    async def first_suggestion(self, number: int) -> str:
        return await self.suggestions.first_suggestion(number)

    async def first_to_act(self, platform: str, event_id: str) -> bool:
        """Claim an inbound chat event (a message, an interaction) for this replica: False when it was acted on."""
        return await events.claimed(self.engine, platform, event_id, self.clock.now())

    async def record_command(self, platform: str, key: str, payload: dict) -> bool:
        """Store a command before its ack (bot/desk/events.py); False when it was recorded already. On threads of its
        own, so that an ack never waits behind the database work of the commands already running."""
        record = functools.partial(events.record_command, self.engine, platform, key, payload, self.clock.now())
        return await asyncio.get_running_loop().run_in_executor(_ACK_THREADS, record)

    async def start_command(self, platform: str, key: str) -> bool:
        """Take the run of a recorded command: False when it runs or ran elsewhere."""
        return await asyncio.to_thread(events.start_command, self.engine, platform, key, self.clock.now())

    async def finish_command(self, platform: str, key: str) -> None:
        await asyncio.to_thread(events.finish_command, self.engine, platform, key, self.clock.now())

    async def unfinished_commands(self, platform: str) -> list[tuple[str, dict]]:
        return await asyncio.to_thread(events.unfinished, self.engine, platform, self.clock.now())
