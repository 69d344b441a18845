"""The demo's fast clock: a real second is a minute, so SLA nudges show up while you watch."""
from datetime import UTC, datetime, timedelta

from bot.app.demo import FAST, demo_config
from bot.clock import FastClock
from bot.settings import parse_config


def test_fast_time_runs_sixty_times_faster_from_its_start():
    real = [100.0]
    clock = FastClock(FAST, start=datetime(2026, 11, 2, 9, tzinfo=UTC), monotonic=lambda: real[0])
    assert clock.now() == datetime(2026, 11, 2, 9, tzinfo=UTC)
    real[0] += 15  # fifteen real seconds: an urgent conversation's whole 15-minute target
    assert clock.now() == datetime(2026, 11, 2, 9, 15, tzinfo=UTC)


def test_the_demo_sweeps_every_second_and_escalates_in_the_terminal(tmp_path):
    config = parse_config(demo_config(tmp_path, "Alex Demo", "AD"))
    assert config.sla.sweep_every == timedelta(seconds=1)
    assert config.sla.escalation["console"].channel == "#escalations"
    assert config.sla.first_response["urgent"] / FAST == timedelta(seconds=15)  # a breach within a minute
