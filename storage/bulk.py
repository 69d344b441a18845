"""Many rows into one table in one statement, with their ids back, on PostgreSQL.

A page of posts is hundreds of rows. SQLAlchemy inserts them a few rows a statement (`insertmanyvalues`), and each of
those statements has more than the 50 parameters psycopg caches the parsing of, so psycopg parses every one afresh
and the server plans every one (bench/ingest.py). Here the rows travel as one JSON array, one parameter, and the
server takes them apart (`json_to_recordset`): the same short statement for every page.
"""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import JSON, Table, text
from sqlalchemy.engine import Connection

from storage.types import UTCDateTime


def insert_returning(connection: Connection, table: Table, rows: list[dict], key: tuple[str, ...]) -> list[int]:
    """Insert `rows` (every one with the same columns) into `table`; returns their ids in order, matched by the
    columns of `key`, which must tell the rows apart (the server returns the inserted rows in no promised order)."""
    if not rows:
        return []
    columns = [table.c[name] for name in rows[0]]
    # a JSON column's value travels as its text, cast back on the server: taken apart as JSON, a `\u0000` in it (a
    # post's raw payload may hold one) would have to become text, which PostgreSQL refuses
    documents = {column.name for column in columns if isinstance(column.type, JSON)}
    times = {column.name for column in columns if isinstance(column.type, UTCDateTime)}
    fields = ", ".join(f"{column.name} {'text' if column.name in documents else column.type.compile(connection.dialect)}"
                       for column in columns)
    values = ", ".join(f"CAST({column.name} AS json)" if column.name in documents else column.name for column in columns)
    names, keys = ", ".join(column.name for column in columns), ", ".join(key)
    statement = text(f"INSERT INTO {table.name} ({names}) SELECT {values} FROM json_to_recordset(CAST(:rows AS json))"
                     f" AS given({fields}) RETURNING id, {keys}")
    payload = json.dumps([{name: json.dumps(value) if name in documents else _stored_time(value) if name in times
                           else value for name, value in row.items()} for row in rows])
    ids = {tuple(found[1:]): found[0] for found in connection.execute(statement, {"rows": payload})}
    return [ids[tuple(row[name] for name in key)] for row in rows]


def _stored_time(value: datetime | None) -> str | None:
    """As UTCDateTime stores it: naive UTC."""
    return None if value is None else UTCDateTime().process_bind_param(value, None).isoformat()
