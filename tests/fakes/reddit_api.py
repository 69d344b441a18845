"""A fake Reddit: the OAuth token endpoint and the Data API endpoints socialdesk uses, on 127.0.0.1.

Shapes follow Reddit's real answers recorded in tests/fakes/recordings/reddit/ (from praw's
cassettes; tests/bot/sources/reddit/test_recordings.py compares them): Listings of Things, newest
first, paged with `after` and `limit`; inbox comments without `link_id` but with `context`;
`X-Ratelimit-Used/Remaining/Reset` on every API answer, and 429 once the window's 1,000 calls are
used; refusals as HTTP 200 with `json.errors`; 401 for a missing or expired bearer token.

Refusals of /api/comment, worded as Reddit's own code words them (r2/r2/lib/errors.py in
github.com/reddit-archive/reddit, the error codes listed at https://www.reddit.com/dev/api#POST_api_comment):
a body over 10,000 characters (TOO_LONG), a locked thread (THREAD_LOCKED), an archived one (TOO_OLD),
a deleted comment or post (DELETED_COMMENT, DELETED_LINK), posting faster than the account may
(RATELIMIT, with the wait in words), and 403 Forbidden where the account is banned from the subreddit.

Customers post with `comment()`, `submission()` and `message()`; the brand's comments and
messages land in the same store, so its inbox, sent folder and user page answer like Reddit's.
"""
from __future__ import annotations

import base64
import itertools
import math
import re
import secrets
from datetime import datetime
from typing import Any

from aiohttp import web

from tests.fakes.network_server import FakeNetwork

CLIENT_ID, CLIENT_SECRET = "p-jcoLKBynTLew", "gko_LXELoV07ZBNUXrvWZfzE3aI"
BRAND, PASSWORD = "AcmeSupport", "hunter2"
UNAUTHORIZED = {"message": "Unauthorized", "error": 401}
# 100 queries a minute per OAuth client, averaged over 10 minutes, told in X-Ratelimit-* headers
# (https://support.reddithelp.com/hc/en-us/articles/16160319875092-Reddit-Data-API-Wiki)
LIMIT, WINDOW = 1000, 600
MAX_BODY = 10_000  # characters of a comment or message body (TOO_LONG)
LISTING_ONLY = {"link_title", "link_author", "link_permalink", "locked", "archived"}  # on comments in listings only


class FakeReddit(FakeNetwork):
    def __init__(self, clock) -> None:
        super().__init__()
        self.clock = clock
        self.things: dict[str, dict[str, Any]] = {}  # fullname -> {"kind", "data"}
        self.tokens: set[str] = set()
        self.token_lifetime = 86400
        self.errors: dict[str, list[list[str]]] = {}  # path -> json.errors for its next POST
        self.locked: set[str] = set()  # submissions (t3_...) that take no comments
        self.archived: set[str] = set()  # submissions too old for comments (six months, unless the subreddit allows)
        self.banned_from: set[str] = set()  # subreddits whose moderators banned the brand's account
        self.comment_interval: float | None = None  # seconds the brand must wait between comments (new accounts)
        self._last_comment: datetime | None = None
        self.used = 0  # calls in the current window
        self._window: int | None = None
        self._ids = itertools.count(1)
        router = self.app.router
        router.add_post("/api/v1/access_token", self._token)
        router.add_get("/api/v1/me", self._authorized(self._me))
        router.add_get("/message/inbox", self._authorized(self._inbox))
        router.add_get("/message/sent", self._authorized(self._sent))
        router.add_get("/search", self._authorized(self._search))
        router.add_get("/r/{subreddits}/comments", self._authorized(self._subreddit_comments))
        router.add_get("/user/{name}/comments", self._authorized(self._user_comments))
        router.add_post("/api/comment", self._authorized(self._comment))
        router.add_post("/api/compose", self._authorized(self._compose))

    # --- what customers (and the test) do ------------------------------------------------

    def _new_id(self) -> str:
        return base36(next(self._ids) * 7919 + 36**5)

    def _created(self, at: datetime | None) -> float:
        return (at or self.clock.now()).timestamp()

    def submission(self, author: str, title: str, selftext: str = "", *, subreddit: str = "acme", at=None,
                   **extra) -> str:
        id36 = self._new_id()
        slug = re.sub(r"\W+", "_", title.lower()).strip("_")[:40] or "post"
        self.things[f"t3_{id36}"] = {"kind": "t3", "data": {
            "id": id36, "name": f"t3_{id36}", "author": author, "author_fullname": f"t2_{author.lower()}",
            "title": title, "selftext": selftext, "subreddit": subreddit, "subreddit_name_prefixed": f"r/{subreddit}",
            "permalink": f"/r/{subreddit}/comments/{id36}/{slug}/", "url": f"https://www.reddit.com/r/{subreddit}/comments/{id36}/{slug}/",
            "is_self": True, "removed_by_category": None, "num_comments": 0, "locked": False, "archived": False,
            "over_18": False, "created_utc": self._created(at), **extra}}
        return f"t3_{id36}"

    def comment(self, author: str, body: str, parent: str, *, at=None, **extra) -> str:
        parent_thing = self.things[parent]["data"]
        link = parent if parent.startswith("t3_") else parent_thing["link_id"]
        submission = self.things[link]["data"]
        id36 = self._new_id()
        self.things[f"t1_{id36}"] = {"kind": "t1", "data": {
            "id": id36, "name": f"t1_{id36}", "author": author, "author_fullname": f"t2_{author.lower()}",
            "body": body, "link_id": link, "parent_id": parent, "subreddit": submission["subreddit"],
            "subreddit_name_prefixed": f"r/{submission['subreddit']}", "link_title": submission["title"],
            "link_author": submission["author"], "link_permalink": "https://www.reddit.com" + submission["permalink"],
            "permalink": f"{submission['permalink']}{id36}/", "score": 1, "replies": "", "locked": False,
            "archived": False, "created_utc": self._created(at), **extra}}
        return f"t1_{id36}"

    def message(self, author: str, to: str, subject: str, body: str, *, parent: str | None = None, at=None,
                **extra) -> str:
        id36 = self._new_id()
        first = None
        if parent:
            first = self.things[parent]["data"]["first_message_name"] or parent
        self.things[f"t4_{id36}"] = {"kind": "t4", "data": {
            "id": id36, "name": f"t4_{id36}", "author": author, "author_fullname": f"t2_{author.lower()}",
            "dest": to, "subject": subject, "body": body, "parent_id": parent, "first_message_name": first,
            "first_message": int(first[3:], 36) if first else None, "subreddit": None, "was_comment": False,
            "type": "unknown", "context": "", "new": True, "replies": "", "distinguished": None,
            "created_utc": self._created(at), **extra}}
        return f"t4_{id36}"

    def delete(self, fullname: str) -> None:
        """As Reddit shows a thing its author deleted: author and text replaced by [deleted]."""
        data = self.things[fullname]["data"]
        data["author"] = "[deleted]"
        data.pop("author_fullname", None)  # gone with the account's name
        data["body" if "body" in data else "selftext"] = "[deleted]"

    def brand_comments(self) -> list[dict]:
        return [t["data"] for t in self._newest() if t["kind"] == "t1" and t["data"]["author"] == BRAND]

    def brand_messages(self) -> list[dict]:
        return [t["data"] for t in self._newest() if t["kind"] == "t4" and t["data"]["author"] == BRAND]

    # --- the wire -----------------------------------------------------------------------

    def _authorized(self, handler):
        async def checked(request: web.Request) -> web.StreamResponse:
            scheme, _, token = request.headers.get("Authorization", "").partition(" ")
            if scheme.lower() != "bearer" or token not in self.tokens:
                return web.json_response(UNAUTHORIZED, status=401, headers={"www-authenticate": 'Bearer realm="reddit"'})
            now = int(self.clock.now().timestamp())
            if now // WINDOW != self._window:
                self._window, self.used = now // WINDOW, 0
            self.used += 1
            headers = {"x-ratelimit-used": str(self.used), "x-ratelimit-remaining": f"{max(0, LIMIT - self.used)}.0",
                       "x-ratelimit-reset": str(WINDOW - now % WINDOW)}
            if self.used > LIMIT:
                return web.json_response({"message": "Too Many Requests", "error": 429}, status=429, headers=headers)
            response = await handler(request)
            response.headers.update(headers)
            return response
        return checked

    def expire_tokens(self) -> None:
        self.tokens.clear()

    async def _token(self, request: web.Request) -> web.Response:
        expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if request.headers.get("Authorization") != expected:
            return web.json_response(UNAUTHORIZED, status=401)
        form = await request.post()
        if form.get("grant_type") != "password":
            return web.json_response({"error": "unsupported_grant_type"})
        if form.get("username") != BRAND or form.get("password") != PASSWORD:
            return web.json_response({"error": "invalid_grant"})
        token = secrets.token_hex(8)
        self.tokens.add(token)
        return web.json_response({"access_token": token, "token_type": "bearer", "expires_in": self.token_lifetime,
                                  "scope": "*"})

    async def _me(self, request: web.Request) -> web.Response:
        return web.json_response({"name": BRAND, "id": "3ebyblla", "is_employee": False, "has_mail": False,
                                  "created_utc": 1_500_000_000.0, "link_karma": 1, "comment_karma": 12})

    def _newest(self) -> list[dict]:
        return sorted(self.things.values(), key=lambda t: (t["data"].get("created_utc") or 0, t["data"]["name"]), reverse=True)

    def _listing(self, request: web.Request, things: list[dict], *, inbox: bool = False) -> web.Response:
        """Reddit's paging: `after` is the fullname the previous page ended with; `limit` at most 100."""
        limit = min(int(request.query.get("limit", 25)), 100)
        start = 0
        if after := request.query.get("after"):
            names = [t["data"]["name"] for t in things]
            start = names.index(after) + 1 if after in names else len(things)
        page = [_as_inbox_item(t) if inbox else t for t in things[start:start + limit]]
        more = start + limit < len(things)
        return web.json_response({"kind": "Listing", "data": {
            "after": page[-1]["data"]["name"] if page and more else None, "dist": len(page), "modhash": None,
            "geo_filter": "", "children": page, "before": None}})

    async def _inbox(self, request: web.Request) -> web.Response:
        mine = {t["data"]["name"] for t in self.things.values() if t["data"]["author"] == BRAND}

        def received(thing: dict) -> bool:
            data = thing["data"]
            if data["author"] == BRAND:
                return False
            if thing["kind"] == "t4":
                return data["dest"] == BRAND
            return thing["kind"] == "t1" and (data["parent_id"] in mine or f"u/{BRAND}".lower() in data["body"].lower())

        return self._listing(request, [t for t in self._newest() if received(t)], inbox=True)

    async def _sent(self, request: web.Request) -> web.Response:
        return self._listing(request, [t for t in self._newest() if t["kind"] == "t4" and t["data"]["author"] == BRAND])

    async def _search(self, request: web.Request) -> web.Response:
        """Fuzzy like Reddit's: any OR'd term found anywhere in title or text, as a substring."""
        if request.query.get("sort") != "new" or request.query.get("type") != "link":
            return web.json_response({"message": "Bad Request", "error": 400}, status=400)
        terms = [term.strip().strip('"').lower() for term in request.query["q"].split(" OR ")]
        hits = [t for t in self._newest() if t["kind"] == "t3"
                and any(term in f"{t['data']['title']} {t['data']['selftext']}".lower() for term in terms)]
        return self._listing(request, hits)

    async def _subreddit_comments(self, request: web.Request) -> web.Response:
        wanted = {s.lower() for s in request.match_info["subreddits"].split("+")}
        return self._listing(request, [t for t in self._newest()
                                       if t["kind"] == "t1" and t["data"]["subreddit"].lower() in wanted])

    async def _user_comments(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        return self._listing(request, [t for t in self._newest() if t["kind"] == "t1" and t["data"]["author"] == name])

    async def _form(self, request: web.Request, path: str) -> tuple[dict, web.Response | None]:
        form = dict(await request.post())
        if form.get("api_type") != "json":
            return form, web.json_response({"jquery": [], "success": False})
        if self.errors.get(path):
            return form, web.json_response({"json": {"errors": [self.errors.pop(path)]}})
        return form, None

    async def _comment(self, request: web.Request) -> web.Response:
        form, refused = await self._form(request, "/api/comment")
        if refused:
            return refused
        parent = form.get("thing_id", "")
        if parent not in self.things:
            return web.json_response({"json": {"errors": [["INVALID_THING", "that isn't a valid thing", "thing_id"]]}})
        if len(form.get("text", "")) > MAX_BODY:
            return _refused("TOO_LONG", f"this is too long (max: {MAX_BODY})", "text")
        target = self.things[parent]
        if target["data"]["author"] == "[deleted]":
            if parent.startswith("t3_"):
                return _refused("DELETED_LINK", "the link you are commenting on has been deleted", "thing_id")
            return _refused("DELETED_COMMENT", "that comment has been deleted", "parent")
        if self.comment_interval and self._last_comment:
            wait = self.comment_interval - (self.clock.now() - self._last_comment).total_seconds()
            if wait > 0:
                return _refused("RATELIMIT", f"Looks like you've been doing that a lot. Take a break for "
                                f"{math.ceil(wait / 60)} minutes before trying again.", "ratelimit")
        if parent.startswith("t4_"):
            data = target["data"]
            other = data["author"] if data["author"] != BRAND else data["dest"]
            name = self.message(BRAND, other, "re: " + data["subject"].removeprefix("re: "), form["text"], parent=parent)
        else:
            link = parent if parent.startswith("t3_") else target["data"]["link_id"]
            if self.things[link]["data"]["subreddit"] in self.banned_from:
                return web.json_response({"message": "Forbidden", "error": 403}, status=403)
            if link in self.locked:
                return _refused("THREAD_LOCKED", "Comments are locked.", "parent")
            if link in self.archived:
                return _refused("TOO_OLD", "that's a piece of history now; it's too late to reply to it", "parent")
            name = self.comment(BRAND, form["text"], parent)
        self._last_comment = self.clock.now()
        return web.json_response({"json": {"errors": [], "data": {"things": [_as_created(self.things[name])]}}})

    async def _compose(self, request: web.Request) -> web.Response:
        form, refused = await self._form(request, "/api/compose")
        if refused:
            return refused
        if not form.get("subject"):
            return _refused("NO_SUBJECT", "please enter a subject", "subject")
        if len(form.get("text", "")) > MAX_BODY:
            return _refused("TOO_LONG", f"this is too long (max: {MAX_BODY})", "text")
        self.message(BRAND, form["to"], form["subject"], form["text"])
        return web.json_response({"json": {"errors": []}})  # Reddit does not return the message it sent


def _refused(code: str, message: str, field: str) -> web.Response:
    return web.json_response({"json": {"errors": [[code, message, field]]}})


def _as_created(thing: dict) -> dict:
    """A new comment as /api/comment returns it: without the listing's link_* and locked fields."""
    data = {k: v for k, v in thing["data"].items() if k not in LISTING_ONLY}
    return {"kind": thing["kind"], "data": data}


def _as_inbox_item(thing: dict) -> dict:
    """Inbox comments, as Reddit lists them: `context` and `type` instead of `link_id` and `permalink`, and the
    message fields (`first_message`, `first_message_name`) empty."""
    if thing["kind"] != "t1":
        return thing
    data = {k: v for k, v in thing["data"].items() if k not in LISTING_ONLY - {"link_title"}}
    mention = f"u/{BRAND}".lower() in data["body"].lower()
    kind = "username_mention" if mention else "post_reply" if data["parent_id"].startswith("t3_") else "comment_reply"
    context = data.pop("permalink") + "?context=3"
    data.pop("link_id")
    data.update(type=kind, context=context, was_comment=True, dest=BRAND, new=True, first_message=None,
                first_message_name=None,
                subject={"username_mention": "username mention", "post_reply": "post reply"}.get(kind, "comment reply"))
    return {"kind": "t1", "data": data}


def base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while number:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
    return out or "0"
