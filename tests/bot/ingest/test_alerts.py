"""A failing source is announced in chat once per failure episode, and its recovery once; the digest lists it.
A feed failing while the source's other feeds work is its own episode, told the same way."""
from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest

from bot.app.runtime import Runtime
from bot.ingest.poller import poll_on_schedule
from bot.reports.digest import queue_digest
from bot.settings import ConfigError
from tests.auxil import factories
from tests.auxil.clock import FakeClock
from tests.auxil.desk import drain
from tests.fakes.chat import RecordingChat
from tests.fakes.mastodon_api import FakeMastodon

NOTIFICATIONS = "/api/v1/notifications"
ESCALATION = {"escalation": {"slack": {"channel": "C0ESCALATE"}, "discord": {"channel": "#escalations"}},
              "quiet_hours": {"start": "08:00", "end": "20:00"}}  # 09:00 is quiet: a dead source is told anyway


@pytest.fixture
def clock():
    return FakeClock(factories.T0)  # Monday 2 November 2026, 09:00 UTC


@pytest.fixture
async def fake(clock, monkeypatch):
    async with FakeMastodon(clock.now) as server:
        monkeypatch.setenv("MASTODON_ACCESS_TOKEN", server.token)
        carla = server.account("carla")
        server.post(carla, "@acme my order never arrived")
        yield server


def start(db_url, tmp_path, clock, fake, *chats: RecordingChat, **config) -> Runtime:
    """A socialdesk process whose only source is `fedi` on the fake Mastodon, with `chats` as its chat platforms."""
    settings = factories.config(sources=[{"name": "fedi", "type": "mastodon", "base_url": fake.base_url}], **config)
    runtime = Runtime(settings, database_url=db_url, base_dir=tmp_path, clock=clock)
    for chat in chats:
        runtime.add_chat(chat)
    return runtime


async def poll(runtime: Runtime, clock: FakeClock, **later) -> int:
    """Let time pass, run the source's scheduled poll and deliver what it queued; returns the new posts."""
    clock.advance(timedelta(**later))
    outcome = await poll_on_schedule(runtime.engine, runtime.config, runtime.sources["fedi"], clock, 60.0,
                                     runtime.poll_failures.get("fedi", 0))
    runtime.poll_failures["fedi"] = outcome.failures
    await drain(runtime)
    return outcome.new


def posted(*chats: RecordingChat) -> int:
    """How many top-level messages the bot posted in `chats`."""
    return sum(len(chat.channel_posts) for chat in chats)


async def test_a_revoked_token_is_told_once_per_channel_across_restarts_and_its_recovery_once(db_url, tmp_path, clock,
                                                                                           fake):
    slack, discord = RecordingChat("slack"), RecordingChat("discord")
    runtime = start(db_url, tmp_path, clock, fake, slack, discord, sla=ESCALATION)
    assert await poll(runtime, clock) == 1 and posted(slack, discord) == 0

    fake.token = "new-t0ken"  # an admin revoked the token socialdesk uses
    await poll(runtime, clock, minutes=1)
    (slack_alert,), (discord_alert,) = slack.channel_posts, discord.channel_posts
    assert (slack_alert.channel, discord_alert.channel) == ("C0ESCALATE", "#escalations")
    assert slack_alert.body.text == discord_alert.body.text
    assert slack_alert.key == "source:fedi:2026-11-02T09:01:00+00:00:failing:slack"
    text = slack_alert.body.text
    assert text.startswith("🔌 Source fedi (mastodon) has been failing since 09:01 UTC: no posts arrive from it. ")
    assert "credentials rejected (401: The access token is invalid); check MASTODON_ACCESS_TOKEN in .env" in text
    assert "`/desk status` shows every source" in text

    for minutes in (2, 5, 10):  # the backoff's next tries fail the same way
        await poll(runtime, clock, minutes=minutes)
    await runtime.close()
    # A restart, as two replicas on the same database.
    replicas = [start(db_url, tmp_path, clock, fake, slack, discord, sla=ESCALATION) for _ in range(2)]
    for replica in replicas:
        await poll(replica, clock, minutes=5)
    for replica in replicas:
        await replica.close()
    assert posted(slack, discord) == 2

    fake.token = "t0ken"  # socialdesk's token works again
    restarted = start(db_url, tmp_path, clock, fake, slack, discord, sla=ESCALATION)
    fake.post(fake.account("dan"), "@acme hello, anyone there?")
    assert await poll(restarted, clock, minutes=5) == 1
    assert [(s.key, s.body.text) for s in slack.channel_posts[1:]] == [
        ("source:fedi:2026-11-02T09:01:00+00:00:recovered:slack",
         "✅ Source fedi (mastodon) recovered after 32 min: posts arrive again, from where it stopped.")]
    assert [s.channel for s in discord.channel_posts] == ["#escalations", "#escalations"]

    await poll(restarted, clock, minutes=1)
    assert posted(slack, discord) == 4
    await restarted.close()


async def test_a_short_run_of_server_errors_stays_quiet(db_url, tmp_path, clock, fake):
    chat = RecordingChat()
    runtime = start(db_url, tmp_path, clock, fake, chat)
    fake.fail(NOTIFICATIONS, status=503, times=3)
    for minutes in (0, 3, 3):  # each past the mentions feed's backoff (at most 72 s, then 144 s)
        await poll(runtime, clock, minutes=minutes)
    assert len(fake.seen(NOTIFICATIONS)) == 3
    assert runtime.poll_failures["fedi"] == 0, "the other feeds were read: the source works"
    assert await poll(runtime, clock, minutes=8) == 1  # 14 minutes after the first error: under the 15 of `after`
    assert chat.channel_posts == []
    await runtime.close()


async def test_a_feed_failing_alone_is_told_once_across_restarts_and_its_recovery_once(db_url, tmp_path, clock, fake):
    chat = RecordingChat()
    runtime = start(db_url, tmp_path, clock, fake, chat)
    fake.scopes.discard("read:notifications")  # only a person can fix it: told at once
    await poll(runtime, clock, minutes=1)
    (alert,) = chat.channel_posts
    assert alert.key == "feed:fedi:mentions:2026-11-02T09:01:00+00:00:failing:slack"
    assert "the access token lacks the scope read:notifications" in alert.body.text
    await runtime.close()
    for minutes in (5, 20):  # restarts: each new process fails the feed again, the episode goes on
        runtime = start(db_url, tmp_path, clock, fake, chat)
        await poll(runtime, clock, minutes=minutes)
        await runtime.close()
    assert len(chat.channel_posts) == 1
    fake.scopes.add("read:notifications")
    runtime = start(db_url, tmp_path, clock, fake, chat)
    await poll(runtime, clock, minutes=5)
    assert [s.body.text for s in chat.channel_posts[1:]] == [
        "✅ Source fedi (mastodon): the feed mentions recovered after 30 min; its posts arrive again."]
    await runtime.close()


async def test_every_feed_failing_is_the_source_failing(db_url, tmp_path, clock, fake):
    chat = RecordingChat()
    runtime = start(db_url, tmp_path, clock, fake, chat, source_alerts={"after": "10m"})
    for path in (NOTIFICATIONS, f"/api/v1/accounts/{fake.brand['id']}/statuses", "/api/v1/timelines/tag/acmesupport",
                 "/api/v2/search"):
        fake.fail(path, status=502, times=10)
    await poll(runtime, clock, minutes=1)
    assert runtime.poll_failures["fedi"] == 1
    await poll(runtime, clock, minutes=12)
    (alert,) = chat.channel_posts  # the source's alert only, not one per feed
    assert alert.body.text.startswith("🔌 Source fedi (mastodon) has been failing since 09:01 UTC: no posts arrive "
                                      "from it. Mastodon GET /api/v1/notifications: server error 502 (injected 502); "
                                      "will retry (and every other feed fails too)")
    await runtime.close()


async def test_a_lasting_outage_is_told_once_it_outlasts_after_with_its_start(db_url, tmp_path, clock, fake):
    chat = RecordingChat()  # no escalation channel: the alerts go where fedi's conversations go
    runtime = start(db_url, tmp_path, clock, fake, chat, source_alerts={"after": "10m"})
    fake.fail(NOTIFICATIONS, status=502, times=4)  # only the mentions feed fails: the others are read meanwhile
    for minutes in (1, 4, 5):  # each past the feed's backoff
        await poll(runtime, clock, minutes=minutes)
    assert chat.channel_posts == []  # 9 minutes in
    await poll(runtime, clock, minutes=6)
    assert len(fake.seen(NOTIFICATIONS)) == 4  # every try failed, while the other feeds were read
    (alert,) = chat.channel_posts
    assert alert.channel == "C0SOCIAL"
    assert alert.key == "feed:fedi:mentions:2026-11-02T09:01:00+00:00:failing:slack"
    assert alert.body.text.startswith(
        "🔌 Source fedi (mastodon): the feed mentions has been failing since 09:01 UTC, so its posts do not arrive; the "
        "source's other feeds still work. Mastodon GET /api/v1/notifications: server error 502 (injected 502); will retry")
    assert "`/desk status` shows every feed" in alert.body.text
    await poll(runtime, clock, minutes=10)
    assert [s.body.text for s in chat.channel_posts[1:]] == [
        "✅ Source fedi (mastodon): the feed mentions recovered after 25 min; its posts arrive again."]

    fake.fail(NOTIFICATIONS, status=503)  # a new episode, short: told nothing, and no recovery of it either
    await poll(runtime, clock, minutes=1)
    await poll(runtime, clock, minutes=2)
    assert len(chat.channel_posts) == 2
    await runtime.close()


async def test_the_digest_lists_the_sources_failing_now(db_url, tmp_path, clock, fake):
    chat = RecordingChat()
    runtime = start(db_url, tmp_path, clock, fake, chat, digest={"channel": "C0LEADS", "at": "10:00"})
    fake.token = "revoked"
    await poll(runtime, clock)
    clock.advance(timedelta(hours=1))
    assert queue_digest(runtime.engine, runtime.config, clock.now())
    await drain(runtime)
    digest = next(s for s in chat.channel_posts if s.channel == "C0LEADS")
    assert digest.body.text.splitlines()[-2:] == [
        "Sources failing now (1):",
        "• fedi (mastodon) since 09:00 UTC (1 h): Mastodon GET /api/v1/accounts/verify_credentials: credentials rejected "
        "(401: The access token is invalid); check MASTODON_ACCESS_TOKEN in .env: an access token from Preferences → "
        f"Development on {urlsplit(fake.base_url).netloc} with the scopes read:notifications read:statuses read:search "
        "read:accounts write:statuses"]
    await runtime.close()


def test_after_is_a_duration():
    assert factories.config().source_alerts.after == timedelta(minutes=15)
    with pytest.raises(ConfigError, match="source_alerts.after: expected a duration like '15m'"):
        factories.config(source_alerts={"after": "soon"})
