"""OAuth for a Reddit "script" app: the brand's own account logs in with its password.

`POST /api/v1/access_token` on www.reddit.com with `grant_type=password`, the account's
username and password, and the app's client id and secret as HTTP basic auth, answers a
bearer token valid for `expires_in` seconds (a day). Every API call to oauth.reddit.com
carries `Authorization: bearer …`; the token is renewed a minute before it expires, and once
more when the API answers 401 (revoked, or the clock was off). Reddit answers a wrong
password with HTTP 200 and `{"error": "invalid_grant"}`, a wrong client id or secret with 401.
"""
from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx

from bot.clock import Clock
from bot.sources.base import SourceError
from bot.sources.http import ApiClient

RENEW_BEFORE = timedelta(seconds=60)


@dataclass(frozen=True)
class ScriptCredentials:
    client_id: str
    client_secret: str
    username: str
    password: str
    env_prefix: str = "REDDIT"  # names the variables in error messages


class RedditAuth(httpx.Auth):
    """Adds the bearer token to every request; fetches and renews it as needed."""

    def __init__(self, token_api: ApiClient, credentials: ScriptCredentials, clock: Clock) -> None:
        self.token_api = token_api
        self.credentials = credentials
        self.clock = clock
        self._token: str | None = None
        self._expires_at: datetime | None = None
        self._lock = asyncio.Lock()

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        used = await self.token()
        request.headers["Authorization"] = f"bearer {used}"
        response = yield request
        if response.status_code == 401:
            request.headers["Authorization"] = f"bearer {await self.token(stale=used)}"
            yield request

    async def token(self, stale: str | None = None) -> str:
        """A valid token; `stale` is one the API refused, so a new one is needed (once, however many callers)."""
        async with self._lock:
            now = self.clock.now()
            if self._token and self._token != stale and self._expires_at and now < self._expires_at - RENEW_BEFORE:
                return self._token
            self._token, lifetime = await self._fetch()
            self._expires_at = now + timedelta(seconds=lifetime)
            return self._token

    async def _fetch(self) -> tuple[str, float]:
        c = self.credentials
        answer = await self.token_api.request(
            "POST", "/api/v1/access_token", bucket="token",
            data={"grant_type": "password", "username": c.username, "password": c.password},
            auth=(c.client_id, c.client_secret),
        )
        if not isinstance(answer, dict) or answer.get("error") or not answer.get("access_token"):
            error = answer.get("error") if isinstance(answer, dict) else None
            if error == "invalid_grant":
                raise SourceError(
                    f"Reddit refused the login of u/{c.username} (invalid_grant): check {c.env_prefix}_USERNAME and "
                    f"{c.env_prefix}_PASSWORD in .env. An account with two-factor authentication cannot log in "
                    "this way; use an account without it for the brand's bot.", retryable=False)
            raise SourceError(f"Reddit gave no access token ({error or 'unexpected answer'}): check "
                              f"{c.env_prefix}_CLIENT_ID and {c.env_prefix}_CLIENT_SECRET in .env", retryable=False)
        return answer["access_token"], float(answer.get("expires_in") or 3600)
