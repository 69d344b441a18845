"""The Reddit source against a fake Reddit on 127.0.0.1 (tests/fakes/reddit_api.py)."""
from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest

from bot.settings import BrandConfig, ConfigError, SourceConfig
from bot.sources import build_source
from bot.sources.base import RESET_MARGIN, OutboundReply, SourceError
from bot.sources.reddit.source import RedditSource
from tests.auxil.clock import FakeClock
from tests.auxil.sources import poll_all
from tests.fakes.reddit_api import BRAND, CLIENT_ID, CLIENT_SECRET, PASSWORD, FakeReddit

ACME = BrandConfig(name="Acme", handles=["@acme"], misspellings=["acmee"], hashtags=["#acmesupport"])
ENV = {"REDDIT_CLIENT_ID": CLIENT_ID, "REDDIT_CLIENT_SECRET": CLIENT_SECRET,
       "REDDIT_USERNAME": BRAND, "REDDIT_PASSWORD": PASSWORD}


@pytest.fixture
async def reddit():
    async with FakeReddit(FakeClock()) as fake:
        yield fake


@pytest.fixture
async def make(reddit):
    """Builds Reddit sources pointed at the fake, and closes them after the test."""
    built: list[RedditSource] = []

    def build(env=None, **options) -> RedditSource:
        config = SourceConfig(name="reddit", type="reddit", base_url=reddit.base_url, auth_url=reddit.base_url, **options)
        source = build_source(config, Path("."), reddit.clock, brand=ACME, env={**ENV, **(env or {})})
        built.append(source)
        return source

    yield build
    for source in built:
        await source.close()


def reply(text, in_reply_to, *, key="reply:1", private=False, to="u/carla"):
    return OutboundReply(key=key, text=text, in_reply_to=in_reply_to, thread_root_id=in_reply_to,
                         customer_handle=to, private=private)


async def test_mentions_replies_messages_and_keywords_become_posts(reddit, make, caplog):
    source = make(subreddits=["r/acme"], exclude_accounts=["u/spammer"], exclude_words=["giveaway"])
    reddit.clock.advance(timedelta(minutes=5))
    brand_post = reddit.submission(BRAND, "Scheduled maintenance tonight")
    question = reddit.submission("carla", "Is Acme down for anyone else?", "Can't log in since noon")
    brand_answer = reddit.comment(BRAND, "We're looking into it!", question)
    follow_up = reddit.comment("carla", "Still broken for me", brand_answer)
    on_brand_post = reddit.comment("dan", "How long will it take?", brand_post)
    mention = reddit.comment("erin", "u/AcmeSupport my invoice is wrong", question)
    dm = reddit.message("finn", BRAND, "Refund for order", "Could you refund order 1234?")
    in_sub = reddit.comment("gus", "I switched to acmee last year", question)
    reply_with_keyword = reddit.comment("lee", "acme, please hurry", brand_post)
    reddit.submission("hana", "Acmeville tourism", "no brand here")  # fuzzy search hit, not the keyword
    reddit.submission("spammer", "Acme deals", "cheap")
    reddit.submission("ivan", "Acme giveaway!!!", "win")
    reddit.submission("jo", "Acme crosspost", "", crosspost_parent="t3_zzz")
    reddit.message("reddit", BRAND, "Media processed", "Your video is live", distinguished="admin")
    gone = reddit.comment("kai", "u/AcmeSupport you suck", question)
    reddit.delete(gone)
    reddit.comment("AutoModerator", "Thanks for posting about Acme! Read the rules.", question, distinguished="moderator")
    reddit.comment("AutoModerator", "Reminder: be civil.", brand_answer, distinguished="moderator")  # in the inbox
    reddit.clock.advance(timedelta(minutes=1))

    with caplog.at_level(logging.INFO, logger="bot.sources.reddit.source"):
        posts, _ = await poll_all(source)
    by_id = {p.external_id: p for p in posts}
    assert len(by_id) == len(posts), "no post twice in one round"
    assert set(by_id) == {question, follow_up, on_brand_post, mention, dm, in_sub, reply_with_keyword}

    assert (by_id[follow_up].kind, by_id[follow_up].thread_root_id, by_id[follow_up].reply_to_id) == \
        ("reply", question, brand_answer)
    assert (by_id[on_brand_post].kind, by_id[on_brand_post].thread_root_id) == ("reply", brand_post)
    assert (by_id[mention].kind, by_id[mention].thread_root_id, by_id[mention].reply_to_id) == ("mention", question, question)
    assert (by_id[dm].kind, by_id[dm].thread_root_id, by_id[dm].reply_to_id) == ("direct", dm, None)
    assert by_id[dm].text == "Refund for order\n\nCould you refund order 1234?"
    assert (by_id[follow_up].author.handle, by_id[follow_up].author.account_id) == ("u/carla", "t2_carla")
    assert (by_id[question].kind, by_id[question].thread_root_id, by_id[question].reply_to_id) == ("keyword", question, None)
    assert by_id[question].text == "Is Acme down for anyone else?\n\nCan't log in since noon"
    assert (by_id[in_sub].kind, by_id[in_sub].thread_root_id, by_id[in_sub].reply_to_id) == ("keyword", question, question)
    assert by_id[reply_with_keyword].kind == "reply", "read from the inbox first, not again as a keyword hit"

    permalink = reddit.things[follow_up]["data"]["permalink"]
    assert by_id[follow_up].url == "https://www.reddit.com" + permalink
    assert by_id[question].url.startswith("https://www.reddit.com/r/acme/comments/")
    assert by_id[dm].url == f"https://www.reddit.com/message/messages/{dm[3:]}"
    assert by_id[follow_up].author.handle == "u/carla" and by_id[follow_up].author.name == "carla"
    assert by_id[follow_up].author.account_id == reddit.things[follow_up]["data"]["author_fullname"]
    assert [p.created_at for p in posts] == sorted(p.created_at for p in posts), "oldest first within a feed"
    assert f"skipping {gone}: deleted or removed" in caplog.text
    assert "Media processed" not in {p.text.split("\n")[0] for p in posts}


async def test_direct_messages_can_be_left_out(reddit, make):
    source = make(direct_messages=False)
    reddit.message("finn", BRAND, "Hello", "a private question")
    mention = reddit.comment("erin", "u/AcmeSupport hi", reddit.submission("erin", "hi"))
    posts, _ = await poll_all(source)
    assert [p.external_id for p in posts] == [mention]


async def test_a_second_poll_brings_only_what_is_new(reddit, make):
    source = make()
    first = reddit.submission("carla", "acme help", "")
    posts, cursor = await poll_all(source)
    assert [p.external_id for p in posts] == [first]
    assert (await poll_all(source, cursor))[0] == []
    reddit.clock.advance(timedelta(seconds=30))
    second = reddit.submission("dan", "acme again", "")
    posts, cursor = await poll_all(source, cursor)
    assert [p.external_id for p in posts] == [second]


async def test_pages_back_through_listings_with_after(reddit, make):
    source = make(page_size=2)
    post = reddit.submission("carla", "thread", "")
    mentions = []
    for n in range(7):
        reddit.clock.advance(timedelta(seconds=10))
        mentions.append(reddit.comment(f"user{n}", f"u/AcmeSupport question {n}", post))
    posts, _ = await poll_all(source)
    assert [p.external_id for p in posts] == mentions
    afters = [r.query.get("after") for r in reddit.seen("/message/inbox")]
    assert afters[0] is None and len(afters) == 4 and all(afters[1:])
    assert all(r.query["limit"] == "2" and r.query["raw_json"] == "1" for r in reddit.seen("/message/inbox"))


async def test_first_poll_backfills_only_the_configured_window(reddit, make):
    source = make(backfill="2h")
    old = reddit.submission("carla", "acme three hours ago", "", at=reddit.clock.now() - timedelta(hours=3))
    recent = reddit.submission("dan", "acme an hour ago", "", at=reddit.clock.now() - timedelta(hours=1))
    posts, _ = await poll_all(source)
    assert [p.external_id for p in posts] == [recent] and old not in {p.external_id for p in posts}


async def test_late_indexed_search_results_and_deleted_anchors_leave_no_gap(reddit, make):
    source = make()
    reddit.submission("carla", "acme one", "")
    reddit.clock.advance(timedelta(minutes=5))
    newest = reddit.submission("dan", "acme two", "")
    _, cursor = await poll_all(source)
    # Reddit's search indexes late: a post from 3 minutes before the newest one shows up only now.
    late = reddit.submission("erin", "acme late", "", at=reddit.clock.now() - timedelta(minutes=3))
    reddit.delete(newest)  # the newest item seen is gone; a `before=` cursor would now see nothing
    reddit.clock.advance(timedelta(minutes=1))
    fresh = reddit.submission("finn", "acme fresh", "")
    posts, cursor = await poll_all(source, cursor)
    assert [p.external_id for p in posts] == [late, fresh]
    assert (await poll_all(source, cursor))[0] == []


async def test_odd_text_survives_and_hidden_characters_do_not_hide_keywords(reddit, make):
    source = make(subreddits=["acme"])
    odd = "مرحبا A\u200bcme 🧑‍🧑‍🧒 \u202eRTL\u202c " + "x" * 40_000
    thread = reddit.submission("dan", "عميل", "")
    hidden = reddit.comment("carla", odd, thread)
    wide = reddit.comment("erin", "ＡＣＭＥ לא עובד", thread)
    posts, _ = await poll_all(source)
    assert [(p.external_id, p.text) for p in posts] == [(hidden, odd), (wide, "ＡＣＭＥ לא עובד")]


@pytest.mark.parametrize("stored", ["not json{", '{"feeds": {"inbox": {"at": "x"}}}', '{"feeds": []}', "[]"])
async def test_unreadable_cursor_starts_again_from_the_backfill(reddit, make, caplog, stored):
    source = make()
    hit = reddit.submission("carla", "acme", "")
    posts, _ = await poll_all(source, stored)
    assert [p.external_id for p in posts] == [hit]
    assert "stored cursor is unreadable" in caplog.text


async def test_more_new_items_than_reddit_lists_are_taken_as_far_as_it_goes(reddit, make, monkeypatch, caplog):
    monkeypatch.setattr("bot.sources.reddit.source.LISTING_DEPTH", 4)
    source = make(page_size=2)
    thread = reddit.submission("dan", "thread", "")
    mentions = []
    for n in range(7):
        reddit.clock.advance(timedelta(seconds=1))
        mentions.append(reddit.comment(f"user{n}", f"u/{BRAND} hi {n}", thread))
    posts, _ = await poll_all(source)
    assert [p.external_id for p in posts] == mentions[-4:]
    assert len(reddit.seen("/message/inbox")) == 2 and "more than 4 new items in inbox" in caplog.text


# --- errors ---------------------------------------------------------------------------------

async def test_429_waits_for_reddits_reset(reddit, make):
    source = make()
    reddit.fail("/message/inbox", status=429, headers={"x-ratelimit-used": "1000", "x-ratelimit-remaining": "0.0",
                                                      "x-ratelimit-reset": "240"})
    page = await source.poll(None)
    inbox = _feed(page, "inbox")
    assert "rate limited (429)" in inbox.last_error and not inbox.needs_action
    assert 240 + RESET_MARGIN <= (inbox.next_try_at - source.clock.now()).total_seconds() <= 288 + RESET_MARGIN


async def test_a_used_up_window_answers_429_until_it_resets(reddit, make):
    source = make()
    post = reddit.submission("carla", "Acme?", "")
    await source.poll(None)
    reddit.used = 1000  # writes may use the last 5 %, and this one finds the window used up
    with pytest.raises(SourceError, match=r"rate limited \(429\)") as limited:
        await source.publish_reply(reply("Hi ^JD", post))
    reset = 600 - int(reddit.clock.now().timestamp()) % 600
    assert limited.value.retryable and reset + RESET_MARGIN <= limited.value.retry_after <= reset * 1.2 + RESET_MARGIN
    assert not reddit.brand_comments()
    reddit.clock.advance(timedelta(seconds=reset))
    assert (await source.publish_reply(reply("Hi ^JD", post))).external_id.startswith("t1_")


async def test_reads_pause_before_the_limit(reddit, make):
    source = make()
    await source.poll(None)
    reddit.used = 960  # 40 of 1000 left after the next call: under 5 %, kept for replies
    await source.poll(None)
    (quota,) = source.quota()
    assert quota.bucket == "api" and quota.remaining < 50
    calls = len(reddit.requests)
    held = await source.poll(None)
    (feed,) = [feed for feed in held.feeds if feed.failing]
    assert "rate limit nearly used" in feed.last_error and feed.next_try_at > source.clock.now()
    assert len(reddit.requests) == calls


@pytest.mark.parametrize("fault,retryable,words", [
    ({"status": 503, "body": "<html>upstream down</html>"}, True, "server error 503"),
    ({"status": 200, "body": '{"kind": "Listing", "data": {"children": ['}, True, "malformed JSON"),
    ({"status": 200, "body": '{"message": "Not Found"}'}, True, "did not answer with a Listing"),
    ({"status": 403, "body": '{"message": "Forbidden", "error": 403}'}, False, "refused (403: Forbidden)"),
    ({"status": 0, "delay": 1.0}, True, "did not answer within"),
])
async def test_failures_are_clear_source_errors(reddit, make, fault, retryable, words):
    source = make(timeout=0.3)
    await source.poll(None)  # logged in
    reddit.fail("/message/inbox", **fault)
    inbox = _feed(await source.poll(None), "inbox")  # the inbox fails alone
    assert inbox.needs_action is not retryable and words in inbox.last_error
    assert inbox.last_error.startswith("Reddit")


def _feed(page, name):
    return next(feed for feed in page.feeds if feed.name == name)


async def test_a_child_that_does_not_parse_is_skipped_not_the_page(reddit, make, caplog):
    source = make()
    good = reddit.submission("carla", "acme", "")
    reddit.things["t3_broken"] = {"kind": "t3", "data": {"name": "t3_broken", "author": "x", "title": "acme, no date",
                                                        "selftext": ""}}
    with caplog.at_level(logging.WARNING):
        posts, _ = await poll_all(source)
    assert [p.external_id for p in posts] == [good] and "does not parse" in caplog.text


async def test_wrong_password_names_the_variables(reddit, make):
    source = make(env={"REDDIT_PASSWORD": "wrong"})
    with pytest.raises(SourceError) as refused:
        await source.poll(None)
    assert not refused.value.retryable
    assert "invalid_grant" in str(refused.value) and "REDDIT_PASSWORD" in str(refused.value)
    assert not reddit.seen("/message/inbox")


async def test_wrong_client_secret_names_the_variables(reddit, make):
    source = make(env={"REDDIT_CLIENT_SECRET": "nope"})
    with pytest.raises(SourceError) as refused:
        await source.poll(None)
    assert not refused.value.retryable and "401" in str(refused.value) and "REDDIT_CLIENT_SECRET" in str(refused.value)


async def test_token_is_renewed_before_it_expires_and_once_on_401(reddit, make):
    source = make()
    await source.poll(None)
    assert len(reddit.seen("/api/v1/access_token")) == 1
    await source.poll(None)
    assert len(reddit.seen("/api/v1/access_token")) == 1, "a valid token is reused"
    reddit.clock.advance(timedelta(seconds=86400 - 30))  # within the last minute of its day
    await source.poll(None)
    assert len(reddit.seen("/api/v1/access_token")) == 2
    reddit.expire_tokens()  # revoked on Reddit's side
    page = await source.poll(None)
    assert page.cursor and len(reddit.seen("/api/v1/access_token")) == 3
    token_call = reddit.seen("/api/v1/access_token")[0]
    assert b"grant_type=password" in token_call.body and token_call.headers["Authorization"].startswith("Basic ")


async def test_user_agent_names_socialdesk_and_the_account_or_is_configured(reddit, make):
    await make().poll(None)
    agent = reddit.requests[-1].headers["User-Agent"]
    assert agent.startswith("python:socialdesk:") and agent.endswith(f"(by /u/{BRAND})")
    await make(user_agent="web:acme-desk:1.0 (by /u/acme_ops)").poll(None)
    assert reddit.requests[-1].headers["User-Agent"] == "web:acme-desk:1.0 (by /u/acme_ops)"


def test_missing_credentials_and_unknown_keys_are_config_errors(reddit):
    config = SourceConfig(name="reddit", type="reddit")
    with pytest.raises(ConfigError, match="REDDIT_PASSWORD is not set"):
        build_source(config, Path("."), brand=ACME, env={k: v for k, v in ENV.items() if k != "REDDIT_PASSWORD"})
    with pytest.raises(ConfigError, match="sources.reddit.subreddit: unknown key"):
        build_source(SourceConfig(name="reddit", type="reddit", subreddit="acme"), Path("."), brand=ACME, env=ENV)
    with pytest.raises(ConfigError, match="ACME_CLIENT_ID is not set"):
        build_source(SourceConfig(name="reddit", type="reddit", credentials="ACME"), Path("."), brand=ACME, env=ENV)


# --- publishing ------------------------------------------------------------------------------

async def test_reply_lands_under_the_customers_comment_with_markdown_escaped(reddit, make):
    source = make()
    post = reddit.submission("carla", "Acme broke", "")
    comment = reddit.comment("carla", "still broken", post)
    published = await source.publish_reply(reply("#1 fix: restart *then* log in ^JD", comment))
    (mine,) = reddit.brand_comments()
    assert mine["parent_id"] == comment and mine["link_id"] == post
    assert mine["body"] == r"\#1 fix: restart \*then\* log in \^JD"
    assert published.external_id == mine["name"]
    assert published.url == "https://www.reddit.com" + mine["permalink"]
    sent = reddit.seen("/api/comment", "POST")[0]
    assert b"api_type=json" in sent.body and sent.query["raw_json"] == "1"


async def test_markdown_option_sends_the_text_as_typed(reddit, make):
    source = make(markdown=True)
    post = reddit.submission("carla", "Acme broke", "")
    await source.publish_reply(reply("**Fixed**, see [status](https://status.acme.example) ^JD", post))
    assert reddit.brand_comments()[0]["body"] == "**Fixed**, see [status](https://status.acme.example) ^JD"
    assert source.count_length("**a**") == 5


async def test_private_handoff_composes_a_message(reddit, make):
    source = make(message_subject="{brand} support: your post")
    post = reddit.submission("carla", "Acme charged me twice", "")
    published = await source.send_private(reply("Hi Carla, we'll refund you. ^JD", post, private=True))
    (message,) = reddit.brand_messages()
    assert message["dest"] == "carla" and message["subject"] == "Acme support: your post"
    assert message["body"] == r"Hi Carla, we'll refund you. \^JD"
    assert published.external_id == message["name"] and "/message/messages/" in published.url


async def test_answer_to_a_private_message_stays_in_that_conversation(reddit, make):
    source = make()
    dm = reddit.message("finn", BRAND, "Refund", "please")
    for send in (source.publish_reply, source.send_private):
        await send(reply("Done!", dm, private=send == source.send_private, to="u/finn"))
    assert [(m["parent_id"], m["dest"], m["first_message_name"]) for m in reddit.brand_messages()] == [(dm, "finn", dm)] * 2
    assert not reddit.seen("/api/compose")


@pytest.mark.parametrize("error,retry_after,words", [
    (["RATELIMIT", "Looks like you've been doing that a lot. Take a break for 9 minutes before trying again.",
      "ratelimit"], 541, "trying again in 541s"),
    (["RATELIMIT", "you are doing that too much. try again in 30 seconds.", "ratelimit"], 31, "in 31s"),
    (["THREAD_LOCKED", "Comments are locked.", "parent"], None, "the thread is locked; answer privately with `--private`"),
    (["DELETED_COMMENT", "that comment has been deleted", "parent"], None, "the customer deleted their comment"),
    (["TOO_OLD", "that's a piece of history now; it's too late to reply to it", "parent"], None, "archived"),
    (["SOMETHING_NEW", "", "text"], None, "refused: SOMETHING_NEW"),
])
async def test_refusals_inside_200_become_clear_errors(reddit, make, error, retry_after, words):
    source = make()
    post = reddit.submission("carla", "Acme", "")
    reddit.errors["/api/comment"] = error
    with pytest.raises(SourceError) as refused:
        await source.publish_reply(reply("Sorry ^JD", post))
    assert words in str(refused.value) and str(refused.value).startswith("Reddit POST /api/comment refused")
    assert refused.value.retry_after == retry_after and refused.value.retryable is (retry_after is not None)
    assert not reddit.brand_comments()


async def test_locked_thread_from_the_fake_and_compose_errors(reddit, make):
    source = make()
    post = reddit.submission("carla", "Acme", "")
    reddit.locked.add(post)
    with pytest.raises(SourceError, match="locked"):
        await source.publish_reply(reply("Hi ^JD", post))
    reddit.errors["/api/compose"] = ["NOT_WHITELISTED_BY_USER_MESSAGE", "Can't send a message to that user.", "to"]
    with pytest.raises(SourceError, match="only accepts private messages from people they allow"):
        await source.send_private(reply("Hi ^JD", post, private=True))


async def test_the_fakes_own_refusals_reach_the_agent_as_reddit_words_them(reddit, make):
    """Archived, deleted, banned, too fast, too long: each as the fake (like Reddit) refuses it, nothing posted."""
    source = make()
    old, gone, elsewhere = (reddit.submission("carla", title, "") for title in ("Acme 2019", "Acme?", "Acme!"))
    reddit.archived.add(old)
    reddit.delete(gone)
    reddit.things[elsewhere]["data"]["subreddit"] = "strict"
    reddit.banned_from.add("strict")
    for target, words, retryable in [
        (old, "(TOO_OLD); the thread is archived and takes no new comments; answer privately", False),
        (gone, "the link you are commenting on has been deleted (DELETED_LINK); the post was deleted", False),
        (elsewhere, "refused (403: Forbidden); the brand's account may not comment there", False),
    ]:
        with pytest.raises(SourceError) as refused:
            await source.publish_reply(reply("Hi ^JD", target))
        assert words in str(refused.value) and refused.value.retryable is retryable
    with pytest.raises(SourceError, match=r"this is too long \(max: 10000\) \(TOO_LONG\); shorten the reply"):
        await source.publish_reply(reply("a" * 10_001, old, key="long"))
    with pytest.raises(SourceError, match=r"\(TOO_LONG\); shorten the reply"):
        await source.send_private(reply("a" * 10_001, old, key="long", private=True))
    assert not reddit.brand_comments() and not reddit.brand_messages()


async def test_a_new_accounts_comment_pace_is_waited_out(reddit, make):
    source = make()
    reddit.comment_interval = 600
    first, second = reddit.submission("carla", "Acme", ""), reddit.submission("dan", "Acme", "")
    await source.publish_reply(reply("Hi ^JD", first))
    with pytest.raises(SourceError, match="trying again in 601s") as paced:
        await source.publish_reply(reply("Hello ^JD", second, key="reply:2"))
    assert paced.value.retryable and paced.value.retry_after == 601
    reddit.clock.advance(timedelta(minutes=10))
    assert (await source.publish_reply(reply("Hello ^JD", second, key="reply:2"))).external_id.startswith("t1_")


async def test_find_published_finds_the_comment_or_message_after_a_crash(reddit, make):
    source = make()
    post = reddit.submission("carla", "Acme", "")
    assert await source.find_published("reply:1", reply("Sorry *again* ^JD", post)) is None
    published = await source.publish_reply(reply("Sorry *again* ^JD", post))
    found = await make().find_published("reply:1", reply("Sorry *again* ^JD", post))  # a restarted process
    assert found == published
    assert await source.find_published("reply:2", reply("Different text ^JD", post, key="reply:2")) is None
    private = await source.send_private(reply("Let's talk ^JD", post, key="reply:3", private=True))
    assert await source.find_published("reply:3", reply("Let's talk ^JD", post, key="reply:3", private=True)) == private
    assert await source.find_published("reply:3", reply("Let's talk ^JD", post, key="reply:3")) is None, \
        "a public reply is not taken for the private one"


async def test_find_published_ignores_an_identical_older_message(reddit, make):
    source = make()
    post = reddit.submission("carla", "Acme", "")
    reddit.message(BRAND, "carla", "Acme support", r"Please DM us \^JD", at=reddit.clock.now() - timedelta(days=1))
    reddit.comment(BRAND, r"Please DM us \^JD", post, at=reddit.clock.now() - timedelta(days=1))
    now = reddit.clock.now()
    for private in (True, False):
        queued = OutboundReply(key="reply:9", text="Please DM us ^JD", in_reply_to=post, thread_root_id=post,
                               customer_handle="u/carla", private=private, queued_at=now)
        assert await source.find_published("reply:9", queued) is None


def test_length_is_reddits_10000_characters_of_the_markdown_sent(make):
    source = make()
    assert source.max_length == 10_000
    assert source.count_length("🧑‍🧑‍🧒") == 5  # code points, as Reddit counts
    assert source.count_length("a" * 10_000) == 10_000
    assert source.count_length("*" * 10) == 20, "each escape counts"
    assert source.count_length("see https://acme.example/a_b_c") == len("see https://acme.example/a_b_c")


def test_feeds_cover_inbox_subreddits_and_keyword_queries_within_512_characters(make):
    source = make(subreddits=["acme", "r/acmehelp"])
    assert list(source.feeds) == ["inbox", "comments:acme+acmehelp", "search:Acme OR acmee OR acmesupport"]
    many = make(keywords=[f"acme product {n}" for n in range(60)])
    queries = [feed.params["q"] for feed in many.feeds.values() if feed.key.startswith("search:")]
    assert len(queries) > 1 and all(len(q) <= 512 for q in queries)
    assert sum(q.count('"') for q in queries) == 120, "every multi-word keyword is searched as a quoted phrase"
