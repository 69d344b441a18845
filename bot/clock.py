"""Injected time: production uses the system clock, the demo a fast one, tests a fake one (tests/auxil/clock.py)."""
from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FastClock:
    """Time that runs `speed` times faster than real time from its creation: `socialdesk demo --fast`."""

    def __init__(self, speed: float, *, start: datetime | None = None,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.speed = speed
        self._start = start or datetime.now(UTC)
        self._monotonic = monotonic
        self._began = monotonic()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=(self._monotonic() - self._began) * self.speed)
