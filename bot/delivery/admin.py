"""Looking after failed deliveries: what failed and why, and queueing chat messages again once fixed."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.delivery.engine import PAUSED_AFTER
from bot.wording import span
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


@dataclass(frozen=True)
class Paused:
    """A target whose deliveries have been failing for a while (an outage): since when, why, and how many wait."""

    target: str
    since: datetime
    error: str
    waiting: int


def paused(engine: Engine, now: datetime) -> list[Paused]:
    """The targets failing for at least PAUSED_AFTER, the longest first."""
    with Session(engine) as session:
        heads = session.exec(
            select(OutboxEntry.target, func.min(OutboxEntry.failing_since))
            .where(OutboxEntry.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]),
                   OutboxEntry.failing_since <= now - PAUSED_AFTER)
            .group_by(OutboxEntry.target).order_by(func.min(OutboxEntry.failing_since))
        ).all()
        found = []
        for target, since in heads:
            error = session.exec(select(OutboxEntry.last_error).where(OutboxEntry.target == target,
                                                                      OutboxEntry.failing_since.is_not(None))
                                 .order_by(OutboxEntry.id)).first()
            waiting = session.exec(select(func.count()).select_from(OutboxEntry).where(
                OutboxEntry.target == target, OutboxEntry.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]))).one()
            found.append(Paused(target, since, error or "no answer", waiting))
    return found


def describe_paused(paused_target: Paused, now: datetime) -> str:
    """'Delivery to slack C0123 PAUSED for 4 min (12 waiting): Slack chat.postMessage failed: internal_error. …'"""
    kind, _, rest = paused_target.target.partition(":")
    where = rest.replace(":", " ", 1) if kind == "chat" else rest
    return (f"Delivery to {where} PAUSED for {span(now - paused_target.since)} ({paused_target.waiting} waiting): "
            f"{paused_target.error}. socialdesk keeps trying; nothing is lost.")


def retry_failed_chat(engine: Engine, now) -> int:
    """Queue failed chat messages again. Replies are left alone: their agents were told they were not
    published, and publishing one later, unasked, would surprise everyone."""
    with session_scope(engine) as session:
        return session.exec(
            update(OutboxEntry)
            .where(OutboxEntry.status == OutboxStatus.FAILED, OutboxEntry.kind.like("chat.%"))
            .values(status=OutboxStatus.PENDING, attempts=0, available_at=now, last_error=None)
        ).rowcount
