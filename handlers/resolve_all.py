"""/resolve-all I7: resolve every open conversation of an incident, and the incident with them."""
from __future__ import annotations

import asyncio

from bot.desk import Desk, lifecycle
from bot.desk import incidents as desk_incidents
from handlers.context import Outcome, Request, require_agent
from handlers.incident import require_incident
from storage.models import IncidentStatus

USAGE = "/resolve-all I7"


async def run(desk: Desk, request: Request) -> Outcome:
    # Hundreds of conversations: database work, off the event loop so chat stays answered.
    return await asyncio.to_thread(_resolve_all, desk, request)


def _resolve_all(desk: Desk, request: Request) -> Outcome:
    with desk.session() as session:
        agent = require_agent(desk, session, request.actor, "resolve conversations")
        incident, _ = require_incident(session, request.args, USAGE)
        name = desk_incidents.label(incident.id)
        if incident.status == IncidentStatus.RESOLVED and not desk_incidents.members(session, incident.id):
            return Outcome(f"Incident {name} is already resolved.")
        now = desk.clock.now()
        resolved = desk_incidents.members(session, incident.id)
        for conversation in resolved:
            lifecycle.resolve(session, conversation, agent, now)
        desk_incidents.resolve(session, incident, agent.name, now, desk.config.incidents.update_every)
    return Outcome(f"Incident {name} resolved with its {len(resolved)} open conversations. A customer who writes "
                   "again opens a new conversation.")
