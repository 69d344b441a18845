"""The scheduler lease: one holder at a time, renewal, takeover after expiry or the holder's death, hand-over."""
import os
import socket
import subprocess
import sys
from datetime import timedelta

from sqlmodel import Session

from bot.app.lease import Lease, _pid_namespace, dead_here, holder_name
from storage.db import make_engine, upgrade
from storage.models import JOBS_LEASE
from storage.models import Lease as LeaseRow
from tests.auxil.clock import FakeClock

PERIOD = timedelta(seconds=30)


def leases(db_url, clock, *names):
    engine = make_engine(db_url)
    upgrade(engine)
    return engine, [Lease(engine, clock, PERIOD, holder=name) for name in names]


def holder(engine) -> LeaseRow | None:
    with Session(engine) as session:
        return session.get(LeaseRow, JOBS_LEASE)


def test_one_holder_at_a_time_and_takeover_once_the_lease_runs_out(db_url):
    clock = FakeClock()
    engine, (a, b) = leases(db_url, clock, "replica-a", "replica-b")
    assert a.refresh() and a.held()
    assert not b.refresh() and not b.held()
    for _ in range(6):  # a renews every third of the period: b never gets in
        clock.advance(PERIOD / 3)
        assert a.refresh() and not b.refresh()
    assert holder(engine).holder == "replica-a"
    clock.advance(PERIOD / 3 * 2)  # a stops renewing (it died, or hangs)
    assert not b.refresh(), "not before the lease has run out"
    assert a.held(), "a still counts itself the leader"
    clock.advance(PERIOD / 3)
    assert not a.held(), "a stops counting itself the leader before anyone else can take over"
    clock.advance(timedelta(seconds=1))
    assert b.refresh() and b.held()
    assert holder(engine).holder == "replica-b" and holder(engine).acquired_at == clock.now()
    assert not a.refresh() and not a.held(), "the old leader learns it lost the lease"
    engine.dispose()


def test_release_hands_over_at_the_next_attempt(db_url):
    clock = FakeClock()
    engine, (a, b) = leases(db_url, clock, "replica-a", "replica-b")
    assert a.refresh()
    a.release()
    assert not a.held()
    assert b.refresh()
    engine.dispose()


def test_a_holder_that_died_on_this_host_is_replaced_at_once(db_url):
    clock = FakeClock()
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    here = f"{socket.gethostname()}:{{pid}}:{_pid_namespace()}:{{tag}}"
    engine, (dead, alive, restarted) = leases(db_url, clock, here.format(pid=gone.pid, tag="abc123"),
                                              here.format(pid=os.getppid(), tag="def456"), "replica-b")
    assert dead_here(dead.holder) and not dead_here(alive.holder) and not dead_here("elsewhere:1:-:abc")
    assert dead.refresh()
    assert restarted.refresh(), "no need to wait for a dead process's lease"
    assert not alive.refresh()
    engine.dispose()


def test_a_holder_in_another_pid_namespace_on_the_same_host_waits_for_expiry():
    """Two containers sharing a host name (host networking), both pid 1: neither is a dead process of the other."""
    other_container = f"{socket.gethostname()}:{os.getpid()}:4026530000:abc123"
    same_pid_elsewhere = f"{socket.gethostname()}:1:4026530000:def456"
    assert _pid_namespace() != "4026530000"
    assert not dead_here(other_container) and not dead_here(same_pid_elsewhere)
    assert holder_name().split(":")[:3] == [socket.gethostname(), str(os.getpid()), _pid_namespace()]
