"""Approvals: replies a lead must approve before they are published ([approvals] in socialdesk.toml).

The policy holds replies by agents of the listed roles (`trainee`), replies that overrode a guard,
and replies to conversations with the listed tags or priorities. Leads are the reviewers, so their
own replies are never held. A held reply waits in the thread with Approve / Edit / Reject; its
author hears the decision there, and every step is audited. The parent message shows how long it
has waited, so the SLA clock's time waiting for approval is visible.
"""
from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.desk import messages
from bot.desk.publishing import publish
from bot.settings import ApprovalsConfig
from bot.wording import plain
from storage.models import Agent, AuditEvent, Conversation, Reply, ReplyStatus


def reasons(policy: ApprovalsConfig | None, agent: Agent, conversation: Conversation, tags: list[str],
            overrode_guard: bool) -> list[str]:
    """Why the policy holds `agent`'s reply for a lead; empty when it may go out."""
    if policy is None or agent.role == "lead":
        return []
    found = []
    if agent.role in policy.roles:
        found.append(agent.role)
    if overrode_guard and policy.guard_overrides:
        found.append("overrode a guard")
    found += [f"tagged {tag}" for tag in tags if tag in policy.tags]
    if conversation.priority in policy.priorities:
        found.append(f"{conversation.priority} priority")
    return found


def hold(session: Session, conversation: Conversation, reply: Reply, why: list[str], now: datetime) -> None:
    """`reply` (just stored) waits for a lead; the thread shows it with the buttons."""
    reply.status = ReplyStatus.AWAITING_APPROVAL
    reply.approval_reason = ", ".join(why)[:255]
    session.flush()
    author = session.get(Agent, reply.agent_id)
    _audit(session, now, author.name, "reply.awaiting_approval", conversation, reply, reasons=why)
    messages.approval_request(session, conversation, reply, now)
    messages.refresh_parent(session, conversation, now)


def approve(session: Session, conversation: Conversation, reply: Reply, lead: Agent, now: datetime,
            edited: str | None = None) -> None:
    """Publish it (with the lead's `edited` text, signed as before, if given); the author is told."""
    if edited is not None:
        _audit(session, now, lead.name, "reply.edited", conversation, reply, before=reply.text, after=edited)
        reply.text = edited
    reply.status = ReplyStatus.PUBLISHING
    reply.reviewed_by_id = lead.id
    _audit(session, now, lead.name, "reply.approved", conversation, reply)
    publish(session, conversation, reply, now)
    messages.approval_decided(session, conversation, reply, now)
    how = "edited and approved" if edited is not None else "approved"
    messages.notice(session, conversation, f"reply:{reply.id}:approved", f"Your reply was {how} by {lead.name}; "
                    "it is being published.", now, mention_agent=reply.agent_id)
    messages.refresh_parent(session, conversation, now)


def reject(session: Session, conversation: Conversation, reply: Reply, lead: Agent, reason: str, now: datetime) -> None:
    """It is never published; the author is told why in the thread."""
    reply.status = ReplyStatus.REJECTED
    reply.reviewed_by_id = lead.id
    _audit(session, now, lead.name, "reply.rejected", conversation, reply, reason=reason)
    messages.approval_decided(session, conversation, reply, now)
    why = f": {plain(reason)}" if reason else "."
    messages.notice(session, conversation, f"reply:{reply.id}:rejected",
                    f"Your reply was rejected by {lead.name}{why} Write a new one with `/reply {conversation.id} …`.",
                    now, mention_agent=reply.agent_id)
    messages.refresh_parent(session, conversation, now)


def _audit(session: Session, now: datetime, actor: str, action: str, conversation: Conversation, reply: Reply,
           **detail) -> None:
    session.add(AuditEvent(at=now, actor=actor, action=action, conversation_id=conversation.id,
                           detail={"reply_id": reply.id, "text": reply.text, **detail}))
