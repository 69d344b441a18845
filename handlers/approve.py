"""/approve N [edited text] and /reject N [reason]: a lead's decision on a reply waiting for approval ([approvals]).
The thread's Approve / Edit… / Reject buttons run the same commands for the reply they sit under."""
from __future__ import annotations

import re

from sqlmodel import Session, select

from bot.desk import Desk, approvals
from bot.desk.guards import check_reply
from handlers.context import Outcome, Refusal, Request, require_agent, require_conversation
from handlers.reply import sign
from storage.models import Agent, Conversation, Reply, ReplyStatus

APPROVE_USAGE = "/approve 42 (or /approve 42 the edited text)"
REJECT_USAGE = "/reject 42 too informal for a press contact"
_WHICH = re.compile(r"^reply=(\d{1,12})\b\s*(.*)$", re.S)  # buttons name the reply they sit under


def button_args(reply_id: int, text: str = "") -> str:
    """What a button (or the Edit… modal) passes: the reply it is about, then the text."""
    return f"reply={reply_id} {text}".strip()


async def approve(desk: Desk, request: Request) -> Outcome:
    with desk.session() as session:
        lead, conversation, reply, text = _decision(desk, session, request, "approve replies", APPROVE_USAGE)
        edited = sign(text, session.get(Agent, reply.agent_id).initials) if text else None
        if edited:
            _check(desk, conversation, reply, edited)
        approvals.approve(session, conversation, reply, lead, desk.clock.now(), edited=edited)
    how = "Edited and approved" if edited else "Approved"
    return Outcome(f"{how}: the reply to #{conversation.id} is being published; its author is told.")


async def reject(desk: Desk, request: Request) -> Outcome:
    with desk.session() as session:
        lead, conversation, reply, reason = _decision(desk, session, request, "reject replies", REJECT_USAGE)
        approvals.reject(session, conversation, reply, lead, reason, desk.clock.now())
    return Outcome(f"Rejected: the reply to #{conversation.id} will not be published; its author is told.")


def _check(desk: Desk, conversation: Conversation, reply: Reply, text: str) -> None:
    """An edited reply passes the same guards as any other (a lead has no --anyway here)."""
    source = desk.sources.get(conversation.source_name)
    issues = check_reply(text, max_length=source.max_length if source else len(text), private=reply.private,
                         count_length=source.count_length if source else len)
    if issues:
        raise Refusal(f"Not approved: the edited reply {'; '.join(i.message for i in issues)}. Edit it again.")


def _decision(desk: Desk, session: Session, request: Request, doing: str,
              usage: str) -> tuple[Agent, Conversation, Reply, str]:
    lead = require_agent(desk, session, request.actor, doing)
    if lead.role != "lead":
        raise Refusal(f"Only leads can {doing}. Ask a lead to look at it in the thread.")
    conversation = require_conversation(session, request.number, usage)
    match = _WHICH.match(request.args.strip())
    query = select(Reply).where(Reply.conversation_id == conversation.id)
    if match:
        reply, text = session.exec(query.where(Reply.id == int(match.group(1)))).first(), match.group(2).strip()
    else:
        waiting = query.where(Reply.status == ReplyStatus.AWAITING_APPROVAL).order_by(Reply.id)
        reply, text = session.exec(waiting).first(), request.args.strip()
    if reply is None:
        raise Refusal(f"No reply to #{conversation.id} is waiting for approval.")
    if reply.status != ReplyStatus.AWAITING_APPROVAL:
        reviewer = session.get(Agent, reply.reviewed_by_id) if reply.reviewed_by_id else None
        decided = "rejected" if reply.status == ReplyStatus.REJECTED else "approved"
        raise Refusal(f"That reply was already {decided}" + (f" by {reviewer.name}." if reviewer else "."))
    if reply.agent_id == lead.id:
        raise Refusal("You cannot approve or reject your own reply: ask another lead.")
    return lead, conversation, reply, text


def waiting_text(desk: Desk, reply_id: int) -> str | None:
    """The text of a reply still waiting for approval, without its signature (the Edit… modal starts from it)."""
    with Session(desk.engine) as session:
        reply = session.get(Reply, reply_id)
    if reply is None or reply.status != ReplyStatus.AWAITING_APPROVAL:
        return None
    return reply.text.rsplit(" ^", 1)[0]
