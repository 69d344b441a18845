"""One bad post never blocks a page: it is set aside in quarantine with its payload and the reason, the cursor moves
on, every good post after it arrives, and the team hears once (chat, /desk status, check). On SQLite and PostgreSQL."""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, select

from bot.ingest import incidents, pipeline
from bot.ingest.health import describe, source_health
from bot.ingest.normalise import CLAMPED, FOLLOWERS_MAX, NAME_MAX
from bot.ingest.poller import poll_on_schedule
from bot.ingest.quarantine import set_aside
from handlers import desk as desk_command
from handlers.context import Actor, Request
from storage.models import Customer, OutboxEntry, Post, QuarantinedPost, SourceCursor
from tests.auxil import factories
from tests.auxil.desk import make_runtime

WEST = {"business_hours": {"timezone": "America/New_York", "start": "09:00", "end": "17:00"}}


def line(n: int, **extra) -> dict:
    author = {"handle": f"user{n}", "name": f"User {n}", **extra.pop("author", {})}
    return {"id": f"q{n}", "author": author, "text": f"@acme my order {n} never arrived",
            "created_at": "2026-11-02T09:00:00Z", **extra}


def write(tmp_path, *lines) -> None:
    with (tmp_path / "posts.jsonl").open("a", encoding="utf-8") as handle:
        for item in lines:
            handle.write((item if isinstance(item, str) else json.dumps(item)) + "\n")


async def poll(runtime) -> int:
    outcome = await poll_on_schedule(runtime.engine, runtime.config, runtime.sources["replay"], runtime.clock, 60.0, 0)
    return outcome.new


def stored_ids(runtime) -> set[str]:
    with Session(runtime.engine) as session:
        return set(session.exec(select(Post.external_id)))


def quarantined(runtime) -> list[QuarantinedPost]:
    with Session(runtime.engine) as session:
        return list(session.exec(select(QuarantinedPost).order_by(QuarantinedPost.id)))


def alerts(runtime) -> list[OutboxEntry]:
    with Session(runtime.engine) as session:
        return list(session.exec(select(OutboxEntry).where(OutboxEntry.key.startswith("quarantine:"))))


async def test_lines_that_are_not_posts_are_set_aside_and_the_posts_after_them_arrive(db_url, tmp_path):
    runtime, _, _ = make_runtime(db_url, tmp_path)
    deep = "[" * 50_000 + "]" * 50_000
    write(tmp_path, line(1), deep, line(2), line(3, reply_to={"id": "q1"}), line(4), "not json at all", line(5))
    assert await poll(runtime) == 4
    assert stored_ids(runtime) == {"q1", "q2", "q4", "q5"}
    first, second, third = quarantined(runtime)
    assert first.payload == deep and first.reason.endswith("nested too deeply to read") and first.post is None
    assert json.loads(second.payload)["reply_to"] == {"id": "q1"} and "reply_to is an id" in second.reason
    assert third.payload == "not json at all"
    with Session(runtime.engine) as session:
        state = session.get(SourceCursor, "replay")
        assert state.last_error is None and int(state.cursor) == (tmp_path / "posts.jsonl").stat().st_size
    assert await poll(runtime) == 0 and len(quarantined(runtime)) == 3  # the cursor moved past them: read once


@pytest.mark.parametrize("bad, check", [
    (line(1, text="@acme broken\x00 order"), lambda post, customer: post.text == "@acme broken order"),
    (line(1, author={"name": "N" * 400}), lambda post, customer: customer.display_name == "N" * NAME_MAX),
    (line(1, author={"followers": 2**63}), lambda post, customer: customer.followers == FOLLOWERS_MAX),
    (line(1, author={"followers": "lots"}), lambda post, customer: customer.followers is None),
    (line(1, created_at="0001-01-01T00:00:00Z"),
     lambda post, customer: post.created_at == factories.T0 and post.raw[CLAMPED]["created_at"].startswith("0001-01-01")),
], ids=["nul", "long-name", "followers-2^63", "followers-lots", "year-0001"])
async def test_values_past_a_databases_limits_are_normalised_at_the_edge(db_url, tmp_path, bad, check):
    runtime, _, _ = make_runtime(db_url, tmp_path, sla=WEST)
    write(tmp_path, bad, line(2))
    assert await poll(runtime) == 2 and quarantined(runtime) == []
    with Session(runtime.engine) as session:
        post = session.exec(select(Post).where(Post.external_id == "q1")).one()
        assert check(post, session.get(Customer, post.customer_id))


def _postgres(db_url: str) -> bool:
    return db_url.startswith("postgresql")


@pytest.mark.parametrize("bad, everywhere", [
    (line(1, created_at="0001-01-01T00:00:00Z"), True),  # OverflowError in business time west of UTC
    (line(1, author={"followers": 2**63}), True),  # past 64 bits: SQLite refuses it too
    (line(1, text="@acme broken\x00 order"), False),
    (line(1, author={"name": "N" * 400}), False),
    (line(1, author={"followers": "lots"}), False),
], ids=["year-0001", "followers-2^63", "nul", "long-name", "followers-lots"])
async def test_a_post_the_database_refuses_goes_to_quarantine_and_the_page_goes_on(db_url, tmp_path, monkeypatch, bad,
                                                                                   everywhere):
    """Without the edge's normalising (as for a limit it does not know yet), the database's refusal only sets the
    post aside."""
    monkeypatch.setattr(pipeline, "normalised", lambda post, now: post)
    runtime, _, _ = make_runtime(db_url, tmp_path, sla=WEST)
    write(tmp_path, line(0), bad, line(2), line(3))
    refused = everywhere or _postgres(db_url)
    assert await poll(runtime) == (3 if refused else 4)
    assert {"q0", "q2", "q3"} <= stored_ids(runtime)
    if refused:
        (entry,) = quarantined(runtime)
        assert entry.external_id == "q1" and json.loads(entry.payload)["id"] == "q1" and entry.reason
        assert json.loads(entry.post)["external_id"] == "q1"


async def test_the_team_hears_once_per_burst_in_chat_status_and_check(db_url, tmp_path):
    runtime, _, clock = make_runtime(db_url, tmp_path)
    write(tmp_path, "bad 1", line(1), "bad 2", "bad 3")
    await poll(runtime)
    (alert,) = alerts(runtime)
    assert alert.payload["channel"] == "C0SOCIAL" and "socialdesk quarantine list" in alert.payload["text"]
    clock.advance(timedelta(minutes=30))
    write(tmp_path, "bad 4")
    await poll(runtime)
    assert len(alerts(runtime)) == 1  # the same burst
    clock.advance(timedelta(hours=2))
    write(tmp_path, "bad 5")
    await poll(runtime)
    assert len(alerts(runtime)) == 2  # a new burst
    with Session(runtime.engine) as session:
        (health,) = source_health(session, runtime.config)
    assert health.quarantined == 5 and "5 posts in quarantine (`socialdesk quarantine list`)" in describe(health, clock.now())
    answer = await desk_command.run(runtime.desk, Request("desk", Actor("slack", "UJANE"), args="status"))
    assert "5 posts in quarantine" in answer.text


async def test_an_unexpected_error_is_recorded_as_the_sources_error_and_announced(db_url, tmp_path, monkeypatch):
    runtime, _, _ = make_runtime(db_url, tmp_path)
    write(tmp_path, line(1))

    def broken(*args):
        raise RuntimeError("grouping exploded")

    monkeypatch.setattr(incidents, "group", broken)
    await poll(runtime)
    with Session(runtime.engine) as session:
        state = session.get(SourceCursor, "replay")
        failing = list(session.exec(select(OutboxEntry).where(OutboxEntry.key.contains(":failing:"))))
    assert "unexpected RuntimeError: grouping exploded" in state.last_error and state.cursor is None
    assert len(failing) == 1 and "grouping exploded" in failing[0].payload["text"]
    monkeypatch.undo()
    assert await poll(runtime) == 1


JSONISH = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
                       lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                       max_leaves=8)
AUTHOR = JSONISH | st.fixed_dictionaries({"handle": JSONISH}, optional={"name": JSONISH, "followers": JSONISH})


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(author=AUTHOR, text=JSONISH | st.text())
async def test_arbitrary_authors_and_texts_never_block_a_page(db_url, tmp_path, author, text):
    runtime, _, _ = make_runtime(db_url, tmp_path)
    before, set_aside = stored_ids(runtime), len(quarantined(runtime))
    n = len(before) + set_aside
    write(tmp_path, {"id": f"h{n}", "author": author, "text": text, "created_at": "2026-11-02T09:00:00Z"},
          line(100_000 + n))
    await poll(runtime)
    after = stored_ids(runtime)
    assert f"q{100_000 + n}" in after  # the good post after it arrived
    assert (f"h{n}" in after) != (len(quarantined(runtime)) == set_aside + 1)  # the odd one: stored, or set aside
    with Session(runtime.engine) as session:
        assert session.get(SourceCursor, "replay").last_error is None
    runtime.engine.dispose()


def test_timestamps_no_network_can_make_are_clamped():
    from bot.ingest.normalise import normalised

    now = datetime(2026, 11, 2, 9, tzinfo=UTC)
    future = normalised(factories.post(minutes=60 * 24 * 3), now)
    assert future.created_at == now and CLAMPED in future.raw
    assert normalised(factories.post(minutes=60), now).created_at == factories.T0 + timedelta(minutes=60)


async def test_an_item_met_again_is_kept_once(db_url, tmp_path):
    """A source that reads its listing again each poll (Reddit) hands on the same bad item again: one entry."""
    runtime, _, clock = make_runtime(db_url, tmp_path)
    broken = {"kind": "t1", "data": {"name": "t1_junk", "created_utc": "noon"}}
    with Session(runtime.engine) as session:
        first = set_aside(session, runtime.config, "replay", payload=broken, reason="created_utc: not a number",
                          now=clock.now())
        again = set_aside(session, runtime.config, "replay", payload=dict(broken), reason="created_utc: not a number",
                          now=clock.now() + timedelta(minutes=1))
        other = set_aside(session, runtime.config, "replay", payload={"kind": "t1"}, reason="no data", now=clock.now())
        session.commit()
        assert again.id == first.id and other.id != first.id
    assert len(quarantined(runtime)) == 2 and len(alerts(runtime)) == 1
