"""A fake X API v2 on 127.0.0.1: mentions, recent search, DMs, the brand's timeline, posting and DMing.

Answers are shaped like docs.x.com and tweepy's cassettes: `data` / `includes` / `errors` / `meta`,
fields only when asked for with `tweet.fields` / `user.fields` / `dm_event.fields`, ids that are
snowflakes (time in the top bits), newest first, opaque page tokens, `x-rate-limit-*` headers per
endpoint, problem+json errors. It checks the Bearer token or the OAuth 1.0a HMAC-SHA1 signature of
every request, and behaves like X where socialdesk must cope: posting the same text twice is refused
as duplicate content, replying to a post that did not mention the brand is refused, stored post text
escapes & < > and wraps links in t.co, recent search refuses a start_time over 7 days back, a post over
280 weighted characters is refused, each endpoint's 15-minute window runs out (429), and writing needs
the tokens' permission (`x-access-level`, sent on every user-context answer).

Its answers have the keys and types of X's real answers recorded in tests/fakes/recordings/x/
(tests/bot/sources/x/test_recordings.py compares them).
"""
from __future__ import annotations

import html
import itertools
import re
import unicodedata
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from aiohttp import web
from oauthlib.oauth1 import Client as OAuth1Client
from oauthlib.oauth1.rfc5849 import signature, utils

from bot.sources.x.text import MAX_WEIGHTED_LENGTH, url_spans, weighted_length
from tests.auxil.clock import FakeClock
from tests.fakes.network_server import FakeNetwork

X_EPOCH_MS = 1288834974657
# Requests per 15-minute window, per user (https://docs.x.com/x-api/fundamentals/rate-limits).
WINDOW = timedelta(minutes=15)
LIMITS = {"mentions": 300, "search": 300, "dm_events": 15, "tweets": 900, "post": 100, "dm_send": 15, "me": 75,
          "users": 900, "dm_conversation": 15}
ALWAYS = {"tweet": ("id", "text", "edit_history_tweet_ids"), "user": ("id", "name", "username"),
          "dm_event": ("id", "event_type", "text")}
USER_ONLY = {"title": "Unsupported Authentication", "status": 403,
             "type": "https://api.twitter.com/2/problems/unsupported-authentication",
             "detail": "Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint.  Supported "
                       "authentication types are [OAuth 1.0a User Context, OAuth 2.0 User Context]."}
# Tokens generated while the app could only read (https://docs.x.com/resources/fundamentals/authentication/guides/
# v2-authentication-mapping, "App permissions"): writes are refused with this problem.
NO_WRITE = {"title": "Forbidden", "status": 403, "type": "https://api.twitter.com/2/problems/oauth1-permissions",
            "detail": "Your client app is not configured with the appropriate oauth1 app permissions for this endpoint."}
TOO_MANY = {"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429}


def snowflake(at: datetime, sequence: int) -> str:
    return str(((int(at.timestamp() * 1000) - X_EPOCH_MS) << 22) + sequence)


class FakeX(FakeNetwork):
    def __init__(self, clock: FakeClock, *, bearer: str = "bearer-token", api_key: str = "api-key",
                 api_secret: str = "api-secret", access_token: str = "access-token",
                 access_token_secret: str = "access-token-secret") -> None:
        super().__init__()
        self.clock = clock
        self.bearer = bearer
        self.consumer = (api_key, api_secret)
        self.token = (access_token, access_token_secret)
        self.users: dict[str, dict] = {}
        self.tweets: dict[str, dict] = {}
        self.dm_events: list[dict] = []
        self.closed_dms: set[str] = set()  # user ids who do not accept DMs from the brand
        self.used: dict[str, int] = {}
        self._windows: dict[str, datetime] = {}  # bucket -> when its 15-minute window resets
        self.access_level = "read-write-directmessages"  # the user tokens' permission: read | read-write | …
        self.max_length = MAX_WEIGHTED_LENGTH  # 25,000 for Premium accounts
        self._sequence = itertools.count(1)
        self.brand = self.add_user("acme", "Acme Inc", followers=50_000, user_id="1000")
        routes = [
            ("GET", "/2/users/me", self._me), ("GET", "/2/users/by/username/{username}", self._by_username),
            ("GET", "/2/users/{id}/mentions", self._mentions), ("GET", "/2/users/{id}/tweets", self._timeline),
            ("GET", "/2/tweets/search/recent", self._search), ("GET", "/2/dm_events", self._dm_events),
            ("GET", "/2/dm_conversations/with/{participant}/dm_events", self._conversation),
            ("POST", "/2/tweets", self._create_tweet),
            ("POST", "/2/dm_conversations/with/{participant}/messages", self._send_dm),
        ]
        for method, path, handler in routes:
            self.app.router.add_route(method, path, handler)

    # --- the world ------------------------------------------------------------------------

    def add_user(self, username: str, name: str = "", *, followers: int = 10, user_id: str | None = None) -> str:
        user_id = user_id or str(2000 + len(self.users))
        self.users[user_id] = {"id": user_id, "username": username, "name": name or username.title(),
                               "public_metrics": {"followers_count": followers, "following_count": 5,
                                                  "tweet_count": 100, "listed_count": 0}}
        return user_id

    def new_id(self, minutes_ago: float = 0) -> str:
        return snowflake(self.clock.now() - timedelta(minutes=minutes_ago), next(self._sequence))

    def post(self, author: str, text: str, *, minutes_ago: float = 0, reply_to: str | None = None,
             quote: str | None = None, retweet_of: str | None = None, note: str | None = None) -> str:
        """A post as X stores it: `author` is a user id; text is escaped the way X's API returns it."""
        tweet_id = self.new_id(minutes_ago)
        parent = self.tweets.get(reply_to or "")
        tweet = {"id": tweet_id, "text": html.escape(text, quote=False), "author_id": author,
                 "edit_history_tweet_ids": [tweet_id],
                 "created_at": _x_time(self.clock.now() - timedelta(minutes=minutes_ago)),
                 "conversation_id": parent["conversation_id"] if parent else tweet_id}
        references = [("replied_to", reply_to), ("quoted", quote), ("retweeted", retweet_of)]
        tweet["referenced_tweets"] = [{"type": kind, "id": ref} for kind, ref in references if ref]
        if not tweet["referenced_tweets"]:
            del tweet["referenced_tweets"]
        if parent:
            tweet["in_reply_to_user_id"] = parent["author_id"]
        if note:
            tweet["note_tweet"] = {"text": note}
        self.tweets[tweet_id] = tweet
        return tweet_id

    def dm(self, sender: str, text: str, *, minutes_ago: float = 0, to: str | None = None) -> str:
        """A DM from `sender` (a user id) to the brand, or from the brand `to` a user."""
        event_id = self.new_id(minutes_ago)
        self.dm_events.append({"id": event_id, "event_type": "MessageCreate", "text": text, "sender_id": sender,
                               "dm_conversation_id": _conversation_id(self.brand, to or sender),
                               "created_at": _x_time(self.clock.now() - timedelta(minutes=minutes_ago))})
        return event_id

    def delete(self, tweet_id: str) -> None:
        del self.tweets[tweet_id]

    def replies_by_brand(self) -> list[dict]:
        return [t for t in self.tweets.values() if t["author_id"] == self.brand and "referenced_tweets" in t]

    # --- auth -------------------------------------------------------------------------------

    def _caller(self, request: web.Request) -> str | None:
        """'app' for the Bearer token, 'user' for a valid OAuth 1.0a signature, None otherwise."""
        header = request.headers.get("Authorization", "")
        if header == f"Bearer {self.bearer}":
            return "app"
        if not header.startswith("OAuth "):
            return None
        params = {k: utils.unescape(v) for k, v in utils.parse_authorization_header(header)}
        if params.get("oauth_consumer_key") != self.consumer[0] or params.get("oauth_token") != self.token[0]:
            return None
        collected = signature.collect_parameters(uri_query=urlsplit(str(request.url)).query, headers=request.headers,
                                                 exclude_oauth_signature=True)
        base = signature.signature_base_string(request.method, signature.base_string_uri(str(request.url)),
                                               signature.normalize_parameters(collected))
        secrets = OAuth1Client(self.consumer[0], client_secret=self.consumer[1], resource_owner_secret=self.token[1])
        expected = signature.sign_hmac_sha1_with_client(base, secrets)
        return "user" if signature.safe_string_equals(expected, params.get("oauth_signature", "")) else None

    def _refuse(self, request: web.Request, *, user_only: bool = False) -> web.Response | None:
        caller = self._caller(request)
        if caller is None:
            return self._problem(401, "Unauthorized", "Unauthorized", "about:blank")
        if user_only and caller != "user":
            return web.json_response(USER_ONLY, status=403)
        return None

    @staticmethod
    def _problem(status: int, title: str, detail: str, kind: str = "about:blank") -> web.Response:
        return web.json_response({"title": title, "detail": detail, "type": kind, "status": status}, status=status)

    def _answer(self, request: web.Request, bucket: str, body: dict, status: int = 200) -> web.Response:
        """The answer with the window's x-rate-limit-* headers; 429 instead once the window is used up."""
        now = self.clock.now()
        if self._windows.get(bucket, now) <= now:
            self._windows[bucket], self.used[bucket] = now + WINDOW, 0
        self.used[bucket] += 1
        headers = {"x-rate-limit-limit": str(LIMITS[bucket]),
                   "x-rate-limit-remaining": str(max(0, LIMITS[bucket] - self.used[bucket])),
                   "x-rate-limit-reset": str(int(self._windows[bucket].timestamp()))}
        if self._caller(request) == "user":
            headers["x-access-level"] = self.access_level
        if self.used[bucket] > LIMITS[bucket]:
            return web.json_response(TOO_MANY, status=429, headers=headers)
        return web.json_response(body, status=status, headers=headers)

    # --- users ------------------------------------------------------------------------------

    async def _me(self, request: web.Request) -> web.Response:
        return self._refuse(request, user_only=True) or self._answer(request, "me", {"data": self._user(self.brand, {})})

    async def _by_username(self, request: web.Request) -> web.Response:
        if refused := self._refuse(request):
            return refused
        name = request.match_info["username"]
        found = next((u for u in self.users.values() if u["username"].lower() == name.lower()), None)
        if found is None:
            return self._answer(request, "users", {"errors": [{
                "value": name, "detail": f"Could not find user with username: [{name}].", "title": "Not Found Error",
                "resource_type": "user", "parameter": "username", "resource_id": name,
                "type": "https://api.twitter.com/2/problems/resource-not-found"}]})
        return self._answer(request, "users", {"data": self._user(found["id"], request.query)})

    def _user(self, user_id: str, query) -> dict:
        wanted = set(ALWAYS["user"]) | set(filter(None, query.get("user.fields", "").split(",")))
        return {k: v for k, v in self.users[user_id].items() if k in wanted}

    # --- reading posts ------------------------------------------------------------------------

    async def _mentions(self, request: web.Request) -> web.Response:
        if refused := self._refuse(request):
            return refused
        user = self.users[request.match_info["id"]]
        mention = re.compile(rf"@{re.escape(user['username'])}\b", re.I)
        found = [t for t in self.tweets.values() if t["author_id"] != user["id"] and mention.search(t["text"])]
        return self._tweet_page("mentions", request, found, token="pagination_token", smallest=5)

    async def _timeline(self, request: web.Request) -> web.Response:
        if refused := self._refuse(request):
            return refused
        found = [t for t in self.tweets.values() if t["author_id"] == request.match_info["id"]]
        if "retweets" in request.query.get("exclude", ""):
            found = [t for t in found if not _references(t, "retweeted")]
        return self._tweet_page("tweets", request, found, token="pagination_token", smallest=5)

    async def _search(self, request: web.Request) -> web.Response:
        if refused := self._refuse(request):
            return refused
        start = request.query.get("start_time")
        if start and datetime.fromisoformat(start.replace("Z", "+00:00")) < self.clock.now() - timedelta(days=7):
            return self._answer(request, "search", {
                "errors": [{"parameters": {"start_time": [start]},
                            "message": f"Invalid 'start_time':'{start}'. 'start_time' must be on or after "
                                       f"{(self.clock.now() - timedelta(days=7)):%Y-%m-%dT%H:%MZ}"}],
                "title": "Invalid Request", "detail": "One or more parameters to your request was invalid.",
                "type": "https://api.twitter.com/2/problems/invalid-request"}, status=400)
        matches = _query_matcher(request.query["query"], self.users)
        found = [t for t in self.tweets.values() if matches(t)]
        return self._tweet_page("search", request, found, token="next_token", smallest=10)

    def _tweet_page(self, bucket: str, request: web.Request, found: list[dict], *, token: str, smallest: int):
        query = request.query
        size = int(query.get("max_results", 10))
        if not smallest <= size <= 100:
            return self._problem(400, "Invalid Request", f"The `max_results` query parameter value [{size}] is not "
                                 f"between {smallest} and 100", "https://api.twitter.com/2/problems/invalid-request")
        found = [t for t in found if int(t["id"]) > int(query.get("since_id", 0))]
        if "start_time" in query:
            start = datetime.fromisoformat(query["start_time"].replace("Z", "+00:00"))
            found = [t for t in found if datetime.fromisoformat(t["created_at"].replace("Z", "+00:00")) >= start]
        found.sort(key=lambda t: int(t["id"]), reverse=True)
        if query.get(token):
            found = [t for t in found if int(t["id"]) < int(query[token].removeprefix("p"))]
        page, rest = found[:size], found[size:]
        body: dict = {"meta": {"result_count": len(page)}}
        if page:
            body["data"] = [self._fields(t, query) for t in page]
            body["meta"] |= {"newest_id": page[0]["id"], "oldest_id": page[-1]["id"]}
            self._expand(body, page, query)
        if rest:
            body["meta"]["next_token"] = f"p{page[-1]['id']}"
        return self._answer(request, bucket, body)

    def _fields(self, tweet: dict, query) -> dict:
        wanted = set(ALWAYS["tweet"]) | set(filter(None, query.get("tweet.fields", "").split(",")))
        return {k: v for k, v in tweet.items() if k in wanted}

    def _expand(self, body: dict, page: list[dict], query) -> None:
        expansions = set(query.get("expansions", "").split(","))
        included: dict[str, list] = {}
        if "referenced_tweets.id" in expansions:
            for ref in {r["id"] for t in page for r in t.get("referenced_tweets", [])}:
                if ref in self.tweets:
                    included.setdefault("tweets", []).append(self._fields(self.tweets[ref], query))
                else:
                    body.setdefault("errors", []).append({
                        "value": ref, "detail": f"Could not find tweet with referenced_tweets.id: [{ref}].",
                        "title": "Not Found Error", "resource_type": "tweet", "parameter": "referenced_tweets.id",
                        "resource_id": ref, "type": "https://api.twitter.com/2/problems/resource-not-found"})
        if "author_id" in expansions:
            authors = dict.fromkeys(t["author_id"] for t in page + included.get("tweets", []))
            included["users"] = [self._user(a, query) for a in authors if a in self.users]
        if included:
            body["includes"] = included

    async def _dm_events(self, request: web.Request) -> web.Response:
        if refused := self._refuse(request, user_only=True):
            return refused
        return self._dm_page(request, self.dm_events)

    async def _conversation(self, request: web.Request) -> web.Response:
        if refused := self._refuse(request, user_only=True):
            return refused
        conversation = _conversation_id(self.brand, request.match_info["participant"])
        return self._dm_page(request, [e for e in self.dm_events if e["dm_conversation_id"] == conversation],
                             bucket="dm_conversation")

    def _dm_page(self, request: web.Request, events: list[dict], bucket: str = "dm_events") -> web.Response:
        query = request.query
        found = sorted(events, key=lambda e: int(e["id"]), reverse=True)
        if query.get("pagination_token"):
            found = [e for e in found if int(e["id"]) < int(query["pagination_token"].removeprefix("d"))]
        size = int(query.get("max_results", 100))
        page, rest = found[:size], found[size:]
        wanted = set(ALWAYS["dm_event"]) | set(filter(None, query.get("dm_event.fields", "").split(",")))
        body: dict = {"meta": {"result_count": len(page)}}
        if page:
            body["data"] = [{k: v for k, v in e.items() if k in wanted} for e in page]
            if "sender_id" in query.get("expansions", ""):
                senders = dict.fromkeys(e["sender_id"] for e in page)
                body["includes"] = {"users": [self._user(s, query) for s in senders if s in self.users]}
        if rest:
            body["meta"]["next_token"] = f"d{page[-1]['id']}"
        return self._answer(request, bucket, body)

    # --- writing ------------------------------------------------------------------------------

    async def _create_tweet(self, request: web.Request) -> web.Response:
        if refused := self._refuse(request, user_only=True):
            return refused
        if not self.access_level.startswith("read-write"):
            return web.json_response(NO_WRITE, status=403)
        payload = await request.json()
        text = unicodedata.normalize("NFC", payload["text"])  # X counts, links and stores the NFC form
        target = (payload.get("reply") or {}).get("in_reply_to_tweet_id")
        # 280 weighted characters (https://docs.x.com/resources/fundamentals/counting-characters); refused with 400
        # and these words, as tweepy reports them ("400 Bad Request Your Tweet text is too long…")
        if weighted_length(text) > self.max_length:
            return self._problem(400, "Bad Request", "Your Tweet text is too long. For more information on how Twitter "
                                 "determines text length see https://github.com/twitter/twitter-text.")
        escaped = html.escape(_wrap_links(text), quote=False)
        recent = self.clock.now() - timedelta(hours=24)
        if any(t["author_id"] == self.brand and _leading_mentions_removed(t["text"]) == escaped
               and _created(t) > recent for t in self.tweets.values()):
            return self._problem(403, "Forbidden", "You are not allowed to create a Tweet with duplicate content.")
        parent = self.tweets.get(target or "")
        if target and parent is None:
            return self._problem(400, "Invalid Request", "Your Tweet could not be sent: the post you are replying to "
                                 "does not exist", "https://api.twitter.com/2/problems/invalid-request")
        if parent and not re.search(rf"@{self.users[self.brand]['username']}\b", parent["text"], re.I):
            return self._problem(403, "Forbidden", "Reply to this conversation is not allowed because you have not "
                                 "been mentioned or otherwise engaged by the author of the post you are replying to.")
        mention = f"@{self.users[parent['author_id']]['username']} " if parent else ""  # X leads a reply with it
        tweet_id = self.post(self.brand, mention + _wrap_links(text), reply_to=target)
        return self._answer(request, "post", {"data": {"id": tweet_id, "text": self.tweets[tweet_id]["text"]}}, status=201)

    async def _send_dm(self, request: web.Request) -> web.Response:
        if refused := self._refuse(request, user_only=True):
            return refused
        if self.access_level != "read-write-directmessages":
            return web.json_response(NO_WRITE, status=403)
        participant = request.match_info["participant"]
        if participant in self.closed_dms:
            return self._problem(403, "Forbidden", "You cannot send messages to this user.")
        event_id = self.dm(self.brand, (await request.json())["text"], to=participant)
        conversation = _conversation_id(self.brand, participant)
        return self._answer(request, "dm_send", {"data": {"dm_conversation_id": conversation, "dm_event_id": event_id}},
                            status=201)


def _x_time(moment: datetime) -> str:
    """X's time format, as recorded: 2022-10-26T17:24:21.000Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _conversation_id(*user_ids: str) -> str:
    """A one-to-one DM conversation's id: the two user ids, smaller first (as recorded: "750362064426721281-1072…")."""
    return "-".join(sorted(user_ids, key=int))


def _references(tweet: dict, kind: str) -> bool:
    return any(r["type"] == kind for r in tweet.get("referenced_tweets", []))


def _created(tweet: dict) -> datetime:
    return datetime.fromisoformat(tweet["created_at"].replace("Z", "+00:00")).astimezone(UTC)


def _wrap_links(text: str) -> str:
    for number, (start, end) in enumerate(reversed(url_spans(text))):
        text = text[:start] + f"https://t.co/fake{number:06d}" + text[end:]
    return text


def _leading_mentions_removed(text: str) -> str:
    return re.sub(r"^(?:@\w+\s+)+", "", text)


def _query_matcher(query: str, users: dict[str, dict]):
    """Recent search, roughly: OR inside parentheses, AND between terms, `-` negates; words match inside
    other words, as X's search is fuzzier than socialdesk's whole-word keyword rule."""
    tokens = re.findall(r'-?"[^"]*"|\(|\)|-?[^\s()]+', query)
    groups: list[list[str]] = []
    current: list[str] | None = None
    for token in tokens:
        if token == "(":
            current = []
        elif token == ")":
            groups.append(current or [])
            current = None
        elif token == "OR":
            continue
        elif current is not None:
            current.append(token)
        else:
            groups.append([token])

    def term(tweet: dict, word: str) -> bool:
        text = html.unescape(tweet["text"]).lower()
        if word == "is:retweet":
            return _references(tweet, "retweeted")
        if word.startswith("from:"):
            return users.get(tweet["author_id"], {}).get("username", "").lower() == word[5:].lower()
        return word.strip('"').lower() in text

    def matches(tweet: dict) -> bool:
        for group in groups:
            wanted = [t for t in group if not t.startswith("-")]
            if wanted and not any(term(tweet, t) for t in wanted):
                return False
            if any(term(tweet, t[1:]) for t in group if t.startswith("-")):
                return False
        return True

    return matches
