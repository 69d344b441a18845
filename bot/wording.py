"""Words for times and untrusted names in short chat messages, shared by commands, nudges and the digest."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo


def span(delta: timedelta) -> str:
    """'under a minute', '5 min', '2 h', '3 h 20 min', '4 days'."""
    minutes = int(delta.total_seconds() // 60)
    if minutes < 1:
        return "under a minute"
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours >= 48:
        return f"{hours // 24} days"
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def time_left(due: datetime | None, now: datetime) -> str:
    if due is None:
        return "answered"
    left = due - now
    return f"due in {span(left)}" if left >= timedelta() else f"OVERDUE by {span(-left)}"


def plain(handle: str) -> str:
    """Handles come from the internet: keep them from turning into chat markup."""
    return "".join(ch for ch in handle if ch not in "<>&")


def clock_time(moment: datetime, zone: str, now: datetime) -> str:
    """'16:30 CET' today, 'Tue 3 Nov 09:00 CET' on another day, in the team's time zone."""
    tz = ZoneInfo(zone)
    local = moment.astimezone(tz)
    if local.date() == now.astimezone(tz).date():
        return f"{local:%H:%M %Z}"
    return f"{local:%a} {local.day} {local:%b %H:%M %Z}"


NEXT_DAYS = {-1: "yesterday", 1: "tomorrow"}
SOON = timedelta(hours=12)  # nearer than this, a due time reads best as time left


def day_time(moment: datetime, zone: str, now: datetime) -> str:
    """clock_time, with the days next to today named: '16:30 CET', 'tomorrow 09:00 CET', 'Thu 5 Nov 09:00 CET'."""
    tz = ZoneInfo(zone)
    local = moment.astimezone(tz)
    days = (local.date() - now.astimezone(tz).date()).days
    return f"{NEXT_DAYS[days]} {local:%H:%M %Z}" if days in NEXT_DAYS else clock_time(moment, zone, now)


def due_when(due: datetime | None, zone: str, now: datetime) -> str:
    """A due time as a person reads it: 'due in 14 min (09:37 UTC)', 'due tomorrow 09:22 UTC', 'overdue by 5 min (09:17 UTC)'."""
    if due is None:
        return "answered"
    at = day_time(due, zone, now)
    left = due - now
    if left < timedelta():
        return f"overdue by {span(-left)} ({at})"
    return f"due in {span(left)} ({at})" if left < SOON else f"due {at}"


def count(number: int, noun: str) -> str:
    """'1 conversation', '3 conversations'."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
