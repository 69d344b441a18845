"""The conversation lifecycle: the one place a conversation's status changes.

    new ──claim / assign / a reply──▶ claimed ──reply published──▶ awaiting customer
    awaiting customer ──the customer writes──▶ claimed (or new, when nobody owns it)
    any open ──snooze──▶ snoozed ──time up / the customer writes / snooze off──▶ back where it was
    any ──resolve──▶ resolved ──claim / assign / a reply / reopen──▶ claimed (reopened; new when nobody owns it)
    claimed ──unclaim──▶ new
    any ──spam──▶ resolved (the customer is muted: their posts open resolved conversations for a while)
    escalate / deescalate: the status stays; an expert group's thread opens, the SLA may take the group's priority

Each change writes its audit entry, moves the SLA clocks (bot/sla/clocks.py), tells the thread
when the team should hear of it, and queues a refresh of the parent message. Handlers, the
ingest pipeline, the suggestions and delivery call these functions instead of setting fields.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.desk import messages
from bot.settings import SlaConfig
from bot.sla import clocks
from bot.vocabulary import outranks
from bot.wording import clock_time, plain
from storage.db import session_scope
from storage.models import Agent, AuditEvent, Conversation, ConversationStatus, Customer, Escalation, Reply, ReplyStatus


def opened(session: Session, sla: SlaConfig, conversation: Conversation, written: datetime) -> None:
    """A new conversation (status new): its SLA clocks start when the customer wrote."""
    clocks.opened(session, sla, conversation, written)


def customer_wrote(session: Session, sla: SlaConfig, conversation: Conversation, written: datetime, now: datetime,
                   priority_before: str) -> None:
    """A later post of the customer: the ball is back in the team's court (a snooze ends, an answered
    conversation waits on the team again) and a next-response clock starts."""
    if conversation.status == ConversationStatus.SNOOZED:
        wake(session, sla, conversation, now, "The customer wrote again:")
    if conversation.status == ConversationStatus.AWAITING_CUSTOMER:
        conversation.status = _waiting_on_team(conversation)
    conversation.updated_at = now
    clocks.customer_wrote(session, sla, conversation, written, now, priority_before)


def raise_priority(session: Session, sla: SlaConfig, conversation: Conversation, priority: str, now: datetime) -> bool:
    """A later reading (the model's) found it more pressing: the running clocks take the new targets.
    Priority only ever rises here; returns whether it did."""
    if not outranks(priority, conversation.priority):
        return False
    conversation.priority = priority
    clocks.reprioritised(session, sla, conversation, now)
    return True


def take(session: Session, conversation: Conversation, agent: Agent, now: datetime, by: Agent | None = None) -> None:
    """Make `agent` the owner; a new or resolved conversation becomes claimed (a resolved one is reopened, which the
    audit log and the thread are told, as done `by` whoever acted)."""
    conversation.assignee_id = agent.id
    if conversation.status == ConversationStatus.RESOLVED:
        actor = (by or agent).name
        _audit(session, now, actor, "reopen", conversation)
        messages.notice(session, conversation, f"conv:{conversation.id}:reopen:{now.timestamp()}",
                        f"Reopened by {actor}.", now)
    if conversation.status in (ConversationStatus.NEW, ConversationStatus.RESOLVED):
        conversation.status = ConversationStatus.CLAIMED
        conversation.resolved_at = None
        conversation.purged_at = None  # reopened: what is written from now on falls under retention again
    conversation.updated_at = now
    messages.refresh_parent(session, conversation, now)


def claim(session: Session, conversation: Conversation, agent: Agent, previous_owner: str | None, now: datetime) -> None:
    take(session, conversation, agent, now)
    _audit(session, now, agent.name, "claim", conversation, previous_owner=previous_owner)
    messages.notice(session, conversation, f"conv:{conversation.id}:claim:{agent.id}:{now.timestamp()}",
                    f"Claimed by {agent.name}" + (f" (was {previous_owner})." if previous_owner else "."), now)


def assign(session: Session, conversation: Conversation, target: Agent, by: Agent, previous_owner: str | None,
           now: datetime) -> None:
    take(session, conversation, target, now, by=by)
    _audit(session, now, by.name, "assign", conversation, to=target.name, previous_owner=previous_owner)
    messages.notice(session, conversation, f"conv:{conversation.id}:assign:{target.id}:{now.timestamp()}",
                    f"Assigned to {target.name} by {by.name}.", now, mention_agent=target.id)


def resolve(session: Session, conversation: Conversation, agent: Agent, now: datetime) -> None:
    conversation.status = ConversationStatus.RESOLVED
    conversation.resolved_at = now
    conversation.updated_at = now
    conversation.snoozed_until = None
    clocks.resolved(session, conversation, now)
    _audit(session, now, agent.name, "resolve", conversation)
    messages.notice(session, conversation, f"conv:{conversation.id}:resolve:{now.timestamp()}",
                    f"Resolved by {agent.name}.", now)
    messages.refresh_parent(session, conversation, now)


def reopen(session: Session, conversation: Conversation, agent: Agent, now: datetime) -> None:
    """`/reopen`: a resolved conversation is open again, owned as it was (new when nobody owned it)."""
    conversation.status = _waiting_on_team(conversation)
    conversation.resolved_at = None
    conversation.purged_at = None
    conversation.updated_at = now
    _audit(session, now, agent.name, "reopen", conversation)
    messages.notice(session, conversation, f"conv:{conversation.id}:reopen:{now.timestamp()}",
                    f"Reopened by {agent.name}.", now)
    messages.refresh_parent(session, conversation, now)


def unclaim(session: Session, conversation: Conversation, agent: Agent, previous_owner: str, now: datetime) -> None:
    """`/unclaim`: nobody owns it any more; a claimed conversation is new again (back in the unowned queue)."""
    conversation.assignee_id = None
    if conversation.status == ConversationStatus.CLAIMED:
        conversation.status = ConversationStatus.NEW
    conversation.updated_at = now
    _audit(session, now, agent.name, "unclaim", conversation, previous_owner=previous_owner)
    messages.notice(session, conversation, f"conv:{conversation.id}:unclaim:{now.timestamp()}",
                    f"Unclaimed by {agent.name} (was {previous_owner}'s): it is up for grabs.", now)
    messages.refresh_parent(session, conversation, now)


def spam(session: Session, conversation: Conversation, customer: Customer, agent: Agent, until: datetime,
         now: datetime) -> None:
    """`/spam`: closed as spam, and the customer's posts open no conversation in chat until `until`."""
    conversation.intent = "spam"
    customer.muted_until = until
    if conversation.status != ConversationStatus.RESOLVED:
        conversation.status = ConversationStatus.RESOLVED
        conversation.resolved_at = now
        conversation.snoozed_until = None
        clocks.resolved(session, conversation, now)
    conversation.updated_at = now
    _audit(session, now, agent.name, "spam", conversation, customer_id=customer.id, muted_until=until.isoformat())
    messages.notice(session, conversation, f"conv:{conversation.id}:spam:{now.timestamp()}",
                    f"Marked as spam by {agent.name}: closed, and @{plain(customer.handle)} is muted until "
                    f"{until:%Y-%m-%d %H:%M} UTC.", now)
    messages.refresh_parent(session, conversation, now)


def muted(session: Session, conversation: Conversation, now: datetime) -> None:
    """A new conversation of a muted customer: stored, closed at once as spam, never shown in chat."""
    conversation.status = ConversationStatus.RESOLVED
    conversation.intent = "spam"
    conversation.resolved_at = now
    clocks.resolved(session, conversation, now)
    _audit(session, now, "socialdesk", "spam.muted", conversation, customer_id=conversation.customer_id)


def escalate(session: Session, sla: SlaConfig, conversation: Conversation, escalation: Escalation,
             priority: str | None, mention: str | None, agent: Agent, now: datetime) -> None:
    """Hand it to an expert group: their channel gets the summary thread; with the group's `priority`, the SLA clocks
    take that priority's targets (when it is more pressing), else they keep running as they were."""
    session.add(escalation)
    session.flush()
    switched = priority is not None and raise_priority(session, sla, conversation, priority, now)
    conversation.updated_at = now
    _audit(session, now, agent.name, "escalate", conversation, group=escalation.group, reason=escalation.reason,
           priority=conversation.priority if switched else None)
    policy = f"; the SLA now runs on {conversation.priority} targets" if switched else "; the SLA keeps running"
    messages.notice(session, conversation, f"conv:{conversation.id}:escalate:{escalation.id}",
                    f"Escalated to {escalation.group} by {agent.name}: {plain(escalation.reason)}{policy}.", now)
    messages.expert_thread(session, escalation, mention, now)
    messages.refresh_parent(session, conversation, now)


def deescalate(session: Session, sla: SlaConfig, conversation: Conversation, escalation: Escalation, agent: Agent,
               now: datetime) -> None:
    """Back from the expert group: the priority it had before comes back for the clocks still to start."""
    escalation.ended_at = now
    conversation.priority = escalation.priority_before
    clocks.follow(session, sla, conversation, now)
    conversation.updated_at = now
    _audit(session, now, agent.name, "deescalate", conversation, group=escalation.group)
    messages.notice(session, conversation, f"conv:{conversation.id}:deescalate:{escalation.id}",
                    f"Back from {escalation.group}: de-escalated by {agent.name}.", now)
    messages.refresh_parent(session, conversation, now)


def snooze(session: Session, sla: SlaConfig, conversation: Conversation, until: datetime, agent: Agent,
           now: datetime) -> None:
    """Put it aside until `until`: its SLA clocks pause and it nudges nobody."""
    conversation.status = ConversationStatus.SNOOZED
    conversation.snoozed_until = until
    conversation.updated_at = now
    clocks.follow(session, sla, conversation, now)
    _audit(session, now, agent.name, "snooze", conversation, until=until.isoformat())
    messages.notice(session, conversation, f"conv:{conversation.id}:snooze:{int(now.timestamp())}",
                    f"Snoozed by {agent.name} until {clock_time(until, sla.timezone, now)}: no SLA nudges until then.",
                    now)
    messages.refresh_parent(session, conversation, now)


def end_snooze(session: Session, sla: SlaConfig, conversation: Conversation, agent: Agent, now: datetime) -> None:
    """`/snooze N off`."""
    wake(session, sla, conversation, now, f"Snooze ended by {agent.name}:")
    _audit(session, now, agent.name, "snooze.off", conversation)


def wake(session: Session, sla: SlaConfig, conversation: Conversation, now: datetime, why: str) -> None:
    """End a snooze: back in the queue with its clocks running again, and the thread is told `why`."""
    running = clocks.running(session, conversation.id)
    waiting_on_us = any(c.kind in clocks.RESPONSE for c in running) or conversation.first_responded_at is None
    conversation.status = _waiting_on_team(conversation) if waiting_on_us else ConversationStatus.AWAITING_CUSTOMER
    conversation.snoozed_until = None
    conversation.updated_at = now
    clocks.follow(session, sla, conversation, now, running)
    messages.notice(session, conversation, f"conv:{conversation.id}:snooze:{int(now.timestamp())}:over",
                    f"{why} #{conversation.id} is back in the queue.", now)
    messages.refresh_parent(session, conversation, now)


def wake_due(engine: Engine, sla: SlaConfig, now: datetime, limit: int) -> int:
    """Wake the snoozed conversations whose time is up, oldest first, `limit` at a time; returns how many."""
    with session_scope(engine) as session:
        due = session.exec(
            select(Conversation).where(Conversation.snoozed_until <= now).order_by(Conversation.snoozed_until)
            .limit(limit).with_for_update()
        ).all()
        for conversation in due:
            wake(session, sla, conversation, now, "Snooze over:")
    return len(due)


def reply_published(session: Session, sla: SlaConfig, reply: Reply, external_id: str, url: str,
                    published_at: datetime, now: datetime) -> None:
    """The reply is on the network: the response clock stops and the conversation awaits the customer."""
    conversation = session.get(Conversation, reply.conversation_id)
    agent = session.get(Agent, reply.agent_id)
    reply.status = ReplyStatus.PUBLISHED
    reply.external_id, reply.url, reply.published_at, reply.error = external_id, url, published_at, None
    conversation.first_responded_at = conversation.first_responded_at or published_at
    if conversation.status != ConversationStatus.RESOLVED:
        conversation.status = ConversationStatus.AWAITING_CUSTOMER
        conversation.snoozed_until = None
    conversation.updated_at = now
    clocks.responded(session, sla, conversation, published_at, agent.id, now)
    _audit(session, now, agent.name, "reply.published", conversation,
           reply_id=reply.id, external_id=reply.external_id, url=reply.url, text=reply.text)
    where = "privately" if reply.private else "publicly"
    messages.notice(session, conversation, f"reply:{reply.id}:published",
                    f"Published {where} by {agent.name} at {published_at:%H:%M} UTC.", now, link=reply.url)
    messages.refresh_parent(session, conversation, now)


def reply_failed(session: Session, reply: Reply, error: str, now: datetime) -> None:
    """The network refused the reply for good: its author is told in the thread, the conversation is unchanged."""
    conversation = session.get(Conversation, reply.conversation_id)
    agent = session.get(Agent, reply.agent_id)
    reply.status = ReplyStatus.FAILED
    reply.error = error
    _audit(session, now, agent.name, "reply.failed", conversation, reply_id=reply.id, error=error)
    messages.notice(session, conversation, f"reply:{reply.id}:failed",
                    f"Reply by {agent.name} was NOT published: {error}. Fix it and send it again with "
                    f"`/reply {conversation.id} …`.", now, mention_agent=agent.id)


def _waiting_on_team(conversation: Conversation) -> str:
    return ConversationStatus.CLAIMED if conversation.assignee_id else ConversationStatus.NEW


def _audit(session: Session, now: datetime, actor: str, action: str, conversation: Conversation, **detail) -> None:
    session.add(AuditEvent(at=now, actor=actor, action=action, conversation_id=conversation.id, detail=detail))
