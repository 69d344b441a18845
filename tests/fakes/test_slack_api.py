"""The fake Slack answers the real slack_sdk client like Slack does."""
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from tests.fakes.slack_api import FakeSlack


async def test_post_thread_update_and_history_with_metadata():
    async with FakeSlack() as slack:
        channel = slack.add_channel("social-desk")
        client = AsyncWebClient(token=slack.token, base_url=slack.base_url)
        meta = {"event_type": "socialdesk_outbox", "event_payload": {"key": "conv:1:open"}}
        parent = await client.chat_postMessage(channel="#social-desk", text="hi", blocks=[{"type": "divider"}],
                                               metadata=meta)
        assert parent["channel"] == channel
        await client.chat_postMessage(channel=channel, thread_ts=parent["ts"], text="in thread")
        await client.chat_update(channel=channel, ts=parent["ts"], text="edited")
        history = await client.conversations_history(channel=channel, include_all_metadata=True)
        assert [m["text"] for m in history["messages"]] == ["edited"]
        assert history["messages"][0]["metadata"] == meta
        plain = await client.conversations_history(channel=channel)
        assert "metadata" not in plain["messages"][0]
        replies = await client.conversations_replies(channel=channel, ts=parent["ts"])
        assert [m["text"] for m in replies["messages"]] == ["edited", "in thread"]


async def test_pagination():
    async with FakeSlack() as slack:
        channel = slack.add_channel("c")
        client = AsyncWebClient(token=slack.token, base_url=slack.base_url)
        for n in range(5):
            await client.chat_postMessage(channel=channel, text=str(n))
        first = await client.conversations_history(channel=channel, limit=2)
        assert [m["text"] for m in first["messages"]] == ["4", "3"] and first["has_more"]
        second = await client.conversations_history(channel=channel, limit=2,
                                                    cursor=first["response_metadata"]["next_cursor"])
        assert [m["text"] for m in second["messages"]] == ["2", "1"]


async def test_rate_limit_errors_and_auth():
    async with FakeSlack() as slack:
        channel = slack.add_channel("c")
        client = AsyncWebClient(token=slack.token, base_url=slack.base_url)
        slack.rate_limit("chat.postMessage", retry_after=7)
        with pytest.raises(SlackApiError) as error:
            await client.chat_postMessage(channel=channel, text="x")
        assert error.value.response.status_code == 429 and error.value.response.headers["Retry-After"] == "7"
        await client.chat_postMessage(channel=channel, text="x")  # the next call goes through
        with pytest.raises(SlackApiError, match="channel_not_found"):
            await client.chat_postMessage(channel="#nope", text="x")
        with pytest.raises(SlackApiError, match="invalid_auth"):
            await AsyncWebClient(token="xoxb-wrong", base_url=slack.base_url).auth_test()


def test_in_thread_mode_serves_another_loop():
    import asyncio

    with FakeSlack.in_thread() as slack:
        channel = slack.add_channel("c")

        async def post():
            client = AsyncWebClient(token=slack.token, base_url=slack.base_url)
            return await client.chat_postMessage(channel=channel, text="from elsewhere")

        asyncio.run(post())
        assert [m["text"] for m in slack.messages(channel)] == ["from elsewhere"]
