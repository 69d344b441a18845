"""`socialdesk demo`: the whole loop offline — sample posts arrive, you claim and reply at a prompt.

Uses a temporary SQLite database, the replay source fed from the bundled sample posts, and the
console chat adapter. Replies are "published" to a JSONL file whose path is printed at the end.
"""
from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from importlib import resources
from pathlib import Path

from rich.console import Console
from sqlmodel import Session, func, select

from bot.app import jobs
from bot.app.runtime import Runtime
from bot.chat.console import ConsoleChat
from bot.clock import Clock, FastClock, SystemClock
from bot.ingest.poller import poll_once
from bot.settings import parse_config
from handlers import dispatch
from handlers.context import Actor
from handlers.parsing import CommandError, parse_slash, parse_thread_message
from storage.db import database_url
from storage.models import OutboxEntry, OutboxStatus

HELP = """Commands (the same as in Slack):
  /claim N             take conversation #N
  /assign N @sam       give #N to Sam (a teammate in this demo)
  /reply N text        answer the customer (signed with your initials)
  /resolve N           close #N
  /suggest N           new suggested replies for #N
  /queue               open conversations, the most pressing first
  /queue mine urgent   only yours, only urgent (also unowned, high, x, mastodon, page 2…)
  /snooze N 2h         put #N aside (its SLA clocks pause); /snooze N off brings it back
  /incident I7         a surge folded into one message: /reply-all I7 text, /resolve-all I7, /incident I7 remove N
  /sla, /stats         the response-time policy and today's figures; response times and attainment
  #N text              write in #N's thread: an internal note, or !claim, !assign @sam, !reply text, !resolve
  help, quit"""


def sample_posts() -> list[dict]:
    text = resources.files("bot.app").joinpath("demo_posts.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


FAST = 60  # --fast: a demo minute per real second, so a warning and a breach show within a minute


def demo_config(workdir: Path, name: str, initials: str) -> dict:
    return {
        "brand": {"name": "Acme", "handles": ["@acme"], "misspellings": ["acmee", "akme"], "hashtags": ["#acmesupport"]},
        "sources": [{"name": "demo", "type": "replay", "path": str(workdir / "incoming.jsonl"),
                     "published_path": str(workdir / "published.jsonl"), "poll_every": 1}],
        "routes": [{"platform": "console", "channel": "#social-desk"}],
        "agents": [
            {"name": name, "initials": initials, "role": "lead", "console": "you"},
            {"name": "Sam Lee", "initials": "SL", "console": "sam"},
        ],
        "outbox": {"per_channel_per_second": 50, "burst": 50},
        "sla": {"sweep_every": 1, "escalation": {"console": {"channel": "#escalations", "on_call": "on-call"}}},
    }


async def run_demo(interval: float, name: str, initials: str, console: Console | None = None, fast: bool = False) -> Path:
    console = console or Console(highlight=False)
    workdir = Path(tempfile.mkdtemp(prefix="socialdesk-demo-"))
    incoming = workdir / "incoming.jsonl"
    incoming.touch()
    config = parse_config(demo_config(workdir, name, initials), where="demo config")
    clock = FastClock(FAST) if fast else SystemClock()
    runtime = Runtime(config, database_url=database_url(None, workdir / "demo.db"), clock=clock)
    chat = ConsoleChat(console, clock, config.sla.timezone)
    runtime.add_chat(chat)
    stop = asyncio.Event()
    pace = f" Time runs {FAST}× fast: an urgent post (15 min target) is overdue within a minute." if fast else ""
    console.print(f"[bold]socialdesk demo[/] — offline, data in {workdir}.{pace}\n{HELP}\n")
    running = asyncio.create_task(jobs.run(runtime, stop))
    feeding = asyncio.create_task(_feed(incoming, sample_posts(), interval, clock))
    try:
        await _prompt(runtime, chat, feeding)
        await feeding
        await _settle(runtime)
    finally:
        stop.set()
        await running
        await runtime.close()
    console.print(f"\nPublished replies are in {workdir / 'published.jsonl'}")
    return workdir


async def _feed(incoming: Path, posts: list[dict], interval: float, clock: Clock) -> None:
    """Append the sample posts one by one, as if customers were writing right now."""
    for post in posts:
        post = {**post, "created_at": clock.now().isoformat()}
        with incoming.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(post, ensure_ascii=False) + "\n")
        await asyncio.sleep(interval)


async def _prompt(runtime: Runtime, chat: ConsoleChat, feeding: asyncio.Task) -> None:
    """Read commands until `quit` or end of input (so `socialdesk demo < script.txt` works too)."""
    if not sys.stdin.isatty():
        await feeding
        await _settle(runtime)
    actor = Actor("console", "you")
    while True:
        line = await asyncio.to_thread(sys.stdin.readline)
        if not line:
            return
        line = line.strip()
        if not line:
            continue
        if line in ("quit", "exit"):
            return
        if line == "help":
            chat.console.print(HELP)
            continue
        await _handle(runtime, chat, actor, line)
        await _settle(runtime)


async def _handle(runtime: Runtime, chat: ConsoleChat, actor: Actor, line: str) -> None:
    if not sys.stdin.isatty():
        chat.console.print(f"you> {line}", style="bold blue", markup=False)
    try:
        if line.startswith("/"):
            command, _, rest = line.partition(" ")
            request = parse_slash(command, rest, actor)
        elif line.startswith("#") and line[1:].split(" ", 1)[0].isdigit():
            number, _, rest = line[1:].partition(" ")
            request = parse_thread_message(rest, int(number), actor, message_id=None)
        else:
            raise CommandError("Not a command. Type `help` for the list.")
    except CommandError as error:
        await chat.tell("", actor.user_id, str(error))
        return
    outcome = await dispatch(runtime.desk, request)
    await chat.tell("", actor.user_id, outcome.text)


async def _settle(runtime: Runtime, timeout: float = 10.0) -> None:
    """Take in what has arrived and wait until everything queued for chat and the network is delivered."""
    for source in runtime.sources.values():
        await poll_once(runtime.engine, runtime.config, source, runtime.clock)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        await runtime.outbox.drain_once()
        with Session(runtime.engine) as session:
            waiting = session.exec(select(func.count()).select_from(OutboxEntry)
                                   .where(OutboxEntry.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]))).one()
        if not waiting:
            return
        await asyncio.sleep(0.05)
