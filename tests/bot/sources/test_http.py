"""The sources' HTTP client against a local server: rate-limit headers, 429, 5xx, timeouts, bad JSON."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from aiohttp import web

from bot.sources.base import RESET_MARGIN, SourceError
from bot.sources.http import ApiClient, NotFound
from tests.auxil.clock import FakeClock
from tests.fakes.network_server import FakeNetwork

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


@pytest.fixture
async def server():
    fake = FakeNetwork()

    async def items(request):
        return web.json_response({"data": [1, 2, 3]})

    async def plain(request):
        return web.Response(status=400, text="status must not be empty")

    async def created(request):
        return web.json_response({"id": "9"}, status=201)

    fake.app.router.add_get("/items", items)
    fake.app.router.add_post("/plain", plain)
    fake.app.router.add_post("/items", created)
    async with fake:
        yield fake


TIMEOUT = 3.0  # long enough for a loaded CI machine to answer from loopback; the timeout test waits a second past it


@pytest.fixture
async def client(server):
    api = ApiClient("Example", server.base_url, timeout=TIMEOUT, clock=FakeClock(NOW),
                    credential_hint="check EXAMPLE_TOKEN in .env")
    yield api
    await api.close()


@pytest.mark.parametrize("headers,limit,remaining,reset", [
    ({"x-rate-limit-limit": "300", "x-rate-limit-remaining": "299",  # X: epoch seconds
      "x-rate-limit-reset": str(int((NOW + timedelta(minutes=15)).timestamp()))}, 300, 299, NOW + timedelta(minutes=15)),
    ({"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "12",  # Mastodon: ISO time
      "X-RateLimit-Reset": "2026-11-02T12:05:00.000Z"}, 300, 12, NOW + timedelta(minutes=5)),
    ({"RateLimit-Limit": "3000", "RateLimit-Remaining": "2999",  # Bluesky PDS
      "RateLimit-Reset": str(int((NOW + timedelta(minutes=5)).timestamp())), "RateLimit-Policy": "3000;w=300"},
     3000, 2999, NOW + timedelta(minutes=5)),
    ({"X-Ratelimit-Used": "4", "X-Ratelimit-Remaining": "96.0", "X-Ratelimit-Reset": "420"},  # Reddit: seconds
     100, 96, NOW + timedelta(seconds=420)),
])
async def test_reads_every_rate_limit_dialect(server, client, headers, limit, remaining, reset):
    server.headers = headers
    assert await client.request("GET", "/items", bucket="items") == {"data": [1, 2, 3]}
    (quota,) = client.quota()
    assert (quota.bucket, quota.limit, quota.remaining, quota.reset_at) == ("items", limit, remaining, reset)


async def test_reads_stop_before_the_limit_and_writes_may_use_the_rest(server, client):
    reset = NOW + timedelta(minutes=10)
    server.headers = {"x-rate-limit-limit": "100", "x-rate-limit-remaining": "5",
                      "x-rate-limit-reset": str(int(reset.timestamp()))}
    await client.request("GET", "/items", bucket="api")
    with pytest.raises(SourceError) as held:
        await client.request("GET", "/items", bucket="api")
    assert held.value.retryable and held.value.retry_after == 600 + RESET_MARGIN
    assert "5 of 100 left" in str(held.value)
    assert len(server.seen("/items")) == 1, "the held read never reached the network"
    assert await client.request("POST", "/items", bucket="api") == {"id": "9"}
    client.clock.advance(timedelta(minutes=10, seconds=RESET_MARGIN))
    assert await client.request("GET", "/items", bucket="api")


async def test_429_waits_for_retry_after_with_jitter(server, client):
    server.fail("/items", status=429, headers={"Retry-After": "30"})
    with pytest.raises(SourceError) as limited:
        await client.request("GET", "/items")
    assert limited.value.retryable and 30 + RESET_MARGIN <= limited.value.retry_after <= 36 + RESET_MARGIN
    assert "429" in str(limited.value)


async def test_429_without_retry_after_waits_for_the_reset(server, client):
    reset = NOW + timedelta(seconds=200)
    server.fail("/items", status=429, headers={"x-rate-limit-limit": "15", "x-rate-limit-remaining": "0",
                                               "x-rate-limit-reset": str(int(reset.timestamp()))})
    with pytest.raises(SourceError) as limited:
        await client.request("GET", "/items")
    assert 200 + RESET_MARGIN <= limited.value.retry_after <= 240 + RESET_MARGIN


async def test_429_waits_past_the_reset_second(server, client):
    """A poll made at the reset second itself got another 429 from GoToSocial: the wait goes a margin past it."""
    reset = NOW + timedelta(milliseconds=300)
    server.fail("/items", status=429, headers={"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0",
                                               "X-RateLimit-Reset": reset.isoformat().replace("+00:00", "Z")})
    with pytest.raises(SourceError) as limited:
        await client.request("GET", "/items")
    assert limited.value.retry_after >= 0.3 + RESET_MARGIN >= 1.0


@pytest.mark.parametrize("fault,retryable,words", [
    ({"status": 503, "body": "upstream down"}, True, "server error 503 (upstream down)"),
    ({"status": 401, "body": '{"error": "invalid_token"}'}, False,
     "credentials rejected (401: invalid_token); check EXAMPLE_TOKEN"),
    ({"status": 404, "body": '{"error": "Record not found"}'}, False, "not found"),
    ({"status": 403, "body": '{"detail": "Your access level cannot use this endpoint"}'}, False, "access level"),
    ({"status": 200, "body": '{"data": [1, 2'}, True, "malformed JSON"),
    ({"status": 0, "delay": TIMEOUT + 1}, True, "did not answer within"),
])
async def test_failures_become_clear_source_errors(server, client, fault, retryable, words):
    server.fail("/items", **fault)
    with pytest.raises(SourceError) as failed:
        await client.request("GET", "/items")
    assert failed.value.retryable is retryable
    assert words in str(failed.value)
    assert isinstance(failed.value, NotFound) == (fault["status"] == 404)


async def test_plain_text_errors_are_quoted(client):
    with pytest.raises(SourceError, match=r"refused \(400: status must not be empty\)"):
        await client.request("POST", "/plain", json={})


async def test_unreachable_network(client):
    api = ApiClient("Example", "http://127.0.0.1:9", clock=FakeClock(NOW))
    with pytest.raises(SourceError, match="unreachable") as failed:
        await api.request("GET", "/items")
    assert failed.value.retryable
    await api.close()
