"""The desk: what handlers and chat adapters act on. The narrow port they get instead of the whole runtime."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.clock import Clock
from bot.desk import events
from bot.settings import DeskConfig
from storage.db import session_scope
from storage.models import Conversation


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

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction; when it commits, the outbox is woken for what it queued."""
        with session_scope(self.engine) as session:
            yield session
        self.on_change()

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
        return await self.suggestions.first_suggestion(number)

    async def first_to_act(self, platform: str, event_id: str) -> bool:
        """Claim an inbound chat event (a message, an interaction) for this replica: False when it was acted on."""
        return await events.claimed(self.engine, platform, event_id, self.clock.now())
