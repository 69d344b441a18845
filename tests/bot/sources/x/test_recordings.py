"""The X source against X's real answers (tests/fakes/recordings/x/), and the fake X against the same answers.

Replayed recordings prove the parsers read what X really sends; comparing the fake's answers with them
(`drift`) keeps the fake from answering in shapes X never uses.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.settings import BrandConfig
from bot.sources.base import RESET_MARGIN, OutboundReply, SourceError
from bot.sources.options import SourceContext
from bot.sources.x.client import DmEvent, Page, Tweet
from bot.sources.x.source import TWEET_PARAMS, build
from tests.auxil.clock import FakeClock
from tests.fakes.recordings import Replay, drift, recording
from tests.fakes.x_api import FakeX

USER_ENV = {"X_API_KEY": "api-key", "X_API_SECRET": "api-secret", "X_ACCESS_TOKEN": "access-token",
            "X_ACCESS_TOKEN_SECRET": "access-token-secret"}
BRAND = BrandConfig(name="Tweepy", handles=["@TweepyDev"])
# What X always sends (docs.x.com data dictionary) and socialdesk reads: a fake must not leave it out.
ALWAYS = {"data", "id", "text", "username", "name", "event_type", "dm_event_id", "dm_conversation_id", "result_count"}
ME = recording("x", "users_me")["body"]["data"]["id"]  # 1072250532645998596, @TweepyDev


def source(server, clock, **options):
    options = {"base_url": server.base_url, "timeout": "2s", "keywords": [], **options}
    context = SourceContext(name="x", type="x", options=options,
                            brand=BRAND, base_dir=Path("."), clock=clock, env=USER_ENV)
    return build(context)


def reply(**fields) -> OutboundReply:
    return OutboundReply(**{"key": "reply:1", "text": "Test Tweet", "in_reply_to": "1578516295611748353",
                            "thread_root_id": "1578516295611748353", "customer_handle": "TwitterDev", **fields})


# --- socialdesk reads what X really sends ------------------------------------------------------

async def test_verify_reads_the_account_and_the_tokens_permission_from_users_me():
    async with Replay({("GET", "/2/users/me"): recording("x", "users_me")}) as server:
        x = source(server, FakeClock())
        assert await x.verify() == "@TweepyDev: reads and replies"
        assert [(q.limit, q.remaining) for q in x.quota()] == [(75, 74)]
        await x.close()


async def test_verify_names_the_permission_the_tokens_lack():
    answer = recording("x", "users_me")
    answer["headers"]["x-access-level"] = "read"  # as recorded for the read-only app in mentions.json
    async with Replay({("GET", "/2/users/me"): answer}) as server:
        x = source(server, FakeClock(), direct_messages=True)
        with pytest.raises(SourceError, match="only have 'Read' permission and socialdesk needs 'Read and write and "
                                              "Direct message'.*regenerate the access token") as refused:
            await x.verify()
        assert not refused.value.retryable
        await x.close()


async def test_expanded_answer_becomes_posts_with_authors_account_ids_and_threads():
    """X's documented search answer, served as the brand's mentions: `includes.users` name the authors."""
    answer = recording("x", "search_recent_expanded")
    async with Replay({("GET", "/2/users/17200003/mentions"): answer}) as server:
        x = source(server, FakeClock(datetime(2020, 6, 26, tzinfo=UTC)), user_id="17200003", account="snowman",
                   backfill="7d")
        result = await x.poll(None)
        await x.close()
    posts = {p.external_id: p for p in result.posts}
    assert set(posts) == {"1276035977375477760", "1275763727908798470"}  # @snowman's own posts are the brand's
    happy = posts["1276035977375477760"]
    assert (happy.author.handle, happy.author.name, happy.author.account_id) == ("happycamper", "Emily Waligoske 🏕",
                                                                                  "63046977")
    assert happy.kind == "reply" and happy.reply_to_id == "1275653067283759104"
    assert happy.created_at == datetime(2020, 6, 25, 6, 14, 19, tzinfo=UTC)
    assert happy.url == "https://x.com/happycamper/status/1276035977375477760"
    assert posts["1275763727908798470"].author.account_id == "196883832"
    assert [p.external_id for p in result.posts] == sorted(posts, key=int)  # oldest first


async def test_a_crash_mid_publish_finds_the_reply_among_the_brands_posts():
    """X's documented list-of-posts answer served as @snowman's own timeline: his reply is found by parent and text."""
    answer = recording("x", "search_recent_expanded")
    mine = next(t for t in answer["body"]["data"] if t["id"] == "1275882613572583424")
    sent = datetime(2020, 6, 24, 20, 4, tzinfo=UTC)
    wanted = reply(text=mine["text"], in_reply_to="1273733248749690880", queued_at=sent)
    async with Replay({("GET", "/2/users/17200003/tweets"): answer}) as server:
        x = source(server, FakeClock(sent + timedelta(minutes=1)), user_id="17200003", account="snowman")
        found = await x.find_published("reply:1", wanted)
        other = await x.find_published("reply:1", reply(text="Something else", in_reply_to="1273733248749690880",
                                                         queued_at=sent))
        await x.close()
    assert found.external_id == "1275882613572583424"
    assert found.published_at == datetime(2020, 6, 24, 20, 4, 54, tzinfo=UTC)
    assert other is None


@pytest.mark.parametrize("name", ["mentions", "search_recent"])
def test_default_field_pages_parse_with_their_paging(name):
    body = recording("x", name)["body"]
    page = Page(body, Tweet, name)
    assert [t.id for t in page.items] == [t["id"] for t in body["data"]]
    assert all(t.text for t in page.items) and page.next_token == body["meta"]["next_token"]
    assert page.newest_id == body["meta"]["newest_id"]


async def test_dm_events_with_fields_become_direct_posts_with_the_senders_id():
    answer = recording("x", "dm_events_fields")
    async with Replay({("GET", "/2/dm_events"): answer}) as server:
        x = source(server, FakeClock(datetime(2022, 10, 27, tzinfo=UTC)), user_id=ME, account="TweepyDev",
                   mentions=False, direct_messages=True)
        [post] = (await x.poll(None)).posts
        await x.close()
    assert post.kind == "direct" and post.author.account_id == "906948460078698496"
    assert post.thread_root_id == "dm:1585094756761149440" and post.text == "Another photo https://t.co/J5KotyeIyd"


async def test_an_empty_dm_answer_has_no_data_and_is_no_error():
    async with Replay({("GET", "/2/dm_events"): recording("x", "dm_events_empty")}) as server:
        x = source(server, FakeClock(), user_id=ME, account="TweepyDev", mentions=False, direct_messages=True)
        assert (await x.poll(None)).posts == []
        await x.close()


async def test_publishing_reads_the_created_post_and_dm():
    async with Replay({("GET", "/2/users/me"): recording("x", "users_me"),
                       ("POST", "/2/tweets"): recording("x", "create_tweet"),
                       ("GET", "/2/users/by/username/twitterdev"): recording("x", "user_by_username"),
                       ("POST", "/2/dm_conversations/with/2244994945/messages"): recording("x", "dm_send")}) as server:
        x = source(server, FakeClock())
        published = await x.publish_reply(reply())
        dm = await x.send_private(reply(private=True))
        await x.close()
    assert published.external_id == "1456012973835788293"
    assert published.url == "https://x.com/TweepyDev/status/1456012973835788293"
    assert dm.external_id == "1585800613253812228"
    assert dm.url == "https://x.com/messages/750362064426721281-1072250532645998596"


def test_dm_conversation_events_parse_with_their_paging():
    body = recording("x", "dm_conversation_events")["body"]
    page = Page(body, DmEvent, "DM event")
    assert [(e.id, e.text) for e in page.items] == [("1585800613752881156", "Testing 2"), ("1585800613253812228", "Testing 1")]
    assert page.next_token == "18LAA5G1SL0NR5OG0G00ZZZZ"


# --- the fake answers as X does -------------------------------------------------------------------

@pytest.fixture
async def fake():
    clock = FakeClock()
    async with FakeX(clock) as server:
        carla = server.add_user("carla", followers=3)
        first = server.post(carla, "@acme where is my order?", minutes_ago=10)
        server.post(carla, "@acme hello? acme", minutes_ago=5, reply_to=first)
        server.post(server.add_user("dan"), "acme rocks", minutes_ago=4, quote=first)
        server.dm(carla, "my order number is 12", minutes_ago=3)
        server.dm(carla, "and my name is Carla", minutes_ago=2)
        yield server


async def answer(server, method: str, path: str, params: dict | None = None, json: dict | None = None):
    """The fake's raw answer to a request signed as socialdesk signs it."""
    x = source(server, server.clock, account="acme")
    response = await x._api._http.request(method, path, params=params, json=json)
    await x.close()
    return response


NEWER = {"edit_history_tweet_ids"}  # X sends it since 2022 (tweepy's recordings); the documented examples predate it
CASES = [  # (recording, path on the fake, query (None: the recorded one), keys the recording cannot show)
    ("users_me", "/2/users/me", None, set()),
    ("mentions", "/2/users/1000/mentions", None, set()),
    ("search_recent", "/2/tweets/search/recent", {"query": "acme"}, set()),
    ("search_recent_expanded", "/2/tweets/search/recent", None, NEWER),
    ("search_recent_expanded", "/2/users/1000/mentions", TWEET_PARAMS,  # what socialdesk asks for
     NEWER | {"conversation_id", "note_tweet", "public_metrics"}),
    ("user_by_username", "/2/users/by/username/carla", None, set()),
    ("dm_events_fields", "/2/dm_events", None, {"meta", "result_count"}),  # the documented example leaves meta out
    ("dm_conversation_events", "/2/dm_conversations/with/2001/dm_events", None, set()),
]


@pytest.mark.parametrize(("name", "path", "query", "unrecorded"), CASES, ids=[f"{c[0]}:{c[1]}" for c in CASES])
async def test_the_fakes_answers_have_the_recorded_keys_and_types(fake, name, path, query, unrecorded):
    recorded = recording("x", name)
    query = {**(recorded["request"]["query"] if query is None else query)}
    if "search" in path:
        query["query"] = "acme"
    got = await answer(fake, "GET", path, query)
    assert got.status_code == recorded["status"]
    assert drift(got.json(), recorded["body"], ALWAYS, unrecorded) == []
    assert {h for h in recorded["headers"] if h.startswith("x-rate-limit-")} <= set(got.headers)


async def test_posting_and_dming_answer_as_recorded(fake):
    target = next(t["id"] for t in fake.tweets.values() if "referenced_tweets" not in t)
    posted = await answer(fake, "POST", "/2/tweets", json={"text": "On it!", "reply": {"in_reply_to_tweet_id": target}})
    assert posted.status_code == 201
    assert drift(posted.json(), recording("x", "create_tweet")["body"], {"id"}) == []
    sent = await answer(fake, "POST", "/2/dm_conversations/with/2001/messages", json={"text": "Hi"})
    assert sent.status_code == 201
    assert drift(sent.json(), recording("x", "dm_send")["body"], {"dm_event_id", "dm_conversation_id"}) == []
    assert sent.headers["x-access-level"] == recording("x", "dm_send")["headers"]["x-access-level"]


# --- the limits the fake enforces, each as X answers it --------------------------------------------

async def test_a_post_over_280_weighted_characters_is_refused_with_what_to_do(fake):
    target = next(iter(fake.tweets))
    x = source(fake, fake.clock, account="acme")
    with pytest.raises(SourceError, match="longer than the account may post.*shorten the reply") as refused:
        await x.publish_reply(reply(text="é" * 141 + "界" * 70, in_reply_to=target))  # 141 + 140 = 281
    assert not refused.value.retryable
    assert (await x.publish_reply(reply(text="é" * 140 + "界" * 70, in_reply_to=target))).external_id
    await x.close()


async def test_the_same_text_twice_is_refused_as_duplicate_content(fake):
    target = next(iter(fake.tweets))
    duplicate = await answer(fake, "POST", "/2/tweets", json={"text": "Same words"})
    assert duplicate.status_code == 201
    again = await answer(fake, "POST", "/2/tweets", json={"text": "Same words", "reply": {"in_reply_to_tweet_id": target}})
    assert again.status_code == 403
    assert again.json()["detail"] == "You are not allowed to create a Tweet with duplicate content."


async def test_a_used_up_window_answers_429_with_its_reset_and_the_source_waits(fake):
    window_end = fake.clock.now() + timedelta(minutes=15)
    for _ in range(75):
        assert (await answer(fake, "GET", "/2/users/me")).status_code == 200
    limited = await answer(fake, "GET", "/2/users/me")
    assert limited.status_code == 429 and limited.json()["title"] == "Too Many Requests"
    assert limited.headers["x-rate-limit-remaining"] == "0"
    assert limited.headers["x-rate-limit-reset"] == str(int(window_end.timestamp()))
    x = source(fake, fake.clock, account="acme")
    with pytest.raises(SourceError, match=r"rate limited \(429\)") as waiting:
        await x.verify()
    assert 900 + RESET_MARGIN <= waiting.value.retry_after <= 900 * 1.2 + RESET_MARGIN  # jittered, past the reset
    await x.close()
    fake.clock.advance(timedelta(minutes=15))
    assert (await answer(fake, "GET", "/2/users/me")).status_code == 200


async def test_read_only_tokens_cannot_post_and_the_error_says_which_permission(fake):
    fake.access_level = "read"
    target = next(iter(fake.tweets))
    x = source(fake, fake.clock, account="acme")
    with pytest.raises(SourceError, match="only have 'Read' permission and socialdesk needs 'Read and write"):
        await x.verify()
    with pytest.raises(SourceError, match="Read and write and Direct message") as refused:
        await x.publish_reply(reply(in_reply_to=target))
    assert not refused.value.retryable
    await x.close()
