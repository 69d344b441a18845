"""The Slack side end to end: signed requests in over real HTTP, the real slack_sdk out to a fake Slack."""
from __future__ import annotations

import asyncio
import dataclasses
import json
from contextlib import asynccontextmanager
from datetime import timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

import handlers
from bot.chat.slack.inbound import build_app, http_app
from bot.chat.slack.outbound import SlackChat, make_client
from bot.ingest.poller import poll_once
from storage.db import session_scope
from storage.models import AuditEvent, ChatEvent, Conversation, Note, OutboxEntry, Reply, ReplyStatus
from tests.auxil import factories
from tests.auxil import slack_requests as slack_wire
from tests.auxil.desk import make_runtime
from tests.auxil.factories import post_item
from tests.fakes.slack_api import FakeSlack

CHANNEL_NAME = "social-desk"


@asynccontextmanager
async def fake_slack():
    async with FakeSlack() as slack:
        slack.add_channel(CHANNEL_NAME)
        for user in ("UJANE", "USAM", "UKIM", "UNOBODY"):
            slack.add_user(user, user.lower(), user.title())
        yield slack


@asynccontextmanager
async def serving(slack: FakeSlack, tmp_path, db_url: str):
    """A runtime on `db_url`, talking to `slack`, with the Bolt HTTP app served on loopback (one replica)."""
    runtime, _, clock = make_runtime(db_url, tmp_path, chat=None, routes=[{"channel": f"#{CHANNEL_NAME}"}])
    client = make_client(slack.token, slack.base_url)
    runtime.chats.clear()
    runtime.add_chat(SlackChat(client))
    bolt = build_app(runtime.desk, client, slack_wire.SIGNING_SECRET)
    try:
        async with TestClient(TestServer(http_app(bolt))) as http:
            yield Desk(runtime, slack, http, slack.channel_id(CHANNEL_NAME), tmp_path, clock)
    finally:
        await runtime.close()


@pytest.fixture
async def desk(tmp_path):
    async with fake_slack() as slack, serving(slack, tmp_path, f"sqlite:///{tmp_path / 'db.sqlite'}") as desk:
        yield desk


class Desk:
    def __init__(self, runtime, slack, http, channel, tmp_path, clock):
        self.runtime, self.slack, self.http, self.channel, self.tmp_path = runtime, slack, http, channel, tmp_path
        self.clock = clock

    def add_posts(self, *items):
        factories.add_posts(self.tmp_path, *items)

    async def settle(self):
        await poll_once(self.runtime.engine, self.runtime.config, self.runtime.sources["replay"], self.runtime.clock)
        for _ in range(5):
            await asyncio.sleep(0.05)  # lazy listeners run as tasks after the ack
            await self.runtime.outbox.drain_once()
            await self.runtime.outbox.settle()  # suggestions are made in the background

    async def send(self, body: str, content_type: str, headers: dict | None = None):
        headers = {"Content-Type": content_type, **(headers if headers is not None else slack_wire.sign(body))}
        return await self.http.post("/slack/events", data=body.encode(), headers=headers)

    @property
    def response_url(self) -> str:
        return self.slack.base_url.replace("/api/", "/response/") + "cmd"

    def parents(self):
        return self.slack.messages(self.channel)

    def thread(self, ts):
        return self.slack.thread(self.channel, ts)


async def test_mention_to_thread_to_published_reply(desk):
    desk.add_posts(post_item(1, "@acme <!channel> my order never arrived @here"),
                   post_item(2, "@acme hello?? anyone", thread_root="x1", reply_to="x1"))
    await desk.settle()
    (parent,) = desk.parents()
    rendered = json.dumps(parent["blocks"])
    assert "#1" in rendered and "@carla" in rendered and "<!channel>" not in rendered and "@here" not in rendered
    thread_texts = [m["text"] for m in desk.thread(parent["ts"])]
    assert any("hello?? anyone" in t for t in thread_texts) and any("Suggested replies" in t for t in thread_texts)

    body, kind = slack_wire.slash_command("/claim", "1", "USAM", desk.channel, desk.response_url)
    assert (await desk.send(body, kind)).status == 200
    body, kind = slack_wire.slash_command("/reply", "1 So sorry Carla, checking now!", "USAM", desk.channel,
                                          desk.response_url)
    assert (await desk.send(body, kind)).status == 200
    await desk.settle()

    published = [json.loads(line) for line in (desk.tmp_path / "replay-published.jsonl").read_text().splitlines()]
    assert [(p["text"], p["in_reply_to"]) for p in published] == [("So sorry Carla, checking now! ^SL", "x2")]
    assert any("Published publicly by Sam Lee" in m["text"] for m in desk.thread(parent["ts"]))
    updated = desk.slack.calls_to("chat.update")
    assert updated and "owner: Sam Lee" in json.dumps(updated[-1][1]["blocks"])


async def test_buttons_modal_and_thread_messages(desk):
    desk.add_posts(post_item(1, "@acme the app crashes when I log in"))
    await desk.settle()
    (parent,) = desk.parents()

    body, kind = slack_wire.block_action("sd_claim", "1", "UKIM", desk.channel, parent["ts"], desk.response_url)
    assert (await desk.send(body, kind)).status == 200
    body, kind = slack_wire.block_action("sd_reply", json.dumps({"number": 1}), "UKIM", desk.channel, parent["ts"],
                                         desk.response_url)
    await desk.send(body, kind)
    await desk.settle()
    (opened,) = desk.slack.views
    view = opened["view"]
    assert view["callback_id"] == "sd_reply_modal"
    assert view["blocks"][0]["element"]["initial_value"]  # pre-filled with a suggestion

    body, kind = slack_wire.view_submission(view, "x" * 600, "UKIM")
    answer = await desk.send(body, kind)
    assert (await answer.json())["response_action"] == "errors"
    body, kind = slack_wire.view_submission(view, "Sorry! Which phone model?", "UKIM")
    answer = await desk.send(body, kind)
    assert answer.status == 200 and not (await answer.text()).strip("{} ")

    body, kind = slack_wire.message_event("customer tweets a lot, be patient", "USAM", desk.channel, "1800.1", parent["ts"])
    await desk.send(body, kind)
    body, kind = slack_wire.message_event("!resolve", "UKIM", desk.channel, "1800.2", parent["ts"])
    await desk.send(body, kind)
    body, kind = slack_wire.message_event("!resolv", "UKIM", desk.channel, "1800.3", parent["ts"])
    await desk.send(body, kind)
    await desk.settle()

    with Session(desk.runtime.engine) as session:
        assert [n.text for n in session.exec(select(Note))] == ["customer tweets a lot, be patient"]
        assert session.exec(select(Reply)).one().status == ReplyStatus.PUBLISHED
        assert session.get(Conversation, 1).status == "resolved"
    ephemerals = [e["text"] for e in desk.slack.ephemerals]
    assert any("Unknown command !resolv" in t for t in ephemerals)
    assert any("#1 resolved" in t for t in ephemerals)


async def test_new_suggestions_button_and_publish_anyway(desk):
    desk.add_posts(post_item(1, "@acme my parcel is late"))
    await desk.settle()
    (parent,) = desk.parents()
    (suggested,) = [m for m in desk.thread(parent["ts"]) if "Suggested replies" in m["text"]]
    buttons = [e for b in suggested["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [(b["action_id"], b["value"]) for b in buttons] == [("sd_suggest", "1")]
    body, kind = slack_wire.block_action("sd_suggest", "1", "USAM", desk.channel, suggested["ts"], desk.response_url)
    await desk.send(body, kind)
    await desk.settle()
    assert "on their way" in desk.slack.responses[-1]["text"]
    assert len([m for m in desk.thread(parent["ts"]) if "Suggested replies" in m["text"]]) == 2

    body, kind = slack_wire.slash_command("/reply", "1 Sorry! What's your email address?", "USAM", desk.channel,
                                          desk.response_url)
    await desk.send(body, kind)
    await desk.settle()
    held = desk.slack.responses[-1]
    assert "Held, not sent" in held["text"]
    (button,) = [e for b in held["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert button["action_id"] == "sd_publish_anyway" and button["confirm"]
    assert json.loads(button["value"]) == {"number": 1, "args": "--anyway Sorry! What's your email address?"}
    body, kind = slack_wire.block_action("sd_publish_anyway", button["value"], "USAM", desk.channel, parent["ts"],
                                         desk.response_url)
    await desk.send(body, kind)
    await desk.settle()
    assert "being published publicly" in desk.slack.responses[-1]["text"]
    with Session(desk.runtime.engine) as session:
        assert session.exec(select(Reply)).one().text == "Sorry! What's your email address? ^SL"
        (overridden,) = session.exec(select(AuditEvent).where(AuditEvent.action == "reply.guard_overridden")).all()
        assert overridden.actor == "Sam Lee" and overridden.detail["issues"] == ["asks_for_personal_data"]


async def test_a_held_thread_reply_gets_the_button_and_the_modal_a_checkbox(desk):
    desk.add_posts(post_item(1, "@acme my parcel is late"))
    await desk.settle()
    (parent,) = desk.parents()
    body, kind = slack_wire.message_event("!reply Please share your order number", "UKIM", desk.channel, "1900.1",
                                          parent["ts"])
    await desk.send(body, kind)
    await desk.settle()
    (held,) = [e for e in desk.slack.ephemerals if "Held" in e["text"]]
    assert "sd_publish_anyway" in json.dumps(held["blocks"]) and held["thread_ts"] == parent["ts"]

    body, kind = slack_wire.block_action("sd_reply", json.dumps({"number": 1}), "UKIM", desk.channel, parent["ts"],
                                         desk.response_url)
    await desk.send(body, kind)
    await desk.settle()
    view = desk.slack.views[-1]["view"]
    body, kind = slack_wire.view_submission(view, "Please share your order number", "UKIM")
    assert (await (await desk.send(body, kind)).json())["response_action"] == "errors"
    body, kind = slack_wire.view_submission(view, "Please share your order number", "UKIM", anyway=True)
    assert (await desk.send(body, kind)).status == 200
    await desk.settle()
    with Session(desk.runtime.engine) as session:
        assert session.exec(select(Reply)).one().status == ReplyStatus.PUBLISHED


async def test_non_agents_are_told_why(desk):
    desk.add_posts(post_item(1, "@acme hi"))
    await desk.settle()
    body, kind = slack_wire.slash_command("/claim", "1", "UNOBODY", desk.channel, desk.response_url)
    await desk.send(body, kind)
    await desk.settle()
    (answer,) = desk.slack.responses
    assert "Only socialdesk agents" in answer["text"] and answer.get("response_type") == "ephemeral"


@pytest.mark.parametrize("forgery", ["unsigned", "signed for another body", "wrong secret", "stale"])
async def test_forged_or_stale_requests_are_rejected(desk, forgery):
    body, kind = slack_wire.slash_command("/claim", "1", "UJANE", desk.channel, desk.response_url)
    headers = {
        "unsigned": {},
        "signed for another body": slack_wire.sign(body.replace("UJANE", "UEVIL")),
        "wrong secret": slack_wire.sign(body, secret="wrong-secret"),
        "stale": slack_wire.sign(body, timestamp=1_600_000_000),
    }[forgery]
    response = await desk.send(body, kind, headers=headers)
    assert response.status == 401
    assert not desk.slack.responses and not desk.slack.calls_to("chat.postMessage")


async def test_slack_429_waits_for_retry_after_then_delivers_once(desk):
    desk.slack.rate_limit("chat.postMessage", retry_after=30)
    desk.add_posts(post_item(1, "@acme hi"))
    await desk.settle()
    assert desk.parents() == [] and len(desk.slack.calls_to("chat.postMessage")) == 1
    desk.clock.advance(timedelta(seconds=31))
    await desk.settle()
    assert len(desk.parents()) == 1


async def test_an_unknown_channel_is_reported_not_retried_forever(desk):
    desk.add_posts(post_item(1, "@acme hi"))
    await poll_once(desk.runtime.engine, desk.runtime.config, desk.runtime.sources["replay"], desk.clock)
    with session_scope(desk.runtime.engine) as session:
        session.get(Conversation, 1).chat_channel = "#gone"  # as if the channel was renamed after routing
    await desk.settle()
    with Session(desk.runtime.engine) as session:
        (opened,) = session.exec(select(OutboxEntry).where(OutboxEntry.kind == "chat.open")).all()
    assert opened.status == "failed" and "#gone not found" in opened.last_error


async def test_socket_mode_receives_a_slash_command_and_acks_it(tmp_path):
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    async with FakeSlack() as slack:
        channel = slack.add_channel(CHANNEL_NAME)
        runtime, _, _ = make_runtime(f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path, routes=[{"channel": channel}])
        client = make_client(slack.token, slack.base_url)
        runtime.chats.clear()
        runtime.add_chat(SlackChat(client))
        (tmp_path / "posts.jsonl").write_text(json.dumps(post_item(1, "@acme help")) + "\n")
        await poll_once(runtime.engine, runtime.config, runtime.sources["replay"], runtime.clock)
        handler = AsyncSocketModeHandler(build_app(runtime.desk, client, None, socket_mode=True), "xapp-1-test")
        await handler.connect_async()
        try:
            payload = slack_wire.slash_command_payload("/claim", "1", "USAM", channel,
                                                       slack.base_url.replace("/api/", "/response/") + "cmd")
            envelope = await slack.send_envelope("slash_commands", payload)
            for _ in range(100):
                if slack.responses:
                    break
                await asyncio.sleep(0.02)
        finally:
            await handler.close_async()
        assert envelope in [ack.get("envelope_id") for ack in slack.socket_acks]
        assert "#1 is yours" in slack.responses[0]["text"]
        await runtime.close()


async def test_a_failing_command_is_answered_and_a_refused_reply_comes_back_with_its_text(desk, monkeypatch):
    desk.add_posts(post_item(1, "@acme hi"))
    await desk.settle()

    async def broken(_desk, _request):
        raise OperationalError("UPDATE conversation", {}, Exception("database is locked"))

    monkeypatch.setitem(handlers.COMMANDS, "claim", dataclasses.replace(handlers.COMMANDS["claim"], run=broken))
    body, kind = slack_wire.slash_command("/claim", "1", "USAM", desk.channel, desk.response_url)
    await desk.send(body, kind)
    long_reply = "Sorry! " + "x" * 600
    body, kind = slack_wire.slash_command("/reply", f"1 {long_reply}", "USAM", desk.channel, desk.response_url)
    await desk.send(body, kind)
    await desk.settle()
    failed, refused = desk.slack.responses
    assert "failed to run claim: OperationalError" in failed["text"] and "Nothing was changed" in failed["text"]
    assert "Held, not sent" in refused["text"] and f"```\n{long_reply}\n```" in refused["text"]


async def test_a_redelivered_thread_reply_is_published_once_whichever_replica_gets_it(tmp_path, db_url):
    async with fake_slack() as slack, serving(slack, tmp_path, db_url) as first, serving(slack, tmp_path, db_url) as second:
        first.add_posts(post_item(1, "@acme my parcel is late"))
        await first.settle()
        (parent,) = first.parents()
        body, kind = slack_wire.message_event("!reply So sorry, checking now!", "USAM", first.channel, "1950.1", parent["ts"])
        assert (await first.send(body, kind)).status == 200
        # Slack did not see the ack in time and sends it again, to this replica and to the other
        retried = {**slack_wire.sign(body), "X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
        for replica in (first, second):
            assert (await replica.send(body, kind, retried)).status == 200
        await first.settle()
        await second.settle()

        assert [json.loads(line)["text"] for line in (tmp_path / "replay-published.jsonl").read_text().splitlines()] == [
            "So sorry, checking now! ^SL"]
        with Session(first.runtime.engine) as session:
            assert len(session.exec(select(Reply)).all()) == 1
            (claim,) = session.exec(select(ChatEvent)).all()
        assert (claim.platform, claim.event_id) == ("slack", f"{first.channel}:1950.1")
        assert len([e for e in slack.ephemerals if "being published" in e["text"]]) == 1


async def test_with_a_command_prefix_the_bot_answers_the_prefixed_commands_only(tmp_path):
    async with fake_slack() as slack:
        runtime, _, _ = make_runtime(f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path, chat=None,
                                     routes=[{"channel": f"#{CHANNEL_NAME}"}], slack={"command_prefix": "sd-"})
        client = make_client(slack.token, slack.base_url)
        runtime.chats.clear()
        runtime.add_chat(SlackChat(client))
        try:
            async with TestClient(TestServer(http_app(build_app(runtime.desk, client, slack_wire.SIGNING_SECRET)))) as http:
                desk = Desk(runtime, slack, http, slack.channel_id(CHANNEL_NAME), tmp_path, None)
                desk.add_posts(post_item(1, "@acme where is my order?"))
                await desk.settle()
                body, kind = slack_wire.slash_command("/sd-claim", "1", "USAM", desk.channel, desk.response_url)
                assert (await desk.send(body, kind)).status == 200
                body, kind = slack_wire.slash_command("/claim", "1", "UJANE", desk.channel, desk.response_url)
                assert (await desk.send(body, kind)).status == 404  # not this app's command any more
                await desk.settle()
                (answer,) = slack.responses
                assert answer["text"].startswith("#1 is yours. Reply with `/sd-reply 1 …`"), answer
        finally:
            await runtime.close()
