"""The queries the rest of the code shares: open conversations, the most pressing first, and a conversation's posts."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import case
from sqlmodel import Session, func, select

from storage.models import Agent, Conversation, ConversationStatus, Customer, Installation, Post

IS_OPEN = Conversation.status.in_(ConversationStatus.OPEN)
# Waiting on the team, soonest due first; then snoozed, soonest back first; then waiting on the customer, oldest first.
PRESSING_FIRST = (
    case((Conversation.response_due_at.is_not(None), 0), (Conversation.snoozed_until.is_not(None), 1), else_=2),
    func.coalesce(Conversation.response_due_at, Conversation.snoozed_until),
    Conversation.id,
)


def open_conversations(*where):
    """A query for the open conversations matching `where`, each with its customer and its owner (None when nobody owns it)."""
    return (select(Conversation, Customer, Agent)
            .join(Customer, Customer.id == Conversation.customer_id)
            .join(Agent, Agent.id == Conversation.assignee_id, isouter=True)
            .where(IS_OPEN, *where))


def count_open(session: Session, *where) -> int:
    """How many open conversations match `where`, counted by the database."""
    return session.exec(select(func.count()).select_from(Conversation).where(IS_OPEN, *where)).one()


def open_threads(session: Session, source_name: str, limit: int) -> list[tuple[str, str, datetime]]:
    """(thread root, customer's account id, when their first post in it was written) of the open conversations from
    `source_name` whose customer's account id is known, the most recently active first."""
    query = (select(Conversation.thread_root_id, Customer.account_id, func.min(Post.created_at))
             .join(Customer, Customer.id == Conversation.customer_id)
             .join(Post, Post.conversation_id == Conversation.id)
             .where(IS_OPEN, Conversation.source_name == source_name, Customer.account_id.is_not(None))
             .group_by(Conversation.id, Conversation.thread_root_id, Customer.account_id)
             .order_by(Conversation.updated_at.desc(), Conversation.id.desc())
             .limit(limit))
    return [tuple(row) for row in session.exec(query)]


def installation_id(session: Session) -> str:
    """This installation's id (made once by the migrations, shared by its replicas)."""
    return session.exec(select(Installation.id)).one()


def first_post(session: Session, conversation_id: int) -> Post:
    query = select(Post).where(Post.conversation_id == conversation_id).order_by(Post.id)
    return session.exec(query).first()


def latest_post(session: Session, conversation_id: int) -> Post:
    query = select(Post).where(Post.conversation_id == conversation_id).order_by(Post.id.desc())
    return session.exec(query).first()


def latest_public_post(session: Session, conversation_id: int) -> Post | None:
    """The post a public reply answers: never a private message, which has no public thread."""
    query = (select(Post).where(Post.conversation_id == conversation_id, Post.kind != "direct")
             .order_by(Post.id.desc()))
    return session.exec(query).first()
