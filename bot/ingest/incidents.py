"""Surges become incidents: near-duplicate new conversations in one channel grouped after they are stored.

`group` runs in the transaction that stored the posts (bot/ingest/stream.py `store_posts`), so a
conversation folded into an incident never had its own parent message sent. Two posts are alike
when rapidfuzz's `token_set_ratio` of their normalised texts (lower case; no links, @mentions,
hashtag signs, punctuation or the brand's own names) reaches `[incidents] similarity`; texts of
fewer than three words after that take no part.

A new conversation joins the open incident of its channel that it is alike to (one that grew within
`window`). Otherwise, once `min_posts` new conversations of the channel within `window` are alike,
they form a new incident; when the channel is backlogged (`backlog` chat messages waiting), three
are enough, since the team would not see them in time one by one anyway. Joining, folding and the
incident's chat message are bot/desk/incidents.py's.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from rapidfuzz import fuzz, process
from rapidfuzz.utils import default_process
from sqlmodel import Session, func, select

from bot.delivery import queue
from bot.desk import incidents as desk_incidents
from bot.ingest.pipeline import Ingested
from bot.settings import DeskConfig
from storage import bulk
from storage.models import Conversation, ConversationStatus, Incident, IncidentStatus, Post

_NOISE = re.compile(r"https?://\S+|(?<!\w)@[\w.@-]+|[#$]")
BACKLOGGED_MIN_POSTS = 3
CANDIDATES = 500  # the most recent ungrouped conversations of a channel compared with each new one
PHRASINGS = 20  # distinct phrasings kept per incident (the rest count towards the closest)
SAME_PHRASING = 90  # score at which two texts count as the same phrasing
PHRASING_CHARS = 280
MIN_WORDS = 3  # shorter texts ("hi", "problem 12") say too little to tell a surge from chance


@dataclass
class _Candidate:
    conversation_id: int
    customer_id: int
    text: str  # as written, for the incident's phrasings
    key: str  # normalised, for comparing


def normalise(text: str, brand_words: set[str]) -> str:
    words = default_process(_NOISE.sub(" ", text)).split()
    return " ".join(word for word in words if word not in brand_words)


def brand_words(config: DeskConfig) -> set[str]:
    """The brand's own names: every post mentions them, so they say nothing about what a post is about."""
    names = [config.brand.name, *config.brand.handles, *config.brand.misspellings, *config.brand.hashtags]
    return {word for name in names for word in default_process(_NOISE.sub(" ", name)).split()}


def group(session: Session, config: DeskConfig, stored: list[Ingested], now: datetime) -> set[int]:
    """Put the newly opened conversations among `stored` into incidents; returns the incidents that changed."""
    first_posts = {s.conversation_id: s.post_id for s in stored if s.opened}
    if not config.incidents.enabled or not first_posts:
        return set()
    texts = dict(session.exec(select(Post.id, Post.text).where(bulk.among(session, Post.id, first_posts.values()))).all())
    conversations = session.exec(select(Conversation).where(bulk.among(session, Conversation.id, first_posts))).all()
    page = _Page(session, config, now, opened=set(first_posts))
    for conversation in sorted(conversations, key=lambda c: c.id):
        if conversation.incident_id is None and conversation.status in ConversationStatus.OPEN:
            page.place(conversation, texts[first_posts[conversation.id]])
    bulk.add_all(session, page.started)  # together, at the end: nothing needs their ids before
    with queue.batched(session):  # the page's incident messages and edits: one outbox lookup and one insert
        for incident in page.started:
            desk_incidents.announce(session, config.sla, incident, now)
        desk_incidents.join(session, list(page.joining.values()), now)
        for incident, _ in page.joining.values():
            desk_incidents.refresh(session, incident, now, config.incidents.update_every)
    return {incident.id for incident, _ in page.joining.values()}


class _Page:
    """One page's grouping: what it reads of each channel (read once, and only when needed) and what it changes."""

    def __init__(self, session: Session, config: DeskConfig, now: datetime, opened: set[int]) -> None:
        self.session, self.config, self.now, self.opened = session, config, now, opened
        self.settings = config.incidents
        self.since = now - self.settings.window
        self.words = brand_words(config)
        self.started: list[Incident] = []  # not stored yet
        # the incidents that changed (by id() of each: a new one has no id yet), with the conversations joining them
        self.joining: dict[int, tuple[Incident, list[Conversation]]] = {}
        self.pools: dict[tuple[str, str], list[_Candidate]] = {}  # the channel's recent ungrouped conversations
        self.growing: dict[tuple[str, str], _Growing] = {}  # the channel's growing incidents
        self.backlogs: dict[tuple[str, str], int] = {}  # the channel's waiting chat messages

    def place(self, conversation: Conversation, text: str) -> None:
        """`conversation` joins the growing incident it is alike, or starts one with the alike conversations of its
        channel, or waits in the channel's pool for more."""
        me = _Candidate(conversation.id, conversation.customer_id, text, normalise(text, self.words))
        if len(me.key.split()) < MIN_WORDS:
            return
        channel = _routed(self.config, conversation.chat_platform, conversation.source_name, conversation.priority)
        growing = self.growing.get(channel) or self.growing.setdefault(
            channel, _Growing(_growing(self.session, channel, self.since)))
        incident = growing.alike(me.key, self.settings.similarity)
        if incident is not None:  # in a surge, most posts: no need to look at the channel's other conversations
            self._join(growing, incident, conversation, me)
            return
        if channel not in self.pools:
            self.pools[channel] = _recent(self.session, self.config, channel, self.since, self.words, self.opened)
        pool = self.pools[channel]
        alike = [pool[index] for _, _, index in process.extract(
            me.key, [c.key for c in pool], scorer=fuzz.token_set_ratio, score_cutoff=self.settings.similarity,
            limit=None)]
        customers = len({c.customer_id for c in alike} | {me.customer_id})
        if customers < self.settings.min_posts and (customers < BACKLOGGED_MIN_POSTS
                                                    or self._backlog(channel) < self.settings.backlog):
            pool.append(me)
            return
        incident = Incident(chat_platform=channel[0], chat_channel=channel[1], opened_at=self.now, updated_at=self.now)
        self.started.append(incident)
        for member in sorted([*alike, me], key=lambda c: c.conversation_id):
            self._join(growing, incident, self.session.get(Conversation, member.conversation_id), member)
        self.pools[channel] = [c for c in pool if c not in alike]

    def _backlog(self, channel: tuple[str, str]) -> int:
        if channel not in self.backlogs:
            self.backlogs[channel] = queue.waiting(self.session, queue.channel_target(*channel))
        return self.backlogs[channel]

    def _join(self, growing: _Growing, incident: Incident, conversation: Conversation, member: _Candidate) -> None:
        """`conversation` is to join `incident` (at the end of `group`, with the others); its text is counted now."""
        self.joining.setdefault(id(incident), (incident, []))[1].append(conversation)
        kept = len(incident.phrasings)
        incident.phrasings = _counted(incident.phrasings, member)
        growing.kept(incident, incident.phrasings[kept:])  # a new phrasing comes last


def _routed(config: DeskConfig, platform: str, source_name: str, priority: str) -> tuple[str, str]:
    """The chat platform and channel a conversation is routed to, as configured (once its message is out, its
    `chat_channel` is the platform's id for it)."""
    return platform, config.route_for(source_name, priority).channel


def _recent(session: Session, config: DeskConfig, channel: tuple[str, str], since: datetime, words: set[str],
            exclude: set[int]) -> list[_Candidate]:
    """The channel's recent open conversations in no incident, with their first posts (most recent `CANDIDATES`)."""
    rows = session.exec(
        select(Conversation.id, Conversation.customer_id, Conversation.source_name, Conversation.priority)
        .where(Conversation.chat_platform == channel[0], Conversation.opened_at >= since,
               Conversation.incident_id.is_(None), Conversation.status.in_(ConversationStatus.OPEN))
        .order_by(Conversation.id.desc()).limit(CANDIDATES)
    ).all()
    routes = {key: _routed(config, channel[0], *key) for key in {(source, priority) for _, _, source, priority in rows}}
    customers = {id_: customer for id_, customer, source, priority in rows
                 if id_ not in exclude and routes[source, priority] == channel}
    first = select(func.min(Post.id)).where(Post.conversation_id.in_(list(customers))).group_by(Post.conversation_id)
    texts = dict(session.exec(select(Post.conversation_id, Post.text).where(Post.id.in_(first))).all())
    candidates = [_Candidate(id_, customers[id_], texts[id_], normalise(texts[id_], words))
                  for id_ in sorted(customers) if id_ in texts]
    return [c for c in candidates if len(c.key.split()) >= MIN_WORDS]


def _growing(session: Session, channel: tuple[str, str], since: datetime) -> list[Incident]:
    """The channel's open incidents that grew since `since`."""
    return list(session.exec(select(Incident).where(
        Incident.status == IncidentStatus.OPEN, Incident.chat_platform == channel[0],
        Incident.chat_channel == channel[1], Incident.updated_at >= since).order_by(Incident.id)))


class _Growing:
    """A channel's growing incidents, with all their phrasings' keys in one list, in the order they were kept (added
    to as phrasings are): a post is compared with all of them in one call, which costs a quarter of a call per
    incident."""

    def __init__(self, incidents: list[Incident]) -> None:
        self.keys: list[str] = []
        self.owners: list[Incident] = []  # the incident of each key
        for incident in incidents:
            self.kept(incident, incident.phrasings)

    def alike(self, key: str, cutoff: int) -> Incident | None:
        """The incident whose phrasings `key` is most alike, if alike enough (on a tie, the phrasing kept first)."""
        found = process.extractOne(key, self.keys, scorer=fuzz.token_set_ratio, score_cutoff=cutoff)
        return self.owners[found[2]] if found else None

    def kept(self, incident: Incident, phrasings: list[dict]) -> None:
        self.keys += [phrasing["key"] for phrasing in phrasings]
        self.owners += [incident] * len(phrasings)


def _counted(phrasings: list[dict], member: _Candidate) -> list[dict]:
    """The phrasings with `member`'s counted: as the same phrasing as one kept, as a new one, or (when enough are
    kept) towards the closest. A new list, so the JSON column is written."""
    phrasings = [dict(p) for p in phrasings]
    keys = [p["key"] for p in phrasings]
    cutoff = SAME_PHRASING if len(phrasings) < PHRASINGS else 0
    found = process.extractOne(member.key, keys, scorer=fuzz.token_set_ratio, score_cutoff=cutoff) if keys else None
    if found:
        phrasings[found[2]]["count"] += 1
    else:
        phrasings.append({"text": member.text[:PHRASING_CHARS], "key": member.key, "count": 1})
    return phrasings
