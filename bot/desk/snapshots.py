"""The conversation as chat shows it now: views built from the database at delivery time."""
from __future__ import annotations

from sqlmodel import Session, func, select

from bot.views import ConversationView, CustomerPost, IncidentSample, IncidentView
from storage.models import Agent, Conversation, ConversationStatus, Customer, Incident, Post, SuggestionSet
from storage.queries import first_post

SHOWN_PHRASINGS, SHOWN_SAMPLES = 3, 3


def conversation_view(session: Session, conversation: Conversation, platform: str) -> ConversationView:
    post = first_post(session, conversation.id)
    customer = session.get(Customer, conversation.customer_id)
    owner = session.get(Agent, conversation.assignee_id) if conversation.assignee_id else None
    owner_chat_id = getattr(owner, f"{platform}_user_id", None) if owner else None
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
    )


def customer_post_view(session: Session, post: Post) -> CustomerPost:
    customer = session.get(Customer, post.customer_id)
    return CustomerPost(
        number=post.conversation_id, author_handle=customer.handle, url=post.url, text=post.text, has_pii=bool(post.pii)
    )


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
        suggestion=suggestion[0]["text"] if suggestion else None,
    )
