"""A thread message that is not a command: an internal note, never published."""
from sqlalchemy.exc import IntegrityError

from bot.desk import Desk
from handlers.context import Outcome, Request, actor_agent, audit, require_conversation
from storage.models import Note


async def run(desk: Desk, request: Request) -> Outcome:
    text = request.args.strip()
    if not text:
        return Outcome("An empty note was not saved.", ok=False)
    try:
        with desk.session() as session:
            conversation = require_conversation(session, request.number, "!note text")
            agent = actor_agent(session, desk, request.actor)
            author = agent.name if agent else f"{request.actor.platform}:{request.actor.user_id}"
            session.add(Note(conversation_id=conversation.id, customer_id=conversation.customer_id, author=author,
                             text=text, chat_platform=request.actor.platform, chat_message_id=request.message_id,
                             created_at=desk.clock.now()))
            audit(session, desk, author, "note", conversation)
    except IntegrityError:
        return Outcome("That note is already saved.")  # the platform redelivered the same message
    return Outcome(f"Saved as an internal note on #{conversation.id} (never published).")
