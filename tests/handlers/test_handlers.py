"""The commands, platform-neutral: who may do what, and what each one changes and queues."""

from dataclasses import replace

import pytest
from sqlmodel import Session, select

from bot.ingest.pipeline import ingest
from handlers import dispatch
from handlers.context import Actor, Request
from storage.db import session_scope
from storage.models import AuditEvent, Conversation, ConversationStatus, Note, OutboxEntry, Reply
from tests.auxil import factories
from tests.auxil.desk import make_runtime

JANE, SAM, KIM, STRANGER = (Actor("slack", u) for u in ("UJANE", "USAM", "UKIM", "UNOBODY"))


@pytest.fixture
def desk(db_url, tmp_path):
    runtime, chat, clock = make_runtime(db_url, tmp_path, sources=[
        {"name": "replay", "type": "replay", "path": "posts.jsonl", "max_length": 60}])
    with session_scope(runtime.engine) as session:
        ingest(session, runtime.config, "replay", factories.post(external_id="c1"), clock.now())
    return runtime


async def do(runtime, command, actor, number=1, args="", message_id=None):
    return await dispatch(runtime.desk, Request(command, actor, number, args, message_id))


def conversation(runtime) -> Conversation:
    with Session(runtime.engine) as session:
        return session.get(Conversation, 1)


def audit_actions(runtime) -> list[str]:
    with Session(runtime.engine) as session:
        return [e.action for e in session.exec(select(AuditEvent).order_by(AuditEvent.id))]


async def test_claim_takes_ownership_and_is_audited(desk):
    outcome = await do(desk, "claim", SAM)
    assert outcome.ok and "#1 is yours" in outcome.text
    assert conversation(desk).status == ConversationStatus.CLAIMED
    assert audit_actions(desk) == ["claim"]
    again = await do(desk, "claim", SAM)
    assert again.ok and "already yours" in again.text


async def test_only_agents_may_act(desk):
    for command in ("claim", "resolve", "reply", "assign"):
        outcome = await do(desk, command, STRANGER, args="hello")
        assert not outcome.ok and "Only socialdesk agents" in outcome.text and "UNOBODY" in outcome.text
    assert conversation(desk).status == ConversationStatus.NEW and audit_actions(desk) == []


async def test_an_agent_cannot_take_a_teammates_conversation_but_a_lead_can(desk):
    await do(desk, "claim", SAM)
    refused = await do(desk, "claim", KIM)
    assert not refused.ok and "owned by Sam Lee" in refused.text
    taken = await do(desk, "claim", JANE)
    assert taken.ok and conversation(desk).assignee_id is not None
    assert audit_actions(desk) == ["claim", "claim"]


async def test_assign_by_mention_and_by_name(desk):
    outcome = await do(desk, "assign", JANE, args="<@USAM|sam>")
    assert outcome.ok and "Sam Lee's" in outcome.text
    with Session(desk.engine) as session:
        notice = session.exec(select(OutboxEntry).where(OutboxEntry.key.like("conv:1:assign:%"))).one()
        assert notice.payload["mention_agent"] == conversation(desk).assignee_id
    assert (await do(desk, "assign", JANE, args="@kim")).ok
    unknown = await do(desk, "assign", JANE, args="<@UNOBODY>")
    assert not unknown.ok and "not a socialdesk agent" in unknown.text
    missing = await do(desk, "assign", JANE, args="")
    assert not missing.ok and "Usage: /assign 42 @teammate" in missing.text


async def test_reply_is_signed_length_checked_and_queued_once(desk):
    too_long = await do(desk, "reply", SAM, args="x" * 57)
    assert not too_long.ok and "61 characters" in too_long.text and "allows 60" in too_long.text
    outcome = await do(desk, "reply", SAM, args="Sorry! Please DM us.")
    assert outcome.ok
    with Session(desk.engine) as session:
        (reply,) = session.exec(select(Reply)).all()
        assert reply.text == "Sorry! Please DM us. ^SL" and reply.in_reply_to == "c1"
        publishes = session.exec(select(OutboxEntry).where(OutboxEntry.kind == "source.publish")).all()
        assert [e.key for e in publishes] == [f"reply:{reply.id}"]
    assert conversation(desk).status == ConversationStatus.CLAIMED  # an unowned reply claims it
    empty = await do(desk, "reply", SAM, args="   ")
    assert not empty.ok and "empty" in empty.text


async def test_resolve(desk):
    assert (await do(desk, "resolve", KIM)).ok
    assert conversation(desk).status == ConversationStatus.RESOLVED
    assert "already resolved" in (await do(desk, "resolve", KIM)).text


async def test_notes_are_stored_once_and_never_published(desk):
    first = await do(desk, "note", STRANGER, args="VIP customer, be extra nice", message_id="C1:123.4")
    again = await do(desk, "note", STRANGER, args="VIP customer, be extra nice", message_id="C1:123.4")
    assert first.ok and "never published" in first.text and "already saved" in again.text
    with Session(desk.engine) as session:
        assert [n.text for n in session.exec(select(Note))] == ["VIP customer, be extra nice"]
        assert not session.exec(select(OutboxEntry).where(OutboxEntry.kind == "source.publish")).all()


async def test_unknown_conversation_says_where_numbers_come_from(desk):
    outcome = await do(desk, "claim", SAM, number=999)
    assert not outcome.ok and "no conversation #999" in outcome.text


async def test_a_public_request_for_personal_data_is_held_unless_confirmed(desk):
    held = await do(desk, "reply", SAM, args="Sorry! What's your email?")
    assert not held.ok and "Held, not sent" in held.text and "--anyway" in held.text
    with Session(desk.engine) as session:
        assert session.exec(select(Reply)).all() == []
    moved = await do(desk, "reply", SAM, args="--private What's your email?")
    assert moved.ok
    confirmed = await do(desk, "reply", SAM, args="--anyway Sorry! What's your email?")
    assert confirmed.ok
    assert audit_actions(desk)[-2:] == ["reply.guard_overridden", "reply.queued"]


async def test_anyway_does_not_override_the_length_rule(desk):
    outcome = await do(desk, "reply", SAM, args="--anyway " + "x" * 57)
    assert not outcome.ok and "shorten it by 1" in outcome.text and "--anyway" not in outcome.text


async def test_queue_lists_the_most_pressing_first(desk):
    from datetime import timedelta

    from handlers.parsing import parse_slash

    with session_scope(desk.engine) as session:
        ingest(session, desk.config, "replay", factories.post("@acme URGENT charged twice!!", external_id="c2",
                                                             handle="<!channel>dan"), desk.clock.now())
    await do(desk, "claim", SAM, number=1)
    desk.clock.advance(timedelta(minutes=20))  # the urgent one (15 min target) is now overdue
    outcome = await dispatch(desk.desk, parse_slash("/queue", "", SAM))
    lines = outcome.text.splitlines()
    assert lines[0] == "2 open, most pressing first:"
    assert lines[1].startswith("#2 urgent · OVERDUE by 5 min") and "@!channeldan" in lines[1]
    assert "<" not in outcome.text and "nobody" in lines[1]
    assert lines[2].startswith("#1 ") and "due in" in lines[2] and "Sam Lee" in lines[2]
    refused = await dispatch(desk.desk, parse_slash("/queue", "", STRANGER))
    assert not refused.ok


async def test_a_public_reply_answers_the_latest_public_post_not_a_private_message(desk):
    with session_scope(desk.engine) as session:
        ingest(session, desk.config, "replay", replace(factories.post("my order is 4411", external_id="dm-c1",
                                                                      thread_root="dm-thread"), kind="direct"),
               desk.clock.now())
    assert (await do(desk, "reply", SAM, args="Sorry! Checking.")).ok
    assert (await do(desk, "reply", SAM, args="--private Found it.")).ok
    with Session(desk.engine) as session:
        public, private = session.exec(select(Reply).order_by(Reply.id)).all()
    assert (public.in_reply_to, public.private) == ("c1", False)
    assert (private.in_reply_to, private.private) == ("dm-c1", True)


async def test_a_conversation_opened_by_a_private_message_is_answered_privately(desk):
    with session_scope(desk.engine) as session:
        opened = ingest(session, desk.config, "replay", replace(factories.post("hi", external_id="dm-x", handle="dan",
                                                                               thread_root="dm-dan"), kind="direct"),
                        desk.clock.now())
    outcome = await do(desk, "reply", SAM, number=opened.conversation_id, args="Hi Dan, happy to help.")
    assert outcome.ok and "privately, as the customer wrote privately" in outcome.text
    with Session(desk.engine) as session:
        (reply,) = session.exec(select(Reply)).all()
    assert reply.private and reply.in_reply_to == "dm-x"
