"""The migrations build exactly the schema storage/models.py describes, and open conversations get clocks on upgrade."""
from datetime import UTC, datetime

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers the tables)
from storage.db import make_engine, upgrade


def test_migrations_match_the_models(db_url):
    engine = make_engine(db_url)
    upgrade(engine)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}),
                                       SQLModel.metadata)
    engine.dispose()
    assert differences == []


def test_upgrading_gives_conversations_waiting_for_an_answer_a_first_response_clock(db_url):
    engine = make_engine(db_url)
    upgrade(engine, "0002_sources")
    due = datetime(2026, 11, 2, 10, tzinfo=UTC).replace(tzinfo=None)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO customer (network, handle, display_name, created_at) "
                                "VALUES ('x', 'carla', '', :t)"), {"t": due})
        for status, answered in (("new", None), ("claimed", None), ("awaiting_customer", due), ("resolved", None)):
            connection.execute(text(
                "INSERT INTO conversation (source_name, network, thread_root_id, customer_id, status, priority, sentiment, "
                "intent, language, has_pii, opened_at, updated_at, first_response_due_at, first_responded_at, chat_platform, "
                "chat_channel) VALUES ('x', 'x', :root, 1, :status, 'high', 'neutral', 'other', 'en', false, :t, :t, :t, "
                ":answered, 'slack', 'C1')"), {"root": status, "status": status, "t": due, "answered": answered})
    upgrade(engine)
    with engine.connect() as connection:
        clocks = connection.execute(text("SELECT conversation_id, kind, due_at, next_nudge_at FROM slaclock "
                                         "ORDER BY conversation_id")).all()
        shown = connection.execute(text("SELECT id FROM conversation WHERE response_due_at IS NOT NULL ORDER BY id")).all()
    engine.dispose()
    assert [(c[0], c[1]) for c in clocks] == [(1, "first"), (2, "first")]
    assert all(c[2] == c[3] for c in clocks) and [s[0] for s in shown] == [1, 2]
