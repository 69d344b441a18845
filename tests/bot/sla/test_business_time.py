"""Business hours across weekends, holidays and daylight saving changes; time is given, never waited for."""
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.sla.business_time import BusinessHours

BERLIN = ZoneInfo("Europe/Berlin")
OFFICE = BusinessHours(BERLIN, frozenset(range(5)), time(9), time(17), frozenset({date(2026, 12, 25)}))


def berlin(*args) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


@pytest.mark.parametrize("start,hours,due", [
    (berlin(2026, 11, 2, 10), 1, berlin(2026, 11, 2, 11)),  # inside the day
    (berlin(2026, 11, 2, 7), 1, berlin(2026, 11, 2, 10)),  # before opening: the clock starts at 9
    (berlin(2026, 11, 6, 16), 4, berlin(2026, 11, 9, 12)),  # Friday afternoon -> Monday
    (berlin(2026, 11, 7, 12), 1, berlin(2026, 11, 9, 10)),  # written on Saturday
    (berlin(2026, 12, 24, 16), 2, berlin(2026, 12, 28, 10)),  # Christmas Day is a holiday, then the weekend
    (berlin(2026, 3, 27, 16), 2, berlin(2026, 3, 30, 10)),  # over the spring-forward weekend
    (berlin(2026, 10, 23, 16), 2, berlin(2026, 10, 26, 10)),  # over the fall-back weekend
    (berlin(2026, 11, 2, 10), 24, berlin(2026, 11, 5, 10)),  # a day's target is three working days
])
def test_add(start, hours, due):
    assert OFFICE.add(start, timedelta(hours=hours)) == due


def test_a_dst_change_neither_stretches_nor_shrinks_a_window():
    before = OFFICE.window(date(2026, 3, 27))
    after = OFFICE.window(date(2026, 3, 30))
    assert before[1] - before[0] == after[1] - after[0] == timedelta(hours=8)
    assert before[0] == datetime(2026, 3, 27, 8, tzinfo=UTC) and after[0] == datetime(2026, 3, 30, 7, tzinfo=UTC)


def test_between_counts_only_working_time():
    assert OFFICE.between(berlin(2026, 11, 6, 16), berlin(2026, 11, 9, 10)) == timedelta(hours=2)
    assert OFFICE.between(berlin(2026, 11, 9, 10), berlin(2026, 11, 6, 16)) == timedelta()
    start = berlin(2026, 3, 27, 12)
    due = OFFICE.add(start, timedelta(hours=7))
    assert OFFICE.between(start, due) == timedelta(hours=7)


def test_no_working_days_is_an_error_not_a_hang():
    closed = BusinessHours(BERLIN, frozenset(), time(9), time(17))
    with pytest.raises(ValueError, match="business_hours"):
        closed.add(berlin(2026, 11, 2, 10), timedelta(hours=1))
