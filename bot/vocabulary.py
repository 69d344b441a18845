"""The product's nouns as people read them, defined once: networks, conversation statuses, priorities.

Every chat package, command and report takes its labels from here, so a fifth network or a new
status is named in one place.
"""
from __future__ import annotations

from storage.models import ConversationStatus

NETWORKS = {"x": "X", "mastodon": "Mastodon", "bluesky": "Bluesky", "reddit": "Reddit", "replay": "Replay"}
STATUSES = {
    ConversationStatus.NEW: "New",
    ConversationStatus.CLAIMED: "Claimed",
    ConversationStatus.AWAITING_CUSTOMER: "Awaiting customer",
    ConversationStatus.RESOLVED: "Resolved",
    ConversationStatus.SNOOZED: "Snoozed",
}
PRIORITIES = ("urgent", "high", "normal", "low")  # the most pressing first
PRIORITY_RANK = {priority: rank for rank, priority in enumerate(reversed(PRIORITIES))}  # low 0 … urgent 3


def network_name(network: str) -> str:
    """`x` -> `X`; an unknown network keeps its own name."""
    return NETWORKS.get(network, network)


def status_name(status: str) -> str:
    return STATUSES.get(status, status)


def outranks(priority: str, other: str) -> bool:
    """Whether `priority` is more pressing than `other`."""
    return PRIORITY_RANK[priority] > PRIORITY_RANK[other]
