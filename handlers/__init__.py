"""What a teammate can do. Every command is a plain async function `run(desk, request) -> Outcome`."""
import logging

from handlers import assign, claim, desk, note, queue, reply, resolve, sla, snooze, stats, suggest
from handlers.context import Desk, Held, Outcome, Refusal, Request

log = logging.getLogger(__name__)

COMMANDS = {
    "claim": claim.run,
    "assign": assign.run,
    "reply": reply.run,
    "resolve": resolve.run,
    "note": note.run,
    "queue": queue.run,
    "desk": desk.run,
    "suggest": suggest.run,
    "snooze": snooze.run,
    "sla": sla.run,
    "stats": stats.run,
}
USAGE = {
    "claim": claim.USAGE,
    "assign": assign.USAGE,
    "reply": reply.USAGE,
    "resolve": resolve.USAGE,
    "queue": queue.USAGE,
    "desk": desk.USAGE,
    "suggest": suggest.USAGE,
    "snooze": snooze.USAGE,
    "sla": sla.USAGE,
    "stats": stats.USAGE,
}
NEEDS_NUMBER = {"claim", "assign", "reply", "resolve", "suggest", "snooze"}


async def dispatch(desk: Desk, request: Request) -> Outcome:
    """Run the command; a refusal comes back as an outcome that changed nothing."""
    handler = COMMANDS.get(request.command)
    if handler is None:
        return Outcome(f"Unknown command {request.command!r}. Try: {', '.join(USAGE)}.", ok=False)
    try:
        return await handler(desk, request)
    except Held as held:
        return Outcome(str(held), ok=False, override=held.override)
    except Refusal as refusal:
        return Outcome(str(refusal), ok=False)
    except Exception as error:  # the teammate is told, whatever broke: nothing they type is dropped silently
        log.exception("%s by %s:%s failed", request.command, request.actor.platform, request.actor.user_id)
        return Outcome(f"socialdesk failed to run {request.command}: {error.__class__.__name__}. Nothing was changed. "
                       "Try again; if it keeps happening, tell whoever runs socialdesk (the details are in its log).",
                       ok=False)
