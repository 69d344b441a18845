"""The `socialdesk` command: demo, run, check, db."""
from __future__ import annotations

import asyncio
import logging
import signal

import typer
from rich.console import Console

from bot.settings import ConfigError, DeskConfig, Secrets, load_config, load_secrets
from storage.db import current_revision, database_url, make_engine, upgrade

app = typer.Typer(help="socialdesk: answer your brand's social mentions from Slack.", no_args_is_help=True,
                  add_completion=False)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
outbox_app = typer.Typer(help="Deliveries to chat and the networks.", no_args_is_help=True)
app.add_typer(outbox_app, name="outbox")
console = Console(highlight=False)


def main() -> None:
    app()


def _load() -> tuple[Secrets, DeskConfig]:
    try:
        secrets = load_secrets()
        return secrets, load_config(secrets.socialdesk_config)
    except ConfigError as error:
        console.print(f"[red]Configuration problem[/]\n{error}", markup=True)
        raise typer.Exit(2) from None


def _db_url(secrets: Secrets, config: DeskConfig) -> str:
    return database_url(secrets.database_url, secrets.socialdesk_config.parent / config.database_path)


@app.command()
def demo(
    interval: float = typer.Option(2.0, help="Seconds between sample posts arriving."),
    name: str = typer.Option("Alex Demo", "--name", help="Your name as the demo's agent."),
    initials: str = typer.Option("AD", help="Your initials, used to sign replies."),
    fast: bool = typer.Option(False, "--fast", help="Time runs 60x fast: SLA warnings and breaches within a minute."),
) -> None:
    """Run the whole loop offline: sample posts arrive in the terminal; claim and reply at the prompt."""
    from bot.demo import run_demo

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    asyncio.run(run_demo(interval, name, initials, console, fast=fast))


@app.command()
def run(
    mode: str = typer.Option("auto", help="socket (Slack Socket Mode), http (Slack calls /slack/events), or auto."),
    port: int | None = typer.Option(None, help="HTTP port (default $PORT or 3000)."),
    host: str = typer.Option("0.0.0.0", help="HTTP address to listen on."),
) -> None:
    """Run the bot: poll the sources, deliver to chat, take commands."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    secrets, config = _load()
    if mode == "auto":
        mode = "socket" if secrets.slack_app_token else "http"
    try:
        asyncio.run(_serve(secrets, config, mode, host, port or secrets.port))
    except ConfigError as error:
        console.print(f"[red]Configuration problem[/]\n{error}")
        raise typer.Exit(2) from None


async def _serve(secrets: Secrets, config: DeskConfig, mode: str, host: str, port: int) -> None:
    from aiohttp import web

    from bot.chat.slack import SlackChat, make_client
    from bot.chat.slack_app import build_app, http_app
    from bot.runtime import Runtime

    runtime = Runtime(config, database_url=_db_url(secrets, config), base_dir=secrets.socialdesk_config.parent)
    if not secrets.slack_bot_token:
        raise ConfigError("SLACK_BOT_TOKEN is not set: put the bot token (xoxb-…) in .env. See README, Slack setup.")
    client = make_client(secrets.slack_bot_token, secrets.slack_api_url)
    runtime.add_chat(SlackChat(client))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    if mode == "socket":
        from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

        if not secrets.slack_app_token:
            raise ConfigError("SLACK_APP_TOKEN is not set: Socket Mode needs an app-level token (xapp-…) in .env.")
        handler = AsyncSocketModeHandler(build_app(runtime, client, None, socket_mode=True), secrets.slack_app_token)
        await handler.connect_async()
        logging.getLogger(__name__).info("connected to Slack over Socket Mode")
        try:
            await runtime.run(stop)
        finally:
            await handler.close_async()
    else:
        if not secrets.slack_signing_secret:
            raise ConfigError("SLACK_SIGNING_SECRET is not set: HTTP mode verifies every request with it (.env).")
        web_runner = web.AppRunner(http_app(build_app(runtime, client, secrets.slack_signing_secret)))
        await web_runner.setup()
        await web.TCPSite(web_runner, host, port).start()
        logging.getLogger(__name__).info("listening for Slack on %s:%d (/slack/events)", host, port)
        try:
            await runtime.run(stop)
        finally:
            await web_runner.cleanup()
    await runtime.close()


@app.command()
def check() -> None:
    """Show what is configured and missing, and try each credential."""
    from bot.checks import run_checks

    secrets, config = _load()
    problems = asyncio.run(run_checks(secrets, config, _db_url(secrets, config), console))
    raise typer.Exit(1 if problems else 0)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply database migrations (also done at every start)."""
    secrets, config = _load()
    engine = make_engine(_db_url(secrets, config))
    upgrade(engine)
    console.print(f"Database at revision {current_revision(engine)}.")


@db_app.command("current")
def db_current() -> None:
    """Print the database's schema revision."""
    secrets, config = _load()
    console.print(current_revision(make_engine(_db_url(secrets, config))) or "empty (run: socialdesk db upgrade)")


@outbox_app.command("retry")
def outbox_retry() -> None:
    """Queue failed chat messages again (after fixing the channel, token or invite). Replies are not retried."""
    from datetime import UTC, datetime

    from bot.outbox_admin import retry_failed_chat

    secrets, config = _load()
    engine = make_engine(_db_url(secrets, config))
    upgrade(engine)
    count = retry_failed_chat(engine, datetime.now(UTC))
    console.print(f"{count} chat messages queued again; a running socialdesk delivers them within seconds.")
