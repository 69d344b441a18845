"""A page stored at once leaves exactly the rows that storing it post by post leaves: posts, conversations,
customers, outbox entries, SLA clocks and the audit log, on SQLite and PostgreSQL."""
from __future__ import annotations

import re
import uuid
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import Session, select

from bot.desk import lifecycle
from bot.ingest import stream
from bot.ingest.stream import store_posts
from bot.sla import clocks
from storage.db import session_scope
from storage.models import (
    Agent,
    AuditEvent,
    Conversation,
    ConversationStatus,
    Customer,
    OutboxEntry,
    Post,
    SlaClock,
)
from tests.auxil import factories
from tests.auxil.desk import feed, make_runtime


@pytest.fixture
def twin_urls(db_url, request, tmp_path):
    """Two empty databases of the same kind."""
    if db_url.startswith("sqlite"):
        yield db_url, f"sqlite:///{tmp_path / 'twin.db'}"
        return
    admin_url = request.getfixturevalue("postgres_admin_url")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'create schema "{schema}"'))
    yield db_url, f"{admin_url}?options=-csearch_path%3D{schema}"
    with admin.connect() as connection:
        connection.execute(text(f'drop schema "{schema}" cascade'))
    admin.dispose()


def dm(post, thread: str):
    return replace(post, kind="direct", thread_root_id=thread)


BEFORE = [
    factories.post("@acme my parcel is lost", handle="carla", external_id="old-carla"),
    factories.post("@acme the app logs me out", handle="dan", external_id="old-dan"),
    factories.post("@acme refund please", handle="eve", external_id="old-eve"),
    factories.post("@acme my voucher does not work", handle="hal", external_id="old-hal"),
]
PAGE = [
    factories.post("@acme my invoice is wrong, charged twice", handle="ana", external_id="ana-1"),
    factories.post("@acme my invoice is wrong, charged twice", handle="ana", external_id="ana-1"),  # twice in the page
    factories.post("@acme my parcel is lost", handle="carla", external_id="old-carla"),  # stored before
    factories.post("@acme hello?? still wrong", handle="ana", external_id="ana-2", thread_root="ana-1", reply_to="ana-1"),
    factories.post("We're on it, Ana!", handle="ACME", external_id="brand-1", thread_root="ana-1"),  # the brand's own
    dm(factories.post("my order number is 4411", handle="carla", external_id="carla-dm"), "dm-carla"),  # wakes a snooze
    factories.post("@acme still logged out", handle="dan", external_id="dan-2", thread_root="old-dan"),  # awaiting
    factories.post("@acme give me money", handle="eve", external_id="eve-2"),  # muted: stored, resolved at once
    factories.post("@acme give me money NOW", handle="eve", external_id="eve-3", thread_root="eve-2"),
    dm(factories.post("hi, a question about shipping", handle="frank", external_id="frank-1"), "dm-frank-1"),
    dm(factories.post("to Canada, I mean", handle="frank", external_id="frank-2"), "dm-frank-2"),  # continues frank-1
    factories.post("@acme is the app down? it crashes on start", handle="gus", external_id="gus-1"),
    factories.post("@acme the new voucher fails too", handle="hal", external_id="hal-2", thread_root="old-hal"),  # answered
    factories.post("@acme and the third one", handle="hal", external_id="hal-3", thread_root="old-hal"),
]


def prepare(url: str, tmp_path):
    """A desk with carla's conversation snoozed, dan's awaiting his answer, eve muted (/spam) and hal answered (his
    next post starts a next-response clock)."""
    runtime, _, clock = make_runtime(url, tmp_path)
    carla, dan, eve, hal = feed(runtime, *BEFORE)
    now = clock.now()
    with session_scope(runtime.engine) as session:
        jane = session.exec(select(Agent).where(Agent.name == "Jane Doe")).one()
        lifecycle.snooze(session, runtime.config.sla, session.get(Conversation, carla.conversation_id),
                         now + timedelta(hours=4), jane, now)
        session.get(Conversation, dan.conversation_id).status = ConversationStatus.AWAITING_CUSTOMER
        spammer = session.get(Conversation, eve.conversation_id)
        spammer.status = ConversationStatus.RESOLVED
        session.get(Customer, spammer.customer_id).muted_until = now + timedelta(days=30)
        clocks.responded(session, runtime.config.sla, session.get(Conversation, hal.conversation_id), now, jane.id, now)
    clock.advance(timedelta(minutes=5))
    return runtime


def rows(runtime) -> dict[str, list]:
    def plain(row) -> dict:
        return {k: v for k, v in row.model_dump().items()}

    random_part = re.compile(r"[0-9a-f]{32}")
    with Session(runtime.engine) as session:
        return {
            "posts": [plain(r) for r in session.exec(select(Post).order_by(Post.id))],
            "conversations": [plain(r) for r in session.exec(select(Conversation).order_by(Conversation.id))],
            "customers": [plain(r) for r in session.exec(select(Customer).order_by(Customer.id))],
            "clocks": [plain(r) for r in session.exec(select(SlaClock).order_by(SlaClock.id))],
            "audit": sorted((r.conversation_id or 0, r.action, r.actor, repr(r.detail))
                            for r in session.exec(select(AuditEvent))),
            "outbox": sorted((random_part.sub("*", r.key), r.kind, r.target, r.conversation_id or 0, repr(r.payload),
                              r.status, r.available_at) for r in session.exec(select(OutboxEntry))),
        }


def test_a_page_at_once_stores_the_same_rows_as_post_by_post(twin_urls, tmp_path, monkeypatch):
    page_url, one_by_one_url = twin_urls
    at_once = prepare(page_url, tmp_path / "page")
    one_by_one = prepare(one_by_one_url, tmp_path / "posts")

    with session_scope(at_once.engine) as session:
        new_at_once = store_posts(session, at_once.config, "replay", PAGE, at_once.clock.now())

    def refused(*args):
        raise RuntimeError("page refused: store post by post")

    monkeypatch.setattr(stream, "ingest_page", refused)
    with session_scope(one_by_one.engine) as session:
        new_one_by_one = store_posts(session, one_by_one.config, "replay", PAGE, one_by_one.clock.now())

    assert new_at_once == new_one_by_one == 11
    expected, found = rows(one_by_one), rows(at_once)
    for table in expected:
        assert found[table] == expected[table], table
    by_id = {p["external_id"]: p for p in found["posts"]}
    conversations = {c["id"]: c for c in found["conversations"]}
    assert by_id["ana-2"]["conversation_id"] == by_id["ana-1"]["conversation_id"]
    assert by_id["frank-2"]["conversation_id"] == by_id["frank-1"]["conversation_id"]
    assert by_id["carla-dm"]["conversation_id"] == by_id["old-carla"]["conversation_id"]
    assert conversations[by_id["carla-dm"]["conversation_id"]]["status"] == ConversationStatus.NEW  # woken
    assert by_id["dan-2"]["conversation_id"] == by_id["old-dan"]["conversation_id"]
    assert by_id["eve-3"]["conversation_id"] != by_id["eve-2"]["conversation_id"]
    assert conversations[by_id["eve-3"]["conversation_id"]]["status"] == ConversationStatus.RESOLVED
    assert "brand-1" not in by_id
    hal = by_id["hal-2"]["conversation_id"]
    assert by_id["hal-3"]["conversation_id"] == hal
    assert [(c["kind"], c["cycle"], c["stopped_at"] is None) for c in found["clocks"] if c["conversation_id"] == hal] == [
        ("first", 0, False), ("resolution", 0, True), ("next", 1, True)]
    for runtime in (at_once, one_by_one):
        runtime.engine.dispose()


def test_a_page_with_nothing_new_is_stored_at_once(db_url, tmp_path):
    from bot.ingest.pipeline import ingest_page

    runtime = prepare(db_url, tmp_path)
    with session_scope(runtime.engine) as session:
        assert ingest_page(session, runtime.config, "replay", [*BEFORE, PAGE[4]], runtime.clock.now()) == [None] * 5
        assert ingest_page(session, runtime.config, "replay", [], runtime.clock.now()) == []
    runtime.engine.dispose()
