"""Slack Block Kit rendering. Text from the internet goes through `escape` and can never ping anyone."""
from __future__ import annotations

import json
from datetime import datetime

from bot.views import (
    ApprovalRequest,
    ConversationView,
    CustomerPost,
    EscalationSummary,
    IncidentView,
    Suggestions,
    ThreadMessage,
)
from bot.vocabulary import network_name, status_name

SENTIMENT = {"positive": ":slightly_smiling_face:", "neutral": ":neutral_face:", "negative": ":rage:"}
PRIORITY = {"urgent": ":red_circle: urgent", "high": ":large_orange_circle: high", "normal": ":large_blue_circle: normal",
            "low": ":white_circle: low"}
SECTION_LIMIT = 2900  # Slack rejects section text over 3000 characters
BUTTON_VALUE_LIMIT = 2000  # Slack's limit for a button's value
WORD_JOINER = "\u2060"
METADATA_EVENT = "socialdesk_outbox"


def escape(text: str) -> str:
    """Make untrusted text inert in Slack: no <!channel>, <@U…>, <#C…> or links, no bare @here/@channel."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for word in ("here", "channel", "everyone"):
        for variant in (word, word.capitalize(), word.upper()):
            text = text.replace(f"@{variant}", f"@{WORD_JOINER}{variant}")
    return text


def quote(text: str) -> str:
    text = escape(text)
    if len(text) > SECTION_LIMIT:
        text = text[:SECTION_LIMIT].rsplit(" ", 1)[0] + " … _(cut here; open the post for the rest)_"
    return "\n".join(f"> {line}" if line else ">" for line in text.split("\n"))


def link(url: str, label: str) -> str:
    if not url.startswith(("https://", "http://")):
        return escape(label)
    safe_url = url.replace("|", "%7C").replace(">", "%3E").replace("<", "%3C")
    return f"<{safe_url}|{escape(label)}>"


def slack_date(moment: datetime) -> str:
    """A time every reader sees in their own time zone."""
    return f"<!date^{int(moment.timestamp())}^{{time}} {{date_short_pretty}}|{moment:%Y-%m-%d %H:%M} UTC>"


def due_text(due: datetime | None) -> str:
    return f"due {slack_date(due)}" if due else "answered"


def metadata(key: str, number: int | None) -> dict:
    """What socialdesk stores with each of its messages: the outbox key (found again after a crash) and the
    conversation number (absent on a channel's own messages, such as the digest)."""
    payload = {"key": key} if number is None else {"key": key, "number": number}
    return {"event_type": METADATA_EVENT, "event_payload": payload}


def conversation_blocks(view: ConversationView) -> tuple[str, list[dict]]:
    network = network_name(view.network)
    author = link(view.url, f"@{view.author_handle}")
    name = f" ({escape(view.author_name)})" if view.author_name and view.author_name != view.author_handle else ""
    owner = escape(view.owner_name) if view.owner_name else "nobody yet"
    due = f"snoozed until {slack_date(view.snoozed_until)}" if view.snoozed_until else due_text(view.due_at)
    facts = " · ".join([
        f"{SENTIMENT.get(view.sentiment, '')} {view.sentiment}", view.intent.replace("_", " "),
        PRIORITY.get(view.priority, view.priority), due,
        f"*{status_name(view.status)}*", f"owner: {owner}", f"lang: {view.language}",
    ])
    blocks: list[dict] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*#{view.number}* · {network} · {author}{name}"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": quote(view.text) or ">"}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": facts}]},
    ]
    if view.has_pii:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text":
            ":warning: Contains personal data. Don't repeat it in public; move to a private channel."}]})
    team = team_facts(view)
    if team:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": team[:SECTION_LIMIT]}]})
    if view.suggestion and view.status != "resolved":  # folded in here while the channel was backlogged
        value = json.dumps({"number": view.number, "text": view.suggestion})
        section = {"type": "section", "text": {"type": "plain_text", "emoji": True,
                                               "text": f"💡 Suggested: {view.suggestion}"[:SECTION_LIMIT]}}
        if len(value) <= BUTTON_VALUE_LIMIT:
            section["accessory"] = _button("Use…", "sd_reply_suggestion_0", value)
        blocks.append(section)
    if view.status != "resolved":
        blocks.append({"type": "actions", "block_id": f"conversation:{view.number}", "elements": [
            _button("Claim", "sd_claim", str(view.number)),
            _button("Reply…", "sd_reply", json.dumps({"number": view.number}), style="primary"),
            _button("Resolve", "sd_resolve", str(view.number)),
        ]})
    fallback = f"#{view.number} {network} @{escape(view.author_handle)}: {escape(view.text[:150])}"
    return fallback, blocks


TEAM_ICONS = {"history": ":bust_in_silhouette:", "tags": ":label:", "suggested_tags": "", "composing": ":pencil2:",
              "approval": ":hourglass_flowing_sand:", "escalated": ":rotating_light:"}


def team_facts(view: ConversationView) -> str:
    """The customer's history, tags, who is writing, what waits for whom, on one line."""
    def shown(kind: str, text: str) -> str:
        text = " ".join(f"`{t}`" for t in escape(text).split()) if kind == "tags" else escape(text)
        return f"{TEAM_ICONS[kind]} {text}".strip()

    return " · ".join(shown(kind, text) for kind, text in view.team_facts())


INCIDENT_PHRASING = 280  # characters of each phrasing and sample shown; the message stays well under Slack's 50 blocks


def incident_blocks(view: IncidentView) -> tuple[str, list[dict]]:
    """A surge in one message: how many customers, what they say, where, a few samples, and what to type."""
    name = f"I{view.number}"
    state = "resolved" if view.status == "resolved" else f"{view.open_conversations:,} open"
    head = (f":rotating_light: *Incident {name}* · {view.conversations:,} customers ({state}, "
            f"{view.answered:,} answered) · since {slack_date(view.first_at)}, latest {slack_date(view.last_at)}")
    said = "\n".join(f"{quote(_clip(text))} _(×{count:,})_" for text, count in view.phrasings)
    networks = " · ".join(f"{network_name(network)} {count:,}" for network, count in view.networks)
    facts = " · ".join(part for part in (networks, due_text(view.due_at) if view.open_conversations else "") if part)
    blocks: list[dict] = [{"type": "section", "text": {"type": "mrkdwn", "text": head}}]
    if said:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"*What they say*\n{said}"[:SECTION_LIMIT]}})
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": facts or "—"}]})
    for sample in view.samples:
        author = link(sample.url, f"@{sample.author_handle}")
        text = f"#{sample.number} · {network_name(sample.network)} · {author}\n{quote(_clip(sample.text))}"
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text[:SECTION_LIMIT]}})
    if view.suggestion and view.status != "resolved":
        blocks.append({"type": "section", "text": {"type": "plain_text", "emoji": True,
                                                   "text": f"💡 Suggested: {view.suggestion}"[:SECTION_LIMIT]}})
    todo = (f"Answer everyone: `/reply-all {name} text` ({{name}} becomes each customer's name) · close all: "
            f"`/resolve-all {name}` · take one out: `/incident {name} remove 42` · each one: `/queue`")
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": todo}]})
    return f"Incident {name}: {view.conversations} customers", blocks


def _clip(text: str) -> str:
    return text if len(text) <= INCIDENT_PHRASING else text[:INCIDENT_PHRASING].rsplit(" ", 1)[0] + " …"


def thread_blocks(message: ThreadMessage) -> tuple[str, list[dict]]:
    if isinstance(message, ApprovalRequest):
        return approval_blocks(message)
    if isinstance(message, EscalationSummary):
        return escalation_blocks(message)
    if isinstance(message, CustomerPost):
        head = f"{link(message.url, '@' + message.author_handle)} wrote:"
        blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": f"{head}\n{quote(message.text)}"}}]
        if message.has_pii:
            blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text":
                ":warning: Contains personal data. Don't repeat it in public."}]})
        return f"@{escape(message.author_handle)}: {escape(message.text[:150])}", blocks
    if isinstance(message, Suggestions):
        return suggestion_blocks(message)
    text = message.text
    if message.mention_group_id:
        text = f"<!subteam^{message.mention_group_id}> {text}"
    if message.mention_chat_id:
        text = f"<@{message.mention_chat_id}> {text}"
    if message.link:
        text = f"{text} {link(message.link, 'View')}"
    return text, [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]


def suggestion_blocks(message: Suggestions) -> tuple[str, list[dict]]:
    """Each suggestion with a Use… button, and a button for new ones. Says when they are offline, and why."""
    where = f"offline: {escape(message.offline_reason)}" if message.offline_reason else escape(message.source)
    head = (f":bulb: Suggested replies ({where}). Pick one to edit and send:" if message.texts
            else f":bulb: No suggested reply this time ({where}); write your own, or ask again.")
    blocks: list[dict] = [{"type": "context", "elements": [{"type": "mrkdwn", "text": head}]}]
    for index, text in enumerate(message.texts):
        value = json.dumps({"number": message.number, "text": text})
        blocks.append({"type": "section", "text": {"type": "plain_text", "text": text[:SECTION_LIMIT], "emoji": True},
                       "accessory": _button("Use…", f"sd_reply_suggestion_{index}", value)})
    blocks.append({"type": "actions", "elements": [_button("New suggestions", "sd_suggest", str(message.number))]})
    return f"Suggested replies for #{message.number}", blocks


def approval_blocks(message: ApprovalRequest) -> tuple[str, list[dict]]:
    """A reply waiting for a lead, with Approve / Edit… / Reject (or who decided, once decided)."""
    head = f":hourglass_flowing_sand: *{escape(message.author)}*'s reply waits for a lead ({escape(message.reasons)}):"
    blocks: list[dict] = [{"type": "section", "text": {"type": "mrkdwn", "text": f"{head}\n{quote(message.text)}"}}]
    if message.decided:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": escape(message.decided)}]})
    else:
        value = json.dumps({"number": message.number, "reply": message.reply_id})
        blocks.append({"type": "actions", "block_id": f"approval:{message.reply_id}", "elements": [
            _button("Approve", "sd_approve", value, style="primary"),
            _button("Edit…", "sd_approval_edit", value),
            _button("Reject", "sd_reject", value, style="danger"),
        ]})
    return f"#{message.number}: {escape(message.author)}'s reply waits for a lead's approval", blocks


def escalation_blocks(message: EscalationSummary) -> tuple[str, list[dict]]:
    """The summary that opens an expert group's thread; its posts are untrusted and quoted."""
    ping = f"<!subteam^{message.mention_group_id}> " if message.mention_group_id else ""
    head = (f"{ping}:rotating_light: *#{message.number}* escalated to *{escape(message.group)}* by {escape(message.by)}: "
            f"{escape(message.reason)}\n*Customer:* {escape(message.customer)}\n*History:* {escape(message.history)}")
    blocks: list[dict] = [{"type": "section", "text": {"type": "mrkdwn", "text": head[:SECTION_LIMIT]}}]
    if message.notes:
        notes = "\n".join(f"• {escape(note)}" for note in message.notes)
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"*Notes:*\n{notes}"[:SECTION_LIMIT]}})
    for post in message.posts:
        blocks.append({"type": "section", "text": {"type": "mrkdwn",
                                                   "text": f"{link(post.url, '@' + post.author_handle)}:\n{quote(post.text)}"}})
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text":
        f"Answer here like in the conversation's own thread: `!reply …`, notes; `/deescalate {message.number}` hands "
        "it back."}]})
    return f"#{message.number} escalated to {escape(message.group)}: {escape(message.reason[:150])}", blocks


def held_blocks(text: str, number: int, args: str) -> list[dict]:
    """A held reply's explanation with a one-click "Publish anyway" (`args` already carry --anyway)."""
    blocks: list[dict] = [{"type": "section", "text": {"type": "mrkdwn", "text": escape(text)}}]
    value = json.dumps({"number": number, "args": args})
    if len(value) <= BUTTON_VALUE_LIMIT:
        button = _button("Publish anyway", "sd_publish_anyway", value, style="danger")
        button["confirm"] = {"title": {"type": "plain_text", "text": "Publish anyway?"},
                             "text": {"type": "plain_text", "text": "It goes out as it is, and the audit log records "
                                                                   "that you overrode the guard."},
                             "confirm": {"type": "plain_text", "text": "Publish"},
                             "deny": {"type": "plain_text", "text": "Cancel"}}
        blocks.append({"type": "actions", "elements": [button]})
    return blocks


OPTIONS_LIMIT, OPTION_TEXT_LIMIT = 100, 75  # a static_select's options and an option's text (Block Kit reference)


def reply_modal(number: int, suggestion: str, max_length: int, channel: str,
                saved: list[tuple[str, str]] = (), text_block: str = "reply") -> dict:
    """The Reply… modal: the text (pre-filled), the saved replies that fit (picking one fills the text in, through a
    views.update that renames the text block, as Slack keeps typed state per block id), and the guard override.
    Slack tells us when it is closed (notify_on_close), so the parent message can say who is writing."""
    blocks: list[dict] = [
        {"type": "input", "block_id": text_block, "label": {"type": "plain_text", "text": "Your reply"},
         "hint": {"type": "plain_text", "text": f"Your initials are added. Limit with them: {max_length} characters."},
         "element": {"type": "plain_text_input", "action_id": "text", "multiline": True,
                     "initial_value": suggestion[:3000]}},
    ]
    if saved:
        options = [{"text": {"type": "plain_text", "text": f":{name} — {title}"[:OPTION_TEXT_LIMIT]}, "value": name}
                   for name, title in saved[:OPTIONS_LIMIT]]
        blocks.append({"type": "section", "block_id": "saved", "text": {"type": "mrkdwn", "text": "Or start from a saved reply:"},
                       "accessory": {"type": "static_select", "action_id": "sd_pick_saved", "options": options,
                                     "placeholder": {"type": "plain_text", "text": "Saved replies"}}})
    blocks.append(
        {"type": "input", "block_id": "anyway", "optional": True,
         "label": {"type": "plain_text", "text": "Guards"},
         "element": {"type": "checkboxes", "action_id": "checked", "options": [{
             "text": {"type": "plain_text", "text": "Publish anyway"},
             "description": {"type": "plain_text", "text": "Only if a guard (personal data, a colleague's conversation) "
                                                           "holds a reply you are sure about; the audit log records it."},
             "value": "anyway"}]}})
    return {
        "type": "modal",
        "callback_id": "sd_reply_modal",
        "private_metadata": json.dumps({"number": number, "channel": channel}),
        "title": {"type": "plain_text", "text": f"Reply to #{number}"},
        "submit": {"type": "plain_text", "text": "Publish"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "notify_on_close": True,
        "blocks": blocks,
    }


def modal_text(view: dict) -> str:
    """The text typed in a reply modal, whichever name its text block has now."""
    values = view["state"]["values"]
    block = next((key for key in values if key == "reply" or key.startswith("reply:")), "reply")
    return (values.get(block, {}).get("text", {}).get("value") or "").strip()


def approval_edit_modal(number: int, reply_id: int, text: str, max_length: int, channel: str) -> dict:
    """A lead's Edit… of a reply waiting for approval: submitting it approves the edited text."""
    return {
        "type": "modal",
        "callback_id": "sd_approval_edit_modal",
        "private_metadata": json.dumps({"number": number, "reply": reply_id, "channel": channel}),
        "title": {"type": "plain_text", "text": f"Edit reply to #{number}"[:24]},
        "submit": {"type": "plain_text", "text": "Approve"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [{"type": "input", "block_id": "reply", "label": {"type": "plain_text", "text": "The reply"},
                    "hint": {"type": "plain_text", "text": f"The author's initials stay. Limit: {max_length} characters."},
                    "element": {"type": "plain_text_input", "action_id": "text", "multiline": True,
                                "initial_value": text[:3000]}}],
    }


def _button(text: str, action_id: str, value: str, style: str | None = None) -> dict:
    button = {"type": "button", "text": {"type": "plain_text", "text": text}, "action_id": action_id, "value": value}
    if style:
        button["style"] = style
    return button
