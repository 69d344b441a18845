"""A page's rows of one table in one statement: new rows with their ids back in order, and changed columns.

A page of posts is hundreds of new rows in each of a few tables. The ORM inserts them one row a statement on SQLite
(which cannot promise the order of the ids it returns), and a few rows a statement on PostgreSQL, each with more
than the 50 parameters psycopg caches the parsing of, so psycopg parses every one afresh and the server plans every
one (bench/ingest.py). Here:
- SQLite: one INSERT … RETURNING of all rows; a statement's rows get ascending ids in the order of its VALUES, and no
  one else writes meanwhile (the transaction holds the write lock), so the sorted ids are the rows' in order;
- PostgreSQL: the rows travel as one JSON array, one parameter, and the server takes them apart
  (`json_to_recordset`), in their order (`WITH ORDINALITY … ORDER BY`), so the sequence numbers them in order: the
  sorted ids are the rows' in order (as SQLAlchemy's own ordered inserts rely on), and the statement is the same
  short one for every page.
"""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import ARRAY, JSON, ColumnElement, Table, any_, bindparam, insert, literal, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from storage.types import UTCDateTime


def add_all(session: Session, rows: list) -> None:
    """Insert `rows` (new ORM objects of one table, not in `session`) together and make them `session`'s, with their
    ids, as if loaded: what a flush would leave, without its statement a row. Unlike a flush's, they stay in the
    session if the transaction or savepoint they were inserted in rolls back: whoever rolls back expunges them."""
    if not rows:
        return
    table = type(rows[0]).__table__
    names = [column.key for column in table.columns if column.key != "id"]
    ids = insert_returning(session.connection(), table, [{name: getattr(row, name) for name in names} for row in rows])
    for row, id_ in zip(rows, ids, strict=True):
        row.id = id_
        make_transient_to_detached(row)
        session.add(row)


def write(session: Session, rows: list, names: tuple[str, ...]) -> None:
    """Write the columns `names` of `rows` (ORM objects of one table in `session`) in one statement, changed or
    not, and record them as written: the ORM would write them one statement per run of rows that changed the same
    columns (a page's conversations: hundreds)."""
    rows = list({id(row): row for row in rows}.values())
    if not rows:
        return
    table = type(rows[0]).__table__
    values = [{"row_id": row.id, **{name: getattr(row, name) for name in names}} for row in rows]
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        connection.execute(update(table).where(table.c.id == bindparam("row_id"))
                           .values({name: bindparam(name) for name in names}), values)
    else:
        fields, _ = _fields(connection, [table.c[name] for name in names])
        assigned = ", ".join(f"{name} = {_value(table.c[name])}" for name in names)
        connection.execute(text(f"UPDATE {table.name} SET {assigned} FROM json_to_recordset(CAST(:rows AS json)) "
                                f"AS given(row_id integer, {fields}) WHERE {table.name}.id = given.row_id"),
                           _payload(table, values))
    for row in rows:
        for name in names:
            set_committed_value(row, name, getattr(row, name))


def insert_returning(connection: Connection, table: Table, rows: list[dict]) -> list[int]:
    """Insert `rows` (every one with the same columns) into `table`; returns their ids in order."""
    if not rows:
        return []
    if connection.dialect.name == "sqlite":
        return sorted(connection.execute(insert(table).returning(table.c.id), rows).scalars())
    rows = _with_defaults(table, rows)
    return sorted(connection.execute(_from_json(connection, table, rows, " RETURNING id"), _payload(table, rows))
                  .scalars())


def insert_all(connection: Connection, table: Table, rows: list[dict]) -> None:
    """Insert `rows` (every one with the same columns) into `table`."""
    if not rows:
        return
    if connection.dialect.name == "sqlite":
        connection.execute(insert(table), rows)
    else:
        rows = _with_defaults(table, rows)
        connection.execute(_from_json(connection, table, rows, ""), _payload(table, rows))


def among(session: Session, column, values) -> ColumnElement[bool]:
    """`column IN values`, the values one parameter on PostgreSQL (`= ANY(array)`): a page's IN list is hundreds of
    parameters, and psycopg parses a statement of more than 50 afresh each time. Measure before using it: psycopg
    prepares a statement it sees often, and the server's generic plan for `= ANY` may read more than the IN list's
    (the running clocks' lookup, bot/sla/clocks.py, was slower with it)."""
    values = list(values)
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(literal(values, ARRAY(column.type)))
    return column.in_(values)


def _with_defaults(table: Table, rows: list[dict]) -> list[dict]:
    """`rows` with the columns' defaults they leave out, as SQLAlchemy's own insert would fill them in."""
    missing = [column for column in table.columns if column.name not in rows[0] and column.default is not None]
    if any(not column.default.is_scalar for column in missing):
        raise ValueError(f"{table.name}: give every column whose default is not a plain value")
    defaults = {column.name: column.default.arg for column in missing}
    return [{**defaults, **row} for row in rows] if defaults else rows


def _from_json(connection: Connection, table: Table, rows: list[dict], returning: str):
    columns = [table.c[name] for name in rows[0]]
    fields, names = _fields(connection, columns)
    values = ", ".join(_value(column) for column in columns)
    return text(f"INSERT INTO {table.name} ({names}) SELECT {values} FROM ROWS FROM "
                f"(json_to_recordset(CAST(:rows AS json)) AS ({fields})) WITH ORDINALITY AS given({names}, n) "
                f"ORDER BY n{returning}")


def _fields(connection: Connection, columns: list) -> tuple[str, str]:
    """The record's fields (name and type each) for `json_to_recordset`, and their names."""
    # a JSON column's value travels as its text, cast back on the server: taken apart as JSON, a `\u0000` in it (a
    # post's raw payload may hold one) would have to become text, which PostgreSQL refuses
    fields = ", ".join(f"{column.name} {'text' if isinstance(column.type, JSON) else column.type.compile(connection.dialect)}"
                       for column in columns)
    return fields, ", ".join(column.name for column in columns)


def _value(column) -> str:
    return f"CAST(given.{column.name} AS json)" if isinstance(column.type, JSON) else f"given.{column.name}"


def _payload(table: Table, rows: list[dict]) -> dict:
    """The rows as one JSON array, their values as the columns store them (`row_id`: the row's id)."""
    documents = {name for name in rows[0] if name in table.c and isinstance(table.c[name].type, JSON)}
    times = {name for name in rows[0] if name in table.c and isinstance(table.c[name].type, UTCDateTime)}
    return {"rows": json.dumps([{name: json.dumps(value) if name in documents else _stored_time(value) if name in times
                                 else value for name, value in row.items()} for row in rows])}


def _stored_time(value: datetime | None) -> str | None:
    """As UTCDateTime stores it: naive UTC."""
    return None if value is None else UTCDateTime().process_bind_param(value, None).isoformat()
