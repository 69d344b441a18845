"""Ingest on SQLite and PostgreSQL: dedupe, threading into conversations, routing, SLA due time."""
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, func, select

from storage.db import session_scope
from storage.models import Conversation, ConversationStatus, OutboxEntry, Post
from tests.auxil import factories
from tests.auxil.desk import feed, make_runtime


def count(runtime, model) -> int:
    with Session(runtime.engine) as session:
        return session.exec(select(func.count()).select_from(model)).one()


def keys(runtime) -> list[str]:
    with Session(runtime.engine) as session:
        return [e.key for e in session.exec(select(OutboxEntry).order_by(OutboxEntry.id))]


def test_a_new_post_opens_a_conversation_and_queues_chat(db_url, tmp_path):
    runtime, _, clock = make_runtime(db_url, tmp_path)
    (result,) = feed(runtime, factories.post("@acme I was charged twice, refund please!", external_id="a1"))
    assert result.opened
    with Session(runtime.engine) as session:
        conversation = session.get(Conversation, result.conversation_id)
        assert conversation.status == ConversationStatus.NEW
        assert conversation.chat_channel == "C0SOCIAL" and conversation.chat_platform == "slack"
        target = runtime.config.sla.first_response[conversation.priority]
        assert conversation.first_response_due_at == factories.T0 + target
    assert keys(runtime) == [f"conv:{result.conversation_id}:open", f"post:{result.post_id}:suggest"]


def test_the_same_post_twice_is_a_no_op(db_url, tmp_path):
    runtime, _, _ = make_runtime(db_url, tmp_path)
    post = factories.post(external_id="dup")
    first, second = feed(runtime, post, post)
    assert first is not None and second is None
    assert count(runtime, Post) == 1 and count(runtime, Conversation) == 1


def test_follow_ups_in_the_same_thread_join_the_conversation(db_url, tmp_path):
    runtime, _, _ = make_runtime(db_url, tmp_path)
    first, follow_up, other_customer = feed(
        runtime,
        factories.post(external_id="r1"),
        factories.post("@acme hello?? still nothing", external_id="r2", thread_root="r1", reply_to="r1"),
        factories.post("@acme same problem here", external_id="r3", thread_root="r1", reply_to="r1", handle="dan"),
    )
    assert follow_up.conversation_id == first.conversation_id and not follow_up.opened
    assert other_customer.conversation_id != first.conversation_id and other_customer.opened
    assert f"post:{follow_up.post_id}:chat" in keys(runtime)
    assert any(k.startswith(f"conv:{first.conversation_id}:update:") for k in keys(runtime))


def test_a_resolved_conversation_is_not_reopened(db_url, tmp_path):
    runtime, _, _ = make_runtime(db_url, tmp_path)
    (first,) = feed(runtime, factories.post(external_id="s1"))
    with session_scope(runtime.engine) as session:
        session.get(Conversation, first.conversation_id).status = ConversationStatus.RESOLVED
    (later,) = feed(runtime, factories.post("@acme it broke again", external_id="s2", thread_root="s1"))
    assert later.opened and later.conversation_id != first.conversation_id


def test_the_brands_own_posts_are_not_customer_posts(db_url, tmp_path):
    runtime, _, _ = make_runtime(db_url, tmp_path)
    (result,) = feed(runtime, factories.post("We're looking into it!", handle="ACME"))
    assert result is None and count(runtime, Post) == 0


def test_routes_by_priority(db_url, tmp_path):
    routes = [{"channel": "C0URGENT", "priority": "urgent"}, {"channel": "C0SOCIAL"}]
    runtime, _, _ = make_runtime(db_url, tmp_path, routes=routes)
    urgent, calm = feed(
        runtime,
        factories.post("@acme URGENT my account was hacked and I was charged twice!!", external_id="u1"),
        factories.post("@acme do you ship to Canada?", external_id="u2", handle="ana"),
    )
    with Session(runtime.engine) as session:
        assert session.get(Conversation, urgent.conversation_id).chat_channel == "C0URGENT"
        assert session.get(Conversation, calm.conversation_id).chat_channel == "C0SOCIAL"


def test_a_post_from_the_future_does_not_push_the_due_time_out(db_url, tmp_path):
    runtime, _, clock = make_runtime(db_url, tmp_path)
    (result,) = feed(runtime, factories.post(external_id="f1", minutes=600))
    with Session(runtime.engine) as session:
        conversation = session.get(Conversation, result.conversation_id)
        assert conversation.first_response_due_at <= clock.now() + timedelta(hours=24)


def test_due_times_count_business_hours_except_around_the_clock(db_url, tmp_path):
    hours = {"timezone": "Europe/Berlin", "start": "09:00", "end": "17:00", "holidays": ["2026-12-25"]}
    runtime, _, clock = make_runtime(db_url, tmp_path, sla={"business_hours": hours, "around_the_clock": ["urgent"]})
    friday_evening = datetime(2026, 11, 6, 17, 0, tzinfo=UTC)  # 18:00 in Berlin, after closing
    minutes = int((friday_evening - factories.T0) / timedelta(minutes=1))
    clock.advance(friday_evening - clock.now())
    calm, urgent = feed(
        runtime,
        factories.post("@acme how do I export my data?", external_id="b1", minutes=minutes),
        factories.post("@acme URGENT I was charged twice!!", external_id="b2", handle="dan", minutes=minutes),
    )
    with Session(runtime.engine) as session:
        normal = session.get(Conversation, calm.conversation_id)
        # four business hours after Friday's closing: Monday 09:00 + 4 h = 13:00 in Berlin = 12:00 UTC
        assert normal.priority == "normal"
        assert normal.first_response_due_at == datetime(2026, 11, 9, 12, 0, tzinfo=UTC)
        rush = session.get(Conversation, urgent.conversation_id)
        assert rush.priority == "urgent" and rush.first_response_due_at == friday_evening + timedelta(minutes=15)


def test_a_private_message_continues_the_customers_open_conversation(db_url, tmp_path):
    runtime, _, _ = make_runtime(db_url, tmp_path)
    public, direct, stranger_direct = feed(
        runtime,
        factories.post("@acme my order never arrived", external_id="pub1"),
        replace(factories.post("here is my order number 12345", external_id="dm1", thread_root="dmconv1"), kind="direct"),
        replace(factories.post("hi, a question", external_id="dm2", thread_root="dmconv2", handle="dan"), kind="direct"),
    )
    assert direct.conversation_id == public.conversation_id and not direct.opened
    assert stranger_direct.opened  # no open conversation of theirs: a private message opens one


def test_a_private_message_after_a_resolved_conversation_opens_a_new_one(db_url, tmp_path):
    runtime, _, _ = make_runtime(db_url, tmp_path)
    (public,) = feed(runtime, factories.post(external_id="pub2"))
    with session_scope(runtime.engine) as session:
        session.get(Conversation, public.conversation_id).status = ConversationStatus.RESOLVED
    (direct,) = feed(runtime, replace(factories.post(external_id="dm3", thread_root="dmconv3"), kind="direct"))
    assert direct.opened and direct.conversation_id != public.conversation_id
