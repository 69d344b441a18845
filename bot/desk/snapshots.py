"""The conversation as chat shows it now: views built from the database at delivery time."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, func, select

from bot.desk import customers, tags
from bot.settings import DeskConfig
from bot.views import ApprovalRequest, ConversationView, CustomerPost, EscalationSummary, IncidentSample, IncidentView
from bot.vocabulary import network_name
from bot.wording import span
from storage.models import (
    Agent,
    Conversation,
    ConversationStatus,
    Customer,
    Escalation,
    Incident,
    Post,
    Reply,
    ReplyStatus,
    SuggestionSet,
)
from storage.queries import first_post

COMPOSING_FOR = timedelta(minutes=15)  # a Reply… modal open longer than this (closed without telling us) is forgotten
SUMMARY_POSTS, SUMMARY_NOTES, SUMMARY_CHARS = 5, 5, 600  # what an escalation summary shows, to stay short
SHOWN_PHRASINGS, SHOWN_SAMPLES = 3, 3  # what an incident's message shows


def conversation_view(session: Session, conversation: Conversation, platform: str, config: DeskConfig | None = None,
                      now: datetime | None = None) -> ConversationView:
    """`config` and `now` add what needs them (suggested tags, how long things have waited)."""
    post = first_post(session, conversation.id)
    customer = session.get(Customer, conversation.customer_id)
    owner = session.get(Agent, conversation.assignee_id) if conversation.assignee_id else None
    owner_chat_id = getattr(owner, f"{platform}_user_id", None) if owner else None
    now = now or conversation.updated_at
    have = tags.of(session, conversation.id)
    suggested = tags.suggested(config.tags, conversation, post.text) if config else []
    return ConversationView(
        number=conversation.id,
        network=conversation.network,
        author_handle=customer.handle,
        author_name=customer.display_name,
        url=post.url,
        text=post.text,
        language=conversation.language,
        sentiment=conversation.sentiment,
        intent=conversation.intent,
        priority=conversation.priority,
        status=conversation.status,
        due_at=conversation.response_due_at,
        owner_name=owner.name if owner else None,
        owner_chat_id=owner_chat_id,
        has_pii=conversation.has_pii,
        snoozed_until=conversation.snoozed_until,
        history=customers.past(session, conversation).describe(now),
        tags=tuple(have),
        suggested_tags=tuple(t for t in suggested if t not in have),
        composing=_composer(session, conversation, now),
        awaiting_approval=_awaiting_approval(session, conversation.id, now),
        escalated_to=_escalated_to(session, conversation.id),
    )


def customer_post_view(session: Session, post: Post) -> CustomerPost:
    customer = session.get(Customer, post.customer_id)
    return CustomerPost(
        number=post.conversation_id, author_handle=customer.handle, url=post.url, text=post.text, has_pii=bool(post.pii)
    )


def approval_request_view(session: Session, reply: Reply) -> ApprovalRequest:
    author = session.get(Agent, reply.agent_id)
    decided = None
    if reply.status != ReplyStatus.AWAITING_APPROVAL:
        reviewer = session.get(Agent, reply.reviewed_by_id) if reply.reviewed_by_id else None
        verb = "Rejected" if reply.status == ReplyStatus.REJECTED else "Approved"
        decided = f"{verb} by {reviewer.name}" if reviewer else verb
    return ApprovalRequest(number=reply.conversation_id, reply_id=reply.id, author=author.name, text=reply.text,
                           reasons=reply.approval_reason or "", decided=decided)


def escalation_summary_view(session: Session, escalation: Escalation, mention_group_id: str | None,
                            now: datetime) -> EscalationSummary:
    conversation = session.get(Conversation, escalation.conversation_id)
    customer = session.get(Customer, conversation.customer_id)
    by = session.get(Agent, escalation.by_agent_id)
    handles = [f"@{c.handle} on {network_name(c.network)}" + (f" ({c.display_name})" if c.display_name else "")
               for c in customers.handles(session, customer)]
    notes = [f"{n.author}: {_short(n.text)}" for n in customers.notes(session, customer)[-SUMMARY_NOTES:]]
    posts = session.exec(select(Post).where(Post.conversation_id == conversation.id).order_by(Post.id.desc())
                         .limit(SUMMARY_POSTS)).all()
    return EscalationSummary(
        number=conversation.id, group=escalation.group, reason=_short(escalation.reason), by=by.name,
        customer=", ".join(handles), history=customers.past(session, conversation).describe(now), notes=tuple(notes),
        posts=tuple(CustomerPost(number=conversation.id, author_handle=customer.handle, url=p.url, text=_short(p.text),
                                 has_pii=bool(p.pii)) for p in reversed(posts)),
        mention_group_id=mention_group_id,
    )


def _short(text: str) -> str:
    return text if len(text) <= SUMMARY_CHARS else text[:SUMMARY_CHARS].rsplit(" ", 1)[0] + " …"


def _composer(session: Session, conversation: Conversation, now: datetime) -> str | None:
    if not conversation.composing_agent_id or conversation.composing_since + COMPOSING_FOR < now:
        return None
    agent = session.get(Agent, conversation.composing_agent_id)
    return agent.name if agent else None


def _awaiting_approval(session: Session, conversation_id: int, now: datetime) -> str | None:
    waiting = session.exec(select(Reply).where(Reply.conversation_id == conversation_id,
                                               Reply.status == ReplyStatus.AWAITING_APPROVAL).order_by(Reply.id)).first()
    if waiting is None:
        return None
    author = session.get(Agent, waiting.agent_id)
    return f"{author.name}'s reply, waiting {span(now - waiting.created_at)} for a lead"


def _escalated_to(session: Session, conversation_id: int) -> str | None:
    found = session.exec(select(Escalation.group).where(Escalation.conversation_id == conversation_id,
                                                        Escalation.ended_at.is_(None)).order_by(Escalation.id.desc())).first()
    return found


def incident_view(session: Session, incident: Incident) -> IncidentView:
    """The incident now: counts by the database, the top phrasings, the latest customers' posts as samples."""
    of_incident = Conversation.incident_id == incident.id
    by_network = session.exec(select(Conversation.network, func.count()).where(of_incident)
                              .group_by(Conversation.network).order_by(func.count().desc(), Conversation.network)).all()
    total, still_open, answered, first_at, last_at, due_at = session.exec(select(
        func.count(), func.count().filter(Conversation.status.in_(ConversationStatus.OPEN)),
        func.count(Conversation.first_responded_at), func.min(Conversation.opened_at), func.max(Conversation.opened_at),
        func.min(Conversation.response_due_at).filter(Conversation.status.in_(ConversationStatus.OPEN)),
    ).where(of_incident)).one()
    first_posts = (select(func.min(Post.id)).join(Conversation, Conversation.id == Post.conversation_id)
                   .where(of_incident).group_by(Post.conversation_id).order_by(Post.conversation_id.desc())
                   .limit(SHOWN_SAMPLES))
    samples = session.exec(select(Post, Customer).join(Customer, Customer.id == Post.customer_id)
                           .where(Post.id.in_(first_posts)).order_by(Post.id.desc())).all()
    made = session.exec(select(SuggestionSet.suggestions).join(Conversation, Conversation.id == SuggestionSet.conversation_id)
                        .where(of_incident).order_by(SuggestionSet.id).limit(SHOWN_SAMPLES)).all()
    suggestion = next((texts for texts in made if texts), None)
    phrasings = sorted(incident.phrasings, key=lambda p: -p["count"])[:SHOWN_PHRASINGS]
    return IncidentView(
        number=incident.id, status=incident.status, conversations=total, open_conversations=still_open,
        answered=answered, phrasings=tuple((p["text"], p["count"]) for p in phrasings),
        networks=tuple((network, count) for network, count in by_network),
        samples=tuple(IncidentSample(number=post.conversation_id, network=post.network, author_handle=customer.handle,
                                     url=post.url, text=post.text) for post, customer in samples),
        first_at=first_at or incident.opened_at, last_at=last_at or incident.updated_at, due_at=due_at,
        suggestion=suggestion[0]["text"] if suggestion else None, merged_into=incident.merged_into_id,
    )
