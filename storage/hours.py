"""Which hours and five-minute slots of SLA clocks a write changes, marked as it is flushed: their kept figures are
then stale.

The figures of /stats are kept per hour of `SlaClock.started_at` (bot/reports/rollup.py, table StatsHour). A
flush that inserts, deletes or changes a clock (anything the figures read: kind, start, due time, stop, outcome,
responder, response time), changes a conversation's assignee, intent or network, or adds or removes one of its tags
adds one to the `version` of the hours those clocks started in, in the same transaction; the kept rows of an hour
are used only while they were counted at its current version (its five-minute slots too, StatsSlot; its day's while
the sum of its hours' versions is unchanged, StatsDay). The same write adds one to the version of the five-minute
slots those clocks started in (StatsSlotVersion, one more statement per flush): the current hour's ended slots are
kept one by one, each used only while counted at its own version. Nudge bookkeeping (stage, next nudge) and pauses
do not count: the figures do not read them.

Writes to these tables outside the ORM must call `mark` themselves: the clocks a page of posts starts are inserted
with Core and marked by bot/sla/clocks.py (`kept`). Retention (bot/reports/retention.py) need not: it sets
`Conversation.purged_at`, which the figures do not read.
Migrations and bulk loads that write clocks before the rollup's first run need not either: hours never rolled up
are counted from the clocks.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import event, inspect, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import get_history

from storage.models import Conversation, ConversationTag, SlaClock, StatsHour, StatsSlotVersion

CLOCK_FIELDS = ("conversation_id", "kind", "started_at", "due_at", "stopped_at", "outcome", "agent_id",
                "response_seconds")
CONVERSATION_FIELDS = ("assignee_id", "intent", "network")


def hour_of(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def day_of(moment: datetime) -> datetime:
    return hour_of(moment).replace(hour=0)


SLOT_MINUTES = 5  # StatsSlot: the hour's figures again, by five minutes


def slot_of(moment: datetime) -> datetime:
    moment = moment.astimezone(UTC)
    return moment.replace(minute=moment.minute - moment.minute % SLOT_MINUTES, second=0, microsecond=0)


def mark(connection: Connection, starts: Iterable[datetime]) -> None:
    """The kept figures of the hours and the five-minute slots these clocks started in (`starts`) are stale: one more
    on their versions (a row of its own for one without), two statements."""
    moments = list(starts)
    mark_hours(connection, (hour_of(moment) for moment in moments))
    rows = [{"slot": slot, "version": 1, "counted_version": 0}
            for slot in sorted({slot_of(moment) for moment in moments})]  # in order: no deadlock
    if rows:
        insert = _dialect(connection).insert(StatsSlotVersion).values(rows)
        connection.execute(insert.on_conflict_do_update(index_elements=["slot"],
                                                        set_={"version": StatsSlotVersion.version + 1}))


def mark_hours(connection: Connection, hours: Iterable[datetime]) -> None:
    """The kept figures of `hours` are stale: one more on their version (a row of its own for an hour without one)."""
    rows = [{"hour": hour, "version": 1, "rolled_version": 0} for hour in sorted(set(hours))]  # in order: no deadlock
    if not rows:
        return
    insert = _dialect(connection).insert(StatsHour).values(rows)
    connection.execute(insert.on_conflict_do_update(index_elements=["hour"],
                                                    set_={"version": StatsHour.version + 1}))


def _dialect(connection: Connection):
    return postgresql if connection.dialect.name == "postgresql" else sqlite


def _changed(instance, fields: tuple[str, ...]) -> bool:
    """Whether any of `fields` changed: only those set since the load (in `committed_state`) are asked for their
    history, which is what costs (a page of posts dirties hundreds of conversations, none of these fields)."""
    state = inspect(instance)
    return any(name in state.committed_state and get_history(instance, name).has_changes() for name in fields)


def _starts(instance: SlaClock) -> list[datetime]:
    """The clock's start, and the one it had before this flush if it moved."""
    history = inspect(instance).attrs.started_at.history
    return [moment for moment in (*history.deleted, *history.unchanged, *history.added) if moment is not None]


@event.listens_for(Session, "before_flush")
def _mark_changed_hours(session: Session, _context, _instances) -> None:
    starts: list[datetime] = []
    conversations: set[int] = set()
    with session.no_autoflush:
        for instance in (*session.new, *session.deleted):
            if isinstance(instance, SlaClock):
                starts += _starts(instance)
            elif isinstance(instance, ConversationTag) and instance.conversation_id is not None:
                conversations.add(instance.conversation_id)
        for instance in session.dirty:
            if isinstance(instance, SlaClock) and _changed(instance, CLOCK_FIELDS):
                starts += _starts(instance)
            elif isinstance(instance, Conversation) and instance.id is not None and _changed(instance,
                                                                                            CONVERSATION_FIELDS):
                conversations.add(instance.id)
        connection = session.connection() if starts or conversations else None
        if conversations:
            stored = select(SlaClock.started_at).where(SlaClock.conversation_id.in_(sorted(conversations)))
            starts += connection.execute(stored).scalars().all()
    if connection is not None:
        mark(connection, starts)
