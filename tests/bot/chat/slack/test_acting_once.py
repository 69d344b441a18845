"""Slack payloads in the escaped form Slack sends them, commands that act once (across a crash too), and clear answers
to malformed requests: signed requests over real HTTP to the Bolt app, the real slack_sdk out to the strict fake."""
from __future__ import annotations

import json
from datetime import timedelta

from sqlmodel import Session, select

from bot.chat.slack.inbound import SlackListeners, as_typed
from bot.chat.slack.outbound import SlackChat, make_client
from bot.desk import events
from storage.models import AuditEvent, ChatEvent, Conversation
from tests.auxil import slack_requests as slack_wire
from tests.auxil.factories import post_item

ESCAPED = ("Yes, Q&amp;A is open &lt;3 see <https://acme.com/help> or <http://acme.com|acme.com>, "
           "mail <mailto:a@acme.com|a@acme.com>")


def published(desk) -> list[dict]:
    path = desk.tmp_path / "replay-published.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


async def slash(desk, command: str, text: str, user: str = "USAM"):
    body, kind = slack_wire.slash_command(command, text, user, desk.channel, desk.response_url)
    answer = await desk.send(body, kind)
    await desk.settle()
    return answer


def test_slack_escaping_is_decoded_once_into_what_was_typed():
    text, mentioned = as_typed("&lt;@U1&gt; is literal; <@U0SAM|sam> <#C0GEN|general> <!here> <!subteam^S01|@oncall> "
                               "&amp;lt; stays &amp;lt;")
    assert text == "<@U1> is literal; <@U0SAM> #general @here @oncall &lt; stays &lt;"
    assert [(a.user_id, a.display_name) for a in mentioned] == [("U0SAM", "sam")]
    assert as_typed(ESCAPED)[0] == ("Yes, Q&A is open <3 see https://acme.com/help or acme.com, mail a@acme.com")


async def test_a_reply_is_published_as_typed_and_a_mention_becomes_a_name(desk):
    desk.add_posts(post_item(1, "@acme is the Q&A open?"))
    await desk.settle()
    await slash(desk, "/reply", f"1 {ESCAPED}")
    await slash(desk, "/reply", "1 <@UKIM|kim> will follow up")
    await slash(desk, "/reply", "1 ask <@UOUTSIDER> about it")
    assert [p["text"] for p in published(desk)] == [
        "Yes, Q&A is open <3 see https://acme.com/help or acme.com, mail a@acme.com ^SL", "Kim Park will follow up ^SL"]
    refused = desk.slack.responses[-1]["text"]
    assert "a chat mention means nothing on the network" in refused and "<@UOUTSIDER" not in refused.split("\n")[0]


async def test_an_identical_reply_within_minutes_is_held_until_sent_with_anyway(desk):
    desk.add_posts(post_item(1, "@acme where is my parcel"))
    await desk.settle()
    await slash(desk, "/reply", "1 Checking now!")
    desk.clock.advance(timedelta(seconds=40))
    await slash(desk, "/reply", "1 Checking now!")
    held = desk.slack.responses[-1]
    assert "you sent this same reply to #1 40 s ago" in held["text"] and "--anyway" in held["text"]
    assert len(published(desk)) == 1
    await slash(desk, "/reply", "1 --anyway Checking now!")
    assert [p["text"] for p in published(desk)] == ["Checking now! ^SL"] * 2


async def test_a_command_delivered_twice_acts_once(desk):
    desk.add_posts(post_item(1, "@acme hello"))
    await desk.settle()
    body, kind = slack_wire.slash_command("/reply", "1 On it!", "USAM", desk.channel, desk.response_url)
    for _ in range(2):  # the same invocation (same trigger_id) delivered again
        assert (await desk.send(body, kind)).status == 200
    await desk.settle()
    assert [p["text"] for p in published(desk)] == ["On it! ^SL"]


async def test_a_command_acknowledged_before_a_crash_runs_on_restart(desk):
    desk.add_posts(post_item(1, "@acme hello"))
    await desk.settle()
    payload = slack_wire.slash_command_payload("/claim", "1", "UKIM", desk.channel, desk.response_url)
    engine = desk.runtime.engine
    assert events.record_command(engine, "slack", payload["trigger_id"], payload, desk.clock.now())  # acked, then died
    listeners = SlackListeners(desk.runtime.desk, SlackChat(make_client(desk.slack.token, desk.slack.base_url)))
    assert await listeners.recover() == 0  # too fresh: its own process may still be running it
    desk.clock.advance(timedelta(minutes=1))
    assert await listeners.recover() == 1
    assert await listeners.recover() == 0  # and only once
    assert "Answered late" in desk.slack.responses[-1]["text"] and "#1 is yours" in desk.slack.responses[-1]["text"]
    with Session(engine) as session:
        assert session.get(Conversation, 1).status == "claimed"
        row = session.get(ChatEvent, ("slack", payload["trigger_id"]))
        assert row.done_at is not None and row.payload is None


async def test_a_resolved_conversation_is_said_to_be_reopened(desk):
    desk.add_posts(post_item(1, "@acme thanks, all good"))
    await desk.settle()
    await slash(desk, "/resolve", "1")
    await slash(desk, "/claim", "1")
    assert desk.slack.responses[-1]["text"].startswith("#1 was resolved; it is open again and yours.")
    await slash(desk, "/resolve", "1")
    desk.clock.advance(timedelta(minutes=1))
    await slash(desk, "/reply", "1 One more thing: your refund is on its way.")
    assert "#1 was resolved; your reply reopens it." in desk.slack.responses[-1]["text"]
    with Session(desk.runtime.engine) as session:
        assert len(session.exec(select(AuditEvent).where(AuditEvent.action == "reopen")).all()) == 2
        assert session.get(Conversation, 1).status != "resolved"
    (parent,) = desk.parents()
    assert sum("Reopened by Sam Lee" in m["text"] for m in desk.thread(parent["ts"])) == 2


async def test_malformed_requests_get_clear_answers_not_500s(desk):
    desk.add_posts(post_item(1, "@acme hello"))
    await desk.settle()
    (parent,) = desk.parents()
    for action_id, value in (("sd_claim", "not-a-number"), ("sd_publish_anyway", "{broken"), ("sd_reply", "[]")):
        body, kind = slack_wire.block_action(action_id, value, "USAM", desk.channel, parent["ts"], desk.response_url)
        assert (await desk.send(body, kind)).status == 200
        await desk.settle()
        assert "could not read this button" in desk.slack.responses[-1]["text"]
    body, kind = slack_wire.view_submission({"type": "modal", "callback_id": "sd_reply_modal"}, "Hello", "USAM")
    answer = await desk.send(body, kind)
    assert answer.status == 200 and "lost track of its conversation" in (await answer.json())["errors"]["reply"]
    answer = await desk.send(json.dumps({"command": "/claim", "text": "1"}), "application/json")
    assert answer.status == 400 and "could not read this request" in (await answer.json())["error"]
    with Session(desk.runtime.engine) as session:
        assert session.get(Conversation, 1).assignee_id is None


async def test_a_typed_command_outside_a_conversation_says_what_to_do(desk):
    desk.add_posts(post_item(1, "@acme hello"))
    body, kind = slack_wire.message_event("!claim", "USAM", desk.channel, "2000.1", None)
    await desk.send(body, kind)
    seed = desk.slack.add_message(desk.channel, "lunch?", user="UKIM")
    body, kind = slack_wire.message_event("!reply 42 hi", "USAM", desk.channel, "2000.2", seed)
    await desk.send(body, kind)
    body, kind = slack_wire.message_event("!!! wow", "USAM", desk.channel, "2000.3", None)
    await desk.send(body, kind)
    await desk.settle()
    answers = [e["text"] for e in desk.slack.ephemerals]
    assert len(answers) == 2 and all("works inside a conversation's thread" in a for a in answers)
    assert "`/claim 42`" in answers[0] and "`/reply 42 " in answers[1]


async def test_a_long_refused_reply_is_echoed_only_in_part(desk):
    desk.add_posts(post_item(1, "@acme hello"))
    await desk.settle()
    await slash(desk, "/reply", "1 " + "a" * 1_000_000)
    answer = desk.slack.responses[-1]["text"]
    assert "The first 2,000 of your reply's 1,000,000 characters" in answer and len(answer) < 3000


async def test_the_reply_modal_opens_on_the_strict_fake_and_says_when_a_suggestion_was_cut(desk):
    desk.add_posts(post_item(1, "@acme hello"))
    await desk.settle()
    (parent,) = desk.parents()
    long_suggestion = "Thanks for waiting. " * 400
    value = json.dumps({"number": 1, "text": long_suggestion[:1900], "cut": len(long_suggestion) - 1900})
    body, kind = slack_wire.block_action("sd_reply_suggestion_0", value, "USAM", desk.channel, parent["ts"],
                                         desk.response_url)
    await desk.send(body, kind)
    await desk.settle()
    assert desk.slack.errors == []
    (opened,) = desk.slack.views
    hint = opened["view"]["blocks"][0]["hint"]["text"]
    assert f"its last {len(long_suggestion) - 1900:,} characters were left out" in hint


async def test_a_command_that_cannot_be_recorded_is_not_acknowledged_as_done_nor_run(desk, monkeypatch):
    desk.add_posts(post_item(1, "@acme hello"))
    await desk.settle()

    def database_down(*args):
        raise OSError("connection refused")

    monkeypatch.setattr(events, "record_command", database_down)
    answer = await slash(desk, "/claim", "1")
    assert "could not record this" in await answer.text()
    with Session(desk.runtime.engine) as session:
        assert session.get(Conversation, 1).assignee_id is None
