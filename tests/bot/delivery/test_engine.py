"""Outbox delivery: ordering, pacing per channel, Retry-After, and exactly-once across a crash."""
import json
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from bot.delivery import queue
from bot.delivery.engine import Effect
from bot.ports import ChatError
from bot.views import CustomerPost, Notice, Suggestions
from handlers import dispatch
from handlers.context import Actor, Request
from storage.db import session_scope
from storage.models import AuditEvent, Conversation, OutboxEntry, OutboxStatus, Reply, ReplyStatus
from tests.auxil import factories
from tests.auxil.desk import drain, feed, make_runtime
from tests.auxil.sources import dies_after_publishing
from tests.fakes.chat import SimulatedCrash


def entries(runtime):
    with Session(runtime.engine) as session:
        return list(session.exec(select(OutboxEntry).order_by(OutboxEntry.id)))


async def test_parent_then_thread_each_exactly_once(db_url, tmp_path):
    runtime, chat, _ = make_runtime(db_url, tmp_path)
    feed(runtime, factories.post(external_id="o1"),
         factories.post("@acme any news?", external_id="o2", thread_root="o1", reply_to="o1"))
    await drain(runtime)
    assert len(chat.parents) == 1
    thread = chat.thread(chat.parents[0].message_id)
    # suggestions are made away from the channel's queue, so they arrive when ready, after the later post
    assert [type(m) for m in thread] == [CustomerPost, Suggestions, Suggestions]
    assert all(e.status == OutboxStatus.DONE for e in entries(runtime))
    with Session(runtime.engine) as session:
        assert session.get(Conversation, 1).chat_thread_id == chat.parents[0].message_id


async def test_a_throttled_channel_does_not_hold_up_another(db_url, tmp_path):
    routes = [{"channel": "C0URGENT", "priority": "urgent"}, {"channel": "C0SOCIAL"}]
    runtime, chat, clock = make_runtime(db_url, tmp_path, routes=routes)
    chat.fail_next(ChatError("Slack rate limit", retry_after=30), channel="C0SOCIAL")
    feed(runtime, factories.post("@acme do you ship to Canada?", external_id="q1"),
         factories.post("@acme URGENT I was charged twice!!", external_id="q2", handle="bo"))
    await drain(runtime, rounds=3)
    assert [p.channel for p in chat.parents] == ["C0URGENT"]
    waiting = [e for e in entries(runtime) if e.target == "chat:slack:C0SOCIAL"]
    assert all(e.status == OutboxStatus.PENDING and e.attempts == 0 for e in waiting)
    assert waiting[0].available_at == clock.now() + timedelta(seconds=30)
    clock.advance(timedelta(seconds=31))
    await drain(runtime)
    assert sorted(p.channel for p in chat.parents) == ["C0SOCIAL", "C0URGENT"]


async def test_permanent_errors_fail_the_entry_and_keep_the_rest_moving(db_url, tmp_path):
    runtime, chat, _ = make_runtime(db_url, tmp_path)
    chat.fail_next(ChatError("Slack chat_postMessage failed: msg_too_long", retryable=False))
    feed(runtime, factories.post(external_id="e1"), factories.post(external_id="e2", handle="dan"))
    await drain(runtime)
    failed = [e for e in entries(runtime) if e.status == OutboxStatus.FAILED]
    assert [e.key for e in failed] == ["conv:1:open", "post:1:suggest:chat"] and "msg_too_long" in failed[0].last_error
    assert len(chat.parents) == 1 and chat.parents[0].key == "conv:2:open"


async def test_a_crash_after_sending_is_reconciled_not_resent(db_url, tmp_path):
    runtime, chat, clock = make_runtime(db_url, tmp_path)
    feed(runtime, factories.post(external_id="k1"))
    chat.crash_after_send = True
    with pytest.raises(SimulatedCrash):
        await runtime.outbox.drain_once()
    chat.crash_after_send = False
    clock.advance(timedelta(minutes=1))  # the lease of the dead worker runs out
    await drain(runtime)
    assert len(chat.parents) == 1
    (opened,) = [e for e in entries(runtime) if e.kind == "chat.open"]
    assert opened.status == OutboxStatus.DONE and opened.result["reconciled"] is True


async def test_a_reply_is_published_once_even_across_a_crash(db_url, tmp_path):
    runtime, chat, clock = make_runtime(db_url, tmp_path)
    feed(runtime, factories.post(external_id="z1"))
    await drain(runtime)
    outcome = await dispatch(runtime.desk, Request("reply", Actor("slack", "USAM"), 1, "So sorry, we're on it"))
    assert outcome.ok
    source = runtime.sources["replay"]
    with dies_after_publishing(source, "died after publishing"), pytest.raises(SimulatedCrash):
        await runtime.outbox.drain_once()
    clock.advance(timedelta(minutes=1))
    await drain(runtime)
    lines = (tmp_path / "replay-published.jsonl").read_text().splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["in_reply_to"] == "z1"
    with Session(runtime.engine) as session:
        (reply,) = session.exec(select(Reply)).all()
        assert reply.status == ReplyStatus.PUBLISHED and reply.external_id == json.loads(lines[0])["id"]
        assert session.get(Conversation, 1).first_responded_at is not None
    notices = [m for m in chat.thread(chat.parents[0].message_id) if isinstance(m, Notice)]
    assert len(notices) == 1 and "Published publicly by Sam Lee" in notices[0].text and notices[0].link


async def test_a_failed_publish_tells_the_agent_in_the_thread(db_url, tmp_path):
    from bot.sources.base import SourceError

    runtime, chat, _ = make_runtime(db_url, tmp_path)
    feed(runtime, factories.post(external_id="w1"))
    await drain(runtime)
    await dispatch(runtime.desk, Request("reply", Actor("slack", "USAM"), 1, "Hello"))

    async def refuse(reply):
        raise SourceError("the post was deleted", retryable=False)

    runtime.sources["replay"].publish_reply = refuse
    await drain(runtime)
    with Session(runtime.engine) as session:
        (reply,) = session.exec(select(Reply)).all()
        assert reply.status == ReplyStatus.FAILED and "deleted" in reply.error
    notice = [m for m in chat.thread(chat.parents[0].message_id) if isinstance(m, Notice)][-1]
    assert "NOT published" in notice.text and notice.mention_chat_id == "USAM"


async def test_when_the_parent_fails_for_good_its_thread_fails_too_and_can_be_retried(db_url, tmp_path):
    from bot.delivery.admin import failed_summary, retry_failed_chat

    runtime, chat, clock = make_runtime(db_url, tmp_path)
    chat.fail_next(ChatError("Slack chat_postMessage failed: not_in_channel", retryable=False))
    feed(runtime, factories.post(external_id="n1"))
    await drain(runtime)
    chat_entries = [e for e in entries(runtime) if e.target.startswith("chat:")]
    assert {e.status for e in chat_entries} == {OutboxStatus.FAILED}  # no endless waiting on the parent
    count, latest = failed_summary(runtime.engine)
    assert count == 2 and "not_in_channel" in latest
    assert retry_failed_chat(runtime.engine, clock.now()) == 2  # after the bot was invited
    await drain(runtime)
    assert len(chat.parents) == 1 and all(e.status == OutboxStatus.DONE for e in entries(runtime))


def test_the_token_bucket_allows_a_short_burst_then_one_per_second():
    from bot.delivery.pace import TokenBucket

    bucket = TokenBucket(rate=1.0, burst=3)
    waits = []
    for _ in range(5):
        waits.append(round(bucket.wait_time(0.0), 3))
        if not waits[-1]:
            bucket.take()
    assert waits == [0, 0, 0, 1.0, 1.0]  # three at once, then the fourth must wait a second
    assert bucket.wait_time(1.0) == 0  # a second later there is room for one more
    bucket.take()
    assert bucket.wait_time(1.5) == 0.5


async def test_a_private_reply_goes_through_the_private_channel(db_url, tmp_path):
    runtime, chat, _ = make_runtime(db_url, tmp_path)
    feed(runtime, factories.post("@acme my card 4111 1111 1111 1111 was charged twice", external_id="d1"))
    await drain(runtime)
    outcome = await dispatch(runtime.desk, Request("reply", Actor("slack", "USAM"), 1, "--private Hi! We'll refund you."))
    assert outcome.ok and "privately" in outcome.text
    await drain(runtime)
    (record,) = [json.loads(line) for line in (tmp_path / "replay-published.jsonl").read_text().splitlines()]
    assert record["visibility"] == "private" and record["text"] == "Hi! We'll refund you. ^SL"
    notice = [m for m in chat.thread(chat.parents[0].message_id) if isinstance(m, Notice)][-1]
    assert "Published privately by Sam Lee" in notice.text


async def test_the_engine_runs_the_effect_each_wing_registered_and_fails_a_kind_nobody_did(db_url, tmp_path):
    """Mechanics only: what an entry does, and what its outcome means, is the registered effect's."""
    runtime, _, clock = make_runtime(db_url, tmp_path)
    seen = []

    async def perform(entry):
        seen.append(entry.key)
        if entry.payload.get("refuse"):
            raise ChatError("refused for good", retryable=False)
        return {"did": entry.key}

    def delivered(session, entry, result):
        session.add(AuditEvent(at=clock.now(), actor="test", action=f"delivered {result['did']}", detail={}))

    def failed(session, entry, error):
        session.add(AuditEvent(at=clock.now(), actor="test", action=f"failed: {error}", detail={}))

    runtime.outbox.register({"test.kind": Effect(perform, delivered=delivered, failed=failed)})
    with session_scope(runtime.engine) as session:
        for key, payload in (("t:1", {}), ("t:2", {"refuse": True})):
            queue.add(session, key=key, kind="test.kind", target="test", conversation_id=None, payload=payload,
                      now=clock.now())
        queue.add(session, key="t:3", kind="nobody.registered.this", target="test", conversation_id=None, payload={},
                  now=clock.now())
    await runtime.outbox.drain()
    with Session(runtime.engine) as session:
        actions = sorted(a.action for a in session.exec(select(AuditEvent)))
        status = {e.key: (e.status, e.last_error) for e in session.exec(select(OutboxEntry))}
    assert seen == ["t:1", "t:2"] and actions == ["delivered t:1", "failed: refused for good"]
    assert status == {"t:1": (OutboxStatus.DONE, None), "t:2": (OutboxStatus.FAILED, "refused for good"),
                      "t:3": (OutboxStatus.FAILED, "unknown outbox kind 'nobody.registered.this'")}
    runtime.engine.dispose()


async def test_log_lines_name_the_entry_and_its_conversation(db_url, tmp_path, caplog):
    """LOG_FORMAT=json turns these into the `outbox_key` and `conversation` fields (bot/app/logs.py)."""
    runtime, chat, _ = make_runtime(db_url, tmp_path)
    chat.fail_next(ChatError("Slack chat_postMessage failed: msg_too_long", retryable=False))
    feed(runtime, factories.post(external_id="l1"))
    with caplog.at_level("ERROR", logger="bot.delivery.engine"):
        await drain(runtime)
    (record,) = [r for r in caplog.records if "giving up on conv:1:open" in r.getMessage()]
    assert (record.outbox_key, record.conversation) == ("conv:1:open", 1)
