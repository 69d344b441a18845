"""Nudges: warning -> breach (+ escalation) -> reminders, quiet hours, stopping at once, never twice."""
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from bot.app.runtime import Runtime
from bot.sla.sweep import sweep
from bot.views import Notice
from handlers import dispatch
from handlers.context import Actor, Request
from storage.models import OutboxEntry, OutboxStatus
from tests.auxil import factories
from tests.auxil.desk import feed, make_runtime, tick
from tests.fakes.chat import SimulatedCrash

SAM = Actor("slack", "USAM")
ESCALATION = {"slack": {"channel": "C0ESCALATE", "on_call": "S0ONCALL"}}
URGENT = "@acme URGENT I was charged twice!!"
QUESTION = "@acme do you ship to Canada?"  # normal priority: 4 h first response


def nudges(chat) -> list[Notice]:
    """The SLA messages in the first conversation's thread, in order."""
    return [s.body for s in chat.replies if ":sla:" in s.key]


def nudge_keys(chat) -> list[str]:
    return [s.key for s in chat.replies if ":sla:" in s.key]


@pytest.fixture
def desk(db_url, tmp_path):
    return make_runtime(db_url, tmp_path, sla={"escalation": ESCALATION})


async def test_warning_then_breach_then_reminders_growing_up_to_the_cap(desk):
    runtime, chat, clock = desk
    feed(runtime, factories.post(URGENT, external_id="u1"))
    await runtime.outbox.drain()
    await tick(runtime, clock, minutes=11)  # 73 % of 15 min
    assert nudge_keys(chat) == []
    await tick(runtime, clock, minutes=1)  # 80 %
    (warning,) = nudges(chat)
    assert warning.text.startswith("⏳ First response due in 3 min") and warning.mention_group_id == "S0ONCALL"
    assert warning.mention_chat_id is None
    await tick(runtime, clock, minutes=3)  # 15 min: due
    breach = nudges(chat)[-1]
    assert breach.text.startswith("🚨 First response overdue: the 15 min target passed")
    assert "escalation channel has been told" in breach.text
    (escalated,) = chat.channel_posts
    assert escalated.channel == "C0ESCALATE" and escalated.key == "conv:1:sla:first:breach:escalate"
    assert escalated.body.text.startswith("🚨 #1 missed its first response target (15 min, urgent)")
    assert "/claim 1" in escalated.body.text and escalated.body.mention_group_id is None
    sent_at = {"conv:1:sla:first:breach": clock.now()}
    for _ in range(12 * 12):  # twelve hours, five minutes at a time
        await tick(runtime, clock, minutes=5)
        for key in nudge_keys(chat):
            sent_at.setdefault(key, clock.now())
    reminders = [key for key in nudge_keys(chat) if ":remind:" in key]
    assert reminders[:5] == [f"conv:1:sla:first:remind:{n}" for n in range(1, 6)]
    gaps = [sent_at[b] - sent_at[a] for a, b in zip(reminders, reminders[1:], strict=False)]
    assert gaps[:4] == [timedelta(hours=1), timedelta(hours=2), timedelta(hours=4), timedelta(hours=4)]
    assert sent_at[reminders[0]] - sent_at["conv:1:sla:first:breach"] == timedelta(minutes=30)
    assert nudges(chat)[-1].text.startswith(f"🔔 Reminder {len(reminders)}: first response overdue by")
    assert len(set(nudge_keys(chat))) == len(nudge_keys(chat)) and len(chat.channel_posts) == 2  # + resolution


async def test_the_owner_is_mentioned_rather_than_the_on_call_group(desk):
    runtime, chat, clock = desk
    feed(runtime, factories.post(URGENT, external_id="m1"))
    await dispatch(runtime.desk, Request("claim", SAM, 1))
    await runtime.outbox.drain()
    await tick(runtime, clock, minutes=12)
    (warning,) = nudges(chat)
    assert warning.mention_chat_id == "USAM" and warning.mention_group_id is None


@pytest.mark.parametrize("how", ["reply", "resolve", "snooze"])
async def test_a_reply_resolve_or_snooze_stops_the_nudges_even_one_already_queued(desk, how):
    runtime, chat, clock = desk
    feed(runtime, factories.post(URGENT, external_id="s1"))
    await runtime.outbox.drain()
    clock.advance(timedelta(minutes=15))
    sweep(runtime.engine, runtime.config.sla, clock.now())  # breach and escalation queued, not delivered yet
    args = {"reply": "So sorry, refunding now.", "resolve": "", "snooze": "1h"}[how]
    assert (await dispatch(runtime.desk, Request(how, SAM, 1, args))).ok
    await runtime.outbox.drain()
    assert nudge_keys(chat) == [] and chat.channel_posts == []
    with Session(runtime.engine) as session:
        stale = session.exec(select(OutboxEntry).where(OutboxEntry.key.like("conv:1:sla:%"))).all()
    assert {e.key for e in stale} == {"conv:1:sla:first:breach", "conv:1:sla:first:breach:escalate"}
    assert all(e.status == OutboxStatus.DONE and "skipped" in e.result for e in stale)
    for _ in range(24):
        await tick(runtime, clock, minutes=5)
    # after the hour's snooze the clocks run again: due 1 h later, a reminder 30 min after that
    expected = [] if how != "snooze" else ["conv:1:sla:first:remind:1"]
    assert nudge_keys(chat) == expected


async def test_nothing_is_sent_twice_after_a_restart(db_url, tmp_path):
    runtime, chat, clock = make_runtime(db_url, tmp_path, sla={"escalation": ESCALATION})
    feed(runtime, factories.post(URGENT, external_id="r1"))
    await runtime.outbox.drain()
    clock.advance(timedelta(minutes=16))
    sweep(runtime.engine, runtime.config.sla, clock.now())
    chat.crash_after_send = True  # the breach reaches chat, then the process dies before recording it
    with pytest.raises(SimulatedCrash):
        await runtime.outbox.drain_once()
    await runtime.close()

    restarted = Runtime(runtime.config, database_url=db_url, base_dir=tmp_path, clock=clock)
    chat.crash_after_send = False
    restarted.add_chat(chat)
    clock.advance(timedelta(minutes=1))  # the dead process's claim on the entry runs out
    for _ in range(3):
        sweep(restarted.engine, restarted.config.sla, clock.now())  # the breach is queued already: no second one
        await restarted.outbox.drain()
    assert nudge_keys(chat) == ["conv:1:sla:first:breach"]
    assert [s.key for s in chat.channel_posts] == ["conv:1:sla:first:breach:escalate"]
    await restarted.close()


async def test_after_downtime_only_the_most_advanced_nudge_is_sent(desk):
    runtime, chat, clock = desk
    feed(runtime, factories.post(URGENT, external_id="d1"))
    await runtime.outbox.drain()
    await tick(runtime, clock, hours=2)  # nobody swept for two hours: not a warning, then a breach, then reminders
    assert nudge_keys(chat) == ["conv:1:sla:first:breach"]
    await tick(runtime, clock, minutes=30)
    assert nudge_keys(chat) == ["conv:1:sla:first:breach", "conv:1:sla:first:remind:1"]


async def test_quiet_hours_hold_back_everything_but_urgent_and_send_it_once_when_they_end(db_url, tmp_path):
    quiet = {"start": "08:00", "end": "12:00", "timezone": "UTC"}  # the fake clock starts at 09:00 UTC
    runtime, chat, clock = make_runtime(db_url, tmp_path, sla={"escalation": ESCALATION, "quiet_hours": quiet,
                                                               "first_response": {"urgent": "15m", "high": "1h",
                                                                                  "normal": "1h", "low": "1h"}})
    feed(runtime, factories.post(QUESTION, external_id="q1"), factories.post(URGENT, external_id="q2", handle="dan"))
    await runtime.outbox.drain()
    sent_at = {}
    for _ in range(40):  # 09:00 to 12:20, five minutes at a time
        await tick(runtime, clock, minutes=5)
        for key in nudge_keys(chat) + [s.key for s in chat.channel_posts]:
            sent_at.setdefault(key, clock.now())
    noon = datetime(2026, 11, 2, 12, tzinfo=UTC)
    normal = [k for k in nudge_keys(chat) if k.startswith("conv:1:")]
    assert normal == ["conv:1:sla:first:breach"]  # one message when quiet hours ended, not a warning and a breach
    assert sent_at["conv:1:sla:first:breach"] == sent_at["conv:1:sla:first:breach:escalate"] == noon
    assert sent_at["conv:2:sla:first:breach"] == datetime(2026, 11, 2, 9, 15, tzinfo=UTC)  # urgent: at once
    assert sent_at["conv:2:sla:first:breach:escalate"] < noon


async def test_business_hours_keep_nudges_to_working_time(db_url, tmp_path):
    office = {"timezone": "UTC", "start": "09:00", "end": "17:00"}
    runtime, chat, clock = make_runtime(db_url, tmp_path, sla={"business_hours": office})
    clock.advance(timedelta(days=4, hours=6))  # Friday 6 Nov 15:00 UTC
    feed(runtime, factories.post(QUESTION, external_id="b1", minutes=(4 * 24 + 6) * 60))
    await runtime.outbox.drain()
    sent_at = {}
    for _ in range(4 * 24):  # to Tuesday, hour by hour
        await tick(runtime, clock, hours=1)
        for key in nudge_keys(chat):
            sent_at.setdefault(key, clock.now())
    friday = datetime(2026, 11, 6, tzinfo=UTC)
    assert sent_at["conv:1:sla:first:warn"] == friday + timedelta(days=3, hours=10)  # Monday 10:00 (3 h of 4 h)
    assert sent_at["conv:1:sla:first:breach"] == friday + timedelta(days=3, hours=11)
    assert sent_at["conv:1:sla:first:remind:3"] == friday + timedelta(days=3, hours=15)
    assert sent_at["conv:1:sla:first:remind:4"] == friday + timedelta(days=4, hours=11)  # 4 working hours later
    assert all(9 <= moment.hour <= 17 and moment.weekday() < 5 for moment in sent_at.values())
