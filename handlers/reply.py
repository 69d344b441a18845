"""/reply N text: answer the customer on the network, signed with the agent's initials.

The reply is checked against the network's length rule *with* the signature, stored, and
queued in the outbox; the thread shows it once it is published.
"""
from bot import outbox_entries
from bot.views import latest_post
from handlers.claim import take
from handlers.context import Desk, Outcome, Request, Refusal, audit, require_agent, require_conversation
from storage.models import Reply, ReplyStatus

USAGE = "/reply 42 Thanks for flagging this, we're on it!"
PRIVATE_FLAG = "--private"


def sign(text: str, initials: str) -> str:
    return f"{text.strip()} ^{initials}"


async def run(desk: Desk, request: Request) -> Outcome:
    text = request.args.strip()
    private = text.startswith(PRIVATE_FLAG)
    if private:
        text = text.removeprefix(PRIVATE_FLAG).strip()
    with desk.session() as session:
        agent = require_agent(desk, session, request.actor, "reply to customers")
        conversation = require_conversation(session, request.number, USAGE)
        if not text:
            raise Refusal(f"The reply is empty. Usage: {USAGE}")
        source = desk.sources.get(conversation.source_name)
        if source is None:
            raise Refusal(f"Source {conversation.source_name!r} is not running, so #{conversation.id} cannot be "
                          "answered from here right now. Check `socialdesk check`.")
        signed = sign(text, agent.initials)
        length = source.count_length(signed)
        if length > source.max_length:
            raise Refusal(
                f"Not sent: with your signature the reply is {length} characters and {conversation.network} "
                f"allows {source.max_length}. Shorten it by {length - source.max_length} and send it again."
            )
        if not conversation.assignee_id:
            take(session, desk, conversation, agent)
        reply = Reply(conversation_id=conversation.id, agent_id=agent.id, text=signed, private=private,
                      in_reply_to=latest_post(session, conversation.id).external_id,
                      status=ReplyStatus.PUBLISHING, created_at=desk.clock.now())
        session.add(reply)
        session.flush()
        audit(session, desk, agent.name, "reply.queued", conversation, reply_id=reply.id, text=signed, private=private)
        outbox_entries.publish(session, conversation, reply, desk.clock.now())
    where = "privately" if private else "publicly"
    return Outcome(f"Reply to #{conversation.id} is being published {where}; the thread will show it with a link.")
