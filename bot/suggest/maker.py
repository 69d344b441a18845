"""Making suggested replies: the work of the outbox's `llm` lane, off the chat channels' queues.

A request (a new customer post, or /suggest) is an outbox entry of its own. Working it gathers
the post's context, asks the model when one is configured and falls back to the offline templates
when not or when the model fails, then stores the result (classification, suggestions, usage)
under the request's key and queues the chat message that shows it. The stored result is looked up
first, so a retried request never asks the model twice. The model's classification may raise the
conversation's priority and update its sentiment, intent, language and personal data; the offline
enrichment at ingest stays the immediate first answer.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.clock import Clock
from bot.delivery.chat import Chats, post_in_its_thread
from bot.delivery.engine import Effect, Lane
from bot.desk import lifecycle, messages
from bot.desk.incidents import has_own_thread
from bot.desk.messages import SUGGESTIONS
from bot.settings import DeskConfig
from bot.sources.base import Source
from bot.suggest.model import ModelSuggester, ModelUnavailable, Usage
from bot.suggest.requests import SUGGEST, suggestions_message
from bot.suggest.templates import Suggester, Suggestion, SuggestionRequest
from bot.views import Suggestions
from bot.vocabulary import outranks
from storage.db import session_scope
from storage.models import (
    Agent,
    Conversation,
    Customer,
    LlmUsage,
    Note,
    OutboxEntry,
    Post,
    Reply,
    ReplyStatus,
    SuggestionSet,
)
from storage.queries import latest_post

log = logging.getLogger(__name__)
THREAD_ITEMS, HISTORY_ITEMS, NOTE_ITEMS = 12, 3, 10  # how much context the model gets
CLIP = 500  # characters of each context item
OFFLINE_CONCURRENCY = 64  # templates take milliseconds: the cap is for the model


@dataclass
class Made:
    source: str  # "offline" or the model's name
    suggestions: list[Suggestion]
    offline_reason: str | None = None
    analysis: dict = field(default_factory=dict)
    dropped: list[dict] = field(default_factory=list)
    usage: list[Usage] = field(default_factory=list)


class SuggestionMaker:
    def __init__(self, engine: Engine, *, config: DeskConfig, sources: dict[str, Source], clock: Clock,
                 offline: Suggester, model: ModelSuggester | None, chats: Chats | None = None) -> None:
        self.engine = engine
        self.config = config
        self.sources = sources
        self.clock = clock
        self.offline = offline
        self.model = model
        self.chats = chats if chats is not None else Chats()
        # A request is leased for as long as the model may take, so no other worker takes it meanwhile.
        self.lane = Lane(concurrency=config.llm.max_concurrency if model else OFFLINE_CONCURRENCY,
                         lease=timedelta(seconds=(model.budget if model else 0) + 30))

    def effects(self) -> dict[str, Effect]:
        return {SUGGEST: Effect(self.make), SUGGESTIONS: Effect(self._show)}

    async def _show(self, entry: OutboxEntry) -> dict:
        return await post_in_its_thread(self.engine, self.chats, entry, lambda session, conversation: self.view(
            session, conversation, entry.payload.get("request", "")))

    async def make(self, entry: OutboxEntry) -> dict:
        """Work one request entry; returns the outbox result."""
        with Session(self.engine) as session:
            stored = session.exec(select(SuggestionSet.id).where(SuggestionSet.key == entry.key)).first()
            if stored is None:
                post = session.get(Post, entry.payload["post_id"])
                conversation = session.get(Conversation, post.conversation_id)
                if _spoken_for(session, conversation):
                    return {"skipped": f"folded into incident I{conversation.incident_id}, which has a suggestion"}
                request = self.request_for(session, conversation, post)
        if stored is not None:  # made before a crash or a lost lease: show it, never pay again
            with session_scope(self.engine) as session:
                row = session.get(SuggestionSet, stored)
                suggestions_message(session, session.get(Conversation, row.conversation_id), row.key, self.clock.now(),
                                    backlog=self.config.incidents.backlog)
            return {"suggestions_id": stored, "reconciled": True}
        made = await self._make(request)
        with session_scope(self.engine) as session:
            conversation = session.get(Conversation, conversation.id)
            row = SuggestionSet(key=entry.key, conversation_id=conversation.id, post_id=post.id, source=made.source,
                                offline_reason=made.offline_reason, analysis=made.analysis,
                                suggestions=[{"text": s.text, "tone": s.tone} for s in made.suggestions],
                                dropped=made.dropped, created_at=self.clock.now())
            session.add(row)
            for usage in made.usage:
                session.add(LlmUsage(conversation_id=conversation.id, post_id=post.id, model=usage.model,
                                     purpose=usage.purpose, input_tokens=usage.input_tokens,
                                     output_tokens=usage.output_tokens, cost=self.cost(usage), at=self.clock.now()))
            if made.analysis:
                self._classify(session, conversation, session.get(Post, post.id), made.analysis)
            session.flush()
            suggestions_message(session, conversation, entry.key, self.clock.now(), backlog=self.config.incidents.backlog)
            return {"suggestions_id": row.id, "source": made.source}

    async def _make(self, request: SuggestionRequest) -> Made:
        if self.model is None:
            return Made("offline", await self.offline.suggest(request))
        try:
            answer = await self.model.suggest(request)
        except ModelUnavailable as unavailable:
            log.warning("llm: offline suggestions: %s", unavailable.reason)
            return Made("offline", await self.offline.suggest(request), unavailable.reason, usage=unavailable.usage)
        made = Made(answer.model, answer.suggestions, analysis=answer.analysis, dropped=answer.dropped, usage=answer.usage)
        if not made.suggestions and answer.analysis["intent"] != "spam":
            # The classification still stands; the templates, told what the model saw, write the replies.
            informed = replace(request, language=answer.analysis["language"], intent=answer.analysis["intent"],
                               sentiment=answer.analysis["sentiment"],
                               has_pii=request.has_pii or bool(answer.analysis["personal_data"]))
            made.source, made.offline_reason = "offline", "none of the model's replies passed the guards"
            made.suggestions = await self.offline.suggest(informed)
        return made

    def cost(self, usage: Usage) -> float:
        llm = self.config.llm
        return (usage.input_tokens * llm.input_price_per_million + usage.output_tokens * llm.output_price_per_million) / 1e6

    def request_for(self, session: Session, conversation: Conversation, post: Post) -> SuggestionRequest:
        """What the suggesters need to know about `post`: the post, the network's rules, and the context."""
        customer = session.get(Customer, conversation.customer_id)
        source = self.sources.get(conversation.source_name)
        posts = session.exec(select(Post).where(Post.conversation_id == conversation.id).order_by(Post.id)).all()
        return SuggestionRequest(
            text=post.text,
            language=post.language,
            intent=post.intent,
            sentiment=post.sentiment,
            customer_name=customer.display_name or customer.handle,
            brand=self.config.brand.name,
            signature="",
            max_length=source.max_length if source else 280,
            count_length=source.count_length if source else len,
            has_pii=bool(post.pii),
            network=conversation.network,
            customer_data=tuple(item["text"] for earlier in posts for item in earlier.pii),
            thread=self._thread(session, conversation, [p for p in posts if p.id <= post.id]),
            history=self._history(session, conversation),
            notes=tuple(_clip(f"{note.author}: {note.text}") for note in session.exec(
                select(Note).where(Note.customer_id == conversation.customer_id)
                .order_by(Note.id.desc()).limit(NOTE_ITEMS)).all()[::-1]),
        )

    def _thread(self, session: Session, conversation: Conversation, posts: list[Post]) -> tuple[str, ...]:
        replies = session.exec(select(Reply).where(Reply.conversation_id == conversation.id,
                                                   Reply.status == ReplyStatus.PUBLISHED)).all()
        said = [(p.created_at, f"customer: {_clip(p.text)}") for p in posts]
        said += [(r.published_at, f"{self.config.brand.name} ({session.get(Agent, r.agent_id).initials}): {_clip(r.text)}")
                 for r in replies]
        return tuple(line for _, line in sorted(said, key=lambda item: item[0])[-THREAD_ITEMS:])

    def _history(self, session: Session, conversation: Conversation) -> tuple[str, ...]:
        earlier = session.exec(select(Conversation).where(Conversation.customer_id == conversation.customer_id,
                                                          Conversation.id < conversation.id)
                               .order_by(Conversation.id.desc()).limit(HISTORY_ITEMS)).all()
        lines = []
        for old in reversed(earlier):
            first = session.exec(select(Post.text).where(Post.conversation_id == old.id).order_by(Post.id)).first()
            lines.append(f"#{old.id} {old.opened_at:%Y-%m-%d}, {old.intent.replace('_', ' ')}, {old.status}: "
                         f"{_clip(first or '', 200)}")
        return tuple(lines)

    def _classify(self, session: Session, conversation: Conversation, post: Post, analysis: dict) -> None:
        """Let the model's reading of the post update it and its conversation. Priority only ever rises: an
        urgent cue the rules saw (money taken twice) must not be talked down."""
        first = session.exec(select(Post.id).where(Post.conversation_id == conversation.id).order_by(Post.id)).first()
        post.language, post.sentiment, post.intent = analysis["language"], analysis["sentiment"], analysis["intent"]
        known = {item["text"] for item in post.pii}
        found = [{**item, "start": post.text.index(item["text"]), "end": post.text.index(item["text"]) + len(item["text"]),
                  "found_by": "model"} for item in analysis["personal_data"] if item["text"] not in known]
        if found:
            post.pii = [*post.pii, *found]
            conversation.has_pii = True
        if post.id == first:
            conversation.language, conversation.intent = analysis["language"], analysis["intent"]
            conversation.sentiment = analysis["sentiment"]
        elif analysis["sentiment"] == "negative":
            conversation.sentiment = "negative"
        if outranks(analysis["urgency"], post.priority):
            post.priority = analysis["urgency"]
        lifecycle.raise_priority(session, self.config.sla, conversation, analysis["urgency"], self.clock.now())
        if session.is_modified(conversation):
            conversation.updated_at = self.clock.now()
            messages.refresh_parent(session, conversation, self.clock.now())

    def view(self, session: Session, conversation: Conversation, key: str) -> Suggestions | None:
        """The chat message for the suggestions stored under `key`."""
        row = session.exec(select(SuggestionSet).where(SuggestionSet.key == key)).first()
        if row is None:
            return None
        return Suggestions(number=conversation.id, texts=tuple(s["text"] for s in row.suggestions), source=row.source,
                           offline_reason=row.offline_reason)

    async def first_suggestion(self, number: int) -> str:
        """A suggestion to pre-fill the reply modal: the newest stored one, else an offline one. Instant, since
        Slack and Discord want the modal within 3 seconds."""
        with Session(self.engine) as session:
            conversation = session.get(Conversation, number)
            if conversation is None:
                return ""
            stored = self.latest(session, number)
            if stored:
                return stored[0]
            request = self.request_for(session, conversation, latest_post(session, number))
        found = await self.offline.suggest(request)
        return found[0].text if found else ""

    def latest(self, session: Session, conversation_id: int) -> list[str]:
        """The newest suggestions made for a conversation (for the reply modal); [] when none yet."""
        row = session.exec(select(SuggestionSet).where(SuggestionSet.conversation_id == conversation_id)
                           .order_by(SuggestionSet.id.desc())).first()
        return [s["text"] for s in row.suggestions] if row else []


def _spoken_for(session: Session, conversation: Conversation) -> bool:
    """Folded into an incident that already has suggestions: one for the incident is enough (the model costs money)."""
    if has_own_thread(conversation):
        return False
    return session.exec(select(SuggestionSet.id).join(Conversation, Conversation.id == SuggestionSet.conversation_id)
                        .where(Conversation.incident_id == conversation.incident_id)).first() is not None


def _clip(text: str, limit: int = CLIP) -> str:
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"
