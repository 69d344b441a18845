"""What every chat effect shares: the running chat ports, the thread a message waits for, and posting once.

A conversation's parent message (its thread) is queued under `parent_key`; a thread message
delivered before it waits (`NotReady`), and fails at once if the parent failed for good. A
conversation folded into an incident before it had a thread of its own has none: the incident's
message stands for it, and its thread messages are skipped (`Folded`) without costing the channel
a message, except what must reach a person (an approval request, a notice naming an agent): that goes
into the incident's thread (`incident_thread_of`).
"""
from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.delivery.engine import NotReady
from bot.ports import ChatError, ChatPort
from bot.views import ChatRef, ThreadMessage
from storage.models import Conversation, Incident, OutboxEntry, OutboxStatus


def parent_key(number: int) -> str:
    """The outbox key of conversation #number's parent message."""
    return f"conv:{number}:open"


class Chats(dict[str, ChatPort]):
    """The chat ports this process serves, by platform (filled as each platform connects)."""

    def port(self, platform: str) -> ChatPort:
        chat = self.get(platform)
        if chat is None:
            raise ChatError(f"no chat adapter for {platform!r} is running", retryable=False)
        return chat

    def pace(self, target: str) -> tuple[float, int] | None:
        """A chat target's own pace (messages per second, burst) when its platform sets one (Discord)."""
        kind, _, rest = target.partition(":")
        return getattr(self.get(rest.partition(":")[0]), "pace", None) if kind == "chat" else None


class Folded(Exception):
    """The conversation has no thread of its own: its incident's message shows it."""


def thread_of(session: Session, conversation: Conversation) -> ChatRef:
    """The conversation's chat thread; waits while its parent message is on its way, fails if it never will be."""
    if conversation.chat_thread_id:
        return ChatRef(conversation.chat_channel, conversation.chat_thread_id)
    if conversation.incident_id is not None:
        raise Folded(f"folded into incident I{conversation.incident_id}")
    parent = session.exec(select(OutboxEntry).where(OutboxEntry.key == parent_key(conversation.id))).first()
    if parent is not None and parent.status == OutboxStatus.FAILED:
        raise ChatError(f"the conversation's first message failed: {parent.last_error}", retryable=False)
    raise NotReady()


def incident_thread_of(session: Session, conversation: Conversation) -> ChatRef:
    """The thread of the incident message a folded conversation belongs to; waits while that message is on its way."""
    incident = session.get(Incident, conversation.incident_id)
    if incident is None or incident.chat_thread_id is None:
        raise NotReady()
    return ChatRef(incident.message_channel or incident.chat_channel, incident.chat_thread_id)


async def post_once(chat: ChatPort, entry: OutboxEntry, channel: str, thread_id: str | None,
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


async def post_in_its_thread(engine: Engine, chats: Chats, entry: OutboxEntry,
                             message_for: Callable[[Session, Conversation], ThreadMessage | None], *,
                             for_a_person: bool = False) -> dict:
    """Post, once, the message `message_for` writes from the database now, in the thread of the entry's conversation
    (a message `for_a_person` of a folded conversation: in its incident's thread)."""
    with Session(engine) as session:
        conversation = session.get(Conversation, entry.conversation_id)
        chat = chats.port(conversation.chat_platform)
        try:
            ref = thread_of(session, conversation)
        except Folded as folded:
            if not for_a_person:
                return {"skipped": str(folded)}
            ref = incident_thread_of(session, conversation)
        message = message_for(session, conversation)
    return await post_once(chat, entry, ref.channel, ref.thread_id, message, skipped="nothing to say")
