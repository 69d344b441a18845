"""The Mastodon REST API as socialdesk uses it: typed entities over the shared rate-limit-aware client.

Entities follow docs.joinmastodon.org/entities and keep only the fields socialdesk reads;
IDs are opaque strings (snowflakes on Mastodon, ULIDs on GoToSocial, small integers on
others; a number in the JSON is taken as its string). A list item that does not parse is
skipped with a log line instead of failing its page. Every call counts against one bucket:
Mastodon limits each account to 300 calls per 5 minutes across all endpoints.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar
from urllib.parse import parse_qs, quote, urlsplit

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from bot.sources.base import SourceError, Unparsed
from bot.sources.http import ApiClient, NotFound

log = logging.getLogger(__name__)
BUCKET = "api"  # one per-account limit for all endpoints
SCOPES = "read:notifications read:statuses read:search read:accounts write:statuses"
# How each server words a 403 for a token without the scope a call needs (the body's `error`):
_OUT_OF_SCOPE = (
    "outside the authorized scopes",  # Mastodon: Doorkeeper's forbidden_token_response
    "insufficient scope permission",  # GoToSocial: internal/api/util/auth.go, "Forbidden: token has insufficient …"
    "insufficient permissions",  # Pleroma and Akkoma: OAuthScopesPlug, "Insufficient permissions: read:notifications."
)
# The scope each route needs (docs.joinmastodon.org/api/oauth-scopes), first match wins
_SCOPE_OF = (("/notifications", "read:notifications"), ("/search", "read:search"),
             ("/verify_credentials", "read:accounts"))


class Entity(BaseModel):
    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True, frozen=True)


class Account(Entity):
    id: str
    username: str = ""
    acct: str
    display_name: str = ""
    followers_count: int | None = None


class Status(Entity):
    id: str
    created_at: datetime
    account: Account
    content: str = ""
    spoiler_text: str = ""
    visibility: str = "public"
    in_reply_to_id: str | None = None
    in_reply_to_account_id: str | None = None
    url: str | None = None
    uri: str = ""
    replies_count: int = 0
    media_attachments: list[dict[str, Any]] = []


class Notification(Entity):
    id: str
    type: str
    status: Status | None = None


@dataclass(frozen=True)
class Thread:
    """A status's context: the statuses above it (root first) and below it, each with its raw JSON."""

    ancestors: list[tuple[Status, dict[str, Any]]]
    descendants: list[tuple[Status, dict[str, Any]]]


@dataclass(frozen=True)
class Instance:
    domain: str
    max_characters: int = 500
    characters_reserved_per_url: int = 23
    software: str = "unknown"  # mastodon | gotosocial | akkoma | pleroma | unknown, from the instance's version

    @property
    def counts_like_mastodon(self) -> bool:
        """Only Mastodon is known to count links as `characters_reserved_per_url` and `@user@domain` as `@user`;
        GoToSocial advertises 25 per link yet counts every code point (processing/status/common.go)."""
        return self.software == "mastodon"

    @property
    def name(self) -> str:
        return {"gotosocial": "GoToSocial", "akkoma": "Akkoma", "pleroma": "Pleroma"}.get(self.software, "Mastodon")


def software_of(version: str, source_url: str) -> str:
    """The server behind a Mastodon API. GoToSocial names itself in `source_url`; Pleroma and Akkoma put
    `(compatible; Akkoma 3.13.2)` in `version`; Mastodon's `source_url` is its repository, and its forks
    (glitch-soc, `4.3.0+glitch`) count its way."""
    version, source_url = version.casefold(), source_url.casefold()
    for software in ("gotosocial", "akkoma", "pleroma"):
        if software in source_url or software in version:
            return software
    if "mastodon" in source_url or (version[:1].isdigit() and "compatible" not in version):
        return "mastodon"
    return "unknown"


T = TypeVar("T", bound=Entity)


@dataclass
class Page(Generic[T]):
    """One page of a list, with the raw JSON of each item and the Link header's relations."""

    items: list[tuple[T, dict[str, Any]]]
    size: int  # items the server sent, including any that did not parse
    links: dict[str, str] = field(default_factory=dict)
    unparsed: list[Unparsed] = field(default_factory=list)  # items that did not parse: for quarantine

    def link_param(self, rel: str, name: str) -> str | None:
        """A query parameter of the `next` / `prev` link, e.g. the `min_id` to page forward from."""
        url = self.links.get(rel)
        values = parse_qs(urlsplit(url).query).get(name) if url else None
        return values[0] if values else None


class MastodonClient(ApiClient):
    """ApiClient that names the scopes to grant when Mastodon says the token lacks one."""

    def _error(self, response: httpx.Response, bucket: str) -> SourceError:
        error = super()._error(response, bucket)
        if isinstance(error, NotFound) or not any(words in str(error).casefold() for words in _OUT_OF_SCOPE):
            return error
        return MissingScope(f"{error}: the access token lacks the scope {scope_of(response.request)}; give it the "
                            f"scopes {SCOPES} (Preferences → Development → your application, or a new token)")


class MissingScope(SourceError):
    """The token may not make this call: only a person granting the scope can fix it."""

    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=False)


def scope_of(request: httpx.Request) -> str:
    """The scope a call needs: writes need write:statuses, reads the scope of their route (else read:statuses)."""
    if request.method != "GET":
        return "write:statuses"
    return next((scope for part, scope in _SCOPE_OF if part in request.url.path), "read:statuses")


class MastodonApi:
    def __init__(self, client: ApiClient) -> None:
        self.client = client

    async def _get(self, path: str, *, links: dict[str, str] | None = None, publishing: bool = False,
                   **params: Any) -> Any:
        """`publishing`: a read on the way to a reply, which may use the share of the limit polls leave."""
        return await self.client.request("GET", path, bucket=BUCKET, links=links, write=publishing, params=params)

    async def _page(self, model: type[T], path: str, *, key: str | None = None, publishing: bool = False,
                    **params: Any) -> Page[T]:
        links: dict[str, str] = {}
        body = await self._get(path, links=links, publishing=publishing,
                               **{k: v for k, v in params.items() if v is not None})
        items = body.get(key) if key and isinstance(body, dict) else body
        if not isinstance(items, list):
            raise SourceError(f"{self.client.network} answered GET {path} with {type(body).__name__}, "
                              "not a list; will retry")
        parsed, unparsed = _parse_items(model, items, path)
        return Page(parsed, len(items), links, unparsed)

    def _one(self, model: type[T], path: str, body: Any) -> T:
        try:
            return model.model_validate(body)
        except ValidationError as error:
            raise SourceError(f"{self.client.network} answered {path} with an unexpected "
                              f"{model.__name__} ({error.errors()[0]['msg']}); will retry") from None

    async def verify_credentials(self) -> Account:
        path = "/api/v1/accounts/verify_credentials"
        return self._one(Account, path, await self._get(path))

    async def instance(self, fallback_domain: str) -> Instance:
        """The domain and status limits: /api/v2/instance, else /api/v1/instance (Pleroma's `max_toot_chars`),
        else 500 characters on the base URL's host."""
        try:
            body = await self._get("/api/v2/instance")
            domain = body.get("domain") if isinstance(body, dict) else None
        except NotFound:
            try:
                body = await self._get("/api/v1/instance")
                domain = body.get("uri") if isinstance(body, dict) else None
            except NotFound as error:
                log.warning("mastodon: no instance API (%s); assuming a 500-character limit", error)
                return Instance(fallback_domain)
        if not isinstance(body, dict):
            return Instance(fallback_domain)
        statuses = (body.get("configuration") or {}).get("statuses") or {}
        limit = statuses.get("max_characters") or body.get("max_toot_chars") or 500
        per_url = statuses.get("characters_reserved_per_url") or 23
        host = urlsplit(domain).netloc if isinstance(domain, str) and "://" in domain else domain
        software = software_of(str(body.get("version") or ""), str(body.get("source_url") or ""))
        return Instance(str(host or fallback_domain), int(limit), int(per_url), software)

    async def notifications(self, *, types: list[str], limit: int, min_id: str | None = None,
                            max_id: str | None = None) -> Page[Notification]:
        return await self._page(Notification, "/api/v1/notifications", **{"types[]": types}, limit=limit,
                                min_id=min_id, max_id=max_id, include_filtered="true")

    async def tag_timeline(self, tag: str, *, limit: int, min_id: str | None = None,
                           max_id: str | None = None) -> Page[Status]:
        """A 404 is an empty page: GoToSocial answers 404 for a tag no status has used yet
        (processing/timeline/tag.go, "tag was not found, or not useable/listable on this instance")."""
        try:
            return await self._page(Status, f"/api/v1/timelines/tag/{quote(tag, safe='')}", limit=limit,
                                    min_id=min_id, max_id=max_id)
        except NotFound:
            return Page([], 0)

    async def search_statuses(self, query: str, *, limit: int, offset: int, min_id: str | None) -> Page[Status]:
        return await self._page(Status, "/api/v2/search", key="statuses", q=query, type="statuses",
                                resolve="false", limit=limit, offset=offset or None, min_id=min_id)

    async def account_statuses(self, account_id: str, *, limit: int, publishing: bool = False) -> Page[Status]:
        return await self._page(Status, f"/api/v1/accounts/{account_id}/statuses", publishing=publishing, limit=limit,
                                exclude_reblogs="true")

    async def context(self, status_id: str) -> Thread:
        path = f"/api/v1/statuses/{status_id}/context"
        body = await self._get(path)
        if not isinstance(body, dict):
            raise SourceError(f"{self.client.network} answered GET {path} with {type(body).__name__}; will retry")
        return Thread(*(_parse_items(Status, body.get(part) or [], path)[0] for part in ("ancestors", "descendants")))

    async def status(self, status_id: str, *, publishing: bool = False) -> Status:
        path = f"/api/v1/statuses/{status_id}"
        return self._one(Status, path, await self._get(path, publishing=publishing))

    async def status_source(self, status_id: str) -> str | None:
        """The text a status was posted with, before the server rendered it (`GET /api/v1/statuses/:id/source`,
        Mastodon 3.5+, GoToSocial, Akkoma); None where the server has no such route."""
        path = f"/api/v1/statuses/{status_id}/source"
        try:
            body = await self._get(path, publishing=True)
        except NotFound:
            return None
        text = body.get("text") if isinstance(body, dict) else None
        return text if isinstance(text, str) else None

    async def post_status(self, text: str, *, visibility: str, in_reply_to_id: str | None,
                          idempotency_key: str, content_type: str | None = None) -> Status:
        """`content_type`: how the server should read `text` (GoToSocial and Akkoma take `text/plain`, so an account
        whose default is Markdown does not turn `**please**` into bold); Mastodon has no such parameter."""
        form = {"status": text, "visibility": visibility, **({"in_reply_to_id": in_reply_to_id} if in_reply_to_id else {}),
                **({"content_type": content_type} if content_type else {})}
        body = await self.client.request("POST", "/api/v1/statuses", bucket=BUCKET, data=form,
                                         headers={"Idempotency-Key": idempotency_key})
        return self._one(Status, "POST /api/v1/statuses", body)


def _parse_items(model: type[T], items: list[Any], path: str) -> tuple[list[tuple[T, dict[str, Any]]], list[Unparsed]]:
    """The items that parse, with their JSON; those that do not, with the reason (never failing the page)."""
    parsed, unparsed = [], []
    for item in items:
        try:
            parsed.append((model.model_validate(item), item))
        except ValidationError as error:
            reason = f"{path}: {error.errors()[0]['loc']} {error.errors()[0]['msg']}"
            log.error("mastodon %s: an item that does not parse (%s): %.200r", path, reason, item)
            unparsed.append(Unparsed(raw=item, reason=reason))
    return parsed, unparsed
