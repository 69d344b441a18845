"""Connecting socialdesk to Discord: log in, register the commands, keep the gateway connected."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import discord

from bot.chat.discord.inbound import DeskBot
from bot.chat.discord.outbound import point_at
from bot.chat.recovery import keep_recovering
from bot.desk import Desk
from bot.settings import ConfigError, Secrets

log = logging.getLogger(__name__)


async def start_discord(desk: Desk, connect: Callable[..., None], secrets: Secrets,
                        stop: asyncio.Event) -> Callable[[], Awaitable[None]]:
    """Log in, hand the outbound port and a check of the gateway to `connect`, and keep the gateway connected;
    returns the coroutine function
    that disconnects. A gateway that cannot stay connected (say, the Message Content intent is off) sets `stop`,
    with the reason in the log."""
    point_at(secrets.discord_api_url, secrets.discord_gateway_url)
    bot = DeskBot(desk)
    try:
        await bot.login(secrets.discord_bot_token)
    except discord.LoginFailure:
        await bot.close()
        raise ConfigError("DISCORD_BOT_TOKEN was refused by Discord: copy the bot's token again (Developer Portal → "
                          "your application → Bot → Reset Token) into .env.") from None
    except BaseException:
        await bot.close()
        raise

    async def connected() -> bool:
        return bot.is_ready() and not bot.is_closed()

    connect(bot.chat, connected)
    gateway = asyncio.create_task(bot.connect(), name="discord-gateway")
    recovering = asyncio.create_task(keep_recovering("Discord", bot.listeners.recover), name="discord-recover-commands")

    def gateway_ended(task: asyncio.Task) -> None:
        if not task.cancelled() and task.exception() is not None and not bot.is_closed():
            hint = (" Turn on the Message Content intent: Developer Portal → your application → Bot → Privileged Gateway "
                    "Intents." if isinstance(task.exception(), discord.PrivilegedIntentsRequired) else "")
            log.critical("Discord gateway stopped: %r.%s Stopping socialdesk.", task.exception(), hint)
            stop.set()

    gateway.add_done_callback(gateway_ended)

    async def close() -> None:
        recovering.cancel()
        await bot.close()
        gateway.cancel()
        await asyncio.gather(gateway, return_exceptions=True)

    return close
