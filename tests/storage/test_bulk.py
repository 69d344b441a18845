"""storage/bulk.py on the real PostgreSQL: the rows as SQLAlchemy would insert them, ids in the given order."""
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select
from sqlmodel import Session

from storage import bulk
from storage.db import make_engine, upgrade
from storage.models import AuditEvent


def test_rows_go_in_as_sqlalchemy_would_insert_them_with_their_ids_in_order(postgres_url):
    engine = make_engine(postgres_url)
    upgrade(engine)
    at = datetime(2026, 12, 6, 18, 0, tzinfo=UTC)
    rows = [{"at": at + timedelta(minutes=n), "actor": f"actor {n}", "action": "check", "conversation_id": None,
             "detail": {"n": n, "raw": "broken\x00 text", "nested": [{"emoji": "🙂"}]}} for n in range(50)]
    rows.reverse()  # not the order the server would pick
    with engine.begin() as connection:
        ids = bulk.insert_returning(connection, AuditEvent.__table__, rows, key=("actor",))
        expected = connection.execute(insert(AuditEvent.__table__).returning(AuditEvent.id), rows[:1]).scalar_one()
    with Session(engine) as session:
        stored = {event.id: event for event in session.exec(select(AuditEvent)).scalars()}
    assert len(set(ids)) == 50
    for row, id_ in zip(rows, ids, strict=True):
        event = stored[id_]
        assert (event.at, event.actor, event.detail, event.conversation_id) == (row["at"], row["actor"], row["detail"], None)
    assert stored[expected].detail == stored[ids[0]].detail  # the same JSON as SQLAlchemy's own insert keeps
    assert bulk.insert_returning(engine.connect(), AuditEvent.__table__, [], key=("actor",)) == []
