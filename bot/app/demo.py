"""`socialdesk demo`: the whole loop offline — sample posts arrive, you claim and reply at a prompt.

Uses a temporary SQLite database, the replay source fed from the bundled sample posts, and the
console chat adapter. Replies are "published" to a JSONL file whose path is printed at the end.
"""
from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from datetime import timedelta
from importlib import resources
from pathlib import Path

from rich.console import Console
from sqlmodel import Session, func, select

from bot.app import jobs
from bot.app.runtime import Runtime
from bot.chat.console import ConsoleChat
from bot.clock import Clock, FastClock, SystemClock
from bot.desk import lifecycle
from bot.ingest.pipeline import ingest
from bot.ingest.poller import poll_once
from bot.settings import parse_config
from bot.sources.base import Author, InboundPost
from handlers import TYPED, dispatch
from handlers.context import Actor, Request
from handlers.parsing import CommandError, parse_slash, parse_thread_message
from storage.db import database_url, session_scope
from storage.models import Agent, Conversation, Customer, OutboxEntry, OutboxStatus


def demo_help() -> str:
    """The commands, from the handlers' registry (so a new command shows here by itself), and how to type them."""
    lines = ["Commands (the same as in Slack and Discord; 42 stands for a conversation number):"]
    lines += [f"  {command.usage} — {command.summary}" for command in TYPED.values()]
    lines += ["  #N text — write in #N's thread: an internal note, or any command with ! (!claim, !reply text, "
              "!customer, !tag billing…)",
              "  /stats today chart — the figures as a chart (a PNG: its path is printed); /stats today export writes "
              "CSV files",
              "  help, quit",
              "Carla (#2) wrote before: her message shows her history. Sam claims Nils's question (#3) as it arrives: "
              "answer it to see the collision guard."]
    return "\n".join(lines)


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
        "escalations": [{"name": "billing", "platform": "console", "channel": "#billing-experts", "mention": "billing-team"}],
        "tags": {"keywords": {"billing": ["charged", "refund", "invoice", "pricing"], "shipping": ["order", "ship", "parcel"]},
                 "intents": {"bug_report": "bug"}},
    }


async def run_demo(interval: float, name: str, initials: str, console: Console | None = None, fast: bool = False) -> Path:
    console = console or Console(highlight=False)
    workdir = Path(tempfile.mkdtemp(prefix="socialdesk-demo-"))
    incoming = workdir / "incoming.jsonl"
    incoming.touch()
    config = parse_config(demo_config(workdir, name, initials), where="demo config")
    clock = FastClock(FAST) if fast else SystemClock()
    runtime = Runtime(config, database_url=database_url(None, workdir / "demo.db"), clock=clock)
    chat = ConsoleChat(console, clock, config.sla.timezone, files_dir=workdir)
    runtime.add_chat(chat)
    stop = asyncio.Event()
    pace = f" Time runs {FAST}× fast: an urgent post (15 min target) is overdue within a minute." if fast else ""
    console.print(f"[bold]socialdesk demo[/] — offline, data in {workdir}.{pace}")
    console.print(f"{demo_help()}\n", markup=False)
    _earlier_conversation(runtime, sample_posts()[0], clock)
    running = asyncio.create_task(jobs.run(runtime, stop))
    feeding = asyncio.create_task(_feed(incoming, sample_posts(), interval, clock, runtime))
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


EARLIER = timedelta(days=3)
TEAMMATE_CLAIMS = "nils@fosstodon.org"  # Sam claims this customer's question as it arrives


def _earlier_conversation(runtime: Runtime, first: dict, clock: Clock) -> None:
    """Carla wrote three days ago too, and Sam resolved it: her new conversation's message shows that history."""
    then = clock.now() - EARLIER
    author = first["author"]
    inbound = InboundPost(network=first["network"], external_id="demo-earlier",
                          url=f"https://x.com/{author['handle']}/status/1899999999999999999",
                          author=Author(handle=author["handle"], name=author["name"], followers=author.get("followers")),
                          text="@acme my parcel is stuck in customs, can you help?", created_at=then,
                          thread_root_id="demo-earlier", kind="mention")
    with session_scope(runtime.engine) as session:
        conversation = session.get(Conversation, ingest(session, runtime.config, "demo", inbound, then).conversation_id)
        sam = session.exec(select(Agent).where(Agent.console_user_id == "sam")).one()
        lifecycle.claim(session, conversation, sam, None, then)
        lifecycle.resolve(session, conversation, sam, then + timedelta(hours=2))


async def _feed(incoming: Path, posts: list[dict], interval: float, clock: Clock, runtime: Runtime) -> None:
    """Append the sample posts one by one, as if customers were writing right now; Sam, a teammate, claims Nils's
    question as soon as it arrives."""
    for post in posts:
        post = {**post, "created_at": clock.now().isoformat()}
        with incoming.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(post, ensure_ascii=False) + "\n")
        await asyncio.sleep(interval)
    await _teammate_claims(runtime, TEAMMATE_CLAIMS)


async def _teammate_claims(runtime: Runtime, handle: str) -> None:
    for _ in range(600):  # the poller takes the posts in within a minute
        with Session(runtime.engine) as session:
            number = session.exec(select(Conversation.id).join(Customer, Customer.id == Conversation.customer_id)
                                  .where(Customer.handle == handle)).first()
        if number is not None:
            await dispatch(runtime.desk, Request("claim", Actor("console", "sam"), number))
            return
        await asyncio.sleep(0.1)


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
            chat.console.print(demo_help(), markup=False)
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
    if outcome.files:
        await chat.upload("", None, outcome.files, outcome.files_note)


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
