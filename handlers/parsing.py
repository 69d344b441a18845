"""Typed text to a handler `Request` and back, the same way for every chat platform.

Slash commands carry the conversation number first (`/reply 42 text`); inside a
conversation's thread the number is implied and commands start with `!` (`!reply text`).
Any other thread message is an internal note.
"""
from __future__ import annotations

import re

from bot.wording import cut
from handlers import TYPED
from handlers.context import Actor, Outcome, Request, parse_flags

ECHO_LIMIT = 2000  # characters of a refused reply shown back to its author

_NUMBER = re.compile(r"^#?(\d{1,12})\b\s*(.*)$", re.S)


class CommandError(ValueError):
    """The text could not be read as a command; the message says how to type it."""


def parse_slash(command: str, text: str, actor: Actor, prefix: str = "") -> Request:
    """`prefix` is what the workspace's slash commands start with (`[slack] command_prefix`: /sd-claim)."""
    typed = command.lstrip("/").lower()
    name = typed.removeprefix(prefix)
    if name not in TYPED or not typed.startswith(prefix):
        raise CommandError(f"Unknown command /{typed}. Try: " + ", ".join(f"/{prefix}{n}" for n in TYPED) + ".")
    if not TYPED[name].needs_number:
        return Request(command=name, actor=actor, args=text.strip())
    match = _NUMBER.match(text.strip())
    if not match:
        raise CommandError(f"Which conversation? Usage: {TYPED[name].usage}")
    return Request(command=name, actor=actor, number=int(match.group(1)), args=match.group(2))


def parse_thread_message(text: str, number: int, actor: Actor, message_id: str | None) -> Request:
    stripped = text.strip()
    if not stripped.startswith("!"):
        return Request(command="note", actor=actor, number=number, args=stripped, message_id=message_id)
    name, _, args = stripped[1:].partition(" ")
    name = name.lower()
    if name not in TYPED:
        bangs = ", ".join(f"!{n}" for n in TYPED)
        raise CommandError(f"Unknown command !{name}; nothing was done. In a thread you can use {bangs}.")
    return Request(command=name, actor=actor, number=number, args=args.strip(), message_id=message_id)


def with_reply_text(outcome: Outcome, request: Request) -> str:
    """The outcome; a reply that was not sent comes back with its text, to fix and send again (a slash command or
    a Discord modal keeps no copy of what was typed)."""
    _, text = parse_flags(request.args)
    if outcome.ok or request.command != "reply" or not text:
        return outcome.text
    shown = cut(text, ECHO_LIMIT, marker="")
    fenced = shown.replace("```", "`\u200b``")  # the text cannot close the code block early
    if len(shown) < len(text):
        return (f"{outcome.text}\n\nThe first {len(shown):,} of your reply's {len(text):,} characters, to fix and send "
                f"again:\n```\n{fenced}\n```")
    return f"{outcome.text}\n\nYour reply, to fix and send again:\n```\n{fenced}\n```"


def typed_command(text: str) -> str | None:
    """The command a message types (`!claim …` -> "claim"), or None for any other message."""
    stripped = text.strip()
    name = stripped[1:].split(None, 1)[0].lower() if stripped.startswith("!") and len(stripped) > 1 else ""
    return name if name in TYPED else None


def not_in_a_conversation(text: str) -> str:
    """What to tell someone who typed a `!command` where no conversation is implied."""
    command = TYPED[typed_command(text)]
    return (f"`!{command.name}` works inside a conversation's thread, where the conversation is implied; this is not "
            f"one, so nothing was done. Here, type the slash command instead: `{command.usage}`"
            + (" (the number is on each conversation's first message; `/queue` lists them)." if command.needs_number
               else "."))
