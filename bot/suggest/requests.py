"""Asking for suggested replies: the outbox entries of the `llm` lane, and the chat message that shows the result.

A request (a new customer post, /suggest, the "New suggestions" button) is worked in the
background lane `llm`, away from the chat channels' queues (bot/suggest/maker.py); its result is
shown in the conversation's thread by a `SUGGESTIONS` entry.
"""
from __future__ import annotations

import uuid

from sqlmodel import Session

from bot.delivery import queue
from storage.models import Conversation, Post

SUGGEST = "llm.suggest"
SUGGESTIONS = "chat.suggestions"
LANE = "llm"  # the target of suggestion requests: worked concurrently, away from the chat channels' queues


def suggestions(session: Session, conversation: Conversation, post: Post, now) -> None:
    """Ask for suggested replies to a new post."""
    queue.add(session, key=f"post:{post.id}:suggest", kind=SUGGEST, target=LANE, conversation_id=conversation.id,
              payload={"post_id": post.id}, now=now)


def suggest_again(session: Session, conversation: Conversation, post: Post, now, requested_by: str) -> None:
    """Fresh suggestions for `post` (/suggest, the "New suggestions" button): a new key, so a new model call."""
    queue.add(session, key=f"conv:{conversation.id}:suggest:{uuid.uuid4().hex}", kind=SUGGEST, target=LANE,
              conversation_id=conversation.id, payload={"post_id": post.id, "requested_by": requested_by}, now=now)


def suggestions_message(session: Session, conversation: Conversation, request_key: str, now) -> None:
    """Show the suggestions stored under `request_key` in the conversation's thread."""
    queue.add(session, key=f"{request_key}:chat", kind=SUGGESTIONS, target=queue.chat_target(conversation),
              conversation_id=conversation.id, payload={"request": request_key}, now=now)
