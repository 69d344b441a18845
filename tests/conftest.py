"""Shared fixtures: real databases (SQLite and PostgreSQL), no internet, small factories."""
from __future__ import annotations

import os
import uuid

import pytest
from hypothesis import settings
from sqlalchemy import create_engine, text

from tests.auxil.networking import forbid_internet

PG_ADMIN_URL = os.environ.get("SOCIALDESK_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REQUIRE_PG = os.environ.get("SOCIALDESK_REQUIRE_PG") == "1"

# Property tests explore new examples on every run on a developer's machine, where a find is fixed before it lands;
# in CI (.ci/run sets CI=1) they replay the same examples each time, so a merge is judged by what it changed.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


def pytest_sessionstart(session) -> None:
    forbid_internet()


def _postgres_available() -> str | None:
    try:
        engine = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 2})
        with engine.connect() as connection:
            connection.execute(text("select 1"))
        engine.dispose()
        return None
    except Exception as error:  # noqa: BLE001 - any failure means "not available here"
        return f"PostgreSQL not reachable at {engine.url.host}:{engine.url.port} ({error.__class__.__name__})"


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    reason = _postgres_available()
    if reason:
        if REQUIRE_PG:
            pytest.fail(f"{reason}; SOCIALDESK_REQUIRE_PG=1 makes PostgreSQL tests mandatory")
        pytest.skip(f"{reason}: the PostgreSQL half of the storage tests needs it (.ci/run makes it mandatory)")
    return PG_ADMIN_URL


@pytest.fixture
def postgres_url(request, postgres_admin_url: str):
    """A fresh schema per test on the local PostgreSQL, dropped afterwards."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'create schema "{schema}"'))
    yield f"{postgres_admin_url}?options=-csearch_path%3D{schema}"
    with admin.connect() as connection:
        connection.execute(text(f'drop schema "{schema}" cascade'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request, tmp_path) -> str:
    """Every storage and pipeline test runs on both databases."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'socialdesk.db'}"
    return request.getfixturevalue("postgres_url")
