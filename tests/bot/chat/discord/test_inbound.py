"""The Discord side end to end: interactions and messages in over the fake's gateway, REST calls out to it."""
from __future__ import annotations

import json

import pytest
from sqlmodel import Session, select

from handlers import TYPED
from storage.models import Agent, AuditEvent, Conversation, Note
from tests.auxil.discord_desk import discord_desk
from tests.auxil.factories import post_item
from tests.auxil.model import MODEL_KEY, fake_model
from tests.fakes.openai_api import server_error

EPHEMERAL = 64


@pytest.fixture
async def desk(tmp_path):
    async with discord_desk(tmp_path) as desk:
        yield desk


def modal_fields(callback: dict) -> dict[str, dict]:
    """The fields of a modal the bot opened, by custom_id (each in a label)."""
    return {label["component"]["custom_id"]: label["component"] for label in callback["data"]["components"]}


def published(desk) -> list[dict]:
    path = desk.tmp_path / "replay-published.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


async def test_commands_are_built_from_the_handlers_registry_and_synced_to_the_server(desk):
    commands = {c["name"]: c for c in desk.fake.commands}
    assert set(commands) == set(TYPED)
    for name, command in commands.items():
        options = {o["name"]: o for o in command["options"]}
        assert options["text"]["type"] == 3 and not options["text"]["required"]
        assert ("number" in options) == TYPED[name].needs_number
        assert command["description"] == TYPED[name].summary and len(command["description"]) <= 100
    assert commands["reply"]["options"][0] == {"type": 4, "name": "number", "required": False, "min_value": 1,
                                               "description": commands["reply"]["options"][0]["description"]}
    assert commands["claim"]["description"] == "Take ownership of a conversation."
    (sync,) = desk.fake.calls_to("PUT /applications/{id}/guilds/{id}/commands")
    assert desk.fake.guild_id in sync.path


async def test_mention_to_forum_post_to_published_reply_to_resolved(desk):
    desk.add_posts(post_item(1, "@acme my order never arrived"),
                   post_item(2, "@acme hello?? anyone", thread_root="x1", reply_to="x1"))
    await desk.settle()
    thread = desk.conversation_thread(1)
    assert thread["name"] == "#1 · X · @carla: @acme my order never arrived"
    first = desk.first_message(1)
    (embed,) = first["embeds"]
    assert embed["title"] == "#1 · X · @carla (Carla Diaz)" and embed["url"] == "https://x.com/carla/status/1"
    assert [b["label"] for b in first["components"][0]["components"]] == ["Claim", "Reply…", "Resolve"]
    later = [m["embeds"][0] for m in desk.thread_messages(1)]
    assert any("hello?? anyone" in e.get("description", "") for e in later)
    assert any(e.get("title", "").startswith("💡 Suggested replies") for e in later)

    answers = await desk.interact(desk.fake.command(desk.users["sam"], "claim", thread["id"], number=1))
    assert answers[0]["content"].startswith("#1 is yours") and answers[0]["flags"] & EPHEMERAL
    answers = await desk.interact(desk.fake.command(desk.users["sam"], "reply", thread["id"], number=1,
                                                    text="So sorry Carla, checking now!"))
    assert "being published publicly" in answers[0]["content"]
    await desk.settle()
    assert [(p["text"], p["in_reply_to"]) for p in published(desk)] == [("So sorry Carla, checking now! ^SL", "x2")]
    notices = [m["embeds"][0]["description"] for m in desk.thread_messages(1) if "description" in m["embeds"][0]]
    assert "Published publicly by Sam Lee at 09:00 UTC." in notices  # a replay "URL" is not a web link: no View
    assert {f["name"]: f["value"] for f in desk.first_message(1)["embeds"][0]["fields"]}["Owner"] == f"<@{desk.users['sam']}>"

    answers = await desk.interact(desk.fake.button(desk.users["kim"], desk.first_message(1), "sd:resolve:1"))
    assert answers[0]["content"].startswith("#1 resolved")
    await desk.settle()
    resolved = desk.first_message(1)
    assert resolved["components"] == [] and resolved["edited_timestamp"]
    assert {f["name"]: f["value"] for f in resolved["embeds"][0]["fields"]}["Status"] == "**Resolved**"
    assert len(desk.fake.threads(desk.channel)) == 1  # edited in place, never posted again


async def test_each_interaction_is_deferred_ephemerally_before_the_work(desk):
    desk.add_posts(post_item(1, "@acme hi"))
    await desk.settle()
    payload = desk.fake.command(desk.users["sam"], "queue", desk.conversation_thread(1)["id"])
    token = await desk.fake.interact(payload)
    await desk.until(lambda: desk.fake.followups(token))
    assert desk.fake.callbacks(token) == [{"type": 5, "data": {"flags": EPHEMERAL}}]
    (answer,) = desk.fake.followups(token)
    assert "1 open, most pressing first" in answer["content"] and answer["mentions"] == []


async def test_inside_a_thread_the_number_is_implied_and_elsewhere_it_is_asked_for(desk):
    desk.add_posts(post_item(1, "@acme hi"))
    await desk.settle()
    inside = await desk.interact(desk.fake.command(desk.users["sam"], "claim", desk.conversation_thread(1)["id"]))
    assert inside[0]["content"].startswith("#1 is yours")
    outside = await desk.interact(desk.fake.command(desk.users["sam"], "resolve", desk.channel))
    assert outside[0]["content"] == f"Which conversation? Usage: {TYPED['resolve'].usage}"
    record = await desk.interact(desk.fake.command(desk.users["sam"], "customer", desk.conversation_thread(1)["id"]))
    assert "@carla" in record[0]["content"] and "#1" in record[0]["content"]  # an optional number is implied too
    elsewhere = await desk.interact(desk.fake.command(desk.users["sam"], "customer", desk.channel))
    assert elsewhere[0]["content"] == f"Which conversation? Usage: {TYPED['customer'].usage}"


async def test_thread_messages_are_notes_or_commands_and_nothing_is_dropped(desk):
    desk.add_posts(post_item(1, "@acme the app crashes when I log in"))
    await desk.settle()
    thread_id = desk.conversation_thread(1)["id"]
    note = await desk.fake.user_says(desk.users["sam"], thread_id, "customer tweets a lot, be patient")
    await desk.fake.user_says(desk.users["kim"], thread_id, "!claim")
    typo = await desk.fake.user_says(desk.users["kim"], thread_id, "!resolv")
    await desk.until(lambda: len([m for m in desk.fake.messages(thread_id) if m.get("message_reference")]) >= 2)
    reactions = await desk.until(lambda: next(m for m in desk.fake.messages(thread_id) if m["id"] == note["id"]).get("reactions"))
    assert reactions == [{"count": 1, "me": True, "emoji": {"id": None, "name": "📝"}}]

    with Session(desk.runtime.engine) as session:
        (saved,) = session.exec(select(Note)).all()
        assert (saved.text, saved.author, saved.chat_platform) == ("customer tweets a lot, be patient", "Sam Lee", "discord")
        assert session.get(Conversation, 1).assignee_id is not None
    answers = [m for m in desk.fake.messages(thread_id) if m.get("message_reference")]
    by_reply_to = {m["message_reference"]["message_id"]: m for m in answers}
    assert "Unknown command !resolv" in by_reply_to[typo["id"]]["content"]
    for answer in answers:  # each answer pings its author and nobody else
        assert [u["id"] for u in answer["mentions"]] == [desk.users["kim"]] and not answer["mention_everyone"]
    # the bot's own messages come back over the gateway too, and are never taken for notes
    await desk.settle()
    with Session(desk.runtime.engine) as session:
        assert len(session.exec(select(Note)).all()) == 1


async def test_a_message_without_text_is_answered_not_lost(desk):
    desk.add_posts(post_item(1, "@acme hi"))
    await desk.settle()
    thread_id = desk.conversation_thread(1)["id"]
    sticker = {"id": desk.fake.new_id(), "name": "thumbs up", "format_type": 1}
    said = await desk.fake.user_says(desk.users["sam"], thread_id, "", sticker_items=[sticker])
    answer = await desk.until(lambda: [m for m in desk.fake.messages(thread_id) if m.get("message_reference")])
    assert answer[0]["message_reference"]["message_id"] == said["id"]
    assert "Message Content intent" in answer[0]["content"] and "nothing was saved" in answer[0]["content"]
    with_file = {"id": desk.fake.new_id(), "filename": "receipt.png", "size": 1024, "content_type": "image/png",
                 "url": "https://cdn.discordapp.com/attachments/1/2/receipt.png",
                 "proxy_url": "https://media.discordapp.net/attachments/1/2/receipt.png"}
    await desk.fake.user_says(desk.users["sam"], thread_id, "", attachments=[with_file])
    await desk.until(lambda: desk.fake.calls_to("PUT /channels/{id}/messages/{id}/reactions/{id}/@me"))
    with Session(desk.runtime.engine) as session:
        assert [n.text for n in session.exec(select(Note))] == [with_file["url"]]


async def test_reply_button_opens_a_prefilled_modal_and_a_refused_reply_keeps_its_text(desk):
    desk.add_posts(post_item(1, "@acme the app crashes when I log in"))
    await desk.settle()
    token = await desk.fake.interact(desk.fake.button(desk.users["kim"], desk.first_message(1), "sd:reply:1"))
    (callback,) = await desk.until(lambda: desk.fake.callbacks(token))
    assert callback["type"] == 9 and callback["data"]["custom_id"] == "sd:reply_modal:1"
    field = modal_fields(callback)["text"]
    assert field["value"] == await desk.runtime.desk.first_suggestion(1) != ""

    thread_id = desk.conversation_thread(1)["id"]
    too_long = "x" * 600
    answers = await desk.interact(desk.fake.modal_submit(desk.users["kim"], thread_id, "sd:reply_modal:1", {"text": too_long}))
    assert answers[0]["content"].startswith("Held, not sent") and too_long in "".join(a["content"] for a in answers)
    answers = await desk.interact(desk.fake.modal_submit(desk.users["kim"], thread_id, "sd:reply_modal:1",
                                                         {"text": "Sorry! Which phone model?"}))
    assert "being published" in answers[0]["content"]
    await desk.settle()
    assert [p["text"] for p in published(desk)] == ["Sorry! Which phone model? ^KP"]


async def test_use_button_puts_the_suggestion_as_written_into_the_modal(desk):
    desk.add_posts(post_item(1, "@acme *where* is my refund?? <@&1> #fail", author={"handle": "c_a_r_l_a", "name": "Carla_*"}))
    await desk.settle()
    suggestions = next(m for m in desk.thread_messages(1) if m["components"])
    (offered,) = desk.offered
    assert any("\\" in f["value"] for f in suggestions["embeds"][0]["fields"])  # rendered escaped...
    for index, text in enumerate(offered.texts):  # ...and put back into the modal as written
        token = await desk.fake.interact(desk.fake.button(desk.users["sam"], suggestions, f"sd:use:1:{index}"))
        (callback,) = await desk.until(lambda token=token: desk.fake.callbacks(token))
        assert modal_fields(callback)["text"]["value"] == text


async def test_suggestions_say_why_they_are_offline_and_the_button_asks_again(tmp_path, monkeypatch):
    async with (fake_model(monkeypatch) as api,
                discord_desk(tmp_path, secrets=MODEL_KEY, llm={"base_url": api.base_url, "max_retries": 0}) as desk):
        api.script(server_error(503))
        desk.add_posts(post_item(1, "@acme my parcel is late"))
        await desk.settle()
        (offline,) = [m for m in desk.thread_messages(1) if m["embeds"][0].get("title", "").startswith("💡")]
        assert offline["embeds"][0]["title"] == "💡 Suggested replies (offline: the model service failed (HTTP 503))"
        again = offline["components"][-1]["components"]
        assert [(b["label"], b["custom_id"]) for b in again] == [("New suggestions", "sd:suggest:1")]

        token = await desk.fake.interact(desk.fake.button(desk.users["sam"], offline, "sd:suggest:1"))
        (answer,) = await desk.until(lambda: desk.fake.followups(token))
        assert desk.fake.callbacks(token) == [{"type": 5, "data": {"flags": EPHEMERAL}}]  # acknowledged at once
        assert answer["content"] == "New suggestions for #1 are on their way; they will appear in its thread."
        await desk.settle()
        titles = [m["embeds"][0]["title"] for m in desk.thread_messages(1) if m["embeds"][0].get("title", "").startswith("💡")]
        assert titles == [offline["embeds"][0]["title"], "💡 Suggested replies (gpt-4o-mini)"]  # the model is back
        refused = await desk.interact(desk.fake.button(desk.users["stranger"], offline, "sd:suggest:1"))
        assert refused[0]["content"].startswith("Only socialdesk agents can ask for suggestions")


async def test_roles_decide_who_may_act(desk):
    desk.add_posts(post_item(1, "@acme hi"), post_item(2, "@acme hello", author={"handle": "dan"}))
    await desk.settle()
    thread_id = desk.conversation_thread(1)["id"]
    refused = await desk.interact(desk.fake.command(desk.users["stranger"], "claim", thread_id, number=1))
    assert refused[0]["content"].startswith("Only socialdesk agents can claim conversations. Ask an admin for the "
                                            "discord role Support or Support Lead")
    claimed = await desk.interact(desk.fake.command(desk.users["kim"], "claim", thread_id, number=1))
    assert claimed[0]["content"].startswith("#1 is yours")  # holds the Support role, not in [[agents]]
    listed = await desk.interact(desk.fake.command(desk.users["jane"], "claim", thread_id, number=2))
    assert listed[0]["content"].startswith("#2 is yours")  # in [[agents]], with no role at all
    handed = await desk.interact(desk.fake.command(desk.users["lena"], "assign", thread_id, number=2,
                                                   text=f"<@{desk.users['sam']}>"))
    assert handed[0]["content"] == "#2 is now Sam Lee's; they are mentioned in its thread."  # Sam never used socialdesk
    not_an_agent = await desk.interact(desk.fake.command(desk.users["lena"], "assign", thread_id, number=1,
                                                         text=f"<@{desk.users['stranger']}>"))
    assert not_an_agent[0]["content"].endswith("is not a socialdesk agent. Pick someone listed under [[agents]] in "
                                               "socialdesk.toml, or someone with the discord role Support or Support Lead.")
    taken = await desk.interact(desk.fake.command(desk.users["sam"], "claim", thread_id, number=1))
    assert "is owned by Kim_Park" in taken[0]["content"]  # an agent cannot take a teammate's conversation...
    taken = await desk.interact(desk.fake.command(desk.users["lena"], "claim", thread_id, number=1))
    assert taken[0]["content"].startswith("#1 is yours")  # ...a lead by Discord role can

    with Session(desk.runtime.engine) as session:
        agents = {a.name: (a.initials, a.role, a.discord_user_id) for a in session.exec(select(Agent)).all()}
        assert agents["Sam Lee"] == ("SL", "agent", desk.users["sam"])
        assert agents["Kim_Park"] == ("KP", "agent", desk.users["kim"])
        assert agents["Lena Ortiz"] == ("LO", "lead", desk.users["lena"])
        assert agents["Jane Doe"] == ("JD", "lead", desk.users["jane"])
        claims = session.exec(select(AuditEvent.actor).where(AuditEvent.action == "claim")).all()
        assert claims == ["Kim_Park", "Jane Doe", "Lena Ortiz"]
    await desk.settle()
    assigned = [m for m in desk.thread_messages(2) if m["content"]]
    assert [u["id"] for u in assigned[-1]["mentions"]] == [desk.users["sam"]]


async def test_hostile_text_pings_nobody_and_stays_plain(desk):
    hostile = ("@everyone @here <@&123456789012345678> <@123456789012345678> [free refund](https://evil.example) "
               "**now** # HEADING\n> quoted `code` ||spoiler|| </claim:123456789012345678> \u202eRTL \u200bzero-width 🎉")
    desk.add_posts(post_item(1, hostile, author={"handle": "everyone", "name": "@here <@&123456789012345678>"}),
                   post_item(2, hostile, thread_root="x1", reply_to="x1"))
    await desk.settle()
    everything = [desk.first_message(1), *desk.thread_messages(1)]
    for message in everything:
        assert not message["mention_everyone"] and message["mentions"] == [] and message["mention_roles"] == []
    for call in desk.fake.calls_to("POST /channels/{id}/messages") + desk.fake.calls_to("POST /channels/{id}/threads"):
        body = call.body.get("message", call.body)
        assert body["allowed_mentions"]["parse"] == []  # set explicitly on every message
    description = desk.first_message(1)["embeds"][0]["description"]
    assert "@everyone" not in description and "@here" not in description and "<@&" not in description
    assert "\\[free refund\\](https\\://evil.example)" in description and "\\*\\*now\\*\\*" in description
    assert "</claim" not in description and "\u202e" not in description and "RTL" in description and "🎉" in description
    title = desk.first_message(1)["embeds"][0]["title"]
    assert "@here" not in title and "<@&" not in title


async def test_desk_me_is_the_app_home_as_an_embed_with_thread_links_and_claim_buttons(desk):
    desk.add_posts(post_item(1, "@acme hi"), post_item(2, "@acme hello", author={"handle": "dan"}))
    await desk.settle()
    thread = desk.conversation_thread(1)["id"]
    await desk.interact(desk.fake.command(desk.users["sam"], "claim", thread, number=1))
    (home,) = await desk.interact(desk.fake.command(desk.users["sam"], "desk", desk.channel, text="me"))
    assert home["flags"] & EPHEMERAL and home["mentions"] == []
    (embed,) = home["embeds"]
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert embed["title"] == "Sam Lee's desk"
    assert fields["Yours"].startswith(f"[#1](https://discord.com/channels/{desk.fake.guild_id}/{thread}) ")
    assert "@dan" in fields["Unowned, the most urgent first"] and "Waiting for your approval" not in fields
    (claim,) = [b for row in home["components"] for b in row["components"]]
    assert claim["label"] == "Claim #2" and claim["custom_id"] == "sd:claim:2"
    claimed = await desk.interact(desk.fake.button(desk.users["sam"], home, claim["custom_id"]))
    assert claimed[0]["content"].startswith("#2 is yours")
