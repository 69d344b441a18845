"""A conversation's chat messages: its parent (the thread), the customer's later posts, notices and updates.

The kinds are queued here and their effects registered with the delivery engine
(`ConversationMessages.effects`). Every message is rendered from the database when it is delivered, so it
shows the conversation as it is then. `CHANNEL` is a message of the bot's own at the top of a channel (the
digest, source alerts). `APPROVAL` is a reply waiting for a lead, with its buttons, and `DECIDED` redraws that
message once a lead decided (the buttons go, who decided shows); `EXPERT` opens an escalated conversation's
thread in an expert group's channel; `HOME` asks for the Slack App Home tabs to be redrawn
(bot/reports/home.py performs it), after any change.
"""
from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.clock import Clock
from bot.delivery import queue
from bot.delivery.chat import Chats, Folded, incident_thread_of, parent_key, post_in_its_thread, post_once, thread_of
from bot.delivery.engine import Effect, Kept
from bot.desk.incidents import has_own_thread
from bot.desk.snapshots import approval_request_view, conversation_view, customer_post_view, escalation_summary_view
from bot.settings import DeskConfig
from bot.views import Notice, ThreadMessage
from bot.wording import clock_time, plain
from storage import bulk
from storage.models import Agent, Conversation, Escalation, OutboxEntry, OutboxStatus, Post, Reply, SuggestionSet

OPEN = "chat.open"
POST = "chat.post"
UPDATE = "chat.update"
NOTICE = "chat.notice"
CHANNEL = "chat.channel"
APPROVAL = "chat.approval"
DECIDED = "chat.approval.decided"
EXPERT = "chat.expert"
HOME = "chat.home"
SUGGESTIONS = "chat.suggestions"  # suggested replies in the thread, queued by bot/suggest/requests.py
HOME_DELAY = timedelta(seconds=2)


def open_conversation(session: Session, conversation: Conversation, post_id: int, now) -> None:
    queue.add(session, key=parent_key(conversation.id), kind=OPEN, target=queue.chat_target(conversation),
              conversation_id=conversation.id, payload={"post_id": post_id}, now=now)


def customer_post(session: Session, conversation: Conversation, post_id: int, now) -> None:
    if not has_own_thread(conversation):
        return  # its incident's message stands for it
    queue.add(session, key=f"post:{post_id}:chat", kind=POST, target=queue.chat_target(conversation),
              conversation_id=conversation.id, payload={"post_id": post_id}, now=now)


def refresh_parent(session: Session, conversation: Conversation, now) -> None:
    """Queue an update of the parent message, unless one is already waiting (it renders fresh state) or the
    conversation has no parent message of its own (folded into an incident); the App Home tabs, which list it, are
    redrawn too."""
    if has_own_thread(conversation) and not _waiting(session, UPDATE, conversation.id):
        queue.add(session, key=f"conv:{conversation.id}:update:{uuid.uuid4().hex}", kind=UPDATE,
                  target=queue.chat_target(conversation), conversation_id=conversation.id, payload={}, now=now)
    refresh_homes(session, now)


def refresh_homes(session: Session, now) -> None:
    """Queue one redraw of every App Home tab, unless one is already waiting or nobody has opened theirs; it waits
    `HOME_DELAY`, so a burst of changes is one redraw and the conversations' own messages go first."""
    if not queue.once_per_batch(session, "homes opened", lambda: session.exec(
            select(Agent.id).where(Agent.home_opened_at.is_not(None)).limit(1)).first() is not None):
        return
    if not _waiting(session, HOME, None):
        queue.add(session, key=f"home:{uuid.uuid4().hex}", kind=HOME, target="chat:slack:home", conversation_id=None,
                  payload={}, now=now + HOME_DELAY)


def updates_waiting(session: Session, conversation_ids: list[int]) -> None:
    """Inside `queue.batched`: which of these conversations have an update of their parent message waiting, in one
    query, so that `refresh_parent` asks nothing more for them (a page of posts)."""
    if not conversation_ids:
        return
    waiting = set(session.exec(select(OutboxEntry.conversation_id).where(
        OutboxEntry.kind == UPDATE, bulk.among(session, OutboxEntry.conversation_id, set(conversation_ids)),
        OutboxEntry.status == OutboxStatus.PENDING)))
    queue.answered(session, {_question(UPDATE, id_): id_ in waiting for id_ in conversation_ids})


def _waiting(session: Session, kind: str, conversation_id: int | None) -> bool:
    if queue.in_batch(session, kind, conversation_id):
        return True
    query = select(OutboxEntry.id).where(OutboxEntry.kind == kind, OutboxEntry.conversation_id == conversation_id,
                                         OutboxEntry.status == OutboxStatus.PENDING)
    return queue.once_per_batch(session, _question(kind, conversation_id),
                                lambda: session.exec(query).first() is not None)


def _question(kind: str, conversation_id: int | None) -> tuple:
    return "waiting", kind, conversation_id


def approval_request(session: Session, conversation: Conversation, reply: Reply, now) -> None:
    """The reply waiting for a lead, in its conversation's thread with Approve / Edit / Reject."""
    queue.add(session, key=f"reply:{reply.id}:approval", kind=APPROVAL, target=queue.chat_target(conversation),
              conversation_id=conversation.id, payload={"reply_id": reply.id}, now=now)


def approval_decided(session: Session, conversation: Conversation, reply: Reply, now) -> None:
    """Redraw the approval request once a lead decided, so nobody presses a button that no longer means anything."""
    queue.add(session, key=f"reply:{reply.id}:approval:decided", kind=DECIDED, target=queue.chat_target(conversation),
                  conversation_id=conversation.id, payload={"reply_id": reply.id}, now=now)


def expert_thread(session: Session, escalation: Escalation, mention: str | None, now) -> None:
    """The summary that opens the escalated conversation's thread in the expert group's channel."""
    queue.add(session, key=f"escalation:{escalation.id}:summary", kind=EXPERT,
              target=queue.channel_target(escalation.chat_platform, escalation.chat_channel),
              conversation_id=escalation.conversation_id, payload={"escalation_id": escalation.id, "mention": mention},
              now=now)


def notice(session: Session, conversation: Conversation, key: str, text: str, now, *,
           mention_agent: int | None = None, link: str | None = None) -> None:
    """A short message of the bot's own in the conversation's thread; `mention_agent` is pinged. A conversation folded
    into an incident has no thread: the audit log keeps what happened, the incident's message shows the counts, and
    only a notice that pings someone is posted (in the incident's thread)."""
    if not has_own_thread(conversation) and mention_agent is None:
        return
    queue.add(session, key=key, kind=NOTICE, target=queue.chat_target(conversation), conversation_id=conversation.id,
              payload={"text": text, "mention_agent": mention_agent, "link": link}, now=now)


def channel_post(session: Session, *, key: str, platform: str, channel: str, text: str, now) -> None:
    queue.add(session, key=key, kind=CHANNEL, target=queue.channel_target(platform, channel), conversation_id=None,
              payload={"platform": platform, "channel": channel, "text": text}, now=now)


def delivery_paused(session: Session, config: DeskConfig, target: str, since, error: str, now) -> None:
    """One chat alert when delivery is paused (its key names the target and the start of the episode): in every
    escalation channel, else in the paused chat channel itself (delivered the moment it works again). While an alert
    waits to go out in a channel, no other is queued there."""
    channels = [(platform, escalation.channel) for platform, escalation in config.sla.escalation.items()
                if escalation.channel]
    kind, _, rest = target.partition(":")
    platform, _, channel = rest.partition(":")
    if not channels and kind == "chat":
        channels = [(platform, channel)]
    where = f"to {platform} channel {channel}" if kind == "chat" else f"to {rest}"
    text = (f"⏸️ Delivery {where} has been paused since {clock_time(since, config.sla.timezone, now)}: {plain(error)}. "
            "socialdesk keeps trying and nothing is lost; messages go out in order once it answers again. "
            "`/desk status` says whether it still is.")
    for to_platform, to_channel in channels:
        alert_target = queue.channel_target(to_platform, to_channel)
        waiting = session.exec(select(OutboxEntry.id).where(
            OutboxEntry.target == alert_target, OutboxEntry.key.startswith("paused:", autoescape=True),
            OutboxEntry.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]))).first()
        if waiting is not None:
            continue  # an alert is already on its way there: one per outage, however many targets it stops
        channel_post(session, key=f"paused:{target}:{since.isoformat()}:{to_platform}:{to_channel}",
                     platform=to_platform, channel=to_channel, text=text, now=now)


class ConversationMessages:
    """Delivers the kinds above through the running chat ports."""

    def __init__(self, engine: Engine, chats: Chats, config: DeskConfig, clock: Clock) -> None:
        self.engine = engine
        self.chats = chats
        self.config = config
        self.clock = clock

    def effects(self) -> dict[str, Effect]:
        return {
            OPEN: Effect(self._open, delivered=_thread_opened),
            POST: Effect(self._in_thread),
            NOTICE: Effect(self._in_thread, kept=Kept.KEY),
            UPDATE: Effect(self._update, kept=Kept.NOTHING),  # each under a key of its own (refresh_parent)
            CHANNEL: Effect(self._channel),
            APPROVAL: Effect(self._in_thread),
            DECIDED: Effect(self._decided),
            EXPERT: Effect(self._expert_thread, delivered=_expert_thread_opened),
        }

    async def _open(self, entry: OutboxEntry) -> dict:
        with Session(self.engine) as session:
            conversation = session.get(Conversation, entry.conversation_id)
            chat = self.chats.port(conversation.chat_platform)
            if entry.attempts > 1:
                found = await chat.find_message(conversation.chat_channel, None, entry.key)
                if found:
                    return {"channel": conversation.chat_channel, "thread_id": found, "reconciled": True}
            view = replace(conversation_view(session, conversation, chat.platform, self.config, self.clock.now()),
                           suggestion=suggestion_in_parent(session, conversation))
        ref = await chat.post_conversation(conversation.chat_channel, view, entry.key)
        return {"channel": ref.channel, "thread_id": ref.thread_id}

    async def _update(self, entry: OutboxEntry) -> dict:
        with Session(self.engine) as session:
            conversation = session.get(Conversation, entry.conversation_id)
            chat = self.chats.port(conversation.chat_platform)
            try:
                ref = thread_of(session, conversation)
            except Folded as folded:
                return {"skipped": str(folded)}
            view = replace(conversation_view(session, conversation, chat.platform, self.config, self.clock.now()),
                           suggestion=suggestion_in_parent(session, conversation))
        await chat.update_conversation(ref, view)
        return {}

    async def _in_thread(self, entry: OutboxEntry) -> dict:
        def message_for(session: Session, conversation: Conversation) -> ThreadMessage:
            if entry.kind == POST:
                return customer_post_view(session, session.get(Post, entry.payload["post_id"]))
            if entry.kind == APPROVAL:
                return approval_request_view(session, session.get(Reply, entry.payload["reply_id"]))
            payload = entry.payload
            mention = session.get(Agent, payload["mention_agent"]) if payload.get("mention_agent") else None
            return Notice(text=payload["text"], number=conversation.id, link=payload.get("link"),
                          mention_chat_id=getattr(mention, f"{conversation.chat_platform}_user_id", None))

        for_a_person = entry.kind == APPROVAL or bool(entry.payload.get("mention_agent"))
        return await post_in_its_thread(self.engine, self.chats, entry, message_for, for_a_person=for_a_person)

    async def _decided(self, entry: OutboxEntry) -> dict:
        request_key = f"reply:{entry.payload['reply_id']}:approval"
        with Session(self.engine) as session:
            conversation = session.get(Conversation, entry.conversation_id)
            request = session.exec(select(OutboxEntry).where(OutboxEntry.key == request_key)).first()
            message_id = (request.result or {}).get("message_id") if request else None
            if message_id is None:
                return {"skipped": "the request was never shown, or was shown already decided"}
            try:
                ref = thread_of(session, conversation)
            except Folded:
                ref = incident_thread_of(session, conversation)
            view = approval_request_view(session, session.get(Reply, entry.payload["reply_id"]))
        await self.chats.port(conversation.chat_platform).update_in_thread(ref, message_id, view, request_key)
        return {}

    async def _channel(self, entry: OutboxEntry) -> dict:
        payload = entry.payload
        return await post_once(self.chats.port(payload["platform"]), entry, payload["channel"], None,
                               Notice(text=payload["text"]), skipped="nothing to say")

    async def _expert_thread(self, entry: OutboxEntry) -> dict:
        with Session(self.engine) as session:
            escalation = session.get(Escalation, entry.payload["escalation_id"])
            summary = escalation_summary_view(session, escalation, entry.payload.get("mention"), self.clock.now())
        return await post_once(self.chats.port(escalation.chat_platform), entry, escalation.chat_channel, None, summary,
                               skipped="nothing to say")


def _expert_thread_opened(session: Session, entry: OutboxEntry, result: dict) -> None:
    """The summary is posted: replies in its thread act on the conversation."""
    session.get(Escalation, entry.payload["escalation_id"]).chat_thread_id = result["message_id"]


def _thread_opened(session: Session, entry: OutboxEntry, result: dict) -> None:
    """The parent message is posted: the conversation knows its thread, and its waiting thread messages can go."""
    conversation = session.get(Conversation, entry.conversation_id)
    conversation.chat_channel = result["channel"]
    conversation.chat_thread_id = result["thread_id"]


def suggestion_in_parent(session: Session, conversation: Conversation) -> str | None:
    """The first of the latest suggested replies when no message of their own shows them (the channel was backlogged:
    bot/suggest/requests.py folded them into the parent message)."""
    made = session.exec(select(SuggestionSet).where(SuggestionSet.conversation_id == conversation.id)
                        .order_by(SuggestionSet.id.desc())).first()
    if made is None or not made.suggestions:
        return None
    shown = select(OutboxEntry.id).where(OutboxEntry.kind == SUGGESTIONS, OutboxEntry.conversation_id == conversation.id,
                                         OutboxEntry.created_at >= made.created_at)
    return None if session.exec(shown).first() else made.suggestions[0]["text"]
