"""The daily digest: once a day after its time, yesterday's figures and what is overdue, never twice."""
from datetime import timedelta

from bot.app.runtime import Runtime
from bot.reports.digest import queue_digest
from tests.auxil import factories
from tests.auxil.desk import feed, make_runtime

DIGEST = {"channel": "C0LEADS", "at": "10:00"}


async def test_the_digest_is_posted_once_a_day_after_its_time(db_url, tmp_path):
    runtime, chat, clock = make_runtime(db_url, tmp_path, digest=DIGEST)  # Monday 2 November, 09:00 UTC
    feed(runtime, factories.post("@acme my order never arrived", external_id="y1", minutes=-13 * 60),  # Sunday 20:00
         factories.post("@acme do you ship to Canada?", external_id="t1", handle="dan"))  # today
    assert not queue_digest(runtime.engine, runtime.config, clock.now())  # 09:00: not yet
    clock.advance(timedelta(hours=1))
    assert queue_digest(runtime.engine, runtime.config, clock.now())
    assert not queue_digest(runtime.engine, runtime.config, clock.now() + timedelta(hours=3))
    await runtime.outbox.drain()
    (digest,) = chat.channel_posts
    assert digest.channel == "C0LEADS" and digest.key == "digest:slack:C0LEADS:2026-11-02"
    lines = digest.body.text.splitlines()
    assert lines[0] == "Daily digest, Monday 2 November: yesterday in figures, and what is overdue now."
    assert lines[1] == "1 conversation yesterday."
    assert lines[2] == "• First response: no responses yet · response rate 0 % (0 of 1)"
    assert lines[3].startswith("• On time: first responses 0 % (0 of 1)")
    assert lines[4] == "Overdue now (1):"
    assert lines[5].startswith("• #1 high · OVERDUE by 13 h · replay @carla · nobody")
    await runtime.close()

    restarted = Runtime(runtime.config, database_url=db_url, base_dir=tmp_path, clock=clock)
    assert not queue_digest(restarted.engine, restarted.config, clock.now())  # same day, another process
    clock.advance(timedelta(days=1))
    assert queue_digest(restarted.engine, restarted.config, clock.now())
    await restarted.close()


async def test_no_digest_without_its_section(db_url, tmp_path):
    runtime, _, clock = make_runtime(db_url, tmp_path)
    assert not queue_digest(runtime.engine, runtime.config, clock.now() + timedelta(hours=12))
