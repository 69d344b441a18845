"""The fake language model for suggestion tests: the key that turns suggestions online, and the server."""
from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from bot.settings import Secrets
from bot.suggest import model as llm
from tests.fakes.openai_api import FakeOpenAI

MODEL_KEY = Secrets(_env_file=None, openai_api_key="sk-test-key")


@asynccontextmanager
async def fake_model(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeOpenAI]:
    """A FakeOpenAI on the test's loop; the suggester retries it without waiting (no test sleeps for a timer)."""
    monkeypatch.setattr(llm, "RETRY_DELAY", 0.0)
    async with FakeOpenAI() as server:
        yield server
