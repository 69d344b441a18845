"""The Bluesky source against a fake PDS that answers like the real one (tests/fakes/bluesky_api.py).

The real reference servers are exercised by tests/bluesky/test_devnet.py; this file covers
what they cannot be made to do: rate limits, server errors, timeouts, malformed answers,
expired sessions, deleted posts, and crashes between pages.
"""
from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from bot.ingest.pipeline import ingest
from bot.ingest.poller import poll_once
from bot.settings import BrandConfig, ConfigError, SourceConfig
from bot.sources import build_source
from bot.sources.base import RESET_MARGIN, OutboundReply, PrivateChannelUnavailable, SourceError
from bot.sources.bluesky.source import BlueskyOptions, BlueskySource
from bot.sources.bluesky.text import count_length, record_key
from handlers import dispatch
from handlers.context import Actor, Request
from storage.db import session_scope
from storage.models import Customer, Post, Reply, ReplyStatus
from tests.auxil import factories
from tests.auxil.clock import FakeClock
from tests.auxil.desk import make_runtime
from tests.auxil.sources import dies_after_publishing, poll_all
from tests.fakes.bluesky_api import TID, FakeBluesky
from tests.fakes.chat import SimulatedCrash

BRAND = "acme.bsky.social"
PASSWORD = "abcd-efgh-ijkl-mnop"
BRAND_BLOCK = {"name": "Acme", "handles": [BRAND], "misspellings": ["acmee"], "hashtags": ["#acmesupport"]}


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
async def pds(clock):
    async with FakeBluesky(clock) as server:
        server.brand = server.account(BRAND, password=PASSWORD, name="Acme Support")
        server.carla = server.account("carla.bsky.social", name="Carla Díaz", followers=120)
        server.dan = server.account("dan.bsky.social", name="Dan")
        yield server


INSTALL = "0f3c9e5a7b2d4c1e8a6f9b0d2c4e6a8b"


def make_source(pds, clock, installation=INSTALL, **options) -> BlueskySource:
    settings = {"base_url": pds.base_url, "page_size": 10, **options}
    return BlueskySource("bluesky", BlueskyOptions(**settings), handle=BRAND, password=PASSWORD, handles=[BRAND],
                         keywords=options.pop("keywords", ["Acme", "acmee", "#acmesupport"]), clock=clock,
                         credential_hint="check BLUESKY_HANDLE and BLUESKY_APP_PASSWORD in .env",
                         installation=installation)


async def test_mentions_replies_quotes_and_keyword_hits_become_posts(pds, clock):
    source = make_source(pds, clock, exclude_words=["giveaway"], exclude_accounts=["spam.bsky.social"])
    spammer = pds.account("spam.bsky.social")
    announcement = pds.post(pds.brand, "Acme status: all systems go")  # the brand's own post: never ingested
    mention = pds.post(pds.carla, f"@{BRAND} my order never arrived 📦")
    answer = pds.post(pds.brand, "So sorry Carla, checking now ^JD", reply_to=mention)
    follow_up = pds.post(pds.carla, "Thanks, it's order 12", reply_to=answer)
    quote = pds.post(pds.dan, "Same here", quote=announcement)
    keyword = pds.post(pds.dan, "Is Acme down again? #acmesupport")
    pds.post(pds.dan, "Acmeville has the best bakery")  # the search finds it, but it is not the word
    pds.post(pds.dan, f"@{BRAND} giveaway time!")  # excluded word
    pds.post(spammer, f"@{BRAND} buy followers")  # excluded account

    posts, _ = await poll_all(source)

    by_id = {p.external_id: p for p in posts}
    assert set(by_id) == {mention, follow_up, quote, keyword}
    assert len(posts) == 4  # the keyword post is found by two searches but handed out once
    assert by_id[mention].kind == "mention" and by_id[mention].thread_root_id == mention
    assert by_id[mention].reply_to_id is None and by_id[mention].text.endswith("📦")
    assert by_id[follow_up].kind == "reply" and by_id[follow_up].thread_root_id == mention
    assert by_id[follow_up].reply_to_id == answer
    assert by_id[quote].kind == "quote" and by_id[keyword].kind == "keyword"
    carla = by_id[mention].author
    assert (carla.handle, carla.name, carla.followers, carla.account_id) == (
        "carla.bsky.social", "Carla Díaz", 120, pds.carla.did)
    rkey = mention.rsplit("/", 1)[1]
    assert by_id[mention].url == f"https://bsky.app/profile/carla.bsky.social/post/{rkey}"
    assert by_id[mention].raw["cid"] == pds.records[mention]["cid"]
    searches = {seen.query["q"]: seen.query for seen in pds.seen("/xrpc/app.bsky.feed.searchPosts")}
    assert set(searches) == {"Acme", "acmee", "#acmesupport"}
    assert searches["#acmesupport"]["tag"] == "acmesupport" and "tag" not in searches["Acme"]
    assert searches["Acme"]["sort"] == "latest" and searches["Acme"]["since"] == "2026-11-01T08:45:00.000Z"
    assert pds.reasons_asked and all(asked == ["mention", "reply", "quote"] for asked in pds.reasons_asked)


async def test_pages_resume_after_a_crash_between_pages_without_gap_or_duplicate(db_url, tmp_path, pds, monkeypatch):
    monkeypatch.setenv("BLUESKY_HANDLE", BRAND)
    monkeypatch.setenv("BLUESKY_APP_PASSWORD", PASSWORD)
    runtime, _, clock = make_runtime(db_url, tmp_path, brand=BRAND_BLOCK, sources=[
        {"name": "bluesky", "type": "bluesky", "base_url": pds.base_url, "page_size": 3, "backfill": "2h"}])
    pds.clock = clock
    uris = [pds.post(pds.carla if n % 2 else pds.dan, f"@{BRAND} problem number {n}") for n in range(8)]
    source = runtime.sources["bluesky"]
    path = "/xrpc/app.bsky.notification.listNotifications"
    pds.fail(path, status=0, times=2)  # two pages answer normally (status 0 = no fault) ...
    pds.fail(path, status=502)  # ... then the network breaks in the middle of the sweep
    await poll_once(runtime.engine, runtime.config, source, clock)  # the notifications fail alone; search goes on
    assert stored(runtime) == set(uris[-6:])  # the two newest pages are safely stored with their cursor

    await source.close()
    restarted = build_source(runtime.config.sources[0], tmp_path, clock, brand=runtime.config.brand)  # a new process
    await poll_once(runtime.engine, runtime.config, restarted, clock)
    assert stored(runtime) == set(uris)

    clock.advance(timedelta(minutes=1))
    later = pds.post(pds.carla, f"@{BRAND} one more thing")
    assert await poll_once(runtime.engine, runtime.config, restarted, clock) == 1
    assert stored(runtime) == {*uris, later}
    await restarted.close()


async def test_posts_indexed_in_one_millisecond_are_each_read_once_across_pages(pds, clock):
    source = make_source(pds, clock, page_size=3)
    same = clock.now() - timedelta(minutes=1)
    uris = [pds.post(pds.carla, f"@{BRAND} burst {n}", indexed_at=same) for n in range(7)]
    posts, _ = await poll_all(source)
    assert sorted(p.external_id for p in posts) == sorted(uris)
    assert len(pds.seen("/xrpc/app.bsky.notification.listNotifications")) >= 3  # paged by the opaque keyset cursor
    await source.close()


async def test_the_next_sweep_starts_at_the_watermark_inclusive_and_drops_what_it_handed_out_by_uri(pds, clock):
    source = make_source(pds, clock, late_window=timedelta(0))  # the boundary alone
    first = pds.post(pds.carla, f"@{BRAND} first", indexed_at=clock.now() - timedelta(minutes=1))
    posts, cursor = await poll_all(source)
    assert [p.external_id for p in posts] == [first]
    # indexed in the very millisecond the last sweep ended on, after it ran
    twin = pds.post(pds.dan, f"@{BRAND} same moment", indexed_at=clock.now() - timedelta(minutes=1))
    posts, cursor = await poll_all(source, cursor)
    assert [p.external_id for p in posts] == [twin]
    posts, _ = await poll_all(source, cursor)
    assert posts == []
    await source.close()


def stored(runtime) -> set[str]:
    with Session(runtime.engine) as session:
        return set(session.exec(select(Post.external_id)).all())


async def test_a_post_from_a_slow_clock_arrives_late_and_is_still_read_once(pds, clock):
    source = make_source(pds, clock)
    first = pds.post(pds.carla, f"@{BRAND} first")
    posts, cursor = await poll_all(source)
    assert [p.external_id for p in posts] == [first]
    clock.advance(timedelta(minutes=5))
    # written "4 minutes ago" by a phone with a slow clock: it sorts below what the last poll saw
    late = pds.post(pds.dan, f"@{BRAND} late", created_at=clock.now() - timedelta(minutes=9))
    posts, cursor = await poll_all(source, cursor)
    assert [p.external_id for p in posts] == [late]
    posts, _ = await poll_all(source, cursor)
    assert posts == []


async def test_the_first_poll_backfills_the_configured_window_only(pds, clock):
    old = pds.post(pds.carla, f"@{BRAND} from last week", indexed_at=clock.now() - timedelta(days=7))
    recent = pds.post(pds.carla, f"@{BRAND} from this morning", indexed_at=clock.now() - timedelta(hours=3))
    posts, _ = await poll_all(make_source(pds, clock, backfill="1d"))
    assert {p.external_id for p in posts} == {recent}
    assert old not in {p.external_id for p in posts}


async def test_a_429_waits_for_the_ratelimit_reset_and_the_quota_is_shown(pds, clock):
    source = make_source(pds, clock)
    reset = int((clock.now() + timedelta(seconds=240)).timestamp())
    pds.headers.update({"RateLimit-Limit": "3000", "RateLimit-Remaining": "2000", "RateLimit-Reset": str(reset)})
    await source.poll(None)
    assert any(q.bucket == "app.bsky.notification.listNotifications" and q.remaining == 2000 and q.limit == 3000
               for q in source.quota())
    pds.fail("/xrpc/app.bsky.notification.listNotifications", status=429,
             headers={"RateLimit-Limit": "3000", "RateLimit-Remaining": "0", "RateLimit-Reset": str(reset)})
    limited = await source.poll(None)  # the notifications wait; the keyword searches go on
    (notifications,) = [feed for feed in limited.feeds if feed.failing]
    assert "rate limited (429)" in notifications.last_error
    wait = (notifications.next_try_at - clock.now()).total_seconds()
    assert 240 + RESET_MARGIN <= wait <= 240 * 1.2 + RESET_MARGIN
    asked = len(pds.seen("/xrpc/app.bsky.notification.listNotifications"))
    await poll_all(source, limited.cursor)
    assert len(pds.seen("/xrpc/app.bsky.notification.listNotifications")) == asked, "no hammering before the reset"
    await source.close()


@pytest.mark.parametrize("fault, message", [
    ({"status": 503}, "server error 503"),
    ({"status": 200, "body": "<html>not json"}, "malformed JSON"),
    ({"status": 200, "body": '{"cursor": "x"}'}, "without a list of notifications"),
    ({"status": 0, "delay": 1.5}, "did not answer within 1s"),
])
async def test_network_trouble_is_a_retryable_error_that_says_what_happened(pds, clock, fault, message):
    source = make_source(pds, clock, timeout="1s")
    await source.session.ensure()
    pds.fail("/xrpc/app.bsky.notification.listNotifications", **fault)
    page = await source.poll(None)  # the notifications fail alone
    (notifications,) = [feed for feed in page.feeds if feed.failing]
    assert message in notifications.last_error and not notifications.needs_action and page.has_more
    await source.close()


async def test_a_failing_stream_waits_alone_and_the_others_keep_flowing(pds, clock):
    source = make_source(pds, clock)
    pds.fail("/xrpc/app.bsky.notification.listNotifications", status=502, times=2)
    hit = pds.post(pds.dan, "acme is down for me too")
    posts, cursor = await poll_all(source)
    assert [p.external_id for p in posts] == [hit], "the keyword searches were swept while the notifications failed"
    clock.advance(timedelta(minutes=2))  # past the notifications' backoff: they fail once more
    mention = pds.post(pds.carla, f"@{BRAND} hello?")
    hashtag = pds.post(pds.dan, "#acmesupport my order")
    posts, cursor = await poll_all(source, cursor)
    assert [p.external_id for p in posts] == [hashtag]
    clock.advance(timedelta(minutes=5))
    posts, _ = await poll_all(source, cursor)
    assert mention in {p.external_id for p in posts}, "the notifications were read again once they worked"
    await source.close()


async def test_a_wrong_app_password_names_the_env_vars(pds, clock):
    source = make_source(pds, clock)
    source.session._password = "wrong"
    with pytest.raises(SourceError) as raised:
        await source.poll(None)
    assert not raised.value.retryable
    assert "Invalid identifier or password" in str(raised.value) and "BLUESKY_APP_PASSWORD" in str(raised.value)


async def test_missing_credentials_are_a_config_error(tmp_path):
    config = SourceConfig(name="bluesky", type="bluesky")
    with pytest.raises(ConfigError, match="BLUESKY_HANDLE is not set"):
        build_source(config, tmp_path, brand=BrandConfig(name="Acme"), env={})
    with pytest.raises(ConfigError, match="BLUESKY_APP_PASSWORD is not set"):
        build_source(config, tmp_path, brand=BrandConfig(name="Acme"), env={"BLUESKY_HANDLE": BRAND})


async def test_the_session_is_refreshed_before_it_expires_and_when_the_server_says_so(pds, clock):
    source = make_source(pds, clock)
    await source.poll(None)
    assert pds.logins == 1
    refreshes = lambda: len(pds.seen("/xrpc/com.atproto.server.refreshSession"))  # noqa: E731
    clock.advance(timedelta(hours=1, minutes=56))  # 4 minutes before the 2 h token expires
    await source.poll(None)
    assert refreshes() == 1
    pds.expire_sessions()  # revoked early, or the PDS's clock runs ahead
    await source.poll(None)
    assert refreshes() == 2
    pds.expire_sessions(refresh_too=True)
    await source.poll(None)
    assert pds.logins == 2  # both tokens gone: log in again with the app password
    await source.close()


async def test_odd_items_in_a_page_are_skipped_with_a_log_line_and_the_rest_kept(pds, clock, caplog):
    caplog.set_level(logging.INFO)
    source = make_source(pds, clock)
    good = pds.post(pds.carla, f"@{BRAND} hello")
    view = {**pds.view(good), "reason": "mention", "isRead": False}
    deleted = {**view, "uri": good + "x", "record": {"$type": "app.bsky.feed.like"}}
    no_author = {**view, "uri": good + "y", "author": None}
    no_time = {**view, "uri": good + "z", "indexedAt": "yesterday"}
    page = {"notifications": [view, deleted, no_author, no_time, "junk"]}
    pds.fail("/xrpc/app.bsky.notification.listNotifications", status=200, body=json.dumps(page))
    result = await source.poll(None)
    assert [p.external_id for p in result.posts] == [good]
    assert "not a readable post" in caplog.text and "no author" in caplog.text and "no indexedAt" in caplog.text
    await source.close()


ODD = "مرحبا @acme.bsky.social \u200b الطلب لم يصل 👩🏽‍💻 🇩🇪 e\u0301 " + "x" * 20_000


async def test_huge_and_odd_text_survives_unchanged(pds, clock):
    uri = pds.post(pds.carla, ODD)
    (post,) = (await source_poll_once(pds, clock)).posts
    assert post.external_id == uri and post.text == ODD


async def source_poll_once(pds, clock):
    source = make_source(pds, clock)
    try:
        return await source.poll(None)
    finally:
        await source.close()


@pytest.mark.parametrize("text, length", [
    ("Hello world!", 12),
    ("👨‍👩‍👧‍👦", 1),  # a ZWJ family is one grapheme (25 bytes)
    ("🇩🇪🇫🇷", 2),  # flags: two regional indicators each
    ("e\u0301", 1),  # e + combining acute
    ("ありがとうございます", 10),
    ("שלום עולם", 9),
    ("a\u200bb", 3),  # a zero-width space is a grapheme of its own
    ("x" * 300, 300),
    ("👨‍👩‍👧‍👦" * 120, 120),  # 3,000 bytes: just within the byte limit
    ("👨‍👩‍👧‍👦" * 121, 303),  # 3,025 bytes: over the byte limit, counted so the guard refuses it
])
def test_length_is_counted_in_graphemes_within_3000_bytes(text, length):
    assert count_length(text) == length


def test_record_keys_are_valid_tids_stable_per_key_and_installation_and_distinct():
    pairs = [(f"reply:{n}", install) for n in range(1000) for install in (INSTALL, "another-install")]
    rkeys = [record_key(k, install) for k, install in pairs]
    assert all(TID.match(r) for r in rkeys)
    assert len(set(rkeys)) == len(pairs)  # reply:7 of one install is not reply:7 of another
    assert record_key("reply:7", INSTALL) == record_key("reply:7", INSTALL)
    assert all(r < "3kaaaaaaaaaaa" for r in rkeys)  # before 2023: never one the PDS would hand out now


def reply_to(uri, key="reply:1", text="Sorry about that! ^JD"):
    return OutboundReply(key=key, text=text, in_reply_to=uri, thread_root_id=uri, customer_handle="carla.bsky.social")


async def test_a_reply_lands_under_the_post_with_root_parent_facets_and_language(pds, clock):
    root = pds.post(pds.carla, f"@{BRAND} my order never arrived")
    answer = pds.post(pds.brand, "Checking! ^JD", reply_to=root)
    follow_up = pds.post(pds.carla, "any news?", reply_to=answer)
    text = ("Héllo 👋 @carla.bsky.social, please see https://acme.example/help?x=1 for the steps. #acmesupport "
            "@nobody.bsky.social ^JD")  # enough words to tell the language (three are not)
    source = make_source(pds, clock)

    published = await source.publish_reply(reply_to(follow_up, text=text))

    record = pds.thread_of(published.external_id)
    assert strong_ref(record["reply"]["parent"]) == (follow_up, pds.records[follow_up]["cid"])
    assert strong_ref(record["reply"]["root"]) == (root, pds.records[root]["cid"])
    assert record["text"] == text and record["langs"] == ["en"] and record["createdAt"] == "2026-11-02T09:00:00.000Z"
    encoded = text.encode()
    spans = {encoded[f["index"]["byteStart"]:f["index"]["byteEnd"]].decode(): f["features"][0] for f in record["facets"]}
    assert spans == {
        "@carla.bsky.social": {"$type": "app.bsky.richtext.facet#mention", "did": pds.carla.did},
        "https://acme.example/help?x=1": {"$type": "app.bsky.richtext.facet#link", "uri": "https://acme.example/help?x=1"},
        "#acmesupport": {"$type": "app.bsky.richtext.facet#tag", "tag": "acmesupport"},
    }  # @nobody does not resolve: it stays plain text
    rkey = record_key("reply:1", INSTALL)
    assert published.external_id == f"at://{pds.brand.did}/app.bsky.feed.post/{rkey}"
    assert published.url == f"https://bsky.app/profile/{BRAND}/post/{rkey}"
    await source.close()


def strong_ref(ref: dict) -> tuple[str, str]:
    return ref["uri"], ref["cid"]


async def test_a_reply_whose_language_cannot_be_told_declares_none(pds, clock):
    root = pds.post(pds.carla, f"@{BRAND} my order never arrived")
    source = make_source(pds, clock)

    published = await source.publish_reply(reply_to(root, text="👍🙏 ^JD"))  # nothing to tell a language by: "und"

    record = pds.thread_of(published.external_id)
    assert record["text"] == "👍🙏 ^JD" and "langs" not in record
    await source.close()


async def test_publishing_twice_with_one_key_makes_one_post(pds, clock):
    mention = pds.post(pds.carla, f"@{BRAND} hello?")
    source = make_source(pds, clock)
    assert await source.find_published("reply:9", reply_to(mention, key="reply:9")) is None
    first = await source.publish_reply(reply_to(mention, key="reply:9"))
    again = await source.publish_reply(reply_to(mention, key="reply:9"))  # the PDS refuses the same key
    assert again.external_id == first.external_id
    assert (await source.find_published("reply:9", reply_to(mention, key="reply:9"))).external_id == first.external_id
    assert len(pds.posts_by(pds.brand)) == 1
    await source.close()


async def test_two_installations_answering_one_post_publish_two_replies(pds, clock):
    mention = pds.post(pds.carla, f"@{BRAND} hello?")
    staging, production = make_source(pds, clock, installation="staging"), make_source(pds, clock)

    ours = await production.publish_reply(reply_to(mention, key="reply:1", text="Production here ^JD"))
    theirs = await staging.publish_reply(reply_to(mention, key="reply:1", text="Staging here ^JD"))

    assert ours.external_id != theirs.external_id
    assert sorted(record["text"] for _, record in pds.posts_by(pds.brand)) == ["Production here ^JD", "Staging here ^JD"]
    assert (await staging.find_published("reply:1", reply_to(mention))).external_id == theirs.external_id
    await staging.close()
    await production.close()


async def test_a_record_under_the_key_that_answers_another_post_is_never_adopted(pds, clock):
    mention, other = pds.post(pds.carla, f"@{BRAND} hello?"), pds.post(pds.dan, f"@{BRAND} hi")
    pds.post(pds.brand, "Hi Dan! ^JD", reply_to=other, rkey=record_key("reply:3", INSTALL))  # e.g. a restored database
    source = make_source(pds, clock)

    with pytest.raises(SourceError, match=f"answers {other}, not {mention}; the reply was not published") as raised:
        await source.find_published("reply:3", reply_to(mention, key="reply:3"))
    assert not raised.value.retryable
    with pytest.raises(SourceError, match="Send it again with /reply") as raised:
        await source.publish_reply(reply_to(mention, key="reply:3"))
    assert not raised.value.retryable
    assert [record["reply"]["parent"]["uri"] for _, record in pds.posts_by(pds.brand)] == [other]
    await source.close()


async def test_replying_to_a_deleted_post_fails_for_good_with_the_reason(pds, clock):
    mention = pds.post(pds.carla, f"@{BRAND} hello?")
    pds.delete(mention)
    source = make_source(pds, clock)
    with pytest.raises(SourceError, match="was deleted") as raised:
        await source.publish_reply(reply_to(mention))
    assert not raised.value.retryable and pds.posts_by(pds.brand) == []
    await source.close()


async def test_private_messages_are_refused_with_what_to_do_instead(pds, clock):
    source = make_source(pds, clock)
    with pytest.raises(PrivateChannelUnavailable, match="Reply publicly asking the customer to DM"):
        await source.send_private(reply_to("at://x/app.bsky.feed.post/1"))


async def test_end_to_end_mention_to_chat_to_reply_in_the_thread_exactly_once(db_url, tmp_path, pds, monkeypatch):
    monkeypatch.setenv("BLUESKY_HANDLE", BRAND)
    monkeypatch.setenv("BLUESKY_APP_PASSWORD", PASSWORD)
    runtime, chat, clock = make_runtime(db_url, tmp_path, brand=BRAND_BLOCK, sources=[
        {"name": "bluesky", "type": "bluesky", "base_url": pds.base_url}])
    pds.clock = clock
    mention = pds.post(pds.carla, f"@{BRAND} my parcel is lost 😡")
    assert await poll_once(runtime.engine, runtime.config, runtime.sources["bluesky"], clock) == 1
    await runtime.outbox.drain_once()
    assert len(chat.parents) == 1 and "my parcel is lost" in str(chat.parents[0].body)

    outcome = await dispatch(runtime.desk, Request("reply", Actor("slack", "USAM"), 1, "So sorry, checking now"))
    assert outcome.ok, outcome.text
    source = runtime.sources["bluesky"]
    with dies_after_publishing(source, "died after the PDS stored the post"), pytest.raises(SimulatedCrash):
        for _ in range(5):
            await runtime.outbox.drain_once()
    clock.advance(timedelta(minutes=1))
    for _ in range(5):
        await runtime.outbox.drain_once()

    ((uri, record),) = pds.posts_by(pds.brand)
    assert record["text"] == "So sorry, checking now ^SL"
    assert record["reply"]["parent"]["uri"] == mention and record["reply"]["root"]["uri"] == mention
    with Session(runtime.engine) as session:
        (reply,) = session.exec(select(Reply)).all()
        assert reply.status == ReplyStatus.PUBLISHED and reply.external_id == uri
    await runtime.close()


async def test_a_reply_too_long_for_bluesky_is_held_with_the_limit_in_graphemes(db_url, tmp_path, pds, monkeypatch):
    monkeypatch.setenv("BLUESKY_HANDLE", BRAND)
    monkeypatch.setenv("BLUESKY_APP_PASSWORD", PASSWORD)
    runtime, _, clock = make_runtime(db_url, tmp_path, brand=BRAND_BLOCK, sources=[
        {"name": "bluesky", "type": "bluesky", "base_url": pds.base_url}])
    pds.clock = clock
    pds.post(pds.carla, f"@{BRAND} my parcel is lost")
    await poll_once(runtime.engine, runtime.config, runtime.sources["bluesky"], clock)

    text = "So sorry 🙏🏽" + " 🙏🏽" * 144  # 298 graphemes (443 code points): 302 with the signature " ^SL"
    outcome = await dispatch(runtime.desk, Request("reply", Actor("slack", "USAM"), 1, text))

    assert not outcome.ok
    assert "it is 302 graphemes and the network allows 300; shorten it by 2 graphemes" in outcome.text
    assert pds.posts_by(pds.brand) == []
    await runtime.close()


async def test_a_thread_gives_the_customers_posts_at_any_depth_since_a_time(pds, clock):
    root = pds.post(pds.carla, "My parcel never came", indexed_at=clock.now() - timedelta(hours=1))
    mention = pds.post(pds.carla, f"@{BRAND} can you help?", reply_to=root)
    chain = mention
    for n in range(6):  # deeper than any notification reaches
        chain = pds.post(pds.dan if n % 2 else pds.carla, f"reply {n}", reply_to=chain)
    gone = pds.post(pds.carla, "deleted later", reply_to=mention)
    under_gone = pds.post(pds.carla, "under a deleted post", reply_to=gone)
    pds.delete(gone)
    source = make_source(pds, clock)

    posts = await source.thread_posts(root, pds.carla.did, clock.now() - timedelta(minutes=5))

    assert [p.text for p in posts] == [f"@{BRAND} can you help?", "reply 0", "reply 2", "reply 4"]
    assert {p.kind for p in posts} == {"reply"} and {p.thread_root_id for p in posts} == {root}
    assert {p.author.account_id for p in posts} == {pds.carla.did} and under_gone not in {p.external_id for p in posts}
    (asked,) = pds.seen("/xrpc/app.bsky.feed.getPostThread")
    assert asked.query["depth"] == "1000" and asked.query["parentHeight"] == "0"
    await source.close()


async def test_a_thread_that_is_gone_has_no_posts(pds, clock):
    root = pds.post(pds.carla, f"@{BRAND} hello")
    pds.delete(root)
    source = make_source(pds, clock)
    assert await source.thread_posts(root, pds.carla.did, clock.now() - timedelta(hours=1)) == []
    await source.close()


async def test_follow_ups_no_notification_announces_join_the_conversation_and_the_reply_answers_the_latest(
        db_url, tmp_path, pds, monkeypatch):
    monkeypatch.setenv("BLUESKY_HANDLE", BRAND)
    monkeypatch.setenv("BLUESKY_APP_PASSWORD", PASSWORD)
    runtime, _, clock = make_runtime(db_url, tmp_path, brand=BRAND_BLOCK, sources=[
        {"name": "bluesky", "type": "bluesky", "base_url": pds.base_url}])
    pds.clock = clock
    source = runtime.sources["bluesky"]
    mention = pds.post(pds.carla, f"@{BRAND} my parcel is lost")
    gone = pds.post(pds.dan, f"@{BRAND} mine too")
    assert await poll_once(runtime.engine, runtime.config, source, clock) == 2
    pds.delete(gone)  # one thread gone does not keep the others from being read

    clock.advance(timedelta(minutes=2))
    pds.rename(pds.carla, "carla.example.com")  # a new handle: still Carla, by her DID
    own = pds.post(pds.carla, "It was order 12, sent on Monday", reply_to=mention)  # notifies nobody
    other = pds.post(pds.dan, "same here", reply_to=own)  # someone else in her thread: not her conversation
    assert await poll_once(runtime.engine, runtime.config, source, clock) == 1
    assert await poll_once(runtime.engine, runtime.config, source, clock) == 0  # read again, dropped by its URI

    with Session(runtime.engine) as session:
        posts = {p.external_id: p for p in session.exec(select(Post))}
        assert set(posts) == {mention, gone, own} and other not in posts
        assert posts[own].conversation_id == posts[mention].conversation_id
        assert posts[own].customer_id == posts[mention].customer_id
        customer = session.get(Customer, posts[own].customer_id)
        assert (customer.handle, customer.account_id) == ("carla.example.com", pds.carla.did)
        number = posts[own].conversation_id

    outcome = await dispatch(runtime.desk, Request("reply", Actor("slack", "USAM"), number, "Found it, on its way"))
    assert outcome.ok, outcome.text
    for _ in range(5):
        await runtime.outbox.drain_once()
    ((_, record),) = pds.posts_by(pds.brand)
    assert record["reply"]["parent"]["uri"] == own and record["reply"]["root"]["uri"] == mention
    await runtime.close()


async def test_a_thread_the_network_refuses_is_skipped_and_a_failing_one_waits_for_the_next_poll(db_url, tmp_path, pds,
                                                                                                monkeypatch, caplog):
    monkeypatch.setenv("BLUESKY_HANDLE", BRAND)
    monkeypatch.setenv("BLUESKY_APP_PASSWORD", PASSWORD)
    runtime, _, clock = make_runtime(db_url, tmp_path, brand=BRAND_BLOCK, sources=[
        {"name": "bluesky", "type": "bluesky", "base_url": pds.base_url}])
    pds.clock = clock
    source = runtime.sources["bluesky"]
    with session_scope(runtime.engine) as session:  # e.g. a row written by hand: its root is no at:// URI
        ingest(session, runtime.config, "bluesky", factories.post(network="bluesky", account_id="did:plc:odd",
                                                                  external_id="not-a-uri"), clock.now())
    mention = pds.post(pds.carla, f"@{BRAND} my parcel is lost")
    assert await poll_once(runtime.engine, runtime.config, source, clock) == 1
    own = pds.post(pds.carla, "order 12", reply_to=mention)
    assert await poll_once(runtime.engine, runtime.config, source, clock) == 1  # the odd thread held up nothing
    assert "skipped the thread not-a-uri" in caplog.text and "uri must be a valid at-uri" in caplog.text
    assert own in stored(runtime)

    pds.fail("/xrpc/app.bsky.feed.getPostThread", status=503, times=1)
    later = pds.post(pds.carla, "order 12, paid by card", reply_to=own)
    assert await poll_once(runtime.engine, runtime.config, source, clock) == 0  # the feeds' poll still succeeds...
    assert "threads stopped at" in caplog.text and "503" in caplog.text
    assert await poll_once(runtime.engine, runtime.config, source, clock) == 1  # ...and the next one reads the thread
    assert later in stored(runtime)
    await runtime.close()


async def test_accounts_whose_handle_failed_verification_are_told_apart_by_their_did(pds, clock):
    pds.rename(pds.carla, "handle.invalid")  # what the AppView shows for every such account
    pds.rename(pds.dan, "handle.invalid")
    carla, dan = pds.post(pds.carla, f"@{BRAND} one"), pds.post(pds.dan, f"@{BRAND} two")
    source = make_source(pds, clock)
    posts, _ = await poll_all(source)
    await source.close()
    by_id = {p.external_id: p for p in posts}
    assert [(by_id[uri].author.handle, by_id[uri].author.account_id) for uri in (carla, dan)] == [
        (pds.carla.did, pds.carla.did), (pds.dan.did, pds.dan.did)]
    assert by_id[carla].url == f"https://bsky.app/profile/{pds.carla.did}/post/{carla.rsplit('/', 1)[1]}"


async def test_verify_signs_in_and_reads_no_posts(pds, clock):
    source = make_source(pds, clock)
    assert await source.verify() == f"signed in as {BRAND} ({pds.brand.did})"
    assert [r.path for r in pds.requests] == ["/xrpc/com.atproto.server.createSession"]
    await source.close()
