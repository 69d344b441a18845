"""HTTP for the network sources: one httpx client per source that keeps within rate limits.

Every answer's rate-limit headers are read, whatever the network's dialect:
`x-rate-limit-*` (X, reset in epoch seconds), `X-RateLimit-*` (Mastodon, reset as an ISO
time), `RateLimit-*` (Bluesky PDS), `X-Ratelimit-Used/Remaining/Reset` (Reddit, reset in
seconds from now). A read stops while its quota is nearly used up (the last 5 %) until the
window resets, so a burst of polls never hits the wall; writes may use what is left. A 429
waits for Retry-After or the reset (and a second past it), 5xx and timeouts are retried later by the caller with
jittered backoff. Every failure becomes a `SourceError` with a message an agent can act on.
"""
from __future__ import annotations

import email.utils
import json
import random
from datetime import datetime, timedelta
from typing import Any

import httpx

from bot.clock import Clock, SystemClock
from bot.sources.base import RESET_MARGIN, Quota, SourceError

DEFAULT_RETRY_AFTER = 60.0


class NotFound(SourceError):
    """The post or account is gone (deleted, suspended or private)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=False)


class CredentialsRejected(SourceError):
    """401: the token or key is wrong, expired or revoked; a person must fix it."""

    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=False)


class ApiClient:
    def __init__(self, network: str, base_url: str, *, timeout: float = 20.0, clock: Clock | None = None,
                 headers: dict[str, str] | None = None, auth: httpx.Auth | None = None,
                 credential_hint: str = "", transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.network = network
        self.credential_hint = credential_hint  # e.g. "check X_BEARER_TOKEN in .env"
        self.clock = clock or SystemClock()
        self.quotas: dict[str, Quota] = {}
        self._http = httpx.AsyncClient(base_url=base_url, timeout=timeout, headers=headers, auth=auth,
                                       transport=transport, follow_redirects=True)

    async def request(self, method: str, path: str, *, bucket: str | None = None, write: bool | None = None,
                      links: dict[str, str] | None = None, **kwargs: Any) -> Any:
        """The decoded JSON answer (None for an empty body). Raises SourceError.

        `links`, when given, receives the answer's Link header as relation -> URL (Mastodon pages with it).
        """
        bucket = bucket or path
        write = method.upper() != "GET" if write is None else write
        quota = self.quotas.get(bucket)
        wait = quota.exhausted_for(self.clock.now(), write=write) if quota else None
        if wait is not None:
            raise SourceError(f"{self.network} rate limit nearly used ({quota.describe(self.clock.now())}); "
                              "pausing until it resets", retry_after=wait)
        try:
            response = await self._http.request(method, path, **kwargs)
        except httpx.TimeoutException:
            raise SourceError(f"{self.network} did not answer within {self._http.timeout.read:.0f}s") from None
        except httpx.HTTPError as error:
            raise SourceError(f"{self.network} is unreachable: {error.__class__.__name__} {error}".strip()) from None
        self._read_quota(bucket, response.headers)
        if response.status_code >= 400:
            raise self._error(response, bucket)
        if links is not None:
            links.update({rel: link["url"] for rel, link in response.links.items() if "url" in link})
        if not response.content.strip():
            return None
        try:
            return response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise SourceError(f"{self.network} answered {method} {path} with malformed JSON "
                              f"({_snippet(response.text)}); will retry") from None

    def _error(self, response: httpx.Response, bucket: str) -> SourceError:
        status, detail, where = response.status_code, error_detail(response), self._where(response)
        if status == 429:
            wait = retry_after(response.headers, self.clock.now()) or self._reset_in(bucket)
            wait = (wait or DEFAULT_RETRY_AFTER) * random.uniform(1.0, 1.2) + RESET_MARGIN
            return SourceError(f"{where}: rate limited (429); waiting {wait:.0f}s", retry_after=wait)
        if status >= 500:
            return SourceError(f"{where}: server error {status} ({detail}); will retry",
                               retry_after=retry_after(response.headers, self.clock.now()))
        if status == 401:
            return CredentialsRejected(f"{where}: credentials rejected (401: {detail}); {self.credential_hint}".rstrip("; "))
        if status == 404:
            return NotFound(f"{where}: not found (404: {detail}); it may have been deleted")
        return SourceError(f"{where}: refused ({status}: {detail})", retryable=False)

    def _where(self, response: httpx.Response) -> str:
        """'X POST /2/tweets': what an error message says failed."""
        return f"{self.network} {response.request.method} {response.request.url.path}"

    def _reset_in(self, bucket: str) -> float | None:
        quota = self.quotas.get(bucket)
        if quota and quota.reset_at:
            return max(0.0, (quota.reset_at - self.clock.now()).total_seconds())
        return None

    def _read_quota(self, bucket: str, headers: httpx.Headers) -> None:
        found = _quota_headers(headers, self.clock.now())
        if found:
            limit, remaining, reset_at = found
            self.quotas[bucket] = Quota(bucket, limit, remaining, reset_at)

    def quota(self) -> list[Quota]:
        return list(self.quotas.values())

    async def close(self) -> None:
        await self._http.aclose()


_PREFIXES = ("x-rate-limit-", "x-ratelimit-", "ratelimit-")


def _quota_headers(headers: httpx.Headers, now: datetime) -> tuple[int | None, int, datetime | None] | None:
    for prefix in _PREFIXES:
        remaining = _number(headers.get(prefix + "remaining"))
        if remaining is None:
            continue
        limit = _number(headers.get(prefix + "limit"))
        used = _number(headers.get(prefix + "used"))
        if limit is None and used is not None:
            limit = used + remaining  # Reddit says how many were used, not the limit
        return (None if limit is None else int(limit)), int(remaining), reset_time(headers.get(prefix + "reset"), now)
    return None


def reset_time(value: str | None, now: datetime) -> datetime | None:
    """Epoch seconds (X, Bluesky), seconds from now (Reddit) or an ISO time (Mastodon)."""
    if not value:
        return None
    number = _number(value)
    if number is None:
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else None
    if number > 1_000_000_000:
        return datetime.fromtimestamp(number, tz=now.tzinfo)
    return now + timedelta(seconds=number)


def retry_after(headers: httpx.Headers, now: datetime) -> float | None:
    """Seconds the Retry-After header asks for (a number or an HTTP date), or None without a usable one."""
    value = headers.get("retry-after")
    if not value:
        return None
    number = _number(value)
    if number is not None:
        return max(0.0, number)
    try:
        return max(0.0, (email.utils.parsedate_to_datetime(value) - now).total_seconds())
    except (TypeError, ValueError):
        return None


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def error_detail(response: httpx.Response) -> str:
    """The error's own words: JSON `error`/`detail`/`message`/`title`, or the plain text some servers send."""
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return _snippet(response.text) or response.reason_phrase
    if isinstance(body, dict):
        for key in ("error_description", "error", "detail", "message", "title"):
            if isinstance(body.get(key), str):
                return _snippet(body[key])
        if isinstance(body.get("errors"), list) and body["errors"]:
            first = body["errors"][0]
            return _snippet(first.get("message", str(first)) if isinstance(first, dict) else str(first))
    return _snippet(json.dumps(body))


def _snippet(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
