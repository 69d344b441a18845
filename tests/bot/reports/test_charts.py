"""Charts and files in chat: drawn from the figures, uploaded through the fake Slack (files_upload_v2's three steps)
and the fake Discord (a multipart message), found again after a crash, written to disk by the console demo."""
from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from slack_sdk.errors import SlackApiError
from sqlmodel import Session, select

from bot.chat.discord.outbound import DiscordChat
from bot.chat.slack.inbound import build_app, http_app
from bot.chat.slack.outbound import SlackChat, make_client
from bot.ports import ChatError
from bot.reports import charts, figures
from bot.reports.digest import CHART, queue_digest
from bot.views import Attachment, Notice
from storage.db import session_scope
from storage.models import OutboxEntry
from tests.auxil import factories
from tests.auxil import slack_requests as slack_wire
from tests.auxil.cli import ROOT
from tests.auxil.desk import drain, feed, make_runtime
from tests.auxil.discord_desk import discord_desk
from tests.fakes.chat import SimulatedCrash
from tests.fakes.discord_api import GUILD_TEXT
from tests.fakes.slack_api import FakeSlack

PNG = b"\x89PNG\r\n\x1a\n"


def chart(name: str = "chart.png", size: int = 64) -> Attachment:
    return Attachment(name, PNG + b"x" * size, "A chart", "image/png")


async def test_the_chart_is_a_png_of_the_figures(db_url, tmp_path):
    runtime, _, clock = make_runtime(db_url, tmp_path)
    feed(runtime, factories.post(external_id="c1"), factories.post("@acme do you ship to Canada?", external_id="c2",
                                                                   handle="dan"))
    with Session(runtime.engine) as session:
        ctx = figures.context(session, runtime.config, figures.last(timedelta(days=7), clock.now()), clock.now())
        png = charts.chart_png(ctx)
    assert png.startswith(PNG) and len(png) > 20_000
    await runtime.close()


async def test_slack_takes_files_in_a_thread_through_its_three_steps_and_finds_them_again():
    async with FakeSlack() as slack:
        channel = slack.add_channel("social-desk")
        parent = slack.add_message(channel, "the digest")
        chat = SlackChat(make_client(slack.token, slack.base_url))
        await chat.upload("#social-desk", parent, (chart("a.png"), Attachment("b.csv", b"number\n1\n", "", "text/csv")),
                          "Yesterday in a chart.")
        assert [m for m, *_ in slack.calls if m.startswith("files.")] == [
            "files.getUploadURLExternal", "files.getUploadURLExternal", "files.completeUploadExternal"]
        first, second = slack.uploads
        assert first["content"] == PNG + b"x" * 64 and first["title"] == "A chart" and first["thread_ts"] == parent
        assert second["name"] == "b.csv" and second["title"] == "b.csv"  # no title: the file's name
        (shared,) = slack.thread(channel, parent)
        assert shared["text"] == "Yesterday in a chart." and [f["name"] for f in shared["files"]] == ["a.png", "b.csv"]
        assert await chat.find_upload("#social-desk", parent, "b.csv") == second["id"]
        assert await chat.find_upload("#social-desk", parent, "c.png") is None


async def test_slack_refuses_uploads_as_slack_does():
    async with FakeSlack() as slack:
        channel = slack.add_channel("social-desk")
        parent = slack.add_message(channel, "the digest")
        reply = slack.add_message(channel, "a reply", thread_ts=parent)
        client = make_client(slack.token, slack.base_url)
        with pytest.raises(SlackApiError, match="missing_argument"):
            await client.files_getUploadURLExternal(filename="empty.png", length=0)
        with pytest.raises(SlackApiError, match="file_not_found"):  # the bytes never reached the upload URL
            ticket = await client.files_getUploadURLExternal(filename="a.png", length=3)
            await client.files_completeUploadExternal(files=[{"id": ticket["file_id"]}], channel_id=channel)
        with pytest.raises(ChatError, match="invalid_thread_ts"):  # a reply's ts instead of its parent's
            await SlackChat(client).upload(channel, reply, (chart(),), "x")
        with pytest.raises(ChatError, match="channel_not_found"):
            await SlackChat(client).upload("C0NOWHERE", None, (chart(),), "x")
        assert slack.uploads == []


async def test_stats_chart_and_export_are_shared_in_the_slack_channel_where_they_were_asked(tmp_path):
    async with FakeSlack() as slack:
        channel = slack.add_channel("social-desk")
        runtime, _, _ = make_runtime(f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path, chat=None)
        client = make_client(slack.token, slack.base_url)
        runtime.chats.clear()
        runtime.add_chat(SlackChat(client))
        feed(runtime, factories.post(external_id="s1"))
        try:
            async with TestClient(TestServer(http_app(build_app(runtime.desk, client, slack_wire.SIGNING_SECRET)))) as http:
                body, kind = slack_wire.slash_command("/stats", "7d chart export", "USAM", channel,
                                                      slack.base_url.replace("/api/", "/response/cmd"))
                answer = await http.post("/slack/events", data=body.encode(),
                                         headers={"Content-Type": kind, **slack_wire.sign(body)})
                assert answer.status == 200
                await asyncio.sleep(0)
                for _ in range(100):
                    if slack.uploads:
                        break
                    await asyncio.sleep(0.05)
        finally:
            await runtime.close()
        names = [upload["name"] for upload in slack.uploads]
        assert names[0].endswith(".png") and [n.split("-")[1] for n in names[1:]] == ["conversations", "replies", "notes",
                                                                                     "sla"]
        assert {upload["channel"] for upload in slack.uploads} == {channel}
        (message,) = slack.messages(channel)
        assert message["text"] == "socialdesk figures in the last 7 days" and len(message["files"]) == 5
        assert "will appear in this channel" in slack.responses[-1]["text"]


async def test_discord_takes_files_in_a_forum_post_and_as_a_reply_in_a_text_channel(tmp_path):
    async with discord_desk(tmp_path) as desk:
        chat: DiscordChat = desk.bot.chat
        desk.add_posts(factories.post_item(1, "@acme my order never arrived"))
        await desk.settle()
        thread = desk.conversation_thread(1)
        message_id = await chat.upload("#social-desk", thread["id"], (chart("digest.png"),), "Yesterday in a chart.")
        (uploaded,) = desk.fake.uploads
        assert uploaded["channel_id"] == thread["id"] and uploaded["content"] == PNG + b"x" * 64
        assert uploaded["description"] == "A chart"
        stored = next(m for m in desk.fake.messages(thread["id"]) if m["id"] == message_id)
        assert stored["content"] == "Yesterday in a chart." and stored["attachments"][0]["filename"] == "digest.png"
        assert await chat.find_upload("#social-desk", thread["id"], "digest.png") == message_id

        text_channel = desk.fake.add_channel("leads", GUILD_TEXT)
        digest = await chat.post_to_channel(text_channel, Notice(text="Daily digest"), "digest:key")
        await chat.upload(text_channel, digest, (chart("text.png"),), "Yesterday in a chart.")
        reply = desk.fake.messages(text_channel)[-1]
        assert reply["message_reference"]["message_id"] == digest and reply["attachments"][0]["filename"] == "text.png"

        with pytest.raises(ChatError, match="Request entity too large"):  # Discord's 10 MiB a file
            await chat.upload(text_channel, None, (chart("big.png", 10 * 1024 * 1024),), "too big")
        with pytest.raises(ChatError, match="Invalid Form Body"):  # at most 10 files a message
            await chat.upload(text_channel, None, tuple(chart(f"{n}.png") for n in range(11)), "too many")
        desk.fake.deny(text_channel, "attach")
        with pytest.raises(ChatError, match="Attach Files"):
            await chat.upload(text_channel, None, (chart(),), "no permission")


async def test_stats_chart_is_attached_in_the_discord_channel_where_it_was_asked(tmp_path):
    async with discord_desk(tmp_path) as desk:
        desk.add_posts(factories.post_item(1, "@acme my order never arrived"))
        await desk.settle()
        where = desk.conversation_thread(1)["id"]
        await desk.interact(desk.fake.command(desk.users["sam"], "stats", where, text="today chart"))
        uploaded = await desk.until(lambda: desk.fake.uploads)
        assert uploaded[0]["channel_id"] == where and uploaded[0]["content"].startswith(PNG)


async def test_the_digest_chart_goes_in_the_digests_thread_once_even_after_a_crash(db_url, tmp_path):
    runtime, chat, clock = make_runtime(db_url, tmp_path, digest={"channel": "C0LEADS", "at": "10:00"})
    feed(runtime, factories.post("@acme my order never arrived", external_id="y1", minutes=-13 * 60))
    clock.advance(timedelta(hours=1))
    assert queue_digest(runtime.engine, runtime.config, clock.now())
    upload = chat.upload

    async def upload_then_die(*args):
        await upload(*args)
        raise SimulatedCrash("after the chart reached chat")

    chat.upload = upload_then_die
    with pytest.raises(SimulatedCrash):
        await runtime.outbox.drain()
    chat.upload = upload
    with session_scope(runtime.engine) as session:  # the interrupted attempt's lease runs out
        for entry in session.exec(select(OutboxEntry).where(OutboxEntry.kind == CHART)):
            entry.locked_until = clock.now() - timedelta(seconds=1)
    await drain(runtime)
    (digest,) = chat.channel_posts
    (upload,) = chat.uploads
    files, comment = upload.body
    assert upload.channel == "C0LEADS" and upload.thread_id == digest.message_id and comment == "Yesterday in a chart."
    assert files[0].name.startswith("socialdesk-digest-2026-11-02-") and files[0].content.startswith(PNG)
    with Session(runtime.engine) as session:
        entry = session.exec(select(OutboxEntry).where(OutboxEntry.kind == CHART)).one()
        assert entry.status == "done" and entry.result["reconciled"] is True
    await runtime.close()


def test_the_demo_writes_the_chart_and_prints_its_path(tmp_path):
    script = "/stats today chart\nquit\n"
    result = subprocess.run([sys.executable, "-m", "bot", "demo", "--interval", "0"], input=script, text=True,
                            capture_output=True, timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-2000:]
    paths = [line.strip() for line in result.stdout.splitlines() if line.strip().endswith(".png")]
    assert paths, result.stdout[-2000:]
    assert Path(paths[0]).read_bytes().startswith(PNG)
