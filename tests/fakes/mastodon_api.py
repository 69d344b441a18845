"""A fake Mastodon server answering like the real REST API, on 127.0.0.1.

Payload shapes follow docs.joinmastodon.org/entities (Status, Account, Notification,
Context, Instance) and the answers recorded in Mastodon.py's test cassettes: string IDs
(snowflakes for statuses, small integers for notifications), HTML content with h-card
mentions and shortened links, `Link` headers for paging, `X-RateLimit-*` headers with an
ISO reset time, `{"error": …}` bodies, and 429 once the 300 calls of a 5-minute window
are used. Paging follows the API guidelines: `max_id` and `since_id` bound the results,
`min_id` returns the results immediately newer than it.

Flavours of compatible servers, each as strict as the server (sources beside each rule):
- "gotosocial", as GoToSocial 0.20 behaves (codeberg.org/superseriousbusiness/gotosocial, read at
  57cb4fe): ULID IDs; `acct` with the domain even for local accounts; every error as JSON
  `{"error": "<Status text>: <help>"}` (api/util/errorhandling.go, gtserror/withcode.go), a route it
  does not have included (`{"error": "Not Found"}`); `/api/v2/instance` with `version` "0.20.0",
  its `source_url` and `characters_reserved_per_url: 25` (typeutils/internaltofrontend.go); a tag
  timeline answers 404 until some status has used the tag (processing/timeline/tag.go); status
  search finds only the caller's own statuses and the replies to them (db/bundb/search.go); the
  Idempotency-Key header is ignored (only CORS lists it: middleware/cors.go); `content_type`
  picks plain text or Markdown, else the account's default (`default_content_type`, api/model/
  status.go); the length is every code point of text and content warning, 400 beyond it
  (processing/status/common.go); `/api/v1/statuses/:id/source` gives the text as posted; a
  token without the scope gets 403 "Forbidden: token has insufficient scope permission"
  (api/util/auth.go); the rate limit's reset is stated as the whole second the window ends in,
  so a call at that second gets another 429 (middleware/ratelimit.go).
- "akkoma" and "pleroma", for what Pleroma and Akkoma document: no `/api/v2/instance` (404),
  `max_toot_chars` and `version` "2.7.2 (compatible; Akkoma 3.13.2)" (or "…; Pleroma 2.9.1)") in
  `/api/v1/instance`; flake IDs; the
  Idempotency-Key honoured (Pleroma's IdempotencyPlug); `content_type` as on GoToSocial; the
  length of text and content warning counted as graphemes with links and mentions in full
  (CommonAPI's `validate_character_limit`: `String.length(full_payload)`), 422 "The status is over
  the character limit" beyond it; a missing scope is 403
  "Insufficient permissions: read:notifications." (Pleroma's OAuthScopesPlug and its test); no
  status source route is assumed.

Tests add accounts and statuses (`account`, `post`, `delete`), then read what the source
published from `statuses` and `seen(...)`.
"""
from __future__ import annotations

import asyncio
import html
import itertools
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import regex
from aiohttp import web

from tests.fakes.network_server import FakeNetwork

WINDOW = timedelta(minutes=5)
PLEROMA_FAMILY = ("akkoma", "pleroma")  # Akkoma is a fork of Pleroma: the same API where it matters here
_STATUS_TEXT = {400: "Bad Request", 403: "Forbidden", 404: "Not Found", 422: "Unprocessable Entity"}
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_URL = re.compile(r"https?://[^\s<>\"]+[^\s<>\".,:;!?)]")
_MENTION = re.compile(r"(?<![\w/])@([a-z0-9_]+(?:[.-][a-z0-9_]+)*)(?:@([a-z0-9-]+(?:\.[a-z0-9-]+)+))?", re.I)
_TAG = re.compile(r"(?<![\w/])#(\w+)")
SCOPE_OF = {  # the scope each route needs, as the OAuth scopes page lists them
    "notifications": "read:notifications", "search": "read:search", "verify_credentials": "read:accounts",
    "read_statuses": "read:statuses", "write_statuses": "write:statuses",
}


def _encode(number: int, alphabet: str, width: int) -> str:
    digits = []
    for _ in range(width):
        number, digit = divmod(number, len(alphabet))
        digits.append(alphabet[digit])
    return "".join(reversed(digits))


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class FakeMastodon(FakeNetwork):
    def __init__(self, now: Callable[[], datetime], *, flavour: str = "mastodon", domain: str = "social.example",
                 token: str = "t0ken", max_characters: int = 500, default_content_type: str = "text/plain") -> None:
        super().__init__()
        assert flavour in ("mastodon", "gotosocial", *PLEROMA_FAMILY)
        self.now, self.flavour, self.domain, self.token = now, flavour, domain, token
        self.max_characters = max_characters
        self.default_content_type = default_content_type  # the brand's default post format (GoToSocial, Akkoma)
        self.scopes = set(SCOPE_OF.values())
        self.accounts: dict[str, dict[str, Any]] = {}
        self.statuses: dict[str, dict[str, Any]] = {}
        self.notifications: list[dict[str, Any]] = []
        self.idempotency: dict[str, str] = {}  # Idempotency-Key -> status id (Mastodon keeps them an hour)
        self.rate_limit, self.used, self.window_ends = 300, 0, None
        self._sequence = itertools.count(1)
        self.brand = self.account("acme", display_name="Acme Support")
        self.app.middlewares.append(self._auth_and_rate_limit)
        self._routes()
        self._streaming_routes()
        self.streaming_available = flavour != "gotosocial"

    # --- test set-up --------------------------------------------------------------------

    def new_id(self, at: datetime | None = None, *, small: bool = False) -> str:
        """An ID the way this flavour makes them, increasing with `at` (then with creation order)."""
        n, at = next(self._sequence), at or self.now()
        ms = int(at.timestamp() * 1000)
        if self.flavour == "gotosocial":
            return _encode(ms, _CROCKFORD, 10) + _encode(n, _CROCKFORD, 16)
        if self.flavour in PLEROMA_FAMILY:
            return _encode(ms * 65536 + n, _BASE62, 18)
        return str(n) if small else str((ms << 16) + n % 65536)

    def sort_key(self, item_id: str):
        return int(item_id) if self.flavour == "mastodon" else item_id

    def account(self, username: str, *, domain: str | None = None, display_name: str = "",
                followers: int = 10) -> dict[str, Any]:
        local = domain is None or domain == self.domain
        acct = username if local and self.flavour != "gotosocial" else f"{username}@{domain or self.domain}"
        account = {"id": self.new_id(), "username": username, "acct": acct, "display_name": display_name,
                   "followers_count": followers, "domain": domain or self.domain}
        self.accounts[account["id"]] = account
        return account

    def post(self, author: dict[str, Any], text: str, *, reply_to: str | None = None, visibility: str = "public",
             at: datetime | None = None, spoiler_text: str = "", media: list[dict] | None = None,
             quote_of: str | None = None, markdown: bool = False) -> dict[str, Any]:
        """A status as if written (or federated) now; mentions of the brand notify it, as on Mastodon."""
        at = at or self.now()
        mentioned = [a for a in (self._find_account(u, d) for u, d in _MENTION.findall(text)) if a]
        status = {"id": self.new_id(at), "account_id": author["id"], "text": text, "created_at": at,
                  "visibility": visibility, "in_reply_to_id": reply_to, "spoiler_text": spoiler_text,
                  "media": media or [], "quote_id": quote_of, "markdown": markdown,
                  "mentions": [a["id"] for a in mentioned], "tags": [t.lower() for t in _TAG.findall(text)]}
        self.statuses[status["id"]] = status
        self._stream_status(status)
        quoted = self.statuses.get(quote_of or "")
        if quoted and quoted["account_id"] == self.brand["id"]:
            self._notify("quote", author, status)
        elif self.brand["id"] in status["mentions"] and author["id"] != self.brand["id"]:
            self._notify("mention", author, status)
        return status

    def delete(self, status_id: str, *, keep_notification: bool = False) -> None:
        """Mastodon drops the notifications of a deleted status; some servers leave them without it."""
        del self.statuses[status_id]
        if not keep_notification:
            self.notifications = [n for n in self.notifications if n["status_id"] != status_id]

    def replies_by_brand(self) -> list[dict[str, Any]]:
        return [s for s in self.statuses.values() if s["account_id"] == self.brand["id"]]

    def _notify(self, kind: str, account: dict[str, Any], status: dict[str, Any]) -> None:
        self.notifications.append({"id": self.new_id(small=True), "type": kind, "created_at": self.now(),
                                   "account_id": account["id"], "status_id": status["id"]})
        self._stream_notification(self.notifications[-1])

    def _find_account(self, username: str, domain: str) -> dict[str, Any] | None:
        domain = (domain or self.domain).lower()
        return next((a for a in self.accounts.values()
                     if a["username"].lower() == username.lower() and a["domain"] == domain), None)

    # --- JSON as the API renders it --------------------------------------------------------

    def account_json(self, account: dict[str, Any]) -> dict[str, Any]:
        base = f"https://{account['domain']}/@{account['username']}"
        return {"id": account["id"], "username": account["username"], "acct": account["acct"],
                "display_name": account["display_name"], "locked": False, "bot": False, "discoverable": True,
                "group": False, "created_at": "2024-01-01T00:00:00.000Z", "note": "", "url": base,
                "uri": f"https://{account['domain']}/users/{account['username']}",
                "avatar": f"https://{self.domain}/avatars/original/missing.png", "followers_count": account["followers_count"],
                "following_count": 3, "statuses_count": 7, "last_status_at": "2026-11-01", "emojis": [], "fields": []}

    def status_json(self, status: dict[str, Any]) -> dict[str, Any]:
        account = self.accounts[status["account_id"]]
        quoted = self.statuses.get(status["quote_id"] or "")
        parent = self.statuses.get(status["in_reply_to_id"] or "")
        return {
            "id": status["id"], "created_at": _iso(status["created_at"]), "in_reply_to_id": status["in_reply_to_id"],
            "in_reply_to_account_id": parent["account_id"] if parent else None,
            "sensitive": bool(status["spoiler_text"]), "spoiler_text": status["spoiler_text"],
            "visibility": status["visibility"], "language": "en",
            "uri": f"https://{account['domain']}/users/{account['username']}/statuses/{status['id']}",
            "url": f"https://{account['domain']}/@{account['username']}/{status['id']}",
            "replies_count": sum(s["in_reply_to_id"] == status["id"] for s in self.statuses.values()),
            "reblogs_count": 0, "favourites_count": 0, "edited_at": None, "favourited": False, "reblogged": False,
            "muted": False, "bookmarked": False, "content": self.render(status["text"], markdown=status["markdown"]),
            "filtered": [], "reblog": None,
            "application": {"name": "Web", "website": None}, "account": self.account_json(account),
            "media_attachments": [{"id": self.new_id(), "type": m.get("type", "image"), "description": m.get("description"),
                                   "url": f"https://{self.domain}/media/1.png"} for m in status["media"]],
            "mentions": [{"id": a["id"], "username": a["username"], "acct": a["acct"],
                          "url": f"https://{a['domain']}/@{a['username']}"}
                         for a in (self.accounts[i] for i in status["mentions"])],
            "tags": [{"name": t, "url": f"https://{self.domain}/tags/{t}"} for t in status["tags"]],
            "emojis": [], "card": None, "poll": None,
            "quote": {"state": "accepted", "quoted_status": self.status_json(quoted)} if quoted else None,
        }

    def render(self, text: str, *, markdown: bool = False) -> str:
        """Plain text to the sanitized HTML Mastodon stores: paragraphs, <br>, h-card mentions, shortened links.
        `markdown`: `**strong**` and `*emphasis*` become tags, as GoToSocial's and Akkoma's Markdown renders them."""

        def entity(match: re.Match) -> str:
            token = match.group(0)
            if token.startswith("http"):
                scheme, rest = token.split("://", 1)
                shown, hidden = rest[:30], rest[30:]
                return (f'<a href="{html.escape(token)}" target="_blank" rel="nofollow noopener"><span class="invisible">'
                        f'{scheme}://</span><span class="{"ellipsis" if hidden else ""}">{html.escape(shown)}</span>'
                        f'<span class="invisible">{html.escape(hidden)}</span></a>')
            if token.startswith("#"):
                return (f'<a href="https://{self.domain}/tags/{token[1:].lower()}" class="mention hashtag" rel="tag">'
                        f'#<span>{html.escape(token[1:])}</span></a>')
            username = token[1:].split("@")[0]
            return (f'<span class="h-card" translate="no"><a href="https://{self.domain}/@{username}" '
                    f'class="u-url mention">@<span>{html.escape(username)}</span></a></span>')

        pattern = re.compile(f"{_URL.pattern}|{_MENTION.pattern}|{_TAG.pattern}", re.I)
        paragraphs = []
        for paragraph in re.split(r"\n\s*\n", text.strip()):
            pieces, position = [], 0
            for match in pattern.finditer(paragraph):
                pieces += [html.escape(paragraph[position:match.start()]), entity(match)]
                position = match.end()
            pieces.append(html.escape(paragraph[position:]))
            rendered = "".join(pieces)
            if markdown:
                rendered = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", rendered)
                rendered = re.sub(r"\*(.+?)\*", r"<em>\1</em>", rendered)
            paragraphs.append("<p>" + rendered.replace("\n", "<br>") + "</p>")
        return "".join(paragraphs)

    def countable_length(self, text: str) -> int:
        """The server's own count. GoToSocial: every code point. Akkoma: graphemes, links and mentions in full.
        Mastodon: links 23, `@user@domain` as `@user`, grapheme clusters."""
        if self.flavour == "gotosocial":
            return len(text)
        if self.flavour in PLEROMA_FAMILY:
            return len(regex.findall(r"\X", text))
        text = _URL.sub("x" * 23, text)
        text = _MENTION.sub(lambda m: "@" + m.group(1), text)
        return len(regex.findall(r"\X", text))

    # --- the HTTP API --------------------------------------------------------------------------

    def _routes(self) -> None:
        add = self.app.router
        add.add_get("/api/v1/accounts/verify_credentials", self._verify_credentials)
        add.add_get("/api/v2/instance", self._instance_v2)
        add.add_get("/api/v1/instance", self._instance_v1)
        if self.flavour != "gotosocial":
            add.add_get("/api/v1/instance/", self._instance_v1)
        add.add_get("/api/v1/notifications", self._notifications)
        add.add_get("/api/v1/timelines/tag/{tag}", self._tag_timeline)
        add.add_get("/api/v2/search", self._search)
        add.add_get("/api/v1/accounts/{id}/statuses", self._account_statuses)
        add.add_get("/api/v1/statuses/{id}", self._status)
        add.add_get("/api/v1/statuses/{id}/context", self._context)
        if self.flavour not in PLEROMA_FAMILY:
            add.add_get("/api/v1/statuses/{id}/source", self._status_source)
        add.add_post("/api/v1/statuses", self._create_status)

    @web.middleware
    async def _auth_and_rate_limit(self, request: web.Request, handler):
        now = self.now()
        if self.window_ends is None or now >= self.window_ends:
            self.used, self.window_ends = 0, now + WINDOW
        self.used += 1
        remaining = max(0, self.rate_limit - self.used)
        headers = {"X-RateLimit-Limit": str(self.rate_limit), "X-RateLimit-Remaining": str(remaining),
                   "X-RateLimit-Reset": self._reset_header()}
        if self.used > self.rate_limit:
            return web.json_response({"error": "rate limit reached" if self.flavour == "gotosocial"
                                      else "Too many requests"}, status=429, headers=headers)
        if "/instance" not in request.path and request.headers.get("Authorization") != f"Bearer {self.token}":
            return web.json_response({"error": "The access token is invalid"}, status=401, headers=headers)
        scope = self._scope(request)
        if scope and scope not in self.scopes:
            return web.json_response({"error": self._out_of_scope(scope)}, status=403, headers=headers)
        try:
            response = await handler(request)
        except web.HTTPNotFound:
            if self.flavour == "gotosocial":
                return web.json_response({"error": "Not Found"}, status=404, headers=headers)
            raise
        response.headers.update(headers)
        return response

    def _reset_header(self) -> str:
        """GoToSocial states the reset as the whole second the window ends in, not after it
        (middleware/ratelimit.go: `time.Unix(context.Reset, 0)`): a call made at that second is still refused."""
        if self.flavour == "gotosocial":
            return self.window_ends.replace(microsecond=0).isoformat().replace("+00:00", "Z")
        return self.window_ends.isoformat(timespec="microseconds").replace("+00:00", "Z")

    @staticmethod
    def _scope(request: web.Request) -> str | None:
        path = request.path
        if request.method == "POST":
            return SCOPE_OF["write_statuses"]
        for part in ("notifications", "search", "verify_credentials"):
            if part in path:
                return SCOPE_OF[part]
        return SCOPE_OF["read_statuses"] if "/statuses" in path or "/timelines" in path else None

    def _out_of_scope(self, scope: str) -> str:
        if self.flavour in PLEROMA_FAMILY:
            return f"Insufficient permissions: {scope}."
        if self.flavour == "gotosocial":
            return "Forbidden: token has insufficient scope permission"
        return "This action is outside the authorized scopes"

    def _error(self, status: int, message: str) -> web.Response:
        if self.flavour == "gotosocial":  # gtserror: the status text, then the help text
            message = f"{_STATUS_TEXT[status]}: {message}"
        return web.json_response({"error": message}, status=status)

    async def _verify_credentials(self, request: web.Request) -> web.Response:
        body = self.account_json(self.brand)
        body["source"] = {"privacy": "public", "sensitive": False, "language": None, "note": "", "fields": []}
        return web.json_response(body)

    def _statuses_config(self) -> dict[str, int]:
        per_url = 25 if self.flavour == "gotosocial" else 23  # advertised by GoToSocial, though it counts links whole
        return {"max_characters": self.max_characters, "max_media_attachments": 4, "characters_reserved_per_url": per_url}

    async def _instance_v2(self, request: web.Request) -> web.Response:
        if self.flavour in PLEROMA_FAMILY:
            return self._error(404, "Not found")
        version, source_url = (("0.20.0", "https://codeberg.org/superseriousbusiness/gotosocial")
                               if self.flavour == "gotosocial" else ("4.5.2", "https://github.com/mastodon/mastodon"))
        return web.json_response({"domain": self.domain, "title": "Social Example", "version": version,
                                  "source_url": source_url,
                                  "configuration": {"urls": {"streaming": f"wss://{self.domain}"},
                                                    "statuses": self._statuses_config()},
                                  "api_versions": {"mastodon": 7}})

    async def _instance_v1(self, request: web.Request) -> web.Response:
        if self.flavour in PLEROMA_FAMILY:
            software = "Akkoma 3.13.2" if self.flavour == "akkoma" else "Pleroma 2.9.1"
            return web.json_response({"uri": f"https://{self.domain}", "title": software.split()[0],
                                      "max_toot_chars": self.max_characters,
                                      "version": f"2.7.2 (compatible; {software})"})
        return web.json_response({"uri": self.domain, "title": "Social Example", "version": "4.5.2",
                                  "configuration": {"statuses": self._statuses_config()}})

    def _paged(self, request: web.Request, items: list[dict[str, Any]], *, default: int, maximum: int,
               render: Callable[[dict], dict]) -> web.Response:
        """One page of `items` (newest first) by limit, max_id, since_id and min_id, with Link headers."""
        query, key = request.query, self.sort_key
        limit = min(int(query.get("limit", default)), maximum)
        items = sorted(items, key=lambda i: key(i["id"]), reverse=True)
        if "max_id" in query:
            items = [i for i in items if key(i["id"]) < key(query["max_id"])]
        if "since_id" in query:
            items = [i for i in items if key(i["id"]) > key(query["since_id"])]
        if "min_id" in query:
            items = [i for i in items if key(i["id"]) > key(query["min_id"])][-limit:]
        items = items[:limit]
        headers = {}
        if items:
            kept = [(k, v) for k, v in query.items() if k not in ("max_id", "min_id", "since_id")]
            next_url = request.url.with_query([*kept, ("max_id", items[-1]["id"])])
            prev_url = request.url.with_query([*kept, ("min_id", items[0]["id"])])
            headers["Link"] = f'<{next_url}>; rel="next", <{prev_url}>; rel="prev"'
        return web.json_response([render(i) for i in items], headers=headers)

    def notification_json(self, notification: dict[str, Any]) -> dict[str, Any]:
        status = self.statuses.get(notification["status_id"])
        return {"id": notification["id"], "type": notification["type"], "created_at": _iso(notification["created_at"]),
                "group_key": f"ungrouped-{notification['id']}",
                "account": self.account_json(self.accounts[notification["account_id"]]),
                "status": self.status_json(status) if status else None}

    async def _notifications(self, request: web.Request) -> web.Response:
        types = request.query.getall("types[]", [])
        found = [n for n in self.notifications if not types or n["type"] in types]
        return self._paged(request, found, default=40, maximum=80, render=self.notification_json)

    async def _tag_timeline(self, request: web.Request) -> web.Response:
        tag = request.match_info["tag"].lower()
        if self.flavour == "gotosocial" and not any(tag in s["tags"] for s in self.statuses.values()):
            return self._error(404, "tag was not found, or not useable/listable on this instance")
        found = [s for s in self.statuses.values() if tag in s["tags"] and s["visibility"] == "public"]
        return self._paged(request, found, default=20, maximum=40, render=self.status_json)

    async def _search(self, request: web.Request) -> web.Response:
        query = request.query
        words = query["q"].casefold()
        found = [s for s in self.statuses.values()
                 if words in s["text"].casefold() and s["visibility"] == "public"]
        if self.flavour == "gotosocial":  # only the caller's own statuses and the replies to them
            found = [s for s in found if self.brand["id"] in (s["account_id"], self._parent_account(s))]
        if "min_id" in query and self.flavour == "mastodon":  # turned into `after:` the time the snowflake encodes
            after = datetime.fromtimestamp((int(query["min_id"]) >> 16) / 1000, tz=UTC).replace(microsecond=0)
            found = [s for s in found if s["created_at"] > after]
        elif "min_id" in query:
            found = [s for s in found if self.sort_key(s["id"]) > self.sort_key(query["min_id"])]
        found.sort(key=lambda s: self.sort_key(s["id"]), reverse=True)
        offset, limit = int(query.get("offset", 0)), min(int(query.get("limit", 20)), 40)
        page = [self.status_json(s) for s in found[offset:offset + limit]]
        return web.json_response({"accounts": [], "statuses": page, "hashtags": []})

    async def _account_statuses(self, request: web.Request) -> web.Response:
        account_id = request.match_info["id"]
        own = account_id == self.brand["id"]
        found = [s for s in self.statuses.values() if s["account_id"] == account_id
                 and (own or s["visibility"] in ("public", "unlisted"))]
        return self._paged(request, found, default=20, maximum=40, render=self.status_json)

    def _parent_account(self, status: dict[str, Any]) -> str | None:
        parent = self.statuses.get(status["in_reply_to_id"] or "")
        return parent["account_id"] if parent else None

    async def _status_source(self, request: web.Request) -> web.Response:
        """The text as posted; the requester must own the status (statuses/statussource.go)."""
        status = self.statuses.get(request.match_info["id"])
        if status is None or status["account_id"] != self.brand["id"]:
            return self._error(404, "Record not found")
        body = {"id": status["id"], "text": status["text"], "spoiler_text": status["spoiler_text"]}
        if self.flavour == "gotosocial":
            body["content_type"] = "text/markdown" if status["markdown"] else "text/plain"
        return web.json_response(body)

    async def _status(self, request: web.Request) -> web.Response:
        status = self.statuses.get(request.match_info["id"])
        return web.json_response(self.status_json(status)) if status else self._error(404, "Record not found")

    async def _context(self, request: web.Request) -> web.Response:
        status = self.statuses.get(request.match_info["id"])
        if status is None:
            return self._error(404, "Record not found")
        ancestors, parent = [], self.statuses.get(status["in_reply_to_id"] or "")
        while parent is not None:
            ancestors.insert(0, parent)
            parent = self.statuses.get(parent["in_reply_to_id"] or "")
        descendants, frontier = [], {status["id"]}
        for candidate in sorted(self.statuses.values(), key=lambda s: self.sort_key(s["id"])):
            if candidate["in_reply_to_id"] in frontier:
                descendants.append(candidate)
                frontier.add(candidate["id"])
        return web.json_response({"ancestors": [self.status_json(s) for s in ancestors],
                                  "descendants": [self.status_json(s) for s in descendants]})

    async def _create_status(self, request: web.Request) -> web.Response:
        form = dict(await request.post()) if request.content_type != "application/json" else await request.json()
        key = request.headers.get("Idempotency-Key") if self.flavour != "gotosocial" else None  # GoToSocial ignores it
        if key and key in self.idempotency and self.idempotency[key] in self.statuses:
            return web.json_response(self.status_json(self.statuses[self.idempotency[key]]))
        text, visibility = form.get("status", ""), form.get("visibility", "public")
        if not text.strip():
            return self._error(422, "Validation failed: Text can't be blank")
        if visibility not in ("public", "unlisted", "private", "direct"):
            return self._error(422, f"Validation failed: Visibility {visibility} is not a valid visibility")
        content_type = form.get("content_type") or self.default_content_type
        if self.flavour != "mastodon" and content_type not in ("text/plain", "text/markdown"):
            return self._error(400, f"unrecognized content_type {content_type}")
        too_long = self.countable_length(text + form.get("spoiler_text", "")) > self.max_characters
        if too_long and self.flavour == "gotosocial":
            return self._error(400, f"text with spoiler exceed max chars ({self.max_characters})")
        if too_long and self.flavour in PLEROMA_FAMILY:
            return self._error(422, "The status is over the character limit")
        if too_long:
            return self._error(422, f"Validation failed: Text character limit of {self.max_characters} exceeded")
        reply_to = form.get("in_reply_to_id")
        if reply_to and reply_to not in self.statuses:
            return self._error(404, "Record not found")
        markdown = self.flavour != "mastodon" and content_type == "text/markdown"
        status = self.post(self.brand, text, reply_to=reply_to, visibility=visibility, markdown=markdown)
        if key:
            self.idempotency[key] = status["id"]
        return web.json_response(self.status_json(status))

    # --- the streaming API (server-sent events) -------------------------------------------------
    # docs.joinmastodon.org/methods/streaming: `GET /api/v1/streaming/user/notification` (scope
    # read:notifications) sends `event: notification` with a Notification as `data`;
    # `GET /api/v1/streaming/hashtag?tag=…` sends `event: update` with each new public Status with the
    # tag; a `:thump` comment keeps the connection open; `/api/v1/streaming/health` answers "OK". A
    # missing `tag` is a 400 with `{"error": "Missing parameter: tag"}` as the streaming server answers.

    streaming_available = True  # False: the streaming routes answer 404, as on a server without streaming
    # (GoToSocial: its only streaming route is the WebSocket GET /api/v1/streaming, api/client/streaming/streaming.go)
    heartbeat = 15.0  # seconds between `:thump` comments, as Mastodon's streaming server sends them

    def _streaming_routes(self) -> None:
        self._listeners: list[tuple[asyncio.AbstractEventLoop, asyncio.Queue, str, str | None]] = []
        self.app.router.add_get("/api/v1/streaming/health", self._stream_health)
        self.app.router.add_get("/api/v1/streaming/user/notification", self._stream_user)
        self.app.router.add_get("/api/v1/streaming/hashtag", self._stream_hashtag)

    @property
    def listeners(self) -> int:
        """How many streams are connected now."""
        return len(self._listeners)

    def drop_streams(self) -> None:
        """End every open stream, as a restart of the streaming server would."""
        for loop, queue, _, _ in list(self._listeners):
            loop.call_soon_threadsafe(queue.put_nowait, None)

    def _stream_status(self, status: dict[str, Any]) -> None:
        if status["visibility"] == "public":
            self._publish_event("hashtag", "update", status, lambda tag: tag in status["tags"])

    def _stream_notification(self, notification: dict[str, Any]) -> None:
        self._publish_event("user", "notification", notification, lambda _: True)

    def _publish_event(self, stream: str, event: str, item: dict[str, Any], wanted: Callable[[str | None], bool]) -> None:
        for loop, queue, kind, tag in list(self._listeners):
            if kind == stream and wanted(tag):
                loop.call_soon_threadsafe(queue.put_nowait, (event, item))

    async def _stream_health(self, request: web.Request) -> web.StreamResponse:
        return web.Response(text="OK") if self.streaming_available else web.Response(status=404, text="Not Found")

    async def _stream_user(self, request: web.Request) -> web.StreamResponse:
        return await self._event_stream(request, "user", None)

    async def _stream_hashtag(self, request: web.Request) -> web.StreamResponse:
        tag = request.query.get("tag", "").lower()
        if not tag:
            return web.json_response({"error": "Missing parameter: tag"}, status=400)
        return await self._event_stream(request, "hashtag", tag)

    async def _event_stream(self, request: web.Request, kind: str, tag: str | None) -> web.StreamResponse:
        if not self.streaming_available:
            return web.json_response({"error": "Not Found"}, status=404)
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store"})
        await response.prepare(request)
        listener = (asyncio.get_running_loop(), asyncio.Queue(), kind, tag)
        self._listeners.append(listener)
        try:
            await response.write(b":)\n")
            while True:
                try:
                    item = await asyncio.wait_for(listener[1].get(), self.heartbeat)
                except TimeoutError:
                    await response.write(b":thump\n")
                    continue
                if item is None:
                    break
                event, payload = item
                data = self.status_json(payload) if event == "update" else self.notification_json(payload)
                await response.write(f"event: {event}\ndata: {json.dumps(data)}\n\n".encode())
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            self._listeners.remove(listener)
        return response
