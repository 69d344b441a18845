"""Figures for /stats, /sla and the daily digest: response times, response rate, SLA attainment.

Definitions (the README repeats them):
- A conversation counts in the window its first post was written in; a next response, in the
  window of the customer's post it answers (each clock counts where it started).
- Response time: from the customer's post to the published response, in business time where the
  policy counts business time (wall-clock time for around-the-clock priorities).
- Response rate: conversations with a published response, out of all but spam.
- A response target is met only if the response was published at or before its due time; it is
  missed if it was published later, or if the due time passed without one (resolved without an
  answer after the due time, or still waiting). Closed without an answer before the due time, or
  still running and not yet due: not counted.

Each section is a small function `(StatsContext) -> list[str]`; `SECTIONS` is what /stats shows,
so another figure (say, LLM cost) is one more function in that list. The sections read counts, medians and
percentiles the database works out (bot/reports/tally.py); only the chart loads the clocks one by one (`measured`).
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from bot.desk import tags as conversation_tags
from bot.reports.tally import AGENT, NETWORK, OVERALL, TAG, UNASSIGNED, Counts, Group, tally_all
from bot.settings import DeskConfig
from bot.sla import policy
from bot.sla.clocks import FIRST, NEXT, RESOLUTION, RESOLVED, RESPONDED, TARGETS
from bot.suggest.usage import usage_lines
from bot.wording import count, plain, span, time_left
from storage.models import Agent, AuditEvent, Conversation, ConversationTag, Customer, SlaClock
from storage.queries import open_conversations

OVERDUE_SHOWN = 10
GROUPINGS = (OVERALL, AGENT, NETWORK, TAG)  # every grouping the sections show


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime | None  # None: up to now
    label: str  # "in the last 7 days", "today", "yesterday"


def last(length: timedelta, now: datetime) -> Window:
    days = length / timedelta(days=1)
    label = f"in the last {int(days)} days" if days == int(days) and days > 1 else f"in the last {span(length)}"
    return Window(now - length, None, label)


def day(zone: str, now: datetime, days_ago: int) -> Window:
    """Today (0) or yesterday (1) in the team's time zone."""
    tz = ZoneInfo(zone)
    midnight = datetime.combine(now.astimezone(tz).date() - timedelta(days=days_ago), datetime.min.time(), tz)
    if days_ago == 0:
        return Window(midnight, None, "today")
    return Window(midnight, datetime.combine(midnight.date() + timedelta(days=1), datetime.min.time(), tz), "yesterday")


@dataclass(frozen=True)
class Measured:
    """One SLA clock with what the figures need."""

    kind: str
    network: str
    agent: str  # who responded, else the owner, else "unassigned"
    spam: bool
    responded: bool
    response_time: timedelta | None
    verdict: str | None  # "met", "missed", or None (not counted)
    started_at: datetime | None = None  # when the customer wrote
    priority: str = "normal"
    target: timedelta | None = None  # the policy's target for this clock
    tags: tuple[str, ...] = ()  # the conversation's


@dataclass(frozen=True)
class StatsContext:
    """The clocks that started in `window` (of conversations tagged with any of `tags`, when given), read from
    `session` when a section asks: use it while the session is open."""

    session: Session
    config: DeskConfig
    window: Window
    now: datetime
    tags: tuple[str, ...] = ()  # only conversations with any of these tags were counted
    groupings: tuple[str, ...] = GROUPINGS  # what the sections will ask for: counted together, in one pass
    _tallies: dict[str, dict[str, Group]] = field(default_factory=dict, repr=False, compare=False)

    def groups(self, by: str) -> dict[str, Group]:
        """The window's figures grouped `by` (tally.OVERALL, AGENT, NETWORK, TAG): on the first call, every grouping
        of `groupings` (and `by`) is counted at once."""
        if by not in self._tallies:
            self._tallies.update(tally_all(self.session, tuple(dict.fromkeys((*self.groupings, by))),
                                           self.window.start, self.window.end, self.now, self.tags))
        return self._tallies[by]

    @property
    def overall(self) -> Group:
        return self.groups(OVERALL).get("", Group())


def context(session: Session, config: DeskConfig, window: Window, now: datetime, tags: tuple[str, ...] = (),
            groupings: tuple[str, ...] = GROUPINGS) -> StatsContext:
    return StatsContext(session, config, window, now, tags, groupings)


def measured(ctx: StatsContext) -> list[Measured]:
    """The window's clocks one by one, with what the chart draws (the sections need only the tallies)."""
    agents = {a.id: a.name for a in ctx.session.exec(select(Agent))}
    query = (
        select(SlaClock, Conversation.network, Conversation.intent, Conversation.assignee_id)
        .join(Conversation, Conversation.id == SlaClock.conversation_id)
        .where(SlaClock.kind.in_((FIRST, NEXT, RESOLUTION)), SlaClock.started_at >= ctx.window.start)
    )
    if ctx.window.end is not None:
        query = query.where(SlaClock.started_at < ctx.window.end)
    if ctx.tags:
        query = query.where(conversation_tags.tagged(ctx.tags))
    session, config, now = ctx.session, ctx.config, ctx.now
    rows = session.exec(query).all()
    tagged: dict[int, list[str]] = defaultdict(list)
    ids = list({clock.conversation_id for clock, *_ in rows})
    for start in range(0, len(ids), 500):  # keeps the IN list of one query small
        for conversation_id, tag in session.exec(select(ConversationTag.conversation_id, ConversationTag.tag)
                                                 .where(ConversationTag.conversation_id.in_(ids[start:start + 500]))):
            tagged[conversation_id].append(tag)
    return [measure(config, clock, network, intent, agents.get(clock.agent_id or assignee, UNASSIGNED), now,
                    tuple(sorted(tagged[clock.conversation_id])))
            for clock, network, intent, assignee in rows]


def measure(config: DeskConfig, clock: SlaClock, network: str, intent: str, agent: str, now: datetime,
            tags: tuple[str, ...] = ()) -> Measured:
    done = clock.outcome == (RESOLVED if clock.kind == RESOLUTION else RESPONDED)
    if done:
        verdict = "met" if clock.stopped_at <= clock.due_at else "missed"
    else:
        verdict = "missed" if (clock.stopped_at or now) > clock.due_at else None
    response_time = None
    if done and clock.kind != RESOLUTION:
        response_time = policy.elapsed(config.sla, clock.priority, clock.started_at, clock.stopped_at)
    target = config.sla.target(TARGETS[clock.kind], clock.priority, network, intent)
    return Measured(clock.kind, network, agent, intent == "spam", done, response_time, verdict, clock.started_at,
                    clock.priority, target, tags)


# --- sections ---------------------------------------------------------------------------------


def overview(ctx: StatsContext) -> list[str]:
    overall = ctx.overall
    first = overall.of(FIRST)
    scope = f" tagged {' or '.join(ctx.tags)}" if ctx.tags else ""
    head = (f"{count(first.clocks, 'conversation')}{scope} {ctx.window.label}"
            + (f" ({first.spam} spam)" if first.spam else "") + ".")
    if not first.clocks:
        return [head]
    return [
        head,
        f"• First response: {_times(overall)} · response rate {_rate(first)}",
        "• On time: " + " · ".join(f"{name} {_attainment(overall.of(kind))}" for kind, name in
                                    ((FIRST, "first responses"), (NEXT, "next responses"), (RESOLUTION, "resolutions"))),
    ]


def by_agent(ctx: StatsContext) -> list[str]:
    return _grouped(ctx, "By agent:", AGENT)


def by_network(ctx: StatsContext) -> list[str]:
    return _grouped(ctx, "By network:", NETWORK)


def by_tag(ctx: StatsContext) -> list[str]:
    """A conversation with several tags counts under each of them."""
    return _grouped(ctx, "By tag:", TAG)


def spam_marked(ctx: StatsContext) -> list[str]:
    """Conversations closed as spam with /spam, and conversations of muted customers that stayed out of chat."""
    query = select(AuditEvent.action).where(AuditEvent.action.in_(("spam", "spam.muted")),
                                            AuditEvent.at >= ctx.window.start)
    if ctx.window.end is not None:
        query = query.where(AuditEvent.at < ctx.window.end)
    actions = ctx.session.exec(query).all()
    marked, muted = actions.count("spam"), actions.count("spam.muted")
    if not marked and not muted:
        return []
    return [f"Spam: {count(marked, 'conversation')} marked with /spam · {count(muted, 'post')} of muted authors kept out "
            "of chat."]


def attainment_today(ctx: StatsContext) -> list[str]:
    overall = ctx.overall
    return [f"{ctx.window.label.capitalize()}: {count(overall.of(FIRST).clocks, 'conversation')} · first responses "
            f"on time {_attainment(overall.of(FIRST))} · next responses {_attainment(overall.of(NEXT))} · "
            f"overdue now {len(overdue(ctx))}."]


def overdue_now(ctx: StatsContext) -> list[str]:
    late = overdue(ctx)
    if not late:
        return ["Nothing is overdue right now."]
    lines = [f"Overdue now ({len(late)}):"]
    for conversation, customer, owner in late[:OVERDUE_SHOWN]:
        lines.append(f"• #{conversation.id} {conversation.priority} · {time_left(conversation.response_due_at, ctx.now)} · "
                     f"{conversation.network} @{plain(customer.handle)} · {owner.name if owner else 'nobody'}")
    if len(late) > OVERDUE_SHOWN:
        lines.append(f"…and {len(late) - OVERDUE_SHOWN} more: see /queue.")
    return lines


def model_cost(ctx: StatsContext) -> list[str]:
    """Tokens and cost of the suggested replies' model calls (nothing when suggestions were offline)."""
    return usage_lines(ctx.session, ctx.window.start, ctx.config.llm.currency, until=ctx.window.end)


SECTIONS: list[Callable[[StatsContext], list[str]]] = [overview, by_agent, by_network, by_tag, spam_marked, model_cost]


def render(ctx: StatsContext, sections: Iterable[Callable[[StatsContext], list[str]]]) -> str:
    return "\n".join(line for section in sections for line in section(ctx))


def overdue(ctx: StatsContext) -> list[tuple[Conversation, Customer, Agent | None]]:
    """Open conversations whose response is overdue now, the longest overdue first."""
    query = open_conversations().where(Conversation.response_due_at < ctx.now).order_by(Conversation.response_due_at)
    return list(ctx.session.exec(query).all())


# --- figures ----------------------------------------------------------------------------------


def _grouped(ctx: StatsContext, title: str, by: str) -> list[str]:
    groups = ctx.groups(by)
    if not groups:
        return []
    lines = [title]
    for name in sorted(groups, key=lambda g: (g == UNASSIGNED, g.lower())):
        group = groups[name]
        first, answered = group.of(FIRST), group.of(FIRST).responded
        both = Counts(met=first.met + group.of(NEXT).met, missed=first.missed + group.of(NEXT).missed)
        lines.append(f"• {name}: {count(answered, 'first response')}, {_times(group)} · "
                     f"response rate {_rate(first)} · on time {_attainment(both)}")
    return lines


def _times(group: Group) -> str:
    if group.median is None:
        return "no responses yet"
    return f"median {span(group.median)}, p90 {span(group.p90)}"


def _rate(first: Counts) -> str:
    return _share(first.responded_counted, first.clocks - first.spam)


def _attainment(counts: Counts) -> str:
    return _share(counts.met, counts.met + counts.missed)


def _share(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)} % ({part} of {whole})" if whole else "n/a"
