"""A local OpenAI-compatible server: the real `openai` SDK is pointed at it with `base_url`.

It answers POST /v1/chat/completions with the shapes of the real API (a `chat.completion` object
with `usage`, structured output as JSON text in `message.content`, `message.refusal` for a refusal,
and `{"error": {...}}` bodies with Retry-After / x-ratelimit-* headers for 429 and 5xx), and
GET /v1/models/{model}. Each request takes the next scripted behaviour (`script`), else the
default: a well-behaved model that answers from the request. Requests can be held until released
to make a slow model without sleeping, and the most requests in flight at once is recorded.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Self

from aiohttp import web

from tests.fakes.network_server import LocalServer, Recorder

CREATED = 1_767_225_600


@dataclass
class Content:
    """An answer whose message content is `text` as it is (valid JSON or not)."""

    text: str
    finish_reason: str = "stop"


@dataclass
class Refusal:
    text: str = "I'm sorry, I can't assist with that request."


@dataclass
class Failure:
    status: int
    message: str
    type: str
    code: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


def rate_limited(retry_after: int = 20) -> Failure:
    return Failure(429, f"Rate limit reached for gpt-4o-mini in organization org-test on requests per min (RPM): "
                        f"Limit 3, Used 3, Requested 1. Please try again in {retry_after}s.", "requests",
                   "rate_limit_exceeded", {"retry-after": str(retry_after), "x-ratelimit-limit-requests": "3",
                                           "x-ratelimit-remaining-requests": "0",
                                           "x-ratelimit-reset-requests": f"{retry_after}s"})


def server_error(status: int = 500) -> Failure:
    return Failure(status, "The server had an error while processing your request. Sorry about that!", "server_error")


def analysis(*, language: str = "en", sentiment: str = "negative", intent: str = "complaint", urgency: str = "normal",
             personal_data: list[dict] | None = None, replies: list[tuple[str, str]] | None = None) -> Content:
    """A structured answer of the PostAnalysis schema."""
    if replies is None:
        replies = [("short", "Sorry about this! We're on it and will update you here."),
                   ("warm", "We're really sorry, that's not the experience we want for you. We're looking into it now."),
                   ("private", "Sorry for the trouble! Send us a DM and we'll sort it out there.")]
    return Content(json.dumps({"language": language, "sentiment": sentiment, "intent": intent, "urgency": urgency,
                               "personal_data": personal_data or [],
                               "replies": [{"tone": tone, "text": text} for tone, text in replies]}))


def shortened(*replies: tuple[str, str]) -> Content:
    """A structured answer of the ShortenedReplies schema."""
    return Content(json.dumps({"replies": [{"tone": tone, "text": text} for tone, text in replies]}))


Behaviour = Content | Refusal | Failure | Callable[[dict], "Behaviour"]


class FakeOpenAI(LocalServer):
    def __init__(self, model: str = "gpt-4o-mini-2024-07-18") -> None:
        super().__init__()
        self.model = model
        self.headers: list[dict[str, str]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._script: deque[Behaviour] = deque()
        self._open = asyncio.Event()
        self._open.set()
        self._ids = itertools.count(1)
        self.base_url = self.root_url = ""

    # --- scripting ------------------------------------------------------------------------

    def script(self, *behaviours: Behaviour) -> None:
        """The next requests' answers, one each, in order; afterwards the default model answers."""
        self._script.extend(behaviours)

    def hold(self) -> None:
        """Requests wait (a slow model) until `release`."""
        self._open.clear()

    def release(self) -> None:
        self._open.set()

    @property
    def requests(self) -> Recorder[dict]:
        """The JSON bodies received, in order."""
        return self.received

    async def wait_for_requests(self, count: int) -> None:
        """Until `count` requests have arrived (they may be held)."""
        while len(self.requests) < count:
            await asyncio.sleep(0.01)

    # --- server ---------------------------------------------------------------------------

    async def start(self) -> Self:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._completions)
        app.router.add_post("/openai/deployments/{deployment}/chat/completions", self._completions)  # Azure
        app.router.add_get("/v1/models/{model}", self._model)
        self.root_url = f"http://127.0.0.1:{await self._serve(app)}"
        self.base_url = f"{self.root_url}/v1"
        return self

    async def stop(self) -> None:
        self.release()
        await super().stop()

    async def _model(self, request: web.Request) -> web.Response:
        return web.json_response({"id": request.match_info["model"], "object": "model", "created": CREATED,
                                  "owned_by": "system"})

    async def _completions(self, request: web.Request) -> web.Response:
        if not request.headers.get("Authorization", "").startswith("Bearer ") and "api-key" not in request.headers:
            return _error(Failure(401, "You didn't provide an API key.", "invalid_request_error"))
        body = await request.json()
        self.received.add(body)
        self.headers.append({**request.headers, "path": request.path_qs})
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await self._open.wait()
            behaviour = self._script.popleft() if self._script else default_model
            while callable(behaviour):
                behaviour = behaviour(body)
            if isinstance(behaviour, Failure):
                return _error(behaviour)
            return web.json_response(self._completion(body, behaviour))
        finally:
            self.in_flight -= 1

    def _completion(self, body: dict, answer: Content | Refusal) -> dict[str, Any]:
        if isinstance(answer, Refusal):
            message = {"role": "assistant", "content": None, "refusal": answer.text, "annotations": []}
            finish_reason, produced = "stop", answer.text
        else:
            message = {"role": "assistant", "content": answer.text, "refusal": None, "annotations": []}
            finish_reason, produced = answer.finish_reason, answer.text
        prompt_tokens = sum(len(str(m.get("content") or "")) for m in body.get("messages", [])) // 4
        completion_tokens = max(len(produced) // 4, 1)
        return {
            "id": f"chatcmpl-fake{next(self._ids):06d}", "object": "chat.completion", "created": CREATED,
            "model": self.model,
            "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish_reason}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                      "total_tokens": prompt_tokens + completion_tokens,
                      "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                      "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                                                    "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}},
            "service_tier": "default", "system_fingerprint": "fp_fake",
        }


def _error(failure: Failure) -> web.Response:
    body = {"error": {"message": failure.message, "type": failure.type, "param": None, "code": failure.code}}
    return web.json_response(body, status=failure.status, headers=failure.headers)


def default_model(body: dict) -> Content:
    """A model that does what it is asked: analyses the post plainly, or shortens to the first sentence."""
    schema = body["response_format"]["json_schema"]["name"]
    data = _data_block(body["messages"][1]["content"])
    if schema == "ShortenedReplies":
        return shortened(*((r["tone"], re.split(r"(?<=[.!?])\s", r["text"])[0]) for r in data))
    text = data["post"]["text"]
    negative = any(word in text.lower() for word in ("never", "broken", "worst", "not", "late", "crash"))
    return analysis(language=data["post"]["language_guess"] if data["post"]["language_guess"] != "und" else "en",
                    sentiment="negative" if negative else "neutral", intent="complaint" if negative else "question")


def _data_block(user_message: str) -> Any:
    match = re.search(r"<(post_data|replies)>\n(.*)\n</\1>", user_message, re.S)
    return json.loads(match.group(2))
