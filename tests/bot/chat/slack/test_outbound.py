"""Escalations and the digest go to the top level of a channel through the real Web API client, found again by key."""
from datetime import timedelta

from bot.chat.slack.outbound import SlackChat, make_client
from bot.views import Notice
from tests.auxil import factories
from tests.auxil.desk import feed, make_runtime, tick
from tests.fakes.slack_api import FakeSlack


async def test_post_to_channel_by_name_and_find_it_after_a_crash():
    async with FakeSlack() as slack:
        escalations = slack.add_channel("social-escalations")
        chat = SlackChat(make_client(slack.token, slack.base_url))
        ts = await chat.post_to_channel("#social-escalations", Notice(text="🚨 #4 missed its target",
                                                                      mention_group_id="S0ONCALL"), "conv:4:x:escalate")
        (message,) = slack.messages(escalations)
        assert message["ts"] == ts and "thread_ts" not in message
        assert message["text"] == "<!subteam^S0ONCALL> 🚨 #4 missed its target"
        assert message["metadata"]["event_payload"]["key"] == "conv:4:x:escalate"
        assert await chat.find_message("#social-escalations", None, "conv:4:x:escalate") == ts
        assert await chat.find_message(escalations, None, "conv:5:x:escalate") is None


async def test_a_breach_reaches_the_thread_and_the_escalation_channel_once(tmp_path):
    async with FakeSlack() as slack:
        desk_channel = slack.add_channel("social-desk")
        escalations = slack.add_channel("social-escalations")
        runtime, _, clock = make_runtime(f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path,
                                         routes=[{"channel": "#social-desk"}],
                                         sla={"escalation": {"slack": {"channel": "#social-escalations",
                                                                       "on_call": "S0ONCALL"}}})
        runtime.chats.clear()
        runtime.add_chat(SlackChat(make_client(slack.token, slack.base_url)))
        feed(runtime, factories.post("@acme URGENT I was charged twice!!", external_id="e1"))
        await runtime.outbox.drain()
        slack.fail("chat.postMessage", "internal_error")  # the first try of the next message fails...
        await tick(runtime, clock, minutes=16)
        clock.advance(timedelta(seconds=10))  # ...and is retried after its backoff
        await runtime.outbox.drain()
        await tick(runtime, clock, minutes=1)
        (parent,) = slack.messages(desk_channel)
        nudges = [m for m in slack.thread(desk_channel, parent["ts"]) if "overdue" in m["text"]]
        assert len(nudges) == 1 and nudges[0]["text"].startswith("<!subteam^S0ONCALL> 🚨 First response overdue")
        (escalated,) = slack.messages(escalations)
        assert escalated["text"].startswith("🚨 #1 missed its first response target (15 min, urgent)")
        await runtime.close()
