"""/reply N text: answer the customer on the network, signed with the agent's initials.

The signed reply goes through the guards (length by the network's rule, no public request
for personal data, no repeating the customer's data), is stored, and is queued in the
outbox; the thread shows it once it is published. `--private` sends it as a private
message; `--anyway` publishes despite a personal-data guard, and the audit log says so.
"""
from sqlmodel import select

from bot.desk import Desk, lifecycle
from bot.desk.guards import check_reply
from bot.desk.publishing import publish
from handlers.context import Held, Outcome, Refusal, Request, audit, parse_flags, require_agent, require_conversation
from storage.models import Post, Reply, ReplyStatus
from storage.queries import latest_post, latest_public_post

USAGE = "/reply 42 Thanks for flagging this, we're on it!"


def sign(text: str, initials: str) -> str:
    return f"{text.strip()} ^{initials}"


async def run(desk: Desk, request: Request) -> Outcome:
    flags, text = parse_flags(request.args)
    private = "--private" in flags
    with desk.session() as session:
        agent = require_agent(desk, session, request.actor, "reply to customers")
        conversation = require_conversation(session, request.number, USAGE)
        if not text:
            raise Refusal(f"The reply is empty. Usage: {USAGE}")
        source = desk.sources.get(conversation.source_name)
        if source is None:
            raise Refusal(f"Source {conversation.source_name!r} is not running, so #{conversation.id} cannot be "
                          "answered from here right now. Check `socialdesk check`.")
        answered = latest_post(session, conversation.id) if private else latest_public_post(session, conversation.id)
        only_private = answered is None  # the customer only wrote privately: answer the same way
        if only_private:
            private, answered = True, latest_post(session, conversation.id)
        signed = sign(text, agent.initials)
        posted = session.exec(select(Post.pii).where(Post.conversation_id == conversation.id)).all()
        issues = check_reply(signed, max_length=source.max_length, count_length=source.count_length, private=private,
                             customer_data=[item["text"] for pii in posted for item in pii])
        blocking = [i for i in issues if i.code == "too_long" or "--anyway" not in flags]
        if blocking:
            held = f"Held, not sent: with your signature {'; '.join(i.message for i in blocking)}."
            if any(i.code == "too_long" for i in blocking):
                raise Refusal(held)
            raise Held(f"{held} If you are sure, send it again as `/reply {conversation.id} --anyway …`.",
                       override=" ".join([*sorted(flags | {"--anyway"}), text]))
        if issues:
            audit(session, desk, agent.name, "reply.guard_overridden", conversation,
                  issues=[i.code for i in issues], text=signed)
        if not conversation.assignee_id:
            lifecycle.take(session, conversation, agent, desk.clock.now())
        reply = Reply(conversation_id=conversation.id, agent_id=agent.id, text=signed, private=private,
                      in_reply_to=answered.external_id,
                      status=ReplyStatus.PUBLISHING, created_at=desk.clock.now())
        session.add(reply)
        session.flush()
        audit(session, desk, agent.name, "reply.queued", conversation, reply_id=reply.id, text=signed, private=private)
        publish(session, conversation, reply, desk.clock.now())
    where = "publicly"
    if private:
        where = "privately, as the customer wrote privately" if only_private else "privately"
    return Outcome(f"Reply to #{conversation.id} is being published {where}; the thread will show it with a link.")
