"""Generated hostile payloads through the X parsers: a bad item never costs the good ones, and a reply is
recognised in X's stored copy after a crash, whatever its text."""
from __future__ import annotations

import html
import unicodedata
from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.settings import BrandConfig
from bot.sources.options import SourceContext
from bot.sources.x.client import Page, Tweet, User
from bot.sources.x.source import build, same_text
from tests.auxil.clock import FakeClock
from tests.fakes.x_api import X_EPOCH_MS, _wrap_links

BRAND = User(id="1000", username="acme")
USERS = [{"id": str(n), "username": f"user{n}", "name": name, "public_metrics": {"followers_count": n}}
         for n, name in ((2001, "Carla"), (2002, "<@U123> @here"), (2003, "‮evil"))]
HOSTILE = st.sampled_from(["&amp;", "&lt;script&gt;", "<b>", "@acme", "@acme ", "https://t.co/abc", "acme.com/x",
                           "\u202e", "\u200b", "👩‍👩‍👧‍👦", "\x00", "\n\n", "é", "e\u0301", "漢字", "#acme", "$ACME"])
TEXT = st.lists(st.one_of(st.text(max_size=12), HOSTILE), max_size=12).map("".join)


def _tweet(number: int, text: str, author: str, reply_to: bool) -> dict:
    tweet_id = str(((1_700_000_000_000 - X_EPOCH_MS) << 22) + number)
    tweet = {"id": tweet_id, "text": html.escape(text, quote=False), "edit_history_tweet_ids": [tweet_id],
             "author_id": author, "created_at": "2023-11-14T22:13:20.000Z", "conversation_id": tweet_id}
    if reply_to:
        tweet |= {"referenced_tweets": [{"type": "replied_to", "id": "5"}], "in_reply_to_user_id": BRAND.id}
    return tweet


GOOD = st.builds(_tweet, st.integers(1, 10**6), TEXT, st.sampled_from([u["id"] for u in USERS] + ["2999"]),
                 st.booleans())
JUNK = st.one_of(st.none(), st.integers(), st.text(max_size=8), st.lists(st.integers(), max_size=2),
                 st.fixed_dictionaries({"text": TEXT}),  # no id
                 st.fixed_dictionaries({"id": st.just("junk"), "text": st.integers()}),
                 st.fixed_dictionaries({"id": st.just("junk"), "text": TEXT, "referenced_tweets": st.just("x")}),
                 st.fixed_dictionaries({"id": st.just("junk"), "text": TEXT, "created_at": st.just("yesterday")}))


def source():
    context = SourceContext(name="x", type="x", options={"base_url": "http://127.0.0.1:9", "keywords": []},
                            brand=BrandConfig(name="Acme", handles=["@acme"]), base_dir=Path("."), clock=FakeClock(),
                            env={"X_BEARER_TOKEN": "t"})
    return build(context)


@settings(max_examples=150, deadline=None)
@given(good=st.lists(GOOD, max_size=8, unique_by=lambda t: t["id"]), junk=st.lists(JUNK, max_size=6),
       junk_users=st.lists(st.one_of(st.none(), st.fixed_dictionaries({"id": st.integers()})), max_size=2),
       data=st.data())
def test_bad_items_are_skipped_and_every_good_one_becomes_a_post(good, junk, junk_users, data):
    items = data.draw(st.permutations(good + junk))
    body = {"data": items, "includes": {"users": USERS + junk_users, "tweets": junk},
            "errors": [{"detail": "Could not find tweet"}, "odd"], "meta": {"result_count": len(items)}}
    posts = source()._posts(Page(body, Tweet, "mention"), BRAND, "mention")
    assert {p.external_id for p in posts} == {t["id"] for t in good}
    for post in posts:
        tweet = next(t for t in good if t["id"] == post.external_id)
        assert post.text == html.unescape(tweet["text"]) and post.author.account_id == tweet["author_id"]
        assert post.kind == ("reply" if "referenced_tweets" in tweet else "mention")
        known = next((u for u in USERS if u["id"] == tweet["author_id"]), None)
        assert post.author.handle == (known["username"] if known else tweet["author_id"])


@settings(max_examples=300, deadline=None)
@given(text=TEXT.filter(str.strip))
@example(text="\r@0 ")  # a mention after leading whitespace: found by CI, once
def test_a_reply_is_recognised_in_the_copy_x_stores(text):
    """X stores the NFC form, led by the customer's @handle, with & < > escaped and links wrapped in t.co."""
    stored = "@carla " + html.escape(_wrap_links(unicodedata.normalize("NFC", text)), quote=False)
    assert same_text(text, stored)
    assert not same_text(text + " (edited)", stored)
