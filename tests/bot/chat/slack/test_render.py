import json
from datetime import UTC, datetime

from bot.chat.slack.render import conversation_blocks, escape, thread_blocks
from bot.views import ConversationView, CustomerPost, Notice, Suggestions


def view(**overrides) -> ConversationView:
    data = dict(number=42, network="x", author_handle="carla", author_name="Carla", url="https://x.com/carla/status/1",
                text="my order never arrived", language="en", sentiment="negative", intent="complaint",
                priority="high", status="new", due_at=datetime(2026, 11, 2, 10, 0, tzinfo=UTC), owner_name=None,
                owner_chat_id=None, has_pii=False)
    data.update(overrides)
    return ConversationView(**data)


def all_text(blocks) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def test_escape_neutralises_every_kind_of_ping():
    hostile = "<!channel> <!here> <@U123> <#C1> @here @channel @everyone <https://evil|click> &amp;"
    out = escape(hostile)
    assert "<" not in out and ">" not in out
    for word in ("@here", "@channel", "@everyone"):
        assert word not in out
    assert "&amp;amp;" in out


def test_parent_message_shows_everything_a_teammate_needs():
    fallback, blocks = conversation_blocks(view(text="<!channel> refund now @here", owner_name="Jane Doe", has_pii=True))
    text = all_text(blocks)
    assert "*#42*" in text and "X" in text and "<https://x.com/carla/status/1|@carla>" in text
    assert "negative" in text and "complaint" in text and "high" in text and "owner: Jane Doe" in text
    assert "<!date^" in text and "personal data" in text
    assert "<!channel>" not in text and "<!channel>" not in fallback and "@here" not in text
    actions = [b for b in blocks if b["type"] == "actions"][0]["elements"]
    assert [a["action_id"] for a in actions] == ["sd_claim", "sd_reply", "sd_resolve"]


def test_resolved_conversations_have_no_buttons():
    _, blocks = conversation_blocks(view(status="resolved"))
    assert not [b for b in blocks if b["type"] == "actions"]


def test_huge_text_is_cut_below_slacks_section_limit():
    _, blocks = conversation_blocks(view(text="word " * 5000))
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks if b["type"] == "section")


def test_a_non_http_url_is_not_linked():
    _, blocks = conversation_blocks(view(url="javascript:alert(1)"))
    assert "javascript:" not in all_text(blocks)


def test_thread_messages():
    text, blocks = thread_blocks(CustomerPost(number=1, author_handle="carla", url="https://x.com/1",
                                              text="<@U999> still broken", has_pii=True))
    assert "<@U999>" not in all_text(blocks) and "personal data" in all_text(blocks)
    _, blocks = thread_blocks(Suggestions(number=1, texts=("Sorry!", "Hi Carla"), source="offline"))
    values = [json.loads(b["accessory"]["value"]) for b in blocks if "accessory" in b]
    assert values == [{"number": 1, "text": "Sorry!"}, {"number": 1, "text": "Hi Carla"}]
    text, _ = thread_blocks(Notice(text="Assigned to Sam.", mention_chat_id="USAM", link="https://x.com/r/2"))
    assert text.startswith("<@USAM> Assigned to Sam.") and "<https://x.com/r/2|View>" in text


def test_a_notice_mentions_the_on_call_group_and_a_snoozed_parent_says_until_when():
    text, _ = thread_blocks(Notice(text="First response overdue.", mention_group_id="S0ONCALL"))
    assert text == "<!subteam^S0ONCALL> First response overdue."
    _, blocks = conversation_blocks(view(status="snoozed", due_at=None, snoozed_until=datetime(2026, 11, 2, 16, tzinfo=UTC)))
    assert "snoozed until <!date^1793635200^" in all_text(blocks) and "answered" not in all_text(blocks)
