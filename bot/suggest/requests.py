"""Asking for suggested replies: the outbox entries of the `llm` lane, and the chat message that shows the result.

A request (a new customer post, /suggest, the "New suggestions" button) is worked in the
background lane `llm`, away from the chat channels' queues (bot/suggest/maker.py); its result is
shown in the conversation's thread by a `SUGGESTIONS` entry.
"""
from __future__ import annotations

import uuid

from sqlmodel import Session

from bot.delivery import queue
from bot.desk import messages
from bot.desk.incidents import has_own_thread
from bot.desk.messages import SUGGESTIONS
from storage.models import Conversation, Post

SUGGEST = "llm.suggest"
LANE = "llm"  # the target of suggestion requests: worked concurrently, away from the chat channels' queues


def suggestions(session: Session, conversation: Conversation, post_id: int, now) -> None:
    """Ask for suggested replies to a new post."""
    queue.add(session, key=f"post:{post_id}:suggest", kind=SUGGEST, target=LANE, conversation_id=conversation.id,
              payload={"post_id": post_id}, now=now)


def suggest_again(session: Session, conversation: Conversation, post: Post, now, requested_by: str) -> None:
    """Fresh suggestions for `post` (/suggest, the "New suggestions" button): a new key, so a new model call."""
    queue.add(session, key=f"conv:{conversation.id}:suggest:{uuid.uuid4().hex}", kind=SUGGEST, target=LANE,
              conversation_id=conversation.id, payload={"post_id": post.id, "requested_by": requested_by}, now=now)


def suggestions_message(session: Session, conversation: Conversation, request_key: str, now, *, backlog: int) -> None:
    """Show the suggestions stored under `request_key` in the conversation's thread. In a channel with `backlog` chat
    messages waiting they go into the parent message instead of a second message (rendered there when it goes out,
    or edited in); a conversation folded into an incident has no thread: its incident's message shows a suggestion."""
    if not has_own_thread(conversation):
        return
    if queue.waiting(session, queue.chat_target(conversation)) >= backlog:
        if conversation.chat_thread_id is not None:
            messages.refresh_parent(session, conversation, now)
        return
    queue.add(session, key=f"{request_key}:chat", kind=SUGGESTIONS, target=queue.chat_target(conversation),
              conversation_id=conversation.id, payload={"request": request_key}, now=now)
