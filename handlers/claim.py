"""/claim N: take ownership of a conversation."""
from bot.delivery import queue as outbox_entries
from handlers.context import Desk, Outcome, Request, Refusal, audit, owner_name, require_agent, require_conversation
from storage.models import ConversationStatus

USAGE = "/claim 42"


async def run(desk: Desk, request: Request) -> Outcome:
    with desk.session() as session:
        agent = require_agent(desk, session, request.actor, "claim conversations")
        conversation = require_conversation(session, request.number, USAGE)
        if conversation.assignee_id == agent.id:
            return Outcome(f"#{conversation.id} is already yours.")
        if conversation.assignee_id and agent.role != "lead":
            raise Refusal(
                f"#{conversation.id} is owned by {owner_name(session, conversation)}. "
                f"Ask them or a lead to `/assign {conversation.id} @you`."
            )
        previous = owner_name(session, conversation)
        take(session, desk, conversation, agent)
        audit(session, desk, agent.name, "claim", conversation, previous_owner=previous)
        outbox_entries.notice(session, conversation, f"conv:{conversation.id}:claim:{agent.id}:{desk.clock.now().timestamp()}",
                              f"Claimed by {agent.name}" + (f" (was {previous})." if previous else "."), desk.clock.now())
    return Outcome(f"#{conversation.id} is yours. Reply with `/reply {conversation.id} …` or `!reply …` in its thread.")


def take(session, desk: Desk, conversation, agent) -> None:
    """Make `agent` the owner (used by claim, assign and an unowned reply)."""
    conversation.assignee_id = agent.id
    if conversation.status in (ConversationStatus.NEW, ConversationStatus.RESOLVED):
        conversation.status = ConversationStatus.CLAIMED
        conversation.resolved_at = None
        conversation.purged_at = None  # reopened: what is written from now on falls under retention again
    conversation.updated_at = desk.clock.now()
    outbox_entries.refresh_parent(session, conversation, desk.clock.now())
