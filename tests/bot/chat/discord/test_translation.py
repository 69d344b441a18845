"""From Discord payloads to socialdesk requests: discord.py objects built from interaction and gateway payload shapes."""
from __future__ import annotations

import discord
import pytest

from bot.chat.discord.inbound import actor_of, modal_checked, modal_value, suggestion_on
from handlers.parsing import parse_thread_message
from tests.auxil.discord_desk import AGENT_ROLE, discord_desk
from tests.auxil.factories import post_item


@pytest.fixture
async def desk(tmp_path):
    async with discord_desk(tmp_path) as desk:
        desk.add_posts(post_item(1, "@acme my order never arrived"))
        await desk.settle()
        yield desk


def interaction(desk, payload: dict) -> discord.Interaction:
    return discord.Interaction(data=payload, state=desk.bot._connection)


async def test_a_command_with_its_options_becomes_a_request(desk):
    thread_id = desk.conversation_thread(1)["id"]
    payload = desk.fake.command(desk.users["sam"], "reply", thread_id, number=1, text="  --private Sorry about that!  ")
    request = await desk.bot.listeners.command_request(interaction(desk, payload), 1, payload["data"]["options"][1]["value"])
    assert (request.command, request.number, request.args) == ("reply", 1, "--private Sorry about that!")
    agent_role = next(r for r in desk.bot.get_guild(int(desk.fake.guild_id)).roles if r.name == AGENT_ROLE)
    assert request.actor.platform == "discord" and request.actor.user_id == desk.users["sam"]
    assert request.actor.roles == (str(agent_role.id), AGENT_ROLE) and request.actor.display_name == "Sam Lee"


async def test_the_number_comes_from_the_thread_and_mentions_come_with_their_roles(desk):
    thread_id = desk.conversation_thread(1)["id"]
    text = f"<@{desk.users['kim']}> <@{desk.users['stranger']}> <@123456789012345678>"
    payload = desk.fake.command(desk.users["lena"], "assign", thread_id, text=text)
    request = await desk.bot.listeners.command_request(interaction(desk, payload), None, text)
    assert (request.command, request.number) == ("assign", 1)
    kim, stranger = request.mentioned  # the unknown user is not in the server: left out, the handler says so
    assert kim.user_id == desk.users["kim"] and AGENT_ROLE in kim.roles and kim.display_name == "Kim_Park"
    assert stranger.user_id == desk.users["stranger"] and stranger.roles == ()
    assert desk.fake.calls_to("GET /guilds/{id}/members/{id}")  # fetched: without the members intent none are cached


async def test_outside_a_conversation_the_number_stays_unknown(desk):
    payload = desk.fake.command(desk.users["sam"], "queue", desk.channel)
    request = await desk.bot.listeners.command_request(interaction(desk, payload), None, None)
    assert (request.command, request.number, request.args) == ("queue", None, "")


async def test_a_button_press_carries_its_message_and_presser(desk):
    suggestions = next(m for m in desk.thread_messages(1) if m["components"])
    pressed = interaction(desk, desk.fake.button(desk.users["kim"], suggestions, "sd:use:1:1"))
    assert pressed.type is discord.InteractionType.component and pressed.data["custom_id"] == "sd:use:1:1"
    assert actor_of(pressed.user).user_id == desk.users["kim"]
    assert suggestion_on(pressed.message, 1) == desk.offered[0].texts[1]
    assert suggestion_on(pressed.message, 9) == ""


@pytest.mark.parametrize("components", [
    [{"type": 1, "components": [{"type": 4, "custom_id": "text", "value": "Sorry!"}]}],  # action row (classic)
    [{"type": 18, "id": 1, "component": {"type": 4, "id": 2, "custom_id": "text", "value": "Sorry!"}}],  # label (newer)
])
async def test_a_modal_submit_is_read_in_either_layout(desk, components):
    payload = desk.fake.modal_submit(desk.users["kim"], desk.channel, "sd:reply_modal:1", {"text": "ignored"})
    payload["data"]["components"] = components
    submitted = interaction(desk, payload)
    assert submitted.type is discord.InteractionType.modal_submit
    assert modal_value(submitted.data, "text") == "Sorry!" and modal_value(submitted.data, "other") == ""


@pytest.mark.parametrize(("ticked", "expected"), [(True, True), (False, False), (None, False)])
async def test_the_publish_anyway_box_is_read_from_its_label(desk, ticked, expected):
    values = {"text": "Sorry!", **({"anyway": ticked} if ticked is not None else {})}
    submitted = interaction(desk, desk.fake.modal_submit(desk.users["kim"], desk.channel, "sd:reply_modal:1", values))
    assert submitted.data["components"][-1]["component"]["type"] == (23 if ticked is not None else 4)
    assert modal_checked(submitted.data, "anyway") is expected and modal_value(submitted.data, "text") == "Sorry!"


async def test_a_thread_message_from_the_gateway_becomes_a_note_or_a_command(desk):
    thread_id = desk.conversation_thread(1)["id"]
    thread = desk.bot.get_channel(int(thread_id))
    assert isinstance(thread, discord.Thread) and str(thread.parent_id) == desk.channel  # cached from THREAD_CREATE
    message = await desk.fake.user_says(desk.users["sam"], thread_id, "customer is a VIP")
    parsed = discord.Message(state=desk.bot._connection, channel=thread, data=desk.fake.message_event(message))
    assert isinstance(parsed.author, discord.Member)
    assert [r.name for r in parsed.author.roles if not r.is_default()] == [AGENT_ROLE]
    number = desk.bot.listeners.conversation_for_thread(parsed.channel)
    request = parse_thread_message(parsed.content, number, actor_of(parsed.author), f"{thread_id}:{parsed.id}")
    assert (request.command, request.number, request.args) == ("note", 1, "customer is a VIP")
    assert request.actor.display_name == "Sam Lee" and request.message_id == f"{thread_id}:{message['id']}"
    assert desk.bot.listeners.conversation_for_thread(desk.bot.get_channel(int(desk.channel))) is None
    await desk.until(lambda: desk.fake.calls_to("PUT /channels/{id}/messages/{id}/reactions/{id}/@me"))  # the bot saw it too
