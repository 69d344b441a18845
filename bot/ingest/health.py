"""How each source is doing: last success, last error, next poll, rate-limit quota, each of its feeds, posts in
quarantine.

The poller stores these on the source's cursor row, so `socialdesk check` (another
process) and `/desk status` (in chat) read the same figures.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from bot.ingest.quarantine import waiting
from bot.settings import DeskConfig
from bot.sources.base import FeedHealth
from bot.wording import count
from storage.models import SourceCursor


@dataclass(frozen=True)
class SourceHealth:
    name: str
    type: str
    enabled: bool
    last_success_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    failing_since: datetime | None  # the first error since the last success
    next_poll_at: datetime | None
    quota: list[dict]
    feeds: list[FeedHealth] = field(default_factory=list)
    quarantined: int = 0  # posts set aside (bot/ingest/quarantine.py)

    @property
    def failing(self) -> bool:
        return bool(self.last_error) and (self.last_success_at is None or self.last_error_at > self.last_success_at)


def source_health(session: Session, config: DeskConfig) -> list[SourceHealth]:
    found = []
    quarantined = waiting(session)
    for source in config.sources:
        state = session.get(SourceCursor, source.name) or SourceCursor(source_name=source.name)
        found.append(SourceHealth(source.name, source.type, source.enabled, state.last_success_at, state.last_error,
                                  state.last_error_at, state.failing_since, state.next_poll_at, list(state.quota or []),
                                  [FeedHealth.from_json(feed) for feed in state.feeds or []],
                                  quarantined.get(source.name, 0)))
    return found


def describe(health: SourceHealth, now: datetime) -> str:
    """One line: 'x (x): ok, polled 2 min ago · next poll in 40 s · mentions: 290 of 300 left until 14:15 UTC'."""
    if not health.enabled:
        return f"{health.name} ({health.type}): disabled in socialdesk.toml"
    if health.failing:
        state = f"FAILING since {_ago(health.failing_since or health.last_error_at, now)}: {health.last_error}"
        if health.last_success_at:
            state += f" (last success {_ago(health.last_success_at, now)})"
    elif health.last_success_at:
        state = f"ok, polled {_ago(health.last_success_at, now)}"
    else:
        state = "not polled yet"
    parts = [f"{health.name} ({health.type}): {state}"]
    if health.next_poll_at:
        parts.append(f"next poll {_in(health.next_poll_at, now)}")
    parts += [_quota(q, now) for q in health.quota]
    parts += [describe_feed(feed, now) for feed in health.feeds]
    if health.quarantined:
        parts.append(f"{count(health.quarantined, 'post')} in quarantine (`socialdesk quarantine list`)")
    return " · ".join(parts)


def describe_feed(feed: FeedHealth, now: datetime) -> str:
    """'feed tag:acme FAILING since 5 min: … (next try in 2 min)', 'feed mentions ok 40 s ago', with any note."""
    if feed.failing:
        state = f"FAILING since {_ago(feed.failing_since, now)}: {feed.last_error}"
        if feed.next_try_at:
            state += f" (next try {_in(feed.next_try_at, now)})"
    elif feed.last_success_at:
        state = f"ok {_ago(feed.last_success_at, now)}"
    else:
        state = "not read yet"
    return f"feed {feed.name} {state}" + (f" ({feed.note})" if feed.note else "")


def _quota(quota: dict, now: datetime) -> str:
    reset = datetime.fromisoformat(quota["reset_at"]) if quota.get("reset_at") else None
    of = f" of {quota['limit']}" if quota.get("limit") else ""
    until = f" until {reset:%H:%M} UTC" if reset and reset > now else ""
    return f"{quota['bucket']}: {quota['remaining']}{of} left{until}"


def _ago(at: datetime, now: datetime) -> str:
    return f"{_span((now - at).total_seconds())} ago"


def _in(at: datetime, now: datetime) -> str:
    seconds = (at - now).total_seconds()
    return "now" if seconds <= 0 else f"in {_span(seconds)}"


def _span(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 90:
        return f"{seconds} s"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min"
    if seconds < 48 * 3600:
        return f"{round(seconds / 3600)} h"
    return f"{round(seconds / 86400)} days"
