"""Queueing an effect on the outside world: an outbox entry whose key makes queueing it twice a no-op.

Each wing names its own kinds and queues them here. A kind that posts to chat starts with
`chat.` (`socialdesk outbox retry` requeues those); an entry's target is what it is paced by:
`chat:<platform>:<channel>`, `source:<name>`, or a background lane such as `llm`.
"""
from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy import func
from sqlmodel import Session, select

from storage import bulk
from storage.models import Conversation, OutboxEntry, OutboxStatus

T = TypeVar("T")


def chat_target(conversation: Conversation) -> str:
    return channel_target(conversation.chat_platform, conversation.chat_channel)


def channel_target(platform: str, channel: str) -> str:
    return f"chat:{platform}:{channel}"


def entry(*, key: str, kind: str, target: str, conversation_id: int | None, payload: dict) -> dict:
    return {"key": key, "kind": kind, "target": target, "conversation_id": conversation_id, "payload": payload}


def add(session: Session, *, key: str, kind: str, target: str, conversation_id: int | None, payload: dict, now,
        available_at=None) -> None:
    """Queue one entry; `available_at` (default now) holds it back until then."""
    queued = entry(key=key, kind=kind, target=target, conversation_id=conversation_id, payload=payload)
    add_many(session, [{**queued, "available_at": available_at or now}], now)


def waiting(session: Session, target: str) -> int:
    """How many entries wait for `target` (a chat channel's backlog)."""
    return session.exec(select(func.count()).select_from(OutboxEntry)
                        .where(OutboxEntry.target == target, OutboxEntry.status == OutboxStatus.PENDING)).one()


BATCH = "outbox.batch"  # in session.info while `batched`: the entries queued so far, by key
ASKED = "outbox.batch.asked"  # in session.info while `batched`: answers `once_per_batch` keeps


def add_many(session: Session, entries: list[dict], now) -> None:
    """Queue `entries` (from `entry`) in order, leaving out keys already queued: one lookup, one insert (at the end
    of `batched`, if it is running)."""
    rows = [{"available_at": now, **e, "created_at": now} for e in entries]
    batch = session.info.get(BATCH)
    if batch is None:
        _insert_new(session, rows)
        return
    for row in rows:
        batch.setdefault(row["key"], row)


@contextmanager
def batched(session: Session) -> Iterator[None]:
    """Entries queued inside are inserted together when it ends, in the order queued (a page of posts: one lookup
    and one insert instead of two statements an entry); `in_batch` sees them meanwhile. Inside another, it is
    part of that one."""
    if BATCH in session.info:
        yield
        return
    session.info[BATCH], session.info[ASKED] = {}, {}
    try:
        yield
        rows = list(session.info[BATCH].values())
    finally:
        session.info.pop(BATCH, None)
        session.info.pop(ASKED, None)
    _insert_new(session, rows)


def once_per_batch(session: Session, question: Hashable, ask: Callable[[], T]) -> T:
    """`ask()`, asked once while `batched` runs (the database does not change under a transaction's own batch but
    by it, which `in_batch` sees); outside a batch, every time."""
    asked = session.info.get(ASKED)
    if asked is None:
        return ask()
    if question not in asked:
        asked[question] = ask()
    return asked[question]


def answered(session: Session, answers: dict[Hashable, object]) -> None:
    """Answers to `once_per_batch` questions found ahead, many in one query, while `batched` runs (outside, none
    are kept)."""
    asked = session.info.get(ASKED)
    if asked is not None:
        asked.update(answers)


def in_batch(session: Session, kind: str, conversation_id: int | None) -> bool:
    """Whether the running `batched` holds an entry of `kind` for the conversation."""
    return any(row["kind"] == kind and row["conversation_id"] == conversation_id
               for row in session.info.get(BATCH, {}).values())


def _insert_new(session: Session, rows: list[dict]) -> None:
    if not rows:
        return
    queued = set(session.exec(select(OutboxEntry.key).where(bulk.among(session, OutboxEntry.key, [row["key"] for row in rows]))))
    new = [row for row in rows if row["key"] not in queued]
    bulk.insert_all(session.connection(), OutboxEntry.__table__, new)
