"""Queueing effects on the outside world. Each entry's key makes queueing it twice a no-op."""
from __future__ import annotations

import uuid

from sqlmodel import Session, select

from storage.models import Conversation, OutboxEntry, OutboxStatus, Post, Reply

OPEN = "chat.open"
POST = "chat.post"
SUGGESTIONS = "chat.suggestions"
SUGGEST = "llm.suggest"
LLM = "llm"  # the target of suggestion requests: worked concurrently, away from the chat channels' queues
UPDATE = "chat.update"
NOTICE = "chat.notice"
PUBLISH = "source.publish"


def chat_target(conversation: Conversation) -> str:
    return f"chat:{conversation.chat_platform}:{conversation.chat_channel}"


def add(session: Session, *, key: str, kind: str, target: str, conversation_id: int | None, payload: dict, now) -> None:
    if session.exec(select(OutboxEntry.id).where(OutboxEntry.key == key)).first() is not None:
        return
    session.add(
        OutboxEntry(
            key=key, kind=kind, target=target, conversation_id=conversation_id,
            payload=payload, available_at=now, created_at=now,
        )
    )
    session.flush()


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
