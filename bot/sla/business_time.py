"""Business time: adding a response target to a moment, counting only working hours.

Arithmetic happens in UTC; each day's window is placed in the team's time zone, so a daylight
saving change moves the window with the wall clock and never stretches or shrinks a target.
"""
from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays as public_holidays

MAX_DAYS = 3 * 366  # a target that cannot be placed within three years is a configuration error


class Holidays:
    """The days off: dates typed by hand, merged with a country's (and region's) public holidays, any year."""

    def __init__(self, typed: frozenset[date] = frozenset(), country: str | None = None,
                 subdivision: str | None = None) -> None:
        self.typed = typed
        # the `holidays` package fills in each year as it is asked about
        self.public = public_holidays.country_holidays(country, subdiv=subdivision) if country else None

    def __contains__(self, day: object) -> bool:
        return day in self.typed or (self.public is not None and day in self.public)

    def name(self, day: date) -> str | None:
        """What the day is called by its country's calendar; "holiday" for a typed date; None on a working day."""
        if self.public is not None and day in self.public:
            return self.public.get(day)
        return "holiday" if day in self.typed else None

    def upcoming(self, today: date, count: int, within: timedelta = timedelta(days=366)) -> list[tuple[date, str]]:
        """The next `count` holidays from `today` on (today included), at most `within` ahead."""
        found = []
        day = today
        while len(found) < count and day <= today + within:
            name = self.name(day)
            if name:
                found.append((day, name))
            day += timedelta(days=1)
        return found


@dataclass(frozen=True)
class BusinessHours:
    zone: ZoneInfo
    weekdays: frozenset[int]  # 0 = Monday
    start: time
    end: time
    holidays: Container[date] = frozenset()

    def window(self, day: date) -> tuple[datetime, datetime] | None:
        """The working window of `day` in UTC, or None on a day off."""
        if day.weekday() not in self.weekdays or day in self.holidays:
            return None
        opens = datetime.combine(day, self.start, self.zone).astimezone(UTC)
        closes = datetime.combine(day, self.end, self.zone).astimezone(UTC)
        return opens, closes

    def add(self, moment: datetime, duration: timedelta) -> datetime:
        """`moment` plus `duration` of working time."""
        remaining = duration
        cursor = moment.astimezone(UTC)
        day = cursor.astimezone(self.zone).date()
        for _ in range(MAX_DAYS):
            window = self.window(day)
            if window and cursor < window[1]:
                cursor = max(cursor, window[0])
                available = window[1] - cursor
                if remaining <= available:
                    return cursor + remaining
                remaining -= available
            day += timedelta(days=1)
        raise ValueError("no working time within three years: check [sla.business_hours]")

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Working time from `start` to `end` (zero if `end` is earlier)."""
        total = timedelta()
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        day = start.astimezone(self.zone).date()
        last = end.astimezone(self.zone).date()
        while day <= last:
            window = self.window(day)
            if window:
                overlap = min(end, window[1]) - max(start, window[0])
                total += max(overlap, timedelta())
            day += timedelta(days=1)
        return total
