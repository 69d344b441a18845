"""Turning typed text into a handler `Request`, the same way for every chat platform.

Slash commands carry the conversation number first (`/reply 42 text`); inside a
conversation's thread the number is implied and commands start with `!` (`!reply text`).
Any other thread message is an internal note.
"""
from __future__ import annotations

import re

from handlers import NEEDS_NUMBER, USAGE
from handlers.context import Actor, Request

_NUMBER = re.compile(r"^#?(\d{1,12})\b\s*(.*)$", re.S)


class CommandError(ValueError):
    """The text could not be read as a command; the message says how to type it."""


def parse_slash(command: str, text: str, actor: Actor) -> Request:
    name = command.lstrip("/").lower()
    if name not in USAGE:
        raise CommandError(f"Unknown command /{name}. Try: " + ", ".join(f"/{n}" for n in USAGE) + ".")
    if name not in NEEDS_NUMBER:
        return Request(command=name, actor=actor, args=text.strip())
    match = _NUMBER.match(text.strip())
    if not match:
        raise CommandError(f"Which conversation? Usage: {USAGE[name]}")
    return Request(command=name, actor=actor, number=int(match.group(1)), args=match.group(2))


def parse_thread_message(text: str, number: int, actor: Actor, message_id: str | None) -> Request:
    stripped = text.strip()
    if not stripped.startswith("!"):
        return Request(command="note", actor=actor, number=number, args=stripped, message_id=message_id)
    name, _, args = stripped[1:].partition(" ")
    name = name.lower()
    if name not in USAGE:
        bangs = ", ".join(f"!{n}" for n in USAGE)
        raise CommandError(f"Unknown command !{name}; nothing was done. In a thread you can use {bangs}.")
    return Request(command=name, actor=actor, number=number, args=args.strip(), message_id=message_id)
