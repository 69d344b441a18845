"""Configuration: secrets from the environment / `.env`, everything else from `socialdesk.toml`.

Both are validated at start-up; `ConfigError` names the bad key and what was expected.
"""
from __future__ import annotations

import re
import tomllib
from datetime import date, time, timedelta
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.vocabulary import PRIORITIES

Priority = Literal["urgent", "high", "normal", "low"]
_DURATION = re.compile(r"^\s*(\d+)\s*(s|m|h|d)\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
SNOWFLAKE = r"^\d{15,21}$"  # a Discord id (guild, channel, user, role)


class ConfigError(Exception):
    """The configuration cannot be used; the message says which key and what to do."""


def parse_duration(value: object) -> timedelta:
    """'90s', '15m', '4h', '2d' (or a number of seconds) -> timedelta."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return timedelta(seconds=value)
    match = _DURATION.match(str(value))
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"expected a duration like '15m', '4h' or '2d', got {value!r}")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BrandConfig(Strict):
    name: str = Field(min_length=1)
    handles: list[str] = []
    misspellings: list[str] = []
    hashtags: list[str] = []


# How often each network is polled by default, from its rate limits and costs (README "Default poll intervals").
POLL_EVERY = {
    "x": timedelta(minutes=2),  # every search read is billed; Basic allows 60 searches per 15 minutes
    "mastodon": timedelta(seconds=60),  # streamed as it happens; the poll backfills (300 calls per 5 minutes)
    "bluesky": timedelta(seconds=30),  # 3,000 reads per 5 minutes per IP: a round of searches every 30 s is cheap
    "reddit": timedelta(seconds=60),  # 100 requests a minute per OAuth client, shared with publishing
}
PUBLISH_BURST = 5  # a handful of replies go out at once; the pace holds for a /reply-all
# How many replies a second each network takes by default (README "Replying to many"), under its write limits.
PUBLISH_PER_SECOND = {
    "x": 0.1,  # POST /2/tweets: 100 per 15 minutes per user
    "mastodon": 0.5,  # 300 calls per 5 minutes per account, shared with the polls and the stream's backfill
    "bluesky": 0.4,  # createRecord costs 3 of 5,000 points an hour
    "reddit": 0.5,  # 100 requests a minute, shared with the polls
}


class SourceConfig(Strict):
    """One social source. `type` picks the module in bot/sources/; other keys are the module's own."""

    model_config = ConfigDict(extra="allow", frozen=True)
    name: str = Field(min_length=1, pattern=r"^[a-z0-9_-]+$")
    type: str = Field(min_length=1)  # checked against bot.sources.TYPES when the source is built
    poll_every: Duration | None = None  # None: the network's default (POLL_EVERY)
    publish_per_second: float | None = Field(default=None, gt=0)  # None: the network's default (PUBLISH_PER_SECOND)
    enabled: bool = True

    @property
    def interval(self) -> timedelta:
        """How often the source is polled."""
        return self.poll_every or POLL_EVERY.get(self.type, timedelta(seconds=60))

    @property
    def publish_pace(self) -> tuple[float, int]:
        """Replies per second and burst, for the outbox's pacing of `source:<name>`."""
        return self.publish_per_second or PUBLISH_PER_SECOND.get(self.type, 1.0), PUBLISH_BURST


class RouteConfig(Strict):
    """Where conversations go in chat. Routes are tried in order; the first match wins."""

    channel: str = Field(min_length=1)
    platform: Literal["slack", "discord", "console"] = "slack"
    source: str | None = None
    priority: Priority | None = None
    style: Literal["forum", "thread"] | None = None  # Discord: a forum post, or a thread on a message; None: by channel kind


class AgentConfig(Strict):
    name: str = Field(min_length=1)
    initials: str = Field(min_length=1, max_length=8)
    role: Literal["agent", "lead", "trainee"] = "agent"  # a trainee's replies wait for a lead when [approvals] says so
    slack: str | None = Field(default=None, pattern=r"^[UW][A-Z0-9]+$")
    discord: str | None = Field(default=None, pattern=SNOWFLAKE)
    console: str | None = None


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class BusinessHoursConfig(Strict):
    """The team's working hours: SLA clocks run only inside them (except `around_the_clock` priorities)."""

    timezone: str
    days: tuple[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"], ...] = Field(
        default=("mon", "tue", "wed", "thu", "fri"), min_length=1)
    start: time = time(9)
    end: time = time(17)
    holidays: tuple[date, ...] = ()
    country: str | None = None  # ISO 3166 code: its public holidays (the `holidays` package) join `holidays`
    subdivision: str | None = None  # a state or region of `country` with holidays of its own ("BY", "CA")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}; use a name like 'Europe/Berlin' or 'America/New_York'") from None
        return value

    @model_validator(mode="after")
    def _opens_before_it_closes(self) -> BusinessHoursConfig:
        if self.start >= self.end:
            raise ValueError(f"start ({self.start:%H:%M}) must be before end ({self.end:%H:%M})")
        return self

    @model_validator(mode="after")
    def _known_calendar(self) -> BusinessHoursConfig:
        import holidays  # loaded only by a configuration that names a country

        if self.subdivision and not self.country:
            raise ValueError("subdivision needs a country (say country = \"DE\", subdivision = \"BY\")")
        if not self.country:
            return self
        supported = holidays.list_supported_countries()
        if self.country not in supported:
            raise ValueError(f"country {self.country!r} has no holiday calendar; use an ISO 3166 code such as 'DE', "
                             "'US' or 'GB'")
        if self.subdivision and self.subdivision not in supported[self.country]:
            raise ValueError(f"{self.country} has no subdivision {self.subdivision!r}; it has "
                             + ", ".join(supported[self.country]))
        return self


Intent = Literal["question", "complaint", "bug_report", "praise", "sales_lead", "spam", "other"]
ChatPlatform = Literal["slack", "discord", "console"]
_ON_CALL = {"slack": (r"^S[A-Z0-9]+$", "a user group id like S0123ABCD"), "discord": (r"^\d{5,25}$", "a role id (digits)"),
            "console": (r"^\S+$", "a name")}


def _all_priorities(value: dict) -> dict:
    missing = [p for p in PRIORITIES if p not in value]
    if missing:
        raise ValueError(f"missing a target for {', '.join(missing)} (give all of {', '.join(PRIORITIES)})")
    return value


class SlaOverride(Strict):
    """Targets for one network and/or intent; a priority left out keeps the default target."""

    network: str | None = None
    intent: Intent | None = None
    first_response: dict[Priority, Duration] = {}
    next_response: dict[Priority, Duration] = {}
    resolution: dict[Priority, Duration] = {}

    @model_validator(mode="after")
    def _says_something(self) -> SlaOverride:
        if not self.network and not self.intent:
            raise ValueError("an override needs `network` and/or `intent` to say what it applies to")
        if not (self.first_response or self.next_response or self.resolution):
            raise ValueError("an override needs at least one of first_response, next_response, resolution")
        return self


class QuietHoursConfig(Strict):
    """No nudges in this daily window (it may span midnight), except for urgent conversations."""

    start: time
    end: time
    timezone: str | None = None  # default: the business hours' zone, else UTC

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        return value if value is None else BusinessHoursConfig._known_zone(value)

    @model_validator(mode="after")
    def _not_empty(self) -> QuietHoursConfig:
        if self.start == self.end:
            raise ValueError("start and end are equal: leave [sla.quiet_hours] out for no quiet hours")
        return self


class EscalationConfig(Strict):
    """Per chat platform: where breaches are announced, and who is mentioned when nobody owns a conversation."""

    channel: str | None = None
    on_call: str | None = None  # a Slack user group id (S…), a Discord role id


class SlaConfig(Strict):
    business_hours: BusinessHoursConfig | None = None  # None: every target runs around the clock
    around_the_clock: list[Priority] = ["urgent"]
    first_response: dict[Priority, Duration] = Field(
        default_factory=lambda: {
            "urgent": timedelta(minutes=15),
            "high": timedelta(hours=1),
            "normal": timedelta(hours=4),
            "low": timedelta(hours=24),
        }
    )
    next_response: dict[Priority, Duration] = Field(
        default_factory=lambda: {
            "urgent": timedelta(minutes=30),
            "high": timedelta(hours=2),
            "normal": timedelta(hours=8),
            "low": timedelta(hours=48),
        }
    )
    resolution: dict[Priority, Duration] = Field(
        default_factory=lambda: {
            "urgent": timedelta(hours=4),
            "high": timedelta(hours=8),
            "normal": timedelta(hours=24),
            "low": timedelta(hours=40),
        }
    )
    overrides: list[SlaOverride] = []  # tried in order; the first that matches and names the priority wins
    warn_at: float = Field(default=0.75, gt=0, lt=1)  # share of a target after which the thread is warned
    remind_after: Duration = timedelta(minutes=30)  # first reminder after a breach; each next one waits twice as long
    remind_cap: Duration = timedelta(hours=4)  # ... but never longer than this
    sweep_every: Duration = timedelta(seconds=30)
    quiet_hours: QuietHoursConfig | None = None
    escalation: dict[ChatPlatform, EscalationConfig] = {}

    @field_validator("first_response", "next_response", "resolution")
    @classmethod
    def _all_priorities(cls, value: dict) -> dict:
        return _all_priorities(value)

    @model_validator(mode="after")
    def _on_call_ids(self) -> SlaConfig:
        for platform, escalation in self.escalation.items():
            pattern, expected = _ON_CALL[platform]
            if escalation.on_call and not re.match(pattern, escalation.on_call):
                raise ValueError(f"escalation.{platform}.on_call: expected {expected}, got {escalation.on_call!r}")
        return self

    def target(self, kind: str, priority: str, network: str, intent: str) -> timedelta:
        """The target of `kind` (first_response, next_response, resolution) for a conversation."""
        for override in self.overrides:
            if override.network not in (None, network) or override.intent not in (None, intent):
                continue
            if priority in getattr(override, kind):
                return getattr(override, kind)[priority]
        return getattr(self, kind)[priority]

    @property
    def timezone(self) -> str:
        """The team's time zone: for quiet hours, 'today' and the digest."""
        return self.business_hours.timezone if self.business_hours else "UTC"


class DigestConfig(Strict):
    """A daily summary posted at `at` (the team's time zone) to `channel`: yesterday's figures, what is overdue now."""

    channel: str = Field(min_length=1)
    platform: ChatPlatform = "slack"
    at: time = time(9)


class SourceAlertsConfig(Strict):
    """A failing source is announced in the escalation channels: at once when only a person can fix it (a revoked
    token, no credits), else once it has kept failing for `after` (a few 5xx in a row are no news)."""

    after: Duration = timedelta(minutes=15)


class RetentionConfig(Strict):
    """Resolved conversations older than `resolved_after` lose their post texts, raw payloads and notes."""

    resolved_after: Duration


class SchedulerConfig(Strict):
    """One replica at a time runs the scheduled jobs; it holds a lease row and renews it every third of `lease`."""

    lease: Duration = timedelta(seconds=30)


class HealthConfig(Strict):
    """/readyz: the outbox counts as stuck once an entry has been due this long (a long backlog on one channel too)."""

    outbox_stuck_after: Duration = timedelta(minutes=15)


class OutboxConfig(Strict):
    per_channel_per_second: float = Field(default=1.0, gt=0)
    burst: int = Field(default=3, ge=1)
    max_attempts: int = Field(default=8, ge=1)  # for unexpected errors only: outages are waited out


class IncidentsConfig(Strict):
    """Folding a surge into incidents (bot/ingest/incidents.py): near-duplicate new conversations in one channel
    become one chat message with a live count instead of a thread each."""

    enabled: bool = True
    window: Duration = timedelta(minutes=10)  # new conversations this recent are compared
    min_posts: int = Field(default=5, ge=2)  # this many similar new conversations form an incident
    backlog: int = Field(default=5, ge=1)  # chat messages waiting in a channel (5 s behind on Slack) that make it backlogged
    similarity: int = Field(default=75, ge=50, le=100)  # rapidfuzz score (0–100) two posts need to count as alike
    update_every: Duration = timedelta(seconds=10)  # the incident message is edited at most this often


class IngestConfig(Strict):
    """Storing polled posts (bot/ingest)."""

    enrich_ahead: bool = True  # during a backlog, enrich the next page in a worker process (where there are 2+ cores)


class LlmConfig(Strict):
    """The language model behind suggested replies; without a key (see .env.example) suggestions are offline."""

    enabled: bool = True
    model: str = Field(default="gpt-4o-mini", min_length=1)  # on Azure: the deployment name
    base_url: str | None = None  # None: OpenAI, or AZURE_OPENAI_ENDPOINT; any OpenAI-compatible server (vLLM, Ollama)
    timeout: Duration = timedelta(seconds=20)  # per attempt
    max_retries: int = Field(default=1, ge=0, le=5)
    max_concurrency: int = Field(default=4, ge=1, le=64)  # model calls at once, per process
    input_price_per_million: float = Field(default=0.0, ge=0)  # tokens' prices, for the cost in /stats
    output_price_per_million: float = Field(default=0.0, ge=0)
    currency: str = "USD"
    brand_voice: str | None = None  # file, relative to socialdesk.toml; default prompts/brand_voice.md
    knowledge: str | None = None  # file of the team's answers (FAQ, known outages); default prompts/knowledge.md


class ExpertGroupConfig(Strict):
    """An expert group a conversation can be escalated to (`/escalate 42 @billing reason`): its channel gets a summary
    thread where the experts answer as in the conversation's own thread."""

    name: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_-]+$")
    platform: ChatPlatform = "slack"
    channel: str = Field(min_length=1)
    mention: str | None = None  # pinged with the summary: a Slack user group id (S…), a Discord role id
    priority: Priority | None = None  # while escalated the SLA takes this priority's targets; None: it keeps running

    @model_validator(mode="after")
    def _mention_id(self) -> ExpertGroupConfig:
        pattern, expected = _ON_CALL[self.platform]
        if self.mention and not re.match(pattern, self.mention):
            raise ValueError(f"mention: expected {expected}, got {self.mention!r}")
        return self


class ApprovalsConfig(Strict):
    """Replies a lead approves before they are published (Approve / Edit / Reject in the thread)."""

    roles: list[Literal["agent", "trainee"]] = ["trainee"]  # replies by agents with these roles
    guard_overrides: bool = False  # replies sent with --anyway over a personal-data guard or the collision guard
    tags: list[str] = []  # replies to conversations with any of these tags
    priorities: list[Priority] = []  # replies to conversations of these priorities


class TagsConfig(Strict):
    """Tags suggested on a new conversation: by keyword in the post, and by intent."""

    keywords: dict[str, list[str]] = {}  # tag -> words that suggest it (case-insensitive, whole words)
    intents: dict[Intent, str] = {}  # intent -> tag


class RepliesConfig(Strict):
    """Saved replies and the collision guard."""

    saved: str | None = None  # folder of saved replies, relative to socialdesk.toml; default prompts/replies
    collision_window: Duration = timedelta(minutes=2)  # a reply this soon after a colleague's is held


class SpamConfig(Strict):
    mute_for: Duration = timedelta(days=7)  # /spam: the customer's posts open no conversation for this long


COMMAND_PREFIX = r"^([a-z0-9][a-z0-9_-]{0,19})?$"  # Slack command names: lower case, no spaces, 32 characters


class SlackConfig(Strict):
    """Slack options beyond the tokens (those are in .env)."""

    # Put before every slash command (/sd-claim), so ten short commands do not clash with other apps in a
    # shared workspace; the manifest (`socialdesk manifest`) must be generated with the same prefix.
    command_prefix: str = Field(default="", pattern=COMMAND_PREFIX)


class DiscordRolesConfig(Strict):
    """Discord roles (by name or id) whose members act as socialdesk agents or leads."""

    lead: list[str] = []
    agent: list[str] = []


class DiscordConfig(Strict):
    """The Discord server socialdesk serves, who may act there, and the delivery pace."""

    guild_id: str = Field(pattern=SNOWFLAKE)
    roles: DiscordRolesConfig = DiscordRolesConfig()
    per_channel_per_second: float = Field(default=5.0, gt=0)  # per routed channel (forum or text channel)
    burst: int = Field(default=5, ge=1)
    requests_per_second: float = Field(default=40.0, gt=0, le=50)  # every REST call; Discord's global limit is 50/s

    @property
    def pace(self) -> tuple[float, int]:
        return self.per_channel_per_second, self.burst

    def role_for(self, roles: tuple[str, ...]) -> Literal["lead", "agent"] | None:
        """The socialdesk role of a member holding `roles` (ids and names); names match case-insensitively."""
        held = {role.casefold() for role in roles}
        for socialdesk_role in ("lead", "agent"):
            if any(name.casefold() in held for name in getattr(self.roles, socialdesk_role)):
                return socialdesk_role
        return None


class DeskConfig(Strict):
    """The whole of socialdesk.toml."""

    brand: BrandConfig
    sources: list[SourceConfig] = []
    routes: list[RouteConfig] = Field(min_length=1)
    agents: list[AgentConfig] = []
    sla: SlaConfig = SlaConfig()
    outbox: OutboxConfig = OutboxConfig()
    incidents: IncidentsConfig = IncidentsConfig()
    ingest: IngestConfig = IngestConfig()
    llm: LlmConfig = LlmConfig()
    slack: SlackConfig = SlackConfig()
    discord: DiscordConfig | None = None
    database_path: str = "socialdesk.db"
    digest: DigestConfig | None = None
    retention: RetentionConfig | None = None
    source_alerts: SourceAlertsConfig = SourceAlertsConfig()
    scheduler: SchedulerConfig = SchedulerConfig()
    escalations: list[ExpertGroupConfig] = []
    approvals: ApprovalsConfig | None = None  # None: no reply waits for approval
    tags: TagsConfig = TagsConfig()
    replies: RepliesConfig = RepliesConfig()
    spam: SpamConfig = SpamConfig()
    health: HealthConfig = HealthConfig()

    @model_validator(mode="after")
    def _consistent(self) -> DeskConfig:
        names = [s.name for s in self.sources]
        duplicates = {n for n in names if names.count(n) > 1}
        if duplicates:
            raise ValueError(f"sources: the name {sorted(duplicates)[0]!r} is used twice; names must be unique")
        for i, route in enumerate(self.routes):
            if route.source and route.source not in names:
                raise ValueError(f"routes[{i}].source: no source named {route.source!r} (have: {', '.join(names) or 'none'})")
        for i, route in enumerate(self.routes):
            if route.platform == "discord" and self.discord is None:
                raise ValueError(f"routes[{i}]: platform 'discord' needs a [discord] block with guild_id (the server id)")
            if route.style and route.platform != "discord":
                raise ValueError(f"routes[{i}].style: only Discord routes have a style (forum or thread)")
        for key in ("slack", "discord", "console"):
            ids = [getattr(a, key) for a in self.agents if getattr(a, key)]
            for agent_id in {i for i in ids if ids.count(i) > 1}:
                raise ValueError(f"agents: {key} user {agent_id!r} is listed twice")
        groups = [g.name for g in self.escalations]
        for name in {n for n in groups if groups.count(n) > 1}:
            raise ValueError(f"escalations: the group {name!r} is listed twice; names must be unique")
        for i, group in enumerate(self.escalations):
            if group.platform == "discord" and self.discord is None:
                raise ValueError(f"escalations[{i}]: platform 'discord' needs a [discord] block with guild_id")
        return self

    def expert_group(self, name: str) -> ExpertGroupConfig | None:
        return next((g for g in self.escalations if g.name == name.lower()), None)

    def route_for(self, source: str, priority: str) -> RouteConfig:
        for route in self.routes:
            if route.source not in (None, source):
                continue
            if route.priority not in (None, priority):
                continue
            return route
        return self.routes[-1]

    def agent(self, platform: str, user_id: str) -> AgentConfig | None:
        return next((a for a in self.agents if getattr(a, platform, None) == user_id), None)

    def chat_role(self, platform: str, roles: tuple[str, ...]) -> Literal["lead", "agent"] | None:
        """The socialdesk role that a chat platform's own roles grant (Discord), or None."""
        platform_config = getattr(self, platform, None)
        if not roles or not hasattr(platform_config, "role_for"):
            return None
        return platform_config.role_for(roles)

    def chat_role_names(self, platform: str) -> list[str]:
        """The chat roles that make someone an agent on `platform`, for telling people what to ask for."""
        platform_config = getattr(self, platform, None)
        roles = getattr(platform_config, "roles", None)
        return [*roles.agent, *roles.lead] if roles else []


def last4(secret: str | None) -> str:
    """A secret as people may see it (in `socialdesk check`, logs, errors): its last 4 characters."""
    return f"…{secret[-4:]} ({len(secret)} chars)" if secret else "not set"


LogLevel = Annotated[Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"],
                     BeforeValidator(lambda value: value.upper() if isinstance(value, str) else value)]


class Secrets(BaseSettings):
    """Environment variables (and `.env`). Nothing here is ever printed in full: secrets show their last 4 characters."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")
    socialdesk_config: Path = Path("socialdesk.toml")
    database_url: str | None = None
    slack_bot_token: str | None = None
    slack_app_token: str | None = None
    slack_signing_secret: str | None = None
    slack_api_url: str = "https://slack.com/api/"
    discord_bot_token: str | None = None
    discord_api_url: str = "https://discord.com/api/v10"
    discord_gateway_url: str = "wss://gateway.discord.gg/"
    port: int = 3000
    openai_api_key: str | None = None
    azure_openai_api_key: str | None = None
    azure_openai_endpoint: str | None = None
    openai_api_version: str | None = None
    log_level: LogLevel | None = None  # None: the command's own (INFO for run, WARNING for demo and check)
    log_format: Literal["text", "json"] = "text"

    def __repr_args__(self):
        for name, value in super().__repr_args__():
            yield name, last4(value) if name in SECRET_FIELDS and value else value


SECRET_FIELDS = frozenset({"database_url", "slack_bot_token", "slack_app_token", "slack_signing_secret", "discord_bot_token",
                           "openai_api_key", "azure_openai_api_key"})


def _format_errors(error: ValidationError, where: str) -> str:
    lines = [f"{where} is not valid:"]
    for item in error.errors():
        key = ".".join(str(part) for part in item["loc"]) or "(top level)"
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown key (check the spelling against socialdesk.example.toml)"
        elif item["type"] == "missing":
            message = "required key is missing"
        lines.append(f"  - {key}: {message}")
    return "\n".join(lines)


def load_config(path: Path) -> DeskConfig:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"{path} not found. Copy socialdesk.example.toml to {path} and fill it in, "
            "or set SOCIALDESK_CONFIG to its path."
        ) from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path} is not valid TOML: {error}") from None
    return parse_config(data, where=str(path))


def parse_config(data: dict, where: str = "socialdesk.toml") -> DeskConfig:
    try:
        return DeskConfig.model_validate(data)
    except ValidationError as error:
        raise ConfigError(_format_errors(error, where)) from None


def load_secrets(**overrides) -> Secrets:
    try:
        return Secrets(**overrides)
    except ValidationError as error:
        raise ConfigError(_format_errors(error, "the environment (.env)")) from None
