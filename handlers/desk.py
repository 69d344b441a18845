"""/desk status: how each social source is doing, and who runs the scheduled jobs, so a silent queue is never a mystery.
/desk me: your own desk, as Slack's App Home tab shows it (the equivalent on Discord and the console): your open
conversations, the unowned ones by SLA urgency, the replies waiting for your approval, today's figures."""
from __future__ import annotations

from datetime import UTC, datetime

from bot.delivery.admin import describe_paused, paused
from bot.desk import Desk
from bot.ingest.health import describe, source_health
from bot.reports.home import home_view
from bot.views import HomeRow, HomeView
from bot.wording import plain, time_left
from handlers.context import Outcome, Refusal, Request, require_agent
from storage.models import JOBS_LEASE, Lease

USAGE = "/desk [status|me]"


async def run(desk: Desk, request: Request) -> Outcome:
    wanted = request.args.strip().lower()
    if wanted not in ("", "status", "me"):
        raise Refusal(f"Unknown /desk subcommand {plain(wanted)[:40]!r}. Usage: {USAGE}")
    now = desk.clock.now()
    with desk.session() as session:
        agent = require_agent(desk, session, request.actor, "see the desk status")
        if wanted == "me":
            home = home_view(session, desk.config, agent, now)
            return Outcome(describe_home(home, now), home=home)
        found = source_health(session, desk.config)
        jobs = describe_jobs(session.get(Lease, JOBS_LEASE))
    delivery = "\n".join(describe_paused(p, now) for p in paused(desk.engine, now)) or "Delivery: flowing."
    if not found:
        return Outcome(f"No sources are configured: add [[sources]] to socialdesk.toml.\n{jobs}\n{delivery}")
    return Outcome("Sources:\n" + "\n".join(f"• {describe(health, now)}" for health in found) + f"\n{jobs}\n{delivery}")


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


def describe_home(view: HomeView, now: datetime) -> str:
    """An agent's home as text: what Slack's App Home tab shows."""
    def rows(title: str, found: tuple[HomeRow, ...], more: int, empty: str) -> list[str]:
        lines = [f"{title}:"] + [f"• #{r.number} {r.priority} · {time_left(r.due_at, now)} · {r.network} "
                                 f"@{plain(r.author_handle)}" + (f" · {r.waiting}" if r.waiting else "") for r in found]
        return lines + ([f"…and {more} more: `/queue`"] if more else []) if found else [f"{title}: {empty}"]

    lines = [f"{view.agent_name}'s desk. {view.today}"]
    lines += rows("Yours", view.mine, view.more_mine, "nothing open.")
    lines += rows("Unowned, the most urgent first", view.unowned, view.more_unowned, "none.")
    if view.is_lead:
        lines += rows("Waiting for your approval", view.approvals, 0, "none.")
    return "\n".join(lines)
