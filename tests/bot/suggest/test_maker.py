"""Suggested replies end to end: ingest -> the `llm` lane (real SDK, local fake model) -> stored -> the thread."""
from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from bot.delivery.engine import Outbox
from bot.suggest.usage import usage_lines
from bot.views import Suggestions
from handlers import dispatch
from handlers.context import Actor, Request
from storage.db import session_scope
from storage.models import Conversation, LlmUsage, Note, OutboxEntry, OutboxStatus, Post, SuggestionSet
from tests.auxil import factories
from tests.auxil.desk import drain, feed, make_runtime
from tests.auxil.model import MODEL_KEY, fake_model
from tests.fakes.chat import SimulatedCrash
from tests.fakes.openai_api import analysis, server_error

PRICES = {"input_price_per_million": 0.15, "output_price_per_million": 0.60}


@pytest.fixture
async def api(monkeypatch):
    async with fake_model(monkeypatch) as server:
        yield server


@pytest.fixture
async def online(db_url, tmp_path, api):
    """Runtimes whose suggestions come from the fake model; closed (with the SDK client) after the test."""
    made = []

    def start(**llm_config):
        made.append(make_runtime(db_url, tmp_path, secrets=MODEL_KEY,
                                 llm={"base_url": api.base_url, "max_retries": 0, **PRICES, **llm_config}))
        return made[-1]

    yield start
    for runtime, _, _ in made:
        await runtime.close()


def suggestions_in(chat) -> list[Suggestions]:
    return [s.body for s in chat.replies if isinstance(s.body, Suggestions)]


def rows(runtime, table):
    with Session(runtime.engine) as session:
        return list(session.exec(select(table).order_by(table.id)))


async def test_offline_mode_makes_template_suggestions_without_a_model(db_url, tmp_path):
    runtime, chat, _ = make_runtime(db_url, tmp_path)
    feed(runtime, factories.post("@acme my order never arrived, 2 weeks now"))
    await drain(runtime)
    (shown,) = suggestions_in(chat)
    assert shown.source == "offline" and shown.offline_reason is None and len(shown.texts) >= 2
    (stored,) = rows(runtime, SuggestionSet)
    assert stored.key == "post:1:suggest" and stored.analysis == {} and rows(runtime, LlmUsage) == []


async def test_a_slow_model_holds_up_no_chat_message(online, api):
    runtime, chat, _ = online()
    api.hold()
    feed(runtime, factories.post(external_id="s1"), factories.post("@acme hello?", external_id="s2", handle="bo"))
    await runtime.outbox.drain_once()  # returns while both model calls wait
    await api.wait_for_requests(2)
    assert len(chat.parents) == 2 and suggestions_in(chat) == []
    feed(runtime, factories.post("@acme anyone?", external_id="s3", thread_root="s1", reply_to="s1"))
    await runtime.outbox.drain_once()
    assert [type(m).__name__ for m in chat.thread(chat.parents[0].message_id)] == ["CustomerPost"]
    api.release()
    await drain(runtime)
    shown = suggestions_in(chat)
    assert len(shown) == 3 and {s.source for s in shown} == {"gpt-4o-mini"}
    assert len(api.requests) == 3


async def test_a_failing_model_gives_offline_suggestions_and_says_why(online, api):
    runtime, chat, _ = online()
    api.script(server_error(503))
    feed(runtime, factories.post())
    await drain(runtime)
    (shown,) = suggestions_in(chat)
    assert shown.source == "offline" and shown.offline_reason == "the model service failed (HTTP 503)" and shown.texts


async def test_replies_that_fail_the_guard_leave_the_templates_to_answer(online, api):
    runtime, chat, _ = online()
    api.script(analysis(language="es", intent="question", sentiment="neutral",
                        replies=[("short", "¿Nos envías tu número de pedido?"), ("warm", "Dinos tu correo electrónico.")]))
    feed(runtime, factories.post("@acme ¿dónde está mi pedido?"))
    await drain(runtime)
    (shown,) = suggestions_in(chat)
    assert shown.offline_reason == "none of the model's replies passed the guards"
    assert shown.texts and all("pedido" not in t or "DM" in t or "privado" in t for t in shown.texts)
    (stored,) = rows(runtime, SuggestionSet)
    assert [d["reason"] for d in stored.dropped] == ["asks_for_personal_data", "asks_for_personal_data"]
    assert stored.analysis["language"] == "es"  # the classification still counts


async def test_the_models_classification_updates_the_conversation(online, api):
    runtime, chat, clock = online()
    text = "@acme the app shows a blank page and nothing works, call me on five five five, one two three four"
    spelled = "five five five, one two three four"  # a phone number no pattern reads
    api.script(analysis(language="en", sentiment="negative", intent="bug_report", urgency="urgent",
                        personal_data=[{"type": "phone", "text": spelled}]))
    feed(runtime, factories.post(text))
    with Session(runtime.engine) as session:
        before = session.get(Conversation, 1)
        assert before.priority != "urgent" and not before.has_pii
        due_before = before.first_response_due_at
    await drain(runtime)
    with Session(runtime.engine) as session:
        conversation, post = session.get(Conversation, 1), session.get(Post, 1)
        assert (conversation.priority, conversation.intent, conversation.sentiment) == ("urgent", "bug_report", "negative")
        assert conversation.first_response_due_at < due_before and conversation.has_pii
        assert post.pii == [{"type": "phone", "text": spelled, "start": text.index(spelled),
                             "end": text.index(spelled) + len(spelled), "found_by": "model"}]
    assert chat.updates and chat.updates[-1][1].priority == "urgent"  # the parent message shows it


async def test_the_model_never_lowers_a_priority_the_rules_set(online, api):
    runtime, _, _ = online()
    api.script(analysis(urgency="low", sentiment="neutral", intent="question"))
    feed(runtime, factories.post("@acme URGENT I was charged twice for one order!!"))
    await drain(runtime)
    with Session(runtime.engine) as session:
        assert session.get(Conversation, 1).priority == "urgent"


async def test_a_redelivered_post_does_not_pay_twice(online, api):
    runtime, chat, _ = online()
    post = factories.post(external_id="r1")
    feed(runtime, post, post)
    await drain(runtime)
    feed(runtime, post)
    await drain(runtime)
    assert len(api.requests) == 1 and len(suggestions_in(chat)) == 1 and len(rows(runtime, LlmUsage)) == 1


async def test_a_crash_after_the_model_answered_does_not_pay_twice(online, api, monkeypatch):
    runtime, chat, clock = online()
    feed(runtime, factories.post(external_id="c1"))
    real_complete = Outbox._complete

    def die_once(self, entry, result):
        if entry.kind == "llm.suggest":
            monkeypatch.setattr(Outbox, "_complete", real_complete)
            raise SimulatedCrash("died after storing the suggestions")
        real_complete(self, entry, result)

    monkeypatch.setattr(Outbox, "_complete", die_once)
    await drain(runtime, rounds=2)
    (request,) = [e for e in rows(runtime, OutboxEntry) if e.kind == "llm.suggest"]
    assert request.status == OutboxStatus.SENDING  # as a dead worker left it
    clock.advance(runtime.suggestions.lane.lease + timedelta(seconds=1))
    await drain(runtime)
    (request,) = [e for e in rows(runtime, OutboxEntry) if e.kind == "llm.suggest"]
    assert request.status == OutboxStatus.DONE and request.result["reconciled"] is True
    assert len(api.requests) == 1 and len(suggestions_in(chat)) == 1


async def test_the_lane_respects_the_concurrency_cap(online, api):
    runtime, chat, _ = online(max_concurrency=2)
    api.hold()
    feed(runtime, *(factories.post(handle=f"user{n}") for n in range(5)))
    await runtime.outbox.drain_once()
    await api.wait_for_requests(2)
    await runtime.outbox.drain_once()  # no free slot: nothing more starts
    pending = [e for e in rows(runtime, OutboxEntry) if e.kind == "llm.suggest" and e.status == OutboxStatus.PENDING]
    assert api.in_flight == 2 and len(pending) == 3 and len(chat.parents) == 5
    api.release()
    await drain(runtime, rounds=8)
    assert api.max_in_flight == 2 and len(api.requests) == 5 and len(suggestions_in(chat)) == 5


async def test_a_backlog_of_requests_never_crowds_chat_messages_out(online, api):
    runtime, chat, _ = online(max_concurrency=1)
    api.hold()
    feed(runtime, *(factories.post(handle=f"user{n}") for n in range(4)))
    await runtime.outbox.drain_once()
    await api.wait_for_requests(1)  # one request in flight, three waiting, all queued before the claim below
    assert (await dispatch(runtime.desk, Request("claim", Actor("slack", "USAM"), 4))).ok
    await runtime.outbox.drain_once(limit=2)
    assert any("Claimed by Sam Lee" in getattr(m, "text", "") for m in chat.thread(chat.parents[3].message_id))
    api.release()
    await drain(runtime)


async def test_the_prompt_has_the_thread_history_and_notes(online, api):
    runtime, chat, clock = online()
    feed(runtime, factories.post("@acme where is my parcel?", external_id="h1"))
    await drain(runtime)
    assert (await dispatch(runtime.desk, Request("resolve", Actor("slack", "USAM"), 1))).ok
    with session_scope(runtime.engine) as session:
        session.add(Note(conversation_id=1, customer_id=1, author="Sam Lee", text="prefers email", created_at=clock.now()))
    feed(runtime, factories.post("@acme new problem: the app crashes", external_id="h2", minutes=10))
    await drain(runtime)
    clock.advance(timedelta(minutes=15))
    assert (await dispatch(runtime.desk, Request("reply", Actor("slack", "USAM"), 2, "Sorry! Which phone?"))).ok
    await drain(runtime)
    feed(runtime, factories.post("@acme an iPhone 15", external_id="h3", thread_root="h2", reply_to="h2", minutes=20))
    await drain(runtime)
    user = api.requests[-1]["messages"][1]["content"]
    data = json.loads(re.search(r"<post_data>\n(.*)\n</post_data>", user, re.S).group(1))
    assert data["post"]["text"] == "@acme an iPhone 15"
    assert data["thread"] == ["customer: @acme new problem: the app crashes", "Acme (SL): Sorry! Which phone? ^SL",
                              "customer: @acme an iPhone 15"]
    assert len(data["earlier_conversations"]) == 1 and "where is my parcel?" in data["earlier_conversations"][0]
    assert data["team_notes"] == ["Sam Lee: prefers email"]


async def test_suggest_asks_again_with_a_new_call(online, api):
    runtime, chat, _ = online()
    feed(runtime, factories.post())
    await drain(runtime)
    outcome = await dispatch(runtime.desk, Request("suggest", Actor("slack", "UKIM"), 1))
    assert outcome.ok and "on their way" in outcome.text
    again = await dispatch(runtime.desk, Request("suggest", Actor("slack", "UKIM"), 1))
    assert not again.ok and "already being made" in again.text
    await drain(runtime)
    assert len(api.requests) == 2 and len(suggestions_in(chat)) == 2
    stranger = await dispatch(runtime.desk, Request("suggest", Actor("slack", "UNOBODY"), 1))
    assert not stranger.ok and "Only socialdesk agents" in stranger.text


async def test_tokens_and_cost_are_recorded_per_conversation(online, api):
    runtime, _, clock = online()
    start = clock.now()
    feed(runtime, factories.post(external_id="u1"), factories.post(external_id="u2", handle="bo"))
    await drain(runtime)
    usage = rows(runtime, LlmUsage)
    assert [(u.conversation_id, u.post_id, u.purpose) for u in usage] == [(1, 1, "suggest"), (2, 2, "suggest")]
    for row in usage:
        assert row.model == "gpt-4o-mini-2024-07-18" and row.input_tokens > 0
        assert row.cost == pytest.approx((row.input_tokens * 0.15 + row.output_tokens * 0.60) / 1e6)
    with Session(runtime.engine) as session:
        (line,) = usage_lines(session, start)
        assert line.startswith("Model gpt-4o-mini-2024-07-18: 2 calls on 2 conversations, ")
        assert usage_lines(session, clock.now() + timedelta(seconds=1)) == []
        assert usage_lines(session, start - timedelta(days=1), until=start) == []


async def test_stats_show_the_models_tokens_and_cost_for_the_period(online, api):
    runtime, _, clock = online()
    feed(runtime, factories.post(external_id="s1"))
    await drain(runtime)
    shown = await dispatch(runtime.desk, Request("stats", Actor("slack", "UKIM"), args="7d"))
    (line,) = [line for line in shown.text.splitlines() if line.startswith("Model ")]
    assert line.startswith("Model gpt-4o-mini-2024-07-18: 1 call on 1 conversation, ") and line.endswith(" USD")
    clock.advance(timedelta(days=2))
    yesterday = await dispatch(runtime.desk, Request("stats", Actor("slack", "UKIM"), args="yesterday"))
    assert yesterday.ok and "Model " not in yesterday.text
