"""/queue: the open conversations, the most pressing first, with time left, priority and owner."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import select

from handlers.context import Desk, Outcome, Request, require_agent
from storage.models import Agent, Conversation, ConversationStatus, Customer

USAGE = "/queue"
SHOWN = 20


def time_left(due: datetime | None, now: datetime) -> str:
    if due is None:
        return "answered"
    left = due - now
    words = _span(abs(left))
    return f"due in {words}" if left >= timedelta() else f"OVERDUE by {words}"


def _span(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours < 48 else f"{hours // 24} days"


def _plain(handle: str) -> str:
    """Handles come from the internet: keep them from turning into chat markup."""
    return "".join(ch for ch in handle if ch not in "<>&")


async def run(desk: Desk, request: Request) -> Outcome:
    now = desk.clock.now()
    with desk.session() as session:
        require_agent(desk, session, request.actor, "see the queue")
        rows = session.exec(
            select(Conversation, Customer, Agent)
            .join(Customer, Customer.id == Conversation.customer_id)
            .join(Agent, Agent.id == Conversation.assignee_id, isouter=True)
            .where(Conversation.status.in_(ConversationStatus.OPEN))
        ).all()
    if not rows:
        return Outcome("The queue is empty: every conversation is resolved.")
    pending = sorted(rows, key=lambda row: (row[0].first_responded_at is not None,
                                            row[0].first_response_due_at or now, row[0].id))
    lines = [f"{len(rows)} open, most pressing first:"]
    for conversation, customer, owner in pending[:SHOWN]:
        due = None if conversation.first_responded_at else conversation.first_response_due_at
        lines.append(
            f"#{conversation.id} {conversation.priority} · {time_left(due, now)} · {conversation.network} "
            f"@{_plain(customer.handle)} · {conversation.status.replace('_', ' ')} · "
            f"{owner.name if owner else 'nobody'}"
        )
    if len(rows) > SHOWN:
        lines.append(f"…and {len(rows) - SHOWN} more.")
    return Outcome("\n".join(lines))
