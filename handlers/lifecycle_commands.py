"""/reopen N, /unclaim N and /spam N: a resolved conversation back in the queue, an owned one up for grabs, spam
closed with its author muted for a while ([spam] mute_for)."""
from __future__ import annotations

from bot.desk import Desk, lifecycle
from bot.wording import span
from handlers.context import Outcome, Refusal, Request, owner_name, require_agent, require_conversation
from storage.models import ConversationStatus, Customer

REOPEN_USAGE = "/reopen 42"
UNCLAIM_USAGE = "/unclaim 42"
SPAM_USAGE = "/spam 42"


async def reopen(desk: Desk, request: Request) -> Outcome:
    with desk.session() as session:
        agent = require_agent(desk, session, request.actor, "reopen conversations")
        conversation = require_conversation(session, request.number, REOPEN_USAGE)
        if conversation.status != ConversationStatus.RESOLVED:
            return Outcome(f"#{conversation.id} is open already.")
        customer = session.get(Customer, conversation.customer_id)
        unmuted = conversation.intent == "spam" and customer.muted_until is not None
        if unmuted:
            customer.muted_until = None  # it was not spam after all
        lifecycle.reopen(session, conversation, agent, desk.clock.now())
    return Outcome(f"#{conversation.id} is open again" + ("; its author is no longer muted." if unmuted else "."))


async def unclaim(desk: Desk, request: Request) -> Outcome:
    with desk.session() as session:
        agent = require_agent(desk, session, request.actor, "unclaim conversations")
        conversation = require_conversation(session, request.number, UNCLAIM_USAGE)
        owner = owner_name(session, conversation)
        if owner is None:
            return Outcome(f"Nobody owns #{conversation.id}.")
        if conversation.assignee_id != agent.id and agent.role != "lead":
            raise Refusal(f"#{conversation.id} is {owner}'s; only they or a lead can unclaim it.")
        lifecycle.unclaim(session, conversation, agent, owner, desk.clock.now())
    return Outcome(f"#{conversation.id} is unowned now: it shows in `/queue unowned`.")


async def spam(desk: Desk, request: Request) -> Outcome:
    now = desk.clock.now()
    mute_for = desk.config.spam.mute_for
    with desk.session() as session:
        agent = require_agent(desk, session, request.actor, "mark spam")
        conversation = require_conversation(session, request.number, SPAM_USAGE)
        customer = session.get(Customer, conversation.customer_id)
        lifecycle.spam(session, conversation, customer, agent, now + mute_for, now)
    return Outcome(f"#{conversation.id} is closed as spam; new posts by its author are stored but open nothing for "
                   f"{span(mute_for)}. Changed your mind? `/reopen {conversation.id}` unmutes them.")
