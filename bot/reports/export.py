"""Exports for spreadsheets and BI tools: conversations, replies, notes and SLA outcomes as CSV or JSON Lines.

One table per file, one row per conversation, reply, note or SLA clock, joined by the conversation
`number`. Which conversations: those whose first post falls in [since, until), optionally of one
source, optionally those an agent owns or replied in (by name or initials, case-insensitive);
the replies, notes and clocks are those of the conversations chosen. Times are ISO 8601 in UTC.
`socialdesk export` writes the files; `/stats … export` shares them in chat.
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, or_, select

from bot.reports import figures
from bot.settings import DeskConfig
from bot.sla.clocks import NAMES
from storage.models import Agent, Conversation, Customer, Note, Post, Reply, SlaClock

TABLES = ("conversations", "replies", "notes", "sla")
FORMATS = ("csv", "jsonl")
COLUMNS = {
    "conversations": ("number", "source", "network", "customer", "status", "priority", "intent", "sentiment", "language",
                      "has_personal_data", "owner", "opened_at", "first_responded_at", "resolved_at", "url", "text"),
    "replies": ("number", "agent", "status", "private", "created_at", "published_at", "url", "error", "text"),
    "notes": ("number", "author", "created_at", "text"),
    "sla": ("number", "target", "cycle", "priority", "started_at", "due_at", "stopped_at", "outcome", "verdict",
            "response_seconds", "target_seconds", "agent"),
}


@dataclass(frozen=True)
class Selection:
    since: datetime | None = None
    until: datetime | None = None
    source: str | None = None
    agent: str | None = None  # a name or initials


class UnknownAgent(ValueError):
    """No agent has that name or initials."""


def tables(session: Session, config: DeskConfig, selection: Selection, now: datetime) -> dict[str, list[dict]]:
    """The rows of every table, in conversation order."""
    agents = {agent.id: agent for agent in session.exec(select(Agent))}
    query = select(Conversation, Customer).join(Customer, Customer.id == Conversation.customer_id)
    if selection.since:
        query = query.where(Conversation.opened_at >= selection.since)
    if selection.until:
        query = query.where(Conversation.opened_at < selection.until)
    if selection.source:
        query = query.where(Conversation.source_name == selection.source)
    if selection.agent:
        agent_id = _agent_id(agents, selection.agent)
        replied = select(Reply.conversation_id).where(Reply.agent_id == agent_id)
        query = query.where(or_(Conversation.assignee_id == agent_id, Conversation.id.in_(replied)))
    chosen = list(session.exec(query.order_by(Conversation.id)))
    numbers = [conversation.id for conversation, _ in chosen]
    first_posts: dict[int, Post] = {}
    for post in session.exec(select(Post).where(Post.conversation_id.in_(numbers)).order_by(Post.created_at, Post.id)):
        first_posts.setdefault(post.conversation_id, post)

    def name(agent_id: int | None) -> str:
        return agents[agent_id].name if agent_id in agents else ""

    rows: dict[str, list[dict]] = {table: [] for table in TABLES}
    for conversation, customer in chosen:
        post = first_posts.get(conversation.id)
        rows["conversations"].append({
            "number": conversation.id, "source": conversation.source_name, "network": conversation.network,
            "customer": customer.handle, "status": conversation.status, "priority": conversation.priority,
            "intent": conversation.intent, "sentiment": conversation.sentiment, "language": conversation.language,
            "has_personal_data": conversation.has_pii, "owner": name(conversation.assignee_id),
            "opened_at": conversation.opened_at, "first_responded_at": conversation.first_responded_at,
            "resolved_at": conversation.resolved_at, "url": post.url if post else "", "text": post.text if post else ""})
    for reply in session.exec(select(Reply).where(Reply.conversation_id.in_(numbers)).order_by(Reply.id)):
        rows["replies"].append({"number": reply.conversation_id, "agent": name(reply.agent_id), "status": reply.status,
                                "private": reply.private, "created_at": reply.created_at, "published_at": reply.published_at,
                                "url": reply.url or "", "error": reply.error or "", "text": reply.text})
    for note in session.exec(select(Note).where(Note.conversation_id.in_(numbers)).order_by(Note.id)):
        rows["notes"].append({"number": note.conversation_id, "author": note.author, "created_at": note.created_at,
                              "text": note.text})
    by_number = {conversation.id: conversation for conversation, _ in chosen}
    for clock in session.exec(select(SlaClock).where(SlaClock.conversation_id.in_(numbers)).order_by(SlaClock.id)):
        conversation = by_number[clock.conversation_id]
        measured = figures.measure(config, clock, conversation.network, conversation.intent, "", now)
        rows["sla"].append({
            "number": clock.conversation_id, "target": NAMES[clock.kind], "cycle": clock.cycle, "priority": clock.priority,
            "started_at": clock.started_at, "due_at": clock.due_at, "stopped_at": clock.stopped_at,
            "outcome": clock.outcome or "", "verdict": measured.verdict or "",
            "response_seconds": int(measured.response_time.total_seconds()) if measured.response_time is not None else "",
            "target_seconds": int(measured.target.total_seconds()), "agent": name(clock.agent_id)})
    return rows


def render(table: str, rows: list[dict], fmt: str) -> bytes:
    """One table as CSV (a header row, then one line a row) or JSON Lines (one object a line)."""
    if fmt == "jsonl":
        return "".join(json.dumps({k: _plain(row[k]) for k in COLUMNS[table]}, ensure_ascii=False) + "\n"
                       for row in rows).encode()
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS[table], lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: _plain(row[k]) for k in COLUMNS[table]} for row in rows)
    return buffer.getvalue().encode()


def file_name(table: str, fmt: str, label: str = "") -> str:
    return f"socialdesk-{table}{'-' + label if label else ''}.{fmt}"


def _plain(value):
    if isinstance(value, datetime):
        return value.isoformat()
    return "" if value is None else value


def _agent_id(agents: dict[int, Agent], wanted: str) -> int:
    wanted = wanted.strip().casefold()
    for agent in agents.values():
        if wanted in (agent.name.casefold(), agent.initials.casefold()):
            return agent.id
    known = ", ".join(sorted(f"{a.name} ({a.initials})" for a in agents.values())) or "none yet"
    raise UnknownAgent(f"no agent is called {wanted!r}; agents: {known}")
