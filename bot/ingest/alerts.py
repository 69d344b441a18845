"""Telling the team when a source stops working, and when it works again.

A failure episode runs from a source's first error after a success (`SourceCursor.failing_since`)
to its next stored page. It is announced once in every escalation channel (where none is configured,
in the channel the source's conversations go to): at once when only a person can fix the error
(`SourceError.needs_action`: a revoked token, no credits, a missing scope), else once the episode has
lasted `[source_alerts] after`, so a short run of 5xx stays quiet. Its end is announced in the same
channels, and only if its start was. Both are outbox entries whose keys name the source and the
episode's start, queued in the transaction that records the error or the page: a restart, another
replica or the next failed poll queues nothing twice.

A source with several feeds (mentions, DMs, each search, the watched threads) reports each feed's
health with every stored page; a feed failing while the others work is its own episode
(`record_feeds`), announced and ended the same way, keyed by the source, the feed and the episode's
start. When every feed fails, the source fails as a whole and only the source's alert is sent.

A source's posts that cannot be stored (bot/ingest/quarantine.py) are announced the same way, once per burst:
`record_quarantine` is called for the first post of a burst only.

Quiet hours do not hold them back: while a source is down no post from it reaches anyone, so every
conversation on that network is silently at risk; and it is one message per episode, not a nudge
that repeats.
"""
from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from bot.desk.messages import channel_post
from bot.settings import DeskConfig
from bot.sources.base import FeedHealth, SourceError
from bot.sources.feed_health import continued
from bot.wording import clock_time, plain, span
from storage.models import OutboxEntry, SourceCursor


def record_failure(session: Session, config: DeskConfig, state: SourceCursor, error: SourceError, now: datetime) -> None:
    """`state` failed with `error` at `now`: start the episode if this is its first error, and announce it when due."""
    since = state.failing_since = state.failing_since or now
    if not error.needs_action and now - since < config.source_alerts.after:
        return
    text = (f"🔌 {_named(config, state.source_name)} has been failing since {clock_time(since, config.sla.timezone, now)}: "
            f"no posts arrive from it. {plain(str(error))}\n"
            "socialdesk keeps trying and will say here when it works again; `/desk status` shows every source.")
    for platform, channel in alert_channels(config, state.source_name):
        channel_post(session, key=f"{_episode(state)}:failing:{platform}", platform=platform,
                                    channel=channel, text=text, now=now)


def record_success(session: Session, config: DeskConfig, state: SourceCursor, now: datetime) -> None:
    """`state` stored a page at `now`: end the episode, and say so wherever its start was announced."""
    if state.failing_since is None:
        return
    episode, lasted = _episode(state), span(now - state.failing_since)
    state.failing_since = None
    announced = session.exec(select(OutboxEntry).where(OutboxEntry.key.startswith(f"{episode}:failing:", autoescape=True)))
    for alert in announced:
        platform, channel = alert.payload["platform"], alert.payload["channel"]
        channel_post(session, key=f"{episode}:recovered:{platform}", platform=platform, channel=channel,
                                    text=f"✅ {_named(config, state.source_name)} recovered after {lasted}: "
                                         "posts arrive again, from where it stopped.", now=now)


def record_feeds(session: Session, config: DeskConfig, state: SourceCursor, feeds: tuple[FeedHealth, ...],
                 now: datetime) -> None:
    """Store each feed's health on `state`; announce a feed failing on its own when due, and its recovery."""
    if not feeds:
        return
    before = {feed["name"]: FeedHealth.from_json(feed) for feed in state.feeds or []}
    feeds = continued(state.feeds or [], feeds)
    source = _named(config, state.source_name)
    for feed in feeds:
        if feed.failing and (feed.needs_action or now - feed.failing_since >= config.source_alerts.after):
            text = (f"🔌 {source}: the feed {feed.name} has been failing since "
                    f"{clock_time(feed.failing_since, config.sla.timezone, now)}, so its posts do not arrive; the "
                    f"source's other feeds still work. {plain(feed.last_error or '')}\n"
                    "socialdesk keeps trying it and will say here when it works again; `/desk status` shows every feed.")
            for platform, channel in alert_channels(config, state.source_name):
                channel_post(session, key=f"{_feed_episode(state, feed.name, feed.failing_since)}:failing:{platform}",
                             platform=platform, channel=channel, text=text, now=now)
        earlier = before.get(feed.name)
        if not feed.failing and earlier is not None and earlier.failing:
            episode = _feed_episode(state, feed.name, earlier.failing_since)
            announced = session.exec(select(OutboxEntry).where(
                OutboxEntry.key.startswith(f"{episode}:failing:", autoescape=True)))
            for alert in announced:
                platform, channel = alert.payload["platform"], alert.payload["channel"]
                channel_post(session, key=f"{episode}:recovered:{platform}", platform=platform, channel=channel,
                             text=f"✅ {source}: the feed {feed.name} recovered after "
                                  f"{span(now - earlier.failing_since)}; its posts arrive again.", now=now)
    state.feeds = [feed.to_json() for feed in feeds]


def record_quarantine(session: Session, config: DeskConfig, source_name: str, reason: str, now: datetime) -> None:
    """A burst of posts from `source_name` set aside in quarantine began at `now` with one that failed for `reason`."""
    text = (f"🧪 {_named(config, source_name)} read a post socialdesk could not store: {plain(reason)}\n"
            "It is set aside in quarantine and the posts after it arrive as usual (more like it from this source "
            "within the hour are set aside without another message). `socialdesk quarantine list` shows them; "
            "after a fix or an upgrade, `socialdesk quarantine retry N` stores one.")
    for platform, channel in alert_channels(config, source_name):
        channel_post(session, key=f"quarantine:{source_name}:{now.isoformat()}:{platform}", platform=platform,
                     channel=channel, text=text, now=now)


def alert_channels(config: DeskConfig, source_name: str) -> list[tuple[str, str]]:
    """(platform, channel) of every escalation channel; without any, the channel of the source's conversations."""
    channels = [(platform, escalation.channel) for platform, escalation in config.sla.escalation.items()
                if escalation.channel]
    if channels:
        return channels
    route = config.route_for(source_name, "normal")
    return [(route.platform, route.channel)]


def _episode(state: SourceCursor) -> str:
    """`source:x:2026-11-02T09:01:00+00:00`: the source and the start of its failure episode."""
    return f"source:{state.source_name}:{state.failing_since.isoformat()}"


def _feed_episode(state: SourceCursor, feed: str, since: datetime) -> str:
    """`feed:fedi:tag:acmesupport:2026-11-02T09:01:00+00:00`: the source, the feed and its failure episode's start."""
    return f"feed:{state.source_name}:{feed[:100]}:{since.isoformat()}"


def _named(config: DeskConfig, source_name: str) -> str:
    kind = next((source.type for source in config.sources if source.name == source_name), None)
    return f"Source {source_name} ({kind})" if kind else f"Source {source_name}"
