"""The Mastodon source against a fake Mastodon server (and its GoToSocial and Akkoma flavours)."""
from __future__ import annotations

import json
import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from rich.console import Console
from sqlmodel import Session, select

from bot.app.checks import run_checks
from bot.ingest.poller import poll_once
from bot.settings import BrandConfig, ConfigError, Secrets
from bot.sources.base import RESET_MARGIN, OutboundReply, SourceError
from bot.sources.mastodon.source import MENTION_ROOM, build
from bot.sources.mastodon.text import countable_length, html_to_text
from bot.sources.options import SourceContext
from bot.views import CustomerPost, Notice
from handlers import dispatch
from handlers.context import Actor, Request
from storage.models import Post, Reply, ReplyStatus
from tests.auxil import factories
from tests.auxil.clock import FakeClock
from tests.auxil.desk import drain, make_runtime
from tests.auxil.sources import dies_after_publishing, poll_all, poll_with_unparsed
from tests.fakes.chat import SimulatedCrash
from tests.fakes.mastodon_api import FakeMastodon

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
BRAND = BrandConfig(name="Acme", handles=["@acme"], misspellings=["akme"], hashtags=["#acmehelp"])


@pytest.fixture
def clock():
    return FakeClock(NOW)


@pytest.fixture
async def fake(clock):
    async with FakeMastodon(clock.now) as server:
        yield server


def make_source(fake, clock, env=None, **options):
    context = SourceContext(name="fedi", type="mastodon", options={"base_url": fake.base_url, **options}, brand=BRAND,
                            base_dir=Path("."), clock=clock,
                            env={"MASTODON_ACCESS_TOKEN": fake.token} if env is None else env)
    return build(context)


@pytest.fixture
async def source(fake, clock):
    made = make_source(fake, clock)
    yield made
    await made.close()


def ago(**delta):
    return NOW - timedelta(**delta)


# --- reading -------------------------------------------------------------------------------


async def test_mentions_replies_dms_and_quotes_arrive_with_kind_thread_and_author(fake, source):
    carla = fake.account("carla", display_name="Carla Diaz", followers=120)
    bob = fake.account("bob", domain="other.example")
    dana, erin = fake.account("dana"), fake.account("erin", domain="elsewhere.example")
    announcement = fake.post(fake.brand, "Maintenance tonight", at=ago(hours=5))
    mention = fake.post(carla, "@acme my order never arrived", at=ago(hours=4))
    reply = fake.post(bob, "@acme still down?", reply_to=announcement["id"], at=ago(hours=3))
    dm = fake.post(dana, "@acme my card was charged twice", visibility="direct", at=ago(hours=2))
    quote = fake.post(erin, "lol look at this", quote_of=announcement["id"], at=ago(hours=1))

    posts, _ = await poll_all(source)

    assert [(p.external_id, p.kind) for p in posts] == [
        (mention["id"], "mention"), (reply["id"], "reply"), (dm["id"], "direct"), (quote["id"], "quote")]
    first = posts[0]
    assert (first.author.handle, first.author.name, first.author.followers) == ("carla@social.example", "Carla Diaz", 120)
    assert first.url == f"https://social.example/@carla/{mention['id']}" and first.text == "@acme my order never arrived"
    assert first.thread_root_id == mention["id"] and first.reply_to_id is None
    assert posts[1].author.handle == "bob@other.example"
    host = fake.base_url.split("://", 1)[1]  # account ids are the instance's own: scoped by it
    assert [p.author.account_id for p in posts] == [f"{host}:{a['id']}" for a in (carla, bob, dana, erin)]
    assert posts[1].thread_root_id == announcement["id"] and posts[1].reply_to_id == announcement["id"]
    assert posts[0].raw["id"] == mention["id"] and posts[0].created_at == ago(hours=4)
    (request,) = fake.seen("/api/v1/notifications")
    assert request.query["include_filtered"] == "true" and request.query["limit"] == "50"


async def test_own_excluded_and_unwanted_posts_stay_out(fake, clock):
    carla, spammer = fake.account("carla"), fake.account("spammer", domain="spam.example")
    fake.post(fake.brand, "Tips for #acmehelp users", at=ago(hours=3))  # the brand's own, in the tag timeline
    fake.post(spammer, "@acme free stuff", at=ago(hours=2))
    fake.post(carla, "@acme join my GIVEAWAY", at=ago(hours=2))
    fake.post(carla, "@acme a private word", visibility="direct", at=ago(hours=1))
    kept = fake.post(carla, "@acme where is my parcel?", at=ago(minutes=5))
    source = make_source(fake, clock, exclude_accounts=["@spammer@spam.example"], exclude_words=["giveaway"],
                         direct_messages=False)
    posts, _ = await poll_all(source)
    assert [p.external_id for p in posts] == [kept["id"]]
    await source.close()


async def test_hashtags_and_keyword_search_keep_real_hits_once(fake, source):
    carla, bob = fake.account("carla"), fake.account("bob", domain="other.example")
    tagged = fake.post(bob, "Loving the new #AcmeHelp pages", at=ago(hours=3))
    fake.post(bob, "acmeville is a nice town", at=ago(hours=3))  # the fuzzy search finds it; not a word hit
    misspelt = fake.post(carla, "akme broke my blender again", at=ago(hours=2))
    both = fake.post(carla, "@acme #acmehelp the app crashes", at=ago(hours=1))
    named = fake.post(bob, "Is Acme down for anyone else?", at=ago(minutes=30))

    posts, cursor = await poll_all(source)

    assert [(p.external_id, p.kind) for p in posts] == [
        (tagged["id"], "keyword"), (misspelt["id"], "keyword"), (both["id"], "mention"), (named["id"], "keyword")]
    feeds = json.loads(cursor)["feeds"]
    assert set(feeds) == {"mentions", "threads", "search:acme", "search:akme", "tag:acmehelp"}
    again, _ = await poll_all(source, cursor)
    assert again == []  # nothing new: nothing repeated


async def test_replies_in_brand_threads_arrive_without_a_mention(fake, source):
    carla = fake.account("carla")
    question = fake.post(carla, "@acme can I change my delivery address?", at=ago(hours=2))
    answer = fake.post(fake.brand, "@carla Yes, in your account settings ^JD", reply_to=question["id"], at=ago(hours=1))
    _, cursor = await poll_all(source)
    follow_up = fake.post(carla, "found it, thanks!", reply_to=answer["id"])  # no @acme: no notification

    posts, cursor = await poll_all(source, cursor)

    (post,) = posts
    assert (post.external_id, post.kind) == (follow_up["id"], "reply")
    assert post.thread_root_id == question["id"] and post.reply_to_id == answer["id"]
    contexts = len(fake.seen(f"/api/v1/statuses/{answer['id']}/context"))
    assert (await poll_all(source, cursor))[0] == []
    assert len(fake.seen(f"/api/v1/statuses/{answer['id']}/context")) == contexts, "unchanged threads are not read again"


async def test_a_watched_thread_that_cannot_be_read_never_blocks_the_others(fake, source):
    carla, bob = fake.account("carla"), fake.account("bob", domain="other.example")
    first = fake.post(fake.brand, "Maintenance tonight ^JD", at=ago(hours=3))
    second = fake.post(fake.brand, "New opening hours ^JD", at=ago(hours=2))
    _, cursor = await poll_all(source)
    broken = fake.post(carla, "will it be long?", reply_to=first["id"])
    fine = fake.post(bob, "great, thanks", reply_to=second["id"])
    fake.fail(f"/api/v1/statuses/{first['id']}/context", status=502)

    posts, cursor = await poll_all(source, cursor)
    assert [p.external_id for p in posts] == [fine["id"]], "the other thread was read"
    posts, _ = await poll_all(source, cursor)
    assert [p.external_id for p in posts] == [broken["id"]], "the failed thread is read again on the next poll"


async def test_watching_threads_can_be_turned_off(fake, clock):
    source = make_source(fake, clock, watch_threads=False)
    await poll_all(source)
    assert not fake.seen(f"/api/v1/accounts/{fake.brand['id']}/statuses")
    await source.close()


async def test_the_thread_root_comes_from_the_context_and_is_remembered(fake, source):
    carla = fake.account("carla")
    root = fake.post(carla, "my blender smells of smoke", at=ago(hours=3))
    middle = fake.post(carla, "now it stopped entirely", reply_to=root["id"], at=ago(hours=2))
    asked = fake.post(carla, "@acme is this covered by warranty?", reply_to=middle["id"], at=ago(hours=1))
    (post,), cursor = await poll_all(source)
    assert post.external_id == asked["id"] and post.thread_root_id == root["id"] and post.reply_to_id == middle["id"]

    again = fake.post(carla, "@acme hello?", reply_to=asked["id"])
    contexts = [r for r in fake.requests if r.path.endswith("/context")]
    (post,), _ = await poll_all(source, cursor)
    assert post.external_id == again["id"] and post.thread_root_id == root["id"]
    assert [r for r in fake.requests if r.path.endswith("/context")] == contexts, "a known parent needs no lookup"


async def test_a_reply_whose_parent_is_out_of_sight_belongs_to_the_parent(fake, source):
    carla = fake.account("carla")
    orphan = fake.post(carla, "@acme about that post of mine", reply_to="110000000000000001", at=ago(hours=1))
    (post,), _ = await poll_all(source)
    assert post.external_id == orphan["id"] and post.thread_root_id == "110000000000000001"


async def test_deleted_posts_are_skipped_with_a_log_line(fake, source, caplog):
    carla = fake.account("carla")
    gone = fake.post(carla, "@acme first", at=ago(hours=3))
    fake.delete(gone["id"], keep_notification=True)  # a notification left without its status
    parent = fake.post(carla, "my thread", at=ago(hours=2))
    vanishing = fake.post(carla, "@acme second", reply_to=parent["id"], at=ago(hours=2))
    fake.fail(f"/api/v1/statuses/{vanishing['id']}/context", status=404, body='{"error": "Record not found"}')
    kept = fake.post(carla, "@acme third", at=ago(hours=1))
    with caplog.at_level(logging.INFO, logger="bot.sources.mastodon.source"):
        posts, _ = await poll_all(source)
    assert [p.external_id for p in posts] == [kept["id"]]
    assert "has no status (deleted)" in caplog.text and f"status {vanishing['id']} was deleted" in caplog.text


async def test_an_item_that_does_not_parse_is_handed_on_for_quarantine_not_fatal(fake, source):
    carla = fake.account("carla")
    good = fake.post(carla, "@acme hello", at=ago(hours=1))
    rendered = {"id": "9", "type": "mention", "created_at": "2026-11-02T11:00:00.000Z",
                "account": fake.account_json(carla), "status": fake.status_json(good)}
    broken = {"id": "10", "type": "mention", "status": {"id": "x"}}
    fake.fail("/api/v1/notifications", status=200, body=json.dumps([broken, rendered]))
    posts, unparsed, _ = await poll_with_unparsed(source)
    assert [p.external_id for p in posts] == [good["id"]]
    (bad,) = unparsed
    assert bad.raw == broken and bad.reason.startswith("/api/v1/notifications: ")


async def test_huge_and_odd_text_survives_intact(fake, source):
    carla = fake.account("carla")
    odd = ("@acme مرحبا, ההזמנה לא הגיעה 👩\u200d👩\u200d👧 <b>bold?</b> & co\u200b\u2066isolate\u2069\n"
           "second line " + "🙂" * 20_000)
    fake.post(carla, odd, at=ago(minutes=1))
    (post,), _ = await poll_all(source)
    assert post.text == odd


def test_status_html_becomes_plain_text():
    content = ('<p class="quote-inline">RE: <a href="https://social.example/@acme/1">link</a></p>'
               '<p><span class="h-card"><a href="https://social.example/@acme" class="u-url mention">@<span>acme</span>'
               '</a></span> see <a href="https://example.com/a/very/long/path"><span class="invisible">https://</span>'
               '<span class="ellipsis">example.com/a/very</span><span class="invisible">/long/path</span></a>'
               ' &amp; this<br>line two</p><p>para two</p>')
    assert html_to_text(content) == "@acme see https://example.com/a/very/long/path & this\nline two\n\npara two"


async def test_content_warnings_and_attachments_are_part_of_the_text(fake, source):
    carla = fake.account("carla")
    fake.post(carla, "@acme look at this", spoiler_text="broken glass",
              media=[{"type": "image", "description": "a cracked jar"}, {"type": "video"}], at=ago(minutes=3))
    (post,), _ = await poll_all(source)
    assert post.text == "CW: broken glass\n\n@acme look at this\n\n[image: a cracked jar]\n\n[video]"


# --- paging and cursors ----------------------------------------------------------------------


async def test_pages_forward_oldest_first_without_gap_or_duplicate(fake, clock):
    carla = fake.account("carla")
    posted = [fake.post(carla, f"@acme message {n}", at=ago(minutes=60 - n)) for n in range(25)]
    source = make_source(fake, clock, page_size=10)
    calls = 0
    posts, cursor = [], None
    while True:
        page = await source.poll(cursor)
        calls += 1
        posts += page.posts
        cursor = page.cursor
        if not page.has_more:
            break
    assert [p.external_id for p in posts] == [s["id"] for s in posted]
    assert calls == 4  # the oldest page the backfill found, two full pages forward, one that finds no more
    ids = [n["id"] for n in fake.notifications]
    assert len(ids[0]) < len(ids[-1]), "the notification IDs grew a digit on the way (never compared as text)"
    later = fake.post(carla, "@acme one more")
    more, _ = await poll_all(source, cursor)
    assert [p.external_id for p in more] == [later["id"]]
    await source.close()


async def test_paging_follows_the_link_header_past_items_the_server_filtered(fake, source):
    carla, muted = fake.account("carla"), fake.account("muted", domain="spam.example")
    fake.post(carla, "@acme first", at=ago(hours=1))
    _, cursor = await poll_all(source)
    fake.post(muted, "@acme buy followers")
    hidden = fake.notifications[-1]["id"]
    later = fake.post(carla, "@acme second")
    url = f"{fake.base_url}/api/v1/notifications"
    fake.fail("/api/v1/notifications", status=200, body="[]",  # the server dropped the only item of this page
              headers={"Link": f'<{url}?max_id={hidden}>; rel="next", <{url}?min_id={hidden}>; rel="prev"'})
    posts, _ = await poll_all(source, cursor)
    assert [p.external_id for p in posts] == [later["id"]]
    assert fake.seen("/api/v1/notifications")[-1].query["min_id"] == hidden


async def test_exactly_one_full_page_is_read_once(fake, clock):
    carla = fake.account("carla")
    posted = [fake.post(carla, f"@acme message {n}", at=ago(minutes=30 - n)) for n in range(10)]
    source = make_source(fake, clock, page_size=10)
    posts, cursor = await poll_all(source)
    assert [p.external_id for p in posts] == [s["id"] for s in posted]
    assert (await poll_all(source, cursor))[0] == []
    await source.close()


async def test_the_first_poll_backfills_only_the_window(fake, clock):
    carla = fake.account("carla")
    fake.post(carla, "@acme ancient complaint", at=ago(days=3))
    recent = fake.post(carla, "@acme recent complaint", at=ago(hours=2))
    source = make_source(fake, clock, backfill="1d")
    posts, cursor = await poll_all(source)
    assert [p.external_id for p in posts] == [recent["id"]]
    assert (await poll_all(source, cursor))[0] == []  # the old one never comes later either
    await source.close()


async def test_keyword_search_pages_with_offset_and_does_not_repeat(fake, clock):
    bob = fake.account("bob", domain="other.example")
    hits = [fake.post(bob, f"Acme question number {n}", at=ago(minutes=90 - n)) for n in range(45)]
    source = make_source(fake, clock, keywords=["acme"], page_size=40)
    posts, cursor = await poll_all(source)
    assert sorted(p.external_id for p in posts) == sorted(h["id"] for h in hits)
    offsets = [r.query.get("offset") for r in fake.seen("/api/v2/search")]
    assert offsets == [None, "40"]
    clock.advance(timedelta(minutes=5))
    newer = fake.post(bob, "Acme, are you there?")
    posts, _ = await poll_all(source, cursor)
    assert [p.external_id for p in posts] == [newer["id"]]
    assert fake.seen("/api/v2/search")[-1].query["min_id"] == hits[-1]["id"]
    await source.close()


async def test_a_search_refused_in_the_middle_of_paging_is_dropped_not_retried_forever(fake, clock, caplog):
    bob = fake.account("bob", domain="other.example")
    for n in range(45):
        fake.post(bob, f"Acme question number {n}", at=ago(minutes=90 - n))
    source = make_source(fake, clock, keywords=["acme"], page_size=40)
    first = await source.poll(None)
    assert first.has_more and len(first.posts) == 40
    fake.fail("/api/v2/search", status=422, body='{"error": "Search is disabled"}')
    second = await source.poll(first.cursor)
    assert not second.has_more and "search:acme" not in json.loads(second.cursor)["feeds"]
    assert "keyword search for 'acme' is not available" in caplog.text
    await source.close()


async def test_a_cursor_from_something_else_starts_over_with_a_backfill(fake, source, caplog):
    carla = fake.account("carla")
    mention = fake.post(carla, "@acme hi", at=ago(minutes=5))
    page = await source.poll("1234")  # a replay source's byte offset, say
    assert [p.external_id for p in page.posts] == [mention["id"]]
    assert "is not one this source wrote" in caplog.text


# --- errors and limits ------------------------------------------------------------------------


async def test_429_waits_for_the_reset_the_headers_name(fake, source):
    fake.account("carla")
    await source.poll(None)
    fake.used = fake.rate_limit  # the window is used up
    with pytest.raises(SourceError) as limited:
        await source.poll(None)
    wait = (fake.window_ends - NOW).total_seconds()
    assert limited.value.retryable and wait + RESET_MARGIN <= limited.value.retry_after <= wait * 1.2 + RESET_MARGIN
    assert "429" in str(limited.value)
    (quota,) = source.quota()
    assert quota.bucket == "api" and quota.limit == 300 and quota.remaining == 0


async def test_polls_pause_near_the_limit_and_leave_the_rest_for_replies(fake, source):
    carla = fake.account("carla")
    question = fake.post(carla, "@acme hello?", at=ago(minutes=2))
    await source.poll(None)
    fake.used = fake.rate_limit - 10  # 10 of 300 left, then 9: within the last 5 %
    first = await source.poll(None)  # the first answer tells how little is left; the other feeds' reads wait
    assert all("rate limit nearly used" in feed.last_error for feed in first.feeds if feed.name != "mentions")
    asked = len(fake.requests)
    with pytest.raises(SourceError, match=r"api: 9 of 300 left until 12:05 UTC") as held:
        await source.poll(None)  # every feed held: the source waits as a whole
    assert held.value.retry_after == (fake.window_ends - NOW).total_seconds() + RESET_MARGIN
    assert len(fake.requests) == asked
    await source.publish_reply(reply_to(question))
    assert len(fake.replies_by_brand()) == 1


@pytest.mark.parametrize("fault,words", [
    ({"status": 503, "body": "<html>Bad Gateway</html>"}, "server error 503"),
    ({"status": 0, "delay": 1.5}, "did not answer within 1s"),
    ({"status": 200, "body": '[{"id": "1", "type": "mention"'}, "malformed JSON"),
])
async def test_failures_lose_nothing(fake, clock, fault, words):
    carla = fake.account("carla")
    first = fake.post(carla, "@acme first", at=ago(hours=1))
    source = make_source(fake, clock, timeout="1s")
    posts, cursor = await poll_all(source)
    second = fake.post(carla, "@acme second")
    fake.fail("/api/v1/notifications", **fault)
    failed = await source.poll(cursor)  # the mentions feed fails alone: the others are read
    mentions = next(feed for feed in failed.feeds if feed.name == "mentions")
    assert words in mentions.last_error and not mentions.needs_action and mentions.next_try_at > clock.now()
    clock.advance(timedelta(minutes=2))  # past its backoff
    posts, _ = await poll_all(source, failed.cursor)  # from the cursor the failed poll stored
    assert [p.external_id for p in posts] == [second["id"]] and first["id"] != second["id"]
    await source.close()


async def test_a_rejected_token_names_the_variable_to_fix(fake, clock):
    source = make_source(fake, clock, env={"MASTODON_ACCESS_TOKEN": "revoked"})
    with pytest.raises(SourceError) as failed:
        await source.poll(None)
    assert not failed.value.retryable
    assert "credentials rejected (401: The access token is invalid)" in str(failed.value)
    assert "check MASTODON_ACCESS_TOKEN in .env" in str(failed.value) and "Preferences → Development" in str(failed.value)
    await source.close()


@pytest.mark.parametrize("flavour,words", [
    ("mastodon", "403: This action is outside the authorized scopes"),
    ("gotosocial", "403: Forbidden: token has insufficient scope permission"),
    ("akkoma", "403: Insufficient permissions: read:notifications."),
    ("pleroma", "403: Insufficient permissions: read:notifications."),
])
async def test_a_missing_scope_fails_its_feed_alone_and_is_named_in_every_servers_wording(clock, flavour, words):
    async with FakeMastodon(clock.now, flavour=flavour) as fake:
        fake.scopes.discard("read:notifications")
        tagged = fake.post(fake.account("carla"), "#acmehelp how do I reset it?", at=ago(minutes=5))
        source = make_source(fake, clock)
        page = await source.poll(None)
        assert [p.external_id for p in page.posts] == [tagged["id"]], "the other feeds keep flowing"
        (mentions,) = [feed for feed in page.feeds if feed.failing]
        assert mentions.name == "mentions" and mentions.needs_action
        assert words in mentions.last_error
        assert "the access token lacks the scope read:notifications" in mentions.last_error
        assert "read:notifications read:statuses read:search read:accounts write:statuses" in mentions.last_error
        await source.close()


@pytest.mark.parametrize("token,line", [
    ("t0ken", "ok  source fedi (mastodon) — signed in as @acme@social.example on Mastodon; replies up to 500 characters"),
    ("revoked", "failed  source fedi (mastodon) — Mastodon GET /api/v1/accounts/verify_credentials: credentials "
                "rejected (401: The access token is invalid); check MASTODON_ACCESS_TOKEN in .env"),
])
async def test_socialdesk_check_tries_the_token(fake, tmp_path, monkeypatch, token, line):
    monkeypatch.setenv("MASTODON_ACCESS_TOKEN", token)
    config = factories.config(sources=[{"name": "fedi", "type": "mastodon", "base_url": fake.base_url}])
    console = Console(record=True, width=400)
    await run_checks(Secrets(socialdesk_config=tmp_path / "socialdesk.toml"), config, f"sqlite:///{tmp_path}/c.db", console)
    assert line in console.export_text()
    assert len(fake.seen("/api/v1/notifications")) == (token == "t0ken"), "with a working token, each feed once"


@pytest.mark.parametrize("flavour,lines", [
    ("mastodon", ["failed  source fedi (mastodon) feed mentions — Mastodon GET /api/v1/notifications: refused (403: "
                  "This action is outside the authorized scopes): the access token lacks the scope read:notifications",
                  "ok  source fedi (mastodon) feed search:acme — readable"]),
    ("gotosocial", ["failed  source fedi (mastodon) feed mentions — Mastodon GET /api/v1/notifications: refused (403: "
                    "Forbidden: token has insufficient scope permission): the access token lacks the scope "
                    "read:notifications",
                    "missing  source fedi (mastodon) feed search:acme — GoToSocial searches only the brand's own posts"]),
])
async def test_socialdesk_check_reads_each_feed_once_and_says_what_breaks_polling(tmp_path, monkeypatch, clock, flavour,
                                                                                  lines):
    async with FakeMastodon(clock.now, flavour=flavour) as fake:
        monkeypatch.setenv("MASTODON_ACCESS_TOKEN", fake.token)
        fake.scopes.discard("read:notifications")  # verify_credentials still works: the token itself is fine
        config = factories.config(sources=[{"name": "fedi", "type": "mastodon", "base_url": fake.base_url}])
        console = Console(record=True, width=400)
        problems = await run_checks(Secrets(socialdesk_config=tmp_path / "socialdesk.toml"), config,
                                    f"sqlite:///{tmp_path}/c.db", console)
        text = console.export_text()
        assert all(line in text for line in lines), text
        assert "ok  source fedi (mastodon) feed tag:acmesupport — readable" in text  # a 404 there is no posts yet
        assert problems >= 2
        assert all(len(fake.seen(path)) <= 1 for path in ("/api/v1/notifications", "/api/v1/timelines/tag/acmesupport"))


def test_configuration_problems_are_named(fake, clock):
    with pytest.raises(ConfigError, match="MASTODON_ACCESS_TOKEN is not set"):
        make_source(fake, clock, env={})
    with pytest.raises(ConfigError, match="sources.fedi.base_url: Field required"):
        build(SourceContext(name="fedi", type="mastodon", options={}, brand=BRAND, base_dir=Path("."),
                            env={"MASTODON_ACCESS_TOKEN": "x"}))
    with pytest.raises(ConfigError, match="expected the instance's address"):
        make_source(fake, clock, base_url="mastodon.social")


# --- compatible servers and instance limits -------------------------------------------------------


async def test_gotosocial_ulids_full_accts_json_errors_and_no_keyword_search(clock):
    async with FakeMastodon(clock.now, flavour="gotosocial") as fake:
        carla = fake.account("carla")
        assert carla["acct"] == "carla@social.example" and len(carla["id"]) == 26
        tagged = fake.post(carla, "#acmehelp how do I reset it?", at=ago(hours=2))
        mention = fake.post(carla, "@acme anyone? acme is down", at=ago(hours=1))
        source = make_source(fake, clock)
        page = await source.poll(None)
        assert [(p.external_id, p.author.handle) for p in page.posts] == [
            (tagged["id"], "carla@social.example"), (mention["id"], "carla@social.example")]
        assert source.instance.software == "gotosocial" and not page.has_more
        feeds = {feed.name: feed for feed in page.feeds}
        assert not any(feed.failing for feed in page.feeds)
        assert "keyword search is not available there; follow it as a #hashtag instead" in feeds["search:acme"].note
        assert not fake.seen("/api/v2/search"), "a search that can only find the brand's own posts is not asked"
        later = fake.post(carla, "@acme still there?")
        posts, _ = await poll_all(source, page.cursor)
        assert [p.external_id for p in posts] == [later["id"]]
        assert not fake.seen("/api/v1/instance/"), "no version probe"
        async with httpx.AsyncClient() as client:
            probe = await client.get(f"{fake.base_url}/api/v1/instance/")
        assert (probe.status_code, probe.json()) == (404, {"error": "Not Found"})  # GoToSocial's errors are JSON
        await source.close()


@pytest.mark.parametrize("flavour,limit", [("mastodon", 1000), ("akkoma", 5000)])
async def test_the_length_limit_comes_from_the_instance(clock, flavour, limit):
    async with FakeMastodon(clock.now, flavour=flavour, max_characters=limit) as fake:
        source = make_source(fake, clock)
        assert source.max_length == 500  # until the instance has been asked
        await source.poll(None)
        assert source.max_length == limit
        await source.close()


async def test_without_an_instance_api_the_limit_is_500(fake, source):
    fake.fail("/api/v2/instance", status=404, body="404 page not found")
    fake.fail("/api/v1/instance", status=404, body="404 page not found")
    await source.poll(None)
    assert source.max_length == 500 and source.instance.domain == urlsplit(fake.base_url).netloc


# --- counting -------------------------------------------------------------------------------------


@pytest.mark.parametrize("text,length", [  # Mastodon's own spec/validators/status_length_validator_spec.rb
    ("a" * 476 + " http://" + "b" * 30 + ".com/example", 500),  # a link counts 23
    ("a" * 476 + "http://" + "b" * 30 + ".com/example", 525),  # not a link without a space before it
    ("http://example.com/valid?" + "#foo?" * 1000, 5025),  # an overly long link counts in full
    ("a" * 475 + " @alice@" + "b" * 30 + ".com", 482),  # only the front of a remote username
    ("@alice@" + "b" * 500 + ".com", 511),  # unless the domain is overly long
    ("✨" * 500, 500),  # a multi-byte emoji is one character
    ("🏳️‍⚧️" * 500, 500),  # and so is a ZWJ sequence
    ("see https://example.com/x.", len("see ") + 23 + 1),  # trailing punctuation is not part of the link
])
def test_mastodon_counts_text_its_own_way(text, length):
    assert countable_length(text) == length


async def test_the_count_includes_the_mention_put_in_front(fake, source):
    carla = fake.account("carla")
    fake.post(carla, "@acme hi", at=ago(minutes=1))
    await source.poll(None)
    text = "Thanks, we're on it: https://status.example.com/incidents/123 ^JD"
    assert source.count_length(text) == countable_length(text) + MENTION_ROOM == len("Thanks, we're on it: ^JD") + 24 + 32


async def test_a_reply_that_passes_the_count_is_accepted_by_the_instance(fake, source):
    longest = fake.account("a" * 30, domain="other.example")  # the longest username Mastodon allows
    question = fake.post(longest, "@acme help", at=ago(minutes=1))
    await source.poll(None)
    text = "x" * (source.max_length - source.count_length(""))
    assert source.count_length(text) == source.max_length
    await source.publish_reply(OutboundReply("reply:1", text, question["id"], question["id"], f"{'a' * 30}@other.example"))
    (posted,) = fake.replies_by_brand()
    assert fake.countable_length(posted["text"]) == source.max_length


# --- publishing -----------------------------------------------------------------------------------


def reply_to(status, text="Sorry about that, we're on it ^JD", handle="carla@social.example", key="reply:7"):
    return OutboundReply(key=key, text=text, in_reply_to=status["id"], thread_root_id=status["id"], customer_handle=handle)


@pytest.mark.parametrize("visibility", ["public", "unlisted", "private", "direct"])
async def test_a_reply_keeps_the_visibility_and_mentions_the_customer(fake, source, visibility):
    carla = fake.account("carla")
    question = fake.post(carla, "@acme my order?", visibility=visibility)
    published = await source.publish_reply(reply_to(question))
    (posted,) = fake.replies_by_brand()
    assert posted["in_reply_to_id"] == question["id"] and posted["visibility"] == visibility
    assert posted["text"] == "@carla@social.example Sorry about that, we're on it ^JD"
    assert posted["mentions"] == [carla["id"]], "the customer is notified"
    (request,) = fake.seen("/api/v1/statuses", method="POST")
    assert request.headers["Idempotency-Key"] == "reply:7"
    assert published.external_id == posted["id"] and published.url == f"https://social.example/@acme/{posted['id']}"


async def test_a_reply_that_already_mentions_the_customer_gets_no_second_mention(fake, source):
    bob = fake.account("bob", domain="other.example")
    question = fake.post(bob, "@acme hi")
    await source.publish_reply(reply_to(question, "@bob@other.example hi there ^JD", "bob@other.example"))
    assert fake.replies_by_brand()[0]["text"] == "@bob@other.example hi there ^JD"


async def test_the_private_handoff_is_a_direct_status(fake, source):
    carla = fake.account("carla")
    question = fake.post(carla, "@acme my card 4111 1111 1111 1111 was charged twice")
    await source.send_private(reply_to(question, "We'll refund you, no need to post card numbers ^JD"))
    (posted,) = fake.replies_by_brand()
    assert posted["visibility"] == "direct" and posted["in_reply_to_id"] == question["id"]
    assert posted["text"].startswith("@carla@social.example ")


async def test_a_deleted_post_gets_no_public_reply_but_a_private_one_still_goes(fake, source):
    carla = fake.account("carla")
    question = fake.post(carla, "@acme hello")
    fake.delete(question["id"])
    with pytest.raises(SourceError) as refused:
        await source.publish_reply(reply_to(question))
    assert not refused.value.retryable and "is gone" in str(refused.value) and "--private" in str(refused.value)
    await source.send_private(reply_to(question, key="reply:8"))
    (posted,) = fake.replies_by_brand()
    assert posted["visibility"] == "direct" and posted["in_reply_to_id"] is None


async def test_a_too_long_reply_is_refused_with_the_numbers(fake, source):
    long_name = fake.account("b" * 40, domain="misskey.example")  # other servers allow longer usernames
    question = fake.post(long_name, "@acme hi")
    await source.poll(None)
    text = "x" * (source.max_length - MENTION_ROOM)  # passes the guard's count, not with a 40-character username
    with pytest.raises(SourceError) as refused:
        await source.publish_reply(reply_to(question, text, f"{'b' * 40}@misskey.example"))
    assert not refused.value.retryable and "allows 500; shorten it by 10" in str(refused.value)
    assert not fake.replies_by_brand()


async def test_a_reply_already_on_the_network_is_found_not_posted_again(fake, clock):
    carla = fake.account("carla")
    question = fake.post(carla, "@acme hi")
    reply = replace(reply_to(question, "Thanks & see https://example.com/a/long/path ^JD"), queued_at=clock.now())
    first = make_source(fake, clock)
    assert await first.find_published(reply.key, reply) is None  # nothing published yet
    published = await first.publish_reply(reply)
    fake.idempotency.clear()  # more than an hour later: Mastodon has forgotten the key
    restarted = make_source(fake, clock)  # a new process: nothing kept in memory
    assert await restarted.find_published(reply.key, reply) == published
    older = replace(reply, key="reply:8", queued_at=clock.now() + timedelta(minutes=30))
    assert await restarted.find_published(older.key, older) is None  # an identical older reply is not this one
    assert len(fake.replies_by_brand()) == 1
    await first.close()
    await restarted.close()


# --- through the poller, the outbox and chat (SQLite and PostgreSQL) ---------------------------------


@pytest.fixture
async def desk(db_url, tmp_path, monkeypatch):
    """A runtime whose only source is Mastodon, pointed at the fake; chat is a RecordingChat."""
    async with FakeMastodon(lambda: NOW) as server:
        monkeypatch.setenv("MASTODON_ACCESS_TOKEN", server.token)
        runtime, chat, clock = make_runtime(
            db_url, tmp_path, sources=[{"name": "fedi", "type": "mastodon", "base_url": server.base_url, "page_size": 10}])
        server.now = clock.now
        yield runtime, chat, clock, server
        await runtime.close()


def stored_posts(runtime):
    with Session(runtime.engine) as session:
        return list(session.exec(select(Post).order_by(Post.id)))


def restarted(runtime, db_url, tmp_path):
    """A new process on the same database: a fresh runtime and a fresh source, nothing kept in memory."""
    return make_runtime(db_url, tmp_path, sources=[runtime.config.sources[0].model_dump()])


async def test_a_restart_in_the_middle_of_paging_resumes_without_gap_or_duplicate(desk, db_url, tmp_path):
    runtime, _, clock, fake = desk
    carla = fake.account("carla")
    posted = [fake.post(carla, f"@acme message {n}", at=clock.now() - timedelta(minutes=60 - n)) for n in range(25)]
    source = runtime.sources["fedi"]
    real_poll = source.poll
    polls = 0

    async def poll_then_die(cursor):  # the next page is fetched before this one is stored (bot/ingest/poller.py)
        nonlocal polls
        polls += 1
        if polls == 3:
            raise SimulatedCrash("the process died after the first page was stored, fetching the third")
        return await real_poll(cursor)

    source.poll = poll_then_die
    with pytest.raises(SimulatedCrash):
        await poll_once(runtime.engine, runtime.config, source, clock)
    oldest_page = [s["id"] for s in posted[:5]]  # found by the backfill's walk back
    assert [p.external_id for p in stored_posts(runtime)] == oldest_page

    second, _, _ = restarted(runtime, db_url, tmp_path)
    fake.fail("/api/v1/notifications", status=502, body="<html>Bad Gateway</html>")  # and then an outage
    assert await poll_once(second.engine, second.config, second.sources["fedi"], second.clock) == 0
    second.clock.advance(timedelta(minutes=2))  # past the mentions feed's backoff
    assert await poll_once(second.engine, second.config, second.sources["fedi"], second.clock) == 20
    ids = [p.external_id for p in stored_posts(second)]
    assert sorted(ids) == sorted(s["id"] for s in posted) and len(ids) == len(set(ids))
    await second.close()


async def test_mention_to_chat_to_reply_in_the_social_thread(desk):
    runtime, chat, clock, fake = desk
    carla = fake.account("carla", display_name="Carla Diaz")
    question = fake.post(carla, "@acme my order never arrived :(", visibility="unlisted",
                         at=clock.now() - timedelta(minutes=3))
    source = runtime.sources["fedi"]
    assert await poll_once(runtime.engine, runtime.config, source, clock) == 1
    await drain(runtime)
    (parent,) = chat.parents
    assert parent.body.author_handle == "carla@social.example" and parent.body.text == "@acme my order never arrived :("
    assert parent.body.url == f"https://social.example/@carla/{question['id']}"

    outcome = await dispatch(runtime.desk, Request("reply", Actor("slack", "USAM"), 1, "So sorry! Checking it now."))
    assert outcome.ok, outcome.text
    await drain(runtime)
    (answer,) = fake.replies_by_brand()
    assert answer["in_reply_to_id"] == question["id"] and answer["visibility"] == "unlisted"
    assert answer["text"] == "@carla@social.example So sorry! Checking it now. ^SL"
    notices = [m for m in chat.thread(parent.message_id) if isinstance(m, Notice)]
    assert "Published publicly by Sam Lee" in notices[-1].text
    assert notices[-1].link == f"https://social.example/@acme/{answer['id']}"

    clock.advance(timedelta(minutes=5))
    follow_up = fake.post(carla, "@acme thanks, order number is in my DMs", reply_to=answer["id"])
    assert await poll_once(runtime.engine, runtime.config, source, clock) == 1
    await drain(runtime)
    assert len(chat.parents) == 1, "the customer's answer joins the conversation"
    shown = [m for m in chat.thread(parent.message_id) if isinstance(m, CustomerPost)]
    assert [m.url for m in shown] == [f"https://social.example/@carla/{follow_up['id']}"]


async def test_a_reply_is_published_once_across_a_crash(desk, db_url, tmp_path):
    runtime, chat, clock, fake = desk
    carla = fake.account("carla")
    fake.post(carla, "@acme refund please", at=clock.now() - timedelta(minutes=1))
    await poll_once(runtime.engine, runtime.config, runtime.sources["fedi"], clock)
    await drain(runtime)
    await dispatch(runtime.desk, Request("reply", Actor("slack", "USAM"), 1, "Refund is on its way"))
    source = runtime.sources["fedi"]
    with (dies_after_publishing(source, "died after Mastodon took the status, before it was recorded"),
          pytest.raises(SimulatedCrash)):
        await runtime.outbox.drain_once()
    fake.idempotency.clear()  # back more than an hour later: Mastodon no longer knows the Idempotency-Key
    second, _, second_clock = restarted(runtime, db_url, tmp_path)
    second_clock.advance(timedelta(minutes=2))
    await drain(second)
    (published,) = fake.replies_by_brand()
    with Session(second.engine) as session:
        (reply,) = session.exec(select(Reply)).all()
        assert reply.status == ReplyStatus.PUBLISHED and reply.external_id == published["id"]
    await second.close()
