"""Connecting socialdesk to Slack: Socket Mode, or HTTP mode on a port, with the listeners of inbound.py."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

from bot.chat.slack.inbound import build_app, http_app, recover_commands
from bot.chat.slack.outbound import SlackChat, make_client
from bot.desk import Desk
from bot.settings import ConfigError, Secrets

log = logging.getLogger(__name__)


async def start_slack(desk: Desk, connect: Callable[..., None], secrets: Secrets, mode: str, host: str,
                      port: int, routes: list[web.RouteDef] = ()) -> Callable[[], Awaitable[None]]:
    """Connect (Socket Mode, or HTTP mode on host:port, also serving `routes` there) and hand the outbound port
    and a check of the connection to `connect`; returns the coroutine function that disconnects."""
    client = make_client(secrets.slack_bot_token, secrets.slack_api_url)
    recovering = asyncio.get_running_loop().create_task(recover_commands(desk, client), name="slack-recover-commands")
    if mode == "socket":
        if not secrets.slack_app_token:
            raise ConfigError("SLACK_APP_TOKEN is not set: Socket Mode needs an app-level token (xapp-…) in .env.")
        handler = AsyncSocketModeHandler(build_app(desk, client, None, socket_mode=True), secrets.slack_app_token)
        connect(SlackChat(client), handler.client.is_connected)
        await handler.connect_async()
        log.info("connected to Slack over Socket Mode")
        return _stopping(recovering, handler.close_async)
    connect(SlackChat(client))
    if not secrets.slack_signing_secret:
        raise ConfigError("SLACK_SIGNING_SECRET is not set: HTTP mode verifies every request with it (.env).")
    web_runner = web.AppRunner(http_app(build_app(desk, client, secrets.slack_signing_secret), routes=routes))
    await web_runner.setup()
    await web.TCPSite(web_runner, host, port).start()
    log.info("listening for Slack on %s:%d (/slack/events)", host, port)
    return _stopping(recovering, web_runner.cleanup)


def _stopping(task: asyncio.Task, close: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
    async def disconnect() -> None:
        task.cancel()
        await close()

    return disconnect
