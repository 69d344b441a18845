"""An incident's message carries the customers' texts: whatever they wrote, it pings nobody and fits the platforms' limits."""
from __future__ import annotations

import re
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.chat.discord.render import incident_message
from bot.chat.slack.render import incident_blocks
from bot.views import IncidentSample, IncidentView

AT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
HOSTILE = st.one_of(st.text(max_size=5000), st.sampled_from([
    "<!channel> the app is down", "@here @everyone login broken", "<@U0ADMIN> fix it", "<https://evil.example|click>",
    "*bold* _it_ ~x~ `code` ```block```", "@\u200beveryone", "</reply:1> ||spoiler|| [link](https://evil.example)",
])).map(lambda text: text or "x")
SLACK_PING = re.compile(r"<!(?!date\^)|<@|<#|<https?://evil")  # what only the bot may write: none from a customer


def views():
    sample = st.builds(IncidentSample, number=st.integers(1, 10 ** 9), network=st.sampled_from(["x", "mastodon"]),
                       author_handle=HOSTILE.map(lambda t: t[:300]), url=st.sampled_from(["https://x.com/a/1", "javascript:x"]),
                       text=HOSTILE)
    return st.builds(
        IncidentView, number=st.integers(1, 10 ** 9), status=st.sampled_from(["open", "resolved"]),
        conversations=st.integers(1, 10 ** 6), open_conversations=st.integers(0, 10 ** 6), answered=st.integers(0, 10 ** 6),
        phrasings=st.lists(st.tuples(HOSTILE, st.integers(1, 10 ** 6)), max_size=3).map(tuple),
        networks=st.lists(st.tuples(st.sampled_from(["x", "mastodon", "bluesky"]), st.integers(1, 10 ** 6)),
                          max_size=4).map(tuple),
        samples=st.lists(sample, max_size=3).map(tuple), first_at=st.just(AT), last_at=st.just(AT),
        due_at=st.one_of(st.none(), st.just(AT)), suggestion=st.one_of(st.none(), HOSTILE),
        merged_into=st.one_of(st.none(), st.integers(1, 10 ** 9)),
    )


@settings(max_examples=150, deadline=None)
@given(views())
def test_the_slack_message_pings_nobody_and_fits_block_kit(view):
    text, blocks = incident_blocks(view)
    assert len(blocks) <= 50 and len(text) <= 40_000  # api.slack.com/reference/block-kit/blocks
    for block in blocks:
        texts = [block["text"]] if "text" in block else block.get("elements", [])
        for item in texts:
            assert len(item["text"]) <= 3000  # a section's or context element's text
            if item["type"] == "mrkdwn":
                assert not SLACK_PING.search(item["text"])
                assert not re.search(r"(?<!\u2060)@(here|channel|everyone)\b", item["text"], re.I)


@settings(max_examples=150, deadline=None)
@given(views())
def test_the_discord_embed_pings_nobody_and_fits_discords_limits(view):
    payload = incident_message(view, "incident:1:open")
    (embed,) = payload["embeds"]
    fields = embed.get("fields", [])
    # discord.com/developers/docs/resources/message#embed-object-embed-limits
    assert len(embed["title"]) <= 256 and len(embed["description"]) <= 4096 and len(fields) <= 25
    assert all(len(f["name"]) <= 256 and 0 < len(f["value"]) <= 1024 for f in fields)
    total = len(embed["title"]) + len(embed["description"]) + len(embed["footer"]["text"]) + sum(
        len(f["name"]) + len(f["value"]) for f in fields)
    assert total <= 6000
    assert payload.get("allowed_mentions", {}).get("parse", []) == []
    everything = " ".join([embed["title"], embed["description"], *(f["name"] + f["value"] for f in fields)])
    assert not re.search(r"@(everyone|here)\b", everything) and not re.search(r"<@[&!]?\d", everything)


def test_a_merged_incident_says_where_its_customers_went():
    view = IncidentView(number=8, status="merged", conversations=0, open_conversations=0, answered=0, phrasings=(),
                        networks=(), samples=(), first_at=AT, last_at=AT, due_at=None, merged_into=7)
    text, blocks = incident_blocks(view)
    assert text == "Incident I8 was merged into I7" and "/incident I7" in blocks[0]["text"]["text"]
    (embed,) = incident_message(view, None)["embeds"]
    assert embed["title"] == "🔗 Incident I8 was merged into I7" and "/incident I7" in embed["description"]
