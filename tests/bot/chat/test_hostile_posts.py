"""Generated hostile posts and authors through every Slack and Discord renderer and the strict fakes' checks.

Invariants: the platform accepts every message, view and modal (the same checks the fakes in tests/fakes run,
and for Slack also the fake itself over HTTP through the real client), and nothing from the customer's text
survives as a live mention, channel or user ping, or link.
"""
from __future__ import annotations

import json
import re

import discord
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.chat.discord import render as discord_render
from bot.chat.slack import render as slack_render
from bot.chat.slack.outbound import SlackChat, make_client
from bot.chat.text import web_url
from bot.views import ChatRef, ConversationView, CustomerPost, Notice, ReplyLimit, Suggestions
from bot.wording import plain
from tests.fakes.discord_limits import message_errors, modal_errors, thread_name_errors
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_blocks import MESSAGE_TEXT, blocks_problems, view_problems

PINGS = ["@here", "@channel", "@everyone", "<!channel>", "<!here>", "<!everyone>", "<@U0123ABC>", "<@U0123ABC|jane>",
         "<#C0123|general>", "<!subteam^S0123>", "<@123456789012345678>", "<@!123456789012345678>",
         "<@&123456789012345678>", "<#123456789012345678>", "</claim:123456789012345678>", "<t:1700000000:R>"]
LINKS = ["https://evil.example/x", "<https://evil.example|click>", "<mailto:a@evil.example|mail>", "[refund](https://evil)",
         "see [docs](https://a) then [refund form](https://evil)", "www.evil.example", "http://[::1]/", "<https://evil>"]
MARKS = ["**", "__", "~~", "||", "`", "```", "*", "_", "~", "> ", "# ", "-# ", "- ", "1. ", "\\", "&amp;", "&lt;", "&", "<", ">"]
ODD = ["\u202e", "\u2066", "\u200b", "\u200d", "\u0301", "\u0e33", "👍🏽", "👩‍👩‍👧‍👦", "🏳️‍🌈", "\u05e2\u05d1", "\u0627\u0644",
       "漢字かな", "ภาษาไทย", "\n", "\n\n", "\t", "\x00", "\x1b", " "]
URLS = ["https://x.com/carla/status/1", "https://", "https://[::1", "https://exa mple.com/a b", "javascript:alert(1)",
        "https://example.com/" + "a" * 3000, "https://ex\x00ample.com", "ftp://x", "", "https://example.com/(x)|y>z"]


def _case(word: str) -> st.SearchStrategy[str]:
    return st.lists(st.booleans(), min_size=len(word), max_size=len(word)).map(
        lambda flips: "".join(c.upper() if flip else c.lower() for c, flip in zip(word, flips, strict=True)))


piece = st.one_of(st.sampled_from(PINGS).flatmap(_case), st.sampled_from(LINKS), st.sampled_from(MARKS),
                  st.sampled_from(ODD), st.text(max_size=20), st.text(alphabet="x", min_size=100, max_size=600),
                  st.just("👍" * 700), st.just("長" * 1500))
hostile = st.lists(piece, max_size=30).map("".join)
long_hostile = st.tuples(hostile, st.integers(1, 40)).map(lambda pair: pair[0] * pair[1])
urls = st.one_of(st.sampled_from(URLS), st.text(max_size=60).map(lambda tail: "https://" + tail))


def conversation(text: str, handle: str, name: str, url: str, network: str = "x") -> ConversationView:
    return ConversationView(number=42, network=network, author_handle=handle, author_name=name, url=url, text=text,
                            language="en", sentiment="negative", intent="complaint", priority="high", status="claimed",
                            due_at=None, owner_name=name, owner_chat_id=None, has_pii=True)


# --- what "inert" means on each platform -------------------------------------------------------------------------

_SLACK_OWN = re.compile(r"<(?:https?://[^|<>\s]+\|[^<>]*|!date\^[^<>]*)>")  # the bot's own link and date tokens


def assert_slack_inert(text: str) -> None:
    """Nothing in `text` (a mrkdwn string) pings or links but the bot's own link to the post and its dates."""
    rest = _SLACK_OWN.sub("", text)
    assert "<" not in rest, rest
    assert not re.search(r"@(here|channel|everyone)", rest, re.I), rest
    assert not re.search(r"(https?|mailto):|www\.", rest, re.I), rest


def assert_discord_inert(text: str) -> None:
    """Nothing in `text` (Discord markdown) pings, links or forms a masked link."""
    assert not re.search(r"@(everyone|here)", text, re.I), text
    assert not re.search(r"<[@#/:ta]", text), text
    assert not re.search(r"(?<!\\)\[[^\]]*(?<!\\)\]\(", text), text
    assert not re.search(r"(?<!\\)://", text), text
    assert not re.search("[\u202a-\u202e\u2066-\u2069]", text), text


def slack_mrkdwn(blocks: list[dict]) -> list[str]:
    """Every mrkdwn text in the blocks (plain_text is never parsed)."""
    found: list[str] = []

    def walk(value) -> None:
        if isinstance(value, dict):
            if value.get("type") == "mrkdwn" and isinstance(value.get("text"), str):
                found.append(value["text"])
            for inner in value.values():
                walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)

    walk(blocks)
    return found


# --- Slack ---------------------------------------------------------------------------------------------------------

@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=long_hostile, handle=hostile, name=hostile, url=urls, network=hostile)
def test_slack_renders_every_hostile_post_within_its_limits_and_inert(text, handle, name, url, network):
    renders = [slack_render.conversation_blocks(conversation(text, handle, name, url, network)),
               slack_render.thread_blocks(CustomerPost(42, handle, url, text, has_pii=True)),
               slack_render.thread_blocks(Suggestions(42, (text, name, "Hi!"), "offline", offline_reason=handle))]
    for fallback, blocks in renders:
        assert blocks_problems(blocks) == [] and len(fallback) <= MESSAGE_TEXT
        assert_slack_inert(fallback)
        for shown in slack_mrkdwn(blocks):
            assert_slack_inert(shown)
    modal = slack_render.reply_modal(42, text, ReplyLimit(280), "C1")
    assert view_problems(modal) == []
    value = json.loads(slack_render.suggestion_value(42, text))
    assert text.startswith(value["text"]) and len(slack_render.suggestion_value(42, text)) <= 2000


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(text=long_hostile, handle=hostile, url=urls)
async def test_the_fake_slack_accepts_every_hostile_conversation_over_http(text, handle, url):
    async with FakeSlack() as slack:
        channel = slack.add_channel("social")
        chat = SlackChat(make_client(slack.token, slack.base_url))
        ref = await chat.post_conversation(channel, conversation(text, handle, handle, url), "conv:42:open")
        await chat.post_in_thread(ref, CustomerPost(42, handle, url, text, has_pii=False), "post:2")
        await chat.post_in_thread(ref, Suggestions(42, (text,), "offline"), "suggest:1")
        await chat.update_conversation(ChatRef(ref.channel, ref.thread_id), conversation(text, handle, handle, url))
        assert slack.errors == []


# --- Discord -------------------------------------------------------------------------------------------------------

@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=long_hostile, handle=hostile, name=hostile, url=urls, network=hostile)
def test_discord_renders_every_hostile_post_within_its_limits_and_inert(text, handle, name, url, network):
    view = conversation(text, handle, name, url, network)
    payloads = [discord_render.conversation_message(view, "conv:42:open"),
                discord_render.thread_message(CustomerPost(42, handle, url, text, has_pii=True), "k"),
                discord_render.thread_message(Suggestions(42, (text, name, "Hi!"), "offline", offline_reason=handle), "k"),
                discord_render.notice_message(Notice(text=f"Claimed by {plain(name)}", number=42, link=url), "k")]
    for payload in payloads:
        assert message_errors(payload) == {}
        assert payload["allowed_mentions"]["parse"] == []
        for embed in payload["embeds"]:
            author = (embed.get("author") or {}).get("name", "")  # plain text on Discord: only mentions could matter
            assert not re.search(r"@(everyone|here)|<[@#]|[\u202a-\u202e\u2066-\u2069]", author, re.I), author
            for shown in (embed.get("title", ""), embed.get("description", ""), *(f["value"] for f in embed.get("fields", []))):
                if "[View](" not in shown and "[open the post](" not in shown:
                    assert_discord_inert(shown)
            assert embed.get("url") is None or web_url(embed["url"]) == embed["url"]
    assert thread_name_errors(discord_render.thread_name(view)) == {}
    for chunk in discord_render.answer_chunks(text, prefix="<@123456789012345678> "):
        assert message_errors({"content": chunk}) == {}
    modal = discord_render.reply_modal(42, text, ReplyLimit(280))
    assert modal_errors(modal.to_dict()) == {}


def test_the_masked_link_discord_utils_misses_is_inert_too():
    escaped = discord_render.escape("see [docs](https://a) then [refund form](https://evil)")
    assert_discord_inert(escaped)
    assert discord.utils.escape_markdown("see [docs](https://a) then [refund form](https://evil)").count("\\[") == 1


def test_a_published_notice_links_only_a_web_url():
    """The replay source's replies have replay:// URLs: no dead "View" link, on either platform."""
    for link, linked in (("replay://replay/r1", False), ("https://x.com/acme/status/9", True)):
        notice = Notice(text="Published publicly by Sam Lee at 09:14 UTC.", number=1, link=link)
        text, _ = slack_render.thread_blocks(notice)
        assert ("|View>" in text) is linked and "replay://" not in text
        description = discord_render.notice_message(notice, "k")["embeds"][0]["description"]
        assert ("[View](" in description) is linked and "replay://" not in description


def test_a_suggestion_longer_than_the_reply_box_is_cut_and_the_modal_says_so():
    long = "Thanks for your patience. " * 400
    slack = slack_render.reply_modal(42, long, ReplyLimit(280), "C1")
    assert view_problems(slack) == [] and "characters were left out" in slack["blocks"][0]["hint"]["text"]
    data = discord_render.reply_modal(42, long, ReplyLimit(280)).to_dict()
    assert modal_errors(data) == {} and "characters were left out" in data["components"][0]["description"]
