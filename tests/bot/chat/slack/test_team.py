"""The team desk in Slack, end to end: signed requests into the Bolt app over real HTTP, the real slack_sdk out to the
strict fake Slack. Approvals through the buttons, the escalation thread, who is composing, saved replies in the modal,
and the App Home tab, on SQLite and PostgreSQL."""
from __future__ import annotations

import json
from contextlib import asynccontextmanager
from datetime import timedelta

from aiohttp.test_utils import TestClient, TestServer
from sqlmodel import Session, select

from bot.chat.slack.inbound import build_app, http_app
from bot.chat.slack.outbound import SlackChat, make_client
from storage.models import AuditEvent, Reply, ReplyStatus
from tests.auxil import slack_requests as slack_wire
from tests.auxil.desk import make_runtime
from tests.auxil.factories import post_item
from tests.bot.chat.slack.test_inbound import CHANNEL_NAME, Desk
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_blocks import VIEW_BLOCKS

AGENTS = [
    {"name": "Jane Doe", "initials": "JD", "role": "lead", "slack": "UJANE"},
    {"name": "Sam Lee", "initials": "SL", "slack": "USAM"},
    {"name": "Kim Park", "initials": "KP", "slack": "UKIM"},
    {"name": "Tess Ray", "initials": "TR", "role": "trainee", "slack": "UTESS"},
]


@asynccontextmanager
async def team_desk(tmp_path, db_url):
    async with FakeSlack() as slack:
        slack.add_channel(CHANNEL_NAME)
        billing = slack.add_channel("billing-experts")
        for user in ("UJANE", "USAM", "UKIM", "UTESS", "UNOBODY"):
            slack.add_user(user, user.lower(), user.title())
        runtime, _, clock = make_runtime(
            db_url, tmp_path, routes=[{"channel": f"#{CHANNEL_NAME}"}], agents=AGENTS,
            approvals={"roles": ["trainee"]}, escalations=[{"name": "billing", "channel": "#billing-experts"}],
            incidents={"enabled": False})  # thirty alike posts in a row would fold into an incident
        client = make_client(slack.token, slack.base_url)
        runtime.chats.clear()
        runtime.add_chat(SlackChat(client))
        try:
            async with TestClient(TestServer(http_app(build_app(runtime.desk, client, slack_wire.SIGNING_SECRET)))) as http:
                desk = Desk(runtime, slack, http, slack.channel_id(CHANNEL_NAME), tmp_path, clock)
                desk.billing = billing
                yield desk
        finally:
            await runtime.close()


def buttons(message: dict) -> list[dict]:
    return [e for b in message.get("blocks", []) if b["type"] == "actions" for e in b["elements"]]


async def slash(desk, command: str, text: str, user: str):
    body, kind = slack_wire.slash_command(command, text, user, desk.channel, desk.response_url)
    assert (await desk.send(body, kind)).status == 200


async def press(desk, action_id: str, value: str, user: str, ts: str):
    body, kind = slack_wire.block_action(action_id, value, user, desk.channel, ts, desk.response_url)
    assert (await desk.send(body, kind)).status == 200
    await desk.settle()


async def test_a_held_reply_is_approved_edited_or_rejected_through_the_buttons(tmp_path, db_url):
    async with team_desk(tmp_path, db_url) as desk:
        desk.add_posts(post_item(1, "@acme my parcel is late"), post_item(2, "@acme where is my invoice?",
                                                                         author={"handle": "eve", "name": "Eve"}))
        await desk.settle()
        parent = desk.parents()[0]
        await slash(desk, "/reply", "1 Sorry Carla, we are on it!", "UTESS")
        await desk.settle()
        assert "waits for a lead's approval (trainee)" in desk.slack.responses[-1]["text"]
        (request,) = [m for m in desk.thread(parent["ts"]) if "waits for a lead" in m["text"]]
        approve, edit, reject = buttons(request)
        assert [b["action_id"] for b in (approve, edit, reject)] == ["sd_approve", "sd_approval_edit", "sd_reject"]
        assert "waiting" in json.dumps(desk.slack.calls_to("chat.update")[-1].params["blocks"])  # the SLA shows the wait

        await press(desk, "sd_approve", approve["value"], "USAM", request["ts"])  # not a lead
        assert "Only leads" in desk.slack.responses[-1]["text"]
        await press(desk, "sd_approve", approve["value"], "UJANE", request["ts"])
        assert "being published" in desk.slack.responses[-1]["text"]
        assert any("Your reply was approved by Jane Doe" in m["text"] and "<@UTESS>" in m["text"]
                   for m in desk.thread(parent["ts"]))
        (decided,) = [m for m in desk.thread(parent["ts"]) if m["ts"] == request["ts"]]
        assert not buttons(decided) and "Approved by Jane Doe" in json.dumps(decided["blocks"])  # nothing left to press
        published = [json.loads(line)["text"] for line in (tmp_path / "replay-published.jsonl").read_text().splitlines()]
        assert published == ["Sorry Carla, we are on it! ^TR"]

        second = desk.parents()[1]
        await slash(desk, "/reply", "2 Hi Eve, it is on its way", "UTESS")
        await desk.settle()
        (request,) = [m for m in desk.thread(second["ts"]) if "waits for a lead" in m["text"]]
        _, edit, reject = buttons(request)
        await press(desk, "sd_approval_edit", edit["value"], "UJANE", request["ts"])
        modal = desk.slack.views[-1]["view"]
        assert modal["callback_id"] == "sd_approval_edit_modal"
        assert modal["blocks"][0]["element"]["initial_value"] == "Hi Eve, it is on its way"
        body, kind = slack_wire.view_submission(modal, "Hi Eve, your invoice is in your inbox now.", "UJANE")
        assert (await desk.send(body, kind)).status == 200
        await desk.settle()
        await press(desk, "sd_reject", reject["value"], "UJANE", request["ts"])  # too late: it was approved
        assert "already approved by Jane Doe" in desk.slack.responses[-1]["text"]

        await slash(desk, "/reply", "2 One more thing", "UTESS")
        await desk.settle()
        requests = [m for m in desk.thread(second["ts"]) if "waits for a lead" in m["text"]]
        await press(desk, "sd_reject", buttons(requests[-1])[2]["value"], "UJANE", requests[-1]["ts"])
        with Session(desk.runtime.engine) as session:
            replies = [(r.text, r.status) for r in session.exec(select(Reply).order_by(Reply.id))]
            actions = [e.action for e in session.exec(select(AuditEvent).order_by(AuditEvent.id))]
        assert replies == [("Sorry Carla, we are on it! ^TR", ReplyStatus.PUBLISHED),
                           ("Hi Eve, your invoice is in your inbox now. ^TR", ReplyStatus.PUBLISHED),
                           ("One more thing ^TR", ReplyStatus.REJECTED)]
        assert actions.count("reply.approved") == 2 and "reply.edited" in actions and "reply.rejected" in actions


async def test_the_expert_group_gets_a_summary_thread_and_answers_from_it(tmp_path, db_url):
    async with team_desk(tmp_path, db_url) as desk:
        desk.add_posts(post_item(1, "@acme <!channel> I was charged twice"))
        await desk.settle()
        await slash(desk, "/escalate", "1 @billing refund decision needed", "USAM")
        await desk.settle()
        (summary,) = desk.slack.messages(desk.billing)
        rendered = json.dumps(summary["blocks"])
        assert "escalated to *billing* by Sam Lee: refund decision needed" in rendered
        assert "@carla on X (Carla Diaz)" in rendered and "first contact" in rendered
        assert "<!channel>" not in rendered and "charged twice" in rendered  # the post is quoted, inert
        body, kind = slack_wire.message_event("!reply We refunded the second charge.", "UJANE", desk.billing,
                                              "2000.1", summary["ts"])
        await desk.send(body, kind)
        await desk.settle()
        published = [json.loads(line)["text"] for line in (tmp_path / "replay-published.jsonl").read_text().splitlines()]
        assert published == ["We refunded the second charge. ^JD"]


async def test_the_parent_shows_who_is_composing_and_the_modal_offers_saved_replies(tmp_path, db_url):
    async with team_desk(tmp_path, db_url) as desk:
        desk.add_posts(post_item(1, "@acme where is my refund? charged twice"))
        await desk.settle()
        (parent,) = desk.parents()
        await press(desk, "sd_reply", json.dumps({"number": 1}), "UKIM", parent["ts"])
        view = desk.slack.views[-1]["view"]
        assert view["notify_on_close"] is True
        options = [o["value"] for b in view["blocks"] if b.get("block_id") == "saved" for o in b["accessory"]["options"]]
        assert "refund-delay" in options
        assert "Kim Park is writing a reply" in json.dumps(desk.slack.calls_to("chat.update")[-1].params["blocks"])

        body, kind = slack_wire.view_action(view, slack_wire.selected("sd_pick_saved", "refund-delay"), "UKIM")
        assert (await desk.send(body, kind)).status == 200
        await desk.settle()
        updated = desk.slack.views[-1]
        assert updated["method"] == "views.update" and updated["view_id"] == view["id"]
        text_block = updated["view"]["blocks"][0]
        assert text_block["block_id"] == "reply:refund-delay"
        assert text_block["element"]["initial_value"].startswith("Hi Carla, Kim here, sorry for the wait!")

        body, kind = slack_wire.view_closed(updated["view"], "UKIM")
        assert (await desk.send(body, kind)).status == 200
        await desk.settle()
        assert "is writing a reply" not in json.dumps(desk.slack.calls_to("chat.update")[-1].params["blocks"])


async def test_the_home_tab_lists_my_unowned_and_approval_rows_and_stays_current(tmp_path, db_url):
    async with team_desk(tmp_path, db_url) as desk:
        desk.add_posts(*(post_item(n, f"@acme problem number {n}", author={"handle": f"c{n}", "name": f"C {n}"})
                         for n in range(1, 31)))
        await desk.settle()
        await slash(desk, "/claim", "1", "UJANE")
        await slash(desk, "/reply", "2 Looking into it!", "UTESS")
        await desk.settle()
        body, kind = slack_wire.app_home_opened("UJANE")
        assert (await desk.send(body, kind)).status == 200
        await desk.settle()
        home = desk.slack.home("UJANE")
        assert home["type"] == "home" and len(home["blocks"]) <= VIEW_BLOCKS
        rendered = json.dumps(home["blocks"], ensure_ascii=False)
        assert "Jane Doe's desk" in rendered and "Yours (1 open conversation)" in rendered
        assert "Waiting for your approval" in rendered and "Tess Ray's reply, waiting" in rendered
        assert "…and 16 more" in rendered  # 28 unowned, 12 shown
        claim = next(b for block in home["blocks"] if block["type"] == "actions" for b in block["elements"]
                     if b["action_id"] == "sd_home_claim")
        links = [b["url"] for block in home["blocks"] if block["type"] == "actions" for b in block["elements"] if "url" in b]
        assert links and all(url.startswith("https://acme.slack.com/archives/") for url in links)

        body, kind = slack_wire.view_action(home, slack_wire.pressed("sd_home_claim", claim["value"]), "UJANE")
        assert (await desk.send(body, kind)).status == 200
        await desk.settle()
        number = json.loads(claim["value"])["number"]
        direct = [m for m in desk.slack.calls_to("chat.postMessage") if m.params.get("channel") == "UJANE"]
        assert f"#{number} is yours" in direct[-1].params["text"]
        desk.clock.advance(timedelta(seconds=3))  # redraws wait a moment, so a burst of changes is one redraw
        await desk.settle()
        assert "Yours (2 open conversations)" in json.dumps(desk.slack.home("UJANE")["blocks"])

        body, kind = slack_wire.app_home_opened("UNOBODY")
        await desk.send(body, kind)
        await desk.settle()
        assert "once you are an agent" in json.dumps(desk.slack.home("UNOBODY")["blocks"])
