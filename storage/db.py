"""Engine creation and schema migrations (SQLite by default, PostgreSQL via DATABASE_URL)."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

from storage import hours  # noqa: F401  (marks the hours of SLA clocks each flush changes)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
WRITE_OPTION = "socialdesk_writes"  # marks a session that will write (see _sqlite_begin)


def database_url(url: str | None, sqlite_path: str | Path) -> str:
    """DATABASE_URL wins; otherwise a SQLite file. Plain postgres:// URLs get the psycopg 3 driver."""
    if not url:
        return f"sqlite:///{Path(sqlite_path).expanduser()}"
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    # connect_timeout: an unreachable server fails a connection in seconds instead of the TCP timeout's minutes.
    # insertmanyvalues_page_size: the ORM inserts several rows 8 a statement, not SQLAlchemy's default 1,000 (the
    # same short statement again and again, instead of a few huge ones that psycopg and the server each parse
    # afresh; measured when a page of posts went this way: 12-30 % faster). A page's rows now go through
    # storage/bulk.py, one statement a table.
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5, insertmanyvalues_page_size=8,
                         connect_args={"connect_timeout": 10})


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy's "begin" event below starts every transaction
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(connection) -> None:
    """A writing transaction (`session_scope`) takes SQLite's write lock when it starts, not at its first write:
    one that read first and then wants to write while another holds the lock fails at once ("database is
    locked") instead of waiting for busy_timeout. Read-only sessions take no lock (WAL)."""
    immediate = connection.get_execution_options().get(WRITE_OPTION)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply every migration up to `revision` (idempotent)."""
    command.upgrade(alembic_config(engine), revision)


def head_revision() -> str:
    """The newest migration in storage/migrations."""
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(config).get_current_head()


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    with Session(engine, expire_on_commit=False) as session:
        session.connection(execution_options={WRITE_OPTION: True})
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
