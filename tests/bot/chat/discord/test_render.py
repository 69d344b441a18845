"""Discord rendering, read back through discord.py's own types: embeds, buttons, mentions, escaping, limits."""
from __future__ import annotations

import re
from datetime import UTC, datetime

import discord
import pytest

from bot.chat.discord.render import (
    CONTENT_LIMIT,
    DESCRIPTION_LIMIT,
    FIELD_LIMIT,
    THREAD_NAME_LIMIT,
    answer_chunks,
    anyway_confirmation,
    conversation_message,
    escape,
    fit,
    held_buttons,
    notice_message,
    post_text,
    ref,
    ref_of,
    reply_modal,
    thread_message,
    thread_name,
    unescape,
)
from bot.views import ConversationView, CustomerPost, Notice, ReplyLimit, Suggestions
from bot.wording import clean

OWNER, ROLE = "123456789012345678", "223456789012345678"
DUE = datetime(2026, 11, 2, 13, 0, tzinfo=UTC)
HOSTILE = [
    "@everyone look", "@here", "@Everyone @HERE", "<@123456789012345678>", "<@!123456789012345678>", "<@&123456789012345678>",
    "<#123456789012345678>", "</claim:123456789012345678>", "<t:1700000000:R>", "[free refund](https://evil.example)",
    "**bold** __under__ ~~gone~~ `code` ```block``` ||spoiler||", "# Heading\n## Two\n-# small\n> quote\n>>> all",
    "- list\n* star\n1. one", "back\\slash \\*not bold\\*", "\u202eRTL override\u202c and עברית ערבית",
    "zero\u200bwidth @\u200beveryone",
    "emoji 🎉👍🏽‍♀️ and ＦＵＬＬＷＩＤＴＨ", "https://example.com/a_b_c?x=*y*", "<https://example.com>", "a" * 5000,
]


def view(**overrides) -> ConversationView:
    fields = dict(number=42, network="x", author_handle="carla", author_name="Carla Diaz", url="https://x.com/carla/status/1",
                  text="my order never arrived", language="en", sentiment="negative", intent="complaint", priority="high",
                  status="claimed", due_at=DUE, owner_name="Sam Lee", owner_chat_id=OWNER, has_pii=False)
    return ConversationView(**{**fields, **overrides})


@pytest.fixture
def as_message():
    """A rendered payload as discord.py reads the message Discord stores from it."""
    state = discord.Client(intents=discord.Intents.none())._connection
    channel = discord.PartialMessageable(state=state, id=1)

    def read(payload: dict) -> discord.Message:
        data = {"id": "2", "channel_id": "1", "author": {"id": "3", "username": "socialdesk", "discriminator": "0",
                                                         "avatar": None, "bot": True},
                "content": payload["content"] or "", "embeds": payload["embeds"], "components": payload["components"],
                "timestamp": "2026-11-02T09:00:00+00:00", "edited_timestamp": None, "tts": False, "mention_everyone": False,
                "mentions": [], "mention_roles": [], "attachments": [], "pinned": False, "type": 0, "flags": 0}
        return discord.Message(state=state, channel=channel, data=data)

    return read


def test_the_conversation_embed_has_the_facts_and_the_buttons(as_message):
    message = as_message(conversation_message(view(), "conv:42:open"))
    (embed,) = message.embeds
    assert embed.title == "#42 · X · @carla (Carla Diaz)" and embed.url == "https://x.com/carla/status/1"
    assert embed.description == "my order never arrived" and embed.colour.value == 0xF08C00
    facts = {f.name: f.value for f in embed.fields}
    assert facts == {"Sentiment": "😠 negative", "Intent": "complaint", "Priority": "🟠 high",
                     "Due": f"<t:{int(DUE.timestamp())}:R> (<t:{int(DUE.timestamp())}:t>)", "Status": "**Claimed**",
                     "Owner": f"<@{OWNER}>"}
    assert embed.footer.text == f"socialdesk #42 · lang en · ref {ref('conv:42:open')}"
    (row,) = message.components
    assert [(b.label, b.custom_id, b.style) for b in row.children] == [
        ("Claim", "sd:claim:42", discord.ButtonStyle.secondary), ("Reply…", "sd:reply:42", discord.ButtonStyle.primary),
        ("Resolve", "sd:resolve:42", discord.ButtonStyle.success)]
    assert message.content == "" and conversation_message(view(), "k")["allowed_mentions"] == {"parse": []}


def test_answered_unowned_resolved_and_personal_data(as_message):
    message = as_message(conversation_message(
        view(due_at=None, owner_name=None, owner_chat_id=None, status="resolved", has_pii=True), None))
    facts = {f.name: f.value for f in message.embeds[0].fields}
    assert facts["Due"] == "answered" and facts["Owner"] == "nobody yet" and facts["Status"] == "**Resolved**"
    assert "Don't repeat it in public" in facts["⚠️ Personal data"]
    assert message.components == []  # no buttons on a resolved conversation
    assert "ref" not in message.embeds[0].footer.text  # an edit carries no outbox key
    assert ref_of(conversation_message(view(), "conv:42:open")) == ref("conv:42:open")
    snoozed = as_message(conversation_message(view(status="snoozed", due_at=None, snoozed_until=DUE), None))
    assert {f.name: f.value for f in snoozed.embeds[0].fields}["Due"] == f"snoozed until <t:{int(DUE.timestamp())}:f>"


@pytest.mark.parametrize("text", HOSTILE)
def test_escaping_leaves_nothing_that_pings_links_or_styles_and_can_be_undone(text):
    escaped = escape(text)
    assert unescape(escaped) == clean(text).replace("@\u200beveryone", "@everyone")  # bidi controls are gone for good
    assert not re.search(r"@(everyone|here)", escaped, re.I)
    assert not re.search(r"<[@#/:t]", escaped)
    assert not re.search(r"(?<!\\)\[[^\]]+\]\(", escaped)  # no masked link
    for mark in ("**", "__", "~~", "||", "```"):
        assert mark not in escaped.replace("\\" + mark[0], "")


@pytest.mark.parametrize("text", HOSTILE)
def test_every_rendered_post_stays_within_discord_limits(text, as_message):
    payloads = [conversation_message(view(text=text * 20, author_name=text, author_handle=text[:40]), "k"),
                thread_message(CustomerPost(42, text, "https://x.com/1", text * 20, has_pii=True), "k"),
                thread_message(Suggestions(42, (text, text * 3, "Hi!"), "offline"), "k")]
    for payload in payloads:
        for embed in payload["embeds"]:
            assert len(embed.get("description", "")) <= DESCRIPTION_LIMIT and len(embed.get("title", "")) <= 256
            assert all(len(f["value"]) <= FIELD_LIMIT for f in embed.get("fields", []))
            assert not embed.get("description", "").endswith("\\")  # never cut inside an escape
        assert payload["allowed_mentions"] == {"parse": []}
        as_message(payload)
    assert len(thread_name(view(text=text * 20, author_handle=text))) <= THREAD_NAME_LIMIT


def test_long_posts_are_cut_at_a_word_and_say_so_with_a_link():
    cut = post_text("word " * 3000, "https://x.com/carla/status/1")
    assert len(cut) <= DESCRIPTION_LIMIT and cut.startswith("word word")
    assert re.search(r"word …\n\*\((\d{2},\d{3}) more characters cut: \[open the post\]\(https://x.com/carla/status/1\) "
                     r"for the rest\)\*$", cut)
    assert fit("*" * 5000, 1000).startswith("\\*\\*") and len(fit("*" * 5000, 1000)) <= 1000


def test_thread_names_are_one_plain_line():
    name = thread_name(view(number=7, text="line one\nline\ttwo\x00 and a long tail " + "x" * 200))
    assert name.startswith("#7 · X · @carla: line one line two and a long tail") and name.endswith("…")
    assert len(name) <= THREAD_NAME_LIMIT and "\n" not in name and "\x00" not in name
    assert thread_name(view(text="")) == "#42 · X · @carla"


def test_customer_posts_and_suggestions_in_the_thread(as_message):
    post = as_message(thread_message(CustomerPost(42, "carla", "https://x.com/carla/2", "still waiting @here", True), "p"))
    (embed,) = post.embeds
    assert embed.author.name == "@carla wrote" and embed.author.url == "https://x.com/carla/2"
    assert "@here" not in embed.description and embed.fields[0].name == "⚠️ Personal data"
    suggestions = as_message(thread_message(Suggestions(42, ("Hi *Carla*!", "Sorry!"), "offline"), "s"))
    assert suggestions.embeds[0].title == "💡 Suggested replies (offline)"
    assert [f.value for f in suggestions.embeds[0].fields] == ["Hi \\*Carla\\*!", "Sorry!"]
    assert [(b.label, b.custom_id) for b in suggestions.components[0].children] == [("Use 1…", "sd:use:42:0"),
                                                                                   ("Use 2…", "sd:use:42:1")]


def test_notices_ping_only_whom_they_mean_to(as_message):
    plain = notice_message(Notice("Claimed by Sam Lee. @everyone"), "n1")
    assert plain["content"] is None and plain["allowed_mentions"] == {"parse": []}
    assert "@everyone" not in plain["embeds"][0]["description"]
    owner = notice_message(Notice("Assigned to Sam Lee by Jane Doe.", mention_chat_id=OWNER), "n2")
    assert owner["content"] == f"<@{OWNER}>" and owner["allowed_mentions"] == {"parse": [], "users": [int(OWNER)]}
    on_call = notice_message(Notice("#42 is overdue", mention_chat_id=OWNER, mention_group_id=ROLE), "n3")
    assert on_call["content"] == f"<@{OWNER}> <@&{ROLE}>"
    assert on_call["allowed_mentions"] == {"parse": [], "users": [int(OWNER)], "roles": [int(ROLE)]}
    linked = notice_message(Notice("Published publicly.", link="https://x.com/acme/status/9?a=(1)"), "n4")
    assert linked["embeds"][0]["description"] == "Published publicly. [View](https://x.com/acme/status/9?a=%281%29)"
    assert "[View]" not in notice_message(Notice("Published.", link="replay://replay/1"), "n5")["embeds"][0]["description"]
    assert as_message(on_call).embeds[0].footer.text == f"ref {ref('n3')}"


def test_answers_are_split_between_lines_and_ping_nobody():
    text = "\n".join(f"#{i} high · due in 5 min · x @carla · new · nobody @here" for i in range(80))
    chunks = answer_chunks(text)
    assert len(chunks) > 1 and all(len(c) <= CONTENT_LIMIT for c in chunks)
    assert "\n".join(chunks).replace("@\u200bhere", "@here") == text
    assert all("@here" not in c for c in chunks)
    assert answer_chunks("x" * 4500) == ["x" * 2000, "x" * 2000, "x" * 500]


def test_the_reply_modal_is_prefilled_and_limited_with_a_publish_anyway_box():
    modal = reply_modal(42, "Hi Carla " * 600, ReplyLimit(280)).to_dict()
    assert modal["custom_id"] == "sd:reply_modal:42" and modal["title"] == "Reply to #42"
    reply, anyway = modal["components"]  # labels, as Discord recommends for every modal field
    assert (reply["type"], reply["label"]) == (18, "Your reply")
    assert reply["description"] == ("Too long for this box: its last 1,400 characters were left out. "
                                    "Limit with initials: 280.")  # said, as the suggestion was cut
    short = reply_modal(42, "Hi Carla", ReplyLimit(280)).to_dict()["components"][0]
    assert short["description"] == "Your initials are added. Limit with them: 280 characters."  # shown even when filled
    bluesky = reply_modal(42, "Hi", ReplyLimit(300, "graphemes")).to_dict()["components"][0]
    assert bluesky["description"] == "Your initials are added. Limit with them: 300 graphemes."  # in the network's units
    text_input = reply["component"]
    assert text_input["custom_id"] == "text" and len(text_input["value"]) == 4000 and text_input["max_length"] == 4000
    assert (anyway["type"], anyway["component"]) == (18, {"type": 23, "custom_id": "anyway", "default": False})
    assert len(anyway["label"]) <= 45 and len(anyway["description"]) <= 100 and "audit log" in anyway["description"]
    assert "value" not in reply_modal(42, "", ReplyLimit()).to_dict()["components"][0]["component"]


def test_suggestions_say_when_they_are_offline_and_why_and_can_be_asked_for_again(as_message):
    offline = as_message(thread_message(Suggestions(7, ("Sorry!",), "offline", "the model did not answer within 20s"), "s"))
    assert offline.embeds[0].title == "💡 Suggested replies (offline: the model did not answer within 20s)"
    use, again = offline.components
    assert [b.custom_id for b in use.children] == ["sd:use:7:0"]
    assert [(b.label, b.custom_id) for b in again.children] == [("New suggestions", "sd:suggest:7")]
    online = as_message(thread_message(Suggestions(7, ("Sorry!",), "gpt-4o-mini"), "s"))
    assert online.embeds[0].title == "💡 Suggested replies (gpt-4o-mini)"
    none = as_message(thread_message(Suggestions(7, (), "offline", "the model service failed (HTTP 503)"), "s"))
    assert none.embeds[0].title == "💡 No suggested reply this time (offline: the model service failed (HTTP 503))"
    assert none.embeds[0].description == "Write your own, or ask for new ones." and none.embeds[0].fields == []
    (only,) = none.components
    assert [b.custom_id for b in only.children] == ["sd:suggest:7"]
    long_reason = as_message(thread_message(Suggestions(7, ("Hi",) * 9, "offline", "why " * 200), "s"))
    assert len(long_reason.embeds[0].title) <= 256 and long_reason.embeds[0].title.endswith("…)")
    assert len(long_reason.embeds[0].fields) == 5 and len(long_reason.components[0].children) == 5


def test_a_held_reply_gets_a_button_that_asks_first():
    (row,) = held_buttons(42, "tok_en-123").to_components()
    (button,) = row["components"]
    assert (button["label"], button["custom_id"], button["style"]) == ("Publish anyway…", "sd:anyway:42:tok_en-123", 4)
    asking = anyway_confirmation(42, "tok_en-123", "Sorry! What's your *email*? " + "x" * 5000)
    assert "Publish your reply to #42 anyway?" in asking["content"] and "audit log" in asking["content"]
    assert asking["embed"].description.startswith("Sorry! What's your \\*email\\*?")
    assert len(asking["embed"].description) <= DESCRIPTION_LIMIT
    (row,) = asking["view"].to_components()
    assert [(b["label"], b["custom_id"], b["style"]) for b in row["components"]] == [
        ("Publish it", "sd:publish:42:tok_en-123", 4), ("Cancel", "sd:cancel:42:tok_en-123", 2)]
    assert asking["view"].is_finished()  # presses are routed by custom_id: discord.py keeps no copy waiting for them
