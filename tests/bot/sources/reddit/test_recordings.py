"""The Reddit source against Reddit's real answers (tests/fakes/recordings/reddit/), and the fake Reddit against them.

Replayed recordings prove the parsers read what Reddit really sends; comparing the fake's answers with them
(`drift`) keeps the fake from answering in shapes Reddit never uses.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from bot.settings import BrandConfig, SourceConfig
from bot.sources import build_source
from bot.sources.base import OutboundReply, SourceError
from bot.sources.reddit.client import Thing, parse_listing
from bot.sources.reddit.source import to_post
from tests.auxil.clock import FakeClock
from tests.fakes.recordings import Replay, drift, recording
from tests.fakes.reddit_api import BRAND, CLIENT_ID, CLIENT_SECRET, PASSWORD, FakeReddit

ENV = {"REDDIT_CLIENT_ID": CLIENT_ID, "REDDIT_CLIENT_SECRET": CLIENT_SECRET, "REDDIT_USERNAME": BRAND,
       "REDDIT_PASSWORD": PASSWORD}
# What Reddit always sends (reddit.com/dev/api, "listings" and "thing") and socialdesk reads: a fake must send it.
ALWAYS = {"kind", "data", "children", "after", "name", "created_utc", "author", "body", "title", "selftext",
          "parent_id", "subject", "dest", "first_message_name", "type", "context", "json", "errors", "things",
          "access_token", "expires_in", "scope"}
LOGIN = {("POST", "/api/v1/access_token"): recording("reddit", "access_token"),
         ("GET", "/api/v1/me"): recording("reddit", "me")}
ME = "PyAPITestUser2"  # who the recorded /api/v1/me says is signed in


def build(server, clock, **options):
    config = SourceConfig(name="reddit", type="reddit", base_url=server.base_url, auth_url=server.base_url,
                          keywords=["praw"], **options)
    return build_source(config, Path("."), clock, brand=BrandConfig(name="Acme", handles=[]), env=ENV)


def at(name: str) -> FakeClock:
    """A clock just after the recording's newest item."""
    children = recording("reddit", name)["body"]["data"]["children"]
    moment = max(c["data"]["created_utc"] for c in children)
    return FakeClock(datetime.fromtimestamp(moment, tz=UTC) + timedelta(minutes=1))


EMPTY = {"status": 200, "headers": {}, "body": {"kind": "Listing", "data": {"after": None, "children": []}}}


async def poll(name: str, path: str, **options):
    """Every feed's posts, `path` answering with the recording and the other feeds with nothing."""
    feeds = {("GET", "/message/inbox"): EMPTY, ("GET", "/search"): EMPTY}
    async with Replay({**LOGIN, **feeds, ("GET", path): recording("reddit", name)}) as server:
        source = build(server, at(name), backfill="3650d", **options)
        posts, cursor, more = [], None, True
        while more:
            result = await source.poll(cursor)
            posts, cursor, more = posts + result.posts, result.cursor, result.has_more
        await source.close()
    return posts


# --- socialdesk reads what Reddit really sends --------------------------------------------------

async def test_login_and_me_say_who_is_signed_in_and_the_quota():
    async with Replay(LOGIN) as server:
        source = build(server, FakeClock())
        assert await source.verify() == f"signed in as u/{ME}"
        [quota] = source.quota()
        assert (quota.limit, quota.remaining) == (600, 597)  # x-ratelimit-used 3 + remaining 597.0
        await source.close()


async def test_a_token_without_the_needed_scopes_is_named_at_verify():
    token = recording("reddit", "access_token")
    token["body"]["scope"] = "identity read"
    async with Replay({**LOGIN, ("POST", "/api/v1/access_token"): token}) as server:
        source = build(server, FakeClock())
        with pytest.raises(SourceError, match="lacks the scopes history, privatemessages, submit") as refused:
            await source.verify()
        assert not refused.value.retryable
        await source.close()


async def test_inbox_comment_replies_and_messages_become_posts_with_threads_and_account_ids():
    posts = {p.external_id: p for p in await poll("inbox_unread", "/message/inbox", direct_messages=True)}
    reply = posts["t1_myngt77"]
    assert (reply.kind, reply.thread_root_id, reply.reply_to_id) == ("reply", "t3_1j7g9uj", "t1_mynfuan")
    assert reply.author.handle == "u/Lil_SpazTest" and reply.author.account_id == "t2_75u2lqkb"
    assert reply.url == "https://www.reddit.com/r/Lil_SpazJoekp/comments/1j7g9uj/test_post_pls_ignore/myngt77/"
    message = posts["t4_2r17c8r"]
    assert (message.kind, message.thread_root_id, message.reply_to_id) == ("direct", "t4_2r17c8r", None)
    assert message.text.startswith("Test message\n\n")
    assert "t1_m30xcs6" not in posts  # AutoModerator's reply to the brand's post


async def test_username_mentions_are_mentions():
    posts = await poll("inbox_mentions", "/message/inbox")
    assert {p.kind for p in posts} == {"mention"} and len(posts) == 3
    assert all(p.author.account_id == "t2_3efd9zdo" and p.thread_root_id.startswith("t3_bb24") for p in posts)


async def test_reddits_own_notices_are_not_customers():
    posts = await poll("inbox_messages", "/message/inbox", direct_messages=True)
    assert "t4_2izsnl2" not in {p.external_id for p in posts}  # from u/reddit, distinguished admin
    assert {p.external_id for p in posts} == {"t4_2r17c8r", "t4_2ap1zhj"}


async def test_search_results_are_keyword_posts_linked_without_the_search_tracking():
    posts = await poll("search", "/search")
    assert [p.external_id for p in posts] == ["t3_3b4erh", "t3_3gpbiu", "t3_3x4kt2"]  # oldest first
    first = posts[1]
    assert first.kind == "keyword" and first.thread_root_id == "t3_3gpbiu" and first.reply_to_id is None
    assert first.url == ("https://www.reddit.com/r/redditdev/comments/3gpbiu/"
                         "prawoauth2util_problem_using_get_banned_raise/")
    assert first.text.startswith("[PRAW][OAuth2Util] Problem using get_banned()")


def test_comments_listed_without_a_permalink_still_link_to_themselves():
    """Comment listings recorded before 2017 carry no permalink (nor author_fullname)."""
    page = parse_listing(recording("reddit", "user_comments_new")["body"], "GET /user/spez/comments")
    assert len(page.things) == 3 and page.after
    post = to_post(page.things[0], "keyword")
    assert post.url == "https://www.reddit.com/comments/484169/_/d0iaye9/"
    assert post.author.account_id is None and post.thread_root_id == "t3_484169" and post.reply_to_id == "t1_d0hkqti"


def test_modern_comment_listings_link_with_their_permalink_and_name_the_account():
    page = parse_listing(recording("reddit", "subreddit_comments")["body"], "GET /r/x/comments")
    post = to_post(page.things[0], "keyword")
    assert post.url == "https://www.reddit.com/r/<TEST_SUBREDDIT>/comments/agi5zf/<TEST_SUBREDDIT>/k3yrfii/"
    assert (post.author.handle, post.author.account_id) == ("u/Acceptable-Bread-566", "t2_puq6r71y")


async def test_a_comment_reddit_accepts_without_returning_it_is_looked_for_before_a_retry():
    """Recorded: HTTP 200, no errors, no things (a comment held by the subreddit's filters, say)."""
    async with Replay({**LOGIN, ("POST", "/api/comment"): recording("reddit", "comment_accepted_without_thing")}) as server:
        source = build(server, FakeClock())
        with pytest.raises(SourceError, match="took the comment but did not return it; checking") as unsure:
            await source.publish_reply(OutboundReply(key="k", text="TEST", in_reply_to="t3_ah19vv",
                                                     thread_root_id="t3_ah19vv", customer_handle="u/x"))
        await source.close()
    assert unsure.value.retryable  # the outbox retries, and asks find_published first


async def test_a_crash_mid_publish_finds_the_comment_among_the_brands_own():
    recorded = recording("reddit", "user_comments_new")
    wanted = Thing.model_validate(recorded["body"]["data"]["children"][1])
    sent_at = datetime.fromtimestamp(wanted.created, tz=UTC) - timedelta(seconds=30)
    reply = OutboundReply(key="reply:1", text=wanted.data.body, in_reply_to=wanted.data.parent_id,
                          thread_root_id=wanted.data.link_id, customer_handle="u/someone", queued_at=sent_at)
    async with Replay({**LOGIN, ("GET", f"/user/{ME}/comments"): recorded}) as server:
        source = build(server, FakeClock(sent_at), markdown=True)
        found = await source.find_published("reply:1", reply)
        later = await source.find_published("reply:1", replace(reply, queued_at=sent_at + timedelta(hours=1)))
        await source.close()
    assert found.external_id == "t1_d0hkebe" and found.url == "https://www.reddit.com/comments/484169/_/d0hkebe/"
    assert later is None  # an older comment with the same text is not this reply


@pytest.mark.parametrize(("name", "parent", "private", "expected_id", "url"), [
    ("comment_on_comment", "t1_d1616q2", False, "t1_d1680wu", "https://www.reddit.com/comments/4b1tfm/_/d1680wu/"),
    ("comment_on_submission", "t3_4b1tfm", False, "t1_d162ara", "https://www.reddit.com/comments/4b1tfm/_/d162ara/"),
    ("comment_on_message", "t4_2r1s1k2", True, "t4_zzzzzzzzzzzz", "https://www.reddit.com/message/messages/2r1s1k2"),
])
async def test_a_published_comment_is_read_from_the_recorded_answer(name, parent, private, expected_id, url):
    async with Replay({**LOGIN, ("POST", "/api/comment"): recording("reddit", name)}) as server:
        source = build(server, FakeClock())
        reply = OutboundReply(key="k", text="Comment reply", in_reply_to=parent, thread_root_id=parent,
                              customer_handle="u/x", private=private)
        published = await (source.send_private(reply) if private else source.publish_reply(reply))
        await source.close()
    assert (published.external_id, published.url) == (expected_id, url)


async def test_a_message_composed_answers_without_data_and_the_sent_folder_is_the_link():
    async with Replay({**LOGIN, ("POST", "/api/compose"): recording("reddit", "compose"),
                       ("GET", "/message/sent"): recording("reddit", "sent")}) as server:
        source = build(server, FakeClock())
        published = await source.send_private(OutboundReply(key="k", text="Hi", in_reply_to="t1_abc", thread_root_id="t3_x",
                                                            customer_handle="u/subreddit_stats", private=True))
        await source.close()
    assert (published.external_id, published.url) == ("compose:k", "https://www.reddit.com/message/sent")


async def test_refusals_as_reddit_sends_them_are_clear_and_final():
    async with Replay({**LOGIN, ("POST", "/api/comment"): recording("reddit", "refusal_user_required"),
                       ("POST", "/api/compose"): recording("reddit", "refusal_too_long_400")}) as server:
        source = build(server, FakeClock())
        with pytest.raises(SourceError, match=r"refused: Please log in to do that. \(USER_REQUIRED\)") as required:
            await source.publish_reply(OutboundReply(key="k", text="x", in_reply_to="t1_a", thread_root_id="t3_a",
                                                     customer_handle="u/x"))
        with pytest.raises(SourceError, match=r"this is too long \(max: 50\) \(TOO_LONG\); shorten the reply") as long:
            await source.send_private(OutboundReply(key="k", text="x", in_reply_to="t1_a", thread_root_id="t3_a",
                                                    customer_handle="u/x", private=True))
        await source.close()
    assert not required.value.retryable and not long.value.retryable


# --- the fake answers as Reddit does ---------------------------------------------------------------

@pytest.fixture
async def fake():
    async with FakeReddit(FakeClock()) as server:
        question = server.submission("carla", "Is Acme down?", "Can't log in")
        answer = server.comment(BRAND, "Looking into it", question)
        server.comment("carla", "Still broken", answer)
        server.comment("erin", f"u/{BRAND} my invoice is wrong", question)
        server.message("finn", BRAND, "Refund", "Please refund order 12")
        first = server.message(BRAND, "gus", "Acme support", "How can we help?")
        server.message("gus", BRAND, "re: Acme support", "My router", parent=first)
        yield server


async def call(server, method: str, path: str, **kwargs) -> httpx.Response:
    """The fake's raw answer, with a token fetched as socialdesk fetches it (itself the answer for the token path)."""
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        login = await http.post("/api/v1/access_token", auth=(CLIENT_ID, CLIENT_SECRET),
                                data={"grant_type": "password", "username": BRAND, "password": PASSWORD})
        if path == "/api/v1/access_token":
            return login
        token = login.json()
        return await http.request(method, path, headers={"Authorization": f"bearer {token['access_token']}"}, **kwargs)


# Reddit's answers carry these since about 2017: the 2016 recordings cannot show them, the newer ones do.
MODERN = {"dist", "geo_filter", "author_fullname", "subreddit_name_prefixed", "permalink", "removed_by_category",
          "link_permalink", "locked"}
LISTINGS = [  # (recording, path on the fake, query, keys the recording cannot show)
    ("inbox_unread", "/message/inbox", {}, set()),
    ("inbox_mentions", "/message/inbox", {}, set()),
    ("sent", "/message/sent", {}, set()),
    ("search", "/search", {"q": "acme", "sort": "new", "type": "link"}, MODERN),
    ("user_overview_new", "/search", {"q": "acme", "sort": "new", "type": "link"}, set()),
    ("subreddit_comments", "/r/acme/comments", {}, set()),
    ("user_comments_new", f"/user/{BRAND}/comments", {"sort": "new"}, MODERN),
    ("user_overview_new", f"/user/{BRAND}/comments", {"sort": "new"}, set()),
]


@pytest.mark.parametrize(("name", "path", "query", "unrecorded"), LISTINGS, ids=[f"{c[0]}:{c[1]}" for c in LISTINGS])
async def test_the_fakes_listings_have_the_recorded_keys_and_types(fake, name, path, query, unrecorded):
    got = await call(fake, "GET", path, params={**query, "raw_json": "1"})
    body = got.json()
    assert got.status_code == 200 and body["data"]["children"]
    recorded = recording("reddit", name)
    kinds = {c["kind"] for c in recorded["body"]["data"]["children"]}
    body["data"]["children"] = [c for c in body["data"]["children"] if c["kind"] in kinds]  # compare like with like
    assert drift(body, recorded["body"], ALWAYS, unrecorded) == []
    assert {"x-ratelimit-used", "x-ratelimit-remaining", "x-ratelimit-reset"} <= set(got.headers)


@pytest.mark.parametrize(("name", "method", "path", "form", "unrecorded"), [
    ("access_token", "POST", "/api/v1/access_token", None, set()),
    ("me", "GET", "/api/v1/me", None, set()),
    ("comment_on_submission", "POST", "/api/comment", "t3", MODERN),
    ("comment_on_comment", "POST", "/api/comment", "t1", MODERN),
    ("comment_on_message", "POST", "/api/comment", "t4", set()),
    ("compose", "POST", "/api/compose", {"to": "carla", "subject": "Acme support", "text": "Hi"}, set()),
])
async def test_the_fakes_other_answers_have_the_recorded_keys_and_types(fake, name, method, path, form, unrecorded):
    if isinstance(form, str):  # the customer's newest thing of that kind
        parent = next(n for n, t in reversed(fake.things.items()) if t["kind"] == form and t["data"]["author"] != BRAND)
        form = {"thing_id": parent, "text": "We're on it"}
    got = await call(fake, method, path, data={**(form or {}), "api_type": "json"} if form else None)
    assert got.status_code == 200
    assert drift(got.json(), recording("reddit", name)["body"], ALWAYS, unrecorded) == []


async def test_a_refusal_has_the_recorded_shape(fake):
    got = await call(fake, "POST", "/api/comment", data={"thing_id": "t1_nothere", "text": "x", "api_type": "json"})
    assert drift(got.json(), recording("reddit", "refusal_user_required")["body"], ALWAYS) == []
    assert got.json()["json"]["errors"][0][0] == "INVALID_THING"
