"""/incident I7: what a surge's incident holds; `/incident I7 remove 42` takes a conversation out of it;
`/incident I7 merge I8 I9` moves other incidents of the channel into it.

A conversation taken out gets its own chat thread (its parent message is posted then) and no
longer counts in the incident's message. Merging is for what the grouping kept apart (the same
outage in other words or another language): one message and one `/reply-all` for them all.
`require_incident` reads the `I7` the incident commands start with.
"""
from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable

from sqlmodel import Session

from bot.desk import Desk
from bot.desk import incidents as desk_incidents
from bot.desk.snapshots import incident_view
from bot.vocabulary import network_name
from handlers.context import Outcome, Refusal, Request, require_agent
from storage.models import Agent, Conversation, Incident, IncidentStatus

USAGE = "/incident I7, /incident I7 remove 42, or /incident I7 merge I8 I9"
_INCIDENT = re.compile(r"^[Ii]#?(\d{1,12})\b\s*(.*)$", re.S)
_REMOVE = re.compile(r"^(?:remove|out)\s+#?(\d{1,12})\s*$", re.I)
_MERGE = re.compile(r"^merge\s+((?:[Ii]#?\d{1,12}[\s,]*)+)$", re.I)
_NUMBER = re.compile(r"\d{1,12}")


def in_worker(work: Callable[[Desk, Request], Outcome]) -> Callable[[Desk, Request], Awaitable[Outcome]]:
    """A command over an incident's many conversations: its database work runs in a worker thread, so chat stays
    answered meanwhile."""
    async def run(desk: Desk, request: Request) -> Outcome:
        return await asyncio.to_thread(work, desk, request)
    return run


def acting_on_incident(desk: Desk, session: Session, request: Request, doing: str,
                       usage: str) -> tuple[Agent, Incident, str]:
    """The agent asking (who may `doing`), the incident named first in the request's text, and the rest of it."""
    agent = require_agent(desk, session, request.actor, doing)
    return agent, *require_incident(session, request.args, usage)


def require_incident(session: Session, args: str, usage: str) -> tuple[Incident, str]:
    """The incident named first in `args` (I7), and the rest of `args`."""
    match = _INCIDENT.match(args.strip())
    if not match:
        raise Refusal(f"Which incident? Its number (like I7) is on the incident's message. Usage: {usage}")
    incident = session.get(Incident, int(match.group(1)))
    if incident is None:
        raise Refusal(f"There is no incident I{match.group(1)}. Its number is on the incident's message.")
    if incident.merged_into_id is not None:
        raise Refusal(f"I{incident.id} was merged into I{incident.merged_into_id}: use I{incident.merged_into_id}.")
    return incident, match.group(2).strip()


async def run(desk: Desk, request: Request) -> Outcome:
    with desk.session() as session:
        agent, incident, rest = acting_on_incident(desk, session, request, "change incidents", USAGE)
        name = desk_incidents.label(incident.id)
        if not rest:
            view = incident_view(session, incident)
            networks = ", ".join(f"{network_name(n)} {count}" for n, count in view.networks)
            state = "resolved" if incident.status == IncidentStatus.RESOLVED else f"{view.open_conversations} open"
            numbers = [c.id for c in desk_incidents.members(session, incident.id)][:30]
            listed = ", ".join(f"#{n}" for n in numbers) + (" …" if view.open_conversations > len(numbers) else "")
            return Outcome(f"Incident {name}: {view.conversations} customers ({state}, {view.answered} answered; "
                           f"{networks}). Open: {listed or 'none'}. Answer all with `/reply-all {name} …`, close all "
                           f"with `/resolve-all {name}`, take one out with `/incident {name} remove 42`.")
        if merging := _MERGE.match(rest):
            return _merge(desk, session, agent, incident, [int(n) for n in _NUMBER.findall(merging.group(1))])
        match = _REMOVE.match(rest)
        if not match:
            raise Refusal(f"I did not understand {rest!r}. Usage: {USAGE}")
        conversation = session.get(Conversation, int(match.group(1)))
        if conversation is None or conversation.incident_id != incident.id:
            raise Refusal(f"#{match.group(1)} is not part of incident {name}; `/incident {name}` lists its conversations.")
        had_thread = conversation.chat_thread_id is not None
        desk_incidents.leave(session, conversation, agent.name, desk.clock.now(), desk.config.incidents.update_every)
    where = "keeps its thread" if had_thread else "gets its own thread in a moment"
    return Outcome(f"#{conversation.id} is out of incident {name} and {where}; the incident's count follows.")


def _merge(desk: Desk, session: Session, agent: Agent, into: Incident, numbers: list[int]) -> Outcome:
    name = desk_incidents.label(into.id)
    if into.status != IncidentStatus.OPEN:
        raise Refusal(f"{name} is resolved; merge into an open incident.")
    others = []
    for number in dict.fromkeys(numbers):
        other = session.get(Incident, number)
        if number == into.id:
            raise Refusal(f"{name} cannot be merged into itself. Usage: {USAGE}")
        if other is None:
            raise Refusal(f"There is no incident I{number}; nothing was merged.")
        if other.status != IncidentStatus.OPEN:
            state = f"merged into I{other.merged_into_id}" if other.merged_into_id else "resolved"
            raise Refusal(f"I{number} is {state} already; nothing was merged.")
        if (other.chat_platform, other.chat_channel) != (into.chat_platform, into.chat_channel):
            raise Refusal(f"I{number} is in another channel than {name}; only incidents of one channel can be merged.")
        others.append(other)
    moved = desk_incidents.merge(session, into, others, agent.name, desk.clock.now(), desk.config.incidents.update_every)
    merged = ", ".join(desk_incidents.label(other.id) for other in others)
    return Outcome(f"Merged {merged} into {name}: {moved} more customers there. Its message shows them all; answer "
                   f"them all with `/reply-all {name} …`.")
