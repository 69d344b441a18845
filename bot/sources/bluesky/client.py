"""XRPC calls to a Bluesky PDS as the brand's account, with its session kept alive.

Logs in with the handle and an app password (`com.atproto.server.createSession`), refreshes
the session (`refreshSession`) shortly before the access token expires by the injected clock,
and once more if the server says it expired anyway; a refresh token that expired too means
logging in again. Reads of `app.bsky.*` go to the PDS, which proxies them to its AppView.
Every call goes through `ApiClient`, so rate-limit headers (`RateLimit-*`), 429, 5xx, timeouts
and malformed JSON are handled like for every other network; an error answer becomes an
`XrpcError` that carries the server's XRPC error name (`RecordNotFound`, `ExpiredToken`, ...).
"""
from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from bot.clock import Clock
from bot.sources.base import SourceError
from bot.sources.http import ApiClient

REFRESH_BEFORE = timedelta(minutes=5)
_SESSION_EXPIRED = {"ExpiredToken", "InvalidToken"}


class XrpcError(SourceError):
    """An XRPC error answer, with the server's error name (`RecordNotFound`, `ExpiredToken`, ...)."""

    def __init__(self, message: str, *, code: str | None, status: int, retryable: bool,
                 retry_after: float | None) -> None:
        super().__init__(message, retryable=retryable, retry_after=retry_after)
        self.code = code
        self.status = status


class XrpcClient(ApiClient):
    """ApiClient whose errors carry the XRPC `error` name and read `message`, the part a person understands."""

    def _error(self, response: httpx.Response, bucket: str) -> SourceError:
        error = super()._error(response, bucket)
        code, message = _xrpc_error(response)
        text, where = str(error), self._where(response)
        if response.status_code == 400:
            text = f"{where}: refused ({code or 400}: {message or response.reason_phrase})"
        elif response.status_code == 401:
            text = f"{where}: credentials rejected ({message or code}); {self.credential_hint}"
        return XrpcError(text, code=code, status=response.status_code, retryable=error.retryable,
                         retry_after=error.retry_after)


class Session:
    def __init__(self, client: XrpcClient, handle: str, password: str, clock: Clock) -> None:
        self.client = client
        self.handle = handle.lstrip("@")
        self._password = password
        self._clock = clock
        self.did: str | None = None
        self._access: str | None = None
        self._refresh: str | None = None
        self._expires_at: datetime | None = None

    async def call(self, method: str, nsid: str, *, params: dict | None = None, body: dict | None = None) -> Any:
        """The JSON answer of XRPC method `nsid` as the brand."""
        await self._ensure()
        try:
            return await self._send(method, nsid, params, body)
        except XrpcError as error:
            if error.code not in _SESSION_EXPIRED:
                raise
        await self._renew()
        return await self._send(method, nsid, params, body)

    async def ensure(self) -> str:
        """Log in if needed; returns the brand's DID."""
        await self._ensure()
        return self.did

    async def _send(self, method: str, nsid: str, params: dict | None, body: dict | None) -> Any:
        return await self.client.request(method, f"/xrpc/{nsid}", bucket=nsid, params=params, json=body,
                                         headers={"Authorization": f"Bearer {self._access}"})

    async def _ensure(self) -> None:
        if self._access is None:
            await self._login()
        elif self._expires_at and self._clock.now() >= self._expires_at - REFRESH_BEFORE:
            await self._renew()

    async def _login(self) -> None:
        answer = await self.client.request("POST", "/xrpc/com.atproto.server.createSession",
                                           bucket="com.atproto.server.createSession",
                                           json={"identifier": self.handle, "password": self._password})
        self._take(answer)

    async def _renew(self) -> None:
        """refreshSession; if the refresh token is no good either, log in again."""
        try:
            answer = await self.client.request("POST", "/xrpc/com.atproto.server.refreshSession",
                                               bucket="com.atproto.server.refreshSession",
                                               headers={"Authorization": f"Bearer {self._refresh}"})
        except XrpcError as error:
            if error.code not in _SESSION_EXPIRED and error.status != 401:
                raise
            await self._login()
            return
        self._take(answer)

    def _take(self, answer: Any) -> None:
        if not isinstance(answer, dict) or not all(isinstance(answer.get(k), str) for k in ("accessJwt", "refreshJwt", "did")):
            raise SourceError(f"{self.client.network}: the PDS answered the login without a session; will retry")
        self.did = answer["did"]
        self._access, self._refresh = answer["accessJwt"], answer["refreshJwt"]
        self._expires_at = _expiry(self._access)


def _expiry(token: str) -> datetime | None:
    """The `exp` of a JWT (not verified: the PDS does that; we only want to refresh in time)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return datetime.fromtimestamp(float(claims["exp"]), tz=UTC)
    except (IndexError, ValueError, KeyError, TypeError):
        return None


def _xrpc_error(response: httpx.Response) -> tuple[str | None, str | None]:
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None, None
    if not isinstance(body, dict):
        return None, None
    code, message = body.get("error"), body.get("message")
    return (code if isinstance(code, str) else None), (message if isinstance(message, str) else None)
