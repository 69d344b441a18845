"""storage/bulk.py on both databases: the rows SQLAlchemy's own insert would store, their ids in the given order."""
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select
from sqlmodel import Session

from storage import bulk
from storage.db import make_engine, upgrade
from storage.models import AuditEvent, Customer

AT = datetime(2026, 12, 6, 18, 0, tzinfo=UTC)


def test_rows_go_in_as_sqlalchemy_would_insert_them_with_their_ids_in_order(db_url):
    engine = make_engine(db_url)
    upgrade(engine)
    rows = [{"at": AT - timedelta(minutes=n), "actor": f"actor {n}", "action": "check", "conversation_id": None,
             "detail": {"n": n, "raw": "broken\x00 text", "nested": [{"emoji": "🙂"}]}} for n in range(50)]
    with engine.begin() as connection:
        before = connection.execute(insert(AuditEvent.__table__).returning(AuditEvent.id), rows[:1]).scalar_one()
        ids = bulk.insert_returning(connection, AuditEvent.__table__, rows)
        assert bulk.insert_returning(connection, AuditEvent.__table__, []) == []
    with Session(engine) as session:
        stored = {event.id: event for event in session.exec(select(AuditEvent)).scalars()}
    assert len(set(ids)) == 50 and min(ids) > before
    for row, id_ in zip(rows, ids, strict=True):
        event = stored[id_]
        assert (event.at, event.actor, event.detail, event.conversation_id) == (row["at"], row["actor"], row["detail"], None)
    assert stored[before].detail == stored[ids[0]].detail  # JSON kept as SQLAlchemy's own insert keeps it


def test_added_rows_are_the_sessions_as_if_loaded(db_url):
    engine = make_engine(db_url)
    upgrade(engine)
    with Session(engine) as session:
        customers = [Customer(network="x", handle=f"c{n}", created_at=AT) for n in range(5)]
        bulk.add_all(session, customers)
        assert [c.id for c in customers] == sorted(c.id for c in customers)
        assert session.get(Customer, customers[2].id) is customers[2] and not session.dirty and not session.new
        customers[2].followers = 7  # changed later: an ordinary update
        session.commit()
    with Session(engine) as session:
        stored = session.exec(select(Customer).order_by(Customer.id)).scalars().all()
        assert [(c.handle, c.followers) for c in stored] == [(f"c{n}", 7 if n == 2 else None) for n in range(5)]


def test_written_columns_are_stored_and_recorded_as_written(db_url):
    engine = make_engine(db_url)
    upgrade(engine)
    with Session(engine) as session:
        customers = [Customer(network="x", handle=f"c{n}", created_at=AT) for n in range(4)]
        bulk.add_all(session, customers)
        for n, customer in enumerate(customers):
            customer.followers = n * 10 if n % 2 else None  # some changed, some not: one statement all the same
            customer.muted_until = AT + timedelta(days=n)
        customers[3].display_name = "Dee"  # not among the columns written: the ORM writes it
        bulk.write(session, [*customers, customers[0]], ("followers", "muted_until"))
        assert [c for c in customers if session.is_modified(c)] == [customers[3]]  # nothing else left to write
        session.commit()
    with Session(engine) as session:
        stored = session.exec(select(Customer).order_by(Customer.id)).scalars().all()
        assert [(c.followers, c.muted_until, c.display_name) for c in stored] == [
            (n * 10 if n % 2 else None, AT + timedelta(days=n), "Dee" if n == 3 else "") for n in range(4)]
