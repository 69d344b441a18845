"""/healthz, /readyz and /metrics in every mode (Socket Mode, HTTP mode, Discord only), scraped over HTTP as
Prometheus would; readiness with the database cut off, and with a stuck outbox."""
from __future__ import annotations

import asyncio
import time
from contextlib import asynccontextmanager
from datetime import timedelta
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from bot.app.cli import serve
from bot.app.health import Health
from bot.settings import load_secrets, parse_config
from handlers import dispatch
from handlers.context import Actor, Request
from storage.db import session_scope
from storage.models import LlmUsage, OutboxEntry
from tests.auxil import factories
from tests.auxil.desk import drain, feed, make_runtime, tick
from tests.auxil.tcp_proxy import TcpProxy
from tests.fakes.discord_api import GUILD_FORUM, FakeDiscord
from tests.fakes.slack_api import FakeSlack
from tests.test_crash_recovery import free_port

POSTS = [factories.post_item(1, "@acme my order never arrived"), factories.post_item(2, "@acme where is my refund?")]


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    """Every sample of a Prometheus text page: (name, labels) -> value."""
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def value(page: dict, name: str, **labels: str) -> float | None:
    return page.get((name, frozenset(labels.items())))


def config_text(route: str) -> dict:
    return {"brand": {"name": "Acme", "handles": ["@acme"]},
            "sources": [{"name": "replay", "type": "replay", "path": "posts.jsonl", "poll_every": "1s"}],
            "routes": [route], "agents": [{"name": "Sam Lee", "initials": "SL", "slack": "USAM"}]}


@asynccontextmanager
async def running(tmp_path, monkeypatch, config: dict, mode: str, **secrets):
    """`socialdesk run` in this event loop (what the command does after reading its files), on a free port."""
    monkeypatch.chdir(tmp_path)
    factories.add_posts(tmp_path, *POSTS)
    port = free_port()
    stop = asyncio.Event()
    loaded = load_secrets(socialdesk_config=tmp_path / "socialdesk.toml", database_url=f"sqlite:///{tmp_path / 'db.sqlite'}",
                          **secrets)
    task = asyncio.create_task(serve(loaded, parse_config(config), mode, "127.0.0.1", port, stop))
    async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as http:
        try:
            await until(lambda: _answers(http, "/healthz"), task)
            yield http
        finally:
            stop.set()
            await asyncio.wait_for(task, 30)


async def _answers(http: aiohttp.ClientSession, path: str) -> bool:
    try:
        async with http.get(path) as answer:
            return answer.status == 200
    except aiohttp.ClientConnectionError:
        return False


async def until(check, task: asyncio.Task | None = None, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if task is not None and task.done():
            task.result()  # raises what stopped it
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("timed out")


async def scrape(http: aiohttp.ClientSession) -> dict:
    async with http.get("/metrics") as answer:
        assert answer.status == 200 and answer.content_type == "text/plain"
        return samples(await answer.text())


async def both_posts_delivered(http: aiohttp.ClientSession) -> bool:
    page = await scrape(http)
    return (value(page, "socialdesk_posts_ingested_total", source="replay") == 2
            and value(page, "socialdesk_deliveries_total", kind="chat.open", outcome="delivered") == 2)


async def check_ready(http: aiohttp.ClientSession, platform: str) -> dict:
    async with http.get("/readyz") as answer:
        body = await answer.json()
    assert answer.status == 200, body
    assert body["database"] == "ok" and body["chat"] == {platform: "connected"} and body["outbox"] == "ok"
    assert body["lease"].startswith("held")
    return body


async def test_socket_mode_serves_health_and_metrics_on_its_own_port(tmp_path, monkeypatch):
    async with FakeSlack() as slack:
        channel = slack.add_channel("social-desk")
        slack.rate_limit("chat.postMessage", times=1, retry_after=1)  # the first message meets a 429
        async with running(tmp_path, monkeypatch, config_text({"channel": "#social-desk"}), "socket",
                           slack_bot_token=slack.token, slack_api_url=slack.base_url, slack_app_token="xapp-1-test") as http:
            await until(lambda: both_posts_delivered(http))
            page = await scrape(http)
            assert value(page, "socialdesk_rate_limited_total", target="chat:slack") == 1
            assert value(page, "socialdesk_deliveries_total", kind="chat.open", outcome="throttled") == 1
            assert value(page, "socialdesk_polls_total", source="replay", feed="all", outcome="ok") >= 1
            assert value(page, "socialdesk_source_failing", source="replay", feed="all") == 0
            assert value(page, "socialdesk_source_last_success_timestamp_seconds", source="replay", feed="all") > 0
            assert value(page, "socialdesk_database_up") == 1 and value(page, "socialdesk_leader") == 1
            await check_ready(http, "slack")
            async with http.post("/slack/events", data="x") as answer:
                assert answer.status == 404  # Socket Mode: Slack's events do not come over HTTP
        assert len(slack.messages(channel)) == 2


async def test_http_mode_shares_slacks_port(tmp_path, monkeypatch):
    async with FakeSlack() as slack:
        slack.add_channel("social-desk")
        async with running(tmp_path, monkeypatch, config_text({"channel": "#social-desk"}), "http",
                           slack_bot_token=slack.token, slack_api_url=slack.base_url,
                           slack_signing_secret="0123456789abcdef") as http:
            await until(lambda: both_posts_delivered(http))
            page = await scrape(http)
            assert value(page, "socialdesk_outbox_failed", channel="chat:slack:social-desk") is None
            await check_ready(http, "slack")
            async with http.post("/slack/events", data="x", headers={"Content-Type": "text/plain"}) as answer:
                assert answer.status == 401  # Bolt is there too, checking signatures


async def test_a_discord_only_desk_serves_health_and_metrics(tmp_path, monkeypatch):
    async with FakeDiscord() as fake:
        forum = fake.add_channel("social-desk", GUILD_FORUM)
        config = {**config_text({"platform": "discord", "channel": "#social-desk"}),
                  "discord": {"guild_id": fake.guild_id, "per_channel_per_second": 40}}
        async with running(tmp_path, monkeypatch, config, "http", discord_bot_token=fake.token,
                           discord_api_url=fake.api_url, discord_gateway_url=fake.gateway_url, slack_bot_token=None) as http:
            await until(lambda: both_posts_delivered(http))
            await until(lambda: _answers(http, "/readyz"))  # ready once the gateway is
            body = await check_ready(http, "discord")
            assert body["ok"] is True
        assert len(fake.threads(forum)) == 2


async def test_readiness_fails_while_the_database_is_unreachable(postgres_url, tmp_path):
    parts = urlsplit(postgres_url)
    with TcpProxy(parts.hostname, parts.port) as proxy:
        through_proxy = urlunsplit(parts._replace(netloc=f"{parts.username}@127.0.0.1:{proxy.port}"))
        runtime, _, _ = make_runtime(through_proxy, tmp_path)
        try:
            async with TestClient(TestServer(_app(runtime))) as http:
                answer = await http.get("/readyz")
                assert answer.status == 200 and (await answer.json())["database"] == "ok"
                proxy.cut()  # the database goes away
                answer = await http.get("/readyz")
                body = await answer.json()
                assert answer.status == 503 and body["ok"] is False
                assert body["database"].startswith("unreachable: ") and body["outbox"] == "unknown (no database)"
                assert (await http.get("/healthz")).status == 200  # alive all the same: nothing to restart for
                page = samples(await (await http.get("/metrics")).text())
                assert value(page, "socialdesk_database_up") == 0
        finally:
            runtime.engine.dispose()


async def test_readiness_fails_on_a_stuck_outbox_and_a_disconnected_chat(db_url, tmp_path):
    runtime, _, clock = make_runtime(db_url, tmp_path)
    health = Health(runtime)
    with session_scope(runtime.engine) as session:
        session.add(OutboxEntry(key="k1", kind="chat.channel", target="chat:slack:C0SOCIAL", payload={},
                                available_at=clock.now() - timedelta(minutes=20), created_at=clock.now()))
    ready, checks = await health.readiness()
    assert not ready and checks["outbox"] == "stuck: an entry for chat:slack:C0SOCIAL has been due for 20 min"

    async def down() -> bool:
        return False

    runtime.add_chat(runtime.chats["slack"], down)
    ready, checks = await health.readiness()
    assert checks["chat"] == {"slack": "disconnected"}
    await runtime.close()


async def test_replies_sla_nudges_and_model_usage_are_counted(db_url, tmp_path):
    runtime, chat, clock = make_runtime(db_url, tmp_path)
    feed(runtime, factories.post("@acme my order never arrived, 2 weeks now", external_id="m1"))
    await drain(runtime)
    await tick(runtime, clock, minutes=50)  # high priority, 1 h: warned at 45 min
    await tick(runtime, clock, minutes=15)  # ... and breached at 1 h
    assert (await dispatch(runtime.desk, Request("reply", Actor("slack", "USAM"), 1, "Sorry, checking now"))).ok
    await drain(runtime)
    with session_scope(runtime.engine) as session:
        session.add(LlmUsage(conversation_id=1, model="gpt-4o-mini", purpose="suggest", input_tokens=900,
                             output_tokens=120, cost=0.0002, at=clock.now()))
    page = samples(generate_latest(runtime.metrics.registry).decode())
    assert value(page, "socialdesk_sla_nudges_total", stage="warn") == 1
    assert value(page, "socialdesk_sla_nudges_total", stage="breach") == 1
    assert value(page, "socialdesk_replies_published_total", source="replay") == 1
    assert value(page, "socialdesk_llm_tokens_total", model="gpt-4o-mini", direction="input") == 900
    assert value(page, "socialdesk_llm_cost_total", model="gpt-4o-mini") == 0.0002
    await runtime.close()


def _app(runtime):
    from aiohttp import web

    app = web.Application()
    app.add_routes(Health(runtime).routes())
    return app


async def test_a_port_in_use_is_a_configuration_problem_that_names_the_way_out():
    from bot.app.health import serve as serve_health
    from bot.settings import ConfigError

    port = free_port()
    close = await serve_health([], "127.0.0.1", port)
    try:
        with pytest.raises(ConfigError, match=f"Cannot listen on 127.0.0.1:{port}.*pass another --port"):
            await serve_health([], "127.0.0.1", port)
    finally:
        await close()
