"""Delivering the outbox: every chat message and published reply, exactly once, at each platform's pace.

An entry is claimed (status `sending`, with a lease) and committed *before* the network call.
If the process dies after the call but before recording the result, the next attempt first
asks the platform whether the message with that key exists (`find_message` /
`find_published`) and only sends when it does not. Targets (a chat channel, a source) are
paced independently: one throttled channel never holds up the others. Suggestion requests (the
`llm` target, bot/suggestions.py) run as background tasks, up to a cap, so a slow model holds up
neither a chat channel nor the next drain.
"""
from __future__ import annotations

import asyncio
import logging
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.sla import clocks as sla_clocks
from bot.sla import nudges
from bot.delivery import queue as kinds
from bot.views import ChatError, ChatPort, ChatRef, Notice, ThreadMessage
from bot.clock import Clock
from bot.settings import OutboxConfig, SlaConfig
from bot.sources.base import OutboundReply, Published, Source, SourceError
from bot.suggest.maker import SuggestionMaker
from bot.desk.snapshots import conversation_view, customer_post_view
from storage.db import session_scope
from storage.models import (
    Agent, AuditEvent, Conversation, ConversationStatus, Customer, OutboxEntry, OutboxStatus, Post, Reply, ReplyStatus,
)

log = logging.getLogger(__name__)
LEASE = timedelta(seconds=30)


class NotReady(Exception):
    """The entry depends on another one not delivered yet (a thread message before its parent)."""


@dataclass
class TokenBucket:
    rate: float
    burst: int
    tokens: float = field(init=False)
    stamp: float = field(default=0.0)

    def __post_init__(self) -> None:
        self.tokens = float(self.burst)

    def wait_time(self, now: float) -> float:
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self) -> None:
        self.tokens -= 1


class Outbox:
    def __init__(
        self,
        engine: Engine,
        *,
        chats: dict[str, ChatPort],
        sources: dict[str, Source],
        suggestions: SuggestionMaker,
        clock: Clock,
        config: OutboxConfig,
        sla: SlaConfig | None = None,
    ) -> None:
        self.engine = engine
        self.chats = chats
        self.sources = sources
        self.suggestions = suggestions
        self.clock = clock
        self.config = config
        self._running: dict[int, asyncio.Task] = {}  # suggestion requests being worked, by entry id
        self.sla = sla or SlaConfig()
        self.on_poke: Callable[[], None] = lambda: None  # the runtime asks its scheduler for a drain now
        self.may_deliver: Callable[[], bool] = lambda: True  # False once another replica took over the jobs
        self.draining = False
        self._buckets: dict[str, TokenBucket] = {}
        self._throttled_until: dict[str, datetime] = {}
        self._wakeup = asyncio.Event()

    def poke(self) -> None:
        """Something was queued: deliver now rather than at the next tick."""
        self._wakeup.set()
        self.on_poke()

    async def settle(self) -> None:
        """Wait for the suggestion requests being worked (tests, the demo, shutdown)."""
        while self._running:
            await asyncio.gather(*self._running.values(), return_exceptions=True)

    async def stop(self) -> None:
        """Shutdown: cancel the suggestion requests being worked; their leases run out and a later run takes them up."""
        for task in self._running.values():
            task.cancel()
        await self.settle()

    async def drain(self) -> int:
        """Deliver until nothing is due, including whatever is queued (poked) meanwhile."""
        total = 0
        self.draining = True
        try:
            while True:
                self._wakeup.clear()
                delivered = await self.drain_once()
                total += delivered
                if not delivered and not self._wakeup.is_set():
                    return total
        finally:
            self.draining = False

    async def drain_once(self, limit: int = 500) -> int:
        """Deliver what is due now; returns how many entries were delivered (suggestion requests, worked in
        the background, are not counted: their chat messages are)."""
        now = self.clock.now()
        due = or_(
            (OutboxEntry.status == OutboxStatus.PENDING) & (OutboxEntry.available_at <= now),
            (OutboxEntry.status == OutboxStatus.SENDING) & (OutboxEntry.locked_until < now),
        )
        with Session(self.engine) as session:
            # Read apart, so that a backlog of requests (a slow model) never crowds chat messages out of a drain.
            deliveries = list(session.exec(select(OutboxEntry).where(due, OutboxEntry.target != kinds.LLM)
                                           .order_by(OutboxEntry.id).limit(limit)))
            requests = list(session.exec(select(OutboxEntry).where(due, OutboxEntry.target == kinds.LLM)
                                         .order_by(OutboxEntry.id).limit(self.suggestions.max_concurrency)))
        self._start_requests(requests)
        by_target: dict[str, list[OutboxEntry]] = defaultdict(list)
        for entry in deliveries:
            by_target[entry.target].append(entry)
        counts = await asyncio.gather(*(self._deliver_target(t, entries) for t, entries in by_target.items()))
        return sum(counts)

    def _start_requests(self, entries: list[OutboxEntry]) -> None:
        """Work suggestion requests in the background, as many at once as the cap allows; the rest wait
        (unclaimed) for a free slot."""
        for entry in entries:
            if len(self._running) >= self.suggestions.max_concurrency:
                return
            if entry.id not in self._running:
                task = asyncio.create_task(self._deliver(entry, lease=self.suggestions.lease), name=f"suggest:{entry.key}")
                self._running[entry.id] = task
                task.add_done_callback(lambda _, entry_id=entry.id: self._request_done(entry_id))

    def _request_done(self, entry_id: int) -> None:
        self._running.pop(entry_id, None)
        self.poke()  # its chat message is queued, and a slot is free

    async def _deliver_target(self, target: str, entries: list[OutboxEntry]) -> int:
        """Deliver one target's entries in order, pacing them; stop at the first one that must wait."""
        loop = asyncio.get_running_loop()
        bucket = self._bucket(target)
        delivered = 0
        for entry in entries:
            if not self.may_deliver():
                break
            throttled_until = self._throttled_until.get(target)
            if throttled_until and throttled_until > self.clock.now():
                break
            wait = bucket.wait_time(loop.time())
            if wait:
                await asyncio.sleep(wait)
                bucket.wait_time(loop.time())
            bucket.take()
            outcome = await self._deliver(entry)
            if outcome == "done":
                delivered += 1
            elif outcome == "wait":
                break
        return delivered

    def _bucket(self, target: str) -> TokenBucket:
        """A target's pace: a chat adapter's own `pace` (per second, burst) if it has one (Discord), else [outbox]'s."""
        if target not in self._buckets:
            kind, _, rest = target.partition(":")
            pace = getattr(self.chats.get(rest.partition(":")[0]), "pace", None) if kind == "chat" else None
            rate, burst = pace or (self.config.per_channel_per_second, self.config.burst)
            self._buckets[target] = TokenBucket(rate, burst)
        return self._buckets[target]

    async def _deliver(self, entry: OutboxEntry, lease: timedelta = LEASE) -> str:
        claimed = self._claim(entry, lease)
        if claimed is None:
            return "skip"
        try:
            result = await self._perform(claimed)
        except NotReady:
            self._release(claimed, delay=timedelta(seconds=1), error=None, count_attempt=False)
            return "wait"
        except (ChatError, SourceError) as error:
            if error.retry_after is not None:
                self._throttled_until[claimed.target] = self.clock.now() + timedelta(seconds=error.retry_after)
                self._release(claimed, delay=timedelta(seconds=error.retry_after), error=str(error), count_attempt=False)
                log.warning("outbox: %s throttled for %.1fs", claimed.target, error.retry_after)
                return "wait"
            if error.retryable and claimed.attempts < self.config.max_attempts:
                self._release(claimed, delay=self._backoff(claimed.attempts), error=str(error))
                log.warning("outbox: %s failed (attempt %d), will retry: %s", claimed.key, claimed.attempts, error)
                return "wait"
            self._fail(claimed, str(error))
            return "failed"
        except Exception as error:
            log.exception("outbox: unexpected error delivering %s", claimed.key)
            self._release(claimed, delay=self._backoff(claimed.attempts), error=repr(error))
            return "wait"
        self._complete(claimed, result)
        return "done"

    def _backoff(self, attempts: int) -> timedelta:
        seconds = min(300.0, 2.0 ** attempts) * random.uniform(0.8, 1.2)
        return timedelta(seconds=seconds)

    def _claim(self, entry: OutboxEntry, lease: timedelta) -> OutboxEntry | None:
        """Take the entry with a lease; only one worker (or replica) wins."""
        now = self.clock.now()
        with session_scope(self.engine) as session:
            claimed = session.exec(
                update(OutboxEntry)
                .where(
                    OutboxEntry.id == entry.id,
                    or_(
                        OutboxEntry.status == OutboxStatus.PENDING,
                        (OutboxEntry.status == OutboxStatus.SENDING) & (OutboxEntry.locked_until < now),
                    ),
                )
                .values(status=OutboxStatus.SENDING, locked_until=now + lease, attempts=OutboxEntry.attempts + 1)
            ).rowcount
            if not claimed:
                return None
            return session.get(OutboxEntry, entry.id)

    def _release(self, entry: OutboxEntry, *, delay: timedelta, error: str | None, count_attempt: bool = True) -> None:
        with session_scope(self.engine) as session:
            row = session.get(OutboxEntry, entry.id)
            row.status = OutboxStatus.PENDING
            row.available_at = self.clock.now() + delay
            row.locked_until = None
            row.last_error = error
            if not count_attempt:
                row.attempts -= 1

    def _fail(self, entry: OutboxEntry, error: str) -> None:
        log.error("outbox: giving up on %s: %s. Fix the cause, then run `socialdesk outbox retry`.", entry.key, error)
        with session_scope(self.engine) as session:
            row = session.get(OutboxEntry, entry.id)
            row.status = OutboxStatus.FAILED
            row.last_error = error
            row.locked_until = None
            if entry.kind == kinds.PUBLISH:
                self._reply_failed(session, row, error)

    def _complete(self, entry: OutboxEntry, result: dict) -> None:
        with session_scope(self.engine) as session:
            row = session.get(OutboxEntry, entry.id)
            row.status = OutboxStatus.DONE
            row.result = result
            row.locked_until = None
            row.done_at = self.clock.now()
            if entry.kind == kinds.OPEN:
                conversation = session.get(Conversation, entry.conversation_id)
                conversation.chat_channel = result["channel"]
                conversation.chat_thread_id = result["thread_id"]
            elif entry.kind == kinds.PUBLISH:
                self._reply_published(session, row, result)
        if entry.kind == kinds.PUBLISH:
            self.poke()

    # --- performing each kind -------------------------------------------------------------

    def _chat(self, platform: str) -> ChatPort:
        chat = self.chats.get(platform)
        if chat is None:
            raise ChatError(f"no chat adapter for {platform!r} is running", retryable=False)
        return chat

    async def _perform(self, entry: OutboxEntry) -> dict:
        if entry.kind == kinds.PUBLISH:
            return await self._publish(entry)
        if entry.kind == kinds.SUGGEST:
            return await self.suggestions.make(entry)
        if entry.kind in (kinds.CHANNEL, kinds.ESCALATE):
            return await self._post_to_channel(entry)
        with Session(self.engine) as session:
            conversation = session.get(Conversation, entry.conversation_id)
            chat = self._chat(conversation.chat_platform)
            if entry.kind == kinds.OPEN:
                return await self._open(session, chat, conversation, entry)
            if not conversation.chat_thread_id:
                self._raise_if_parent_failed(session, conversation)
                raise NotReady()
            ref = ChatRef(conversation.chat_channel, conversation.chat_thread_id)
            if entry.kind == kinds.UPDATE:
                await chat.update_conversation(ref, conversation_view(session, conversation, chat.platform))
                return {}
            message = self._thread_message(session, conversation, entry)
        return await self._post_once(chat, entry, ref.channel, ref.thread_id, message, skipped="nothing to say")

    async def _post_to_channel(self, entry: OutboxEntry) -> dict:
        """A top-level message of the bot's own: an escalation (dropped if no longer overdue) or the digest."""
        channel = entry.payload["channel"]
        with Session(self.engine) as session:
            if entry.kind == kinds.ESCALATE:
                conversation = session.get(Conversation, entry.conversation_id)
                platform = conversation.chat_platform
                message = nudges.escalation(session, self.sla, conversation, entry.payload, self.clock.now())
            else:
                platform, message = entry.payload["platform"], Notice(text=entry.payload["text"])
        return await self._post_once(self._chat(platform), entry, channel, None, message,
                                     skipped="dealt with before it was delivered")

    @staticmethod
    async def _post_once(chat: ChatPort, entry: OutboxEntry, channel: str, thread_id: str | None,
                         message: ThreadMessage | None, *, skipped: str) -> dict:
        """Post `message` in the thread `thread_id` (None: at the top of `channel`) unless an earlier attempt got it
        there (found by its key). A message that is None is not sent; `skipped` says why."""
        if entry.attempts > 1:
            found = await chat.find_message(channel, thread_id, entry.key)
            if found:
                return {"message_id": found, "reconciled": True}
        if message is None:
            return {"skipped": skipped}
        if thread_id is None:
            return {"message_id": await chat.post_to_channel(channel, message, entry.key)}
        return {"message_id": await chat.post_in_thread(ChatRef(channel, thread_id), message, entry.key)}

    @staticmethod
    def _raise_if_parent_failed(session: Session, conversation: Conversation) -> None:
        """Thread messages cannot wait for a parent message that will never come."""
        parent = session.exec(select(OutboxEntry).where(OutboxEntry.key == f"conv:{conversation.id}:open")).first()
        if parent is not None and parent.status == OutboxStatus.FAILED:
            raise ChatError(f"the conversation's first message failed: {parent.last_error}", retryable=False)

    async def _open(self, session: Session, chat: ChatPort, conversation: Conversation, entry: OutboxEntry) -> dict:
        if entry.attempts > 1:
            found = await chat.find_message(conversation.chat_channel, None, entry.key)
            if found:
                return {"channel": conversation.chat_channel, "thread_id": found, "reconciled": True}
        view = conversation_view(session, conversation, chat.platform)
        ref = await chat.post_conversation(conversation.chat_channel, view, entry.key)
        return {"channel": ref.channel, "thread_id": ref.thread_id}

    def _thread_message(self, session: Session, conversation: Conversation, entry: OutboxEntry):
        if entry.kind == kinds.POST:
            return customer_post_view(session, session.get(Post, entry.payload["post_id"]))
        if entry.kind == kinds.NOTICE:
            payload = entry.payload
            mention = session.get(Agent, payload["mention_agent"]) if payload.get("mention_agent") else None
            return Notice(text=payload["text"], link=payload.get("link"),
                          mention_chat_id=getattr(mention, f"{conversation.chat_platform}_user_id", None))
        if entry.kind == kinds.NUDGE:
            return nudges.thread_nudge(session, self.sla, conversation, entry.payload, self.clock.now())
        if entry.kind == kinds.SUGGESTIONS:
            return self.suggestions.view(session, conversation, entry.payload.get("request", ""))
        raise ChatError(f"unknown outbox kind {entry.kind!r}", retryable=False)

    async def _publish(self, entry: OutboxEntry) -> dict:
        with Session(self.engine) as session:
            reply = session.get(Reply, entry.payload["reply_id"])
            conversation = session.get(Conversation, reply.conversation_id)
            customer = session.get(Customer, conversation.customer_id)
        source = self.sources.get(conversation.source_name)
        if source is None:
            raise SourceError(f"source {conversation.source_name!r} is not configured any more", retryable=False)
        outbound = OutboundReply(
            key=entry.key, text=reply.text, in_reply_to=reply.in_reply_to,
            thread_root_id=conversation.thread_root_id, customer_handle=customer.handle, private=reply.private,
            queued_at=reply.created_at,
        )
        if entry.attempts > 1:  # an earlier attempt may have reached the network: ask before sending
            found = await source.find_published(entry.key, outbound)
            if found:
                return _published_result(found, reconciled=True)
        published = await (source.send_private(outbound) if reply.private else source.publish_reply(outbound))
        return _published_result(published)

    def _reply_published(self, session: Session, entry: OutboxEntry, result: dict) -> None:
        reply = session.get(Reply, entry.payload["reply_id"])
        conversation = session.get(Conversation, reply.conversation_id)
        agent = session.get(Agent, reply.agent_id)
        published_at = datetime.fromisoformat(result["published_at"])
        reply.status = ReplyStatus.PUBLISHED
        reply.external_id = result["external_id"]
        reply.url = result["url"]
        reply.published_at = published_at
        reply.error = None
        conversation.first_responded_at = conversation.first_responded_at or published_at
        if conversation.status != ConversationStatus.RESOLVED:
            conversation.status = ConversationStatus.AWAITING_CUSTOMER
            conversation.snoozed_until = None
        conversation.updated_at = self.clock.now()
        sla_clocks.responded(session, self.sla, conversation, published_at, agent.id, self.clock.now())
        session.add(AuditEvent(at=self.clock.now(), actor=agent.name, action="reply.published",
                               conversation_id=conversation.id,
                               detail={"reply_id": reply.id, "external_id": reply.external_id, "url": reply.url,
                                       "text": reply.text}))
        where = "privately" if reply.private else "publicly"
        kinds.notice(session, conversation, f"reply:{reply.id}:published",
                     f"Published {where} by {agent.name} at {published_at:%H:%M} UTC.", self.clock.now(), link=reply.url)
        kinds.refresh_parent(session, conversation, self.clock.now())

    def _reply_failed(self, session: Session, entry: OutboxEntry, error: str) -> None:
        reply = session.get(Reply, entry.payload["reply_id"])
        conversation = session.get(Conversation, reply.conversation_id)
        agent = session.get(Agent, reply.agent_id)
        reply.status = ReplyStatus.FAILED
        reply.error = error
        session.add(AuditEvent(at=self.clock.now(), actor=agent.name, action="reply.failed",
                               conversation_id=conversation.id, detail={"reply_id": reply.id, "error": error}))
        kinds.notice(session, conversation, f"reply:{reply.id}:failed",
                     f"Reply by {agent.name} was NOT published: {error}. Fix it and send it again with "
                     f"`/reply {conversation.id} …`.", self.clock.now(), mention_agent=agent.id)


def _published_result(published: Published, reconciled: bool = False) -> dict:
    return {
        "external_id": published.external_id,
        "url": published.url,
        "published_at": published.published_at.isoformat(),
        "reconciled": reconciled,
    }
