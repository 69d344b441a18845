"""The App Home tab: an agent's own desk in Slack (bot/reports/home.py builds it, this module draws it).

Slack's limits for a home tab (docs.slack.dev/reference/views): at most 100 blocks, a section's
text at most 3000 characters, a button's text 75 and its url 3000; the lists are capped in
bot/reports/home.py so a tab never comes near them.
"""
from __future__ import annotations

import json

from bot.chat.slack.render import SECTION_LIMIT, escape, slack_date
from bot.views import HomeRow, HomeView
from bot.vocabulary import network_name, status_name
from bot.wording import count


def home_tab(view: HomeView, team_url: str) -> dict:
    blocks: list[dict] = [
        {"type": "header", "text": {"type": "plain_text", "text": f"{view.agent_name[:60]}'s desk"}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": escape(view.today)[:SECTION_LIMIT]}]},
    ]
    _section(blocks, f"Yours ({count(len(view.mine) + view.more_mine, 'open conversation')})", view.mine, view.more_mine,
             team_url, claim=False, empty="Nothing of yours is open. Claim one below.")
    _section(blocks, "Unowned, the most urgent first", view.unowned, view.more_unowned, team_url, claim=True,
             empty="Every open conversation has an owner.")
    if view.is_lead:
        _section(blocks, "Waiting for your approval", view.approvals, 0, team_url, claim=False,
                 empty="No reply waits for approval.")
    return {"type": "home", "callback_id": "sd_home", "blocks": blocks}


def not_an_agent_tab() -> dict:
    return {"type": "home", "callback_id": "sd_home", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text":
            "socialdesk shows your conversations here once you are an agent: ask a lead to add your Slack id to "
            "[[agents]] in socialdesk.toml."}}]}


def _section(blocks: list[dict], title: str, rows: tuple[HomeRow, ...], more: int, team_url: str, *, claim: bool,
             empty: str) -> None:
    blocks += [{"type": "divider"}, {"type": "section", "text": {"type": "mrkdwn", "text": f"*{escape(title)}*"}}]
    if not rows:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": empty}]})
    for row in rows:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _line(row)[:SECTION_LIMIT]}})
        buttons = []
        if claim:
            buttons.append({"type": "button", "text": {"type": "plain_text", "text": "Claim"}, "action_id": "sd_home_claim",
                            "value": json.dumps({"number": row.number}), "style": "primary"})
        if row.thread:
            buttons.append({"type": "button", "text": {"type": "plain_text", "text": "Open thread"},
                            "action_id": f"sd_home_open_{row.number}", "url": permalink(team_url, row.thread.channel,
                                                                                          row.thread.thread_id)})
        if buttons:
            blocks.append({"type": "actions", "block_id": f"home:{title[:20]}:{row.number}", "elements": buttons})
    if more:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"…and {more} more: `/queue`"}]})


def _line(row: HomeRow) -> str:
    due = f"due {slack_date(row.due_at)}" if row.due_at else status_name(row.status).lower()
    who = escape(row.waiting) if row.waiting else f"owner: {escape(row.owner_name or 'nobody')}"
    return (f"*#{row.number}* {row.priority} · {due} · {network_name(row.network)} @{escape(row.author_handle)} · "
            f"{who}")


def permalink(team_url: str, channel: str, ts: str) -> str:
    """A message's link, as chat.getPermalink gives it, without a call per row."""
    return f"{team_url.rstrip('/')}/archives/{channel}/p{ts.replace('.', '')}"
