"""/assign N @user: hand a conversation to a teammate."""
import re

from sqlmodel import select

from bot.desk import Desk, lifecycle
from handlers.context import Actor, Outcome, Refusal, Request, actor_agent, owner_name, require_agent, require_conversation
from storage.models import Agent

USAGE = "/assign 42 @teammate"
# Slack escapes mentions as <@U123> or <@U123|name>; Discord as <@123> or <@!123>; the console takes a plain name.
_MENTION = re.compile(r"^<@!?([A-Za-z0-9]+)(?:\|[^>]*)?>$")


async def run(desk: Desk, request: Request) -> Outcome:
    with desk.session() as session:
        agent = require_agent(desk, session, request.actor, "assign conversations")
        conversation = require_conversation(session, request.number, USAGE)
        target = _target(desk, session, request)
        if conversation.assignee_id and conversation.assignee_id not in (agent.id, target.id) and agent.role != "lead":
            raise Refusal(
                f"#{conversation.id} is owned by {owner_name(session, conversation)}; only they or a lead can reassign it."
            )
        if conversation.assignee_id == target.id:
            return Outcome(f"#{conversation.id} is already {target.name}'s.")
        lifecycle.assign(session, conversation, target, agent, owner_name(session, conversation), desk.clock.now())
    return Outcome(f"#{conversation.id} is now {target.name}'s; they are mentioned in its thread.")


def _target(desk: Desk, session, request: Request) -> Agent:
    who = request.args.strip().split()[0] if request.args.strip() else ""
    if not who:
        raise Refusal(f"Assign to whom? Usage: {USAGE}")
    match = _MENTION.match(who)
    if match:
        user_id = match.group(1)
        mentioned = next((a for a in request.mentioned if a.user_id == user_id), Actor(request.actor.platform, user_id))
        found = actor_agent(session, desk, mentioned)
    else:
        name = who.lstrip("@").lower()
        agents = session.exec(select(Agent)).all()
        found = next((a for a in agents if name in (a.name.lower(), a.initials.lower(), a.name.split()[0].lower())
                      and any(c.name == a.name for c in desk.config.agents)), None)
    if found is None:
        roles = desk.config.chat_role_names(request.actor.platform)
        also = f", or someone with the {request.actor.platform} role {' or '.join(roles)}" if roles else ""
        raise Refusal(f"{who} is not a socialdesk agent. Pick someone listed under [[agents]] in socialdesk.toml{also}.")
    return found
