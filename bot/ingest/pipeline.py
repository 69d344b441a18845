"""Ingest: normalized post -> dedupe -> conversation -> enrich -> store -> outbox.

Everything happens in one transaction, so a post is either fully stored with its outbox
entries or not at all; ingesting the same post twice is a no-op.

`ingest_page` stores a page at once with the rows `ingest` would leave post by post: most of
the cost of a post was SQLAlchemy's per-statement work (14 statements a post), so a page reads
its duplicates, customers, open conversations and running clocks in one query each, inserts its
new conversations and posts together and queues its outbox entries in one lookup and one insert.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy import ARRAY, String, func, literal, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot.delivery import queue
from bot.desk import customers as customers_desk
from bot.desk import lifecycle, messages
from bot.enrich import Enrichment, enrich
from bot.ingest.ahead import EMPTY, Enriched
from bot.ingest.normalise import normalised
from bot.settings import DeskConfig
from bot.sla import clocks
from bot.sources.base import InboundPost
from bot.suggest import requests
from bot.vocabulary import outranks
from storage import bulk
from storage.models import Conversation, ConversationStatus, Customer, Post

# what following the clocks may change in a conversation (opened: its due times; continued: `_absorb`)
_FOLLOWED = ("priority", "sentiment", "has_pii", "status", "updated_at", "response_due_at", "first_response_due_at")


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
    if _already_stored(session, [inbound]):
        return None
    try:
        with session.begin_nested():
            (result,) = _store(session, config, source_name, [inbound], now)
    except IntegrityError:
        return None  # another worker stored it between our check and our insert
    return result


def ingest_page(session: Session, config: DeskConfig, source_name: str, posts: list[InboundPost],
                now, enriched: Enriched = EMPTY) -> list[Ingested | None]:
    """`ingest` for a whole page at once, with the same rows as post by post (one result per post, None for a
    duplicate or the brand's own): one query each for duplicates, customers and open conversations, the posts
    inserted together, the outbox entries queued in one lookup and one insert. Raises on any post that cannot be
    stored; the caller then goes post by post. `enriched`: the posts' enrichment, when a worker found it already
    (bot/ingest/ahead.py)."""
    page = [normalised(inbound, now) for inbound in posts]
    stored, seen = _already_stored(session, page), set()
    fresh = []
    for index, inbound in enumerate(page):
        key = (inbound.network, inbound.external_id)
        if not is_brand_author(config, inbound.author.handle) and key not in stored and key not in seen:
            seen.add(key)
            fresh.append((index, inbound))
    results: list[Ingested | None] = [None] * len(page)
    if not fresh:
        return results
    for (index, _), result in zip(fresh, _store(session, config, source_name, [p for _, p in fresh], now, enriched),
                                  strict=True):
        results[index] = result
    return results


def _already_stored(session: Session, posts: list[InboundPost]) -> set[tuple[str, str]]:
    """(network, external id) of those of `posts` already stored."""
    if not posts:
        return set()
    wanted = {(p.network, p.external_id) for p in posts}
    found = set()
    for network in {network for network, _ in wanted}:
        ids = sorted(external_id for on, external_id in wanted if on == network)
        if session.get_bind().dialect.name == "postgresql":
            # joined with the page's ids: with `IN (…)`, the plan PostgreSQL chose from a young table's statistics
            # read every id of the network for each page (3 ms a page, then 160 ms at 10,000 posts); this stays
            # at 2-3 ms (bench/ingest.py)
            listed = func.unnest(literal(ids, ARRAY(String))).table_valued("id").render_derived(name="listed")
            query = select(Post.network, Post.external_id).join(listed, Post.external_id == listed.c.id)
        else:
            query = select(Post.network, Post.external_id).where(Post.external_id.in_(ids))
        found.update(tuple(row) for row in session.exec(query.where(Post.network == network)))
    return found


@dataclass
class _Placed:
    """A post on its way into storage: its conversation, whether it opened it, what enrichment found."""

    inbound: InboundPost
    customer: Customer
    conversation: Conversation
    opened: bool
    muted: bool
    found: Enrichment
    post_id: int | None = None


def _store(session: Session, config: DeskConfig, source_name: str, posts: list[InboundPost], now,
           enriched: Enriched = EMPTY) -> list[Ingested]:
    """Store `posts` (none a duplicate), in order: each finds its conversation or opens one (the new ones inserted
    together), then the SLA clocks follow, post by post, then all posts are inserted together, then what chat must
    show is queued, post by post."""
    customers = _customers(session, posts, now)
    open_ones = _OpenConversations(session, [c.id for c in customers.values()], now)
    placed = [_place(config, source_name, inbound, customers, open_ones, now, enriched) for inbound in posts]
    bulk.add_all(session, [item.conversation for item in placed if item.opened])
    with clocks.kept(session, open_ones.ids()):
        for item in placed:
            _follow_clocks(session, config, item, now)
    bulk.write(session, [item.conversation for item in placed], _FOLLOWED)
    for item, post_id in zip(placed, bulk.insert_returning(session.connection(), Post.__table__,
                                                   [_post_row(source_name, item, now) for item in placed]),
                             strict=True):
        item.post_id = post_id
    with queue.batched(session):
        messages.updates_waiting(session, [item.conversation.id for item in placed if not item.opened])
        for item in placed:
            _queue_chat(session, item, now)
    return [Ingested(post_id=item.post_id, conversation_id=item.conversation.id, opened=item.opened) for item in placed]


def _place(config: DeskConfig, source_name: str, inbound: InboundPost, customers: dict[tuple[str, str], Customer],
           open_ones: _OpenConversations, now, enriched: Enriched) -> _Placed:
    """The post enriched, and its conversation: continued or opened (not inserted yet: the page's are inserted
    together)."""
    customer = customers[(inbound.network, inbound.author.handle)]
    found = enriched.get((inbound.text, inbound.author.followers)) or enrich(inbound.text,
                                                                            followers=inbound.author.followers)
    conversation = open_ones.continued(inbound, customer.id)
    opened = conversation is None
    muted = opened and customers_desk.is_muted(customer, now)
    if opened:
        conversation = _open(config, source_name, inbound, customer, found, now)
        if not muted:  # a muted customer's conversation is resolved at once: their next post opens another
            open_ones.add(conversation)
    return _Placed(inbound, customer, conversation, opened, muted, found)


def _follow_clocks(session: Session, config: DeskConfig, item: _Placed, now) -> None:
    written = min(item.inbound.created_at, now)  # SLA clocks start when the customer wrote (never in the future)
    if not item.opened:
        _absorb(session, config, item.conversation, item.found, written, now)
        return
    lifecycle.opened(session, config.sla, item.conversation, written)
    if item.muted:
        lifecycle.muted(session, item.conversation, now)


def _open(config: DeskConfig, source_name: str, inbound: InboundPost, customer: Customer, found: Enrichment,
          now) -> Conversation:
    route = config.route_for(source_name, found.priority)
    return Conversation(
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


def _post_row(source_name: str, item: _Placed, now) -> dict:
    """The post's row, for a Core insert: a page's posts are inserted in one statement, and nothing reads them back
    as objects."""
    inbound, found = item.inbound, item.found
    return dict(
        source_name=source_name,
        network=inbound.network,
        external_id=inbound.external_id,
        url=inbound.url,
        kind=inbound.kind,
        customer_id=item.customer.id,
        conversation_id=item.conversation.id,
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


def _queue_chat(session: Session, item: _Placed, now) -> None:
    """What chat must show of a stored post; nothing for a muted customer's (/spam: stored only)."""
    if item.muted:
        return
    if item.opened:
        messages.open_conversation(session, item.conversation, item.post_id, now)
    else:
        messages.customer_post(session, item.conversation, item.post_id, now)
        messages.refresh_parent(session, item.conversation, now)
    if item.found.intent != "spam":
        requests.suggestions(session, item.conversation, item.post_id, now)


def _customers(session: Session, posts: list[InboundPost], now) -> dict[tuple[str, str], Customer]:
    """The customer of each post's author (`_customer`), by (network, handle) as the posts name them: the page's
    known customers read in one query (by account id and by handle), the new ones inserted together."""
    handles = {(p.network, p.author.handle) for p in posts}
    accounts = {(p.network, p.author.account_id) for p in posts if p.author.account_id}
    query = select(Customer).where(Customer.network.in_({network for network, _ in handles}), or_(
        Customer.handle.in_({handle for _, handle in handles}),
        Customer.account_id.in_({account for _, account in accounts})))
    rows = session.exec(query).all()
    by_account = {(c.network, c.account_id): c for c in rows if (c.network, c.account_id) in accounts}
    by_handle = {(c.network, c.handle): c for c in rows}
    new: list[Customer] = []
    found = {(inbound.network, inbound.author.handle): _customer(session, inbound, now, by_account, by_handle, new)
             for inbound in posts}
    session.flush()  # the known customers' changes first: a new one may take the handle one of them gave up
    bulk.add_all(session, new)
    return found


def _customer(session: Session, inbound: InboundPost, now, by_account: dict[tuple[str, str], Customer],
              by_handle: dict[tuple[str, str], Customer], new: list[Customer]) -> Customer:
    """Who wrote `inbound`: the customer with the network's account id when the post carries one (the handle is a
    label its owner can change), else the one with the handle. A row from before account ids gets the id; a renamed
    customer gets the new handle, and a row still holding that handle from before (someone who gave it up) gets
    its account id as its label, so one person stays one customer with their history and two never merge.
    `by_account` and `by_handle` are the page's customers, which a new one joins; `new` the new ones, to insert."""
    author, network = inbound.author, inbound.network
    customer = by_account.get((network, author.account_id)) if author.account_id else None
    holder = by_handle.get((network, author.handle))
    if customer is None and holder is not None and (not author.account_id or holder.account_id is None):
        customer = holder
    if holder is not None and holder is not customer:  # someone who gave the handle up
        holder.handle = holder.account_id or f"{holder.handle} (until {now:%Y-%m-%d})"
        session.flush()  # before the handle is taken: it is unique per network
    if customer is None:
        customer = Customer(network=network, handle=author.handle, created_at=now)
        new.append(customer)
    if by_handle.get((network, customer.handle)) is customer:  # renamed: the old handle is free
        del by_handle[(network, customer.handle)]
    customer.handle = author.handle
    if author.account_id and customer.account_id is None:
        customer.account_id = author.account_id
        by_account[(network, author.account_id)] = customer
    by_handle[(network, author.handle)] = customer
    customer.display_name = author.name or customer.display_name
    if author.followers is not None:
        customer.followers = author.followers
    return customer


class _OpenConversations:
    """The open conversations of a page's customers, read in one query and kept current while the page is placed:
    the conversations it opens join them, and those it continues become the most recently updated."""

    def __init__(self, session: Session, customer_ids: list[int], now) -> None:
        query = select(Conversation).where(bulk.among(session, Conversation.customer_id, set(customer_ids)),
                                           Conversation.status.in_(ConversationStatus.OPEN)).order_by(Conversation.id)
        self._now = now
        self._by_customer: dict[int, list[Conversation]] = {}
        self._order: dict[int, int] = {}  # id() of each conversation -> its place by database id, new ones last
        self._updated: dict[int, object] = {}  # id() -> updated_at, `now` for those opened or continued in the page
        for conversation in session.exec(query):
            self.add(conversation, conversation.updated_at)

    def ids(self) -> list[int]:
        return [c.id for conversations in self._by_customer.values() for c in conversations]

    def add(self, conversation: Conversation, updated_at=None) -> None:
        self._by_customer.setdefault(conversation.customer_id, []).append(conversation)
        self._order[id(conversation)] = len(self._order)
        self._updated[id(conversation)] = updated_at or self._now

    def continued(self, inbound: InboundPost, customer_id: int) -> Conversation | None:
        """The open conversation this post continues: the same social thread and customer.

        A private message continues the customer's latest open conversation on the network, so a
        public thread moved to DMs stays one conversation with one owner and one SLA clock."""
        candidates = [c for c in self._by_customer.get(customer_id, ()) if c.network == inbound.network]
        same_thread = [c for c in candidates if c.thread_root_id == inbound.thread_root_id]
        found = max(same_thread, key=self._newest, default=None)
        if found is None and inbound.kind == "direct":
            found = max(candidates, key=self._latest, default=None)
        if found is not None:
            self._updated[id(found)] = self._now
        return found

    def _newest(self, conversation: Conversation) -> int:
        return self._order[id(conversation)]

    def _latest(self, conversation: Conversation) -> tuple:
        return self._updated[id(conversation)], self._order[id(conversation)]


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
