"""A fake Bluesky PDS (with its AppView behind it) for the unit tests, answering like the real one.

Payload shapes are those the reference servers (@atproto/dev-env) answer with; the
integration test in tests/bluesky runs against the real thing. What the real servers cannot
be made to do (429 with RateLimit-* headers, 5xx, timeouts, malformed JSON, an expired
session) is injected with `FakeNetwork.fail` or `expire_sessions()`.

    async with FakeBluesky(clock) as pds:
        brand = pds.account("acme.bsky.social", password="app-pass")
        carla = pds.account("carla.bsky.social")
        pds.post(carla, "@acme.bsky.social my order never arrived")   # a mention notification for brand
"""
from __future__ import annotations

import base64
import hashlib
import itertools
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from aiohttp import web

from bot.clock import Clock
from tests.fakes.network_server import FakeNetwork

TID = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")
POST = "app.bsky.feed.post"


@dataclass
class Account:
    did: str
    handle: str
    password: str
    display_name: str = ""
    followers: int = 0
    notifications: list[dict] = field(default_factory=list)


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _error(status: int, error: str, message: str) -> web.Response:
    return web.json_response({"error": error, "message": message}, status=status)


class FakeBluesky(FakeNetwork):
    def __init__(self, clock: Clock, token_ttl: timedelta = timedelta(hours=2)) -> None:
        super().__init__()
        self.clock = clock
        self.token_ttl = token_ttl
        self.accounts: dict[str, Account] = {}
        self.records: dict[str, dict] = {}  # uri -> {"cid", "value", "indexedAt", "did"}
        self.deleted: set[str] = set()
        self._tokens: dict[str, tuple[str, str]] = {}  # token -> (did, "access" | "refresh")
        self._expired: set[str] = set()
        self._seq = itertools.count(1)
        self.logins = 0
        self.reasons_asked: list[list[str]] = []  # the `reasons` of each listNotifications call
        # A reply notifies the authors of its 4 nearest ancestors, no further up: REPLY_NOTIF_DEPTH = 5 counting the
        # reply itself, in the AppView's data-plane/server/indexing/plugins/post.ts (@atproto/bsky).
        self.notify_ancestors = 4
        routes = {
            "POST com.atproto.server.createSession": self._create_session,
            "POST com.atproto.server.refreshSession": self._refresh_session,
            "GET app.bsky.notification.listNotifications": self._list_notifications,
            "GET app.bsky.feed.searchPosts": self._search_posts,
            "GET app.bsky.feed.getPosts": self._get_posts,
            "GET app.bsky.feed.getPostThread": self._get_post_thread,
            "GET app.bsky.actor.getProfiles": self._get_profiles,
            "GET com.atproto.identity.resolveHandle": self._resolve_handle,
            "POST com.atproto.repo.createRecord": self._create_record,
            "GET com.atproto.repo.getRecord": self._get_record,
        }
        for route, handler in routes.items():
            method, nsid = route.split(" ")
            self.app.router.add_route(method, f"/xrpc/{nsid}", handler)

    # --- the test's side --------------------------------------------------------------------

    def account(self, handle: str, *, password: str = "pass-word-app1", name: str = "", followers: int = 0) -> Account:
        did = "did:plc:" + hashlib.sha256(handle.encode()).hexdigest()[:24]
        self.accounts[did] = Account(did, handle, password, name, followers)
        return self.accounts[did]

    def post(self, author: Account, text: str, *, reply_to: str | None = None, quote: str | None = None,
             indexed_at: datetime | None = None, created_at: datetime | None = None, rkey: str | None = None,
             record: dict | None = None) -> str:
        """Store a post as if its author wrote it and the AppView indexed it; returns its at:// URI."""
        indexed = indexed_at or self.clock.now() + timedelta(milliseconds=next(self._seq))
        value = record or {"$type": POST, "text": text, "createdAt": _iso(created_at or indexed)}
        if reply_to:
            parent = self.records[reply_to]
            root = parent["value"].get("reply", {}).get("root") or {"uri": reply_to, "cid": parent["cid"]}
            value["reply"] = {"root": root, "parent": {"uri": reply_to, "cid": parent["cid"]}}
        if quote:
            value["embed"] = {"$type": "app.bsky.embed.record", "record": {"uri": quote, "cid": self.records[quote]["cid"]}}
        uri = f"at://{author.did}/{POST}/{rkey or self._tid()}"
        return self._store(author, uri, value, indexed)

    def delete(self, uri: str) -> None:
        self.deleted.add(uri)

    def rename(self, account: Account, handle: str) -> None:
        """The account takes another handle; its DID stays."""
        account.handle = handle

    def expire_sessions(self, refresh_too: bool = False) -> None:
        """Every access token (and refresh token) issued so far is now expired."""
        self._expired |= {t for t, (_, kind) in self._tokens.items() if kind == "access" or refresh_too}

    def thread_of(self, uri: str) -> dict:
        return self.records[uri]["value"]

    def posts_by(self, account: Account) -> list[tuple[str, dict]]:
        return [(uri, r["value"]) for uri, r in self.records.items() if r["did"] == account.did]

    # --- storage ----------------------------------------------------------------------------

    def _tid(self) -> str:
        number = next(self._seq)
        return "3l" + "".join("234567abcdefghijklmnopqrstuvwxyz"[(number >> 5 * i) & 31] for i in reversed(range(11)))

    def _store(self, author: Account, uri: str, value: dict, indexed: datetime) -> str:
        cid = "bafyrei" + hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:52]
        sort_at = min(indexed, _parse(value.get("createdAt")) or indexed)  # what the AppView orders by, to the ms
        sort_at = sort_at.replace(microsecond=sort_at.microsecond // 1000 * 1000)
        self.records[uri] = {"cid": cid, "value": value, "indexedAt": sort_at, "did": author.did}
        for reason, target in self._reasons(author, value):
            target.notifications.append({"uri": uri, "reason": reason})
        return uri

    def _ancestors(self, value: dict) -> list[str]:
        """The uris of the reply's nearest ancestors that are notified, nearest first."""
        found, parent = [], value.get("reply", {}).get("parent", {}).get("uri")
        while parent and parent in self.records and len(found) < self.notify_ancestors:
            found.append(parent)
            parent = self.records[parent]["value"].get("reply", {}).get("parent", {}).get("uri")
        return found

    def _reasons(self, author: Account, value: dict):
        text = value.get("text", "")
        ancestors = self._ancestors(value)
        for account in self.accounts.values():
            if account.did == author.did:
                continue
            quoted = value.get("embed", {}).get("record", {}).get("uri", "")
            if any(uri.startswith(f"at://{account.did}/") for uri in ancestors):
                yield "reply", account
            elif quoted.startswith(f"at://{account.did}/"):
                yield "quote", account
            elif re.search(rf"@{re.escape(account.handle)}\b", text):
                yield "mention", account

    def view(self, uri: str) -> dict:
        """The AppView's postView of `uri`."""
        stored = self.records[uri]
        author = self.accounts[stored["did"]]
        return {
            "uri": uri, "cid": stored["cid"],
            "author": {"did": author.did, "handle": author.handle, "displayName": author.display_name,
                       "viewer": {"muted": False, "blockedBy": False}, "labels": []},
            "record": stored["value"], "replyCount": 0, "repostCount": 0, "likeCount": 0, "quoteCount": 0,
            "indexedAt": _iso(stored["indexedAt"]), "viewer": {}, "labels": [],
        }

    def _visible(self, uri: str) -> bool:
        return uri in self.records and uri not in self.deleted

    # --- auth -------------------------------------------------------------------------------

    def _issue(self, did: str) -> dict:
        tokens = {}
        for kind, ttl in (("access", self.token_ttl), ("refresh", timedelta(days=60))):
            claims = {"sub": did, "scope": "com.atproto.appPass", "exp": int((self.clock.now() + ttl).timestamp()),
                      "jti": next(self._seq)}
            token = "eyJ0eXAiOiJKV1QifQ." + base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=") + ".sig"
            self._tokens[token] = (did, kind)
            tokens[f"{kind}Jwt"] = token
        account = self.accounts[did]
        return {**tokens, "did": did, "handle": account.handle, "active": True}

    def _caller(self, request: web.Request, kind: str = "access") -> tuple[Account | None, web.Response | None]:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if token in self._expired:
            return None, _error(400, "ExpiredToken", "Token has expired")
        found = self._tokens.get(token)
        if not found or found[1] != kind:
            return None, _error(400, "InvalidToken", "Token could not be verified")
        return self.accounts[found[0]], None

    async def _create_session(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.logins += 1
        for account in self.accounts.values():
            if body.get("identifier") in (account.handle, account.did) and body.get("password") == account.password:
                return web.json_response(self._issue(account.did))
        return _error(401, "AuthenticationRequired", "Invalid identifier or password")

    async def _refresh_session(self, request: web.Request) -> web.Response:
        account, refused = self._caller(request, "refresh")
        return refused or web.json_response(self._issue(account.did))

    # --- reading ----------------------------------------------------------------------------

    async def _list_notifications(self, request: web.Request) -> web.Response:
        account, refused = self._caller(request)
        if refused:
            return refused
        reasons = request.query.getall("reasons", [])
        self.reasons_asked.append(reasons)
        items = [n for n in account.notifications if self._visible(n["uri"]) and (not reasons or n["reason"] in reasons)]
        items.sort(key=lambda n: self._keyset(n["uri"]), reverse=True)
        if "cursor" in request.query:
            items = [n for n in items if self._keyset(n["uri"]) < self._unpack(request.query["cursor"])]
        page = items[: int(request.query.get("limit", 50))]
        views = [{**self.view(n["uri"]), "reason": n["reason"], "isRead": False} for n in page]
        for view in views:
            for key in ("replyCount", "repostCount", "likeCount", "quoteCount", "viewer"):
                view.pop(key)
        answer = {"notifications": views, "priority": False}
        if page:
            answer["cursor"] = self._pack(page[-1]["uri"])
        return web.json_response(answer)

    # The AppView pages notifications by (sortAt, cid), newest first, and packs the last item's pair into the cursor
    # as "<sortAt in ms>::<cid>" (TimeCidKeyset in its data-plane/server/db/pagination.ts): posts indexed in the
    # same millisecond are neither skipped nor repeated across pages.
    def _keyset(self, uri: str) -> tuple[datetime, str]:
        return self.records[uri]["indexedAt"], self.records[uri]["cid"]

    def _pack(self, uri: str) -> str:
        when, cid = self._keyset(uri)
        return f"{int(when.timestamp() * 1000)}::{cid}"

    @staticmethod
    def _unpack(cursor: str) -> tuple[datetime, str]:
        when, cid = cursor.split("::", 1)
        return datetime.fromtimestamp(int(when) / 1000, tz=UTC), cid

    async def _search_posts(self, request: web.Request) -> web.Response:
        _, refused = self._caller(request)
        if refused:
            return refused
        query = request.query["q"].casefold()
        tags = request.query.getall("tag", [])
        since = _parse(request.query.get("since"))
        uris = [uri for uri, stored in self.records.items()
                if self._visible(uri) and query in stored["value"].get("text", "").casefold()
                and all(f"#{tag}".casefold() in stored["value"].get("text", "").casefold() for tag in tags)
                and (since is None or stored["indexedAt"] >= since)]
        uris.sort(key=lambda uri: self.records[uri]["indexedAt"], reverse=True)
        offset = int(request.query.get("cursor", 0))
        limit = int(request.query.get("limit", 25))
        page = uris[offset: offset + limit]
        answer = {"posts": [self.view(uri) for uri in page]}
        if offset + limit < len(uris):
            answer["cursor"] = str(offset + limit)
        return web.json_response(answer)

    async def _get_posts(self, request: web.Request) -> web.Response:
        _, refused = self._caller(request)
        return refused or web.json_response(
            {"posts": [self.view(uri) for uri in request.query.getall("uris", []) if self._visible(uri)]})

    async def _get_post_thread(self, request: web.Request) -> web.Response:
        """https://docs.bsky.app/docs/api/app-bsky-feed-get-post-thread: `depth` 0-1000 (default 6) levels of
        replies, `parentHeight` 0-1000 (default 80) of parents; a missing root is the error NotFound, a deleted
        reply a notFoundPost node (its replies are not shown)."""
        _, refused = self._caller(request)
        if refused:
            return refused
        limits = {}
        for name, default in (("depth", 6), ("parentHeight", 80)):
            value = request.query.get(name, str(default))
            if not value.isdigit() or int(value) > 1000:
                return _error(400, "InvalidRequest", f"{name} must be an integer from 0 to 1000")
            limits[name] = int(value)
        uri = request.query.get("uri", "")
        if not re.match(r"^at://[^/]+/[^/]+/[^/]+$", uri):
            return _error(400, "InvalidRequest", "uri must be a valid at-uri")
        if not self._visible(uri):
            return _error(400, "NotFound", f"Post not found: {uri}")
        return web.json_response({"thread": self._thread_node(uri, limits["depth"])})

    def _thread_node(self, uri: str, depth: int) -> dict:
        if not self._visible(uri):
            return {"$type": "app.bsky.feed.defs#notFoundPost", "uri": uri, "notFound": True}
        node = {"$type": "app.bsky.feed.defs#threadViewPost", "post": self.view(uri)}
        if depth > 0:
            children = [child for child, stored in self.records.items()
                        if stored["value"].get("reply", {}).get("parent", {}).get("uri") == uri]
            node["replies"] = [self._thread_node(child, depth - 1) for child in children]
        return node

    async def _get_profiles(self, request: web.Request) -> web.Response:
        _, refused = self._caller(request)
        if refused:
            return refused
        wanted = request.query.getall("actors", [])
        return web.json_response({"profiles": [
            {"did": a.did, "handle": a.handle, "displayName": a.display_name, "followersCount": a.followers,
             "followsCount": 3, "postsCount": 10} for a in self.accounts.values() if a.did in wanted or a.handle in wanted]})

    async def _resolve_handle(self, request: web.Request) -> web.Response:
        handle = request.query.get("handle", "").lower()
        found = next((a for a in self.accounts.values() if a.handle == handle), None)
        return web.json_response({"did": found.did}) if found else _error(400, "InvalidRequest", "Unable to resolve handle")

    # --- writing ----------------------------------------------------------------------------

    async def _create_record(self, request: web.Request) -> web.Response:
        account, refused = self._caller(request)
        if refused:
            return refused
        body = await request.json()
        if body.get("repo") != account.did:
            return _error(401, "AuthRequiredError", "Authentication Required")
        rkey = body.get("rkey")
        if rkey is not None and not TID.match(rkey):
            return _error(400, "InvalidRequest", f"Invalid record key for {POST}: must be a valid TID")
        uri = f"at://{account.did}/{body['collection']}/{rkey or self._tid()}"
        if uri in self.records:
            return _error(500, "InternalServerError", "Internal Server Error")  # what the real PDS answers
        self._store(account, uri, body["record"], self.clock.now())
        stored = self.records[uri]
        return web.json_response({"uri": uri, "cid": stored["cid"], "commit": {"cid": "bafyreicommit", "rev": "3l"},
                                  "validationStatus": "valid"})

    async def _get_record(self, request: web.Request) -> web.Response:
        _, refused = self._caller(request)
        if refused:
            return refused
        uri = f"at://{request.query['repo']}/{request.query['collection']}/{request.query['rkey']}"
        if uri not in self.records:
            return _error(400, "RecordNotFound", f"Could not locate record: {uri}")
        return web.json_response({"uri": uri, "cid": self.records[uri]["cid"], "value": self.records[uri]["value"]})


def _parse(value: str | None) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
