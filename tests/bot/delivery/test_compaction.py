"""Compaction forgets what delivered entries no longer need, and nothing that dedupe, recovery or later edits read."""
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from bot.delivery.compaction import GRACE, compact
from bot.desk import messages
from bot.views import CustomerPost, Notice
from handlers import dispatch
from handlers.context import Actor, Request
from storage.db import session_scope
from storage.models import Conversation, OutboxEntry, OutboxStatus
from tests.auxil import factories
from tests.auxil.desk import drain, feed, make_runtime
from tests.fakes.chat import SimulatedCrash

SAM = Actor("slack", "USAM")


def entries(runtime) -> list[OutboxEntry]:
    with Session(runtime.engine) as session:
        return list(session.exec(select(OutboxEntry).order_by(OutboxEntry.id)))


async def test_refreshes_go_and_notices_lose_their_text_once_delivered_but_keys_stay(db_url, tmp_path):
    runtime, chat, clock = make_runtime(db_url, tmp_path)
    feed(runtime, factories.post(external_id="o1"),
         factories.post("@acme any news?", external_id="o2", thread_root="o1", reply_to="o1"))
    assert (await dispatch(runtime.desk, Request("claim", SAM, 1, ""))).ok
    await drain(runtime)
    before = entries(runtime)
    kinds = [e.kind for e in before]
    assert messages.UPDATE in kinds and messages.NOTICE in kinds and all(e.status == OutboxStatus.DONE for e in before)
    notices = [e for e in before if e.kind == messages.NOTICE]
    assert all(e.payload.get("text") for e in notices)

    assert compact(runtime.engine, runtime.outbox.effects, clock.now()) == (0, 0)  # just delivered: kept whole
    clock.advance(GRACE + timedelta(minutes=1))
    assert compact(runtime.engine, runtime.outbox.effects, clock.now()) == (kinds.count(messages.UPDATE), len(notices))
    after = entries(runtime)
    assert [e.key for e in after] == [e.key for e in before if e.kind != messages.UPDATE]
    assert all(e.payload == {} and e.result == n.result for e, n in zip([e for e in after if e.kind == messages.NOTICE],
                                                                       notices, strict=True))
    assert [e.payload for e in after if e.kind == messages.OPEN] == [{"post_id": 1}]
    assert compact(runtime.engine, runtime.outbox.effects, clock.now()) == (0, 0)  # nothing left to do

    sent = len(chat.parents) + len(chat.replies)
    with session_scope(runtime.engine) as session:  # queued again under kept keys: still no-ops
        conversation = session.get(Conversation, 1)
        messages.customer_post(session, conversation, 2, clock.now())
        messages.notice(session, conversation, notices[0].key, "again", clock.now())
    await drain(runtime)
    assert len(entries(runtime)) == len(after) and len(chat.parents) + len(chat.replies) == sent

    updates = len(chat.updates)  # later edits and thread messages find the thread as before
    feed(runtime, factories.post("@acme hello?", external_id="o3", thread_root="o1", reply_to="o1"))
    await drain(runtime)
    thread = chat.thread(chat.parents[0].message_id)
    assert [m.text for m in thread if isinstance(m, CustomerPost)][-1].endswith("hello?")
    assert len(chat.updates) > updates and chat.updates[-1][0].thread_id == chat.parents[0].message_id


async def test_an_entry_caught_by_a_crash_is_reconciled_after_compaction_not_resent(db_url, tmp_path):
    runtime, chat, clock = make_runtime(db_url, tmp_path)
    feed(runtime, factories.post(external_id="k1"))
    await drain(runtime)
    feed(runtime, factories.post("@acme still nothing", external_id="k2", thread_root="k1", reply_to="k1"))
    chat.crash_after_send = True
    with pytest.raises(SimulatedCrash):
        await runtime.outbox.drain_once()
    chat.crash_after_send = False
    clock.advance(GRACE * 2)
    compact(runtime.engine, runtime.outbox.effects, clock.now())
    await drain(runtime)
    (posted,) = [e for e in entries(runtime) if e.key == "post:2:chat"]
    assert posted.status == OutboxStatus.DONE and posted.result["reconciled"] is True
    thread = chat.thread(chat.parents[0].message_id)
    assert [m.text for m in thread if isinstance(m, CustomerPost)] == ["@acme still nothing"]
    assert not [m for m in thread if isinstance(m, Notice)]
    assert all(e.status == OutboxStatus.DONE for e in entries(runtime))
