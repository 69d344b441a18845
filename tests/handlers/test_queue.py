"""/queue: filters by owner, priority and network, pages of 20 done by the database, and clear refusals."""
from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlmodel import Session, select

from handlers import dispatch
from handlers.context import Actor, Request
from handlers.parsing import parse_slash, parse_thread_message
from handlers.queue import SHOWN, USAGE
from storage.models import Conversation
from tests.auxil import factories
from tests.auxil.desk import feed, make_runtime

JANE, SAM, STRANGER = (Actor("slack", u) for u in ("UJANE", "USAM", "UNOBODY"))
TEXTS = {
    "urgent": "@acme URGENT charged twice!!",
    "high": "@acme my order never arrived, 2 weeks now",
    "normal": "@acme do you ship to Canada?",
    "low": "@acme love the new app, thanks!",
}


async def queue(runtime, args="", actor=SAM):
    return await dispatch(runtime.desk, parse_slash("/queue", args, actor))


def numbers(text: str) -> list[int]:
    return [int(line.split()[0][1:]) for line in text.splitlines() if line.startswith("#")]


@pytest.fixture
def desk(db_url, tmp_path):
    """#1 urgent on x, Sam's · #2 high on mastodon, Jane's · #3 normal on x, nobody's · #4 low on bluesky, nobody's."""
    runtime, _, clock = make_runtime(db_url, tmp_path)
    feed(runtime, *(factories.post(TEXTS[priority], network=network, handle=f"c{n}", external_id=f"q{n}")
                    for n, (priority, network) in enumerate(
                        [("urgent", "x"), ("high", "mastodon"), ("normal", "x"), ("low", "bluesky")], 1)))
    return runtime, clock


async def claim(runtime, number, actor):
    assert (await dispatch(runtime.desk, Request("claim", actor, number))).ok


async def test_filters_by_owner_priority_and_network_and_combine(desk):
    runtime, _ = desk
    with Session(runtime.engine) as session:
        assert [c.priority for c in session.exec(select(Conversation).order_by(Conversation.id))] == list(TEXTS)
    await claim(runtime, 1, SAM)
    await claim(runtime, 2, JANE)
    everything = await queue(runtime)
    assert everything.text.splitlines()[0] == "4 open, most pressing first:" and numbers(everything.text) == [1, 2, 3, 4]
    expected = {
        "mine": [1], "unowned": [3, 4], "urgent": [1], "low high": [2, 4], "x": [1, 3], "bluesky mastodon": [2, 4],
        "MINE Urgent": [1], "unowned x": [3], "twitter": [1, 3], "mine x normal": [],
    }
    for args, wanted in expected.items():
        outcome = await queue(runtime, args)
        assert outcome.ok and numbers(outcome.text) == wanted, args
    mine = (await queue(runtime, "mine")).text.splitlines()
    assert mine[0] == "1 open (mine), most pressing first:" and "Sam Lee" in mine[1]
    assert (await queue(runtime, "mine", JANE)).text.splitlines()[1].startswith("#2 high")
    assert (await queue(runtime, "x unowned")).text.splitlines()[0] == "1 open (unowned x), most pressing first:"


async def test_a_filter_that_matches_nothing_says_how_many_are_open_in_all(desk):
    runtime, _ = desk
    outcome = await queue(runtime, "mine urgent")
    assert outcome.ok and outcome.text == "Nothing open matches `mine urgent`; 4 open in all: `/queue` lists them."


async def test_pages_of_twenty_in_the_same_order_with_the_next_command_in_the_more_line(db_url, tmp_path):
    runtime, _, clock = make_runtime(db_url, tmp_path)
    for n in range(1, 46):  # 45 conversations, alternating priorities and networks, arriving a minute apart
        priority, network = ("normal", "low", "high")[n % 3], ("x", "reddit")[n % 2]
        feed(runtime, factories.post(TEXTS[priority], network=network, handle=f"c{n}", external_id=f"q{n}"))
        clock.advance(timedelta(minutes=1))
    await claim(runtime, 7, SAM)
    assert (await dispatch(runtime.desk, Request("snooze", SAM, 8, "1h"))).ok
    first, second, third = [await queue(runtime, args) for args in ("", "page 2", "PAGE 3")]
    assert first.text.splitlines()[0] == "45 open, most pressing first, page 1 of 3:"
    assert first.text.splitlines()[-1] == "…and 25 more: `/queue page 2`"
    assert second.text.splitlines()[0] == "45 open, most pressing first, page 2 of 3:"
    assert second.text.splitlines()[-1] == "…and 5 more: `/queue page 3`"
    assert third.text.splitlines()[-1].startswith("#") and len(numbers(third.text)) == 5
    listed = numbers(first.text) + numbers(second.text) + numbers(third.text)
    with Session(runtime.engine) as session:
        conversations = {c.id: c for c in session.exec(select(Conversation))}
    waiting = sorted((c for c in conversations.values() if c.response_due_at), key=lambda c: (c.response_due_at, c.id))
    assert listed == [c.id for c in waiting] + [8]  # soonest due first, the snoozed one last
    assert len(numbers(first.text)) == SHOWN and sorted(listed) == list(range(1, 46))

    normal_x = await queue(runtime, "x normal")  # 7 of them: one page, no "more" line
    assert all(" normal · " in line and " x @" in line for line in normal_x.text.splitlines()[1:])
    assert normal_x.text.splitlines()[0] == "7 open (normal x), most pressing first:"
    reddit = await queue(runtime, "reddit")
    assert reddit.text.splitlines()[-1] == "…and 3 more: `/queue reddit page 2`"
    reddit_2 = await queue(runtime, "page 2 reddit")
    assert reddit_2.text.splitlines()[0] == "23 open (reddit), most pressing first, page 2 of 2:"
    assert len(numbers(reddit_2.text)) == 3 and not set(numbers(reddit_2.text)) & set(numbers(reddit.text))

    past = await queue(runtime, "page 4")
    assert past.ok and past.text == "There is no page 4: 45 open fit on 3 pages. The last: `/queue page 3`"
    mine_past = await queue(runtime, "mine page 2")
    assert mine_past.text == "There is no page 2: 1 open (mine) fit on 1 page. The last: `/queue mine`"


async def test_only_one_page_of_rows_is_read_from_the_database(db_url, tmp_path):
    runtime, _, _ = make_runtime(db_url, tmp_path)
    feed(runtime, *(factories.post(TEXTS["normal"], handle=f"c{n}", external_id=f"q{n}") for n in range(25)))
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(runtime.engine, "before_cursor_execute", record)
    try:
        await queue(runtime, "page 2")
    finally:
        event.remove(runtime.engine, "before_cursor_execute", record)
    listing = [s for s in statements if "FROM conversation JOIN customer" in s]
    assert len(listing) == 1 and "LIMIT" in listing[0] and "OFFSET" in listing[0] and "CASE" in listing[0]
    assert any("count(*)" in s.lower() for s in statements)


@pytest.mark.parametrize("args,error", [
    ("mine soon", "/queue doesn't know `soon`; nothing was listed. Usage: " + USAGE),
    ("<!channel>`x`", "/queue doesn't know `!channelx`"),
    ("2", "For page 2 of the queue, type `/queue page 2`."),
    ("page", "`page` takes one page number after it, like `/queue page 2`."),
    ("page 0", "`page` takes one page number after it"),
    ("page two", "`page` takes one page number after it"),
    ("page 2 page 3", "`page` takes one page number after it"),
    ("mine unowned", "`mine` and `unowned` exclude each other: choose one."),
])
async def test_unknown_words_are_refused_with_what_is_accepted(desk, args, error):
    runtime, _ = desk
    outcome = await queue(runtime, args)
    assert not outcome.ok and outcome.text.startswith(error)


async def test_usage_names_every_accepted_word():
    assert USAGE == "/queue [mine|unowned] [urgent|high|normal|low] [bluesky|mastodon|reddit|replay|x] [tag:billing] [page 2]"


async def test_in_a_thread_queue_works_the_same_and_strangers_are_refused(desk):
    runtime, _ = desk
    await claim(runtime, 2, SAM)
    in_thread = await dispatch(runtime.desk, parse_thread_message("!queue mine high", 3, SAM, "C1:1.1"))
    assert in_thread.ok and in_thread.text == (await queue(runtime, "mine high")).text and numbers(in_thread.text) == [2]
    refused = await queue(runtime, "mine", STRANGER)
    assert not refused.ok and "Only socialdesk agents" in refused.text
