"""Queueing an effect on the outside world: an outbox entry whose key makes queueing it twice a no-op.

Each wing names its own kinds and queues them here. A kind that posts to chat starts with
`chat.` (`socialdesk outbox retry` requeues those); an entry's target is what it is paced by:
`chat:<platform>:<channel>`, `source:<name>`, or a background lane such as `llm`.
"""
from __future__ import annotations

from sqlalchemy import func, insert
from sqlmodel import Session, select

from storage.models import Conversation, OutboxEntry, OutboxStatus


def chat_target(conversation: Conversation) -> str:
    return channel_target(conversation.chat_platform, conversation.chat_channel)


def channel_target(platform: str, channel: str) -> str:
    return f"chat:{platform}:{channel}"


def entry(*, key: str, kind: str, target: str, conversation_id: int | None, payload: dict) -> dict:
    return {"key": key, "kind": kind, "target": target, "conversation_id": conversation_id, "payload": payload}


def add(session: Session, *, key: str, kind: str, target: str, conversation_id: int | None, payload: dict, now,
        available_at=None) -> None:
    """Queue one entry; `available_at` (default now) holds it back until then."""
    queued = entry(key=key, kind=kind, target=target, conversation_id=conversation_id, payload=payload)
    add_many(session, [{**queued, "available_at": available_at or now}], now)


def waiting(session: Session, target: str) -> int:
    """How many entries wait for `target` (a chat channel's backlog)."""
    return session.exec(select(func.count()).select_from(OutboxEntry)
                        .where(OutboxEntry.target == target, OutboxEntry.status == OutboxStatus.PENDING)).one()


def add_many(session: Session, entries: list[dict], now) -> None:
    """Queue `entries` (from `entry`) in order, leaving out keys already queued: one lookup, one insert."""
    if not entries:
        return
    queued = set(session.exec(select(OutboxEntry.key).where(OutboxEntry.key.in_([e["key"] for e in entries]))))
    new = [{"available_at": now, **e, "created_at": now} for e in entries if e["key"] not in queued]
    if new:
        session.exec(insert(OutboxEntry), params=new)
