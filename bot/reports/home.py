"""Each agent's home: their open conversations, the unowned ones by SLA urgency, the replies waiting for their approval
(leads) and today's figures. Slack shows it in the App Home tab and keeps it up to date: the outbox kind
`chat.home` (queued by bot/desk/messages.py after any change) is performed here, redrawing the tab of every agent
who has opened it once."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.clock import Clock
from bot.delivery.chat import Chats
from bot.delivery.engine import Effect, Kept
from bot.desk.messages import HOME
from bot.reports import figures
from bot.settings import DeskConfig
from bot.views import ChatRef, HomeRow, HomeView
from bot.wording import span
from storage.db import session_scope
from storage.models import Agent, Conversation, Customer, OutboxEntry, Reply, ReplyStatus
from storage.queries import PRESSING_FIRST, count_open, open_conversations

SHOWN = 12  # rows per list: two blocks each keeps the tab well inside Slack's 100 blocks
APPROVALS_SHOWN = 8


def home_view(session: Session, config: DeskConfig, agent: Agent, now: datetime) -> HomeView:
    mine_where = Conversation.assignee_id == agent.id
    unowned_where = Conversation.assignee_id.is_(None)
    mine = session.exec(open_conversations(mine_where).order_by(*PRESSING_FIRST).limit(SHOWN)).all()
    unowned = session.exec(open_conversations(unowned_where).order_by(*PRESSING_FIRST).limit(SHOWN)).all()
    waiting = []
    if agent.role == "lead":
        query = (select(Reply, Conversation, Customer, Agent)
                 .join(Conversation, Conversation.id == Reply.conversation_id)
                 .join(Customer, Customer.id == Conversation.customer_id).join(Agent, Agent.id == Reply.agent_id)
                 .where(Reply.status == ReplyStatus.AWAITING_APPROVAL, Reply.agent_id != agent.id)
                 .order_by(Reply.created_at).limit(APPROVALS_SHOWN))
        waiting = [_row(c, customer, None, f"{author.name}'s reply, waiting {span(now - reply.created_at)}")
                   for reply, c, customer, author in session.exec(query)]
    ctx = figures.context(session, config, figures.day(config.sla.timezone, now, days_ago=0), now,
                          groupings=(figures.OVERALL,))
    return HomeView(
        agent_name=agent.name,
        mine=tuple(_row(c, customer, owner) for c, customer, owner in mine),
        unowned=tuple(_row(c, customer, owner) for c, customer, owner in unowned),
        approvals=tuple(waiting),
        today=" ".join(figures.attainment_today(ctx)),
        more_mine=max(0, count_open(session, mine_where) - len(mine)),
        more_unowned=max(0, count_open(session, unowned_where) - len(unowned)),
        is_lead=agent.role == "lead",
    )


def _row(conversation: Conversation, customer: Customer, owner: Agent | None, waiting: str = "") -> HomeRow:
    thread = ChatRef(conversation.chat_channel, conversation.chat_thread_id) if conversation.chat_thread_id else None
    return HomeRow(number=conversation.id, network=conversation.network, author_handle=customer.handle,
                   priority=conversation.priority, status=conversation.status, due_at=conversation.response_due_at,
                   owner_name=owner.name if owner else None, thread=thread, waiting=waiting)


def effects(engine: Engine, chats: Chats, config: DeskConfig, clock: Clock) -> dict[str, Effect]:
    """`chat.home`: redraw the home of every agent who has opened it, on the platforms that have one (Slack)."""

    async def redraw(entry: OutboxEntry) -> dict:
        chat = chats.get("slack")
        if chat is None or not hasattr(chat, "publish_home"):
            return {"skipped": "no chat with a home tab is running"}
        now = clock.now()
        with Session(engine) as session:
            agents = session.exec(select(Agent).where(Agent.slack_user_id.is_not(None), Agent.home_opened_at.is_not(None)))
            views = [(agent.slack_user_id, home_view(session, config, agent, now)) for agent in agents]
        for user_id, view in views:
            await chat.publish_home(user_id, view)
        return {"published": len(views)}

    return {HOME: Effect(redraw, kept=Kept.NOTHING)}  # each redraw under a key of its own


def opened_home(engine: Engine, config: DeskConfig, user_id: str, now: datetime) -> HomeView | None:
    """An agent opened their App Home tab: from now on it is kept up to date. Their view, or None for a non-agent."""
    with session_scope(engine) as session:
        agent = session.exec(select(Agent).where(Agent.slack_user_id == user_id)).first()
        if agent is None:
            return None
        agent.home_opened_at = agent.home_opened_at or now
        return home_view(session, config, agent, now)
