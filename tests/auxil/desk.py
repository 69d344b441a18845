"""A runtime wired to fakes, for tests that drive the desk end to end."""
from __future__ import annotations

from pathlib import Path

from bot.clock import FakeClock
from bot.runtime import Runtime
from tests.auxil import factories
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
