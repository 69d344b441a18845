"""A runtime wired to fakes, for tests that drive the desk end to end."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.app.jobs import sweep_once
from bot.app.runtime import Runtime
from bot.ingest.pipeline import ingest
from storage.db import session_scope
from tests.auxil import factories
from tests.auxil.clock import FakeClock
from tests.fakes.chat import RecordingChat


def make_runtime(db_url: str, tmp_path: Path, chat=None, secrets=None,
                 **config_overrides) -> tuple[Runtime, RecordingChat, FakeClock]:
    """`secrets` with a model key (and `llm={"base_url": …}`) make suggestions online."""
    clock = FakeClock()
    config = factories.config(**config_overrides)
    runtime = Runtime(config, database_url=db_url, base_dir=tmp_path, clock=clock, secrets=secrets)
    chat = chat or RecordingChat()
    runtime.add_chat(chat)
    return runtime, chat, clock


def feed(runtime: Runtime, *posts) -> list:
    """Ingest posts as the poller would, each in its own transaction."""
    results = []
    for inbound in posts:
        with session_scope(runtime.engine) as session:
            results.append(ingest(session, runtime.config, "replay", inbound, runtime.clock.now()))
    return results


async def drain(runtime: Runtime, rounds: int = 10) -> None:
    """Deliver the outbox `rounds` times over, each time waiting for the suggestions being made in the background."""
    for _ in range(rounds):
        await runtime.outbox.drain_once()
        await runtime.outbox.settle()


async def tick(runtime: Runtime, clock: FakeClock, **advance) -> None:
    """Let time pass, then do what the scheduled jobs would: sweep the SLAs and deliver the outbox."""
    clock.advance(timedelta(**advance))
    sweep_once(runtime.engine, runtime.config, clock.now())
    await runtime.outbox.drain()
