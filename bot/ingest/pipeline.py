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
    """Store `inbound` and queue what chat must show. Returns None for a duplicate or the brand's own post."""
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
    """Who wrote `inbound`: the customer with the network's account id when the post carries one (the handle is a
    label its owner can change), else the one with the handle. A row from before account ids gets the id; a renamed
    customer gets the new handle, and a row still holding that handle from before (someone who gave it up) gets
    its account id as its label, so one person stays one customer with their history and two never merge."""
    author, network = inbound.author, inbound.network
    by_handle = select(Customer).where(Customer.network == network, Customer.handle == author.handle)
    customer = None
    if author.account_id:
        by_account = select(Customer).where(Customer.network == network, Customer.account_id == author.account_id)
        customer = session.exec(by_account).first()
        if customer is None:
            customer = session.exec(by_handle.where(Customer.account_id.is_(None))).first()
    else:
        customer = session.exec(by_handle).first()
    if customer is None:
        customer = Customer(network=network, handle=author.handle, created_at=now)
    customer.account_id = customer.account_id or author.account_id
    if customer.id is None or customer.handle != author.handle:
        others = by_handle.where(Customer.id != customer.id) if customer.id else by_handle
        for holder in session.exec(others).all():
            holder.handle = holder.account_id or f"{holder.handle} (until {now:%Y-%m-%d})"
        session.flush()
        customer.handle = author.handle
        session.add(customer)
    customer.display_name = author.name or customer.display_name
    if author.followers is not None:
        customer.followers = author.followers
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
