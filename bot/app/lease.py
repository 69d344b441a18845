"""Which replica runs the scheduled jobs: a lease row in the database, held by one process at a time.

The holder renews it every third of the lease period. A replica may take it only once it has
expired, with one conditional UPDATE, so two replicas can never both win (PostgreSQL re-checks
the condition on the row a concurrent winner just wrote; SQLite serialises writers). If the
holder dies, its lease runs out and a standby takes over at its next attempt: within a lease
period and a third (at once when the dead holder was a process of the same host and PID namespace, as after a restart).
The holder counts itself the leader only until a margin before its own expiry, so an old
leader stops before a new one can start.
"""
from __future__ import annotations

import logging
import os
import socket
import uuid
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bot.clock import Clock
from storage.db import session_scope
from storage.models import JOBS_LEASE
from storage.models import Lease as LeaseRow

log = logging.getLogger(__name__)


def holder_name() -> str:
    """host:pid:pid-namespace:random. The namespace tells two containers that share a host name (both pid 1,
    say) apart, so neither mistakes the other for a dead process of its own."""
    return f"{socket.gethostname()}:{os.getpid()}:{_pid_namespace()}:{uuid.uuid4().hex[:6]}"


def _pid_namespace() -> str:
    try:
        return os.readlink("/proc/self/ns/pid").removeprefix("pid:[").removesuffix("]")
    except OSError:
        return "-"  # no /proc (not Linux): one namespace per host


def dead_here(holder: str) -> bool:
    """A holder in this host's and this process namespace whose process is gone (or whose pid is now ours: a
    restart), so a restarted single process need not wait for its own old lease to run out. Elsewhere, or for
    a holder named otherwise, only expiry counts."""
    parts = holder.split(":")
    if len(parts) != 4 or parts[0] != socket.gethostname() or parts[2] != _pid_namespace() or not parts[1].isdigit():
        return False
    pid = int(parts[1])
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, under another user
    return False


class Lease:
    def __init__(self, engine: Engine, clock: Clock, period: timedelta, *, name: str = JOBS_LEASE,
                 holder: str | None = None) -> None:
        self.engine = engine
        self.clock = clock
        self.period = period
        self.name = name
        self.holder = holder or holder_name()
        self._until: datetime | None = None  # our lease's expiry, as written by us

    @property
    def renew_every(self) -> timedelta:
        return self.period / 3

    def held(self) -> bool:
        """True while this process may run the jobs (a margin short of its lease's expiry)."""
        return self._until is not None and self.clock.now() < self._until - self.period / 6

    def refresh(self) -> bool:
        """Take the lease if it is free, expired or its holder is dead; renew it if it is ours.
        Returns whether we hold it."""
        was_held = self._until is not None
        now = self.clock.now()
        until = now + self.period
        with session_scope(self.engine) as session:
            row = session.get(LeaseRow, self.name)
            if row is None:
                taken = self._insert(session, now, until)
            else:
                takeable = or_(LeaseRow.holder == self.holder, LeaseRow.expires_at < now)
                if row.holder != self.holder and dead_here(row.holder):
                    takeable = or_(takeable, LeaseRow.holder == row.holder)
                taken = session.exec(update(LeaseRow).where(LeaseRow.name == self.name, takeable)
                                     .values(holder=self.holder, expires_at=until)).rowcount
                if taken and not was_held:
                    session.exec(update(LeaseRow).where(LeaseRow.name == self.name).values(acquired_at=now))
        self._until = until if taken else None
        if bool(taken) != was_held:
            log.info("lease %s: %s (%s)", self.name, "this replica runs the scheduled jobs" if taken
                     else "another replica runs the scheduled jobs", self.holder)
        return bool(taken)

    def release(self) -> None:
        """Give the lease up at shutdown, so a standby takes over at its next attempt."""
        if self._until is None:
            return
        with session_scope(self.engine) as session:
            session.exec(update(LeaseRow).where(LeaseRow.name == self.name, LeaseRow.holder == self.holder)
                         .values(expires_at=self.clock.now() - timedelta(seconds=1)))
        self._until = None

    def _insert(self, session, now: datetime, until: datetime) -> int:
        try:
            with session.begin_nested():
                session.add(LeaseRow(name=self.name, holder=self.holder, expires_at=until, acquired_at=now))
        except IntegrityError:
            return 0  # the row exists and someone else holds it
        return 1
