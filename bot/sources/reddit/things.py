"""Reddit's wire shapes (Listings of Things) and how one Thing becomes an `InboundPost`.

A Thing is `{"kind": "t1" | "t3" | "t4", "data": {...}}`: t1 a comment, t3 a submission
(post), t4 a private message; its `name` (fullname, e.g. `t1_fx1ie8s`) is its id everywhere.
Threads: a submission is its own root; a comment's root is its submission (`link_id`, or
for inbox items, which carry no `link_id`, the id in their `context` link) and it answers
`parent_id`; a private message's root is the first message of its conversation.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from bot.sources.base import Author, InboundPost

log = logging.getLogger(__name__)
WEB = "https://www.reddit.com"
GONE = {"[deleted]", "[removed]"}
_CONTEXT_LINK = re.compile(r"/comments/([a-z0-9]+)/")
INBOX_KINDS = {"username_mention": "mention", "comment_reply": "reply", "post_reply": "reply"}


class ThingData(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    name: str
    created_utc: float
    author: str | None = None
    body: str | None = None  # t1, t4
    title: str | None = None  # t3
    selftext: str | None = None  # t3
    permalink: str | None = None  # t1, t3 (not on inbox items)
    context: str | None = None  # inbox comments: /r/sub/comments/<link>/<slug>/<comment>/?context=3
    link_id: str | None = None  # t1 outside the inbox
    parent_id: str | None = None  # t1, t4
    type: str | None = None  # inbox comments: username_mention, comment_reply, post_reply
    subject: str | None = None  # t4
    first_message_name: str | None = None  # t4 after the first one
    dest: str | None = None  # t4: the recipient
    distinguished: str | None = None
    removed_by_category: str | None = None  # t3
    crosspost_parent: str | None = None  # t3: a crosspost of another submission


class Thing(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    kind: str
    data: ThingData

    @property
    def name(self) -> str:
        return self.data.name

    @property
    def created(self) -> float:
        return self.data.created_utc


@dataclass(frozen=True)
class Page:
    """One page of a Listing: the Things that parsed, and the fullname to ask `after` for the next."""

    things: list[Thing]
    after: str | None


def parse_listing(body: Any, where: str) -> Page:
    """A Listing answer; a child that does not parse is logged and left out, never fails the page."""
    if not isinstance(body, dict) or body.get("kind") != "Listing" or not isinstance(body.get("data"), dict):
        raise ValueError(f"{where} did not answer with a Listing")
    things = []
    for child in body["data"].get("children") or []:
        try:
            things.append(Thing.model_validate(child))
        except ValidationError as error:
            log.warning("reddit %s: skipping an item that does not parse: %s", where, error.errors()[0]["msg"])
    return Page(things=things, after=body["data"].get("after"))


def gone(thing: Thing) -> bool:
    """Deleted by its author or removed by moderators: nothing left to answer."""
    data = thing.data
    return (not data.author or data.author in GONE or (data.body or "").strip() in GONE
            or (data.selftext or "").strip() in GONE or data.removed_by_category is not None)


def text_of(thing: Thing) -> str:
    data = thing.data
    if thing.kind == "t3":
        return "\n\n".join(part for part in (data.title, data.selftext) if part)
    if thing.kind == "t4" and not data.parent_id and data.subject:
        return f"{data.subject}\n\n{data.body or ''}".strip()  # a new conversation's subject says what it is about
    return data.body or ""


def thread_of(thing: Thing) -> tuple[str, str | None]:
    """(thread root, what it answers)."""
    data = thing.data
    if thing.kind == "t3":
        return data.name, None
    if thing.kind == "t4":
        return data.first_message_name or data.name, data.parent_id
    if data.link_id:
        return data.link_id, data.parent_id
    found = _CONTEXT_LINK.search(data.context or "")
    return (f"t3_{found.group(1)}" if found else data.name), data.parent_id


def url_of(thing: Thing) -> str:
    data = thing.data
    if thing.kind == "t4":
        root = (data.first_message_name or data.name).removeprefix("t4_")
        return f"{WEB}/message/messages/{root}"
    path = data.permalink or (data.context or "").split("?", 1)[0]
    return WEB + path if path.startswith("/") else path


def to_post(thing: Thing, kind: str) -> InboundPost:
    root, reply_to = thread_of(thing)
    return InboundPost(
        network="reddit",
        external_id=thing.name,
        author=Author(handle=f"u/{thing.data.author}", name=thing.data.author or ""),
        text=text_of(thing),
        created_at=datetime.fromtimestamp(thing.created, tz=UTC),
        thread_root_id=root,
        kind=kind,
        url=url_of(thing),
        reply_to_id=reply_to,
        raw={"kind": thing.kind, "data": thing.data.model_dump(exclude_none=True)},
    )
