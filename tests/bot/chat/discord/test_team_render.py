"""The team desk on Discord, read back through discord.py's own types: approval buttons, the escalation summary and
the team facts stay within Discord's limits and ping only whom they mean to."""
from __future__ import annotations

import discord
import pytest

from bot.chat.discord.render import FIELD_LIMIT, conversation_message, thread_message
from bot.views import ApprovalRequest, ConversationView, CustomerPost, EscalationSummary
from tests.bot.chat.discord.test_render import HOSTILE

ROLE = "223456789012345678"


def components(message: dict) -> list[dict]:
    return [c for row in message.get("components", []) for c in row["components"]]


@pytest.mark.parametrize("text", HOSTILE)
def test_a_reply_waiting_for_approval_has_its_buttons_and_pings_nobody(text):
    message = thread_message(ApprovalRequest(number=42, reply_id=1234567, author=f"Tess {text}", text=text,
                                             reasons="trainee"), "reply:1234567:approval")
    embed = discord.Embed.from_dict(message["embeds"][0])
    assert len(embed) <= 6000 and all(len(f.value) <= FIELD_LIMIT for f in embed.fields)
    assert [(b["label"], b["custom_id"]) for b in components(message)] == [
        ("Approve", "sd:approve:42:1234567"), ("Reject", "sd:reject:42:1234567")]
    assert message["allowed_mentions"]["parse"] == [] and not message.get("content")
    decided = thread_message(ApprovalRequest(42, 1234567, "Tess", text, "trainee", decided="Approved by Jane Doe"), "k")
    assert components(decided) == []


@pytest.mark.parametrize("text", HOSTILE)
def test_an_escalation_summary_pings_only_the_group(text):
    posts = tuple(CustomerPost(42, f"@{text}"[:80], "https://x.com/a/status/1", text[:600], False) for _ in range(5))
    message = thread_message(EscalationSummary(42, "billing", text[:600], "Sam Lee", f"@{text[:80]} on X", "first contact",
                                               (text[:600],), posts, mention_group_id=ROLE), "escalation:1:summary")
    embed = discord.Embed.from_dict(message["embeds"][0])
    assert len(embed) <= 6000 and len(embed.fields) <= 25
    assert message["content"] == f"<@&{ROLE}>"
    assert message["allowed_mentions"]["parse"] == [] and message["allowed_mentions"]["roles"] == [int(ROLE)]


def test_the_team_facts_are_a_field_of_the_parent_message():
    view = ConversationView(number=7, network="x", author_handle="carla", author_name="Carla", url="https://x.com/a",
                            text="hi", language="en", sentiment="neutral", intent="other", priority="normal",
                            status="new", due_at=None, owner_name=None, owner_chat_id=None, has_pii=False,
                            history="2nd conversation; last resolved 2 days ago by SL", tags=("billing",),
                            composing="@everyone Kim", escalated_to="billing")
    (team,) = [f for f in discord.Embed.from_dict(conversation_message(view, None)["embeds"][0]).fields if f.name == "Team"]
    assert team.value.splitlines()[0] == "👤 2nd conversation; last resolved 2 days ago by SL"
    assert "🏷️ `billing`" in team.value and "@everyone" not in team.value and "🚨 escalated to billing" in team.value
