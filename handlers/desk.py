"""/desk status: how each social source is doing, and who runs the scheduled jobs, so a silent queue is never a mystery."""
from __future__ import annotations

from datetime import UTC, datetime

from bot.desk import Desk
from bot.ingest.health import describe, source_health
from handlers.context import Outcome, Refusal, Request, require_agent
from storage.models import JOBS_LEASE, Lease

USAGE = "/desk status"


async def run(desk: Desk, request: Request) -> Outcome:
    if request.args.strip().lower() not in ("", "status"):
        raise Refusal(f"Unknown /desk subcommand {request.args.strip()!r}. Usage: {USAGE}")
    now = desk.clock.now()
    with desk.session() as session:
        require_agent(desk, session, request.actor, "see the desk status")
        found = source_health(session, desk.config)
        jobs = describe_jobs(session.get(Lease, JOBS_LEASE))
    if not found:
        return Outcome(f"No sources are configured: add [[sources]] to socialdesk.toml.\n{jobs}")
    return Outcome("Sources:\n" + "\n".join(f"• {describe(health, now)}" for health in found) + f"\n{jobs}")


def describe_jobs(lease: Lease | None, now: datetime | None = None) -> str:
    """Which replica runs the scheduled jobs (lease times are real time, not the injected clock)."""
    now = now or datetime.now(UTC)
    if lease is None:
        return "Scheduled jobs: not started yet; start `socialdesk run`."
    who = ":".join(lease.holder.split(":")[:2])  # host:pid
    if lease.expires_at < now:
        return (f"Scheduled jobs: NOT RUNNING. The lease of {who} ran out at {lease.expires_at:%H:%M:%S} UTC; "
                "check that a `socialdesk run` is up.")
    return f"Scheduled jobs: run by {who} since {lease.acquired_at:%H:%M} UTC."
