"""The conversation lifecycle: each status change writes its audit entry, moves the SLA clocks and tells the thread."""
from datetime import timedelta

from sqlmodel import Session, select

from bot.app.jobs import sweep_once
from bot.desk import lifecycle
from bot.desk.messages import NOTICE, UPDATE
from storage.db import session_scope
from storage.models import Agent, AuditEvent, Conversation, ConversationStatus, OutboxEntry, Reply, ReplyStatus, SlaClock
from tests.auxil import factories
from tests.auxil.desk import feed, make_runtime


def state(runtime, number=1):
    """The conversation, its audit actions, its running clocks' kinds and its queued notice texts."""
    with Session(runtime.engine) as session:
        conversation = session.get(Conversation, number)
        actions = [a.action for a in session.exec(select(AuditEvent).where(AuditEvent.conversation_id == number)
                                                  .order_by(AuditEvent.id))]
        running = sorted(c.kind for c in session.exec(select(SlaClock).where(SlaClock.conversation_id == number,
                                                                              SlaClock.stopped_at.is_(None))))
        paused = sorted(c.kind for c in session.exec(select(SlaClock).where(SlaClock.conversation_id == number,
                                                                             SlaClock.paused_at.is_not(None))))
        notices = [e.payload["text"] for e in session.exec(select(OutboxEntry).where(
            OutboxEntry.conversation_id == number, OutboxEntry.kind == NOTICE).order_by(OutboxEntry.id))]
        updates = len(session.exec(select(OutboxEntry).where(OutboxEntry.conversation_id == number,
                                                              OutboxEntry.kind == UPDATE)).all())
        session.expunge_all()
    return conversation, actions, running, paused, notices, updates


def agent(session, initials) -> Agent:
    return session.exec(select(Agent).where(Agent.initials == initials)).one()


def test_claim_then_resolve_then_a_reply_reopens_it(db_url, tmp_path):
    runtime, _, clock = make_runtime(db_url, tmp_path)
    feed(runtime, factories.post())
    with session_scope(runtime.engine) as session:
        conversation = session.get(Conversation, 1)
        lifecycle.claim(session, conversation, agent(session, "SL"), None, clock.now())
    conversation, actions, running, _, notices, updates = state(runtime)
    assert conversation.status == ConversationStatus.CLAIMED and actions == ["claim"]
    assert notices == ["Claimed by Sam Lee."] and updates == 1 and running == ["first", "resolution"]

    clock.advance(timedelta(minutes=5))
    with session_scope(runtime.engine) as session:
        lifecycle.resolve(session, session.get(Conversation, 1), agent(session, "SL"), clock.now())
    conversation, actions, running, _, notices, _ = state(runtime)
    assert conversation.status == ConversationStatus.RESOLVED and conversation.resolved_at == clock.now()
    assert actions == ["claim", "resolve"] and running == [] and notices[-1] == "Resolved by Sam Lee."

    with session_scope(runtime.engine) as session:
        lifecycle.take(session, session.get(Conversation, 1), agent(session, "KP"), clock.now())
    conversation, *_ = state(runtime)
    assert conversation.status == ConversationStatus.CLAIMED and conversation.resolved_at is None
    runtime.engine.dispose()


def test_a_snooze_pauses_the_clocks_and_the_sweep_wakes_it_when_time_is_up(db_url, tmp_path):
    runtime, _, clock = make_runtime(db_url, tmp_path)
    feed(runtime, factories.post())
    with session_scope(runtime.engine) as session:
        lifecycle.snooze(session, runtime.config.sla, session.get(Conversation, 1), clock.now() + timedelta(hours=1),
                         agent(session, "SL"), clock.now())
    conversation, actions, _, paused, notices, _ = state(runtime)
    assert conversation.status == ConversationStatus.SNOOZED and actions == ["snooze"]
    assert paused == ["first", "resolution"] and notices[-1].startswith("Snoozed by Sam Lee until")
    clock.advance(timedelta(hours=1))
    sweep_once(runtime.engine, runtime.config, clock.now())
    conversation, _, _, paused, notices, _ = state(runtime)
    assert conversation.status == ConversationStatus.NEW and conversation.snoozed_until is None and paused == []
    assert notices[-1] == "Snooze over: #1 is back in the queue."
    runtime.engine.dispose()


def test_the_customer_writing_again_puts_the_ball_back_in_the_teams_court(db_url, tmp_path):
    runtime, _, clock = make_runtime(db_url, tmp_path)
    feed(runtime, factories.post(external_id="a1"))
    with session_scope(runtime.engine) as session:
        conversation = session.get(Conversation, 1)
        sam = agent(session, "SL")
        lifecycle.take(session, conversation, sam, clock.now())
        reply = Reply(conversation_id=1, agent_id=sam.id, text="On it ^SL", in_reply_to="a1",
                      status=ReplyStatus.PUBLISHING, created_at=clock.now())
        session.add(reply)
        session.flush()
        lifecycle.reply_published(session, runtime.config.sla, reply, "r1", "https://social.example/r1", clock.now(),
                                  clock.now())
    conversation, actions, running, _, notices, _ = state(runtime)
    assert conversation.status == ConversationStatus.AWAITING_CUSTOMER and conversation.first_responded_at == clock.now()
    assert actions == ["reply.published"] and running == ["resolution"]
    assert notices[-1].startswith("Published publicly by Sam Lee at")

    clock.advance(timedelta(minutes=10))
    feed(runtime, factories.post("@acme still nothing", external_id="a2", thread_root="a1", reply_to="a1", minutes=10))
    conversation, _, running, *_ = state(runtime)
    assert conversation.status == ConversationStatus.CLAIMED and running == ["next", "resolution"]
    runtime.engine.dispose()


def test_a_failed_reply_tells_its_author_and_leaves_the_status_alone(db_url, tmp_path):
    runtime, _, clock = make_runtime(db_url, tmp_path)
    feed(runtime, factories.post(external_id="f1"))
    with session_scope(runtime.engine) as session:
        sam = agent(session, "SL")
        reply = Reply(conversation_id=1, agent_id=sam.id, text="On it ^SL", in_reply_to="f1",
                      status=ReplyStatus.PUBLISHING, created_at=clock.now())
        session.add(reply)
        session.flush()
        lifecycle.reply_failed(session, reply, "the post was deleted", clock.now())
    conversation, actions, running, _, notices, _ = state(runtime)
    assert conversation.status == ConversationStatus.NEW and actions == ["reply.failed"]
    assert running == ["first", "resolution"]
    assert notices[-1] == ("Reply by Sam Lee was NOT published: the post was deleted. Fix it and send it again with "
                           "`/reply 1 …`.")
    runtime.engine.dispose()


def test_priority_only_rises(db_url, tmp_path):
    runtime, _, clock = make_runtime(db_url, tmp_path)
    feed(runtime, factories.post("@acme do you ship to Canada?"))
    with session_scope(runtime.engine) as session:
        conversation = session.get(Conversation, 1)
        before = conversation.priority
        assert not lifecycle.raise_priority(session, runtime.config.sla, conversation, "low", clock.now())
        assert lifecycle.raise_priority(session, runtime.config.sla, conversation, "urgent", clock.now())
        assert conversation.priority == "urgent" != before
    with Session(runtime.engine) as session:
        assert {c.priority for c in session.exec(select(SlaClock))} == {"urgent"}
    runtime.engine.dispose()
