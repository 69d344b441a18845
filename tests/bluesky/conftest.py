"""The AT Protocol reference servers (@atproto/dev-env), started once per test session.

They need Node.js, the npm packages of this folder (`npm ci` here; `.ci/run` does it) and the
local PostgreSQL. Where one is missing the tests that use them are skipped with the reason;
SOCIALDESK_REQUIRE_NODE=1 (set by `.ci/run`) makes that a failure instead.
"""
from __future__ import annotations

import json
import os
import random
import select
import shutil
import string
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

HERE = Path(__file__).parent
REQUIRE_NODE = os.environ.get("SOCIALDESK_REQUIRE_NODE") == "1"
START_TIMEOUT = 180.0  # seconds; the first start compiles nothing but migrates two PostgreSQL schemas
SYNC_TIMEOUT = 60.0


def _missing() -> str | None:
    if shutil.which("node") is None:
        return "Node.js (node) is not installed"
    if not (HERE / "node_modules" / "@atproto" / "dev-env").is_dir():
        return "the npm packages of tests/bluesky are not installed (run `npm ci` in tests/bluesky)"
    return None


@dataclass
class Devnet:
    """A running TestNetwork: a PLC directory, a PDS, the Bluesky AppView and Ozone on 127.0.0.1."""

    pds: str
    appview: str
    process: subprocess.Popen

    def sync(self) -> None:
        """Wait until the AppView has indexed everything written to the PDS so far."""
        self.process.stdin.write(b"sync\n")
        self.process.stdin.flush()
        answer = json.loads(_read_line(self.process, SYNC_TIMEOUT))
        assert answer.get("synced"), f"the AppView did not catch up with the PDS: {answer}"


def _read_line(process: subprocess.Popen, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], 0.5)
        if ready:
            line = process.stdout.readline()
            if line:
                return line.decode()
        if process.poll() is not None:
            break
    raise RuntimeError(f"devnet.mjs gave no answer within {timeout:.0f}s (exit code {process.poll()}); "
                       f"see {HERE / 'devnet.log'}")


@pytest.fixture(scope="session")
def devnet(postgres_admin_url: str):
    reason = _missing()
    if reason:
        if REQUIRE_NODE:
            pytest.fail(f"{reason}; SOCIALDESK_REQUIRE_NODE=1 makes the Bluesky integration test mandatory")
        pytest.skip(f"{reason}: the Bluesky integration test runs the reference servers (.ci/run makes it mandatory)")
    schema = "devnet_" + "".join(random.choices(string.ascii_lowercase, k=10))  # the AppView allows [A-Za-z_] only
    database = postgres_admin_url.replace("postgresql+psycopg://", "postgresql://")
    log = open(HERE / "devnet.log", "wb")  # noqa: SIM115 - open for the whole session
    process = subprocess.Popen(["node", "devnet.mjs"], cwd=HERE, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=log, env={**os.environ, "DEVNET_SCHEMA": schema, "DB_POSTGRES_URL": database})
    try:
        urls = json.loads(_read_line(process, START_TIMEOUT))
        yield Devnet(urls["pds"], urls["appview"], process)
    finally:
        process.stdin.close()  # devnet.mjs shuts down when its stdin closes
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        admin = create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            for prefix in ("appview", "ozone"):
                connection.execute(text(f'drop schema if exists "{prefix}_{schema}" cascade'))
        admin.dispose()
