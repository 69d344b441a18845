"""/escalate N @group reason: hand a conversation to an expert group ([[escalations]] in socialdesk.toml), or to a
channel (`#channel`). The group's channel gets a summary (customer, history, notes, the posts) whose thread works like
the conversation's own (`!reply`, notes); the SLA keeps running, or takes the group's priority. /deescalate N ends it."""
from __future__ import annotations

import re

from sqlmodel import select

from bot.desk import Desk, lifecycle
from bot.settings import ExpertGroupConfig
from bot.wording import plain
from handlers.context import Outcome, Refusal, Request, require_agent, require_conversation
from storage.models import Escalation

USAGE = "/escalate 42 @billing the customer was charged twice"
DEESCALATE_USAGE = "/deescalate 42"
# Slack escapes a typed #channel as <#C123|name> and a user group as <!subteam^S123|@name>.
_CHANNEL = re.compile(r"^(?:<#([A-Z0-9]+)(?:\|([^>]*))?>|#([\w-]{1,80}))$")
_GROUP = re.compile(r"^(?:<!subteam\^([A-Z0-9]+)(?:\|@?([^>]*))?>|@([\w-]{1,64}))$")


def _target(desk: Desk, word: str, platform: str) -> ExpertGroupConfig:
    """The expert group a typed `@group` or `#channel` names; a channel is a group of its own with no policy."""
    if match := _GROUP.match(word):
        mention, name = match.group(1), match.group(2) or match.group(3) or ""
        group = next((g for g in desk.config.escalations if mention and g.mention == mention), None) \
            or desk.config.expert_group(name)
        if group is None:
            known = ", ".join(f"@{g.name}" for g in desk.config.escalations) or "none yet: add [[escalations]]"
            raise Refusal(f"There is no expert group {plain(word)[:40]}. Groups: {known} — or name a channel (#channel).")
        return group
    if match := _CHANNEL.match(word):
        channel_id, label, name = match.groups()
        channel = channel_id or f"#{name}"
        named = re.sub(r"[^a-z0-9_-]", "", (label or name or channel_id).lower())[:64] or "channel"
        return ExpertGroupConfig(name=named, platform=platform, channel=channel)
    raise Refusal(f"Escalate to whom? Name a group (@billing) or a channel (#experts). Usage: {USAGE}")


async def escalate(desk: Desk, request: Request) -> Outcome:
    word, _, reason = request.args.strip().partition(" ")
    if not word:
        raise Refusal(f"Escalate to whom? Usage: {USAGE}")
    now = desk.clock.now()
    with desk.session() as session:
        agent = require_agent(desk, session, request.actor, "escalate conversations")
        conversation = require_conversation(session, request.number, USAGE)
        group = _target(desk, word, conversation.chat_platform)
        if not reason.strip():
            raise Refusal(f"Say why, so the experts know what to look at. Usage: {USAGE}")
        if _open(session, conversation.id) is not None:
            raise Refusal(f"#{conversation.id} is already escalated; `/deescalate {conversation.id}` first.")
        escalation = Escalation(conversation_id=conversation.id, group=group.name, reason=reason.strip(),
                                by_agent_id=agent.id, priority_before=conversation.priority, chat_platform=group.platform,
                                chat_channel=group.channel, escalated_at=now)
        lifecycle.escalate(session, desk.config.sla, conversation, escalation, group.priority, group.mention, agent, now)
    return Outcome(f"#{conversation.id} is escalated to {group.name}: a summary is on its way to {group.channel}, and "
                   "the experts can answer from its thread.")


async def deescalate(desk: Desk, request: Request) -> Outcome:
    with desk.session() as session:
        agent = require_agent(desk, session, request.actor, "de-escalate conversations")
        conversation = require_conversation(session, request.number, DEESCALATE_USAGE)
        escalation = _open(session, conversation.id)
        if escalation is None:
            return Outcome(f"#{conversation.id} is not escalated.")
        lifecycle.deescalate(session, desk.config.sla, conversation, escalation, agent, desk.clock.now())
    return Outcome(f"#{conversation.id} is back from {escalation.group}.")


def _open(session, conversation_id: int) -> Escalation | None:
    return session.exec(select(Escalation).where(Escalation.conversation_id == conversation_id,
                                                 Escalation.ended_at.is_(None))).first()
