"""Incidents as the desk knows them: a surge's conversations shown in chat by one message, edited in place.

Which conversations belong together is decided by bot/ingest/incidents.py; here is what belonging
means. A conversation that joins before it had a thread of its own is *folded*: its waiting chat
messages are marked delivered with nothing sent, and later ones are not queued (bot/desk/messages.py)
or skipped when delivered (`bot.delivery.chat.Folded`). It stays a conversation in the database, in
`/queue` and for every command. Taken out of the incident (`leave`), it gets its own thread after all.
Incidents the grouping kept apart (the same outage said in other words, or in other languages) can be
`merge`d by a teammate: one message, one `/reply-all`.

Outbox kinds, registered by `IncidentMessages.effects`:
- `chat.incident`: the incident's message at the top of the channel (delivered: the incident knows it);
- `chat.incident.update`: the same message edited, at most once per `[incidents] update_every`;
- `chat.incident.escalate`: the escalation channel hears about the surge once, with its size.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import bindparam, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.delivery import queue
from bot.delivery.chat import Chats, parent_key, post_once
from bot.delivery.engine import Effect, Kept, NotReady
from bot.desk.snapshots import incident_view
from bot.settings import SlaConfig
from bot.views import ChatRef, Notice
from bot.vocabulary import network_name
from storage import bulk
from storage.models import AuditEvent, Conversation, ConversationStatus, Incident, IncidentStatus, OutboxEntry, OutboxStatus

OPEN = "chat.incident"
UPDATE = "chat.incident.update"
ESCALATE = "chat.incident.escalate"


def label(incident_id: int) -> str:
    """How people write an incident's number: I7."""
    return f"I{incident_id}"


def has_own_thread(conversation: Conversation) -> bool:
    """False for a conversation folded into an incident before its own parent message went out."""
    return conversation.incident_id is None or conversation.chat_thread_id is not None


def announce(session: Session, sla: SlaConfig, incident: Incident, now: datetime) -> None:
    """A new incident (stored): its message is queued, and the escalation channel is told once."""
    platform, channel = incident.chat_platform, incident.chat_channel
    queue.add(session, key=f"incident:{incident.id}:open", kind=OPEN, target=queue.channel_target(platform, channel),
              conversation_id=None, payload={"incident": incident.id}, now=now)
    escalation = sla.escalation.get(platform)
    if escalation and escalation.channel:
        queue.add(session, key=f"incident:{incident.id}:escalate", kind=ESCALATE,
                  target=queue.channel_target(platform, escalation.channel), conversation_id=None,
                  payload={"incident": incident.id, "channel": escalation.channel}, now=now)


def join(session: Session, joins: list[tuple[Incident, list[Conversation]]], now: datetime) -> None:
    """Each incident's conversations are part of it now (a page's joins at once); the waiting chat messages of
    those without a thread of their own are folded (`_fold`). The entries are written with
    Core (bot/delivery/queue.py), so nothing of the ORM's need be flushed first: the joins are flushed together."""
    label_of: dict[int, str] = {}  # folded conversation -> its incident's label
    for incident, conversations in joins:
        incident.updated_at = now
        for conversation in conversations:
            conversation.incident_id = incident.id
            if conversation.chat_thread_id is None:
                label_of[conversation.id] = label(incident.id)
    _fold(session, label_of, now)
    audit = [{"at": now, "actor": "socialdesk", "action": "incident.join", "conversation_id": conversation.id,
              "detail": {"incident": incident.id}} for incident, conversations in joins for conversation in conversations]
    if audit:  # Core too: nothing reads them back, and the ORM would insert them one by one on SQLite
        session.flush()  # the audit log keeps its order
        bulk.insert_all(session.connection(), AuditEvent.__table__, audit)


def _fold(session: Session, label_of: dict[int, str], now: datetime) -> None:
    """The waiting chat messages of the folded conversations are done, with nothing sent (but approval requests: a
    lead must see those). Found by conversation alone, then written by id: asked for waiting ones too, the databases
    walked every waiting entry, and there are many in a surge."""
    if not label_of:
        return
    outbox, connection = OutboxEntry.__table__, session.connection()
    folded = [{"entry_id": entry_id, "result": {"skipped": f"folded into incident {label_of[conversation_id]}"}}
              for entry_id, conversation_id, kind, status in connection.execute(
                  select(outbox.c.id, outbox.c.conversation_id, outbox.c.kind, outbox.c.status)
                  .where(bulk.among(session, outbox.c.conversation_id, label_of)))
              if status == OutboxStatus.PENDING and kind.startswith("chat.") and not kind.startswith("chat.approval")]
    if folded:  # one statement for them all (executemany)
        connection.execute(update(outbox).where(outbox.c.id == bindparam("entry_id")).values(
            status=OutboxStatus.DONE, done_at=now, result=bindparam("result")), folded)


def leave(session: Session, conversation: Conversation, actor: str, now: datetime, every: timedelta) -> Incident:
    """Take `conversation` out of its incident; a folded one gets its own parent message (queued again)."""
    incident = session.get(Incident, conversation.incident_id)
    conversation.incident_id = None
    if conversation.chat_thread_id is None:
        session.exec(update(OutboxEntry).where(OutboxEntry.key == parent_key(conversation.id),
                                               OutboxEntry.status == OutboxStatus.DONE)
                     .values(status=OutboxStatus.PENDING, available_at=now, attempts=0, result=None, done_at=None))
    session.add(AuditEvent(at=now, actor=actor, action="incident.leave", conversation_id=conversation.id,
                           detail={"incident": incident.id}))
    refresh(session, incident, now, every)
    return incident


def merge(session: Session, into: Incident, others: list[Incident], actor: str, now: datetime, every: timedelta) -> int:
    """Move the conversations and phrasings of `others` (open incidents of `into`'s channel) into `into`, whose message
    then stands for them all; each of `others` says where they went. Returns how many conversations moved."""
    moved = 0
    phrasings = {p["key"]: dict(p) for p in into.phrasings}
    for other in others:
        moved += session.exec(update(Conversation).where(Conversation.incident_id == other.id)
                              .values(incident_id=into.id)).rowcount
        for phrasing in other.phrasings:
            kept = phrasings.setdefault(phrasing["key"], dict(phrasing, count=0))
            kept["count"] += phrasing["count"]
        other.status, other.merged_into_id, other.resolved_at = IncidentStatus.MERGED, into.id, now
        session.add(AuditEvent(at=now, actor=actor, action="incident.merge", conversation_id=None,
                               detail={"incident": other.id, "into": into.id}))
        refresh(session, other, now, every)
    into.phrasings = list(phrasings.values())
    into.updated_at = max(into.updated_at, *(other.updated_at for other in others))
    refresh(session, into, now, every)
    return moved


def resolve(session: Session, incident: Incident, actor: str, now: datetime, every: timedelta) -> None:
    """The incident is over (its conversations were resolved): its message says so; nothing joins it any more."""
    incident.status = IncidentStatus.RESOLVED
    incident.resolved_at = now
    session.add(AuditEvent(at=now, actor=actor, action="incident.resolve", conversation_id=None,
                           detail={"incident": incident.id}))
    refresh(session, incident, now, every)


def refresh(session: Session, incident: Incident, now: datetime, every: timedelta) -> None:
    """Queue an edit of the incident's message at the end of the current `every`-long slot: one edit per slot
    however many conversations join meanwhile (the key is the slot's), and it renders the incident as it is when
    it is delivered."""
    slot = int(now.timestamp() // every.total_seconds()) + 1
    # Paced apart from the channel's new messages: Slack limits posting per channel (about 1 a second) but edits
    # per workspace (chat.update, Tier 3: 50+ a minute), so an edit need not wait behind, or hold up, a new post.
    queue.add(session, key=f"incident:{incident.id}:update:{slot}", kind=UPDATE,
              target=queue.channel_target(incident.chat_platform, incident.chat_channel) + ":edits", conversation_id=None,
              payload={"incident": incident.id}, now=now,
              available_at=datetime.fromtimestamp(slot * every.total_seconds(), now.tzinfo))


def members(session: Session, incident_id: int) -> list[Conversation]:
    """The incident's open conversations, oldest first."""
    return list(session.exec(select(Conversation).where(Conversation.incident_id == incident_id,
                                                        Conversation.status.in_(ConversationStatus.OPEN))
                             .order_by(Conversation.id)))


class IncidentMessages:
    """Delivers the kinds above through the running chat ports."""

    def __init__(self, engine: Engine, chats: Chats) -> None:
        self.engine = engine
        self.chats = chats

    def effects(self) -> dict[str, Effect]:
        # an update is delivered once its slot has begun, and only later slots are queued from then on
        return {OPEN: Effect(self._open, delivered=_posted), UPDATE: Effect(self._update, kept=Kept.NOTHING),
                ESCALATE: Effect(self._escalate)}

    async def _open(self, entry: OutboxEntry) -> dict:
        with Session(self.engine) as session:
            incident = session.get(Incident, entry.payload["incident"])
            chat = self.chats.port(incident.chat_platform)
            if entry.attempts > 1:
                found = await chat.find_message(incident.chat_channel, None, entry.key)
                if found:
                    return {"channel": incident.chat_channel, "thread_id": found, "reconciled": True}
            view = incident_view(session, incident)
        ref = await chat.post_incident(incident.chat_channel, view, entry.key)
        return {"channel": ref.channel, "thread_id": ref.thread_id}

    async def _update(self, entry: OutboxEntry) -> dict:
        with Session(self.engine) as session:
            incident = session.get(Incident, entry.payload["incident"])
            if incident.chat_thread_id is None:
                raise NotReady()
            chat = self.chats.port(incident.chat_platform)
            view = incident_view(session, incident)
        await chat.update_incident(ChatRef(incident.message_channel, incident.chat_thread_id), view)
        return {}

    async def _escalate(self, entry: OutboxEntry) -> dict:
        with Session(self.engine) as session:
            incident = session.get(Incident, entry.payload["incident"])
            view = incident_view(session, incident)
        networks = ", ".join(f"{network_name(n)} {count}" for n, count in view.networks)
        # The bot's own words only: the customers' texts are untrusted and stay in the incident's message.
        text = (f"📈 Surge: {view.conversations} customers wrote about the same thing within minutes ({networks}); "
                f"incident {label(incident.id)} shows them in one message. "
                f"Answer everyone with `/reply-all {label(incident.id)} …`.")
        return await post_once(self.chats.port(incident.chat_platform), entry, entry.payload["channel"], None,
                               Notice(text=text), skipped="nothing to say")


def _posted(session: Session, entry: OutboxEntry, result: dict) -> None:
    """The message is out: where it is (its channel keeps the route's name, which new conversations are matched by)."""
    incident = session.get(Incident, entry.payload["incident"])
    incident.message_channel = result["channel"]
    incident.chat_thread_id = result["thread_id"]
