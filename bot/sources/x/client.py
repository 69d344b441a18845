"""The X API v2 on the wire: OAuth 1.0a signing, X's error dialect, and typed payloads.

Payload shapes follow docs.x.com (data dictionary, /2/users/:id/mentions, /2/tweets/search/recent,
/2/dm_events) and tweepy's recorded cassettes: `{"data": [...], "includes": {"users": [...],
"tweets": [...]}, "errors": [...], "meta": {"newest_id", "oldest_id", "next_token", "result_count"}}`.
An item that does not fit its model is logged and skipped, never fatal.
"""
from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx
from oauthlib.oauth1 import Client as OAuth1Client
from pydantic import BaseModel, ConfigDict, ValidationError

from bot.sources.base import SourceError, Unparsed
from bot.sources.http import ApiClient, error_detail, reset_time

log = logging.getLogger(__name__)
Item = TypeVar("Item", bound=BaseModel)

DUPLICATE = "duplicate content"
NOT_SUMMONED = "not been mentioned or otherwise engaged"
TOO_LONG = "text is too long"
OUT_OF_CREDITS_WAIT = 900.0  # X gives no reset time for an empty credit balance or a monthly cap
# `x-access-level` values, named as the app's User authentication settings name them
ACCESS_LEVELS = {"read": "Read", "read-write": "Read and write",
                 "read-write-directmessages": "Read and write and Direct message"}


class OAuth1(httpx.Auth):
    """OAuth 1.0a user context (HMAC-SHA1), signed by oauthlib. JSON bodies are not part of the signature."""

    def __init__(self, api_key: str, api_secret: str, access_token: str, access_token_secret: str) -> None:
        self._client = OAuth1Client(api_key, client_secret=api_secret, resource_owner_key=access_token,
                                    resource_owner_secret=access_token_secret)

    def auth_flow(self, request: httpx.Request):
        form = request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded")
        _, headers, _ = self._client.sign(str(request.url), request.method, body=request.content.decode() if form else None,
                                          headers={"Content-Type": request.headers["content-type"]} if form else None)
        request.headers["Authorization"] = headers["Authorization"]
        yield request


class DuplicatePost(SourceError):
    """X refused a post because the account posted the same text recently."""

    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=False)


class XApi(ApiClient):
    """ApiClient that reads X's own refusals (duplicates, unsummoned replies, credits, caps, 24-hour limits) and
    the permission the user tokens carry (`x-access-level` on every user-context answer)."""

    access_level: str | None = None

    def _read_quota(self, bucket: str, headers: httpx.Headers) -> None:
        super()._read_quota(bucket, headers)
        self.access_level = headers.get("x-access-level", self.access_level)

    def missing_permission(self, *, dms: bool) -> str | None:
        """The app permission the tokens lack for what socialdesk does (replies, and DMs when `dms`), or None."""
        needed = "read-write-directmessages" if dms else "read-write"
        if self.access_level is None or self.access_level.startswith(needed):
            return None
        return ACCESS_LEVELS[needed]

    def _error(self, response: httpx.Response, bucket: str) -> SourceError:
        status, detail, where = response.status_code, error_detail(response), self._where(response)
        write = response.request.method != "GET"
        if status == 403 and DUPLICATE in detail:
            return DuplicatePost(f"{where}: {detail}")
        if status in (400, 403) and TOO_LONG in detail:
            return SourceError(f"{where}: X counts the text as longer than the account may post ({detail}); shorten "
                               "the reply and send it again", retryable=False)
        if status == 403 and NOT_SUMMONED in detail:
            return SourceError("X only lets apps reply to posts that mention or quote the brand's account, and this "
                               "post does not; answer it from the X app, or send a DM with `--private`", retryable=False)
        if status == 402 or (status == 429 and "usage-capped" in response.text):
            what = "out of API credits" if status == 402 else "over X's monthly usage cap"
            message = f"{where}: {what} ({status}: {detail}); add credits or raise the cap at console.x.com"
            return SourceError(message, retryable=not write, retry_after=None if write else OUT_OF_CREDITS_WAIT,
                               needs_action=True)
        if status == 429:
            daily = self._daily_reset(response.headers)
            if daily is not None:
                return SourceError(f"{where}: X's 24-hour limit for this endpoint is used up; waiting {daily:.0f}s",
                                   retry_after=daily)
        error = super()._error(response, bucket)
        if status != 403:
            return error
        if write and "/dm_conversations/" in response.request.url.path:
            return SourceError(f"{error}. The customer may not accept DMs from the brand (they must follow it or allow "
                               "DMs from everyone): ask them in public to send a DM; if no DM goes out at all, the "
                               "tokens lack the 'Direct message' permission", retryable=False)
        return SourceError(f"{error}. The X access level or token may not allow this: reading needs pay-per-use "
                           "credits (or the Basic/Pro plan), posting and DMs need the user tokens with 'Read and write "
                           "and Direct message' permission", retryable=False)

    def _daily_reset(self, headers: httpx.Headers) -> float | None:
        """X sends x-app-limit-24hour-* and x-user-limit-24hour-* beside the 15-minute window on writes."""
        now = self.clock.now()
        for prefix in ("x-user-limit-24hour-", "x-app-limit-24hour-"):
            if headers.get(prefix + "remaining") == "0":
                reset = reset_time(headers.get(prefix + "reset"), now)
                if reset is not None:
                    return max(0.0, (reset - now).total_seconds())
        return None


class Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Metrics(Model):
    followers_count: int | None = None


class User(Model):
    id: str
    username: str
    name: str = ""
    public_metrics: Metrics = Metrics()


class Reference(Model):
    type: str  # replied_to | quoted | retweeted
    id: str


class NoteTweet(Model):
    text: str


class Tweet(Model):
    id: str
    text: str
    author_id: str | None = None
    conversation_id: str | None = None
    created_at: datetime | None = None
    in_reply_to_user_id: str | None = None
    referenced_tweets: list[Reference] = []
    note_tweet: NoteTweet | None = None  # the whole text of a post longer than 280

    def reference(self, kind: str) -> str | None:
        return next((r.id for r in self.referenced_tweets if r.type == kind), None)


class DmEvent(Model):
    id: str
    event_type: str = "MessageCreate"
    text: str = ""
    sender_id: str | None = None
    dm_conversation_id: str | None = None
    created_at: datetime | None = None


class Page:
    """One answer of a list endpoint: its items, the users and posts it expanded, its paging meta."""

    def __init__(self, body: Any, model: type[Item], what: str) -> None:
        body = body if isinstance(body, dict) else {}
        includes = body.get("includes") if isinstance(body.get("includes"), dict) else {}
        self.malformed: list[Unparsed] = []  # items of `data` that do not parse: handed on for quarantine
        self.items: list[Item] = parse_all(body.get("data"), model, what, self.malformed)
        self.users = {u.id: u for u in parse_all(includes.get("users"), User, "user")}
        self.tweets = {t.id: t for t in parse_all(includes.get("tweets"), Tweet, "post")}
        meta = body.get("meta") if isinstance(body.get("meta"), dict) else {}
        self.next_token: str | None = meta.get("next_token") or None
        self.newest_id: str | None = meta.get("newest_id") or None
        for problem in body.get("errors") or []:  # partial errors: a deleted or protected post it referenced
            detail = problem.get("detail") if isinstance(problem, dict) else None
            log.info("X %s: skipping what X could not return: %.200s", what, detail or problem)


def parse_all(items: Any, model: type[Item], what: str, malformed: list[Unparsed] | None = None) -> list[Item]:
    """The items that parse; the others logged, and added to `malformed` where given."""
    parsed = []
    for item in items if isinstance(items, list) else []:
        try:
            parsed.append(model.model_validate(item))
        except ValidationError as error:
            log.warning("X: a malformed %s (%s): %.200r", what, error.errors()[0]["msg"], item)
            if malformed is not None:
                malformed.append(Unparsed(item, f"X sent a {what} that does not parse: {error.errors()[0]['msg']}"))
    return parsed


def snowflake(value: str | None) -> int:
    """X ids grow with time, so comparing them as numbers orders posts and DM events by creation."""
    try:
        return int(value or 0)
    except ValueError:
        return 0


def snowflake_time(value: str) -> datetime:
    """When the post or DM event with this id was created (its top bits are milliseconds since X's epoch)."""
    return datetime.fromtimestamp(((snowflake(value) >> 22) + 1288834974657) / 1000, tz=UTC)
