"""`socialdesk export` and /stats … export: conversations, replies, notes and SLA outcomes, written and read back."""
from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

from sqlmodel import Session

from bot.app.cli import app
from bot.ingest.pipeline import ingest
from bot.reports.export import COLUMNS, Selection, render, tables
from handlers import dispatch
from handlers.context import Actor, Request
from storage.db import session_scope
from tests.auxil import factories
from tests.auxil.cli import project, runner
from tests.auxil.desk import drain, feed, make_runtime, tick

SAM, JANE = Actor("slack", "USAM"), Actor("slack", "UJANE")


async def desk_with_history(db_url, tmp_path):
    """#1 (x, answered by Sam on time, with a note), #2 (mastodon, claimed by Jane, breached), #3 a day later."""
    runtime, chat, clock = make_runtime(db_url, tmp_path, sources=[
        {"name": "replay", "type": "replay", "path": "posts.jsonl"},
        {"name": "fedi", "type": "replay", "path": "fedi.jsonl"}])
    feed(runtime, factories.post("@acme my order never arrived, 2 weeks now", external_id="e1", handle="carla"))
    with session_scope(runtime.engine) as session:
        ingest(session, runtime.config, "fedi", factories.post("@acme do you ship to Canada?", external_id="e2",
                                                               handle="dan", network="mastodon"), clock.now())
    await drain(runtime)
    await dispatch(runtime.desk, Request("note", SAM, 1, "VIP, \"handle with care\", really", message_id="m1"))
    assert (await dispatch(runtime.desk, Request("reply", SAM, 1, "So sorry, checking now"))).ok
    assert (await dispatch(runtime.desk, Request("claim", JANE, 2))).ok
    await drain(runtime)
    await tick(runtime, clock, hours=5)  # #2's 4 h first response is missed
    clock.advance(timedelta(days=1))
    feed(runtime, factories.post("@acme thanks, all good now", external_id="e3", handle="erin", minutes=24 * 60 + 300))
    return runtime, clock


def read_csv(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode())))


async def test_the_tables_read_back_from_csv_with_every_field(db_url, tmp_path):
    runtime, clock = await desk_with_history(db_url, tmp_path)
    with Session(runtime.engine) as session:
        rows = tables(session, runtime.config, Selection(), clock.now())
    conversations = read_csv(render("conversations", rows["conversations"], "csv"))
    assert [c["number"] for c in conversations] == ["1", "2", "3"]
    assert list(conversations[0]) == list(COLUMNS["conversations"])
    first = conversations[0]
    assert (first["source"], first["customer"], first["owner"], first["priority"]) == ("replay", "carla", "Sam Lee", "high")
    assert first["text"] == "@acme my order never arrived, 2 weeks now" and first["opened_at"] == "2026-11-02T09:00:00+00:00"
    assert conversations[1]["source"] == "fedi" and conversations[1]["owner"] == "Jane Doe"
    (reply,) = read_csv(render("replies", rows["replies"], "csv"))
    assert (reply["number"], reply["agent"], reply["status"], reply["text"]) == ("1", "Sam Lee", "published",
                                                                                 "So sorry, checking now ^SL")
    (note,) = read_csv(render("notes", rows["notes"], "csv"))
    assert note["text"] == 'VIP, "handle with care", really' and note["number"] == "1"  # quotes and commas survive
    sla = {(row["number"], row["target"]): row for row in read_csv(render("sla", rows["sla"], "csv"))}
    assert sla[("1", "first response")]["verdict"] == "met" and sla[("1", "first response")]["response_seconds"] == "0"
    assert sla[("1", "first response")]["target_seconds"] == "3600" and sla[("1", "first response")]["agent"] == "Sam Lee"
    assert sla[("2", "first response")]["verdict"] == "missed" and sla[("2", "first response")]["response_seconds"] == ""
    await runtime.close()


async def test_since_until_source_and_agent_choose_the_conversations(db_url, tmp_path):
    runtime, clock = await desk_with_history(db_url, tmp_path)
    t0 = factories.T0

    def numbers(**selection) -> list[int]:
        with Session(runtime.engine) as session:
            rows = tables(session, runtime.config, Selection(**selection), clock.now())
        return [row["number"] for row in rows["conversations"]]

    assert numbers(since=t0 + timedelta(hours=1)) == [3]
    assert numbers(until=t0 + timedelta(hours=1)) == [1, 2]
    assert numbers(source="fedi") == [2]
    assert numbers(agent="sam lee") == [1] and numbers(agent="JD") == [2]
    with Session(runtime.engine) as session:
        only_jane = tables(session, runtime.config, Selection(agent="Jane Doe"), clock.now())
    assert only_jane["replies"] == [] and {row["number"] for row in only_jane["sla"]} == {2}
    await runtime.close()


async def test_the_command_writes_four_files_and_refuses_what_it_cannot_read(tmp_path, monkeypatch):
    (tmp_path / "desk").mkdir()
    folder = project(tmp_path / "desk", monkeypatch)
    database = f"sqlite:///{folder / 'socialdesk.db'}"
    runtime, _ = await desk_with_history(database, folder)
    await runtime.close()
    monkeypatch.setenv("DATABASE_URL", database)
    result = runner.invoke(app, ["export", "--out", str(tmp_path / "out"), "--since", "2026-11-02", "--until",
                                 "2026-11-03"])
    assert result.exit_code == 0, result.output
    assert "2 conversations" in " ".join(result.output.split()) and "socialdesk-sla.csv" in result.output
    conversations = read_csv((tmp_path / "out/socialdesk-conversations.csv").read_bytes())
    assert [row["customer"] for row in conversations] == ["carla", "dan"]
    result = runner.invoke(app, ["export", "--out", str(tmp_path / "lines"), "--format", "jsonl", "--agent", "SL"])
    assert result.exit_code == 0, result.output
    lines = (tmp_path / "lines/socialdesk-replies.jsonl").read_text().splitlines()
    assert [json.loads(line)["agent"] for line in lines] == ["Sam Lee"]
    for args, message in ((["--agent", "Nobody"], "no agent is called 'nobody'"), (["--since", "last tuesday"],
                          "neither a date"), (["--format", "xlsx"], "csv or jsonl"), (["--source", "x"], "no source")):
        refused = runner.invoke(app, ["export", "--out", str(tmp_path / "never"), *args])
        assert refused.exit_code == 2 and message in refused.output, refused.output
    assert not (tmp_path / "never").exists()  # nothing half-written
