"""The X source against a fake X API v2 on 127.0.0.1 (tests/fakes/x_api.py): reading, paging, limits, answering."""
from __future__ import annotations

import json
import logging
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.ingest.poller import poll_once
from bot.settings import BrandConfig, ConfigError
from bot.sources.base import RESET_MARGIN, OutboundReply, SourceError
from bot.sources.options import SourceContext
from bot.sources.x.source import XOptions, build, search_query
from bot.views import Notice
from handlers import dispatch
from handlers.context import Actor, Request
from storage.models import Post, Reply, ReplyStatus
from tests.auxil.clock import FakeClock
from tests.auxil.desk import drain, make_runtime
from tests.auxil.sources import dies_after_publishing, poll_all, poll_with_unparsed
from tests.fakes.chat import SimulatedCrash
from tests.fakes.x_api import FakeX

USER_ENV = {"X_API_KEY": "api-key", "X_API_SECRET": "api-secret", "X_ACCESS_TOKEN": "access-token",
            "X_ACCESS_TOKEN_SECRET": "access-token-secret"}
BEARER_ENV = {"X_BEARER_TOKEN": "bearer-token"}
BRAND = BrandConfig(name="Acme", handles=["@acme", "@acmehelp"], misspellings=["acmee"], hashtags=["#acmesupport"])
MENTIONS = "/2/users/1000/mentions"


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
async def fake(clock):
    async with FakeX(clock) as server:
        yield server


def make(fake, clock, env=USER_ENV, **options):
    context = SourceContext(name="x", type="x", options={"base_url": fake.base_url, "timeout": "1s", **options},
                            brand=BRAND, base_dir=Path("."), clock=clock, env=env)
    return build(context)


def reply_to(post_id: str, text: str = "So sorry! We're on it ^JD", **extra) -> OutboundReply:
    return OutboundReply(key="reply:1", text=text, in_reply_to=post_id, thread_root_id=extra.pop("root", post_id),
                         customer_handle=extra.pop("handle", "carla"), **extra)


async def test_mentions_replies_quotes_keywords_and_dms_become_the_right_posts(fake, clock):
    carla, bo, dan = fake.add_user("carla", "Carla Díaz", followers=120), fake.add_user("bo"), fake.add_user("dan")
    helper, spammer = fake.add_user("acmehelp"), fake.add_user("spambot")
    launch = fake.post(fake.brand, "Our new app is out!", minutes_ago=120)
    first = fake.post(carla, "@acme my order never arrived & I'm <upset>", minutes_ago=60)
    follow_up = fake.post(carla, "@acme still nothing?", minutes_ago=50, reply_to=first)
    answer = fake.post(bo, "@acme the app crashes on start", minutes_ago=40, reply_to=launch)
    quote = fake.post(dan, "@acme look at this", quote=launch, minutes_ago=35)
    keyword = fake.post(dan, "Acmee support is slow today #fail", minutes_ago=30)
    fake.post(dan, "Visiting acmeville this weekend", minutes_ago=29)  # search is fuzzy; not a whole-word hit
    fake.post(bo, "RT @acme: Our new app is out!", retweet_of=launch, minutes_ago=28)
    fake.post(helper, "@acme we are on it", minutes_ago=27)  # the brand's own second account
    fake.post(spammer, "@acme buy followers", minutes_ago=26)
    fake.post(bo, "@acme giveaway now!!", minutes_ago=25)
    dm = fake.dm(carla, "Hi, order #123 is missing", minutes_ago=10)
    fake.dm(fake.brand, "Happy to help", to=carla, minutes_ago=5)
    source = make(fake, clock, exclude_accounts=["spambot"], exclude_words=["giveaway"])

    posts, _ = await poll_all(source)

    got = {p.external_id: p for p in posts}
    assert set(got) == {first, follow_up, answer, quote, keyword, dm}
    assert [(got[i].kind, got[i].thread_root_id, got[i].reply_to_id) for i in (first, follow_up, answer, quote)] == [
        ("mention", first, None), ("mention", first, first), ("reply", launch, launch), ("quote", quote, None)]
    assert got[first].text == "@acme my order never arrived & I'm <upset>"  # X's &amp; &lt; &gt; undone
    assert got[first].url == f"https://x.com/carla/status/{first}"
    assert (got[first].author.handle, got[first].author.name, got[first].author.followers) == ("carla", "Carla Díaz", 120)
    assert {got[i].author.account_id for i in (first, dm)} == {carla} and got[answer].author.account_id == bo
    assert got[keyword].kind == "keyword" and got[dm].kind == "direct"
    assert got[dm].thread_root_id == f"dm:1000-{carla}" and got[dm].url == f"https://x.com/messages/1000-{carla}"
    assert got[first].created_at == clock.now() - timedelta(minutes=60)
    (search,) = fake.seen("/2/tweets/search/recent")
    assert search.query["query"] == ('(Acme OR acmee OR #acmesupport) -is:retweet -from:acme -from:acmehelp '
                                     '-from:spambot -@acme -@acmehelp -giveaway')
    assert search.query["start_time"] == "2026-11-01T09:00:00Z"  # the one-day backfill
    assert "conversation_id" in search.query["tweet.fields"] and "author_id" in search.query["expansions"]


async def test_reposts_are_kept_when_configured(fake, clock):
    bo = fake.add_user("bo")
    retweet = fake.post(bo, "RT @carla: @acme is great", retweet_of=fake.post(bo, "x", minutes_ago=9), minutes_ago=8)
    posts, _ = await poll_all(make(fake, clock, include_reposts=True, keywords=[], direct_messages=False))
    assert [p.external_id for p in posts] == [retweet]


async def test_pages_resume_after_a_failure_mid_round_without_gap_or_duplicate(db_url, tmp_path, fake, clock):
    runtime, _, _ = make_runtime(db_url, tmp_path)
    fans = [fake.add_user(f"fan{n}") for n in range(12)]
    posted = [fake.post(user, f"@acme question {n}", minutes_ago=100 - n) for n, user in enumerate(fans)]
    source = make(fake, clock, page_size=5, keywords=[], direct_messages=False)
    real_poll, calls = source.poll, []

    async def second_page_fails(cursor):
        calls.append(cursor)
        if len(calls) == 2:
            fake.fail(MENTIONS, status=503, body='{"title": "Service Unavailable", "status": 503}')
        return await real_poll(cursor)

    source.poll = second_page_fails
    with pytest.raises(SourceError, match="server error 503"):
        await poll_once(runtime.engine, runtime.config, source, clock)
    assert stored(runtime) == sorted(posted[-5:])  # the newest page is stored with its cursor

    late = fake.post(fake.add_user("late"), "@acme anyone there?")  # arrives during the outage
    restarted = make(fake, clock, page_size=5, keywords=[], direct_messages=False)
    assert await poll_once(runtime.engine, runtime.config, restarted, clock) == 7
    assert stored(runtime) == sorted(posted)
    resumed = fake.seen(MENTIONS)[-2]
    assert resumed.query["pagination_token"] and resumed.query["start_time"] == "2026-11-01T09:00:00Z"

    assert await poll_once(runtime.engine, runtime.config, restarted, clock) == 1
    assert fake.seen(MENTIONS)[-1].query["since_id"] == posted[-1]
    assert stored(runtime) == sorted(posted + [late])


def stored(runtime) -> list[str]:
    with Session(runtime.engine) as session:
        return sorted(session.exec(select(Post.external_id)).all())


async def test_search_pages_with_next_token_and_the_same_window(fake, clock):
    dan = fake.add_user("dan")
    hits = [fake.post(dan, f"acme idea number {n}", minutes_ago=50 - n) for n in range(13)]
    posts, _ = await poll_all(make(fake, clock, mentions=False, direct_messages=False, page_size=5))
    assert sorted(p.external_id for p in posts) == sorted(hits)
    first, second = fake.seen("/2/tweets/search/recent")
    assert first.query["max_results"] == "10" and "next_token" not in first.query  # X's search minimum is 10
    assert second.query["next_token"] and second.query["start_time"] == first.query["start_time"]


async def test_dm_pages_stop_where_the_last_round_ended(fake, clock):
    carla = fake.add_user("carla")
    old = [fake.dm(carla, f"old {n}", minutes_ago=60 - n) for n in range(3)]
    source = make(fake, clock, keywords=[], mentions=False, page_size=2)
    posts, cursor = await poll_all(source)
    assert sorted(p.external_id for p in posts) == sorted(old)
    new = fake.dm(carla, "and now?")
    requests = len(fake.seen("/2/dm_events"))
    posts, _ = await poll_all(source, cursor)
    assert [p.external_id for p in posts] == [new]
    assert len(fake.seen("/2/dm_events")) == requests + 1, "one page reaches what the last round stored"


async def test_429_waits_for_x_rate_limit_reset_and_holds_the_next_read(fake, clock):
    reset = clock.now() + timedelta(seconds=600)
    fake.fail(MENTIONS, status=429, headers={"x-rate-limit-limit": "300", "x-rate-limit-remaining": "0",
                                             "x-rate-limit-reset": str(int(reset.timestamp()))},
              body='{"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429}')
    source = make(fake, clock, keywords=[], direct_messages=False)
    with pytest.raises(SourceError) as limited:
        await source.poll(None)
    assert limited.value.retryable and 600 + RESET_MARGIN <= limited.value.retry_after <= 720 + RESET_MARGIN
    clock.advance(timedelta(seconds=300))
    with pytest.raises(SourceError, match="rate limited") as held:
        await source.poll(None)
    assert held.value.retry_after >= 300 + RESET_MARGIN
    assert len(fake.seen(MENTIONS)) == 1, "the held read never reached X"


async def test_a_used_up_24_hour_posting_limit_waits_for_its_own_reset(fake, clock):
    first = fake.post(fake.add_user("carla"), "@acme hi")
    reset = int((clock.now() + timedelta(hours=3)).timestamp())
    fake.fail("/2/tweets", status=429, headers={"x-rate-limit-remaining": "90", "x-user-limit-24hour-limit": "100",
                                                "x-user-limit-24hour-remaining": "0", "x-user-limit-24hour-reset": str(reset)})
    with pytest.raises(SourceError) as limited:
        await make(fake, clock).publish_reply(reply_to(first))
    assert limited.value.retry_after == 3 * 3600 and "24-hour" in str(limited.value)


@pytest.mark.parametrize("fault,env,retryable,words", [
    ({"status": 503, "body": '{"title": "Service Unavailable"}'}, USER_ENV, True, "server error 503"),
    ({"status": 0, "delay": 1.5}, USER_ENV, True, "did not answer within 1s"),
    ({"status": 200, "body": '{"data": [{"id": "1", "text'}, USER_ENV, True, "malformed JSON"),
    ({"status": 401, "body": '{"title": "Unauthorized", "detail": "Unauthorized", "status": 401}'}, USER_ENV, False,
     "check X_API_KEY, X_API_SECRET, X_ACCESS_TOKEN, X_ACCESS_TOKEN_SECRET in .env"),
    ({"status": 401, "body": '{"title": "Unauthorized", "detail": "Unauthorized", "status": 401}'}, BEARER_ENV, False,
     "check X_BEARER_TOKEN in .env"),
    ({"status": 402, "body": '{"title": "Payment Required", "detail": "credits depleted", '
                             '"type": "https://api.x.com/2/problems/credits-depleted"}'}, USER_ENV, True,
     "out of API credits"),
    ({"status": 403, "body": '{"title": "Client Forbidden", "detail": "This request must be made using an approved '
                             'developer account", "type": "https://api.twitter.com/2/problems/client-forbidden"}'},
     USER_ENV, False, "reading needs pay-per-use credits"),
])
async def test_failures_say_what_happened_and_what_to_do(fake, clock, fault, env, retryable, words):
    fake.fail(MENTIONS, **fault)
    source = make(fake, clock, env, keywords=[], direct_messages=False, account="acme")
    with pytest.raises(SourceError) as failed:
        await source.poll(None)
    assert failed.value.retryable is retryable and words in str(failed.value)
    assert failed.value.needs_action is (fault["status"] in (401, 402, 403))  # a person must act: the team is told at once


async def test_running_out_of_credits_is_told_at_once_though_reading_retries(db_url, tmp_path, fake, clock):
    runtime, chat, _ = make_runtime(db_url, tmp_path, sla={"escalation": {"slack": {"channel": "C0ESCALATE"}}})
    fake.fail(MENTIONS, status=402, body='{"title": "Payment Required", "detail": "credits depleted", '
                                         '"type": "https://api.x.com/2/problems/credits-depleted"}')
    source = make(fake, clock, keywords=[], direct_messages=False)
    with pytest.raises(SourceError) as failed:
        await poll_once(runtime.engine, runtime.config, source, clock)
    assert failed.value.retryable and failed.value.retry_after == 900
    await drain(runtime)
    (alert,) = chat.channel_posts
    assert alert.channel == "C0ESCALATE" and alert.body.text.startswith("🔌 Source x has been failing since 09:00 UTC")
    assert "out of API credits (402: credits depleted); add credits or raise the cap at console.x.com" in alert.body.text


async def test_the_wrong_token_is_refused_by_the_fake_as_by_x(fake, clock):
    source = make(fake, clock, {**USER_ENV, "X_ACCESS_TOKEN_SECRET": "wrong"}, keywords=[])
    with pytest.raises(SourceError, match=r"credentials rejected \(401: Unauthorized\)"):
        await source.poll(None)


async def test_malformed_items_are_handed_on_for_quarantine_and_deleted_posts_skipped(fake, clock, caplog):
    carla = fake.add_user("carla")
    gone = fake.post(carla, "@acme first try", minutes_ago=30)
    again = fake.post(carla, "@acme see my post above", minutes_ago=20, reply_to=gone)
    fake.delete(gone)
    source = make(fake, clock, keywords=[], direct_messages=False)
    with caplog.at_level(logging.INFO):
        posts, cursor = await poll_all(source)
    assert [(p.external_id, p.reply_to_id) for p in posts] == [(again, gone)]
    assert f"Could not find tweet with referenced_tweets.id: [{gone}]" in caplog.text

    good = fake.new_id()
    fake.fail(MENTIONS, status=200, body=json.dumps({
        "data": [{"text": "no id"}, {"id": good, "text": "@acme fine", "author_id": carla}, "junk"],
        "meta": {"result_count": 3, "newest_id": good}}))
    with caplog.at_level(logging.INFO):
        posts, unparsed, _ = await poll_with_unparsed(source, cursor)
    assert [p.external_id for p in posts] == [good]
    assert [u.raw for u in unparsed] == [{"text": "no id"}, "junk"]
    assert all(u.reason.startswith("X sent a mention that does not parse") for u in unparsed)
    assert caplog.text.count("a malformed mention") == 2


async def test_huge_and_odd_text_arrives_whole(fake, clock):
    carla = fake.add_user("carla")
    odd = "مرحبا \u200b@acme 🧑\u200d🧑\u200d🧒 \u202eevil\u202c " + "long " * 5000
    long_post = fake.post(carla, odd[:270], note=odd, minutes_ago=5)
    hidden = fake.post(carla, "@acme A\u200bcmee is down again \u2066שלום\u2069", minutes_ago=4)
    posts, _ = await poll_all(make(fake, clock, direct_messages=False))
    got = {p.external_id: p for p in posts}
    assert got[long_post].text == odd and got[hidden].text == "@acme A\u200bcmee is down again \u2066שלום\u2069"


async def test_a_feed_x_refuses_fails_alone_and_the_others_go_on(fake, clock):
    fake.fail("/2/dm_events", status=403, times=2, body='{"title": "Forbidden", "detail": "dm.read is not permitted"}')
    mention = fake.post(fake.add_user("carla"), "@acme hi")
    source = make(fake, clock, keywords=[])
    page = await source.poll(None)
    assert [p.external_id for p in page.posts] == [mention] and page.has_more
    refused = await source.poll(page.cursor)  # the dms feed fails: no exception, the round goes on
    assert refused.posts == [] and not refused.has_more
    health = {feed.name: feed for feed in refused.feeds}
    assert health["dms"].failing and health["dms"].needs_action and "dm.read is not permitted" in health["dms"].last_error
    assert not health["mentions"].failing
    newer = fake.post(fake.add_user("bo"), "@acme hello?")
    posts, cursor = await poll_all(source, refused.cursor)
    assert [p.external_id for p in posts] == [newer] and len(fake.seen("/2/dm_events")) == 1, "dms waits its backoff"
    clock.advance(timedelta(minutes=2))
    dm = fake.dm(fake.add_user("dee"), "my card was charged twice")
    posts, cursor = await poll_all(source, cursor)  # tried again after its backoff: refused again, mentions go on
    assert posts == [] and len(fake.seen("/2/dm_events")) == 2
    clock.advance(timedelta(minutes=5))
    posts, _ = await poll_all(source, cursor)  # allowed now
    assert [p.external_id for p in posts] == [dm]


async def test_backfill_beyond_seven_days_is_cut_to_what_recent_search_covers(fake, clock, caplog):
    hit = fake.post(fake.add_user("dan"), "acme rocks", minutes_ago=60 * 24 * 3)
    with caplog.at_level(logging.WARNING):
        posts, _ = await poll_all(make(fake, clock, mentions=False, direct_messages=False, backfill="14d"))
    assert [p.external_id for p in posts] == [hit]
    assert fake.seen("/2/tweets/search/recent")[0].query["start_time"] == "2026-10-26T09:01:00Z"
    assert "longer than the 7 days X's recent search covers" in caplog.text


async def test_a_reply_lands_as_a_reply_in_the_customers_thread(fake, clock):
    carla = fake.add_user("carla")
    first = fake.post(carla, "@acme my order never arrived", minutes_ago=30)
    follow_up = fake.post(carla, "@acme hello??", minutes_ago=10, reply_to=first)
    source = make(fake, clock)
    published = await source.publish_reply(reply_to(follow_up, "Sorry! See https://acme.com/help & DM us ^JD", root=first))
    (sent,) = fake.seen("/2/tweets", "POST")
    assert json.loads(sent.body) == {"text": "Sorry! See https://acme.com/help & DM us ^JD",
                                     "reply": {"in_reply_to_tweet_id": follow_up}}
    assert sent.headers["Authorization"].startswith("OAuth ")
    (stored_reply,) = fake.replies_by_brand()
    assert stored_reply["referenced_tweets"] == [{"type": "replied_to", "id": follow_up}]
    assert stored_reply["conversation_id"] == first and stored_reply["in_reply_to_user_id"] == carla
    assert published.external_id == stored_reply["id"]
    assert published.url == f"https://x.com/acme/status/{stored_reply['id']}"


async def test_publishing_the_same_reply_again_finds_the_first_one(fake, clock):
    first = fake.post(fake.add_user("carla"), "@acme help")
    source = make(fake, clock)
    reply = reply_to(first, "We're on it, see https://acme.com/status ^JD")
    published = await source.publish_reply(reply)
    found = await source.find_published("reply:1", reply)
    assert found.external_id == published.external_id
    again = await source.publish_reply(reply)  # X answers 403 duplicate content
    assert again.external_id == published.external_id and len(fake.replies_by_brand()) == 1
    assert await source.find_published("reply:1", reply_to(first, "Something else ^JD")) is None


async def test_replies_x_will_not_take_are_refused_with_the_way_out(fake, clock):
    keyword_hit = fake.post(fake.add_user("dan"), "acme is slow today")
    with pytest.raises(SourceError, match="only lets apps reply to posts that mention or quote") as refused:
        await make(fake, clock).publish_reply(reply_to(keyword_hit, handle="dan"))
    assert not refused.value.retryable and "--private" in str(refused.value)
    with pytest.raises(SourceError, match="only X_BEARER_TOKEN, which can read but not publish replies"):
        await make(fake, clock, BEARER_ENV, account="acme").publish_reply(reply_to(keyword_hit))
    assert len(fake.seen("/2/tweets", "POST")) == 1, "the bearer-only source never tried"


async def test_private_handoff_is_a_dm(fake, clock):
    carla, bo = fake.add_user("carla"), fake.add_user("bo")
    mention = fake.post(carla, "@acme my card was charged twice")
    source = make(fake, clock)
    published = await source.send_private(reply_to(mention, "Please send us your order number here ^JD", private=True))
    assert fake.dm_events[-1] | {"created_at": None} == {
        "id": published.external_id, "event_type": "MessageCreate", "text": "Please send us your order number here ^JD",
        "sender_id": "1000", "dm_conversation_id": f"1000-{carla}", "created_at": None}
    assert published.url == f"https://x.com/messages/1000-{carla}"
    dm = fake.dm(bo, "hello?")
    answer = await source.send_private(reply_to(dm, "Hi! ^JD", root=f"dm:1000-{bo}", handle="bo", private=True))
    assert fake.dm_events[-1]["id"] == answer.external_id and not fake.replies_by_brand()
    fake.closed_dms.add(bo)
    with pytest.raises(SourceError, match="You cannot send messages to this user.*ask them in public to send a DM"):
        await source.send_private(reply_to(dm, "again ^JD", handle="bo", private=True))


async def test_the_user_ids_looked_up_for_dms_are_bounded(fake, clock, monkeypatch):
    """A long-running bot DMs thousands of customers: it remembers the newest USER_IDS_KEPT ids and looks the
    others up again when it needs them, instead of keeping every one for as long as the process runs."""
    monkeypatch.setattr("bot.sources.x.source.USER_IDS_KEPT", 2)
    source = make(fake, clock)
    ids = {handle: fake.add_user(handle) for handle in ("carla", "bo", "dan")}
    for handle, user_id in ids.items():
        mention = fake.post(user_id, f"@acme {handle} here, my card was charged twice")
        await source.send_private(reply_to(mention, "Please send us your order number here ^JD", handle=handle,
                                           private=True))
    lookups = lambda: [r.path for r in fake.requests if r.path.startswith("/2/users/by/username/")]  # noqa: E731
    assert lookups() == ["/2/users/by/username/carla", "/2/users/by/username/bo", "/2/users/by/username/dan"]
    mention = fake.post(ids["dan"], "@acme still waiting")
    await source.send_private(reply_to(mention, "On it ^JD", handle="dan", private=True))
    assert len(lookups()) == 3, "dan is among the two remembered"
    mention = fake.post(ids["carla"], "@acme hello again")
    sent = await source.send_private(reply_to(mention, "Hi again ^JD", handle="carla", private=True))
    assert lookups()[3:] == ["/2/users/by/username/carla"], "carla was forgotten, so she is looked up again"
    assert fake.dm_events[-1]["id"] == sent.external_id


async def test_find_published_ignores_look_alikes_sent_before(fake, clock):
    carla = fake.add_user("carla")
    fake.dm(fake.brand, "Thanks! ^JD", to=carla, minutes_ago=60)  # the same words, to an earlier post
    mention = fake.post(carla, "@acme thanks", minutes_ago=30)
    fake.dm(fake.brand, "Thanks! ^JD", to=carla, minutes_ago=20)  # and after it, but before the agent sent this one
    source = make(fake, clock)
    reply = reply_to(mention, "Thanks! ^JD", private=True, queued_at=clock.now())
    assert await source.find_published("reply:1", reply) is None
    sent = await source.send_private(reply)
    assert (await source.find_published("reply:1", reply)).external_id == sent.external_id


def test_config_errors_name_the_key_and_the_fix(tmp_path):
    def attempt(env, **options):
        context = SourceContext(name="x", type="x", options=options, brand=BRAND, base_dir=tmp_path, env=env)
        with pytest.raises(ConfigError) as failed:
            build(context)
        return str(failed.value)

    assert "X_ACCESS_TOKEN_SECRET not set" in attempt({k: v for k, v in USER_ENV.items() if k != "X_ACCESS_TOKEN_SECRET"})
    assert "or X_BEARER_TOKEN to only read" in attempt({})
    assert "X_SUPPORT_BEARER_TOKEN" in attempt({}, credentials="X_SUPPORT")
    assert "query is" in attempt(USER_ENV, keywords=[f"keyword{n}" for n in range(60)])
    assert "sources.x.mentions" in attempt(USER_ENV, mentions="sometimes")


def test_search_query_quotes_phrases_and_keeps_hashtags():
    options = XOptions(exclude_words=["free stuff"], include_reposts=True)
    assert search_query(["Acme Corp", "#acme", "acmé"], ["acme"], options, mentions=False) == \
        '("Acme Corp" OR #acme OR acmé) -from:acme -"free stuff"'


async def test_end_to_end_mention_to_chat_then_reply_to_x_once_across_a_crash(db_url, tmp_path, fake, monkeypatch):
    for key, value in USER_ENV.items():
        monkeypatch.setenv(key, value)
    sources = [{"name": "x", "type": "x", "base_url": fake.base_url, "keywords": [], "direct_messages": False}]
    runtime, chat, clock = make_runtime(db_url, tmp_path, sources=sources)
    fake.clock = clock
    carla = fake.add_user("carla", "Carla Díaz")
    mention = fake.post(carla, "@acme my parcel is lost 😞", minutes_ago=3)
    source = runtime.sources["x"]

    assert await poll_once(runtime.engine, runtime.config, source, clock) == 1
    await runtime.outbox.drain_once()
    (parent,) = chat.parents
    assert parent.body.text == "@acme my parcel is lost 😞" and parent.body.url == f"https://x.com/carla/status/{mention}"
    status = await dispatch(runtime.desk, Request("desk", Actor("slack", "USAM"), args="status"))
    assert "x (x): ok" in status.text and "mentions: 299 of 300 left until 09:15 UTC" in status.text

    too_long = await dispatch(runtime.desk, Request("reply", Actor("slack", "USAM"), 1, "x " * 150))
    assert not too_long.ok and "the network allows 280" in too_long.text
    outcome = await dispatch(runtime.desk, Request("reply", Actor("slack", "USAM"), 1, "So sorry! Checking now"))
    assert outcome.ok
    with dies_after_publishing(source, "died after X took the reply"), pytest.raises(SimulatedCrash):
        await runtime.outbox.drain_once()
    clock.advance(timedelta(minutes=1))
    for _ in range(5):
        await runtime.outbox.drain_once()

    (on_x,) = fake.replies_by_brand()
    assert on_x["referenced_tweets"] == [{"type": "replied_to", "id": mention}] and on_x["text"].endswith("Checking now ^SL")
    with Session(runtime.engine) as session:
        (reply,) = session.exec(select(Reply)).all()
        assert reply.status == ReplyStatus.PUBLISHED and reply.external_id == on_x["id"]
    assert len(fake.seen("/2/tweets", "POST")) == 1
    notice = [m for m in chat.thread(parent.message_id) if isinstance(m, Notice)][-1]
    assert notice.text.startswith("Published publicly by Sam Lee") and notice.link == f"https://x.com/acme/status/{on_x['id']}"
    await runtime.close()


async def test_verify_names_the_account_and_reads_no_posts(fake, clock):
    full, reader = make(fake, clock), make(fake, clock, env=BEARER_ENV, account="acme")
    assert await full.verify() == "@acme: reads and replies"
    assert (await reader.verify()).startswith("@acme: reads only")
    assert [r.path for r in fake.requests] == ["/2/users/me", "/2/users/by/username/acme"]
    await full.close()
    await reader.close()
