"""Retention: old resolved conversations lose what the customer wrote; the figures keep what they need."""
from datetime import timedelta

from sqlalchemy import update
from sqlmodel import Session, func, select

from bot.reports.retention import OUTBOX_KEPT, PURGED_TEXT, forget_delivered, purge
from bot.settings import RetentionConfig
from handlers import dispatch
from handlers.context import Actor, Request
from storage.db import session_scope
from storage.models import Conversation, Note, OutboxEntry, Post, SlaClock
from tests.auxil import factories
from tests.auxil.desk import feed, make_runtime

SAM = Actor("slack", "USAM")
RETENTION = RetentionConfig(resolved_after=timedelta(days=90))


async def test_resolved_conversations_past_retention_lose_texts_and_notes_but_not_figures(db_url, tmp_path):
    runtime, _, clock = make_runtime(db_url, tmp_path)
    feed(runtime, factories.post("@acme my card 4111 1111 1111 1111 was charged twice", external_id="old"),
         factories.post("@acme still open", external_id="open", handle="dan"),
         factories.post("@acme resolved lately", external_id="new", handle="eve"))
    await dispatch(runtime.desk, Request("note", SAM, 1, "VIP, call them back", "C1:1.1"))
    await dispatch(runtime.desk, Request("reply", SAM, 1, "Refunded, sorry!"))
    await runtime.outbox.drain()
    await dispatch(runtime.desk, Request("resolve", SAM, 1))
    clock.advance(timedelta(days=80))
    await dispatch(runtime.desk, Request("resolve", SAM, 3))
    await runtime.outbox.drain()
    assert purge(runtime.engine, RETENTION, clock.now()) == 0
    clock.advance(timedelta(days=11))
    assert purge(runtime.engine, RETENTION, clock.now(), batch=1) == 1
    assert purge(runtime.engine, RETENTION, clock.now()) == 0
    with Session(runtime.engine) as session:
        old = session.exec(select(Post).where(Post.external_id == "old")).one()
        assert old.text == PURGED_TEXT and old.raw == {} and old.pii == []
        assert {p.external_id: p.text for p in session.exec(select(Post))}["open"] == "@acme still open"
        assert session.exec(select(Note)).all() == []
        assert session.exec(select(func.count()).select_from(OutboxEntry).where(OutboxEntry.conversation_id == 1)).one() == 0
        assert session.exec(select(func.count()).select_from(OutboxEntry).where(OutboxEntry.conversation_id == 3)).one() > 0
        kept = session.get(Conversation, 1)
        assert kept.purged_at == clock.now() and kept.first_responded_at is not None
        assert len(session.exec(select(SlaClock).where(SlaClock.conversation_id == 1)).all()) == 2
    stats = (await dispatch(runtime.desk, Request("stats", SAM, args="100d"))).text
    assert stats.startswith("3 conversations in the last 100 days.") and "Sam Lee: 1 first response" in stats


async def test_a_reopened_conversation_falls_under_retention_again(db_url, tmp_path):
    runtime, _, clock = make_runtime(db_url, tmp_path)
    feed(runtime, factories.post(external_id="r1"))
    await dispatch(runtime.desk, Request("resolve", SAM, 1))
    clock.advance(timedelta(days=91))
    assert purge(runtime.engine, RETENTION, clock.now()) == 1
    await dispatch(runtime.desk, Request("claim", Actor("slack", "UJANE"), 1))  # a lead reopens it
    await dispatch(runtime.desk, Request("note", SAM, 1, "new findings", "C1:2.2"))
    await dispatch(runtime.desk, Request("resolve", SAM, 1))
    clock.advance(timedelta(days=91))
    assert purge(runtime.engine, RETENTION, clock.now()) == 1
    with Session(runtime.engine) as session:
        assert session.exec(select(Note)).all() == []


async def test_without_retention_a_month_after_resolving_the_delivered_entries_go_and_the_rest_stays(db_url, tmp_path):
    runtime, chat, clock = make_runtime(db_url, tmp_path)
    assert runtime.config.retention is None
    feed(runtime, factories.post(external_id="m1"), factories.post(external_id="m2", handle="dan"),
         factories.post(external_id="m3", handle="eve"))
    await runtime.outbox.drain()
    await dispatch(runtime.desk, Request("resolve", SAM, 1))
    await dispatch(runtime.desk, Request("resolve", SAM, 2))
    await runtime.outbox.drain()
    clock.advance(OUTBOX_KEPT - timedelta(minutes=1))
    assert forget_delivered(runtime.engine, clock.now()) == 0
    await dispatch(runtime.desk, Request("reopen", SAM, 2))  # open again: its entries stay
    with session_scope(runtime.engine) as session:  # a failed one stays for `outbox retry`
        session.exec(update(OutboxEntry).where(OutboxEntry.key == "post:1:suggest:chat").values(status="failed"))
    clock.advance(timedelta(minutes=2))
    forgotten = forget_delivered(runtime.engine, clock.now(), batch=1)
    with Session(runtime.engine) as session:
        left = {(e.conversation_id, e.status) for e in session.exec(select(OutboxEntry))}
        post = session.exec(select(Post).where(Post.external_id == "m1")).one()
    assert forgotten > 1 and (1, "done") not in left and (1, "failed") in left
    assert {(2, "done"), (3, "done")} <= left and post.text != PURGED_TEXT  # the texts are [retention]'s business
    await dispatch(runtime.desk, Request("reopen", SAM, 1))  # reopened after all: its thread is still known
    feed(runtime, factories.post("@acme back again", external_id="m4", thread_root="m1", reply_to="m1"))
    await runtime.outbox.drain()
    assert chat.replies[-1].thread_id == chat.parents[0].message_id and len(chat.parents) == 3
