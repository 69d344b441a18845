"""Reddit on the wire: OAuth for a "script" app, Listings of Things, and Reddit's way of refusing.

Auth: the brand's own account logs in with its password. `POST /api/v1/access_token` on
www.reddit.com with `grant_type=password`, the account's username and password, and the app's
client id and secret as HTTP basic auth, answers a bearer token valid for `expires_in` seconds
(a day). Every API call to oauth.reddit.com carries `Authorization: bearer …`; the token is
renewed a minute before it expires, and once more when the API answers 401 (revoked, or the
clock was off). Reddit answers a wrong password with HTTP 200 and `{"error": "invalid_grant"}`,
a wrong client id or secret with 401.

Payloads: a Listing of Things. A Thing is `{"kind": "t1" | "t3" | "t4", "data": {...}}`: t1 a
comment, t3 a submission (post), t4 a private message; its `name` (fullname, e.g. `t1_fx1ie8s`)
is its id everywhere. A child of a Listing that does not parse is logged and left out.

Refusals: Reddit reports them inside HTTP 200 as `json.errors` (`[code, message, field]`:
RATELIMIT, THREAD_LOCKED, TOO_OLD, DELETED_COMMENT …); `refusal` turns them into `SourceError`s
that say what to do.
"""
from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from bot.clock import Clock
from bot.sources.base import SourceError, Unparsed
from bot.sources.http import ApiClient, error_detail

log = logging.getLogger(__name__)
WEB = "https://www.reddit.com"
GONE = {"[deleted]", "[removed]"}
RENEW_BEFORE = timedelta(seconds=60)
NEEDED_SCOPES = {"identity", "read", "history", "privatemessages", "submit"}  # me; listings; own comments; inbox; comment
_RATELIMIT_WAIT = re.compile(r"(?<!\d)(\d+)\s*(millisecond|second|minute|hour)", re.IGNORECASE)
_SECONDS = {"millisecond": 0.001, "second": 1, "minute": 60, "hour": 3600}


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
        self.scope: set[str] = set()

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
        self.scope = set(str(answer.get("scope") or "*").split())
        return answer["access_token"], float(answer.get("expires_in") or 3600)

    def missing_scopes(self) -> list[str]:
        """The OAuth scopes socialdesk needs that the last token lacks ("*", a script app's, has them all)."""
        return [] if "*" in self.scope else sorted(NEEDED_SCOPES - self.scope)


class RedditApi(ApiClient):
    """ApiClient that reads Reddit's own refusals outside `json.errors`: `{"reason", "explanation"}` and 403."""

    def _error(self, response: httpx.Response, bucket: str) -> SourceError:
        try:
            body = response.json()
        except ValueError:
            body = None
        where = self._where(response)
        if response.status_code == 400 and isinstance(body, dict) and isinstance(body.get("reason"), str):
            return refusal(response.request.url.path, [[body["reason"], body.get("explanation") or ""]])
        if response.status_code == 403:
            refused = f"{where}: refused (403: {error_detail(response)})"
            if response.request.method == "GET":
                return SourceError(f"{refused}; the brand's account may not read this: a subreddit in `subreddits` may "
                                   "be private, quarantined or banned; remove it from socialdesk.toml", retryable=False)
            return SourceError(f"{refused}; the brand's account may not comment there (the thread is locked or "
                               "archived, the subreddit private, or the account banned from it): answer privately "
                               "with `--private`", retryable=False)
        return super()._error(response, bucket)


class ThingData(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    name: str
    created_utc: float
    author: str | None = None
    author_fullname: str | None = None  # t2_…: the account, which keeps it when renamed; absent on deleted ones
    body: str | None = None  # t1, t4
    title: str | None = None  # t3
    selftext: str | None = None  # t3
    permalink: str | None = None  # t1, t3 (not on inbox items)
    context: str | None = None  # inbox comments: /r/sub/comments/<link>/<slug>/<comment>/?context=3
    link_id: str | None = None  # t1 outside the inbox
    parent_id: str | None = None  # t1, t4
    type: str | None = None  # inbox comments: username_mention, comment_reply, post_reply
    subject: str | None = None  # t4
    first_message_name: str | None = None  # t4 after the first one
    dest: str | None = None  # t4: the recipient
    distinguished: str | None = None
    removed_by_category: str | None = None  # t3
    crosspost_parent: str | None = None  # t3: a crosspost of another submission


class Thing(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    kind: str
    data: ThingData

    @property
    def name(self) -> str:
        return self.data.name

    @property
    def created(self) -> float:
        return self.data.created_utc


@dataclass(frozen=True)
class Page:
    """One page of a Listing: the Things that parsed, the fullname to ask `after` for the next, and the children that
    did not parse (for quarantine)."""

    things: list[Thing]
    after: str | None
    unparsed: list[Unparsed] = field(default_factory=list)


def parse_listing(body: Any, where: str) -> Page:
    """A Listing answer; a child that does not parse is handed on with the reason, never failing the page."""
    if not isinstance(body, dict) or body.get("kind") != "Listing" or not isinstance(body.get("data"), dict):
        raise ValueError(f"{where} did not answer with a Listing")
    things, unparsed = [], []
    for child in body["data"].get("children") or []:
        try:
            things.append(Thing.model_validate(child))
        except ValidationError as error:
            reason = f"{where}: {error.errors()[0]['loc']} {error.errors()[0]['msg']}"
            log.warning("reddit %s: an item that does not parse: %s", where, reason)
            unparsed.append(Unparsed(raw=child, reason=reason))
    return Page(things=things, after=body["data"].get("after"), unparsed=unparsed)


def gone(thing: Thing) -> bool:
    """Deleted by its author or removed by moderators: nothing left to answer."""
    data = thing.data
    return (not data.author or data.author in GONE or (data.body or "").strip() in GONE
            or (data.selftext or "").strip() in GONE or data.removed_by_category is not None)


def refusal(path: str, errors: list) -> SourceError:
    """Reddit's `json.errors` ([code, message, field]) as an error the agent can act on."""
    code, message = (list(errors[0]) + ["", ""])[:2] if isinstance(errors[0], list) else (str(errors[0]), "")
    where = f"Reddit POST {path} refused: {message or code}"
    if code == "RATELIMIT":
        found = _RATELIMIT_WAIT.search(message or "")
        wait = int(found.group(1)) * _SECONDS[found.group(2).lower()] + 1 if found else 60.0
        return SourceError(f"{where}; Reddit limits how fast an account may post, trying again in {wait:.0f}s",
                           retry_after=wait)
    advice = {
        "THREAD_LOCKED": "the thread is locked; answer privately with `--private`",
        "TOO_OLD": "the thread is archived and takes no new comments; answer privately with `--private`",
        "DELETED_COMMENT": "the customer deleted their comment; answer privately with `--private` if still needed",
        "DELETED_LINK": "the post was deleted; answer privately with `--private` if still needed",
        "USER_DOESNT_EXIST": "the account no longer exists",
        "NOT_WHITELISTED_BY_USER_MESSAGE": "the customer only accepts private messages from people they allow; "
                                           "answer publicly and ask them to message the brand",
        "TOO_LONG": "shorten the reply",
    }.get(code, "")
    return SourceError(f"{where} ({code}){'; ' + advice if advice else ''}", retryable=False)
