"""`socialdesk check`: what is configured, what is missing, and does each credential work."""
from __future__ import annotations

import errno
from datetime import UTC, datetime

from rich.console import Console
from rich.markup import escape
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from bot.delivery.admin import describe_paused, failed_summary, paused
from bot.ingest.health import describe, source_health
from bot.settings import DeskConfig, Secrets, last4
from bot.sources import build_source
from bot.sources.base import FeedCheck
from storage.db import current_revision, make_engine

OK, MISSING, BAD = "ok", "missing", "failed"
STYLE = {OK: "green", MISSING: "yellow", BAD: "red"}


def stopped_by(error: BaseException, db_url: str, host: str = "", port: int = 0) -> str | None:
    """One line for the failures an operator meets first, with the fix: the database is down, the port is taken."""
    if isinstance(error, OperationalError):
        cause = str(error.orig or error).strip().splitlines()[0]
        shown = make_url(db_url).render_as_string(hide_password=True)
        return (f"Cannot reach the database {shown} ({cause}). Start it, or set DATABASE_URL to one that runs; "
                "`socialdesk check` tries it.")
    if isinstance(error, OSError) and error.errno == errno.EADDRINUSE:
        return (f"Port {port} on {host} is taken by another process. Stop that process, or pick a free port with "
                "--port (or PORT).")
    return None


async def run_checks(secrets: Secrets, config: DeskConfig, db_url: str, console: Console) -> int:
    """Print one line per check; returns the number of problems."""
    problems = 0

    def line(status: str, what: str, detail: str = "") -> None:
        nonlocal problems
        problems += status != OK
        console.print(f"[{STYLE[status]}]{status:>7}[/]  {escape(what)}" + (f" — {escape(detail)}" if detail else ""))

    console.print(f"[bold]Brand[/] {config.brand.name}: handles {config.brand.handles or '-'}, "
                  f"misspellings {config.brand.misspellings or '-'}, hashtags {config.brand.hashtags or '-'}")
    console.print(f"[bold]Agents[/] {len(config.agents)}: " + ", ".join(f"{a.name} ({a.initials}, {a.role})"
                                                                for a in config.agents))
    console.print("[bold]Routes[/] " + "; ".join(
        f"{r.source or 'any source'}/{r.priority or 'any priority'} → {r.platform} {r.channel}" for r in config.routes))
    if not config.agents:
        line(MISSING, "agents", "nobody can claim or reply; add [[agents]] to socialdesk.toml")

    try:
        engine = make_engine(db_url)
        with engine.connect() as connection:
            connection.execute(text("select 1"))
        revision = current_revision(engine)
        line(OK, f"database {engine.url.render_as_string(hide_password=True)}",
             f"schema {revision or 'empty (created at start)'}")
        if revision:
            with Session(engine) as session:
                for health in source_health(session, config):
                    line(BAD if health.failing else OK, "last poll", describe(health, datetime.now(UTC)))
                    if health.quarantined:
                        line(BAD, f"quarantine of {health.name}", f"{health.quarantined} posts could not be stored. "
                             "`socialdesk quarantine list` shows why; after a fix, `socialdesk quarantine retry`")
            for stuck in paused(engine, datetime.now(UTC)):
                line(BAD, "outbox: delivery paused", describe_paused(stuck, datetime.now(UTC)))
            failed, latest = failed_summary(engine)
            if failed:
                line(BAD, f"outbox: {failed} deliveries failed", f"latest: {latest}. Fix it, then `socialdesk outbox retry`")
    except Exception as error:
        line(BAD, "database", stopped_by(error, db_url) or f"{error.__class__.__name__}: {str(error).splitlines()[0]}")

    for source_config in config.sources:
        what = f"source {source_config.name} ({source_config.type})"
        try:
            source = build_source(source_config, secrets.socialdesk_config.parent, brand=config.brand)
        except Exception as error:
            line(BAD, what, str(error))
            continue
        try:
            who = await source.verify()  # no posts read: on X a read is billed
            line(OK, what, who if source_config.enabled else f"{who} (disabled)")
            if isinstance(source, FeedCheck):  # reading is free here: each feed once, so what breaks polling shows
                for feed in await source.check_feeds():
                    status = BAD if feed.failing else MISSING if feed.note else OK
                    line(status, f"{what} feed {feed.name}", feed.last_error or feed.note or "readable")
        except Exception as error:
            line(BAD, what, str(error))
        finally:
            await source.close()
    if not config.sources:
        line(MISSING, "sources", "nothing will be read; add [[sources]] to socialdesk.toml")

    await _check_llm(secrets, config, line)
    if any(r.platform == "slack" for r in config.routes):
        await _check_slack(secrets, config, line)
    if any(r.platform == "discord" for r in config.routes) or secrets.discord_bot_token:
        await _check_discord(secrets, config, line)
    return problems


async def _check_llm(secrets: Secrets, config: DeskConfig, line) -> None:
    """Where suggestions come from; with a key, whether the provider knows the model (costs no tokens)."""
    from bot.suggest.model import build_client, describe_provider

    client = build_client(config.llm, secrets)
    if client is None:
        line(OK, "suggested replies", describe_provider(config.llm, secrets))
        return
    try:
        await client.models.retrieve(config.llm.model)
        line(OK, "suggested replies", describe_provider(config.llm, secrets))
    except Exception as error:
        line(BAD, "suggested replies", f"{describe_provider(config.llm, secrets)}: {error.__class__.__name__}: "
                                       f"{str(error).splitlines()[0] if str(error) else 'no answer'}")
    finally:
        await client.close()


async def _check_slack(secrets: Secrets, config: DeskConfig, line) -> None:
    from bot.chat.slack.check import check_channels
    from bot.chat.slack.outbound import make_client

    if secrets.slack_app_token:
        line(OK, "Slack connection", f"Socket Mode with SLACK_APP_TOKEN {last4(secrets.slack_app_token)}")
    elif secrets.slack_signing_secret:
        line(OK, "Slack connection", f"HTTP mode, requests verified with SLACK_SIGNING_SECRET "
                                     f"{last4(secrets.slack_signing_secret)}")
    else:
        line(MISSING, "Slack connection", "set SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP mode) in .env")
    if not secrets.slack_bot_token:
        line(MISSING, "SLACK_BOT_TOKEN", "put the bot token (xoxb-…) in .env")
        return
    client = make_client(secrets.slack_bot_token, secrets.slack_api_url)
    try:
        response = await client.auth_test()
        line(OK, "SLACK_BOT_TOKEN", f"{last4(secrets.slack_bot_token)}: bot {response['user']} in {response['team']}")
    except Exception as error:
        line(BAD, "SLACK_BOT_TOKEN", f"{last4(secrets.slack_bot_token)}: {error}")
        return
    for ok, what, detail in await check_channels(client, config):
        line(OK if ok else BAD, what, detail)


async def _check_discord(secrets: Secrets, config: DeskConfig, line) -> None:
    if not secrets.discord_bot_token:
        line(MISSING, "DISCORD_BOT_TOKEN", "put the bot's token in .env (README, Discord setup)")
        return
    if config.discord is None:
        line(MISSING, "[discord]", "add it to socialdesk.toml with guild_id (your server's id)")
        return
    from bot.chat.discord.check import check_discord

    for ok, what, detail in await check_discord(secrets, config):
        if what == "DISCORD_BOT_TOKEN":
            detail = f"{last4(secrets.discord_bot_token)}: {detail}"
        line(OK if ok else BAD, what, detail)
