"""Suggested replies and a classification from a language model, over the OpenAI API or a compatible one.

One structured-output call per request returns the post's language, sentiment, intent, urgency and
personal data, and two or three replies in different tones. The post and its context travel as
JSON data in the user message, never in the system prompt, and the answer must fit a schema, so
a post that says "ignore previous instructions" can neither change the answer's format nor, past
the output guard, leak the prompt. Every reply is checked like an agent's reply (length with the
signature, no public request for or repeat of personal data) plus: no words of the instructions,
no link the team's material does not have. An over-long reply goes back to the model once to be
shortened; it is never cut.

Any failure (timeout, rate limit, server error, invalid answer, refusal) raises `ModelUnavailable`
with a reason for the team; the caller falls back to the offline templates. A 429 pauses calls
until its Retry-After has passed.
"""
from __future__ import annotations

import asyncio
import json
import logging
import random
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal, TypeVar

import httpx
import openai
import pydantic
from pydantic import BaseModel

from bot.clock import Clock
from bot.desk.guards import check_reply, leaks_prompt, unknown_links
from bot.settings import ConfigError, LlmConfig, Secrets
from bot.sources.http import retry_after
from bot.suggest.templates import Suggestion, SuggestionRequest, as_published
from bot.vocabulary import network_name
from prompts import PROMPTS_DIR, render

log = logging.getLogger(__name__)

Tone = Literal["short", "warm", "private"]
RATE_LIMIT_PAUSE = 30.0  # seconds, when a 429 names no Retry-After
RETRY_DELAY = 0.5  # seconds before the first retry of a timeout or 5xx; doubles each time
_TRAILING_SIGNATURE = re.compile(r"(?<!\s)\s*\^\w{1,8}\s*$")


class FoundData(BaseModel):
    type: Literal["email", "phone", "address", "username", "password", "payment_card", "iban", "national_id", "order_number",
                  "account_number"]
    text: str


class DraftReply(BaseModel):
    tone: Tone
    text: str


class PostAnalysis(BaseModel):
    """What the model returns for one post (the structured-output schema)."""

    language: str
    sentiment: Literal["positive", "neutral", "negative"]
    intent: Literal["question", "complaint", "bug_report", "praise", "sales_lead", "spam", "other"]
    urgency: Literal["urgent", "high", "normal", "low"]
    personal_data: list[FoundData]
    replies: list[DraftReply]


class ShortenedReplies(BaseModel):
    replies: list[DraftReply]


Answer = TypeVar("Answer", PostAnalysis, ShortenedReplies)


@dataclass(frozen=True)
class Usage:
    model: str
    purpose: str  # suggest | shorten
    input_tokens: int
    output_tokens: int


@dataclass(frozen=True)
class ModelAnswer:
    model: str
    analysis: dict  # language, sentiment, intent, urgency, personal_data [{type, text}] (verbatim in the post)
    suggestions: list[Suggestion]
    dropped: list[dict]  # replies the output guard threw away: {tone, text, reason}
    usage: list[Usage]


class ModelUnavailable(Exception):
    """No usable answer from the model; `reason` says why, for the chat message. `usage` is what it still cost."""

    def __init__(self, reason: str, usage: list[Usage] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.usage = usage or []


def build_client(config: LlmConfig, secrets_: Secrets) -> openai.AsyncOpenAI | None:
    """The SDK client for the configured provider, or None for offline mode (no key, or disabled)."""
    if not config.enabled:
        return None
    common = {"timeout": config.timeout.total_seconds(), "max_retries": 0}  # retries are ours: see ModelSuggester
    if secrets_.azure_openai_endpoint and secrets_.azure_openai_api_key:
        return openai.AsyncAzureOpenAI(azure_endpoint=secrets_.azure_openai_endpoint, api_key=secrets_.azure_openai_api_key,
                                       api_version=secrets_.openai_api_version or "2024-10-21", **common)
    if secrets_.openai_api_key:
        return openai.AsyncOpenAI(api_key=secrets_.openai_api_key, base_url=config.base_url, **common)
    return None


def describe_provider(config: LlmConfig, secrets_: Secrets) -> str:
    """Where suggestions come from, for `socialdesk check` and the logs."""
    if not config.enabled:
        return "offline ([llm] enabled = false)"
    if secrets_.azure_openai_endpoint and secrets_.azure_openai_api_key:
        return f"Azure OpenAI deployment {config.model} at {secrets_.azure_openai_endpoint}"
    if secrets_.openai_api_key:
        return f"model {config.model} at {config.base_url or 'https://api.openai.com/v1'}"
    return "offline (no OPENAI_API_KEY, nor AZURE_OPENAI_API_KEY with AZURE_OPENAI_ENDPOINT)"


def as_data(value: object) -> str:
    """JSON for a prompt's data block; `<` and `>` escaped so no text can close the block's tag."""
    return json.dumps(value, ensure_ascii=False, indent=1).replace("<", "\\u003c").replace(">", "\\u003e")


class ModelSuggester:
    def __init__(self, client: openai.AsyncOpenAI, config: LlmConfig, clock: Clock, base_dir: Path = Path(".")) -> None:
        self.client = client
        self.model = config.model
        self.clock = clock
        self.timeout = config.timeout.total_seconds()
        self.max_retries = config.max_retries
        self.brand_voice_path = base_dir / config.brand_voice if config.brand_voice else PROMPTS_DIR / "brand_voice.md"
        self.knowledge_path = base_dir / config.knowledge if config.knowledge else PROMPTS_DIR / "knowledge.md"
        for path in (self.brand_voice_path, self.knowledge_path):
            if not path.is_file():
                raise ConfigError(f"{path} not found: check [llm] brand_voice / knowledge in socialdesk.toml")
        self._calls = asyncio.Semaphore(config.max_concurrency)
        self._paused_until: datetime | None = None
        # Two calls (suggest, shorten), each with its retries and their waits.
        self.budget = 2 * (self.timeout * (self.max_retries + 1) + RETRY_DELAY * 2 ** self.max_retries) + 5

    async def suggest(self, request: SuggestionRequest) -> ModelAnswer:
        if self._paused_until and self.clock.now() < self._paused_until:
            raise ModelUnavailable(f"the model provider asked us to wait until {self._paused_until:%H:%M:%S} UTC")
        usage: list[Usage] = []
        try:
            async with asyncio.timeout(self.budget):
                return await self._suggest(request, usage)
        except TimeoutError:
            raise ModelUnavailable(f"the model did not answer within {self.budget:.0f}s", usage) from None
        except openai.RateLimitError as error:
            wait = _retry_after(error.response.headers, self.clock.now())
            self._paused_until = self.clock.now() + timedelta(seconds=wait)
            log.warning("llm: rate-limited; offline suggestions until %s", self._paused_until)
            raise ModelUnavailable(f"the model provider is rate-limiting us; trying again after "
                                   f"{self._paused_until:%H:%M:%S} UTC", usage) from None
        except (openai.AuthenticationError, openai.PermissionDeniedError) as error:
            log.error("llm: the provider refused the key (HTTP %s); check OPENAI_API_KEY / AZURE_OPENAI_API_KEY",
                      error.status_code)
            raise ModelUnavailable(f"the model provider refused our key (HTTP {error.status_code})", usage) from None
        except openai.APITimeoutError:
            raise ModelUnavailable(f"the model did not answer within {self.timeout:.0f}s", usage) from None
        except openai.APIStatusError as error:
            raise ModelUnavailable(f"the model service failed (HTTP {error.status_code})", usage) from None
        except openai.APIConnectionError:
            raise ModelUnavailable("the model service could not be reached", usage) from None

    async def _suggest(self, request: SuggestionRequest, usage: list[Usage]) -> ModelAnswer:
        brand_voice, knowledge = _team_material(self.brand_voice_path), _team_material(self.knowledge_path)
        canary = f"SD-{secrets.token_hex(6)}"
        values = {"brand": request.brand or "the brand", "network": network_name(request.network),
                  "max_length": _character_budget(request), "canary": canary}
        system = render("suggest.system.md", **values, brand_voice=brand_voice, knowledge=knowledge)
        instructions = render("suggest.system.md", **values, brand_voice="", knowledge="")
        user = render("suggest.user.md", data=as_data(_post_data(request)))
        analysis = await self._parse(PostAnalysis, system, user, "suggest", usage)
        found = [{"type": item.type, "text": item.text} for item in analysis.personal_data
                 if item.text.strip() and item.text in request.text]  # only what is really in the post
        customer_data = (*request.customer_data, *(item["text"] for item in found))
        guard = _OutputGuard(request, customer_data, instructions, canary, f"{brand_voice}\n{knowledge}")
        # the guards' regular expressions run off the event loop: a long reply must not stall chat
        kept, too_long = await asyncio.to_thread(guard.sort, [] if analysis.intent == "spam" else analysis.replies)
        if too_long:
            shorter = await self._shorten(request, too_long, usage)
            kept_again, still_long = await asyncio.to_thread(guard.sort, shorter, {reply.tone for reply in kept})
            kept += kept_again
            guard.drop(still_long, "too_long")
        language = analysis.language.lower().replace("_", "-").split("-")[0]
        return ModelAnswer(
            model=self.model,
            analysis={"language": language if re.fullmatch(r"[a-z]{2,3}", language) else request.language,
                      "sentiment": analysis.sentiment, "intent": analysis.intent, "urgency": analysis.urgency,
                      "personal_data": found},
            suggestions=[Suggestion(text=reply.text, tone=reply.tone, source=self.model) for reply in kept],
            dropped=guard.dropped,
            usage=usage,
        )

    async def _shorten(self, request: SuggestionRequest, replies: list[DraftReply], usage: list[Usage]) -> list[DraftReply]:
        system = render("shorten.system.md", brand=request.brand or "the brand",
                        network=network_name(request.network), max_length=_character_budget(request))
        user = render("shorten.user.md", data=as_data([reply.model_dump() for reply in replies]))
        try:
            return (await self._parse(ShortenedReplies, system, user, "shorten", usage)).replies
        except ModelUnavailable as error:
            log.warning("llm: could not shorten %d replies: %s", len(replies), error.reason)
            return []

    async def _parse(self, schema: type[Answer], system: str, user: str, purpose: str, usage: list[Usage]) -> Answer:
        """One structured-output call, retried on timeouts, 5xx and lost connections."""
        messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
        for attempt in range(self.max_retries + 1):
            try:
                async with self._calls:
                    raw = await self.client.chat.completions.with_raw_response.parse(
                        model=self.model, messages=messages, response_format=schema)
                break
            except (openai.APITimeoutError, openai.InternalServerError, openai.APIConnectionError):
                if attempt == self.max_retries:
                    raise
                await asyncio.sleep(RETRY_DELAY * 2 ** attempt * random.uniform(0.8, 1.2))
        usage.append(_usage(raw, purpose, self.model))
        try:
            message = raw.parse().choices[0].message
        except (pydantic.ValidationError, ValueError, openai.LengthFinishReasonError,
                openai.ContentFilterFinishReasonError, IndexError) as error:
            log.warning("llm: invalid %s answer: %s", purpose, str(error).splitlines()[0])
            raise ModelUnavailable("the model's answer was not valid", usage) from None
        if message.refusal or message.parsed is None:
            log.warning("llm: the model refused (%s): %s", purpose, message.refusal)
            raise ModelUnavailable("the model declined to answer", usage)
        return message.parsed


@dataclass
class _OutputGuard:
    """Sorts the model's replies into usable, too long (to shorten) and dropped (with the reason)."""

    request: SuggestionRequest
    customer_data: tuple[str, ...]
    instructions: str
    canary: str
    team_material: str
    dropped: list[dict] = field(default_factory=list)

    def sort(self, replies: list[DraftReply], seen: set[str] | None = None) -> tuple[list[DraftReply], list[DraftReply]]:
        seen = set(seen or ())
        kept, too_long = [], []
        for reply in replies:
            reply = DraftReply(tone=reply.tone, text=_TRAILING_SIGNATURE.sub("", reply.text.strip()))
            reason = self._reason(reply.text) if reply.tone not in seen else "duplicate_tone"
            if reason == "too_long":
                too_long.append(reply)
            elif reason:
                self.drop([reply], reason)
            else:
                kept.append(reply)
            seen.add(reply.tone)
        return kept, too_long

    def drop(self, replies: list[DraftReply], reason: str) -> None:
        for reply in replies:
            log.info("llm: dropped a %s suggestion (%s)", reply.tone, reason)
            self.dropped.append({"tone": reply.tone, "text": reply.text, "reason": reason})

    def _reason(self, text: str) -> str | None:
        if not text:
            return "empty"
        if leaks_prompt(text, self.instructions, canary=self.canary):
            return "leaks_prompt"
        if unknown_links(text, self.team_material):
            return "unknown_link"
        issues = {issue.code for issue in check_reply(as_published(text, self.request), max_length=self.request.max_length,
                                                      count_length=self.request.count_length,
                                                      customer_data=self.customer_data)}
        for code in ("asks_for_personal_data", "repeats_personal_data", "too_long"):
            if code in issues:
                return code
        return None


def _team_material(path: Path) -> str:
    """A file the team edits (brand voice, knowledge), read at every call so edits apply at once."""
    try:
        return without_comments(path.read_text(encoding="utf-8")).strip()
    except OSError as error:
        log.error("llm: cannot read %s (%s); suggesting without it", path, error)
        return ""


def without_comments(text: str) -> str:
    """`text` without its <!-- … --> comments and the spaces after each; an unclosed one stays.

    Found with str.find rather than a regular expression: `<!--.*?-->` rescans to the end from every
    "<!--" when none is closed, quadratic in the file's length."""
    kept, at = [], 0
    while (start := text.find("<!--", at)) != -1:
        end = text.find("-->", start + 4)
        if end == -1:
            break
        kept.append(text[at:start])
        at = end + 3
        while at < len(text) and text[at].isspace():
            at += 1
    kept.append(text[at:])
    return "".join(kept)


def _character_budget(request: SuggestionRequest) -> int:
    """Characters the model may write: the limit less the signature's room; halved where the network
    counts the post's script double (CJK on X)."""
    budget = request.max_length - (request.count_length(as_published("", request)))
    if request.language in ("ja", "zh", "ko") and request.count_length("日本") > 2:
        budget //= 2
    return max(budget, 0)


def _post_data(request: SuggestionRequest) -> dict:
    return {
        "post": {"text": request.text, "author": request.customer_name, "language_guess": request.language},
        "thread": list(request.thread),
        "earlier_conversations": list(request.history),
        "team_notes": list(request.notes),
    }


def _usage(raw, purpose: str, model: str) -> Usage:
    """Tokens of a call, read from the raw answer so that an invalid answer is still counted."""
    try:
        body = json.loads(raw.text)
        counted = body.get("usage") or {}
        return Usage(model=str(body.get("model") or model), purpose=purpose, input_tokens=int(counted.get("prompt_tokens") or 0),
                     output_tokens=int(counted.get("completion_tokens") or 0))
    except (ValueError, TypeError, AttributeError):
        return Usage(model=model, purpose=purpose, input_tokens=0, output_tokens=0)


def _retry_after(headers: httpx.Headers, now: datetime) -> float:
    """Seconds to wait after a 429 (at least one): Retry-After-Ms, Retry-After (seconds or an HTTP date), else a default."""
    try:
        wait = float(headers["retry-after-ms"]) / 1000
    except (KeyError, ValueError):
        wait = retry_after(headers, now)
    return RATE_LIMIT_PAUSE if wait is None else max(wait, 1.0)
