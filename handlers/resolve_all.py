"""/resolve-all I7: resolve every open conversation of an incident, and the incident with them."""
from __future__ import annotations

from bot.desk import Desk, lifecycle
from bot.desk import incidents as desk_incidents
from handlers.context import Outcome, Request
from handlers.incident import acting_on_incident, in_worker
from storage.models import IncidentStatus

USAGE = "/resolve-all I7"


def _resolve_all(desk: Desk, request: Request) -> Outcome:
    with desk.session() as session:
        agent, incident, _ = acting_on_incident(desk, session, request, "resolve conversations", USAGE)
        name = desk_incidents.label(incident.id)
        resolved = desk_incidents.members(session, incident.id)
        if incident.status == IncidentStatus.RESOLVED and not resolved:
            return Outcome(f"Incident {name} is already resolved.")
        now = desk.clock.now()
        for conversation in resolved:
            lifecycle.resolve(session, conversation, agent, now)
        desk_incidents.resolve(session, incident, agent.name, now, desk.config.incidents.update_every)
    return Outcome(f"Incident {name} resolved with its {len(resolved)} open conversations. A customer who writes "
                   "again opens a new conversation.")


run = in_worker(_resolve_all)
