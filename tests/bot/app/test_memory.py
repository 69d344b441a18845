"""bot/app/memory.py: the collector's settings `socialdesk run` starts with."""
import gc

from bot.app.memory import YOUNG_THRESHOLD, tune_collector


def test_the_collector_looks_for_cycles_less_often_and_leaves_start_up_out():
    before = gc.get_threshold()
    try:
        tune_collector()
        assert gc.get_threshold() == (YOUNG_THRESHOLD, *before[1:]) and gc.get_threshold()[0] > 700  # CPython's
        assert gc.get_freeze_count() > 0  # what start-up made is no longer looked through
        cycle = []
        cycle.append(cycle)
        del cycle
        assert gc.collect() >= 1  # cycles are still freed
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
