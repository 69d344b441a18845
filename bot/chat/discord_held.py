"""Replies a guard held, kept for their author's "Publish anyway" on Discord.

A button's custom_id holds 100 characters and a reply up to 4,000, so the button carries a short
random token and the held reply waits here, in the memory of the process that holds the gateway
connection (the one that receives the presses). It is kept for `KEEP`, and only its author may
publish it; after a restart or once it expired, the button says so and how to send it again.
"""
from __future__ import annotations

import secrets
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock

KEEP = timedelta(hours=1)
LIMIT = 1000  # held replies kept at most; the oldest go first


@dataclass(frozen=True)
class HeldReply:
    number: int
    user_id: str  # the Discord user who wrote it: nobody else may publish it
    args: str  # the reply command's args that publish it anyway (`--anyway` and any other flags, then the text)
    held_at: datetime


class HeldReplies:
    def __init__(self, clock: Clock, keep: timedelta = KEEP, limit: int = LIMIT) -> None:
        self.clock = clock
        self.keep = keep
        self.limit = limit
        self._held: OrderedDict[str, HeldReply] = OrderedDict()

    def hold(self, number: int, user_id: str, args: str) -> str:
        """Keep a held reply; returns its token (16 URL-safe characters)."""
        self._forget_expired()
        while len(self._held) >= self.limit:
            self._held.popitem(last=False)
        token = secrets.token_urlsafe(12)
        self._held[token] = HeldReply(number, user_id, args, self.clock.now())
        return token

    def get(self, token: str) -> HeldReply | None:
        self._forget_expired()
        return self._held.get(token)

    def take(self, token: str) -> HeldReply | None:
        """The held reply, removed: a second press of the same button finds nothing, so it is published once."""
        self._forget_expired()
        return self._held.pop(token, None)

    def _forget_expired(self) -> None:
        oldest = self.clock.now() - self.keep
        while self._held and next(iter(self._held.values())).held_at < oldest:
            self._held.popitem(last=False)
