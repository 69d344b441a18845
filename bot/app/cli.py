"""The `socialdesk` command: demo, run, check, db, outbox, quarantine."""
from __future__ import annotations

import asyncio
import signal
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from bot.app.logs import setup_logging
from bot.app.memory import limit_arenas, tune_collector
from bot.settings import ConfigError, DeskConfig, Secrets, load_config, load_secrets
from storage.db import current_revision, database_url, make_engine, upgrade

app = typer.Typer(help="socialdesk: answer your brand's social mentions from Slack.", no_args_is_help=True,
                  add_completion=False)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
outbox_app = typer.Typer(help="Deliveries to chat and the networks.", no_args_is_help=True)
app.add_typer(outbox_app, name="outbox")
quarantine_app = typer.Typer(help="Posts that could not be stored, set aside so the ones after them arrive.",
                             no_args_is_help=True)
app.add_typer(quarantine_app, name="quarantine")
console = Console(highlight=False)


def main() -> None:
    app()


def _print_version(value: bool) -> None:
    if value:
        console.print(f"socialdesk {package_version('socialdesk')}")
        raise typer.Exit()


@app.callback()
def _options(
    version: bool = typer.Option(False, "--version", callback=_print_version, is_eager=True,
                                 help="Print socialdesk's version and exit."),
) -> None:
    """socialdesk: answer your brand's social mentions from Slack."""


def _secrets(log_level: str) -> Secrets:
    """The environment, every variable checked, and logging set up from LOG_LEVEL (default `log_level`) and LOG_FORMAT."""
    try:
        secrets = load_secrets()
    except ConfigError as error:
        console.print(f"[red]Configuration problem[/]\n{escape(str(error))}", markup=True)
        raise typer.Exit(2) from None
    setup_logging(secrets.log_level or log_level, secrets.log_format)
    return secrets


def _load(log_level: str = "WARNING") -> tuple[Secrets, DeskConfig]:
    """The environment and socialdesk.toml, every option checked: the command stops, naming the key, if one is wrong."""
    secrets = _secrets(log_level)
    try:
        return secrets, load_config(secrets.socialdesk_config)
    except ConfigError as error:
        console.print(f"[red]Configuration problem[/]\n{escape(str(error))}", markup=True)
        raise typer.Exit(2) from None


def _stop(error: BaseException, db_url: str, host: str = "", port: int = 0) -> None:
    """Exit with `stopped_by`'s line, or let an unexpected error through with its traceback."""
    from bot.app.checks import stopped_by

    line = stopped_by(error, db_url, host, port)
    if line is None:
        raise error
    console.print(f"[red]Stopped[/]: {escape(line)}", soft_wrap=True)
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
    from bot.app.demo import run_demo

    _secrets("WARNING")  # the demo has its own configuration and database; the environment sets its logging
    asyncio.run(run_demo(interval, name, initials, console, fast=fast))


@app.command()
def run(
    mode: str = typer.Option("auto", help="Slack: socket (Socket Mode), http (Slack calls /slack/events), or auto."),
    port: int | None = typer.Option(None, help="HTTP port: Slack's events in HTTP mode, /healthz, /readyz and "
                                               "/metrics always (default $PORT or 3000)."),
    host: str = typer.Option("0.0.0.0", help="HTTP address to listen on."),
) -> None:
    """Run the bot: poll the sources, deliver to chat (Slack, Discord or both), take commands."""
    secrets, config = _load("INFO")
    limit_arenas()  # memory that levels off over hours (bot/app/memory.py)
    tune_collector()  # a backlog stored faster (bot/app/memory.py)
    if mode == "auto":
        mode = "socket" if secrets.slack_app_token else "http"

    async def until_signalled() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await serve(secrets, config, mode, host, port or secrets.port, stop)

    try:
        asyncio.run(until_signalled())
    except ConfigError as error:
        console.print(f"[red]Configuration problem[/]\n{escape(str(error))}")  # keeps [discord], [[routes]]
        raise typer.Exit(2) from None
    except Exception as error:
        _stop(error, _db_url(secrets, config), host, port or secrets.port)


async def serve(secrets: Secrets, config: DeskConfig, mode: str, host: str, port: int, stop: asyncio.Event) -> None:
    """One socialdesk process until `stop` is set: every chat platform, the scheduled jobs, and the health and
    metrics endpoints on host:port (beside /slack/events in HTTP mode)."""
    from bot.app import jobs
    from bot.app.health import Health
    from bot.app.health import serve as serve_health
    from bot.app.runtime import Runtime

    platforms = chat_platforms(secrets, config)
    runtime = Runtime(config, database_url=_db_url(secrets, config), base_dir=secrets.socialdesk_config.parent,
                      secrets=secrets)
    routes = Health(runtime).routes()
    closers = []
    try:
        if "slack" in platforms:
            from bot.chat.slack.start import start_slack

            closers.append(await start_slack(runtime.desk, runtime.add_chat, secrets, mode, host, port, routes))
        if "slack" not in platforms or mode != "http":
            closers.append(await serve_health(routes, host, port))
        if "discord" in platforms:
            from bot.chat.discord.start import start_discord

            closers.append(await start_discord(runtime.desk, runtime.add_chat, secrets, stop))
        await jobs.run(runtime, stop)
    finally:
        for close in reversed(closers):
            await close()
        await runtime.close()


def chat_platforms(secrets: Secrets, config: DeskConfig) -> list[str]:
    """The chat platforms to serve: each one a route names (its credentials must be there) or .env has a token for."""
    routed = {route.platform for route in config.routes}
    platforms = []
    if "slack" in routed or secrets.slack_bot_token:
        if not secrets.slack_bot_token:
            raise ConfigError("A route posts to Slack but SLACK_BOT_TOKEN is not set: put the bot token (xoxb-…) in .env. "
                              "See README, Slack setup.")
        platforms.append("slack")
    if "discord" in routed or secrets.discord_bot_token:
        if not secrets.discord_bot_token:
            raise ConfigError("A route posts to Discord but DISCORD_BOT_TOKEN is not set: put the bot's token in .env. "
                              "See README, Discord setup.")
        if config.discord is None:
            raise ConfigError("DISCORD_BOT_TOKEN is set but socialdesk.toml has no [discord] block: add one with "
                              "guild_id (your server's id). See README, Discord setup.")
        platforms.append("discord")
    if not platforms:
        raise ConfigError("No chat platform to serve: route conversations to Slack or Discord ([[routes]] platform) "
                          "and put its bot token in .env.")
    return platforms


@app.command()
def check() -> None:
    """Show what is configured and missing, and try each credential."""
    from bot.app.checks import run_checks

    secrets, config = _load()
    problems = asyncio.run(run_checks(secrets, config, _db_url(secrets, config), console))
    raise typer.Exit(1 if problems else 0)


@app.command()
def manifest(
    mode: str = typer.Option("socket", help="socket (Socket Mode, no public URL) or http (Slack calls the bot)."),
    url: str | None = typer.Option(None, help="HTTP mode: the bot's public base URL, https://…"),
    prefix: str | None = typer.Option(None, help="Before every slash command (sd- gives /sd-claim); default: "
                                                  "[slack] command_prefix of socialdesk.toml, if there is one."),
    home_tab: bool = typer.Option(True, "--home-tab/--no-home-tab", help="Declare the App Home tab (each agent's own desk)."),
) -> None:
    """Print the Slack app manifest (YAML) for Socket or HTTP mode: paste it at api.slack.com/apps."""
    from bot.chat.slack.manifest import render

    if prefix is None:
        try:
            prefix = load_config(load_secrets().socialdesk_config).slack.command_prefix
        except ConfigError:
            prefix = ""  # no usable socialdesk.toml here: no prefix
    try:
        text = render(mode, url, prefix, home_tab=home_tab)
    except ValueError as error:
        console.print(f"[red]Cannot write the manifest[/]: {escape(str(error))}", soft_wrap=True)
        raise typer.Exit(2) from None
    typer.echo(text, nl=False)


@app.command()
def export(
    out: str = typer.Option(".", "--out", help="Folder to write the files to (created if missing)."),
    fmt: str = typer.Option("csv", "--format", help="csv or jsonl (JSON Lines)."),
    since: str | None = typer.Option(None, help="Conversations opened from: 2026-11-01, 2026-11-01T09:00, or 7d ago."),
    until: str | None = typer.Option(None, help="... up to (not including): a date or time, or 1d ago."),
    source: str | None = typer.Option(None, help="Only this source's conversations ([[sources]] name)."),
    agent: str | None = typer.Option(None, help="Only conversations this agent owns or replied in (name or initials)."),
) -> None:
    """Write conversations, replies, notes and SLA outcomes to four CSV (or JSON Lines) files."""
    from datetime import UTC, datetime

    from sqlmodel import Session

    from bot.reports.export import FORMATS, TABLES, Selection, UnknownAgent, file_name, render, tables

    secrets, config = _load()
    now = datetime.now(UTC)
    try:
        if fmt not in FORMATS:
            raise ValueError(f"--format must be csv or jsonl, not {fmt!r}")
        if source and source not in {s.name for s in config.sources}:
            raise ValueError(f"no source named {source!r} in socialdesk.toml")
        selection = Selection(_moment(since, now), _moment(until, now), source, agent)
        engine = make_engine(_db_url(secrets, config))
        upgrade(engine)
        with Session(engine) as session:
            rows = tables(session, config, selection, now)
    except (ValueError, UnknownAgent) as error:
        console.print(f"[red]Cannot export[/]: {escape(str(error))}", soft_wrap=True)
        raise typer.Exit(2) from None
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    for table in TABLES:
        path = folder / file_name(table, fmt)
        path.write_bytes(render(table, rows[table], fmt))
        console.print(f"{len(rows[table]):>6} {table:<14} {escape(str(path))}", soft_wrap=True)


def _moment(value: str | None, now):
    """'2026-11-01', '2026-11-01T09:00' (UTC unless it names a zone) or a duration ago ('7d'); None stays None."""
    from datetime import UTC, datetime

    from bot.settings import parse_duration

    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        try:
            return now - parse_duration(value)
        except ValueError:
            raise ValueError(f"{value!r} is neither a date (2026-11-01), a time (2026-11-01T09:00) nor a duration "
                             "(7d)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


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

    from bot.delivery.admin import retry_failed_chat

    secrets, config = _load()
    engine = make_engine(_db_url(secrets, config))
    upgrade(engine)
    count = retry_failed_chat(engine, datetime.now(UTC))
    console.print(f"{count} chat messages queued again; a running socialdesk delivers them within seconds.")


def _quarantine_engine():
    secrets, config = _load()
    engine = make_engine(_db_url(secrets, config))
    upgrade(engine)
    return secrets, config, engine


@quarantine_app.command("list")
def quarantine_list() -> None:
    """One line per quarantined post: its number, source, when, and why it could not be stored."""
    from sqlmodel import Session

    from bot.ingest.quarantine import entries

    _, _, engine = _quarantine_engine()
    with Session(engine) as session:
        found = entries(session)
    for entry in found:
        what = f" post {entry.external_id}" if entry.external_id else ""
        console.print(f"#{entry.id:<5} {escape(entry.source_name)}{escape(what)} · {entry.quarantined_at:%Y-%m-%d %H:%M} "
                      f"UTC · {escape(entry.reason)}", soft_wrap=True)
    console.print(f"{len(found)} posts in quarantine." + (" `socialdesk quarantine show N` shows one's payload; "
                                                          "`retry N` stores it after a fix; `drop N` removes it."
                                                          if found else ""))


@quarantine_app.command("show")
def quarantine_show(number: int = typer.Argument(..., help="The post's number in `socialdesk quarantine list`.")) -> None:
    """The quarantined post's raw payload, as the network or the file gave it, and the reason."""
    from sqlmodel import Session

    from storage.models import QuarantinedPost

    _, _, engine = _quarantine_engine()
    with Session(engine) as session:
        entry = session.get(QuarantinedPost, number)
    if entry is None:
        console.print(f"No post #{number} in quarantine: `socialdesk quarantine list` shows the numbers.")
        raise typer.Exit(1)
    console.print(f"#{entry.id} from {escape(entry.source_name)} at {entry.quarantined_at:%Y-%m-%d %H:%M} UTC\n"
                  f"Reason: {escape(entry.reason)}\nPayload:", soft_wrap=True)
    typer.echo(entry.payload)


@quarantine_app.command("retry")
def quarantine_retry(numbers: Annotated[list[int] | None, typer.Argument(help="Posts to retry; all of them if none is "
                                                                             "given.")] = None) -> None:
    """Run quarantined posts through the pipeline again (after a fix or an upgrade); stored ones leave the quarantine."""
    from datetime import UTC, datetime

    from sqlmodel import Session

    from bot.ingest.quarantine import entries, retry

    secrets, config, engine = _quarantine_engine()
    if not numbers:
        with Session(engine) as session:
            numbers = [entry.id for entry in entries(session)]
    reparse = _reparser(secrets, config)
    failed = 0
    for number in numbers:
        left, outcome = retry(engine, config, number, reparse, datetime.now(UTC))
        failed += not left
        console.print(escape(outcome), soft_wrap=True)
    raise typer.Exit(1 if failed else 0)


@quarantine_app.command("drop")
def quarantine_drop(numbers: Annotated[list[int], typer.Argument(help="Posts to remove for good.")]) -> None:
    """Remove quarantined posts for good (they are never stored)."""
    from bot.ingest.quarantine import drop

    _, _, engine = _quarantine_engine()
    missing = [number for number in numbers if not drop(engine, number)]
    console.print(f"{len(numbers) - len(missing)} posts dropped from quarantine."
                  + (f" Not in quarantine: {', '.join(f'#{n}' for n in missing)}." if missing else ""))
    raise typer.Exit(1 if missing else 0)


def _reparser(secrets: Secrets, config: DeskConfig):
    """reparse(source_name, payload): a post its source could not parse the first time, parsed again by the source
    as configured now (only sources that can read a payload on its own, such as replay)."""
    from bot.sources import build_source

    def reparse(source_name: str, payload: str):
        source_config = next((s for s in config.sources if s.name == source_name), None)
        if source_config is None:
            raise ValueError(f"no source named {source_name!r} in socialdesk.toml any more; drop the post")
        source = build_source(source_config, secrets.socialdesk_config.parent, brand=config.brand)
        try:
            if not hasattr(source, "parse_raw"):
                raise ValueError(f"a {source_config.type} source cannot read a payload on its own; drop the post")
            return source.parse_raw(payload)
        finally:
            asyncio.run(source.close())

    return reparse
