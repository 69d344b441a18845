"""/reply N text: answer the customer on the network, signed with the agent's initials.

The signed reply goes through the guards (length by the network's rule, no public request
for personal data, no repeating the customer's data), is stored, and is queued in the
outbox; the thread shows it once it is published. `--private` sends it as a private
message; `--anyway` publishes despite a personal-data guard, and the audit log says so.
"""
from dataclasses import dataclass

from sqlmodel import Session, select

from bot.desk import Desk, lifecycle
from bot.desk.guards import GuardIssue, check_reply
from bot.desk.publishing import publish
from handlers.context import Held, Outcome, Refusal, Request, audit, parse_flags, require_agent, require_conversation
from storage.models import Agent, Conversation, Post, Reply, ReplyStatus
from storage.queries import latest_post, latest_public_post

USAGE = "/reply 42 Thanks for flagging this, we're on it!"


def sign(text: str, initials: str) -> str:
    return f"{text.strip()} ^{initials}"


@dataclass(frozen=True)
class Drafted:
    """A reply ready to queue: signed, addressed to the post it answers, and what the guards found."""

    signed: str
    answered: Post
    private: bool
    only_private: bool  # the customer only wrote privately, so the answer is private too
    issues: list[GuardIssue]


def draft(session: Session, source, conversation: Conversation, text: str, initials: str, private: bool) -> Drafted:
    """Sign `text` and check it against the network's length rule and the personal-data guards."""
    answered = latest_post(session, conversation.id) if private else latest_public_post(session, conversation.id)
    only_private = answered is None
    if only_private:
        private, answered = True, latest_post(session, conversation.id)
    signed = sign(text, initials)
    posted = session.exec(select(Post.pii).where(Post.conversation_id == conversation.id)).all()
    issues = check_reply(signed, max_length=source.max_length, count_length=source.count_length, private=private,
                         customer_data=[item["text"] for pii in posted for item in pii])
    return Drafted(signed, answered, private, only_private, issues)


def queue_reply(session: Session, desk: Desk, agent: Agent, conversation: Conversation, drafted: Drafted,
                **audited) -> Reply:
    """Store the reply and queue it for publishing (the outbox publishes it once); the agent takes an unowned
    conversation."""
    if not conversation.assignee_id:
        lifecycle.take(session, conversation, agent, desk.clock.now())
    reply = Reply(conversation_id=conversation.id, agent_id=agent.id, text=drafted.signed, private=drafted.private,
                  in_reply_to=drafted.answered.external_id, status=ReplyStatus.PUBLISHING, created_at=desk.clock.now())
    session.add(reply)
    session.flush()
    audit(session, desk, agent.name, "reply.queued", conversation, reply_id=reply.id, text=drafted.signed,
          private=drafted.private, **audited)
    publish(session, conversation, reply, desk.clock.now())
    return reply


async def run(desk: Desk, request: Request) -> Outcome:
    flags, text = parse_flags(request.args)
    with desk.session() as session:
        agent = require_agent(desk, session, request.actor, "reply to customers")
        conversation = require_conversation(session, request.number, USAGE)
        if not text:
            raise Refusal(f"The reply is empty. Usage: {USAGE}")
        source = desk.sources.get(conversation.source_name)
        if source is None:
            raise Refusal(f"Source {conversation.source_name!r} is not running, so #{conversation.id} cannot be "
                          "answered from here right now. Check `socialdesk check`.")
        drafted = draft(session, source, conversation, text, agent.initials, "--private" in flags)
        blocking = [i for i in drafted.issues if i.code == "too_long" or "--anyway" not in flags]
        if blocking:
            held = f"Held, not sent: with your signature {'; '.join(i.message for i in blocking)}."
            if any(i.code == "too_long" for i in blocking):
                raise Refusal(held)
            raise Held(f"{held} If you are sure, send it again as `/reply {conversation.id} --anyway …`.",
                       override=" ".join([*sorted(flags | {"--anyway"}), text]))
        if drafted.issues:
            audit(session, desk, agent.name, "reply.guard_overridden", conversation,
                  issues=[i.code for i in drafted.issues], text=drafted.signed)
        queue_reply(session, desk, agent, conversation, drafted)
    where = "publicly"
    if drafted.private:
        where = "privately, as the customer wrote privately" if drafted.only_private else "privately"
    return Outcome(f"Reply to #{conversation.id} is being published {where}; the thread will show it with a link.")
