"""The fake Slack answers the real slack_sdk AsyncWebClient the way Slack does."""
from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import textwrap

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncConnectionErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from tests.fakes.slack_api import FakeSlack

META = {"event_type": "socialdesk_outbox", "event_payload": {"key": "conv:1:open", "conversation": 1}}


class ManualClock:
    """A clock the test moves by hand, for the fake's per-channel rate limit."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def client_for(slack: FakeSlack, token: str | None = None, **kwargs) -> AsyncWebClient:
    return AsyncWebClient(token=token or slack.token, base_url=slack.base_url, **kwargs)


@pytest.mark.asyncio
async def test_post_reply_update_and_read_back_with_metadata():
    async with FakeSlack() as slack:
        channel = slack.add_channel("social-desk")
        client = client_for(slack)
        parent = await client.chat_postMessage(channel="#social-desk", text="hi", blocks=[{"type": "divider"}],
                                               metadata=META, unfurl_links=False, unfurl_media=False)
        assert parent["channel"] == channel and parent["ts"] == "1700000000.000100"
        assert parent["message"]["metadata"] == META and parent["message"]["blocks"] == [{"type": "divider"}]
        reply = await client.chat_postMessage(channel=channel, thread_ts=parent["ts"], text="in thread")
        assert reply["message"]["thread_ts"] == parent["ts"] and reply["ts"] > parent["ts"]
        updated = await client.chat_update(channel=channel, ts=parent["ts"], text="edited")
        assert updated["text"] == "edited" and "edited" in updated["message"]

        history = await client.conversations_history(channel=channel, include_all_metadata=True)
        (top,) = history["messages"]
        assert top["text"] == "edited" and top["metadata"] == META and top["blocks"] == [{"type": "divider"}]
        assert top["reply_count"] == 1 and top["latest_reply"] == reply["ts"]
        assert "metadata" not in (await client.conversations_history(channel=channel))["messages"][0]
        replies = await client.conversations_replies(channel=channel, ts=parent["ts"])
        assert [m["text"] for m in replies["messages"]] == ["edited", "in thread"]

        assert [m["text"] for m in slack.messages("#social-desk")] == ["edited"]
        assert [m["text"] for m in slack.thread(channel, parent["ts"])] == ["in thread"]
        assert slack.calls_to("chat.postMessage")[0].params["unfurl_links"] is False


@pytest.mark.asyncio
async def test_form_encoded_blocks_and_metadata_arrive_as_json_strings():
    async with FakeSlack() as slack:
        client = client_for(slack)
        posted = await client.api_call("chat.postMessage", data={
            "channel": "general", "text": "form", "blocks": json.dumps([{"type": "divider"}]),
            "metadata": json.dumps(META)})
        (message,) = slack.messages("general")
        assert message["ts"] == posted["ts"] and message["blocks"] == [{"type": "divider"}]
        assert message["metadata"] == META


@pytest.mark.asyncio
async def test_history_and_replies_paginate_with_cursors():
    async with FakeSlack() as slack:
        channel = slack.channel_id("general")
        client = client_for(slack)
        for n in range(5):
            await client.chat_postMessage(channel=channel, text=str(n), metadata=META)
        first = await client.conversations_history(channel=channel, limit=2, include_all_metadata=True)
        assert [m["text"] for m in first["messages"]] == ["4", "3"] and first["has_more"]
        await client.chat_postMessage(channel=channel, text="late")  # a new post does not shift later pages
        second = await client.conversations_history(channel=channel, limit=2,
                                                    cursor=first["response_metadata"]["next_cursor"])
        third = await client.conversations_history(channel=channel, limit=2,
                                                   cursor=second["response_metadata"]["next_cursor"])
        assert [m["text"] for m in second["messages"]] == ["2", "1"]
        assert [m["text"] for m in third["messages"]] == ["0"]
        assert not third["has_more"] and third["response_metadata"]["next_cursor"] == ""

        root = first["messages"][0]["ts"]
        for n in range(3):
            await client.chat_postMessage(channel=channel, thread_ts=root, text=f"r{n}")
        page = await client.conversations_replies(channel=channel, ts=root, limit=2)
        rest = await client.conversations_replies(channel=channel, ts=root, limit=2,
                                                  cursor=page["response_metadata"]["next_cursor"])
        assert [m["text"] for m in page["messages"] + rest["messages"]] == ["4", "r0", "r1", "r2"]

        newer = await client.conversations_history(channel=channel, oldest=root)
        assert [m["text"] for m in newer["messages"]] == ["late"]
        with pytest.raises(SlackApiError, match="invalid_cursor"):
            await client.conversations_history(channel=channel, cursor="not-a-cursor")


@pytest.mark.asyncio
async def test_rate_limit_is_a_429_with_retry_after_and_is_not_retried_by_default():
    async with FakeSlack() as slack:
        client = client_for(slack)
        # slack_sdk's default retry handlers only retry connection errors, never 429 or 5xx.
        assert [type(h) for h in client.retry_handlers] == [AsyncConnectionErrorRetryHandler]
        slack.rate_limit("chat.postMessage", retry_after=7)
        with pytest.raises(SlackApiError) as error:
            await client.chat_postMessage(channel="#general", text="x")
        assert error.value.response.status_code == 429 and error.value.response.headers["Retry-After"] == "7"
        assert error.value.response["error"] == "ratelimited"
        assert len(slack.calls_to("chat.postMessage")) == 1
        await client.chat_postMessage(channel="#general", text="x")  # the next call goes through
        assert slack.errors == [("chat.postMessage", "ratelimited", 429)]


@pytest.mark.asyncio
@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
async def test_injected_failures_and_errors_slack_would_give():
    async with FakeSlack() as slack:
        client = client_for(slack)
        slack.fail("chat.update", error="internal_error", status=500)
        slack.fail("users.info", error="fatal_error")
        posted = await client.chat_postMessage(channel="#general", text="x")
        with pytest.raises(SlackApiError) as error:
            await client.chat_update(channel=posted["channel"], ts=posted["ts"], text="y")
        assert error.value.response.status_code == 500 and error.value.response["error"] == "internal_error"
        with pytest.raises(SlackApiError, match="fatal_error"):
            await client.users_info(user="U0BOT")

        expectations = [
            (lambda: client.chat_postMessage(channel="#nope", text="x"), "channel_not_found"),
            (lambda: client.chat_postMessage(channel="#general"), "no_text"),
            (lambda: client.chat_postMessage(channel="#general", text="x", metadata={"event_payload": {}}),
             "invalid_metadata_format"),
            (lambda: client.chat_postMessage(channel="#general", text="x", thread_ts="1.2"), "invalid_thread_ts"),
            (lambda: client.chat_update(channel=posted["channel"], ts="1.2", text="y"), "message_not_found"),
            (lambda: client.conversations_replies(channel=posted["channel"], ts="1.2"), "thread_not_found"),
            (lambda: client.users_info(user="UNKNOWN"), "user_not_found"),
            (lambda: client.api_call("chat.nonsense"), "unknown_method"),
            (lambda: client_for(slack, token="xoxb-wrong").auth_test(), "invalid_auth"),
            (lambda: AsyncWebClient(base_url=slack.base_url).auth_test(), "not_authed"),
        ]
        for call, expected in expectations:
            with pytest.raises(SlackApiError) as error:
                await call()
            assert error.value.response.status_code == 200 and error.value.response["error"] == expected


@pytest.mark.asyncio
async def test_auth_users_ephemerals_permalinks_and_views():
    async with FakeSlack() as slack:
        slack.add_user("UKIM", "kim", "Kim Lee")
        client = client_for(slack)
        assert (await client.auth_test())["user_id"] == slack.bot_user_id
        assert (await client.users_info(user="UKIM"))["user"]["real_name"] == "Kim Lee"

        answer = await client.chat_postEphemeral(channel="#general", user="UKIM", text="only you")
        (ephemeral,) = slack.ephemerals
        assert ephemeral["text"] == "only you" and ephemeral["message_ts"] == answer["message_ts"]
        assert slack.messages("general") == []

        posted = await client.chat_postMessage(channel="#general", text="x")
        link = await client.chat_getPermalink(channel=posted["channel"], message_ts=posted["ts"])
        assert link["permalink"].endswith(f"/archives/{posted['channel']}/p{posted['ts'].replace('.', '')}")

        modal = {"type": "modal", "callback_id": "reply", "title": {"type": "plain_text", "text": "Reply"},
                 "blocks": []}
        opened = await client.views_open(trigger_id="123.456", view=modal)
        view_id, view_hash = opened["view"]["id"], opened["view"]["hash"]
        await client.views_update(view_id=view_id, hash=view_hash, view={**modal, "private_metadata": "2"})
        with pytest.raises(SlackApiError, match="hash_conflict"):
            await client.views_update(view_id=view_id, hash=view_hash, view=modal)
        assert [(v["method"], v["view"]["private_metadata"]) for v in slack.views] == [
            ("views.open", ""), ("views.update", "2")]


@pytest.mark.asyncio
async def test_a_slow_answer_times_the_client_out_after_the_message_was_posted():
    async with FakeSlack() as slack:
        slack.delay("chat.postMessage", 1.0)
        with pytest.raises(TimeoutError):  # slack_sdk does not retry a timeout
            await client_for(slack, timeout=0.2).chat_postMessage(channel="#general", text="slow")
        assert [m["text"] for m in slack.messages("general")] == ["slow"]


@pytest.mark.asyncio
async def test_channel_rate_enforcement_answers_429_until_the_bucket_refills():
    clock = ManualClock()
    async with FakeSlack(clock=clock) as slack:
        slack.enforce_channel_rate(per_second=1, burst=3)
        client = client_for(slack)
        for n in range(3):
            await client.chat_postMessage(channel="#general", text=str(n))
        with pytest.raises(SlackApiError) as error:
            await client.chat_postMessage(channel="#general", text="too fast")
        assert error.value.response.status_code == 429 and error.value.response.headers["Retry-After"] == "1"
        await client.chat_postMessage(channel="#random", text="other channels have their own bucket")
        clock.now += 1
        await client.chat_postMessage(channel="#general", text="3")
        assert [m["text"] for m in slack.messages("general")] == ["0", "1", "2", "3"]


def test_in_thread_mode_serves_another_loop_and_another_process():
    with FakeSlack.in_thread() as slack:
        channel = slack.add_channel("social-desk")

        async def post() -> None:
            await client_for(slack).chat_postMessage(channel=channel, text="from another loop")

        asyncio.run(post())
        script = textwrap.dedent("""
            import sys
            from slack_sdk import WebClient
            WebClient(token=sys.argv[1], base_url=sys.argv[2]).chat_postMessage(channel="#social-desk",
                                                                                text="from a subprocess")
        """)
        subprocess.run([sys.executable, "-c", script, slack.token, slack.base_url], check=True, timeout=30)
        assert [m["text"] for m in slack.messages(channel)] == ["from another loop", "from a subprocess"]
        assert [c.method for c in slack.calls] == ["chat.postMessage", "chat.postMessage"]


def section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


@pytest.mark.parametrize(("blocks", "pointer"), [
    ([section("x" * 3001)], "/blocks/0/text/text"),
    ([{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}], "/blocks/0/text/text"),
    ([{"type": "context", "elements": [{"type": "mrkdwn", "text": "x"}] * 11}], "/blocks/0/elements"),
    ([{"type": "actions", "elements": [{"type": "button", "text": {"type": "plain_text", "text": "x" * 76},
                                        "action_id": "a", "value": "v"}]}], "/blocks/0/elements/0/text/text"),
    ([{"type": "actions", "elements": [{"type": "button", "text": {"type": "plain_text", "text": "x"},
                                        "action_id": "a" * 256, "value": "v" * 2001}]}], "/blocks/0/elements/0/action_id"),
    ([section("x")] * 51, "/blocks"),
    ([{"type": "bogus"}], "/blocks/0/type"),
])
async def test_messages_over_a_documented_limit_are_invalid_blocks_with_slacks_explanation(blocks, pointer):
    async with FakeSlack() as slack:
        slack.add_channel("social-desk")
        with pytest.raises(SlackApiError) as refused:
            await client_for(slack).chat_postMessage(channel="#social-desk", text="hi", blocks=blocks)
        assert refused.value.response["error"] == "invalid_blocks"
        assert any(pointer in message for message in refused.value.response["response_metadata"]["messages"])


async def test_message_text_metadata_and_views_over_their_limits_are_refused_as_slack_refuses_them():
    async with FakeSlack() as slack:
        slack.add_channel("social-desk")
        client = client_for(slack)
        with pytest.raises(SlackApiError) as refused:
            await client.chat_postMessage(channel="#social-desk", text="x" * 40_001)
        assert refused.value.response["error"] == "msg_too_long"
        big = {"event_type": "socialdesk_outbox", "event_payload": {"key": "k" * 9000}}
        with pytest.raises(SlackApiError) as refused:
            await client.chat_postMessage(channel="#social-desk", text="hi", metadata=big)
        assert refused.value.response["error"] == "metadata_too_large"
        option = {"text": {"type": "plain_text", "text": "Publish anyway"}, "value": "anyway",
                  "description": {"type": "plain_text", "text": "x" * 77}}  # the Reply modal's old description
        modal = {"type": "modal", "title": {"type": "plain_text", "text": "Reply to #42"},
                 "submit": {"type": "plain_text", "text": "Publish"},
                 "blocks": [{"type": "input", "label": {"type": "plain_text", "text": "Guard"},
                             "element": {"type": "checkboxes", "action_id": "c", "options": [option]}}]}
        with pytest.raises(SlackApiError) as refused:
            await client.views_open(trigger_id="1.2", view=modal)
        assert refused.value.response["error"] == "invalid_arguments"
        assert "/view/blocks/0/element/options/0/description/text" in refused.value.response["response_metadata"]["messages"][0]
        with pytest.raises(SlackApiError) as refused:
            await client.views_open(trigger_id="1.2", view={**modal, "title": {"type": "plain_text", "text": "x" * 25}})
        assert refused.value.response["error"] == "invalid_arguments"
        home = {"type": "home", "blocks": [section("x" * 3001)]}
        with pytest.raises(SlackApiError) as refused:
            await client.views_publish(user_id="U0BOT", view=home)  # the Home tab is checked like every view
        assert refused.value.response["error"] == "invalid_arguments"
        option["description"]["text"] = "x" * 75
        assert (await client.views_open(trigger_id="1.2", view=modal))["ok"]


@pytest.mark.asyncio
async def test_views_publish_keeps_the_documented_view_limits():
    async with FakeSlack() as slack:
        slack.add_user("UJANE", "jane")
        client = client_for(slack)
        divider = {"type": "divider"}
        published = await client.views_publish(user_id="UJANE", view={"type": "home", "blocks": [divider] * 100})
        assert published["view"]["type"] == "home" and len(slack.home("UJANE")["blocks"]) == 100
        again = await client.views_publish(user_id="UJANE", view={"type": "home", "blocks": [divider]})
        assert again["view"]["id"] == published["view"]["id"]  # one home per user, replaced
        refused = [
            {"type": "home", "blocks": [divider] * 101},  # at most 100 blocks
            {"type": "home", "blocks": [divider], "private_metadata": "x" * 3001},  # 3000 characters
            {"type": "home", "blocks": [divider], "callback_id": "x" * 256},  # 255 characters
            {"type": "home", "blocks": [divider], "title": {"type": "plain_text", "text": "Home"}},  # a modal's chrome
            {"type": "modal", "blocks": [divider], "title": {"type": "plain_text", "text": "Reply"}},  # home only
        ]
        for view in refused:
            with pytest.raises(SlackApiError) as raised:
                await client.views_publish(user_id="UJANE", view=view)
            assert raised.value.response["error"] == "invalid_arguments"
        with pytest.raises(SlackApiError) as raised:
            await client.views_publish(user_id="UNOBODY", view={"type": "home", "blocks": []})
        assert raised.value.response["error"] == "user_not_found"
        with pytest.raises(SlackApiError) as raised:
            await client.views_open(trigger_id="1.2.3", view={"type": "modal", "blocks": [divider],
                                                             "title": {"type": "plain_text", "text": "x" * 25}})
        assert raised.value.response["error"] == "invalid_arguments"  # a modal's title holds 24 characters
