"""/resolve N: close a conversation (a later post by the customer opens a new one)."""
from bot.desk import Desk, lifecycle
from handlers.context import Outcome, Request, require_agent, require_conversation
from storage.models import ConversationStatus

USAGE = "/resolve 42"


async def run(desk: Desk, request: Request) -> Outcome:
    with desk.session() as session:
        agent = require_agent(desk, session, request.actor, "resolve conversations")
        conversation = require_conversation(session, request.number, USAGE)
        if conversation.status == ConversationStatus.RESOLVED:
            return Outcome(f"#{conversation.id} is already resolved.")
        lifecycle.resolve(session, conversation, agent, desk.clock.now())
    return Outcome(f"#{conversation.id} resolved.")
