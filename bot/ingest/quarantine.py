"""Quarantine: a post that cannot be parsed or stored is set aside with its payload and the reason, so one bad post
never holds back the posts after it.

`set_aside` runs in the transaction that stores the page (the source's cursor moves on past the post); the first
post of a burst (none from the source in the hour before) is announced in chat (bot/ingest/alerts.py), and
`/desk status` and `socialdesk check` count what is waiting. `socialdesk quarantine retry` runs a post through the
pipeline again after a fix or an upgrade; `drop` removes it.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlmodel import Session, func, select

from bot.ingest import alerts, incidents
from bot.ingest.pipeline import ingest
from bot.settings import DeskConfig
from bot.sources.base import Author, InboundPost
from storage.db import session_scope
from storage.models import QuarantinedPost

log = logging.getLogger(__name__)
BURST = timedelta(hours=1)  # quarantined posts of a source less than this apart are one burst: one message in chat
REASON_MAX = 1000

PROGRAM_LIMIT = "54"  # PostgreSQL's SQLSTATE class for a value past a limit (an index row too big): the post's fault


def is_the_posts_fault(error: Exception) -> bool:
    """False where the database itself failed (locked, busy, connection lost): then the page is retried, not the
    post set aside."""
    if isinstance(error, InterfaceError):
        return False
    if isinstance(error, OperationalError):
        return str(getattr(error.orig, "sqlstate", "") or "").startswith(PROGRAM_LIMIT)
    return True


def reason_of(error: BaseException) -> str:
    """'OverflowError: date value out of range', on one line and short enough to read."""
    if isinstance(error, RecursionError):
        return "RecursionError: nested too deeply to store"
    detail = " ".join(str(getattr(error, "orig", None) or error).split())
    return f"{error.__class__.__name__}: {detail}"[:REASON_MAX]


def set_aside(session: Session, config: DeskConfig, source_name: str, *, payload: Any, reason: str, now: datetime,
              post: InboundPost | None = None) -> QuarantinedPost:
    """Keep `payload` (and `post`, where it was parsed) with `reason`; tell the team if this starts a burst. The same
    payload from the same source is kept once (a source that reads a listing again meets it again)."""
    kept = session.exec(select(QuarantinedPost).where(QuarantinedPost.source_name == source_name,
                                                      QuarantinedPost.payload == _as_text(payload))).first()
    if kept is not None:
        return kept
    latest = session.exec(select(func.max(QuarantinedPost.quarantined_at))
                          .where(QuarantinedPost.source_name == source_name)).one()
    entry = QuarantinedPost(source_name=source_name, external_id=_clip(post.external_id) if post else None,
                            reason=_clip(reason, REASON_MAX) or "unknown", payload=_as_text(payload),
                            post=_as_text(_post_record(post)) if post else None, quarantined_at=now)
    session.add(entry)
    session.flush()
    log.error("source %s: post set aside in quarantine as #%d: %s", source_name, entry.id, entry.reason)
    if latest is None or now - latest >= BURST:
        alerts.record_quarantine(session, config, source_name, entry.reason, now)
    return entry


def waiting(session: Session) -> dict[str, int]:
    """How many posts each source has in quarantine."""
    counted = select(QuarantinedPost.source_name, func.count()).group_by(QuarantinedPost.source_name)
    return dict(session.exec(counted).all())


def entries(session: Session) -> list[QuarantinedPost]:
    return list(session.exec(select(QuarantinedPost).order_by(QuarantinedPost.id)))


def parsed(entry: QuarantinedPost, reparse: Callable[[str, str], InboundPost]) -> InboundPost:
    """The entry's post: as it was parsed, or parsed again by its source (`reparse(source_name, payload)`) where the
    source could not parse it the first time."""
    if entry.post is None:
        return reparse(entry.source_name, entry.payload)
    record = json.loads(entry.post)
    return InboundPost(**{**record, "author": Author(**record["author"]),
                          "created_at": datetime.fromisoformat(record["created_at"])})


def retry(engine: Engine, config: DeskConfig, entry_id: int, reparse: Callable[[str, str], InboundPost],
          now: datetime) -> tuple[bool, str]:
    """Run quarantined post `entry_id` through the pipeline again (its own transaction): stored, it leaves the
    quarantine; failing again, it stays with the new reason. Returns whether it left, and what happened."""
    with session_scope(engine) as session:
        entry = session.get(QuarantinedPost, entry_id)
        if entry is None:
            return False, f"#{entry_id}: not in quarantine"
        try:
            post = parsed(entry, reparse)
            with session.begin_nested():
                found = ingest(session, config, entry.source_name, post, now)
        except Exception as error:
            if not is_the_posts_fault(error):
                raise
            entry.reason = reason_of(error)
            return False, f"#{entry_id}: still cannot be stored: {entry.reason}"
        incidents.group(session, config, [found] if found else [], now)
        session.delete(entry)
    if found is None:
        return True, f"#{entry_id}: already stored (or the brand's own post); removed from quarantine"
    return True, f"#{entry_id}: stored in conversation #{found.conversation_id}"


def drop(engine: Engine, entry_id: int) -> bool:
    """Remove quarantined post `entry_id` for good; False if there is no such entry."""
    with session_scope(engine) as session:
        entry = session.get(QuarantinedPost, entry_id)
        if entry is not None:
            session.delete(entry)
        return entry is not None


def _post_record(post: InboundPost) -> dict[str, Any]:
    return {**asdict(post), "created_at": post.created_at.isoformat() if isinstance(post.created_at, datetime)
            else str(post.created_at)}


def _as_text(value: Any) -> str:
    """`value` as text both databases take: a string with NUL and lone surrogates escaped, anything else as JSON."""
    if isinstance(value, str):
        return value.replace("\x00", "\\u0000").encode("utf-8", "backslashreplace").decode("utf-8")
    try:
        return json.dumps(value, default=str, ensure_ascii=True)
    except (RecursionError, ValueError) as error:
        return f"(not kept: {reason_of(error)})"


def _clip(value: str | None, limit: int = 255) -> str | None:
    return None if value is None else _as_text(value)[:limit]
