"""Hostile text from the internet through the team desk's Slack blocks: an escalation summary, the team facts and the
Home tab stay within Block Kit's limits and ping nobody, whatever a customer writes or calls themselves."""
from __future__ import annotations

import json
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.chat.slack.home import home_tab
from bot.chat.slack.render import SECTION_LIMIT, conversation_blocks, escalation_blocks
from bot.desk.snapshots import SUMMARY_CHARS
from bot.views import ChatRef, ConversationView, CustomerPost, EscalationSummary, HomeRow, HomeView

PINGS = ("<!channel>", "<!here>", "<!everyone>", "<@U", "<#C")
hostile = st.text(alphabet=st.sampled_from(list("<>&@!|*_`~ \n#aZ9é🙂")) | st.characters(), max_size=700)
handles = st.text(min_size=1, max_size=80)


def texts(blocks: list[dict]) -> list[str]:
    found = []
    for block in blocks:
        if isinstance(block.get("text"), dict):
            found.append(block["text"]["text"])
        found += [e["text"] for e in block.get("elements", []) if e.get("type") == "mrkdwn"]
    return found


def assert_safe(blocks: list[dict]) -> None:
    assert len(blocks) <= 50
    for text in texts(blocks):
        assert len(text) <= 3000
        assert not any(ping in text for ping in PINGS)


@settings(max_examples=60, deadline=None)
@given(posts=st.lists(hostile, max_size=5), handle=handles, reason=hostile, notes=st.lists(hostile, max_size=5))
def test_an_escalation_summary_is_inert_and_within_limits(posts, handle, reason, notes):
    short = [p[:SUMMARY_CHARS] for p in posts]  # as the snapshot cuts them
    summary = EscalationSummary(
        number=42, group="billing", reason=reason[:SUMMARY_CHARS], by="Sam Lee", customer=f"@{handle} on X",
        history="first contact", notes=tuple(n[:SUMMARY_CHARS] for n in notes),
        posts=tuple(CustomerPost(42, handle, "https://x.com/a/status/1", text, False) for text in short))
    _, blocks = escalation_blocks(summary)
    assert_safe(blocks)


@settings(max_examples=60, deadline=None)
@given(handle=handles, composing=hostile, history=hostile, group=hostile)
def test_the_team_facts_on_a_parent_message_are_inert(handle, composing, history, group):
    view = ConversationView(number=7, network="x", author_handle=handle, author_name=handle, url="https://x.com/a",
                            text="hi", language="en", sentiment="neutral", intent="other", priority="normal",
                            status="new", due_at=None, owner_name=None, owner_chat_id=None, has_pii=False,
                            history=history, tags=("billing",), composing=composing or None, escalated_to=group or None)
    _, blocks = conversation_blocks(view)
    assert_safe(blocks)


@settings(max_examples=30, deadline=None)
@given(handles=st.lists(handles, min_size=12, max_size=12), name=st.text(min_size=1, max_size=200))
def test_a_full_home_tab_stays_within_the_home_tab_limits(handles, name):
    rows = tuple(HomeRow(number=n, network="x", author_handle=h, priority="urgent", status="new",
                         due_at=datetime(2026, 11, 2, 9, tzinfo=UTC), owner_name=name, thread=ChatRef("C1", f"1700.{n}"),
                         waiting=f"{name}'s reply, waiting 3 min") for n, h in enumerate(handles, 1))
    tab = home_tab(HomeView(agent_name=name, mine=rows, unowned=rows, approvals=rows[:8], today="Today: 3 conversations.",
                            more_mine=5, more_unowned=40, is_lead=True), "https://acme.slack.com/")
    assert len(tab["blocks"]) <= 100  # Slack's limit for a home tab (docs.slack.dev/surfaces/app-home)
    assert len(tab["blocks"][0]["text"]["text"]) <= 150  # a header's text (Block Kit: header block)
    for text in texts(tab["blocks"]):
        assert len(text) <= SECTION_LIMIT and not any(ping in text for ping in PINGS)
    assert all(len(json.dumps(b)) < 5000 for b in tab["blocks"])
