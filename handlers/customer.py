"""/customer N (or /customer @handle network): the customer record — their handles on each network, their
conversations, notes about them and tags. `/customer N note text` adds a note about the customer (never published;
it follows them to every later conversation)."""
from __future__ import annotations

from sqlmodel import Session, select

from bot.desk import Desk, customers
from bot.sources import TYPES
from bot.vocabulary import network_name, status_name
from bot.wording import count, plain
from handlers.context import Outcome, Refusal, Request, actor_agent, audit, require_agent, require_conversation
from storage.models import Agent, Customer, Note, Reply, ReplyStatus

USAGE = "/customer 42 (or /customer @handle x, or /customer 42 note Prefers DMs)"
SHOWN = 10  # conversations listed; the rest are counted


async def run(desk: Desk, request: Request) -> Outcome:
    words = request.args.strip().split(maxsplit=2)
    with desk.session() as session:
        require_agent(desk, session, request.actor, "see customer records")
        if words and words[0].startswith("@"):
            customer = _by_handle(session, words)
        else:
            number = request.number
            if words and words[0].lstrip("#").isdigit():
                number, words = int(words.pop(0).lstrip("#")), words
            customer = session.get(Customer, require_conversation(session, number, USAGE).customer_id)
            if words and words[0].lower() == "note":
                return _note(desk, session, request, customer, " ".join(words[1:]).strip())
            if words:
                raise Refusal(f"/customer doesn't know `{plain(words[0])[:30]}`. Usage: {USAGE}")
        return Outcome(_record(desk, session, customer))


def _by_handle(session: Session, words: list[str]) -> Customer:
    handle = words[0].lstrip("@")
    query = select(Customer).where(Customer.handle == handle)
    if len(words) > 1:
        network = words[1].lower()
        if network not in TYPES:
            raise Refusal(f"Unknown network `{plain(network)[:20]}`: use one of {', '.join(sorted(TYPES))}.")
        query = query.where(Customer.network == network)
    found = session.exec(query).all()
    if not found:
        raise Refusal(f"No customer @{plain(handle)[:60]} has written to us" + (f" on {network_name(words[1])}." if len(words) > 1
                                                                            else ". Add the network: `/customer @handle x`."))
    if len(found) > 1:
        raise Refusal(f"@{plain(handle)} wrote on {', '.join(network_name(c.network) for c in found)}: "
                      "say which, like `/customer @handle x`.")
    return found[0]


def _note(desk: Desk, session: Session, request: Request, customer: Customer, text: str) -> Outcome:
    if not text:
        raise Refusal("The note is empty. Usage: /customer 42 note Prefers DMs, VIP since 2021")
    agent = actor_agent(session, desk, request.actor)
    session.add(Note(customer_id=customer.id, author=agent.name, text=text, created_at=desk.clock.now()))
    audit(session, desk, agent.name, "customer.note", None, customer_id=customer.id)
    return Outcome(f"Noted about @{plain(customer.handle)} (never published); whoever picks up their next "
                   "conversation sees it.")


def _record(desk: Desk, session: Session, customer: Customer) -> str:
    now = desk.clock.now()
    lines = []
    for handle in customers.handles(session, customer):
        followers = f", {handle.followers:,} followers" if handle.followers is not None else ""
        name = f" ({plain(handle.display_name)})" if handle.display_name and handle.display_name != handle.handle else ""
        muted = " · muted as spam until " + f"{handle.muted_until:%Y-%m-%d %H:%M} UTC" \
            if customers.is_muted(handle, now) else ""
        lines.append(f"@{plain(handle.handle)} on {network_name(handle.network)}{name}{followers}{muted}")
    head = "Customer: " + lines[0] + ("" if len(lines) == 1 else "\nAlso: " + "; ".join(lines[1:]))
    had = customers.conversations(session, customer)
    body = [head, f"{count(len(had), 'conversation')}, newest first:"]
    agents = {a.id: a for a in session.exec(select(Agent))}
    for conversation in reversed(had[-SHOWN:]):
        answered = session.exec(select(Reply.agent_id).where(Reply.conversation_id == conversation.id,
                                                              Reply.status == ReplyStatus.PUBLISHED)).all()
        by = ", ".join(dict.fromkeys(agents[a].initials for a in answered)) or "nobody yet"
        body.append(f"• #{conversation.id} {conversation.opened_at:%Y-%m-%d} · {network_name(conversation.network)} · "
                    f"{conversation.intent.replace('_', ' ')} · {status_name(conversation.status).lower()} · "
                    f"answered by {by}")
    if len(had) > SHOWN:
        body.append(f"…and {len(had) - SHOWN} older.")
    notes = customers.notes(session, customer)
    body.append("Notes: " + (" · ".join(f"{n.author}: {n.text}" for n in notes[-5:]) if notes else
                             "none yet (`/customer 42 note …`)."))
    found_tags = customers.tags(session, customer)
    if found_tags:
        body.append("Tags: " + ", ".join(found_tags))
    return "\n".join(body)
