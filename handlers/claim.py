"""/claim N: take ownership of a conversation."""
from bot.desk import Desk, lifecycle
from handlers.context import Outcome, Refusal, Request, owner_name, require_agent, require_conversation
from storage.models import ConversationStatus

USAGE = "/claim 42"


async def run(desk: Desk, request: Request) -> Outcome:
    with desk.session() as session:
        agent = require_agent(desk, session, request.actor, "claim conversations")
        conversation = require_conversation(session, request.number, USAGE)
        reopened = conversation.status == ConversationStatus.RESOLVED
        if conversation.assignee_id == agent.id and not reopened:
            return Outcome(f"#{conversation.id} is already yours.")
        if conversation.assignee_id and agent.role != "lead":
            raise Refusal(
                f"#{conversation.id} is owned by {owner_name(session, conversation)}. "
                f"Ask them or a lead to `/assign {conversation.id} @you`."
            )
        previous = owner_name(session, conversation) if conversation.assignee_id != agent.id else None
        lifecycle.claim(session, conversation, agent, previous, desk.clock.now())
    was = f"#{conversation.id} was resolved; it is open again and " if reopened else f"#{conversation.id} is "
    return Outcome(f"{was}yours. Reply with `/reply {conversation.id} …` or `!reply …` in its thread.")
