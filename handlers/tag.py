"""/tag N billing outage: tag a conversation (no words: take the suggested tags); /untag N billing removes tags.
Tags show on the parent message and filter /queue, /stats and the digest (`tag:billing`)."""
from __future__ import annotations

from bot.desk import Desk, messages, tags
from handlers.context import Outcome, Refusal, Request, audit, require_agent, require_conversation
from storage.queries import first_post

USAGE = "/tag 42 billing outage"
UNTAG_USAGE = "/untag 42 billing"


def _words(args: str) -> list[str]:
    try:
        return tags.normalize(args)
    except tags.BadTag as error:
        raise Refusal(f"{error} Nothing was changed.") from None


async def tag(desk: Desk, request: Request) -> Outcome:
    wanted = _words(request.args)
    now = desk.clock.now()
    with desk.session() as session:
        agent = require_agent(desk, session, request.actor, "tag conversations")
        conversation = require_conversation(session, request.number, USAGE)
        if not wanted:
            wanted = tags.suggested(desk.config.tags, conversation, first_post(session, conversation.id).text)
            if not wanted:
                raise Refusal(f"Tag with what? Nothing is suggested for #{conversation.id}. Usage: {USAGE}")
        new = tags.add(session, conversation.id, wanted)
        if new:
            audit(session, desk, agent.name, "tag", conversation, tags=new)
            messages.refresh_parent(session, conversation, now)
        have = tags.of(session, conversation.id)
    return Outcome(f"#{conversation.id} is tagged {', '.join(have)}." if new else
                   f"#{conversation.id} already has {', '.join(wanted)}.")


async def untag(desk: Desk, request: Request) -> Outcome:
    wanted = _words(request.args)
    if not wanted:
        raise Refusal(f"Remove which tags? Usage: {UNTAG_USAGE}")
    with desk.session() as session:
        agent = require_agent(desk, session, request.actor, "untag conversations")
        conversation = require_conversation(session, request.number, UNTAG_USAGE)
        removed = tags.remove(session, conversation.id, wanted)
        if removed:
            audit(session, desk, agent.name, "untag", conversation, tags=removed)
            messages.refresh_parent(session, conversation, desk.clock.now())
        left = tags.of(session, conversation.id)
    if not removed:
        return Outcome(f"#{conversation.id} has none of {', '.join(wanted)}" + (f" (it has {', '.join(left)})." if left else "."))
    return Outcome(f"Removed {', '.join(removed)} from #{conversation.id}" + (f"; it keeps {', '.join(left)}." if left else "."))
