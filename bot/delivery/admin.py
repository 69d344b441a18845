"""Looking after failed deliveries: what failed and why, and queueing chat messages again once fixed."""
from __future__ import annotations

from sqlalchemy import func, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from storage.db import session_scope
from storage.models import OutboxEntry, OutboxStatus


def failed_summary(engine: Engine) -> tuple[int, str | None]:
    """How many deliveries failed, and the latest reason."""
    with Session(engine) as session:
        count = session.exec(select(func.count()).select_from(OutboxEntry)
                             .where(OutboxEntry.status == OutboxStatus.FAILED)).one()
        latest = session.exec(select(OutboxEntry.last_error).where(OutboxEntry.status == OutboxStatus.FAILED)
                              .order_by(OutboxEntry.id.desc())).first()
    return count, latest


def retry_failed_chat(engine: Engine, now) -> int:
    """Queue failed chat messages again. Replies are left alone: their agents were told they were not
    published, and publishing one later, unasked, would surprise everyone."""
    with session_scope(engine) as session:
        return session.exec(
            update(OutboxEntry)
            .where(OutboxEntry.status == OutboxStatus.FAILED, OutboxEntry.kind.like("chat.%"))
            .values(status=OutboxStatus.PENDING, attempts=0, available_at=now, last_error=None)
        ).rowcount
