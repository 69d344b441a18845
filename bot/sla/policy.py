"""Response-time targets: time measured the team's way, quiet hours and the reminder rhythm.

A priority in `around_the_clock` (or a team without business hours) counts wall-clock time;
every other target counts only working time, so a pause, a weekend or a holiday moves a due
time by the working time it covered and no more.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from bot.settings import WEEKDAYS, BusinessHoursConfig, QuietHoursConfig, SlaConfig
from bot.sla.business_time import BusinessHours, Holidays

URGENT = "urgent"  # the one priority quiet hours never hold back


@lru_cache(maxsize=8)
def _calendar(config: BusinessHoursConfig) -> BusinessHours:
    return BusinessHours(
        zone=ZoneInfo(config.timezone),
        weekdays=frozenset(WEEKDAYS.index(day) for day in config.days),
        start=config.start,
        end=config.end,
        holidays=Holidays(frozenset(config.holidays), config.country, config.subdivision),
    )


def days_off(config: BusinessHoursConfig) -> Holidays:
    """The team's holidays: the typed dates and, with a country, its public holidays (built once per config)."""
    return _calendar(config).holidays


def calendar(sla: SlaConfig, priority: str) -> BusinessHours | None:
    """The working hours a priority's targets count, or None when they run around the clock."""
    if sla.business_hours is None or priority in sla.around_the_clock:
        return None
    return _calendar(sla.business_hours)


def add(sla: SlaConfig, priority: str, moment: datetime, duration: timedelta) -> datetime:
    """`moment` plus `duration` of the time this priority counts."""
    hours = calendar(sla, priority)
    return hours.add(moment, duration) if hours else moment + duration


def elapsed(sla: SlaConfig, priority: str, start: datetime, end: datetime) -> timedelta:
    """The time this priority counts between `start` and `end` (zero if `end` is earlier)."""
    hours = calendar(sla, priority)
    return hours.between(start, end) if hours else max(end - start, timedelta())


def extend(sla: SlaConfig, priority: str, moment: datetime, paused_from: datetime, paused_to: datetime) -> datetime:
    """Move `moment` on by the counted time of a pause; a pause outside working hours moves nothing."""
    gained = elapsed(sla, priority, paused_from, paused_to)
    return add(sla, priority, moment, gained) if gained else moment


def reminder_interval(sla: SlaConfig, sent: int) -> timedelta:
    """The wait before the next reminder when `sent` reminders went out: 30m, 1h, 2h, … up to the cap."""
    return min(sla.remind_cap, sla.remind_after * 2 ** min(sent, 32))


def quiet_until(sla: SlaConfig, priority: str, now: datetime) -> datetime | None:
    """When quiet hours end if `now` falls in them and the priority must wait; otherwise None."""
    quiet = sla.quiet_hours
    if quiet is None or priority == URGENT:
        return None
    zone = ZoneInfo(quiet.timezone or sla.timezone)
    local = now.astimezone(zone)
    if not _inside(quiet, local.time().replace(tzinfo=None)):
        return None
    end = datetime.combine(local.date(), quiet.end, zone)
    if end <= now:
        end = datetime.combine(local.date() + timedelta(days=1), quiet.end, zone)
    return end.astimezone(UTC)


def _inside(quiet: QuietHoursConfig, moment) -> bool:
    if quiet.start < quiet.end:
        return quiet.start <= moment < quiet.end
    return moment >= quiet.start or moment < quiet.end  # the window spans midnight
