"""The collision guard: two teammates must not answer one customer at once.

A reply is held when the conversation is owned by someone else, or when a colleague's reply to it
was published or queued within the collision window ([replies] collision_window, 2 minutes by
default); `--anyway` sends it all the same. While a teammate has the Reply… modal open, the parent
message says who is writing (where the platform tells us: Slack's modal open and close).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_
from sqlmodel import Session, select

from bot.desk import messages
from bot.wording import span
from storage.models import Agent, Conversation, Reply, ReplyStatus


@dataclass(frozen=True)
class Collision:
    code: str  # owned_by_other | recent_reply
    message: str  # for the agent, ending with how to send anyway
    owner_id: int | None  # the colleague to tell in the thread


def collision(session: Session, conversation: Conversation, agent: Agent, now: datetime,
              window: timedelta) -> Collision | None:
    """Why `agent` should not answer `conversation` right now, if anything."""
    number = conversation.id
    anyway = f"send again with --anyway to answer anyway (`/reply {number} --anyway …`)"
    if conversation.assignee_id and conversation.assignee_id != agent.id:
        owner = session.get(Agent, conversation.assignee_id)
        return Collision("owned_by_other", f"#{number} is {owner.name}'s — {anyway}.", owner.id)
    since = now - window
    recent = session.exec(
        select(Reply).where(Reply.conversation_id == number, Reply.agent_id != agent.id,
                            Reply.status.in_(ReplyStatus.SENT),
                            or_(Reply.created_at >= since, Reply.published_at >= since))
        .order_by(Reply.created_at.desc())
    ).first()
    if recent is not None:
        colleague = session.get(Agent, recent.agent_id)
        done = "published" if recent.status == ReplyStatus.PUBLISHED else "queued"
        ago = span(now - (recent.published_at or recent.created_at))
        return Collision("recent_reply", f"{colleague.name} {done} a reply to #{number} {ago} ago — {anyway}.",
                         colleague.id)
    return None


def tell_colleague(session: Session, conversation: Conversation, found: Collision, agent: Agent, now: datetime,
                   *, sent_anyway: bool) -> None:
    """The colleague hears of it in the thread: a held reply, or one sent anyway."""
    what = "answered anyway" if sent_anyway else "tried to answer; the reply was held"
    why = "it is yours" if found.code == "owned_by_other" else "you answered moments ago"
    key = f"conv:{conversation.id}:collision:{agent.id}:{'anyway' if sent_anyway else 'held'}:{now.timestamp()}"
    messages.notice(session, conversation, key, f"{agent.name} {what} on #{conversation.id} ({why}).", now,
                    mention_agent=found.owner_id)


def composing(session: Session, conversation: Conversation, agent: Agent | None, now: datetime) -> None:
    """`agent` opened the Reply… modal (None: closed it); the parent message shows it."""
    if agent is None and conversation.composing_agent_id is None:
        return
    conversation.composing_agent_id = agent.id if agent else None
    conversation.composing_since = now if agent else None
    messages.refresh_parent(session, conversation, now)

