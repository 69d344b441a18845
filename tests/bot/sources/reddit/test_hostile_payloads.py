"""Generated hostile Listings through the Reddit parsers: a bad child never costs the good ones, every good one
becomes a post with its thread, link and account."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.sources.reddit.client import parse_listing
from bot.sources.reddit.source import WEB, to_post

HOSTILE = st.sampled_from(["[deleted]", "u/AcmeSupport", "/u/x", "r/acme", "^JD", "&amp;", "<script>", "**", ">!", "|",
                           "\u202e", "👩‍👩‍👧‍👦", "\x00", "\n\n", "    code", "#1", "1. ", "https://evil.example/?context=3"])
TEXT = st.lists(st.one_of(st.text(max_size=12), HOSTILE), max_size=10).map("".join)
ID36 = st.text(alphabet="0123456789abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8)


def _comment(id36: str, body: str, link: str, inbox: bool, permalink: bool) -> dict:
    data = {"name": f"t1_{id36}", "id": id36, "author": "carla", "author_fullname": "t2_abc", "body": body,
            "parent_id": f"t3_{link}", "created_utc": 1_700_000_000.0 + len(body)}
    if inbox:
        data |= {"type": "comment_reply", "context": f"/r/acme/comments/{link}/slug/{id36}/?context=3"}
    else:
        data["link_id"] = f"t3_{link}"
        if permalink:
            data["permalink"] = f"/r/acme/comments/{link}/slug/{id36}/"
    return {"kind": "t1", "data": data}


GOOD = st.builds(_comment, ID36, TEXT, ID36, st.booleans(), st.booleans())
JUNK = st.one_of(st.none(), st.text(max_size=8), st.integers(), st.fixed_dictionaries({"kind": st.just("t1")}),
                 st.fixed_dictionaries({"kind": st.just("t1"), "data": st.fixed_dictionaries({"name": st.just("t1_junk")})}),
                 st.fixed_dictionaries({"kind": st.just("t1"), "data": st.fixed_dictionaries(
                     {"name": st.just("t1_junk"), "created_utc": st.just("noon"), "body": TEXT})}))


@settings(max_examples=150, deadline=None)
@given(good=st.lists(GOOD, max_size=8, unique_by=lambda c: c["data"]["name"]), junk=st.lists(JUNK, max_size=6),
       data=st.data())
def test_bad_children_are_skipped_and_every_good_one_becomes_a_post(good, junk, data):
    children = data.draw(st.permutations(good + junk))
    page = parse_listing({"kind": "Listing", "data": {"after": None, "children": children}}, "GET /message/inbox")
    assert [t.name for t in page.things] == [c["data"]["name"] for c in children if c in good]
    assert [u.raw for u in page.unparsed] == [c for c in children if c not in good]  # handed on, for quarantine
    for thing, child in zip(page.things, [c for c in children if c in good], strict=True):
        post = to_post(thing, "reply")
        link = child["data"]["parent_id"]
        assert (post.text, post.thread_root_id, post.reply_to_id) == (child["data"]["body"], link, link)
        assert post.author.account_id == "t2_abc" and post.url.startswith(f"{WEB}/") and "?" not in post.url
        assert f"/comments/{link.removeprefix('t3_')}/" in post.url and post.url.endswith(f"/{thing.name[3:]}/")
