"""Tags on conversations (`/tag 42 billing outage`): shown on the parent message, filters in /queue, /stats and the
digest. New conversations get tags suggested from their intent and keywords ([tags] in socialdesk.toml)."""
from __future__ import annotations

import re

from sqlalchemy import exists
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from bot.settings import TagsConfig
from storage.models import Conversation, ConversationTag

TAG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


class BadTag(ValueError):
    """A word that cannot be a tag; the message says what a tag looks like."""


def normalize(words: str) -> list[str]:
    """'Billing #Outage billing' -> ['billing', 'outage']; refuses what cannot be a tag."""
    found = []
    for word in words.lower().split():
        tag = word.lstrip("#")
        if not TAG.match(tag):
            shown = re.sub(r"[^\w#-]", "", word)[:40]
            raise BadTag(f"`{shown}` cannot be a tag: use up to 32 letters, digits, - or _ (like `billing` or `outage`).")
        found.append(tag)
    return list(dict.fromkeys(found))


def of(session: Session, conversation_id: int) -> list[str]:
    query = select(ConversationTag.tag).where(ConversationTag.conversation_id == conversation_id)
    return sorted(session.exec(query))


def add(session: Session, conversation_id: int, tags: list[str]) -> list[str]:
    """Tag it; returns the tags that are new on it."""
    have = set(of(session, conversation_id))
    new = [tag for tag in tags if tag not in have]
    for tag in new:
        session.add(ConversationTag(conversation_id=conversation_id, tag=tag))
    session.flush()
    return new


def remove(session: Session, conversation_id: int, tags: list[str]) -> list[str]:
    """Untag it; returns the tags that were on it."""
    removed = []
    for tag in tags:
        found = session.get(ConversationTag, (conversation_id, tag))
        if found is not None:
            session.delete(found)
            removed.append(tag)
    session.flush()
    return removed


def suggested(config: TagsConfig, conversation: Conversation, text: str) -> list[str]:
    """Tags the config suggests for a conversation: by its intent, and by whole words in its first post."""
    found = [config.intents[conversation.intent]] if conversation.intent in config.intents else []
    lowered = text.lower()
    for tag, words in config.keywords.items():
        if any(re.search(rf"(?<!\w){re.escape(word.lower())}(?!\w)", lowered) for word in words):
            found.append(tag)
    return list(dict.fromkeys(found))


def tagged(tags: tuple[str, ...]):
    """A condition for queries over Conversation: tagged with any of `tags` (its own alias of the table, so a query
    that joins the tags too, to group by them, stays correlated)."""
    tag = aliased(ConversationTag)
    return exists().where(tag.conversation_id == Conversation.id, tag.tag.in_(tags))
