"""Words for times and untrusted names in short chat messages, shared by commands, nudges and the digest."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import regex

# Bidi embedding, override and isolate controls, and the marks: untrusted text could reorder what is around it.
BIDI = regex.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
CONTROL = regex.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # keeps \t and \n
# Markup in Slack mrkdwn or Discord markdown: an underscore only at a word's edge (snake_case names stay whole), the
# colon of a bare link's "://".
MARKUP = regex.compile(r"[<>&*~`|\[\]\\#]|(?<![^\W_])_|_(?![^\W_])|:(?=//)")


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


def clean(text: str) -> str:
    """Text as shown: no bidi controls, no control characters but tab and newline."""
    return CONTROL.sub("", BIDI.sub("", text))


def graphemes(text: str) -> list[str]:
    """What a reader sees as characters: an emoji sequence, a letter with its combining marks, a Thai cluster."""
    return regex.findall(r"\X", text)


def cut(text: str, limit: int, marker: str = "…") -> str:
    """`text` in at most `limit` characters, cut between graphemes, with `marker` where it was cut."""
    if len(text) <= limit:
        return text
    kept, size = [], len(marker)
    for piece in graphemes(text):
        if size + len(piece) > limit:
            break
        kept.append(piece)
        size += len(piece)
    return "".join(kept) + marker


def plain(text: str) -> str:
    """A handle, a display name or an error message from the internet, made plain for any chat: one line, no markup
    characters, no bidi controls."""
    return " ".join(MARKUP.sub("", clean(text)).split())


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
