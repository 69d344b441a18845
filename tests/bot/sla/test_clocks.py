"""SLA clocks follow the conversation: opened, answered, written to again, snoozed and woken, resolved."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from handlers import dispatch
from handlers.context import Actor, Request
from storage.models import Conversation, ConversationStatus, SlaClock
from tests.auxil import factories
from tests.auxil.desk import feed, make_runtime, tick

SAM = Actor("slack", "USAM")
BERLIN = ZoneInfo("Europe/Berlin")
OFFICE = {"business_hours": {"timezone": "Europe/Berlin"}}


def clocks(runtime, conversation_id=1) -> dict[str, SlaClock]:
    with Session(runtime.engine) as session:
        found = session.exec(select(SlaClock).where(SlaClock.conversation_id == conversation_id).order_by(SlaClock.id))
        return {(f"next:{c.cycle}" if c.kind == "next" else c.kind): c for c in found}


def conversation(runtime, number=1) -> Conversation:
    with Session(runtime.engine) as session:
        return session.get(Conversation, number)


async def publish_reply(runtime, text="Sorry! We're on it.", actor=SAM, number=1):
    outcome = await dispatch(runtime.desk, Request("reply", actor, number, text))
    assert outcome.ok, outcome.text
    await runtime.outbox.drain()


async def test_opening_starts_the_first_response_and_resolution_clocks(db_url, tmp_path):
    runtime, _, clock = make_runtime(db_url, tmp_path)
    feed(runtime, factories.post("@acme do you ship to Canada?", external_id="o1", minutes=-10))
    first, resolution = clocks(runtime)["first"], clocks(runtime)["resolution"]
    written = factories.T0 - timedelta(minutes=10)  # clocks start when the customer wrote, not when we read it
    assert first.priority == "normal" and first.started_at == written
    assert first.due_at == written + timedelta(hours=4) and first.warn_at == written + timedelta(hours=3)
    assert resolution.due_at == written + timedelta(hours=24)
    assert first.next_nudge_at == first.warn_at and resolution.next_nudge_at == resolution.warn_at
    shown = conversation(runtime)
    assert shown.response_due_at == shown.first_response_due_at == first.due_at


async def test_a_published_reply_stops_the_response_clock_and_pauses_the_resolution(db_url, tmp_path):
    runtime, _, clock = make_runtime(db_url, tmp_path)
    feed(runtime, factories.post(external_id="r1"))
    await runtime.outbox.drain()
    clock.advance(timedelta(minutes=40))
    await publish_reply(runtime)
    first, resolution = clocks(runtime)["first"], clocks(runtime)["resolution"]
    assert first.outcome == "responded" and first.stopped_at == clock.now() and first.next_nudge_at is None
    assert first.agent_id is not None
    assert resolution.stopped_at is None and resolution.paused_at == clock.now() and resolution.next_nudge_at is None
    shown = conversation(runtime)
    assert shown.status == ConversationStatus.AWAITING_CUSTOMER and shown.response_due_at is None


async def test_the_customer_writing_again_starts_a_next_response_clock_and_resumes_the_resolution(db_url, tmp_path):
    runtime, _, clock = make_runtime(db_url, tmp_path)
    feed(runtime, factories.post("@acme my order never arrived", external_id="n1"))
    await runtime.outbox.drain()
    await publish_reply(runtime)
    paused_at = clocks(runtime)["resolution"].due_at
    clock.advance(timedelta(hours=3))  # the customer takes three hours to answer
    feed(runtime, factories.post("@acme still nothing", external_id="n2", thread_root="n1", reply_to="n1", minutes=180))
    found = clocks(runtime)
    assert found["next:1"].priority == "high"
    assert found["next:1"].started_at == clock.now() and found["next:1"].due_at == clock.now() + timedelta(hours=2)
    assert found["resolution"].paused_at is None
    assert found["resolution"].due_at == paused_at + timedelta(hours=3)  # waiting on the customer does not count
    assert conversation(runtime).response_due_at == found["next:1"].due_at
    feed(runtime, factories.post("@acme hello??", external_id="n3", thread_root="n1", reply_to="n1", minutes=181))
    assert set(clocks(runtime)) == {"first", "resolution", "next:1"}  # one running response clock at a time
    await publish_reply(runtime, "Found it, it ships today.")
    clock.advance(timedelta(hours=1))
    feed(runtime, factories.post("@acme thanks! one more thing", external_id="n4", thread_root="n1", reply_to="n1",
                                 minutes=300))
    assert clocks(runtime)["next:1"].outcome == "responded" and clocks(runtime)["next:2"].stopped_at is None


async def test_a_raised_priority_brings_the_running_response_forward(db_url, tmp_path):
    runtime, _, clock = make_runtime(db_url, tmp_path)
    feed(runtime, factories.post("@acme do you ship to Canada?", external_id="p1"))
    clock.advance(timedelta(minutes=30))
    feed(runtime, factories.post("@acme URGENT I was charged twice for it!!", external_id="p2", thread_root="p1",
                                 reply_to="p1", minutes=30))
    first = clocks(runtime)["first"]
    assert first.priority == "urgent" and first.due_at == clock.now() + timedelta(minutes=15)
    assert conversation(runtime).response_due_at == first.due_at


async def test_resolve_stops_every_clock(db_url, tmp_path):
    runtime, _, clock = make_runtime(db_url, tmp_path)
    feed(runtime, factories.post(external_id="z1"))
    clock.advance(timedelta(minutes=5))
    assert (await dispatch(runtime.desk, Request("resolve", SAM, 1))).ok
    assert all(c.outcome == "resolved" and c.stopped_at == clock.now() and c.next_nudge_at is None
               for c in clocks(runtime).values())
    assert conversation(runtime).response_due_at is None


def minutes_since_t0(moment: datetime) -> int:
    return int((moment - factories.T0).total_seconds() // 60)


async def test_a_snooze_pauses_the_clocks_and_extends_them_by_the_working_time_it_covered(db_url, tmp_path):
    runtime, chat, clock = make_runtime(db_url, tmp_path, sla=OFFICE)
    friday = datetime(2026, 11, 6, 15, tzinfo=BERLIN)
    clock.advance(friday - clock.now())
    feed(runtime, factories.post("@acme do you ship to Canada?", external_id="s1", minutes=minutes_since_t0(friday)))
    await runtime.outbox.drain()
    due = clocks(runtime)["first"].due_at
    assert due == datetime(2026, 11, 9, 11, tzinfo=BERLIN)  # 2 h on Friday, 2 h on Monday
    clock.advance(timedelta(minutes=30))
    outcome = await dispatch(runtime.desk, Request("snooze", SAM, 1, "until tomorrow 10:00"))
    assert outcome.ok and "Sat 7 Nov 10:00 CET" in outcome.text
    snoozed = conversation(runtime)
    assert snoozed.status == ConversationStatus.SNOOZED and snoozed.response_due_at is None
    assert all(c.paused_at == clock.now() and c.next_nudge_at is None for c in clocks(runtime).values())
    await tick(runtime, clock, hours=18, minutes=30)  # Saturday 10:00: the snooze ends
    awake = conversation(runtime)
    assert awake.status == ConversationStatus.NEW and awake.snoozed_until is None
    first = clocks(runtime)["first"]
    assert first.paused_at is None and first.next_nudge_at == first.warn_at
    assert first.due_at == due + timedelta(hours=1, minutes=30)  # Friday 15:30-17:00 did not count; Saturday never does
    assert awake.response_due_at == first.due_at
    told = [m.text for m in chat.thread(chat.parents[0].message_id) if hasattr(m, "text")]
    assert told[-2:] == ["Snoozed by Sam Lee until Sat 7 Nov 10:00 CET: no SLA nudges until then.",
                         "Snooze over: #1 is back in the queue."]


async def test_the_customer_writing_ends_a_snooze(db_url, tmp_path):
    runtime, chat, clock = make_runtime(db_url, tmp_path)
    feed(runtime, factories.post(external_id="w1"))
    await runtime.outbox.drain()
    await dispatch(runtime.desk, Request("snooze", SAM, 1, "4h"))
    clock.advance(timedelta(hours=1))
    feed(runtime, factories.post("@acme hello??", external_id="w2", thread_root="w1", reply_to="w1", minutes=60))
    awake = conversation(runtime)
    assert awake.status == ConversationStatus.NEW and awake.snoozed_until is None
    first = clocks(runtime)["first"]
    assert first.priority == "high" and first.due_at == factories.T0 + timedelta(hours=2)  # 1 h target, 1 h snoozed
    await runtime.outbox.drain()
    texts = [m.text for m in chat.thread(chat.parents[0].message_id) if hasattr(m, "text")]
    assert "The customer wrote again: #1 is back in the queue." in texts


async def test_snoozing_a_conversation_that_awaits_the_customer_wakes_it_awaiting(db_url, tmp_path):
    runtime, _, clock = make_runtime(db_url, tmp_path)
    feed(runtime, factories.post(external_id="a1"))
    await runtime.outbox.drain()
    await publish_reply(runtime)
    await dispatch(runtime.desk, Request("snooze", SAM, 1, "1d"))
    await tick(runtime, clock, days=1)
    assert conversation(runtime).status == ConversationStatus.AWAITING_CUSTOMER
    assert clocks(runtime)["resolution"].paused_at is not None  # still the customer's turn
