"""/queue: the open conversations, the most pressing first, with time left, priority and owner."""
from __future__ import annotations

from datetime import datetime

from bot.views import open_conversations
from bot.wording import clock_time, plain, time_left
from handlers.context import Desk, Outcome, Request, require_agent
from storage.models import Conversation

USAGE = "/queue"
SHOWN = 20


async def run(desk: Desk, request: Request) -> Outcome:
    now = desk.clock.now()
    with desk.session() as session:
        require_agent(desk, session, request.actor, "see the queue")
        rows = session.exec(open_conversations()).all()
    if not rows:
        return Outcome("The queue is empty: every conversation is resolved.")
    pending = sorted(rows, key=lambda row: _urgency(row[0], now))
    lines = [f"{len(rows)} open, most pressing first:"]
    for conversation, customer, owner in pending[:SHOWN]:
        if conversation.snoozed_until:
            when = f"snoozed until {clock_time(conversation.snoozed_until, desk.config.sla.timezone, now)}"
        else:
            when = time_left(conversation.response_due_at, now)
        lines.append(
            f"#{conversation.id} {conversation.priority} · {when} · {conversation.network} "
            f"@{plain(customer.handle)} · {conversation.status.replace('_', ' ')} · "
            f"{owner.name if owner else 'nobody'}"
        )
    if len(rows) > SHOWN:
        lines.append(f"…and {len(rows) - SHOWN} more.")
    return Outcome("\n".join(lines))


def _urgency(conversation: Conversation, now: datetime) -> tuple:
    """Waiting on the team, soonest due first; then snoozed, soonest back first; then waiting on the customer."""
    if conversation.response_due_at:
        return 0, conversation.response_due_at, conversation.id
    if conversation.snoozed_until:
        return 1, conversation.snoozed_until, conversation.id
    return 2, now, conversation.id
