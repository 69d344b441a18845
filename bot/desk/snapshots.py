"""The conversation as chat shows it now: views built from the database at delivery time."""
from __future__ import annotations

from sqlmodel import Session

from bot.views import ConversationView, CustomerPost
from storage.models import Agent, Conversation, Customer, Post
from storage.queries import first_post


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
