"""The fake Discord answers like Discord: checked over raw HTTP and WebSocket, and with discord.py itself."""
from __future__ import annotations

import asyncio
import logging

import aiohttp
import discord
import pytest

from bot.chat.discord.outbound import point_at
from bot.chat.discord.start import start_discord
from bot.settings import Secrets
from tests.auxil.desk import make_runtime
from tests.auxil.discord_desk import DEFAULTS
from tests.fakes.discord_api import GUILD_FORUM, GUILD_TEXT, FakeDiscord


@pytest.fixture
async def fake():
    async with FakeDiscord() as fake:
        yield fake


async def rest(fake, method: str, path: str, body=None, token: str | None = None):
    headers = {"Authorization": f"Bot {token or fake.token}"}
    async with aiohttp.ClientSession() as session, session.request(method, fake.api_url + path, json=body,
                                                                     headers=headers) as response:
        return response.status, response.headers, (await response.json() if response.status != 204 else None)


async def test_answers_are_json_with_rate_limit_headers_and_errors_have_codes(fake):
    text = fake.add_channel("general", GUILD_TEXT)
    status, headers, me = await rest(fake, "GET", "/users/@me")
    assert status == 200 and headers["Content-Type"] == "application/json" and me["bot"] is True
    assert {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset-After", "X-RateLimit-Bucket"} <= set(headers)
    assert (await rest(fake, "GET", "/users/@me", token="wrong"))[0] == 401
    assert (await rest(fake, "GET", "/channels/1"))[2] == {"code": 10003, "message": "Unknown Channel"}
    assert (await rest(fake, "POST", f"/channels/{text}/messages", {"content": ""}))[2]["code"] == 50006
    status, _, body = await rest(fake, "POST", f"/channels/{text}/messages", {"content": "x" * 2001})
    assert status == 400 and body["code"] == 50035 and "content" in body["errors"]
    forum = fake.add_channel("desk", GUILD_FORUM)
    assert (await rest(fake, "POST", f"/channels/{forum}/messages", {"content": "hi"}))[2]["code"] == 40058


async def test_a_429_looks_like_discords(fake):
    text = fake.add_channel("general", GUILD_TEXT)
    fake.rate_limit("POST /channels/{id}/messages", retry_after=2.5, is_global=True)
    status, headers, body = await rest(fake, "POST", f"/channels/{text}/messages", {"content": "hi"})
    assert status == 429 and body == {"message": "You are being rate limited.", "retry_after": 2.5, "global": True}
    assert headers["Retry-After"] == "2.500" and headers["X-RateLimit-Global"] == "true" and headers["Via"]
    assert (await rest(fake, "POST", f"/channels/{text}/messages", {"content": "hi"}))[0] == 200


async def test_nonces_and_mentions_work_as_on_discord(fake):
    text = fake.add_channel("general", GUILD_TEXT)
    role = fake.add_role("On call")
    user = fake.add_member(name="sam")
    body = {"content": f"<@{user}> <@&{role}> @everyone", "nonce": "abc", "enforce_nonce": True}
    _, _, first = await rest(fake, "POST", f"/channels/{text}/messages", body)
    _, _, again = await rest(fake, "POST", f"/channels/{text}/messages", body)
    assert first["id"] == again["id"] and first["nonce"] == "abc" and len(fake.messages(text)) == 1
    assert [u["id"] for u in first["mentions"]] == [user] and first["mention_roles"] == [role] and first["mention_everyone"]
    _, _, quiet = await rest(fake, "POST", f"/channels/{text}/messages",
                             {**body, "nonce": "def", "allowed_mentions": {"parse": [], "roles": [int(role)]}})
    assert quiet["mentions"] == [] and quiet["mention_roles"] == [role] and not quiet["mention_everyone"]
    assert "nonce" not in fake.messages(text)[0]  # only in the answer, as on Discord


async def test_the_gateway_says_hello_and_sends_ready_and_the_guild(fake):
    fake.add_channel("desk", GUILD_FORUM)
    async with aiohttp.ClientSession() as session, session.ws_connect(fake.gateway_url) as socket:
        hello = await socket.receive_json()
        assert hello["op"] == 10 and hello["d"]["heartbeat_interval"] == 41250
        await socket.send_json({"op": 2, "d": {"token": fake.token, "intents": (1 << 0) | (1 << 9) | (1 << 15),
                                               "properties": {"os": "linux", "browser": "x", "device": "x"}}})
        ready, guild = await socket.receive_json(), await socket.receive_json()
        assert (ready["t"], guild["t"]) == ("READY", "GUILD_CREATE") and ready["d"]["guilds"][0]["unavailable"]
        assert [c["name"] for c in guild["d"]["channels"]] == ["desk"] and guild["d"]["id"] == fake.guild_id
        await socket.send_json({"op": 1, "d": 2})
        assert (await socket.receive_json())["op"] == 11


@pytest.mark.parametrize("problem,code", [("token", 4004), ("intent", 4014)])
async def test_the_gateway_refuses_a_bad_token_and_an_intent_not_enabled(fake, problem, code):
    fake.message_content_enabled = problem != "intent"
    token = "wrong" if problem == "token" else fake.token
    async with aiohttp.ClientSession() as session, session.ws_connect(fake.gateway_url) as socket:
        await socket.receive_json()
        await socket.send_json({"op": 2, "d": {"token": token, "intents": 1 << 15, "properties": {}}})
        assert (await socket.receive()).type == aiohttp.WSMsgType.CLOSE
    assert fake.gateway_closes == [code]


async def test_socialdesk_stops_with_the_reason_when_the_intent_is_off(fake, tmp_path, caplog):
    fake.message_content_enabled = False
    (tmp_path / "posts.jsonl").touch()
    runtime, _, _ = make_runtime(f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path, discord={"guild_id": fake.guild_id},
                                 routes=[{"platform": "discord", "channel": "#desk"}])
    secrets = Secrets(_env_file=None, discord_bot_token=fake.token, discord_api_url=fake.api_url,
                      discord_gateway_url=fake.gateway_url)
    stop = asyncio.Event()
    try:
        with caplog.at_level(logging.CRITICAL, logger="bot.chat.discord.start"):
            close = await start_discord(runtime.desk, runtime.add_chat, secrets, stop)
            await asyncio.wait_for(stop.wait(), 10)
            await close()
    finally:
        await runtime.close()
        point_at(DEFAULTS["discord_api_url"].default, DEFAULTS["discord_gateway_url"].default)
    assert fake.gateway_closes == [4014]
    assert "Turn on the Message Content intent" in caplog.text and "Privileged Gateway Intents" in caplog.text


async def test_discord_py_reads_what_the_fake_stores(fake):
    forum = fake.add_channel("desk", GUILD_FORUM)
    point_at(fake.api_url, fake.gateway_url)
    client = discord.Client(intents=discord.Intents.none())
    try:
        await client.login(fake.token)
        guild = await client.fetch_guild(int(fake.guild_id))
        channels = {c.name: c for c in await guild.fetch_channels()}
        assert isinstance(channels["desk"], discord.ForumChannel)
        post = await channels["desk"].create_thread(name="#1 · X · @carla", content="hello",
                                                    embed=discord.Embed(description="first"))
        assert post.thread.id == post.message.id and post.message.embeds[0].description == "first"
        assert fake.threads(forum)[0]["owner_id"] == fake.bot["id"]
    finally:
        await client.close()
        point_at(DEFAULTS["discord_api_url"].default, DEFAULTS["discord_gateway_url"].default)


async def interaction_rest(fake, method: str, path: str, body: dict):
    """An interaction callback or webhook call, which Discord takes without the bot token."""
    async with aiohttp.ClientSession() as session, session.request(method, fake.api_url + path, json=body) as response:
        return response.status, (await response.json() if response.status != 204 else None)


async def answer(fake, payload: dict, callback: dict):
    """Send the interaction, then answer it with `callback` as the bot would."""
    await fake.interact(payload)
    return await interaction_rest(fake, "POST", f"/interactions/{payload['id']}/{payload['token']}/callback", callback)


async def test_modals_are_checked_as_discord_checks_them(fake):
    text = fake.add_channel("general", GUILD_TEXT)
    user = fake.add_member(name="sam")

    async def open_modal(components: list[dict], title: str = "Reply to #1") -> tuple[int, dict | None]:
        pressed = fake.button(user, {"id": fake.new_id(), "channel_id": text}, "sd:reply:1")
        return await answer(fake, pressed, {"type": 9, "data": {"custom_id": "m", "title": title, "components": components}})

    text_input = {"type": 4, "custom_id": "text", "style": 2, "value": "hi"}
    checkbox = {"type": 23, "custom_id": "anyway"}
    box = {"type": 18, "label": "Publish anyway", "description": "d" * 100, "component": checkbox}
    assert (await open_modal([{"type": 18, "label": "Your reply", "component": text_input}, box]))[0] == 204
    assert (await open_modal([{"type": 1, "components": [{**text_input, "label": "Your reply"}]}]))[0] == 204  # legacy rows
    for components, title in [
        ([{"type": 18, "label": "x" * 46, "component": text_input}], "ok"),  # a label holds 45 characters
        ([{"type": 18, "label": "x", "description": "d" * 101, "component": checkbox}], "ok"),
        ([{"type": 18, "label": "x", "component": {**text_input, "value": "v" * 4001}}], "ok"),
        ([{"type": 1, "components": [checkbox]}], "ok"),  # a checkbox lives in a label only
        ([{"type": 18, "label": "x", "component": text_input}], "t" * 46),
        ([], "ok"),
    ]:
        status, body = await open_modal(components, title)
        assert (status, body["code"]) == (400, 50035)


async def test_answers_to_buttons_are_messages_that_later_presses_edit(fake):
    text = fake.add_channel("general", GUILD_TEXT)
    user = fake.add_member(name="sam")
    row = [{"type": 1, "components": [{"type": 2, "style": 4, "label": "Publish it", "custom_id": "sd:publish:1:t"}]}]
    first = fake.button(user, {"id": fake.new_id(), "channel_id": text}, "sd:anyway:1:t")
    assert (await answer(fake, first, {"type": 4, "data": {"content": "Sure?", "flags": 64, "components": row}}))[0] == 204
    asking = fake.original(first["token"])
    assert asking["content"] == "Sure?" and asking["flags"] == 64 and asking["components"] == row

    pressed = fake.button(user, asking, "sd:publish:1:t")
    assert (await answer(fake, pressed, {"type": 7, "data": {"content": "Publishing…", "components": []}}))[0] == 204
    original = f"/webhooks/{fake.application_id}/{pressed['token']}/messages/@original"
    status, edited = await interaction_rest(fake, "PATCH", original, {"content": "Published."})
    assert status == 200 and edited["id"] == asking["id"] and edited["components"] == []
    assert fake.original(first["token"])["content"] == "Published." and fake.original(first["token"])["edited_timestamp"]
    status, body = await answer(fake, fake.command(user, "queue", text), {"type": 7, "data": {"content": "x"}})
    assert (status, body["code"]) == (400, 40004)  # only a button's answer can update its message


@pytest.mark.parametrize(("body", "field"), [
    ({"embeds": [{"title": "x" * 257}]}, "embeds.0.title"),
    ({"embeds": [{"description": "x" * 4097}]}, "embeds.0.description"),
    ({"embeds": [{"fields": [{"name": "n", "value": "x" * 1025}]}]}, "embeds.0.fields.0.value"),
    ({"embeds": [{"fields": [{"name": "x" * 257, "value": "v"}]}]}, "embeds.0.fields.0.name"),
    ({"embeds": [{"fields": [{"name": "n", "value": "v"}] * 26}]}, "embeds.0.fields"),
    ({"embeds": [{"footer": {"text": "x" * 2049}}]}, "embeds.0.footer.text"),
    ({"embeds": [{"author": {"name": "x" * 257}}]}, "embeds.0.author.name"),
    ({"embeds": [{"description": "x" * 4000}, {"description": "x" * 2001}]}, "embeds"),
    ({"embeds": [{"description": "x", "url": "https://"}]}, "embeds.0.url"),
    ({"embeds": [{"description": "x", "url": "https://[::1"}]}, "embeds.0.url"),
    ({"embeds": [{"description": "x", "url": "https://exa mple.com"}]}, "embeds.0.url"),
    ({"embeds": [{"description": "x", "url": "https://example.com/" + "a" * 3000}]}, "embeds.0.url"),
    ({"embeds": [{"description": "x", "url": "javascript:alert(1)"}]}, "embeds.0.url"),
    ({"content": "x", "components": [{"type": 1, "components": [
        {"type": 2, "style": 1, "label": "x" * 81, "custom_id": "a"}]}]}, "components.0.components.0.label"),
    ({"content": "x", "components": [{"type": 1, "components": [
        {"type": 2, "style": 1, "label": "x", "custom_id": "a" * 101}]}]}, "components.0.components.0.custom_id"),
    ({"content": "x", "components": [{"type": 1, "components": [
        {"type": 2, "style": 1, "label": "x", "custom_id": f"b{n}"} for n in range(6)]}]}, "components.0"),
    ({"content": "x", "components": [{"type": 1, "components": [
        {"type": 2, "style": 1, "label": "x", "custom_id": f"r{n}"}]} for n in range(6)]}, "components"),
])
async def test_messages_over_discords_documented_limits_are_refused(fake, body, field):
    text = fake.add_channel("general", GUILD_TEXT)
    status, _, answer = await rest(fake, "POST", f"/channels/{text}/messages", body)
    assert status == 400 and answer["code"] == 50035 and field in answer["errors"]


async def test_a_thread_name_over_100_characters_is_refused(fake):
    text = fake.add_channel("general", GUILD_TEXT)
    _, _, message = await rest(fake, "POST", f"/channels/{text}/messages", {"content": "hi"})
    status, _, answer = await rest(fake, "POST", f"/channels/{text}/messages/{message['id']}/threads", {"name": "x" * 101})
    assert status == 400 and "name" in answer["errors"]
