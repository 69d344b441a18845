"""`socialdesk check` for Discord: the token works, the server is reachable, each routed channel exists,
has the kind its route expects, and grants the bot the permissions it needs; the Message Content intent is on.

The bot's permissions in a channel are computed by discord.py itself (roles, then the channel's
overwrites) from the server, member and channel as the REST API returns them.
"""
from __future__ import annotations

from typing import NamedTuple

import discord

from bot.chat.discord.outbound import point_at
from bot.settings import DeskConfig, Secrets

NEEDED = {
    "view_channel": "View Channels", "send_messages": "Send Messages", "send_messages_in_threads": "Send Messages in Threads",
    "read_message_history": "Read Message History", "embed_links": "Embed Links", "add_reactions": "Add Reactions",
}
NEEDED_IN_TEXT_CHANNELS = {"create_public_threads": "Create Public Threads"}
PERMISSIONS_INTEGER = discord.Permissions(**dict.fromkeys([*NEEDED, *NEEDED_IN_TEXT_CHANNELS], True)).value


class Finding(NamedTuple):
    ok: bool
    what: str
    detail: str


async def check_discord(secrets: Secrets, config: DeskConfig) -> list[Finding]:
    point_at(secrets.discord_api_url, secrets.discord_gateway_url)
    client = discord.Client(intents=discord.Intents.none())
    try:
        return await _findings(client, secrets, config)
    finally:
        await client.close()


async def _findings(client: discord.Client, secrets: Secrets, config: DeskConfig) -> list[Finding]:
    try:
        await client.login(secrets.discord_bot_token)
    except discord.LoginFailure:
        return [Finding(False, "DISCORD_BOT_TOKEN", "refused by Discord: copy the bot's token again (Developer Portal → Bot)")]
    except (discord.HTTPException, OSError) as error:
        return [Finding(False, "DISCORD_BOT_TOKEN", f"Discord unreachable: {error}")]
    findings = [Finding(True, "DISCORD_BOT_TOKEN", f"bot {client.user} (application {client.application_id})")]
    flags = client.application_flags
    if not (flags.gateway_message_content or flags.gateway_message_content_limited):
        findings.append(Finding(False, "Discord Message Content intent", "off: turn it on (Developer Portal → Bot → "
                                "Privileged Gateway Intents), or notes and !commands in threads cannot be read"))
    try:
        guild = await client.fetch_guild(int(config.discord.guild_id))
        member = await guild.fetch_member(client.user.id)
    except discord.HTTPException as error:
        return [*findings, Finding(False, f"Discord server {config.discord.guild_id}",
                                   f"not reachable ({error.status} {error.text}): check [discord] guild_id and invite the bot")]
    findings.append(Finding(True, "Discord server", f"{guild.name} ({guild.id})"))
    channels = await guild.fetch_channels()
    for route in config.routes:
        if route.platform == "discord":
            findings.append(_channel(channels, member, route.channel, route.style))
    return findings


def _channel(channels: list[discord.abc.GuildChannel], member: discord.Member, name: str, style: str | None) -> Finding:
    what = f"Discord channel {name}"
    channel = next((c for c in channels if (f"#{c.name}" if name.startswith("#") else str(c.id)) == name), None)
    if channel is None:
        return Finding(False, what, "not found in the server, or the bot cannot see it: check [[routes]] and give the bot "
                                    "View Channels there")
    if not isinstance(channel, discord.ForumChannel | discord.TextChannel):
        return Finding(False, what, "is neither a forum nor a text channel")
    forum = isinstance(channel, discord.ForumChannel)
    if style and style != ("forum" if forum else "thread"):
        return Finding(False, what, f"the route's style is {style!r} but the channel is a {'forum' if forum else 'text channel'}")
    granted = channel.permissions_for(member)
    needed = NEEDED if forum else {**NEEDED, **NEEDED_IN_TEXT_CHANNELS}
    missing = [label for flag, label in needed.items() if not getattr(granted, flag)]
    if missing:
        return Finding(False, what, f"the bot lacks {', '.join(missing)} there (grant them, or invite the bot again "
                                    f"with permissions={PERMISSIONS_INTEGER})")
    return Finding(True, what, f"conversations as {'forum posts' if forum else 'threads on messages'}; permissions ok")
