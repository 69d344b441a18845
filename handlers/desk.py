"""/desk status: how each social source is doing, so a silent queue is never a mystery."""
from __future__ import annotations

from bot.app import lease
from bot.ingest.health import describe, source_health
from handlers.context import Desk, Outcome, Refusal, Request, require_agent

USAGE = "/desk status"


async def run(desk: Desk, request: Request) -> Outcome:
    if request.args.strip().lower() not in ("", "status"):
        raise Refusal(f"Unknown /desk subcommand {request.args.strip()!r}. Usage: {USAGE}")
    now = desk.clock.now()
    with desk.session() as session:
        require_agent(desk, session, request.actor, "see the desk status")
        found = source_health(session, desk.config)
    jobs = lease.describe(lease.current_holder(desk.engine))
    if not found:
        return Outcome(f"No sources are configured: add [[sources]] to socialdesk.toml.\n{jobs}")
    return Outcome("Sources:\n" + "\n".join(f"• {describe(health, now)}" for health in found) + f"\n{jobs}")
