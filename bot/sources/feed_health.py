"""Per-feed isolation: each feed of a source polls, fails, backs off and reports on its own.

A source keeps one `FeedTracker`. Before reading a feed it asks `due`; a feed that failed waits
for what the network asked (Retry-After) or for its own jittered backoff, while the other feeds
go on being read. Only when every feed is failing does the poll fail as a whole (`FeedsFailing`),
so a revoked token still reads as a failing source, while a fresh hashtag or a search the server
refuses leaves mentions and DMs flowing. The tracker lives in the process; the poller stores its
report (`PollResult.feeds`) for `/desk status`, `socialdesk check` and the team's alerts.
"""
from __future__ import annotations

import random
from dataclasses import replace
from datetime import timedelta

from bot.clock import Clock
from bot.sources.base import FeedHealth, FeedsFailing, SourceError

BACKOFF_START = 60.0  # seconds before a feed that failed once is tried again
BACKOFF_MAX = 900.0


class FeedTracker:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._health: dict[str, FeedHealth] = {}
        self._failures: dict[str, int] = {}
        self._errors: dict[str, SourceError] = {}  # each failing feed's last error

    def health(self, name: str) -> FeedHealth:
        return self._health.get(name) or FeedHealth(name)

    def due(self, name: str) -> bool:
        """Whether `name` may be read now: it is not waiting out a failure."""
        next_try = self.health(name).next_try_at
        return next_try is None or next_try <= self.clock.now()

    def succeeded(self, name: str) -> None:
        self._failures.pop(name, None)
        self._errors.pop(name, None)
        self._health[name] = replace(self.health(name), last_success_at=self.clock.now(), failing_since=None,
                                     next_try_at=None, needs_action=False)

    def failed(self, name: str, error: SourceError) -> None:
        """`name` failed with `error`: it waits (Retry-After, or a backoff doubling per failure) before its next try."""
        now = self.clock.now()
        failures = self._failures[name] = self._failures.get(name, 0) + 1
        self._errors[name] = error
        wait = error.retry_after or min(BACKOFF_MAX, BACKOFF_START * 2 ** (failures - 1)) * random.uniform(0.8, 1.2)
        health = self.health(name)
        self._health[name] = replace(health, last_error=str(error), last_error_at=now,
                                     failing_since=health.failing_since or now,
                                     next_try_at=now + timedelta(seconds=wait), needs_action=error.needs_action)

    def note(self, name: str, note: str | None) -> None:
        """Something to know about a feed that is not an error (a search this server cannot do)."""
        self._health[name] = replace(self.health(name), note=note)

    def report(self, names: list[str]) -> tuple[FeedHealth, ...]:
        return tuple(self.health(name) for name in names)

    def due_of(self, names: list[str]) -> list[str]:
        """The feeds of `names` that may be read now. Raises `FeedsFailing` when none may: each is waiting out a
        failure, so the source as a whole is down."""
        due = [name for name in names if self.due(name)]
        if not due:
            raise self._all_failing(names)
        return due

    def raise_if_all_failing(self, names: list[str]) -> None:
        """Raise `FeedsFailing` when every one of `names` is failing: the source as a whole is down."""
        if names and all(self.health(name).failing for name in names):
            raise self._all_failing(names)

    def _all_failing(self, names: list[str]) -> FeedsFailing:
        feeds = self.report(names)
        first = min(feeds, key=lambda feed: feed.failing_since)
        error, retry = self._errors[first.name], min(feed.next_try_at for feed in feeds)
        return FeedsFailing(f"{error} (and every other feed fails too)" if len(feeds) > 1 else str(error), feeds,
                            retryable=error.retryable, retry_after=max(0.0, (retry - self.clock.now()).total_seconds()),
                            needs_action=any(feed.needs_action for feed in feeds))


def continued(stored: list[dict], feeds: tuple[FeedHealth, ...]) -> tuple[FeedHealth, ...]:
    """`feeds` as a source reports them, continuing what was stored: a source keeps its feeds' health in memory, so
    after a restart a feed still failing carries on its stored episode (announced once, not again), and a feed not
    read yet keeps its last success."""
    before = {feed["name"]: FeedHealth.from_json(feed) for feed in stored}
    merged = []
    for feed in feeds:
        earlier = before.get(feed.name)
        if earlier is not None:
            feed = replace(feed, last_success_at=feed.last_success_at or earlier.last_success_at,
                           failing_since=earlier.failing_since if feed.failing and earlier.failing else feed.failing_since)
        merged.append(feed)
    return tuple(merged)
