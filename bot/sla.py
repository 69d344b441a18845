"""Response-time targets: when a first response is due, in business time where the team has hours."""
from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from bot.business_time import BusinessHours
from bot.settings import WEEKDAYS, BusinessHoursConfig, SlaConfig


@lru_cache(maxsize=8)
def _calendar(config: BusinessHoursConfig) -> BusinessHours:
    return BusinessHours(
        zone=ZoneInfo(config.timezone),
        weekdays=frozenset(WEEKDAYS.index(day) for day in config.days),
        start=config.start,
        end=config.end,
        holidays=frozenset(config.holidays),
    )


def first_response_due(sla: SlaConfig, opened: datetime, priority: str) -> datetime:
    target = sla.first_response[priority]
    if sla.business_hours is None or priority in sla.around_the_clock:
        return opened + target
    return _calendar(sla.business_hours).add(opened, target)
