"""The customer record: one person behind handles on several networks, their history, notes and mute.

Handles are joined into a person with `/link` (`Customer.person_id`, the id the linked handles
share), so history and notes follow the person across networks. What a customer posted and how
many followers they have inform the team here; they never decide priority (bot/enrich does that
from the post's wording alone, with followers a small nudge at most).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_
from sqlmodel import Session, select

from bot.wording import span
from storage.models import Agent, Conversation, ConversationStatus, ConversationTag, Customer, Note


def person_key(customer: Customer) -> int:
    return customer.person_id or customer.id


def handles(session: Session, customer: Customer) -> list[Customer]:
    """Every handle of the person `customer` is one of, itself included, oldest first."""
    key = person_key(customer)
    query = select(Customer).where(or_(Customer.id == key, Customer.person_id == key)).order_by(Customer.id)
    return list(session.exec(query))


def link(session: Session, one: Customer, other: Customer) -> list[Customer]:
    """Join the two people into one (the lower id names it); returns the person's handles."""
    members = {c.id: c for c in [*handles(session, one), *handles(session, other)]}
    key = min(members)
    for customer in members.values():
        customer.person_id = key
    session.flush()
    return sorted(members.values(), key=lambda c: c.id)


def unlink(session: Session, customer: Customer) -> list[Customer]:
    """Take one handle out of its person; returns the handles left together (empty when it was on its own)."""
    others = [c for c in handles(session, customer) if c.id != customer.id]
    customer.person_id = None
    key = min((c.id for c in others), default=None)
    for other in others:
        other.person_id = key if len(others) > 1 else None
    session.flush()
    return others


def conversations(session: Session, customer: Customer) -> list[Conversation]:
    """The person's conversations on every linked network, oldest first."""
    ids = [c.id for c in handles(session, customer)]
    return list(session.exec(select(Conversation).where(Conversation.customer_id.in_(ids)).order_by(Conversation.id)))


def notes(session: Session, customer: Customer) -> list[Note]:
    """Notes about the person (`/customer N note …`), not those on one conversation, oldest first."""
    ids = [c.id for c in handles(session, customer)]
    query = select(Note).where(Note.customer_id.in_(ids), Note.conversation_id.is_(None)).order_by(Note.id)
    return list(session.exec(query))


def tags(session: Session, customer: Customer) -> list[str]:
    """The tags the team put on the person's conversations, most used first."""
    ids = [c.id for c in conversations(session, customer)]
    found = session.exec(select(ConversationTag.tag).where(ConversationTag.conversation_id.in_(ids))).all()
    return sorted(set(found), key=lambda tag: (-found.count(tag), tag))


def is_muted(customer: Customer, now: datetime) -> bool:
    return customer.muted_until is not None and customer.muted_until > now


@dataclass(frozen=True)
class Past:
    """What a conversation's parent message says about the person's earlier conversations."""

    ordinal: int  # 1 for a first contact
    last_resolved_at: datetime | None
    last_resolved_by: str | None  # the initials of whoever owned it when it was resolved
    still_open: tuple[int, ...]

    def describe(self, now: datetime) -> str:
        """'first contact', or '3rd conversation; last resolved 2 days ago by JD'."""
        if self.ordinal == 1:
            return "first contact"
        parts = [f"{ordinal(self.ordinal)} conversation"]
        if self.last_resolved_at:
            by = f" by {self.last_resolved_by}" if self.last_resolved_by else ""
            parts.append(f"last resolved {span(now - self.last_resolved_at)} ago{by}")
        if self.still_open:
            parts.append("also open: " + ", ".join(f"#{n}" for n in self.still_open))
        return "; ".join(parts)


def past(session: Session, conversation: Conversation) -> Past:
    customer = session.get(Customer, conversation.customer_id)
    earlier = [c for c in conversations(session, customer) if c.id < conversation.id]
    resolved = [c for c in earlier if c.resolved_at is not None]
    last = max(resolved, key=lambda c: c.resolved_at, default=None)
    owner = session.get(Agent, last.assignee_id) if last is not None and last.assignee_id else None
    return Past(len(earlier) + 1, last.resolved_at if last else None, owner.initials if owner else None,
                tuple(c.id for c in earlier if c.status in ConversationStatus.OPEN))


def ordinal(number: int) -> str:
    """1 -> '1st', 2 -> '2nd', 11 -> '11th', 23 -> '23rd'."""
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"
