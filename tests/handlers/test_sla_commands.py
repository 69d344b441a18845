"""/snooze, /sla and /stats: what they change, what they say, and how they refuse."""
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session

from handlers import dispatch
from handlers.context import Actor, Request
from handlers.parsing import parse_slash, parse_thread_message
from storage.models import Conversation, ConversationStatus
from tests.auxil import factories
from tests.auxil.desk import feed, make_runtime

JANE, SAM, KIM, STRANGER = (Actor("slack", u) for u in ("UJANE", "USAM", "UKIM", "UNOBODY"))
COMPLAINT = "@acme my order never arrived, 2 weeks now"  # high priority: 1 h first response
QUESTION = "@acme do you ship to Canada?"  # normal: 4 h
SPAM = "Follow me for daily growth tips! DM me for a free promo code"


async def do(runtime, command, actor, number=None, args=""):
    return await dispatch(runtime.desk, Request(command, actor, number, args))


def conversation(runtime, number=1) -> Conversation:
    with Session(runtime.engine) as session:
        return session.get(Conversation, number)


@pytest.fixture
def desk(db_url, tmp_path):
    runtime, chat, clock = make_runtime(db_url, tmp_path)
    feed(runtime, factories.post(external_id="c1"))
    return runtime, chat, clock


@pytest.mark.parametrize("args,until", [
    ("2h", datetime(2026, 11, 2, 11, 0, tzinfo=UTC)),
    ("90m", datetime(2026, 11, 2, 10, 30, tzinfo=UTC)),
    ("until 17:30", datetime(2026, 11, 2, 17, 30, tzinfo=UTC)),
    ("until 8:00", datetime(2026, 11, 3, 8, 0, tzinfo=UTC)),  # already past today: tomorrow
    ("until tomorrow", datetime(2026, 11, 3, 9, 0, tzinfo=UTC)),
    ("until tomorrow 14.15", datetime(2026, 11, 3, 14, 15, tzinfo=UTC)),
    ("until 2026-11-20 10:00", datetime(2026, 11, 20, 10, 0, tzinfo=UTC)),
])
async def test_snooze_reads_durations_and_times(desk, args, until):
    runtime, _, _ = desk
    outcome = await do(runtime, "snooze", SAM, 1, args)
    assert outcome.ok, outcome.text
    assert conversation(runtime).snoozed_until == until and conversation(runtime).status == ConversationStatus.SNOOZED


@pytest.mark.parametrize("args,message", [
    ("", "For how long?"),
    ("soon", "can't read 'soon' as a time"),
    ("until", "Until when?"),
    ("until 2026-02-30", "not a date and time I know"),
    ("until 2026-11-01 10:00", "has already passed"),
    ("45d", "30 days at most"),
])
async def test_snooze_refuses_what_it_cannot_read_and_changes_nothing(desk, args, message):
    runtime, _, _ = desk
    outcome = await do(runtime, "snooze", SAM, 1, args)
    assert not outcome.ok and message in outcome.text
    assert conversation(runtime).status == ConversationStatus.NEW


async def test_snooze_off_brings_it_back_and_only_agents_may_snooze(desk):
    runtime, chat, _ = desk
    assert not (await do(runtime, "snooze", STRANGER, 1, "1h")).ok
    assert "is not snoozed" in (await do(runtime, "snooze", SAM, 1, "off")).text
    assert (await do(runtime, "snooze", SAM, 1, "1h")).ok
    back = await do(runtime, "snooze", JANE, 1, "off")
    assert back.ok and "back in the queue" in back.text
    assert conversation(runtime).status == ConversationStatus.NEW and conversation(runtime).response_due_at is not None
    await runtime.outbox.drain()
    texts = [m.text for m in chat.thread(chat.parents[0].message_id) if hasattr(m, "text")]
    assert texts[-1] == "Snooze ended by Jane Doe: #1 is back in the queue."
    await do(runtime, "resolve", SAM, 1)
    refused = await do(runtime, "snooze", SAM, 1, "1h")
    assert not refused.ok and "resolved" in refused.text


async def test_snooze_is_typed_as_a_slash_command_or_in_the_thread(desk):
    runtime, _, _ = desk
    slash = parse_slash("/snooze", "#1 2h", SAM)
    assert (slash.command, slash.number, slash.args) == ("snooze", 1, "2h")
    thread = parse_thread_message("!snooze until tomorrow", 1, SAM, "C1:1.1")
    assert (thread.command, thread.number, thread.args) == ("snooze", 1, "until tomorrow")
    assert (await dispatch(runtime.desk, thread)).ok


async def test_queue_shows_the_running_due_time_and_snoozed_ones_after_those_waiting(desk):
    runtime, _, clock = desk
    feed(runtime, factories.post(QUESTION, external_id="c2", handle="dan"),
         factories.post(COMPLAINT, external_id="c3", handle="eve"))
    await do(runtime, "snooze", SAM, 1, "3h")
    clock.advance(timedelta(minutes=90))
    lines = (await do(runtime, "queue", SAM)).text.splitlines()
    assert lines[1].startswith("#3 high · OVERDUE by 30 min")
    assert lines[2].startswith("#2 normal · due in 2 h 30 min")
    assert lines[3].startswith("#1 high · snoozed until 12:00 UTC") and "snoozed" in lines[3]


async def test_sla_shows_the_policy_and_today(db_url, tmp_path):
    runtime, _, clock = make_runtime(db_url, tmp_path, sla={
        "business_hours": {"timezone": "Europe/Berlin", "holidays": ["2026-12-25"]},
        "overrides": [{"network": "x", "intent": "complaint", "first_response": {"high": "30m"}}],
        "escalation": {"slack": {"channel": "#social-escalations", "on_call": "S0ONCALL"}},
        "quiet_hours": {"start": "20:00", "end": "08:00"},
    })
    feed(runtime, factories.post(COMPLAINT, external_id="t1"))
    clock.advance(timedelta(hours=2))
    lines = (await do(runtime, "sla", KIM)).text.splitlines()
    assert lines[0] == ("SLA policy · business hours Mon, Tue, Wed, Thu, Fri 09:00–17:00 Europe/Berlin, 1 holidays "
                        "· urgent around the clock")
    assert lines[1] == "• urgent: first response 15 min · next 30 min · resolution 4 h"
    assert lines[4] == "• low: first response 24 h · next 2 days · resolution 40 h"
    assert lines[5] == "• for network x, intent complaint: first response high 30 min"
    assert "a warning at 75 %" in lines[6] and "in #social-escalations" in lines[6] and "quiet 20:00–08:00" in lines[6]
    assert lines[7] == "Next holidays (targets pause): Fri 25 Dec 2026 holiday"
    assert lines[8] == ("Today: 1 conversation · first responses on time 0 % (0 of 1) · next responses n/a "
                        "· overdue now 1.")
    assert not (await do(runtime, "sla", STRANGER)).ok


async def test_sla_lists_the_next_public_holidays_of_the_country(db_url, tmp_path):
    runtime, _, _ = make_runtime(db_url, tmp_path, sla={  # the clock stands on Monday 2 November 2026
        "business_hours": {"timezone": "America/New_York", "country": "US", "subdivision": "NY"}})
    lines = (await do(runtime, "sla", KIM)).text.splitlines()
    assert lines[0].startswith("SLA policy · business hours Mon, Tue, Wed, Thu, Fri 09:00–17:00 America/New_York, "
                               "US-NY public holidays ·")
    assert ("Next holidays (targets pause): Tue 3 Nov 2026 Election Day · Wed 11 Nov 2026 Veterans Day · "
            "Thu 26 Nov 2026 Thanksgiving Day") in lines


async def publish(runtime, clock, actor, number, at):
    clock.advance(at - clock.now())
    assert (await do(runtime, "reply", actor, number, "Thanks, on it.")).ok
    await runtime.outbox.drain()


async def test_stats_response_times_rate_and_attainment_by_agent_and_network(db_url, tmp_path):
    runtime, _, clock = make_runtime(db_url, tmp_path)
    t0 = factories.T0
    feed(runtime,
         factories.post(COMPLAINT, external_id="s1", handle="a1", network="x"),
         factories.post(QUESTION, external_id="s2", handle="a2", network="x"),
         factories.post(COMPLAINT, external_id="s3", handle="a3", network="mastodon"),
         factories.post(QUESTION, external_id="s4", handle="a4", network="mastodon"),
         factories.post(SPAM, external_id="s5", handle="a5", network="x"),
         factories.post(COMPLAINT, external_id="s6", handle="a6", network="x"))
    clock.advance(timedelta(minutes=10))
    await do(runtime, "resolve", KIM, 4)  # closed without an answer before it was due: not counted
    await publish(runtime, clock, SAM, 1, t0 + timedelta(minutes=30))  # met
    await publish(runtime, clock, SAM, 3, t0 + timedelta(minutes=61))  # a minute late: missed
    await publish(runtime, clock, JANE, 2, t0 + timedelta(hours=4))  # exactly at the due time: met
    clock.advance(t0 + timedelta(hours=5) - clock.now())  # #6 has waited five hours: missed
    lines = (await do(runtime, "stats", KIM, args="7d")).text.splitlines()
    assert lines == [
        "6 conversations in the last 7 days (1 spam).",
        "• First response: median 1 h 1 min, p90 4 h · response rate 60 % (3 of 5)",
        "• On time: first responses 50 % (2 of 4) · next responses n/a · resolutions 100 % (1 of 1)",
        "By agent:",
        "• Jane Doe: 1 first response, median 4 h, p90 4 h · response rate 100 % (1 of 1) · on time 100 % (1 of 1)",
        "• Sam Lee: 2 first responses, median 45 min, p90 1 h 1 min · response rate 100 % (2 of 2) "
        "· on time 50 % (1 of 2)",
        "• unassigned: 0 first responses, no responses yet · response rate 0 % (0 of 2) · on time 0 % (0 of 1)",
        "By network:",
        "• mastodon: 1 first response, median 1 h 1 min, p90 1 h 1 min · response rate 50 % (1 of 2) "
        "· on time 0 % (0 of 1)",
        "• x: 2 first responses, median 2 h 15 min, p90 4 h · response rate 67 % (2 of 3) · on time 67 % (2 of 3)",
    ]


async def test_stats_measure_business_time_where_the_policy_does(db_url, tmp_path):
    runtime, _, clock = make_runtime(db_url, tmp_path, sla={"business_hours": {"timezone": "UTC"}})
    friday_4pm = datetime(2026, 11, 6, 16, tzinfo=UTC)
    clock.advance(friday_4pm - clock.now())
    minutes = int((friday_4pm - factories.T0).total_seconds() // 60)
    feed(runtime, factories.post(COMPLAINT, external_id="w1", minutes=minutes))
    await publish(runtime, clock, SAM, 1, datetime(2026, 11, 9, 9, 30, tzinfo=UTC))  # Monday 9:30
    assert (await do(runtime, "stats", SAM, args="24h")).text == "0 conversations in the last 24 h."  # 3 days old
    text = (await do(runtime, "stats", SAM, args="7d")).text
    # 66 hours on the clock, 1 h 30 min of them working time (Friday 16-17, Monday 9-9:30): late for a 1 h target
    assert "median 1 h 30 min, p90 1 h 30 min" in text and "first responses 0 % (0 of 1)" in text


@pytest.mark.parametrize("args,message", [("soon", "can't read 'soon' as a period"), ("400d", "longer than a year")])
async def test_stats_refuses_a_period_it_cannot_use(desk, args, message):
    runtime, _, _ = desk
    outcome = await do(runtime, "stats", SAM, args=args)
    assert not outcome.ok and message in outcome.text


async def test_stats_for_today_and_yesterday(desk):
    runtime, _, clock = desk
    assert (await do(runtime, "stats", SAM, args="today")).text.startswith("1 conversation today.")
    clock.advance(timedelta(days=1))
    assert (await do(runtime, "stats", SAM, args="yesterday")).text.startswith("1 conversation yesterday.")
    assert (await do(runtime, "stats", SAM, args="today")).text == "0 conversations today."
