"""SLA nudges: the outbox kinds the sweep queues, what a nudge says when it is delivered, and whether it
should still be sent at all.

The sweep queues a nudge for a clock and a stage; by the time the outbox delivers it, a reply may
be on its way or published, the conversation resolved or snoozed, or a later stage queued. Such a
nudge is stale and is dropped, so a reply, a resolve or a snooze stops the nudges at once. (If
the reply then fails to publish, its agent is told and the reminders carry on.)
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.clock import Clock
from bot.delivery import queue
from bot.delivery.chat import Chats, post_in_its_thread, post_once
from bot.delivery.engine import Effect
from bot.settings import SlaConfig
from bot.sla.clocks import BREACH, NAMES, RESOLUTION, TARGETS, WARN, reminders_sent
from bot.views import Notice
from bot.wording import clock_time, plain, span
from storage.models import Agent, Conversation, ConversationStatus, Customer, OutboxEntry, Reply, ReplyStatus, SlaClock

NUDGE = "chat.nudge"  # a warning, breach or reminder in the thread, checked against the clock when delivered
ESCALATE = "chat.escalate"  # a breach announced in the escalation channel, checked likewise
ASLEEP = (ConversationStatus.RESOLVED, ConversationStatus.SNOOZED)


def nudge_key(clock: SlaClock, stage: str) -> str:
    """`conv:42:sla:first:warn`, `conv:42:sla:next:2:remind:3`: one key per clock and stage, so never sent twice."""
    label = f"next:{clock.cycle}" if clock.kind == "next" else clock.kind
    return f"conv:{clock.conversation_id}:sla:{label}:{stage}"


def nudge(conversation: Conversation, clock: SlaClock, stage: str) -> dict:
    return queue.entry(key=nudge_key(clock, stage), kind=NUDGE, target=queue.chat_target(conversation),
                       conversation_id=conversation.id, payload={"clock": clock.id, "stage": stage})


def escalation_entry(conversation: Conversation, clock: SlaClock, channel: str) -> dict:
    return queue.entry(key=nudge_key(clock, "breach") + ":escalate", kind=ESCALATE,
                       target=queue.channel_target(conversation.chat_platform, channel), conversation_id=conversation.id,
                       payload={"clock": clock.id, "channel": channel})


class Nudges:
    """Delivers the kinds above: each is written (or dropped as stale) when it is delivered."""

    def __init__(self, engine: Engine, chats: Chats, config: SlaConfig, clock: Clock) -> None:
        self.engine = engine
        self.chats = chats
        self.config = config
        self.clock = clock

    def effects(self) -> dict[str, Effect]:
        return {NUDGE: Effect(self._in_thread), ESCALATE: Effect(self._escalate)}

    async def _in_thread(self, entry: OutboxEntry) -> dict:
        return await post_in_its_thread(self.engine, self.chats, entry, lambda session, conversation: thread_nudge(
            session, self.config, conversation, entry.payload, self.clock.now()))

    async def _escalate(self, entry: OutboxEntry) -> dict:
        with Session(self.engine) as session:
            conversation = session.get(Conversation, entry.conversation_id)
            message = escalation(session, self.config, conversation, entry.payload, self.clock.now())
        return await post_once(self.chats.port(conversation.chat_platform), entry, entry.payload["channel"], None,
                               message, skipped="dealt with before it was delivered")


def thread_nudge(session: Session, config: SlaConfig, conversation: Conversation, payload: dict,
                 now: datetime) -> Notice | None:
    """The warning, breach or reminder for the thread, mentioning the owner or else the on-call group."""
    clock = session.get(SlaClock, payload["clock"])
    if not _running(session, clock, conversation) or clock.stage != payload["stage"]:
        return None
    platform = conversation.chat_platform
    owner = session.get(Agent, conversation.assignee_id) if conversation.assignee_id else None
    owner_id = getattr(owner, f"{platform}_user_id", None) if owner else None
    on_call = None if owner_id or platform not in config.escalation else config.escalation[platform].on_call
    return Notice(text=_thread_text(config, conversation, clock, now), number=conversation.id, mention_chat_id=owner_id,
                  mention_group_id=on_call)


def escalation(session: Session, config: SlaConfig, conversation: Conversation, payload: dict,
               now: datetime) -> Notice | None:
    """The breach as announced in the escalation channel, unless it has been dealt with meanwhile."""
    clock = session.get(SlaClock, payload["clock"])
    if not _running(session, clock, conversation) or conversation.incident_id is not None:
        return None  # an incident's conversations are escalated once, together (bot/desk/incidents.py)
    customer = session.get(Customer, conversation.customer_id)
    owner = session.get(Agent, conversation.assignee_id) if conversation.assignee_id else None
    return Notice(text=(
        f"🚨 #{conversation.id} missed its {NAMES[clock.kind]} target ({_target(config, conversation, clock)}, "
        f"{clock.priority}) and is overdue by {span(now - clock.due_at)} · {conversation.network} "
        f"@{plain(customer.handle)} · owner: {owner.name if owner else 'nobody'}. "
        + (f"Take it with `/claim {conversation.id}`." if owner is None else "")
    ).strip())


def _running(session: Session, clock: SlaClock | None, conversation: Conversation) -> bool:
    if clock is None or clock.stopped_at or clock.paused_at or conversation.status in ASLEEP:
        return False
    publishing = select(Reply.id).where(Reply.conversation_id == conversation.id, Reply.status == ReplyStatus.PUBLISHING)
    return clock.kind == RESOLUTION or session.exec(publishing).first() is None


def _thread_text(config: SlaConfig, conversation: Conversation, clock: SlaClock, now: datetime) -> str:
    name = NAMES[clock.kind]
    due = clock_time(clock.due_at, config.timezone, now)
    if clock.stage == WARN:
        todo = "Resolve it with `!resolve` once it is done." if clock.kind == RESOLUTION else (
            "Answer with `!reply …`, or `!snooze 1h` if it can wait.")
        return f"⏳ {name.capitalize()} due in {span(clock.due_at - now)} ({due}). {todo}"
    if clock.stage == BREACH:
        told = " The escalation channel has been told." if escalation_channel(config, conversation.chat_platform) else ""
        todo = "Please resolve it or note what is blocking it." if clock.kind == RESOLUTION else "Please answer now."
        return (f"🚨 {name.capitalize()} overdue: the {_target(config, conversation, clock)} target passed at {due}. "
                f"{todo}{told}")
    return (f"🔔 Reminder {reminders_sent(clock)}: {name} overdue by {span(now - clock.due_at)}. "
            "Answer with `!reply …`, hand it over with `!assign @teammate`, or `!snooze 2h`.")


def _target(config: SlaConfig, conversation: Conversation, clock: SlaClock) -> str:
    return span(config.target(TARGETS[clock.kind], clock.priority, conversation.network, conversation.intent))


def escalation_channel(config: SlaConfig, platform: str) -> str | None:
    escalation = config.escalation.get(platform)
    return escalation.channel if escalation else None
