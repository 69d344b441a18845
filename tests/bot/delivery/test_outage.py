"""Delivery that waits out outages: transient errors never fail an entry, the team hears once that delivery is
paused (and `/desk status` and `socialdesk check` say so), and a throttled message keeps its place in its channel."""
from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from bot.chat.slack.outbound import SlackChat, make_client
from bot.delivery.admin import paused
from handlers import dispatch
from handlers.context import Actor, Request
from storage.models import OutboxEntry, OutboxStatus
from tests.auxil import factories
from tests.auxil.desk import feed, make_runtime
from tests.fakes.slack_api import FakeSlack


def slack_runtime(slack: FakeSlack, tmp_path, **config):
    runtime, _, clock = make_runtime(f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path, routes=[{"channel": "#social-desk"}],
                                     **config)
    runtime.chats.clear()
    runtime.add_chat(SlackChat(make_client(slack.token, slack.base_url)))
    return runtime, clock


async def deliver_everything(runtime, clock, rounds: int = 4) -> None:
    """What the outbox job does every tick, with time passing between the rounds."""
    for _ in range(rounds):
        await runtime.outbox.drain()
        await runtime.outbox.settle()
        clock.advance(timedelta(seconds=2))


async def test_an_outage_pauses_delivery_says_so_once_and_loses_nothing(tmp_path):
    async with FakeSlack() as slack:
        desk_channel = slack.add_channel("social-desk")
        escalations = slack.add_channel("social-escalations")
        runtime, clock = slack_runtime(slack, tmp_path, sla={"escalation": {"slack": {"channel": "#social-escalations"}}})
        slack.fail("chat.postMessage", "service_unavailable", status=503, times=100_000)
        feed(runtime, *(factories.post(f"@acme order {n} is late", external_id=f"o{n}", handle=f"c{n}") for n in range(3)))
        for _ in range(15):  # 15 minutes of outage, far past the old 8 attempts
            await runtime.outbox.drain()
            clock.advance(timedelta(seconds=61))
        with Session(runtime.engine) as session:
            assert not session.exec(select(OutboxEntry).where(OutboxEntry.status == OutboxStatus.FAILED)).all()
        (stuck, *_) = paused(runtime.engine, clock.now())
        assert stuck.target == "chat:slack:#social-desk"
        assert "service_unavailable" in stuck.error
        status = await dispatch(runtime.desk, Request("desk", Actor("slack", "UJANE")))
        assert "PAUSED for 1" in status.text and "nothing is lost" in status.text

        slack.heal("chat.postMessage")
        clock.advance(timedelta(seconds=61))
        await deliver_everything(runtime, clock)
        parents = slack.messages(desk_channel)
        assert [m["text"].split(":")[0] for m in parents] == ["#1 Replay @c0", "#2 Replay @c1", "#3 Replay @c2"]  # all, in order
        alerts = [m["text"] for m in slack.messages(escalations)]
        assert len(alerts) == 1 and "has been paused since" in alerts[0] and "nothing is lost" in alerts[0]
        assert paused(runtime.engine, clock.now()) == []
        status = await dispatch(runtime.desk, Request("desk", Actor("slack", "UJANE")))
        assert "Delivery: flowing." in status.text
        await runtime.close()


async def test_a_throttled_message_keeps_its_place_in_its_channel(tmp_path):
    async with FakeSlack() as slack:
        desk_channel = slack.add_channel("social-desk")
        runtime, clock = slack_runtime(slack, tmp_path)
        feed(runtime, *(factories.post(f"@acme question {n}", external_id=f"t{n}", handle=f"c{n}") for n in range(4)))
        slack.rate_limit("chat.postMessage", times=1, retry_after=30)  # the first parent is throttled
        await runtime.outbox.drain_once()
        assert slack.messages(desk_channel) == []  # nothing overtakes it
        clock.advance(timedelta(seconds=31))
        await deliver_everything(runtime, clock)
        assert [m["text"].split(":")[0] for m in slack.messages(desk_channel)] == [f"#{n + 1} Replay @c{n}" for n in range(4)]
        await runtime.close()


async def test_a_message_waiting_for_its_retry_is_not_overtaken(tmp_path):
    async with FakeSlack() as slack:
        desk_channel = slack.add_channel("social-desk")
        runtime, clock = slack_runtime(slack, tmp_path)
        feed(runtime, *(factories.post(f"@acme question {n}", external_id=f"r{n}", handle=f"c{n}") for n in range(3)))
        slack.fail("chat.postMessage", "internal_error", status=500)  # once: the first parent waits ~2 s for its retry
        await runtime.outbox.drain_once()
        clock.advance(timedelta(seconds=1))
        await runtime.outbox.drain_once()  # the others are due, the first is not: they wait behind it
        assert slack.messages(desk_channel) == []
        clock.advance(timedelta(seconds=2))
        await deliver_everything(runtime, clock)
        assert [m["text"].split(":")[0] for m in slack.messages(desk_channel)] == [f"#{n + 1} Replay @c{n}" for n in range(3)]
        await runtime.close()
