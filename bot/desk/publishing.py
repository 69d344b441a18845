"""Publishing a reply on the network: the outbox kind `/reply` queues, and what its outcome does.

Published: the conversation awaits the customer and its response clock stops; refused for good:
the agent is told in the thread (both in bot/desk/lifecycle.py). After a crash mid-call, the next
attempt first asks the network whether the reply is already there (`Source.find_published`), so
a public reply is never published twice.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.clock import Clock
from bot.delivery import queue
from bot.delivery.engine import Effect
from bot.desk import lifecycle
from bot.settings import SlaConfig
from bot.sources.base import OutboundReply, Published, Source, SourceError
from storage.models import Conversation, Customer, OutboxEntry, Reply

PUBLISH = "source.publish"


def publish(session: Session, conversation: Conversation, reply: Reply, now) -> None:
    queue.add(session, key=f"reply:{reply.id}", kind=PUBLISH, target=f"source:{conversation.source_name}",
              conversation_id=conversation.id, payload={"reply_id": reply.id}, now=now)


class Publishing:
    """Delivers `PUBLISH` entries through the conversation's source."""

    def __init__(self, engine: Engine, sources: dict[str, Source], sla: SlaConfig, clock: Clock) -> None:
        self.engine = engine
        self.sources = sources
        self.sla = sla
        self.clock = clock

    def effects(self) -> dict[str, Effect]:
        return {PUBLISH: Effect(self._publish, delivered=self._published, failed=self._failed)}

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
                return _result(found, reconciled=True)
        published = await (source.send_private(outbound) if reply.private else source.publish_reply(outbound))
        return _result(published)

    def _published(self, session: Session, entry: OutboxEntry, result: dict) -> None:
        lifecycle.reply_published(session, self.sla, session.get(Reply, entry.payload["reply_id"]),
                                  result["external_id"], result["url"], datetime.fromisoformat(result["published_at"]),
                                  self.clock.now())

    def _failed(self, session: Session, entry: OutboxEntry, error: str) -> None:
        lifecycle.reply_failed(session, session.get(Reply, entry.payload["reply_id"]), error, self.clock.now())


def _result(published: Published, reconciled: bool = False) -> dict:
    return {
        "external_id": published.external_id,
        "url": published.url,
        "published_at": published.published_at.isoformat(),
        "reconciled": reconciled,
    }
