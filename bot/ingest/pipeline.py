"""Ingest: normalized post -> dedupe -> conversation -> enrich -> store -> outbox.

Everything happens in one transaction, so a post is either fully stored with its outbox
entries or not at all; ingesting the same post twice is a no-op.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot.desk import customers, lifecycle, messages
from bot.enrich import enrich
from bot.ingest.normalise import normalised
from bot.settings import DeskConfig
from bot.sources.base import InboundPost
from bot.suggest import requests
from bot.vocabulary import outranks
from storage.models import Conversation, ConversationStatus, Customer, Post


@dataclass(frozen=True)
class Ingested:
    post_id: int
    conversation_id: int
    opened: bool


def is_brand_author(config: DeskConfig, handle: str) -> bool:
    own = {h.lstrip("@").lower() for h in config.brand.handles}
    return handle.lstrip("@").lower() in own


def ingest(session: Session, config: DeskConfig, source_name: str, inbound: InboundPost, now) -> Ingested | None:
    """Store `inbound` and queue what chat must show. Returns None for a duplicate or the brand's own post.

    Raises NotStorable (bot/ingest/normalise.py), or the database's error, for a post that cannot be stored."""
    inbound = normalised(inbound, now)
    if is_brand_author(config, inbound.author.handle):
        return None
    if _already_stored(session, inbound):
        return None
    try:
        with session.begin_nested():
            result = _store(session, config, source_name, inbound, now)
    except IntegrityError:
        return None  # another worker stored it between our check and our insert
    return result


def _already_stored(session: Session, inbound: InboundPost) -> bool:
    query = select(Post.id).where(Post.network == inbound.network, Post.external_id == inbound.external_id)
    return session.exec(query).first() is not None


def _store(session: Session, config: DeskConfig, source_name: str, inbound: InboundPost, now) -> Ingested:
    customer = _customer(session, inbound, now)
    found = enrich(inbound.text, followers=inbound.author.followers)
    conversation = _open_conversation(session, inbound, customer.id)
    opened = conversation is None
    muted = opened and customers.is_muted(customer, now)
    written = min(inbound.created_at, now)  # SLA clocks start when the customer wrote (never in the future)
    if opened:
        route = config.route_for(source_name, found.priority)
        conversation = Conversation(
            source_name=source_name,
            network=inbound.network,
            thread_root_id=inbound.thread_root_id,
            customer_id=customer.id,
            priority=found.priority,
            sentiment=found.sentiment,
            intent=found.intent,
            language=found.language,
            has_pii=bool(found.pii),
            opened_at=now,
            updated_at=now,
            chat_platform=route.platform,
            chat_channel=route.channel,
        )
        session.add(conversation)
        session.flush()
        lifecycle.opened(session, config.sla, conversation, written)
        if muted:
            lifecycle.muted(session, conversation, now)
    else:
        _absorb(session, config, conversation, found, written, now)
    post = Post(
        source_name=source_name,
        network=inbound.network,
        external_id=inbound.external_id,
        url=inbound.url,
        kind=inbound.kind,
        customer_id=customer.id,
        conversation_id=conversation.id,
        text=inbound.text,
        language=found.language,
        sentiment=found.sentiment,
        intent=found.intent,
        priority=found.priority,
        pii=[asdict(match) for match in found.pii],
        reply_to_id=inbound.reply_to_id,
        thread_root_id=inbound.thread_root_id,
        created_at=inbound.created_at,
        ingested_at=now,
        raw=_jsonable(inbound.raw),
    )
    session.add(post)
    session.flush()
    if muted:
        return Ingested(post_id=post.id, conversation_id=conversation.id, opened=opened)  # muted (/spam): stored only
    if opened:
        messages.open_conversation(session, conversation, post, now)
    else:
        messages.customer_post(session, conversation, post, now)
        messages.refresh_parent(session, conversation, now)
    if found.intent != "spam":
        requests.suggestions(session, conversation, post, now)
    return Ingested(post_id=post.id, conversation_id=conversation.id, opened=opened)


def _customer(session: Session, inbound: InboundPost, now) -> Customer:
    query = select(Customer).where(Customer.network == inbound.network, Customer.handle == inbound.author.handle)
    customer = session.exec(query).first()
    if customer is None:
        customer = Customer(network=inbound.network, handle=inbound.author.handle, created_at=now)
        session.add(customer)
    customer.display_name = inbound.author.name or customer.display_name
    if inbound.author.followers is not None:
        customer.followers = inbound.author.followers
    session.flush()
    return customer


def _open_conversation(session: Session, inbound: InboundPost, customer_id: int) -> Conversation | None:
    """The open conversation this post continues: the same social thread and customer.

    A private message continues the customer's latest open conversation on the network, so a
    public thread moved to DMs stays one conversation with one owner and one SLA clock."""
    query = (
        select(Conversation)
        .where(
            Conversation.network == inbound.network,
            Conversation.customer_id == customer_id,
            Conversation.status.in_(ConversationStatus.OPEN),
        )
    )
    same_thread = query.where(Conversation.thread_root_id == inbound.thread_root_id).order_by(Conversation.id.desc())
    found = session.exec(same_thread).first()
    if found is None and inbound.kind == "direct":
        found = session.exec(query.order_by(Conversation.updated_at.desc(), Conversation.id.desc())).first()
    return found


def _absorb(session: Session, config: DeskConfig, conversation: Conversation, found, written, now) -> None:
    """A later post of the customer: the ball is back in the team's court, maybe more urgently."""
    priority_before = conversation.priority
    if outranks(found.priority, conversation.priority):
        conversation.priority = found.priority
    if found.sentiment == "negative":
        conversation.sentiment = "negative"
    conversation.has_pii = conversation.has_pii or bool(found.pii)
    lifecycle.customer_wrote(session, config.sla, conversation, written, now, priority_before)


def _jsonable(raw: dict) -> dict:
    import json

    return json.loads(json.dumps(raw, default=str))
