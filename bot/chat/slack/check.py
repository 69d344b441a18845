"""`socialdesk check` for Slack: each routed channel exists, the bot is a member, and it may post there.

Asked of the Web API without posting anything: the channel is found by id or by name
(conversations.info / conversations.list), membership is the channel's `is_member`, and a channel
that is archived cannot take messages.
"""
from __future__ import annotations

from typing import NamedTuple

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.chat.slack.outbound import SlackChat
from bot.ports import ChatError
from bot.settings import DeskConfig


class Finding(NamedTuple):
    ok: bool
    what: str
    detail: str


async def check_channels(client: AsyncWebClient, config: DeskConfig) -> list[Finding]:
    """One finding per Slack channel the config sends conversations, escalations or the digest to."""
    chat = SlackChat(client)
    channels = [r.channel for r in config.routes if r.platform == "slack"]
    escalation = config.sla.escalation.get("slack")
    if escalation and escalation.channel:
        channels.append(escalation.channel)
    if config.digest and config.digest.platform == "slack":
        channels.append(config.digest.channel)
    return [await _channel(chat, client, channel) for channel in dict.fromkeys(channels)]


async def _channel(chat: SlackChat, client: AsyncWebClient, name: str) -> Finding:
    what = f"Slack channel {name}"
    try:
        channel_id = await chat.channel_id(name)
        info = (await client.conversations_info(channel=channel_id))["channel"]
    except ChatError:
        return Finding(False, what, "not found: check its name in socialdesk.toml ([[routes]], the escalation channel, "
                                    "[digest]), and invite the bot if it is a private channel")
    except SlackApiError as error:
        code = error.response.get("error", "unknown_error")
        hint = "not found: check the channel id in socialdesk.toml" if code == "channel_not_found" else code
        return Finding(False, what, hint)
    if info.get("is_archived"):
        return Finding(False, what, "is archived: unarchive it or route to another channel")
    if not info.get("is_member"):
        return Finding(False, what, f"the bot is not a member, so it cannot post there: type `/invite @socialdesk` in "
                                    f"#{info.get('name', name.lstrip('#'))}")
    return Finding(True, what, f"#{info.get('name', name)} ({channel_id}): the bot is a member and can post")
