"""Retention: what the customers wrote does not outlive its use.

Once a conversation has been resolved for longer than `[retention] resolved_after`:
- its posts keep their row (so a network that re-sends an old post is still recognised as a
  duplicate) but lose the text, the raw payload and the personal-data matches;
- its internal notes are deleted, and its delivered outbox entries (they name posts and notes);
- what the figures need stays: the conversation (times, priority, network, intent, owner), its
  SLA clocks, the replies the brand published (its own public words) and the audit log.
A conversation reopened later starts clean from then on; nothing open is ever touched.

With or without `[retention]`, the delivered outbox entries of a conversation resolved longer than
OUTBOX_KEPT ago are deleted (`forget_delivered`): what is in chat stays there, and the table does not
grow with every conversation ever answered. Failed entries stay for `socialdesk outbox retry`.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlalchemy.engine import Engine
from sqlmodel import select

from bot.settings import RetentionConfig
from storage.db import session_scope
from storage.models import Conversation, ConversationStatus, Note, OutboxEntry, OutboxStatus, Post

PURGED_TEXT = "(removed after the retention period)"
BATCH = 500
OUTBOX_KEPT = timedelta(days=30)


def purge(engine: Engine, retention: RetentionConfig, now: datetime, batch: int = BATCH) -> int:
    """Purge every resolved conversation past the retention period, a batch per transaction; returns how many."""
    total = 0
    while True:
        with session_scope(engine) as session:
            ids = list(session.exec(
                select(Conversation.id).where(Conversation.purged_at.is_(None),
                                              Conversation.resolved_at < now - retention.resolved_after,
                                              Conversation.status == ConversationStatus.RESOLVED)
                .order_by(Conversation.resolved_at).limit(batch)
            ))
            if not ids:
                return total
            session.exec(update(Post).where(Post.conversation_id.in_(ids)).values(text=PURGED_TEXT, raw={}, pii=[]))
            session.exec(delete(Note).where(Note.conversation_id.in_(ids)))
            session.exec(delete(OutboxEntry).where(OutboxEntry.conversation_id.in_(ids),
                                                   OutboxEntry.status.in_((OutboxStatus.DONE, OutboxStatus.FAILED))))
            session.exec(update(Conversation).where(Conversation.id.in_(ids)).values(purged_at=now))
        total += len(ids)


def forget_delivered(engine: Engine, now: datetime, batch: int = BATCH * 10) -> int:
    """Delete the delivered outbox entries of conversations resolved more than OUTBOX_KEPT ago, a batch per
    transaction; returns how many."""
    total = 0
    while True:
        with session_scope(engine) as session:
            ids = list(session.exec(
                select(OutboxEntry.id).join(Conversation, Conversation.id == OutboxEntry.conversation_id)
                .where(OutboxEntry.status == OutboxStatus.DONE, Conversation.status == ConversationStatus.RESOLVED,
                       Conversation.resolved_at < now - OUTBOX_KEPT).limit(batch)))
            session.exec(delete(OutboxEntry).where(OutboxEntry.id.in_(ids)))
        total += len(ids)
        if len(ids) < batch:
            return total
