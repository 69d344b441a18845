"""/suggest N: new suggested replies for the customer's latest post; they arrive in the thread when ready."""
from sqlmodel import select

from bot.desk import Desk
from bot.suggest.requests import SUGGEST, suggest_again
from handlers.context import Outcome, Refusal, Request, require_agent, require_conversation
from storage.models import OutboxEntry, OutboxStatus
from storage.queries import latest_post

USAGE = "/suggest 42"


async def run(desk: Desk, request: Request) -> Outcome:
    with desk.session() as session:
        agent = require_agent(desk, session, request.actor, "ask for suggestions")
        conversation = require_conversation(session, request.number, USAGE)
        waiting = session.exec(select(OutboxEntry.id).where(
            OutboxEntry.conversation_id == conversation.id, OutboxEntry.kind == SUGGEST,
            OutboxEntry.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]))).first()
        if waiting is not None:
            raise Refusal(f"Suggestions for #{conversation.id} are already being made; they will appear in its thread.")
        suggest_again(session, conversation, latest_post(session, conversation.id), desk.clock.now(), requested_by=agent.name)
    return Outcome(f"New suggestions for #{conversation.id} are on their way; they will appear in its thread.")
