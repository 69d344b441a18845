"""Replies a guard held, kept for their author's "Publish anyway" on Discord.

A button's custom_id holds 100 characters and a reply up to 4,000, so the button carries a short
random token and the held reply waits in the database (`heldreply`): every replica receives the
press, and whichever claims it must find the reply. It is kept for `KEEP`, and only its author
may publish it; once it expired, the button says so and how to send it again. The hourly purge
job deletes the expired ones (a reply held for personal data should not linger).
"""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.clock import Clock
from storage.db import session_scope
from storage.models import HeldReply

KEEP = timedelta(hours=1)


class HeldReplies:
    def __init__(self, engine: Engine, clock: Clock) -> None:
        self.engine = engine
        self.clock = clock

    def hold(self, number: int, user_id: str, args: str) -> str:
        """Keep a held reply of conversation #number; returns its token (16 URL-safe characters)."""
        token = secrets.token_urlsafe(12)
        with session_scope(self.engine) as session:
            session.add(HeldReply(token=token, conversation_id=number, user_id=user_id, args=args, held_at=self.clock.now()))
        return token

    def get(self, token: str) -> HeldReply | None:
        with Session(self.engine) as session:
            return self._waiting(session.get(HeldReply, token))

    def take(self, token: str) -> HeldReply | None:
        """The held reply, removed: a second press of the same button, on any replica, finds nothing, so it is
        published once."""
        with session_scope(self.engine) as session:
            held = self._waiting(session.get(HeldReply, token))
            if held is None or session.exec(delete(HeldReply).where(HeldReply.token == token)).rowcount != 1:
                return None
            return held

    def _waiting(self, held: HeldReply | None) -> HeldReply | None:
        return held if held is not None and held.held_at >= self.clock.now() - KEEP else None


def forget_expired(engine: Engine, now: datetime) -> int:
    """Delete the held replies past `KEEP`; returns how many."""
    with session_scope(engine) as session:
        return session.exec(delete(HeldReply).where(HeldReply.held_at < now - KEEP)).rowcount
