"""Pacing a target: a token bucket per chat channel or network, so one busy channel never holds up another."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class TokenBucket:
    rate: float  # tokens per second
    burst: int
    tokens: float = field(init=False)
    stamp: float = field(default=0.0)

    def __post_init__(self) -> None:
        self.tokens = float(self.burst)

    def wait_time(self, now: float) -> float:
        """Seconds until a token is free (0: now); `now` is a monotonic time."""
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self) -> None:
        self.tokens -= 1

    def give_back(self) -> None:
        """The token taken was not used (the entry sent nothing): the next one may have it."""
        self.tokens = min(self.burst, self.tokens + 1)

    def slow_down(self, rate: float) -> None:
        """The platform throttled us: from now on go at `rate` (if slower) and without bursts, starting empty. A little
        under the platform's own limit, and leaving it its burst as a reserve, the timing jitter between the two
        counters (a request that arrives late, the next one on time) no longer costs a Retry-After each time."""
        self.rate = min(self.rate, rate)
        self.burst = 1
        self.tokens = 0.0
