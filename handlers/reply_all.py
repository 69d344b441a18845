"""/reply-all I7 text: answer every open conversation of an incident, each customer on their own network.

Each reply is personal (`{name}` becomes the customer's name), signed with the agent's initials,
checked by the same guards as `/reply` and recorded as a reply on its conversation. All of them are
queued in one transaction, and the outbox publishes each once (after a crash it asks the network
first), at each network's pace. A conversation already given the same text is not answered again,
so sending the command twice answers nobody twice. A reply the guards hold is not sent: the answer
lists those conversations to answer one by one.
"""
from __future__ import annotations

from sqlmodel import select

from bot.desk import Desk
from bot.desk import incidents as desk_incidents
from handlers.context import Outcome, Refusal, Request, audit
from handlers.incident import acting_on_incident, in_worker
from handlers.reply import draft, queue_reply, sign
from storage.models import Customer, Reply, ReplyStatus

USAGE = "/reply-all I7 Sorry {name}, the app is back: please try again."
SHOWN = 10  # held conversations named in the answer


def _reply_all(desk: Desk, request: Request) -> Outcome:
    with desk.session() as session:
        agent, incident, text = acting_on_incident(desk, session, request, "reply to customers", USAGE)
        name = desk_incidents.label(incident.id)
        if not text:
            raise Refusal(f"The reply is empty. Usage: {USAGE}")
        queued, repeated, waiting, held = 0, 0, 0, []
        for conversation in desk_incidents.members(session, incident.id):
            source = desk.sources.get(conversation.source_name)
            if source is None:
                held.append(f"#{conversation.id} (source {conversation.source_name} is not running)")
                continue
            customer = session.get(Customer, conversation.customer_id)
            personal = text.replace("{name}", customer.display_name or customer.handle)
            already = select(Reply.id).where(Reply.conversation_id == conversation.id,
                                             Reply.text == sign(personal, agent.initials),
                                             Reply.status.in_([ReplyStatus.PUBLISHING, ReplyStatus.PUBLISHED]))
            if session.exec(already).first() is not None:
                repeated += 1
                continue
            drafted = draft(session, source, conversation, personal, agent.initials, private=False)
            if drafted.issues:
                held.append(f"#{conversation.id} ({drafted.issues[0].message})")
                continue
            if queue_reply(session, desk, agent, conversation, drafted, incident=incident.id):
                waiting += 1  # [approvals] holds it for a lead
            else:
                queued += 1
        audit(session, desk, agent.name, "incident.reply_all", None, incident=incident.id, text=text, queued=queued,
              held=len(held), repeated=repeated, waiting=waiting)
        desk_incidents.refresh(session, incident, desk.clock.now(), desk.config.incidents.update_every)
    parts = [f"Replying to {queued} customers of incident {name}, each on their network at its pace; the incident's "
             "message counts the answered."]
    if waiting:
        parts.append(f"{waiting} wait for a lead's approval ([approvals]); you will hear in each thread.")
    if repeated:
        parts.append(f"{repeated} already had this reply and were not answered again.")
    if held:
        more = f" and {len(held) - SHOWN} more" if len(held) > SHOWN else ""
        parts.append(f"Held, not sent, for {len(held)}: {'; '.join(held[:SHOWN])}{more}. Answer those with `/reply N …`.")
    return Outcome(" ".join(parts))


run = in_worker(_reply_all)
