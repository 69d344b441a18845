"""/link N M: the customers of conversations #N and #M are one person (on different networks, say), so their history
and notes follow them; /unlink N takes #N's customer out of that person again."""
from __future__ import annotations

from bot.desk import Desk, customers
from bot.vocabulary import network_name
from bot.wording import plain
from handlers.context import Outcome, Refusal, Request, audit, require_agent, require_conversation
from storage.models import Customer

USAGE = "/link 42 57"
UNLINK_USAGE = "/unlink 42"


def _described(handles: list[Customer]) -> str:
    return ", ".join(f"@{plain(c.handle)} on {network_name(c.network)}" for c in handles)


async def link(desk: Desk, request: Request) -> Outcome:
    other = request.args.strip().lstrip("#")
    if not other.isdigit():
        raise Refusal(f"Link with which conversation? Usage: {USAGE}")
    with desk.session() as session:
        agent = require_agent(desk, session, request.actor, "link customers")
        one = session.get(Customer, require_conversation(session, request.number, USAGE).customer_id)
        two = session.get(Customer, require_conversation(session, int(other), USAGE).customer_id)
        if customers.person_key(one) == customers.person_key(two):
            return Outcome(f"Already one person: {_described(customers.handles(session, one))}.")
        handles = customers.link(session, one, two)
        audit(session, desk, agent.name, "customer.link", None, customers=[c.id for c in handles])
        return Outcome(f"Linked: {_described(handles)} are one person; their conversations and notes show together "
                       f"(`/customer {request.number}`). Undo with `/unlink {int(other)}`.")


async def unlink(desk: Desk, request: Request) -> Outcome:
    with desk.session() as session:
        agent = require_agent(desk, session, request.actor, "unlink customers")
        customer = session.get(Customer, require_conversation(session, request.number, UNLINK_USAGE).customer_id)
        left = customers.unlink(session, customer)
        if not left:
            return Outcome(f"@{plain(customer.handle)} is not linked to anyone.")
        audit(session, desk, agent.name, "customer.unlink", None, customer_id=customer.id)
        return Outcome(f"Unlinked @{plain(customer.handle)} on {network_name(customer.network)} from {_described(left)}.")
