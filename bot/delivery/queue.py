"""Queueing effects on the outside world. Each entry's key makes queueing it twice a no-op."""
from __future__ import annotations

import uuid

from sqlalchemy import insert
from sqlmodel import Session, select

from storage.models import Conversation, OutboxEntry, OutboxStatus, Post, Reply, SlaClock

OPEN = "chat.open"
POST = "chat.post"
SUGGESTIONS = "chat.suggestions"
SUGGEST = "llm.suggest"
LLM = "llm"  # the target of suggestion requests: worked concurrently, away from the chat channels' queues
UPDATE = "chat.update"
NOTICE = "chat.notice"
NUDGE = "chat.nudge"  # an SLA warning, breach or reminder in the thread, checked against the clock when delivered
ESCALATE = "chat.escalate"  # a breach announced in the escalation channel, checked likewise
CHANNEL = "chat.channel"  # a message of the bot's own at the top level of a channel (the digest, source alerts)
PUBLISH = "source.publish"


def chat_target(conversation: Conversation) -> str:
    return channel_target(conversation.chat_platform, conversation.chat_channel)


def channel_target(platform: str, channel: str) -> str:
    return f"chat:{platform}:{channel}"


def add(session: Session, *, key: str, kind: str, target: str, conversation_id: int | None, payload: dict, now) -> None:
    add_many(session, [entry(key=key, kind=kind, target=target, conversation_id=conversation_id, payload=payload)], now)


def entry(*, key: str, kind: str, target: str, conversation_id: int | None, payload: dict) -> dict:
    return {"key": key, "kind": kind, "target": target, "conversation_id": conversation_id, "payload": payload}


def add_many(session: Session, entries: list[dict], now) -> None:
    """Queue `entries` (from `entry`) in order, leaving out keys already queued: one lookup, one insert."""
    if not entries:
        return
    queued = set(session.exec(select(OutboxEntry.key).where(OutboxEntry.key.in_([e["key"] for e in entries]))))
    new = [{**e, "available_at": now, "created_at": now} for e in entries if e["key"] not in queued]
    if new:
        session.exec(insert(OutboxEntry), params=new)


def open_conversation(session: Session, conversation: Conversation, post: Post, now) -> None:
    add(session, key=f"conv:{conversation.id}:open", kind=OPEN, target=chat_target(conversation),
        conversation_id=conversation.id, payload={"post_id": post.id}, now=now)


def customer_post(session: Session, conversation: Conversation, post: Post, now) -> None:
    add(session, key=f"post:{post.id}:chat", kind=POST, target=chat_target(conversation),
        conversation_id=conversation.id, payload={"post_id": post.id}, now=now)


def suggestions(session: Session, conversation: Conversation, post: Post, now) -> None:
    """Ask for suggested replies to a new post (they are made in the `llm` lane, then shown in the thread)."""
    add(session, key=f"post:{post.id}:suggest", kind=SUGGEST, target=LLM, conversation_id=conversation.id,
        payload={"post_id": post.id}, now=now)


def suggest_again(session: Session, conversation: Conversation, post: Post, now, requested_by: str) -> None:
    """Fresh suggestions for `post` (/suggest, the "New suggestions" button): a new key, so a new model call."""
    add(session, key=f"conv:{conversation.id}:suggest:{uuid.uuid4().hex}", kind=SUGGEST, target=LLM,
        conversation_id=conversation.id, payload={"post_id": post.id, "requested_by": requested_by}, now=now)


def suggestions_message(session: Session, conversation: Conversation, request_key: str, now) -> None:
    """Show the suggestions stored under `request_key` in the conversation's thread."""
    add(session, key=f"{request_key}:chat", kind=SUGGESTIONS, target=chat_target(conversation),
        conversation_id=conversation.id, payload={"request": request_key}, now=now)


def refresh_parent(session: Session, conversation: Conversation, now) -> None:
    """Queue an update of the parent message, unless one is already waiting (it renders fresh state)."""
    waiting = select(OutboxEntry.id).where(
        OutboxEntry.kind == UPDATE,
        OutboxEntry.conversation_id == conversation.id,
        OutboxEntry.status == OutboxStatus.PENDING,
    )
    if session.exec(waiting).first() is not None:
        return
    add(session, key=f"conv:{conversation.id}:update:{uuid.uuid4().hex}", kind=UPDATE,
        target=chat_target(conversation), conversation_id=conversation.id, payload={}, now=now)


def notice(session: Session, conversation: Conversation, key: str, text: str, now, *,
           mention_agent: int | None = None, link: str | None = None) -> None:
    add(session, key=key, kind=NOTICE, target=chat_target(conversation), conversation_id=conversation.id,
        payload={"text": text, "mention_agent": mention_agent, "link": link}, now=now)


def publish(session: Session, conversation: Conversation, reply: Reply, now) -> None:
    add(session, key=f"reply:{reply.id}", kind=PUBLISH, target=f"source:{conversation.source_name}",
        conversation_id=conversation.id, payload={"reply_id": reply.id}, now=now)


def nudge_key(clock: SlaClock, stage: str) -> str:
    """`conv:42:sla:first:warn`, `conv:42:sla:next:2:remind:3`: one key per clock and stage, so never sent twice."""
    label = f"next:{clock.cycle}" if clock.kind == "next" else clock.kind
    return f"conv:{clock.conversation_id}:sla:{label}:{stage}"


def nudge(conversation: Conversation, clock: SlaClock, stage: str) -> dict:
    return entry(key=nudge_key(clock, stage), kind=NUDGE, target=chat_target(conversation),
                 conversation_id=conversation.id, payload={"clock": clock.id, "stage": stage})


def escalation(conversation: Conversation, clock: SlaClock, channel: str) -> dict:
    return entry(key=nudge_key(clock, "breach") + ":escalate", kind=ESCALATE,
                 target=channel_target(conversation.chat_platform, channel), conversation_id=conversation.id,
                 payload={"clock": clock.id, "channel": channel})


def channel_post(session: Session, *, key: str, platform: str, channel: str, text: str, now) -> None:
    add(session, key=key, kind=CHANNEL, target=channel_target(platform, channel), conversation_id=None,
        payload={"platform": platform, "channel": channel, "text": text}, now=now)
