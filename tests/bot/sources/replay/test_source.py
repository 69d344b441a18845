import json

from bot.sources.base import OutboundReply
from bot.sources.replay.source import ReplaySource


def write(path, items):
    with path.open("a", encoding="utf-8") as handle:
        for item in items:
            handle.write((item if isinstance(item, str) else json.dumps(item, ensure_ascii=False)) + "\n")


def item(n, **extra):
    return {"id": f"t{n}", "author": {"handle": f"user{n}", "name": f"User {n}"}, "text": f"@acme hello {n}",
            "created_at": "2026-11-02T09:00:00Z", **extra}


async def test_pages_from_the_cursor_without_gap_or_duplicate(tmp_path):
    path = tmp_path / "posts.jsonl"
    write(path, [item(n) for n in range(5)])
    source = ReplaySource("r", path, tmp_path / "out.jsonl", batch_size=2)
    seen, cursor = [], None
    while True:
        page = await source.poll(cursor)
        seen += [p.external_id for p in page.posts]
        cursor = page.cursor
        if not page.has_more:
            break
    assert seen == ["t0", "t1", "t2", "t3", "t4"]
    write(path, [item(5)])
    page = await ReplaySource("r", path, tmp_path / "out.jsonl").poll(cursor)  # a restarted process
    assert [p.external_id for p in page.posts] == ["t5"]


async def test_a_half_written_last_line_waits_for_the_next_poll(tmp_path):
    path = tmp_path / "posts.jsonl"
    write(path, [item(1)])
    with path.open("a") as handle:
        handle.write('{"id": "t2", "author": "x", "te')
    source = ReplaySource("r", path, tmp_path / "out.jsonl")
    page = await source.poll(None)
    assert [p.external_id for p in page.posts] == ["t1"]
    with path.open("a") as handle:
        handle.write('xt": "later"}\n')
    page = await source.poll(page.cursor)
    assert [(p.external_id, p.text) for p in page.posts] == [("t2", "later")]


async def test_malformed_lines_are_handed_on_for_quarantine_and_logged(tmp_path, caplog):
    path = tmp_path / "posts.jsonl"
    deep = "[" * 100_000 + "]" * 100_000
    write(path, ["not json", json.dumps({"id": "no-author"}), deep, json.dumps(item(4, reply_to={"id": "t0"})), item(5)])
    page = await ReplaySource("r", path, tmp_path / "out.jsonl").poll(None)
    assert [p.external_id for p in page.posts] == ["t5"]
    assert [u.raw for u in page.unparsed][:3] == ["not json", json.dumps({"id": "no-author"}), deep]
    reasons = [u.reason for u in page.unparsed]
    assert reasons[0].startswith("line at byte 0 is not a post: Expecting value")
    assert reasons[1].endswith("no 'author' field") and reasons[2].endswith("nested too deeply to read")
    assert reasons[3].endswith("reply_to is an id (a string or a number), not dict")
    assert caplog.text.count("set aside in quarantine") == 4


async def test_threads_and_odd_text_survive(tmp_path):
    path = tmp_path / "posts.jsonl"
    odd = "مرحبا \u200b@acme 🧑‍🧑‍🧒 " + "x" * 50_000
    write(path, [item(1, text=odd, reply_to="t0", thread_root="t0", network="mastodon")])
    (post,) = (await ReplaySource("r", path, tmp_path / "o.jsonl").poll(None)).posts
    assert post.text == odd and post.thread_root_id == "t0" and post.reply_to_id == "t0" and post.network == "mastodon"


async def test_publish_then_find_by_key(tmp_path):
    source = ReplaySource("r", tmp_path / "p.jsonl", tmp_path / "out.jsonl")
    reply = OutboundReply(key="reply:1", text="Thanks! ^JD", in_reply_to="t1", thread_root_id="t1", customer_handle="u")
    assert await source.find_published("reply:1") is None
    published = await source.publish_reply(reply)
    found = await source.find_published("reply:1")
    assert found.external_id == published.external_id
    record = json.loads((tmp_path / "out.jsonl").read_text())
    assert record["in_reply_to"] == "t1" and record["text"] == "Thanks! ^JD" and record["visibility"] == "public"


async def test_an_author_may_carry_the_account_id_the_network_keys_them_by(tmp_path):
    path = tmp_path / "posts.jsonl"
    write(path, [item(1, author={"handle": "carla", "account_id": 2244994945}), item(2)])
    page = await ReplaySource("r", path, tmp_path / "out.jsonl").poll(None)
    assert [p.author.account_id for p in page.posts] == ["2244994945", None]
