"""Claiming inbound chat events: the first replica wins, however many try at once; old claims are forgotten."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from bot.desk.events import KEEP, claim_event, forget_claims
from storage.db import make_engine, upgrade

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
REPLICAS = 8


def test_one_of_many_replicas_claiming_the_same_event_at_once_wins(db_url):
    engines = [make_engine(db_url) for _ in range(REPLICAS)]  # each replica has its own connections
    upgrade(engines[0])
    start = threading.Barrier(REPLICAS)

    def claim(engine) -> bool:
        start.wait()
        return claim_event(engine, "discord", "1234567890123456789", NOW)

    try:
        with ThreadPoolExecutor(REPLICAS) as pool:
            won = list(pool.map(claim, engines))
        assert won.count(True) == 1
        assert claim_event(engines[0], "slack", "1234567890123456789", NOW), "another platform's id is another event"
        assert not claim_event(engines[1], "discord", "1234567890123456789", NOW + KEEP * 2), "claimed for good"
    finally:
        for engine in engines:
            engine.dispose()


def test_claims_are_forgotten_after_keep(db_url):
    engine = make_engine(db_url)
    upgrade(engine)
    try:
        assert claim_event(engine, "slack", "C1:1800.1", NOW)
        assert claim_event(engine, "slack", "C1:1800.2", NOW + timedelta(days=1))
        assert forget_claims(engine, NOW + KEEP) == 0
        assert forget_claims(engine, NOW + KEEP + timedelta(seconds=1)) == 1
        assert not claim_event(engine, "slack", "C1:1800.2", NOW + KEEP), "the newer claim stays"
    finally:
        engine.dispose()
