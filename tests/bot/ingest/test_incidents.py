"""Surges become incidents: near-duplicate new conversations folded into one chat message, and the incident commands."""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz
from sqlmodel import Session, func, select

from bot.ingest.incidents import _Growing, normalise
from bot.ingest.stream import store_posts
from handlers import dispatch
from handlers.context import Actor, Request
from handlers.parsing import parse_slash
from storage.db import session_scope
from storage.models import AuditEvent, Conversation, ConversationStatus, Incident, OutboxEntry, Reply
from tests.auxil import factories
from tests.auxil.desk import drain, make_runtime
from tests.auxil.surge import surge
from tests.fakes.chat import SimulatedCrash

JANE = Actor("slack", "UJANE")
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
OUTAGE = ["the app is down again, I cannot log in", "app is down again and I cannot log in!!",
          "ugh the app is down again, cannot log in", "is the app down again? I cannot log in",
          "the app is down again, i can not log in", "app down again, I cannot log in at all",
          "the app is down again I cannot log in 😡", "again the app is down, cannot log in"]


@pytest.fixture
def desk(db_url, tmp_path):
    runtime, chat, clock = make_runtime(
        db_url, tmp_path, sources=[{"name": "replay", "type": "replay", "path": "posts.jsonl", "publish_per_second": 1000}],
        sla={"escalation": {"slack": {"channel": "C0ESCALATE"}}}, incidents={"update_every": "1s"})
    return runtime, chat, clock


def store(runtime, *posts) -> int:
    """Store `posts` as one page, the way the poller and the stream do."""
    with session_scope(runtime.engine) as session:
        return store_posts(session, runtime.config, "replay", list(posts), runtime.clock.now())


def outage_posts(start: int, count: int) -> list:
    return [factories.post(f"@acme {OUTAGE[i % len(OUTAGE)]}", handle=f"customer{i}", name=f"Customer {i}")
            for i in range(start, start + count)]


def count(runtime, *where) -> int:
    with Session(runtime.engine) as session:
        return session.exec(select(func.count()).select_from(Conversation).where(*where)).one()


async def settle(runtime, clock) -> None:
    await drain(runtime)
    clock.advance(timedelta(seconds=2))  # the incident's edit waits `update_every`
    await drain(runtime)


async def test_near_duplicates_from_five_customers_become_one_incident_message(desk):
    runtime, chat, clock = desk
    unrelated = [factories.post("@acme where is my parcel, order 5521 never came", handle="ana"),
                 factories.post("@acme do you sell gift cards in the Lisbon store", handle="ben")]
    store(runtime, *outage_posts(0, 8), *unrelated)
    await settle(runtime, clock)
    assert count(runtime) == 10 and count(runtime, Conversation.status == ConversationStatus.NEW) == 10
    assert count(runtime, Conversation.incident_id.is_not(None)) == 8
    assert [s.body.author_handle for s in chat.parents] == ["ana", "ben"]  # only the unrelated get threads of their own
    (incident,) = chat.incidents
    assert incident.body.conversations == 8 and incident.body.networks == (("replay", 8),)
    assert sum(n for _, n in incident.body.phrasings) <= 8 and incident.body.samples
    assert not [r for r in chat.replies if r.thread_id is None]
    (escalation,) = [p for p in chat.channel_posts if p.channel == "C0ESCALATE"]
    assert "8 customers" in escalation.body.text and "I1" in escalation.body.text
    with Session(runtime.engine) as session:  # nothing of the folded conversations waits to be sent
        waiting = session.exec(select(OutboxEntry).where(OutboxEntry.status == "pending",
                                                         OutboxEntry.kind.like("chat.%"))).all()
        opened = session.exec(select(OutboxEntry).where(OutboxEntry.kind == "chat.open")).all()
    assert waiting == []
    folded = [entry for entry in opened if "skipped" in (entry.result or {})]
    assert len(folded) == 8 and {(e.status, json.dumps(e.result)) for e in folded} == {
        ("done", '{"skipped": "folded into incident I1"}')}


async def test_the_first_posts_keep_their_threads_and_later_ones_join_the_incident(desk):
    runtime, chat, clock = desk
    for post in outage_posts(0, 4):
        store(runtime, post)
    await settle(runtime, clock)
    assert len(chat.parents) == 4 and not chat.incidents
    store(runtime, *outage_posts(4, 1))  # the fifth alike: an incident of all five
    await settle(runtime, clock)
    assert len(chat.incidents) == 1 and chat.incidents[0].body.conversations == 5
    store(runtime, *outage_posts(5, 3))  # later ones join it
    await settle(runtime, clock)
    assert len(chat.parents) == 4 and len(chat.incidents) == 1
    assert count(runtime, Conversation.incident_id == 1) == 8
    assert chat.incident_updates[-1][1].conversations == 8  # edited in place with the live count


async def test_unrelated_posts_of_a_surge_keep_their_own_threads(desk):
    runtime, chat, clock = desk
    posts = surge(seed=3, outage=300, unrelated=20, seconds=60)
    page = []
    for item in posts:
        page.append(factories.post(f"@acme {item.text}", handle=item.handle))
        if len(page) == 20:
            store(runtime, *page)
            page = []
    store(runtime, *page)
    await settle(runtime, clock)
    unrelated = {p.handle for p in posts if not p.outage}
    shown = {s.body.author_handle for s in chat.parents}
    assert unrelated <= shown  # every unrelated customer has a thread of their own
    folded = count(runtime, Conversation.incident_id.is_not(None))
    assert folded >= 0.9 * 300 and len(chat.parents) + len(chat.incidents) < 60


async def test_reply_all_answers_each_customer_once_personally_even_when_sent_twice(desk, tmp_path):
    runtime, chat, clock = desk
    store(runtime, *outage_posts(0, 6))
    await settle(runtime, clock)
    outcome = await dispatch(runtime.desk, Request("reply-all", JANE, args="I1 Sorry {name}, it is fixed now."))
    assert outcome.ok and "Replying to 6 customers" in outcome.text
    again = await dispatch(runtime.desk, Request("reply-all", JANE, args="I1 Sorry {name}, it is fixed now."))
    assert "6 already had this reply" in again.text
    await settle(runtime, clock)
    published = [json.loads(line) for line in (tmp_path / "replay-published.jsonl").read_text().splitlines()]
    assert sorted(p["to"] for p in published) == sorted(f"customer{i}" for i in range(6))
    assert {p["text"] for p in published} == {f"Sorry Customer {i}, it is fixed now. ^JD" for i in range(6)}
    with Session(runtime.engine) as session:
        replies = session.exec(select(Reply)).all()
    assert len(replies) == 6 and {r.status for r in replies} == {"published"}
    assert count(runtime, Conversation.status == ConversationStatus.AWAITING_CUSTOMER) == 6
    assert chat.incident_updates[-1][1].answered == 6
    assert not [r for r in chat.replies]  # no "Published" notice per folded conversation


async def test_reply_all_is_published_once_across_a_crash(desk, tmp_path):
    runtime, chat, clock = desk
    store(runtime, *outage_posts(0, 5))
    await settle(runtime, clock)
    await dispatch(runtime.desk, Request("reply-all", JANE, args="I1 Fixed now, sorry!"))
    source = runtime.sources["replay"]
    real = source.publish_reply
    calls = 0

    async def dies_after_the_third(reply):
        nonlocal calls
        calls += 1
        published = await real(reply)
        if calls == 3:
            raise SimulatedCrash("after the reply reached the network")
        return published

    source.publish_reply = dies_after_the_third
    with pytest.raises(SimulatedCrash):
        await drain(runtime)
    source.publish_reply = real
    with session_scope(runtime.engine) as session:  # the restart: the leases of the interrupted run have run out
        for entry in session.exec(select(OutboxEntry).where(OutboxEntry.status == "sending")):
            entry.locked_until = clock.now() - timedelta(seconds=1)
    await settle(runtime, clock)
    published = [json.loads(line)["to"] for line in (tmp_path / "replay-published.jsonl").read_text().splitlines()]
    assert sorted(published) == sorted(f"customer{i}" for i in range(5))


async def test_a_conversation_taken_out_gets_its_own_thread(desk):
    runtime, chat, clock = desk
    store(runtime, *outage_posts(0, 6))
    await settle(runtime, clock)
    outcome = await dispatch(runtime.desk, Request("incident", JANE, args="I1 remove 3"))
    assert outcome.ok and "gets its own thread" in outcome.text
    await settle(runtime, clock)
    assert [s.body.number for s in chat.parents] == [3]
    assert chat.incident_updates[-1][1].conversations == 5
    refused = await dispatch(runtime.desk, Request("incident", JANE, args="I1 remove 3"))
    assert not refused.ok and "not part of incident I1" in refused.text
    shown = await dispatch(runtime.desk, Request("incident", JANE, args="I1"))
    assert "5 customers" in shown.text and "#1" in shown.text and "#3" not in shown.text


async def test_resolve_all_resolves_the_incident_and_its_conversations(desk):
    runtime, chat, clock = desk
    store(runtime, *outage_posts(0, 5), factories.post("@acme my parcel 7781 came broken, box torn open", handle="ana"))
    await settle(runtime, clock)
    outcome = await dispatch(runtime.desk, Request("resolve-all", JANE, args="I1"))
    assert outcome.ok and "5 open conversations" in outcome.text
    await settle(runtime, clock)
    assert count(runtime, Conversation.status == ConversationStatus.RESOLVED) == 5
    assert count(runtime, Conversation.status == ConversationStatus.NEW) == 1  # ana's, not in the incident
    with Session(runtime.engine) as session:
        assert session.get(Incident, 1).status == "resolved"
        assert session.exec(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "resolve")).one() == 5
    assert chat.incident_updates[-1][1].status == "resolved"
    store(runtime, *outage_posts(10, 1))  # a resolved incident takes nobody in
    assert count(runtime, Conversation.incident_id == 1) == 5


async def test_incident_commands_say_what_to_type_when_the_incident_is_missing(desk):
    runtime, _, _ = desk
    for command in ("reply-all", "resolve-all", "incident"):
        outcome = await dispatch(runtime.desk, Request(command, JANE, args="42 hello"))
        assert not outcome.ok and "Which incident?" in outcome.text
        outcome = await dispatch(runtime.desk, Request(command, JANE, args="I99 hello"))
        assert not outcome.ok and "no incident I99" in outcome.text


async def test_an_incident_keeps_growing_once_chat_has_named_the_channel_by_its_id(db_url, tmp_path):
    """Routes name channels (#social); once a message is out, chat knows the channel by its id (C0…)."""
    runtime, chat, clock = make_runtime(db_url, tmp_path, routes=[{"platform": "slack", "channel": "#social"}],
                                        incidents={"update_every": "1s"})
    for method in ("post_conversation", "post_incident"):
        posting = getattr(chat, method)

        async def by_id(channel, view, key, posting=posting):
            ref = await posting(channel, view, key)
            return replace(ref, channel="C0SOCIAL")

        setattr(chat, method, by_id)
    for post in outage_posts(0, 3):
        store(runtime, post)
    await settle(runtime, clock)  # three threads of their own, in C0SOCIAL
    store(runtime, *outage_posts(3, 2))
    await settle(runtime, clock)  # the incident of five, in C0SOCIAL
    store(runtime, *outage_posts(5, 4))
    await settle(runtime, clock)
    with Session(runtime.engine) as session:
        assert session.exec(select(func.count()).select_from(Incident)).one() == 1
    assert count(runtime, Conversation.incident_id == 1) == 9 and len(chat.parents) == 3
    assert chat.incident_updates[-1][0].channel == "C0SOCIAL" and chat.incident_updates[-1][1].conversations == 9


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=2000), st.text(max_size=2000))
def test_any_two_texts_from_the_internet_can_be_compared(first, second):
    words = {"acme"}
    a, b = normalise(first, words), normalise(second, words)
    assert "acme" not in a.split() and "@" not in a and "http://" not in a
    assert 0 <= fuzz.token_set_ratio(a, b) <= 100


async def test_what_must_reach_a_person_goes_into_the_incidents_thread(db_url, tmp_path):
    """A folded conversation has no thread, but an approval request, its redraw and a notice naming an agent are
    not dropped: they go into the incident's thread."""
    agents = [{"name": "Jane Doe", "initials": "JD", "role": "lead", "slack": "UJANE"},
              {"name": "Tess Ray", "initials": "TR", "role": "trainee", "slack": "UTESS"}]
    runtime, chat, clock = make_runtime(
        db_url, tmp_path, sources=[{"name": "replay", "type": "replay", "path": "posts.jsonl"}],
        agents=agents, approvals={"roles": ["trainee"]}, incidents={"update_every": "1s"})
    store(runtime, *outage_posts(0, 6))
    await settle(runtime, clock)
    (incident,) = chat.incidents
    waiting = await dispatch(runtime.desk, parse_slash("/reply", "2 Sorry, we are on it!", Actor("slack", "UTESS")))
    assert waiting.ok and "approval" in waiting.text
    await settle(runtime, clock)
    (request,) = [s for s in chat.replies if type(s.body).__name__ == "ApprovalRequest"]
    assert request.thread_id == incident.message_id and request.body.number == 2
    assert (await dispatch(runtime.desk, parse_slash("/approve", "2", JANE))).ok
    await settle(runtime, clock)
    assert [ref.thread_id for ref, message_id, _ in chat.thread_updates if message_id == request.message_id] \
        == [incident.message_id]
    (approved,) = [s for s in chat.replies if "approved by Jane Doe" in getattr(s.body, "text", "")]
    assert approved.thread_id == incident.message_id and approved.body.mention_chat_id == "UTESS"
    assert not [s for s in chat.replies if s.thread_id != incident.message_id]


async def test_incidents_kept_apart_are_merged_into_one(desk):
    """The same outage said in two ways forms two incidents; merged, one message and one /reply-all hold them all,
    the other's message says where they went, and later posts alike to either phrasing join the one left."""
    runtime, chat, clock = desk
    other_words = [factories.post(f"@acme {text}", handle=f"other{i}", name=f"Other {i}") for i, text in enumerate(
        ["la app no funciona otra vez, no puedo entrar", "la app no funciona otra vez y no puedo entrar",
         "otra vez la app no funciona, no puedo entrar", "la app no funciona otra vez, no puedo entrar!!",
         "ufff la app no funciona otra vez, no puedo entrar"])]
    store(runtime, *outage_posts(0, 6), *other_words)
    await settle(runtime, clock)
    assert len(chat.incidents) == 2
    merged = await dispatch(runtime.desk, parse_slash("/incident", "I1 merge I2", JANE))
    assert merged.ok and "Merged I2 into I1: 5 more customers" in merged.text
    await settle(runtime, clock)
    assert count(runtime, Conversation.incident_id == 1) == 11
    latest = {view.number: view for _, view in chat.incident_updates}
    assert latest[1].conversations == 11 and latest[2].merged_into == 1
    refused = await dispatch(runtime.desk, Request("reply-all", JANE, args="I2 Sorry {name}!"))
    assert not refused.ok and "merged into I1: use I1" in refused.text
    store(runtime, factories.post("@acme la app no funciona otra vez, no puedo entrar :(", handle="late"))
    await settle(runtime, clock)
    assert count(runtime, Conversation.incident_id == 1) == 12 and len(chat.incidents) == 2
    assert "Replying to 12 customers" in (await dispatch(runtime.desk, Request("reply-all", JANE, args="I1 Sorry {name}!"))).text
    with Session(runtime.engine) as session:
        assert session.get(Incident, 2).status == "merged"
        assert session.exec(select(AuditEvent).where(AuditEvent.action == "incident.merge")).one().detail == \
            {"incident": 2, "into": 1}


@pytest.mark.parametrize(("args", "says"), [
    ("I1 merge I1", "cannot be merged into itself"),
    ("I1 merge I9", "There is no incident I9"),
    ("I2 merge I1", "I1 is resolved already"),
])
async def test_a_merge_that_cannot_be_done_says_why_and_changes_nothing(desk, args, says):
    runtime, chat, clock = desk
    store(runtime, *outage_posts(0, 6))
    await settle(runtime, clock)
    with session_scope(runtime.engine) as session:
        session.add(Incident(chat_platform="slack", chat_channel=session.get(Incident, 1).chat_channel,
                             opened_at=clock.now(), updated_at=clock.now()))
    if "resolved" in says:
        assert (await dispatch(runtime.desk, Request("resolve-all", JANE, args="I1"))).ok
    outcome = await dispatch(runtime.desk, parse_slash("/incident", args, JANE))
    assert not outcome.ok and says in outcome.text
    assert count(runtime, Conversation.incident_id == 1) == 6


WORDS = st.sampled_from(["app", "down", "login", "cannot", "again", "parcel", "late", "refund", "crash", "today"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.lists(WORDS, min_size=1, max_size=5).map(" ".join), min_size=1, max_size=4), max_size=6),
       st.lists(WORDS, min_size=1, max_size=5).map(" ".join), st.sampled_from([50, 70, 85, 100]))
def test_the_alike_incident_is_the_one_with_the_best_phrasing_the_first_kept_on_a_tie(phrasings, key, cutoff):
    growing = [Incident(id=n, chat_platform="slack", chat_channel="C", opened_at=NOW, updated_at=NOW,
                        phrasings=[{"text": p, "key": p, "count": 1} for p in kept]) for n, kept in enumerate(phrasings)]
    best = max((fuzz.token_set_ratio(key, p["key"]) for incident in growing for p in incident.phrasings), default=0)
    expected = next((incident for incident in growing
                     if any(fuzz.token_set_ratio(key, p["key"]) == best for p in incident.phrasings)), None)
    assert _Growing(growing).alike(key, cutoff) is (expected if best >= cutoff else None)
