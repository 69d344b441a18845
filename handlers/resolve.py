"""/resolve N: close a conversation (a later post by the customer opens a new one)."""
from bot.sla import clocks as sla_clocks
from bot.delivery import queue as outbox_entries
from handlers.context import Desk, Outcome, Request, audit, require_agent, require_conversation
from storage.models import ConversationStatus

USAGE = "/resolve 42"


async def run(desk: Desk, request: Request) -> Outcome:
    with desk.session() as session:
        agent = require_agent(desk, session, request.actor, "resolve conversations")
        conversation = require_conversation(session, request.number, USAGE)
        if conversation.status == ConversationStatus.RESOLVED:
            return Outcome(f"#{conversation.id} is already resolved.")
        now = desk.clock.now()
        conversation.status = ConversationStatus.RESOLVED
        conversation.resolved_at = now
        conversation.updated_at = now
        conversation.snoozed_until = None
        sla_clocks.resolved(session, conversation, now)
        audit(session, desk, agent.name, "resolve", conversation)
        outbox_entries.notice(session, conversation, f"conv:{conversation.id}:resolve:{now.timestamp()}",
                              f"Resolved by {agent.name}.", now)
        outbox_entries.refresh_parent(session, conversation, now)
    return Outcome(f"#{conversation.id} resolved.")
