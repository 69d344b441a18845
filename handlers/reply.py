"""/reply N text: answer the customer on the network, signed with the agent's initials.

The signed reply goes through the guards (length by the network's rule, no public request
for personal data, no repeating the customer's data) and the collision guard (someone else owns
the conversation, or a colleague answered it moments ago), is stored, and is queued in the
outbox — or waits for a lead when [approvals] says so; the thread shows it once it is published.
`/reply N :refund-delay` sends a saved reply (prompts/replies/) in the conversation's language.
`--private` sends it as a private message; `--anyway` sends it despite a personal-data guard or
the collision guard, and the audit log says so (the owner hears of it in the thread).

The same reply to the same conversation by the same agent within REPEAT_WINDOW is held too (a
re-sent command after a timeout, a retried delivery): `--anyway` sends it again. A chat mention in
the text (`<@U…>`, `<@123…>`) becomes the person's name, or the reply is refused with the reason.
A reply to a resolved conversation reopens it (bot/desk/lifecycle.py), and says so.
"""
import re
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session, select

from bot.desk import Desk, approvals, lifecycle, tags
from bot.desk.agents import agent_for
from bot.desk.collisions import collision, tell_colleague
from bot.desk.guards import GuardIssue, check_reply
from bot.desk.publishing import publish
from bot.wording import plain, span
from handlers.context import Held, Outcome, Refusal, Request, audit, parse_flags, require_agent, require_conversation
from handlers.replies import expand_saved
from storage.models import Agent, Conversation, ConversationStatus, Post, Reply, ReplyStatus
from storage.queries import latest_post, latest_public_post

USAGE = "/reply 42 Thanks for flagging this, we're on it! (or /reply 42 :saved-reply)"
REPEAT_WINDOW = timedelta(minutes=5)
_CHAT_MENTION = re.compile(r"<@!?([A-Za-z0-9]+)(?:\|[^<>]*)?>")


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
    issues = check_reply(signed, max_length=source.max_length, count_length=source.count_length,
                         unit=source.length_unit, private=private,
                         customer_data=[item["text"] for pii in posted for item in pii])
    return Drafted(signed, answered, private, only_private, issues)


def queue_reply(session: Session, desk: Desk, agent: Agent, conversation: Conversation, drafted: Drafted, *,
                overrode_guard: bool = False, **audited) -> list[str]:
    """Store the reply and queue it for publishing (the outbox publishes it once), or hold it for a lead when
    [approvals] says so; returns why it waits for one (nothing: it is being published). The agent takes an unowned
    conversation, and a resolved one is reopened."""
    now = desk.clock.now()
    if not conversation.assignee_id or conversation.status == ConversationStatus.RESOLVED:
        lifecycle.take(session, conversation, agent, now)
    reply = Reply(conversation_id=conversation.id, agent_id=agent.id, text=drafted.signed, private=drafted.private,
                  in_reply_to=drafted.answered.external_id, status=ReplyStatus.PUBLISHING, created_at=now)
    session.add(reply)
    session.flush()
    audit(session, desk, agent.name, "reply.queued", conversation, reply_id=reply.id, text=drafted.signed,
          private=drafted.private, **audited)
    why = approvals.reasons(desk.config.approvals, agent, conversation, tags.of(session, conversation.id),
                            overrode_guard=overrode_guard)
    if why:
        approvals.hold(session, conversation, reply, why, now)
    else:
        publish(session, conversation, reply, now)
    return why


async def run(desk: Desk, request: Request) -> Outcome:
    flags, text = parse_flags(request.args)
    anyway = " ".join([*sorted(flags | {"--anyway"}), text])  # the same reply, sent anyway
    now = desk.clock.now()
    with desk.session() as session:
        agent = require_agent(desk, session, request.actor, "reply to customers")
        conversation = require_conversation(session, request.number, USAGE)
        if not text:
            raise Refusal(f"The reply is empty. Usage: {USAGE}")
        text = _names_for_mentions(session, desk, request, expand_saved(desk, session, conversation, agent, text))
        source = desk.sources.get(conversation.source_name)
        if source is None:
            raise Refusal(f"Source {conversation.source_name!r} is not running, so #{conversation.id} cannot be "
                          "answered from here right now. Check `socialdesk check`.")
        drafted = draft(session, source, conversation, text, agent.initials, "--private" in flags)
        if "--anyway" not in flags:
            _hold_a_repeat(session, desk, conversation, agent.id, drafted.signed, anyway)
        blocking = [i for i in drafted.issues if i.code == "too_long" or "--anyway" not in flags]
        if blocking:
            guarded = f"Held, not sent: with your signature {'; '.join(i.message for i in blocking)}."
            if any(i.code == "too_long" for i in blocking):
                raise Refusal(guarded)
            raise Held(f"{guarded} If you are sure, send it again as `/reply {conversation.id} --anyway …`.", override=anyway)
        reopened = conversation.status == ConversationStatus.RESOLVED
        clash = collision(session, conversation, agent, now, desk.config.replies.collision_window)
        if clash and "--anyway" not in flags:
            tell_colleague(session, conversation, clash, agent, now, sent_anyway=False)  # committed: they hear of it
            held = Held(f"Held, not sent: {clash.message}", override=anyway)
        else:
            held = None
            if drafted.issues:
                audit(session, desk, agent.name, "reply.guard_overridden", conversation,
                      issues=[i.code for i in drafted.issues], text=drafted.signed)
            if clash:
                audit(session, desk, agent.name, "reply.collision_overridden", conversation, collision=clash.code,
                      text=drafted.signed)
                tell_colleague(session, conversation, clash, agent, now, sent_anyway=True)
            waiting = queue_reply(session, desk, agent, conversation, drafted,
                                  overrode_guard=bool(drafted.issues or clash))
    if held:
        raise held
    if waiting:
        return Outcome(f"Your reply to #{conversation.id} waits for a lead's approval ({', '.join(waiting)}); "
                       "you will hear in its thread.")
    where = "publicly"
    if drafted.private:
        where = "privately, as the customer wrote privately" if drafted.only_private else "privately"
    again = f" #{conversation.id} was resolved; your reply reopens it." if reopened else ""
    return Outcome(f"Reply to #{conversation.id} is being published {where}; the thread will show it with a link.{again}")


def _names_for_mentions(session: Session, desk: Desk, request: Request, text: str) -> str:
    """Chat mentions in a reply mean nothing on the network: each becomes the agent's or member's name."""
    def name(match: re.Match) -> str:
        user_id = match.group(1)
        mentioned = next((a for a in request.mentioned if a.user_id == user_id), None)
        agent = agent_for(session, desk.config, request.actor.platform, user_id,
                          roles=mentioned.roles if mentioned else (), display_name=mentioned.display_name if mentioned else "")
        shown = agent.name if agent else plain(mentioned.display_name) if mentioned else ""
        if not shown:
            raise Refusal("Held, not sent: your reply mentions someone in chat, and a chat mention means nothing on the "
                          "network. Write their name instead, then send it again.")
        return shown

    return _CHAT_MENTION.sub(name, text)


def _hold_a_repeat(session: Session, desk: Desk, conversation: Conversation, agent_id: int, signed: str,
                   anyway: str) -> None:
    """Hold a reply identical to one this agent sent to this conversation within REPEAT_WINDOW."""
    now = desk.clock.now()
    earlier = session.exec(
        select(Reply.created_at).where(Reply.conversation_id == conversation.id, Reply.agent_id == agent_id,
                                       Reply.text == signed, Reply.created_at >= now - REPEAT_WINDOW)
        .order_by(Reply.created_at.desc())
    ).first()
    if earlier is None:
        return
    seconds = int((now - earlier).total_seconds())
    ago = f"{seconds} s" if seconds < 60 else span(now - earlier)
    raise Held(f"Held, not sent: you sent this same reply to #{conversation.id} {ago} ago. To send it again, send it "
               f"again with --anyway (`/reply {conversation.id} --anyway …`).", override=anyway)
