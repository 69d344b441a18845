"""/reply N text: answer the customer on the network, signed with the agent's initials.

The signed reply goes through the guards (length by the network's rule, no public request
for personal data, no repeating the customer's data) and the collision guard (someone else owns
the conversation, or a colleague answered it moments ago), is stored, and is queued in the
outbox — or waits for a lead when [approvals] says so; the thread shows it once it is published.
`/reply N :refund-delay` sends a saved reply (prompts/replies/) in the conversation's language.
`--private` sends it as a private message; `--anyway` sends it despite a personal-data guard or
the collision guard, and the audit log says so (the owner hears of it in the thread).
"""
from sqlmodel import select

from bot.desk import Desk, approvals, lifecycle, tags
from bot.desk.collisions import collision, tell_colleague
from bot.desk.guards import check_reply
from bot.desk.publishing import publish
from handlers.context import Held, Outcome, Refusal, Request, audit, parse_flags, require_agent, require_conversation
from handlers.replies import expand_saved
from storage.models import Post, Reply, ReplyStatus
from storage.queries import latest_post, latest_public_post

USAGE = "/reply 42 Thanks for flagging this, we're on it! (or /reply 42 :saved-reply)"


def sign(text: str, initials: str) -> str:
    return f"{text.strip()} ^{initials}"


async def run(desk: Desk, request: Request) -> Outcome:
    flags, text = parse_flags(request.args)
    private = "--private" in flags
    anyway = " ".join([*sorted(flags | {"--anyway"}), text])  # the same reply, sent anyway
    now = desk.clock.now()
    with desk.session() as session:
        agent = require_agent(desk, session, request.actor, "reply to customers")
        conversation = require_conversation(session, request.number, USAGE)
        if not text:
            raise Refusal(f"The reply is empty. Usage: {USAGE}")
        text = expand_saved(desk, session, conversation, agent, text)
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
            guarded = f"Held, not sent: with your signature {'; '.join(i.message for i in blocking)}."
            if any(i.code == "too_long" for i in blocking):
                raise Refusal(guarded)
            raise Held(f"{guarded} If you are sure, send it again as `/reply {conversation.id} --anyway …`.", override=anyway)
        clash = collision(session, conversation, agent, now, desk.config.replies.collision_window)
        if clash and "--anyway" not in flags:
            tell_colleague(session, conversation, clash, agent, now, sent_anyway=False)  # committed: they hear of it
            held = Held(f"Held, not sent: {clash.message}", override=anyway)
        else:
            held = None
            waiting = _queue(desk, session, conversation, agent, signed, private, answered, issues, clash)
    if held:
        raise held
    if waiting:
        return Outcome(f"Your reply to #{conversation.id} waits for a lead's approval ({', '.join(waiting)}); "
                       "you will hear in its thread.")
    where = "publicly"
    if private:
        where = "privately, as the customer wrote privately" if only_private else "privately"
    return Outcome(f"Reply to #{conversation.id} is being published {where}; the thread will show it with a link.")


def _queue(desk: Desk, session, conversation, agent, signed: str, private: bool, answered: Post, issues, clash) -> list[str]:
    """Store the reply and queue it for publishing, or hold it for a lead; returns why it waits for one (if it does)."""
    now = desk.clock.now()
    if issues:
        audit(session, desk, agent.name, "reply.guard_overridden", conversation, issues=[i.code for i in issues], text=signed)
    if clash:
        audit(session, desk, agent.name, "reply.collision_overridden", conversation, collision=clash.code, text=signed)
        tell_colleague(session, conversation, clash, agent, now, sent_anyway=True)
    if not conversation.assignee_id:
        lifecycle.take(session, conversation, agent, now)
    reply = Reply(conversation_id=conversation.id, agent_id=agent.id, text=signed, private=private,
                  in_reply_to=answered.external_id, status=ReplyStatus.PUBLISHING, created_at=now)
    session.add(reply)
    session.flush()
    audit(session, desk, agent.name, "reply.queued", conversation, reply_id=reply.id, text=signed, private=private)
    why = approvals.reasons(desk.config.approvals, agent, conversation, tags.of(session, conversation.id),
                            overrode_guard=bool(issues or clash))
    if why:
        approvals.hold(session, conversation, reply, why, now)
    else:
        publish(session, conversation, reply, now)
    return why
