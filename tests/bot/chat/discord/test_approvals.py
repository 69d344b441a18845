"""A trainee's reply held for a lead on Discord, end to end: the buttons under it, pressed over the fake's gateway."""
from __future__ import annotations

import json

from sqlmodel import Session, select

from storage.models import Reply, ReplyStatus
from tests.auxil.discord_desk import discord_desk
from tests.auxil.factories import post_item


def published(desk) -> list[str]:
    path = desk.tmp_path / "replay-published.jsonl"
    return [json.loads(line)["text"] for line in path.read_text().splitlines()] if path.exists() else []


def request_in(desk, number: int) -> dict:
    (message,) = [m for m in desk.thread_messages(number)
                  if m["embeds"] and "waits for a lead" in m["embeds"][0].get("title", "")]
    return message


def buttons(message: dict) -> dict[str, str]:
    return {b["label"]: b["custom_id"] for row in message["components"] for b in row["components"]}


def decided(message: dict) -> str | None:
    return {f["name"]: f["value"] for f in message["embeds"][0].get("fields", [])}.get("Decided")


async def test_a_lead_approves_or_rejects_a_held_reply_with_its_buttons_which_then_go(tmp_path):
    async with discord_desk(tmp_path, approvals={"roles": ["trainee"]}) as desk:
        desk.add_posts(post_item(1, "@acme my parcel is late"),
                       post_item(2, "@acme where is my invoice?", author={"handle": "eve"}))
        await desk.settle()
        thread = desk.conversation_thread(1)["id"]
        held = await desk.interact(desk.fake.command(desk.users["tess"], "reply", thread, number=1, text="Sorry, on it!"))
        assert "waits for a lead's approval (trainee)" in held[0]["content"]
        await desk.settle()
        request = request_in(desk, 1)
        assert set(buttons(request)) == {"Approve", "Reject"} and decided(request) is None
        assert published(desk) == []

        refused = await desk.interact(desk.fake.button(desk.users["sam"], request, buttons(request)["Approve"]))
        assert "Only leads" in refused[0]["content"]
        approved = await desk.interact(desk.fake.button(desk.users["lena"], request, buttons(request)["Approve"]))
        assert "being published" in approved[0]["content"]
        await desk.settle()
        assert published(desk) == ["Sorry, on it! ^TR"]
        request = request_in(desk, 1)
        assert request["components"] == [] and decided(request) == "Approved by Lena Ortiz"  # nothing left to press

        thread = desk.conversation_thread(2)["id"]
        await desk.interact(desk.fake.command(desk.users["tess"], "reply", thread, number=2, text="It is coming"))
        await desk.settle()
        request = request_in(desk, 2)
        rejected = await desk.interact(desk.fake.button(desk.users["jane"], request, buttons(request)["Reject"]))
        assert "rejected" in rejected[0]["content"].lower()
        await desk.settle()
        assert request_in(desk, 2)["components"] == [] and decided(request_in(desk, 2)) == "Rejected by Jane Doe"
        assert any("Your reply was rejected by Jane Doe" in json.dumps(m["embeds"])
                   for m in desk.thread_messages(2))
        assert published(desk) == ["Sorry, on it! ^TR"]
        with Session(desk.runtime.engine) as session:
            assert [r.status for r in session.exec(select(Reply).order_by(Reply.id))] == [ReplyStatus.PUBLISHED,
                                                                                         ReplyStatus.REJECTED]
