"""An in-memory ChatPort that records what the core sends and can fail on demand."""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from bot.ports import ChatError
from bot.views import Attachment, ChatRef, ConversationView, IncidentView, Notice, ThreadMessage


class SimulatedCrash(BaseException):
    """Stands for the process dying: not an Exception, so no error handling in the code under test catches it."""


@dataclass
class Sent:
    channel: str
    thread_id: str | None
    message_id: str
    key: str
    body: object


@dataclass
class RecordingChat:
    platform: str = "slack"
    parents: list[Sent] = field(default_factory=list)
    replies: list[Sent] = field(default_factory=list)
    channel_posts: list[Sent] = field(default_factory=list)  # top-level messages of the bot's own (post_to_channel)
    updates: list[tuple[ChatRef, ConversationView]] = field(default_factory=list)
    incidents: list[Sent] = field(default_factory=list)  # incidents' messages (post_incident)
    incident_updates: list[tuple[ChatRef, IncidentView]] = field(default_factory=list)
    thread_updates: list[tuple[ChatRef, str, ThreadMessage]] = field(default_factory=list)  # (thread, message id, body)
    told: list[tuple[str, str, str]] = field(default_factory=list)
    uploads: list[Sent] = field(default_factory=list)  # body: (files, comment)
    failures: list[tuple[str, ChatError]] = field(default_factory=list)  # (channel or "*", error), used once each
    crash_after_send: bool = False  # send, then raise as if the process died before recording it
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def fail_next(self, error: ChatError, channel: str = "*") -> None:
        self.failures.append((channel, error))

    def _maybe_fail(self, channel: str) -> None:
        for index, (where, error) in enumerate(self.failures):
            if where in ("*", channel):
                del self.failures[index]
                raise error

    def _after_send(self) -> None:
        if self.crash_after_send:
            raise SimulatedCrash("after the message reached chat")

    async def post_conversation(self, channel: str, view: ConversationView, key: str) -> ChatRef:
        self._maybe_fail(channel)
        sent = Sent(channel, None, f"{next(self._ids)}.0", key, view)
        self.parents.append(sent)
        self._after_send()
        return ChatRef(channel, sent.message_id)

    async def update_conversation(self, ref: ChatRef, view: ConversationView) -> None:
        self._maybe_fail(ref.channel)
        self.updates.append((ref, view))

    async def post_incident(self, channel: str, view: IncidentView, key: str) -> ChatRef:
        self._maybe_fail(channel)
        sent = Sent(channel, None, f"{next(self._ids)}.0", key, view)
        self.incidents.append(sent)
        self._after_send()
        return ChatRef(channel, sent.message_id)

    async def update_incident(self, ref: ChatRef, view: IncidentView) -> None:
        self._maybe_fail(ref.channel)
        self.incident_updates.append((ref, view))

    async def post_in_thread(self, ref: ChatRef, message: ThreadMessage, key: str) -> str:
        self._maybe_fail(ref.channel)
        sent = Sent(ref.channel, ref.thread_id, f"{next(self._ids)}.0", key, message)
        self.replies.append(sent)
        self._after_send()
        return sent.message_id

    async def update_in_thread(self, ref: ChatRef, message_id: str, message: ThreadMessage, key: str) -> None:
        self._maybe_fail(ref.channel)
        self.thread_updates.append((ref, message_id, message))

    async def post_to_channel(self, channel: str, message: Notice, key: str) -> str:
        self._maybe_fail(channel)
        sent = Sent(channel, None, f"{next(self._ids)}.0", key, message)
        self.channel_posts.append(sent)
        self._after_send()
        return sent.message_id

    async def find_message(self, channel: str, thread_id: str | None, key: str) -> str | None:
        pool = self.parents + self.channel_posts + self.incidents if thread_id is None else self.replies
        return next((s.message_id for s in pool if s.key == key and s.thread_id == thread_id), None)

    async def tell(self, channel: str, user_id: str, text: str, thread_id: str | None = None) -> None:
        self.told.append((channel, user_id, text))

    async def upload(self, channel: str, thread_id: str | None, files: tuple[Attachment, ...], comment: str) -> str:
        self._maybe_fail(channel)
        sent = Sent(channel, thread_id, f"{next(self._ids)}.0", ",".join(f.name for f in files), (files, comment))
        self.uploads.append(sent)
        self._after_send()
        return sent.message_id

    async def find_upload(self, channel: str, thread_id: str | None, name: str) -> str | None:
        return next((s.message_id for s in self.uploads if s.channel == channel and s.thread_id == thread_id
                     and name in s.key.split(",")), None)

    def thread(self, thread_id: str) -> list[object]:
        return [s.body for s in self.replies if s.thread_id == thread_id]
