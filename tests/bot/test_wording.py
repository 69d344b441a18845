"""Due times as a person reads them: time left when it is soon, the day when it is not today."""
from datetime import UTC, datetime, timedelta

import pytest

from bot.wording import day_time, due_when

NOW = datetime(2026, 11, 2, 9, 23, tzinfo=UTC)  # a Monday


@pytest.mark.parametrize("due,zone,text", [
    (NOW + timedelta(minutes=14), "UTC", "due in 14 min (09:37 UTC)"),
    (NOW + timedelta(hours=3, minutes=7), "Europe/Berlin", "due in 3 h 7 min (13:30 CET)"),
    (NOW + timedelta(hours=14, minutes=40), "UTC", "due tomorrow 00:03 UTC"),
    (NOW + timedelta(hours=24), "UTC", "due tomorrow 09:23 UTC"),
    (NOW + timedelta(hours=15), "America/New_York", "due 19:23 EST"),
    (NOW + timedelta(days=3), "UTC", "due Thu 5 Nov 09:23 UTC"),
    (NOW + timedelta(minutes=40), "Asia/Tokyo", "due in 40 min (19:03 JST)"),
    (NOW + timedelta(hours=11, minutes=30), "UTC", "due in 11 h 30 min (20:53 UTC)"),
    (NOW - timedelta(minutes=5), "UTC", "overdue by 5 min (09:18 UTC)"),
    (NOW - timedelta(hours=10), "UTC", "overdue by 10 h (yesterday 23:23 UTC)"),
    (NOW, "UTC", "due in under a minute (09:23 UTC)"),
    (None, "UTC", "answered"),
])
def test_due_when(due, zone, text):
    assert due_when(due, zone, NOW) == text


def test_day_time_names_the_days_next_to_today_in_the_teams_zone():
    assert day_time(NOW + timedelta(hours=2), "UTC", NOW) == "11:23 UTC"
    assert day_time(NOW + timedelta(hours=15), "UTC", NOW) == "tomorrow 00:23 UTC"
    assert day_time(NOW + timedelta(hours=15), "America/New_York", NOW) == "19:23 EST"  # still Monday in New York
    assert day_time(NOW - timedelta(hours=10), "Asia/Tokyo", NOW) == "08:23 JST"  # Tokyo's Monday morning
    assert day_time(NOW - timedelta(hours=20), "Asia/Tokyo", NOW) == "yesterday 22:23 JST"
    assert day_time(NOW + timedelta(days=2), "Europe/Berlin", NOW) == "Wed 4 Nov 10:23 CET"
