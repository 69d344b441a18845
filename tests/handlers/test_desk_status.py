"""/desk status: which replica runs the scheduled jobs."""
from datetime import UTC, datetime, timedelta

from handlers.desk import describe_jobs
from storage.models import Lease

PERIOD = timedelta(seconds=30)


def test_desk_status_says_which_replica_runs_the_jobs():
    now = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    assert describe_jobs(None, now) == "Scheduled jobs: not started yet; start `socialdesk run`."
    row = Lease(name="jobs", holder="web-2:4711:abc123", expires_at=now + PERIOD, acquired_at=now - PERIOD)
    assert describe_jobs(row, now) == "Scheduled jobs: run by web-2:4711 since 08:59 UTC."
    assert describe_jobs(row, now + 2 * PERIOD).startswith("Scheduled jobs: NOT RUNNING. The lease of web-2:4711 ran out at")
