"""Slack Block Kit rendering. Every field fits Slack's documented limits by construction, and text that did not
come from the bot can never ping, link or format anything.

Limits (https://docs.slack.dev/reference/block-kit/blocks, …/block-elements/button-element,
…/composition-objects/option-object, https://docs.slack.dev/surfaces/modals) are measured on the
rendered string: after escaping, quoting with "> ", and the "cut" tail (bot/chat/text.py `fit`).
Untrusted text is escaped (`&`, `<`, `>`: no `<!channel>`, `<@U…>`, `<#C…>` or `<url|label>`),
`@here` / `@channel` / `@everyone` in any case and bare links are broken with a word joiner, the
mrkdwn formatting characters get a zero-width space after them so no pair forms, bidi controls are
stripped, and the text objects carrying it are `verbatim` (Slack parses nothing in them).
"""
from __future__ import annotations

import json
from datetime import datetime

import regex

from bot.chat.text import fit, how_much, one_line, web_url
from bot.views import (
    ApprovalRequest,
    ConversationView,
    CustomerPost,
    EscalationSummary,
    IncidentView,
    ReplyLimit,
    Suggestions,
    ThreadMessage,
)
from bot.vocabulary import network_name, status_name
from bot.wording import clean, cut

SENTIMENT = {"positive": ":slightly_smiling_face:", "neutral": ":neutral_face:", "negative": ":rage:"}
PRIORITY = {"urgent": ":red_circle: urgent", "high": ":large_orange_circle: high", "normal": ":large_blue_circle: normal",
            "low": ":white_circle: low"}
SECTION_LIMIT = 3000  # a section's text (docs.slack.dev/reference/block-kit/blocks/section-block)
CONTEXT_TEXT_LIMIT = 3000  # a text object (docs.slack.dev/reference/block-kit/composition-objects/text-object)
BUTTON_VALUE_LIMIT = 2000  # a button's value (docs.slack.dev/reference/block-kit/block-elements/button-element)
SHOWN_SUGGESTIONS = 5  # a section each; with the head and the button row, far below 50 blocks
FALLBACK_PREVIEW = 150  # the notification text's share of the post
NAME_LIMIT = 80  # graphemes of a handle or display name shown
INPUT_VALUE_LIMIT = 3000  # plain_text_input (docs.slack.dev/reference/block-kit/block-elements/plain-text-input-element)
VIEW_TITLE_LIMIT = 24  # a modal's title, submit and close (docs.slack.dev/reference/views)
WORD_JOINER = "\u2060"
ZWSP = "\u200b"
METADATA_EVENT = "socialdesk_outbox"
_EVERYONE = regex.compile(r"@(?=here|channel|everyone)", regex.I)
_AUTOLINK = regex.compile(r"(?<=https?|ftp|mailto|www)(?=[:.])", regex.I)
_FORMATTING = regex.compile(r"([*_~`])")


def escape(text: str) -> str:
    """Make untrusted text inert in Slack mrkdwn: no pings, no links, no formatting, no bidi tricks."""
    text = clean(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _EVERYONE.sub("@" + WORD_JOINER, text)
    text = _AUTOLINK.sub(WORD_JOINER, text)
    return _FORMATTING.sub(r"\1" + ZWSP, text)


def name(text: str) -> str:
    """A handle or display name: one line, at most NAME_LIMIT graphemes, escaped."""
    return escape(cut(one_line(text), NAME_LIMIT))


def quote(text: str) -> str:
    """Already escaped text as a mrkdwn block quote."""
    return "\n".join(f"> {line}" if line else ">" for line in text.split("\n"))


def quoted_post(text: str, url: str | None, limit: int = SECTION_LIMIT) -> str:
    """The post escaped and quoted in at most `limit` characters; a long one shows its head and says how much is cut,
    with a link to the rest."""
    where = link(url, "open the post") if web_url(url) else "open the post on the network"

    def render(head: str, left_out: int) -> str:
        body = quote(escape(head)) if head.strip() else ">"
        return body + (f" …\n_({how_much(left_out)} cut: {where} for the rest)_" if left_out else "")

    return fit(text, limit, render)


def link(url: str | None, label: str) -> str:
    """`label` linked to `url` when it is a web URL (rebuilt, so Slack accepts it), else the label alone."""
    safe_url = web_url(url)
    return f"<{safe_url}|{escape(label)}>" if safe_url else escape(label)


def mrkdwn(text: str) -> dict:
    return {"type": "mrkdwn", "text": text, "verbatim": True}


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
    network = escape(cut(one_line(network_name(view.network)), 30))
    author = link(view.url, f"@{cut(one_line(view.author_handle), NAME_LIMIT)}")
    shown_name = f" ({name(view.author_name)})" if view.author_name and view.author_name != view.author_handle else ""
    owner = name(view.owner_name or "") or "nobody yet"
    due = f"snoozed until {slack_date(view.snoozed_until)}" if view.snoozed_until else due_text(view.due_at)
    facts = " · ".join([
        f"{SENTIMENT.get(view.sentiment, '')} {escape(view.sentiment)}", escape(view.intent.replace("_", " ")),
        PRIORITY.get(view.priority, escape(view.priority)), due,
        f"*{status_name(view.status)}*", f"owner: {owner}", f"lang: {escape(cut(view.language, 16))}",
    ])
    blocks: list[dict] = [
        {"type": "section", "text": mrkdwn(f"*#{view.number}* · {network} · {author}{shown_name}")},
        {"type": "section", "text": mrkdwn(quoted_post(view.text, view.url))},
        {"type": "context", "elements": [mrkdwn(facts)]},
    ]
    if view.has_pii:
        blocks.append({"type": "context", "elements": [mrkdwn(
            ":warning: Contains personal data. Don't repeat it in public; move to a private channel.")]})
    team = team_facts(view)
    if team:
        blocks.append({"type": "context", "elements": [mrkdwn(cut(team, CONTEXT_TEXT_LIMIT))]})
    if view.suggestion and view.status != "resolved":  # folded in here while the channel was backlogged
        blocks.append({"type": "section", "text": {"type": "plain_text", "emoji": True,
                                                   "text": cut(clean(f"💡 Suggested: {view.suggestion}"), SECTION_LIMIT)},
                       "accessory": _button("Use…", "sd_reply_suggestion_0", suggestion_value(view.number, view.suggestion))})
    if view.status != "resolved":
        blocks.append({"type": "actions", "block_id": f"conversation:{view.number}", "elements": [
            _button("Claim", "sd_claim", str(view.number)),
            _button("Reply…", "sd_reply", json.dumps({"number": view.number}), style="primary"),
            _button("Resolve", "sd_resolve", str(view.number)),
        ]})
    return f"#{view.number} {network} @{name(view.author_handle)}: {preview(view.text)}", blocks


def preview(text: str) -> str:
    """The head of a post for a notification (the message's `text`)."""
    return escape(cut(one_line(text), FALLBACK_PREVIEW))


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
    label = f"I{view.number}"
    if view.merged_into:
        return f"Incident {label} was merged into I{view.merged_into}", [{"type": "section", "text": mrkdwn(
            f":link: *Incident {label}* was merged into *I{view.merged_into}*: its customers are counted and answered "
            f"there (`/incident I{view.merged_into}`).")}]
    state = "resolved" if view.status == "resolved" else f"{view.open_conversations:,} open"
    head = (f":rotating_light: *Incident {label}* · {view.conversations:,} customers ({state}, "
            f"{view.answered:,} answered) · since {slack_date(view.first_at)}, latest {slack_date(view.last_at)}")
    said = "\n".join(f"{quote(escape(cut(one_line(text), INCIDENT_PHRASING)))} _(×{count:,})_"
                     for text, count in view.phrasings)
    networks = " · ".join(f"{escape(cut(one_line(network_name(network)), 30))} {count:,}" for network, count in view.networks)
    facts = " · ".join(part for part in (networks, due_text(view.due_at) if view.open_conversations else "") if part)
    blocks: list[dict] = [{"type": "section", "text": mrkdwn(head)}]
    if said:
        blocks.append({"type": "section", "text": mrkdwn(cut(f"*What they say*\n{said}", SECTION_LIMIT))})
    blocks.append({"type": "context", "elements": [mrkdwn(cut(facts, CONTEXT_TEXT_LIMIT) or "—")]})
    for sample in view.samples:
        intro = (f"#{sample.number} · {escape(cut(one_line(network_name(sample.network)), 30))} · "
                 f"{link(sample.url, '@' + cut(one_line(sample.author_handle), NAME_LIMIT))}\n")
        shown = quoted_post(sample.text, sample.url, min(SECTION_LIMIT - len(intro), INCIDENT_PHRASING * 2))
        blocks.append({"type": "section", "text": mrkdwn(intro + shown)})
    if view.suggestion and view.status != "resolved":
        blocks.append({"type": "section", "text": {"type": "plain_text", "emoji": True,
                                                   "text": cut(clean(f"💡 Suggested: {view.suggestion}"), SECTION_LIMIT)}})
    todo = (f"Answer everyone: `/reply-all {label} text` ({{name}} becomes each customer's name) · close all: "
            f"`/resolve-all {label}` · take one out: `/incident {label} remove 42` · merge another in: "
            f"`/incident {label} merge I8` · each one: `/queue`")
    blocks.append({"type": "context", "elements": [mrkdwn(todo)]})
    return f"Incident {label}: {view.conversations} customers", blocks


def thread_blocks(message: ThreadMessage) -> tuple[str, list[dict]]:
    if isinstance(message, ApprovalRequest):
        return approval_blocks(message)
    if isinstance(message, EscalationSummary):
        return escalation_blocks(message)
    if isinstance(message, CustomerPost):
        head = f"{link(message.url, '@' + cut(one_line(message.author_handle), NAME_LIMIT))} wrote:\n"
        blocks = [{"type": "section", "text": mrkdwn(head + quoted_post(message.text, message.url,
                                                                         SECTION_LIMIT - len(head)))}]
        if message.has_pii:
            blocks.append({"type": "context", "elements": [mrkdwn(
                ":warning: Contains personal data. Don't repeat it in public.")]})
        return f"@{name(message.author_handle)}: {preview(message.text)}", blocks
    if isinstance(message, Suggestions):
        return suggestion_blocks(message)
    prefix = "".join([f"<@{message.mention_chat_id}> " if message.mention_chat_id else "",
                      f"<!subteam^{message.mention_group_id}> " if message.mention_group_id else ""])
    view_link = f" {link(message.link, 'View')}" if web_url(message.link) else ""
    text = prefix + cut(message.text, SECTION_LIMIT - len(prefix) - len(view_link)) + view_link
    return text, [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]


def suggestion_blocks(message: Suggestions) -> tuple[str, list[dict]]:
    """Each suggestion with a Use… button, and a button for new ones. Says when they are offline, and why."""
    where = f"offline: {escape(cut(message.offline_reason, 500))}" if message.offline_reason else escape(cut(message.source, 100))
    head = (f":bulb: Suggested replies ({where}). Pick one to edit and send:" if message.texts
            else f":bulb: No suggested reply this time ({where}); write your own, or ask again.")
    blocks: list[dict] = [{"type": "context", "elements": [mrkdwn(head)]}]
    for index, text in enumerate(message.texts[:SHOWN_SUGGESTIONS]):
        blocks.append({"type": "section", "text": {"type": "plain_text", "text": cut(clean(text), SECTION_LIMIT) or "-",
                                                   "emoji": True},
                       "accessory": _button("Use…", f"sd_reply_suggestion_{index}", suggestion_value(message.number, text))})
    blocks.append({"type": "actions", "elements": [_button("New suggestions", "sd_suggest", str(message.number))]})
    return f"Suggested replies for #{message.number}", blocks


def suggestion_value(number: int, text: str) -> str:
    """A Use… button's value: the suggestion, cut to fit the value's limit (`cut` says how many characters were left out,
    and the modal says so)."""
    def render(head: str, left_out: int) -> str:
        return json.dumps({"number": number, "text": head, **({"cut": left_out} if left_out else {})})

    return fit(text, BUTTON_VALUE_LIMIT, render)


def approval_blocks(message: ApprovalRequest) -> tuple[str, list[dict]]:
    """A reply waiting for a lead, with Approve / Edit… / Reject (or who decided, once decided)."""
    head = f":hourglass_flowing_sand: *{name(message.author)}*'s reply waits for a lead ({escape(cut(message.reasons, 300))}):\n"
    blocks: list[dict] = [{"type": "section", "text": mrkdwn(head + quoted_post(message.text, None, SECTION_LIMIT - len(head)))}]
    if message.decided:
        blocks.append({"type": "context", "elements": [mrkdwn(escape(cut(message.decided, CONTEXT_TEXT_LIMIT // 2)))]})
    else:
        value = json.dumps({"number": message.number, "reply": message.reply_id})
        blocks.append({"type": "actions", "block_id": f"approval:{message.reply_id}", "elements": [
            _button("Approve", "sd_approve", value, style="primary"),
            _button("Edit…", "sd_approval_edit", value),
            _button("Reject", "sd_reject", value, style="danger"),
        ]})
    return f"#{message.number}: {name(message.author)}'s reply waits for a lead's approval", blocks


def escalation_blocks(message: EscalationSummary) -> tuple[str, list[dict]]:
    """The summary that opens an expert group's thread; its posts are untrusted and quoted."""
    ping = f"<!subteam^{message.mention_group_id}> " if message.mention_group_id else ""
    head = (f"{ping}:rotating_light: *#{message.number}* escalated to *{escape(message.group)}* by {escape(message.by)}: "
            f"{escape(message.reason)}\n*Customer:* {escape(message.customer)}\n*History:* {escape(message.history)}")
    blocks: list[dict] = [{"type": "section", "text": mrkdwn(cut(head, SECTION_LIMIT))}]
    if message.notes:
        notes = "\n".join(f"• {escape(note)}" for note in message.notes)
        blocks.append({"type": "section", "text": mrkdwn(cut(f"*Notes:*\n{notes}", SECTION_LIMIT))})
    for post in message.posts:
        head = f"{link(post.url, '@' + cut(one_line(post.author_handle), NAME_LIMIT))}:\n"
        blocks.append({"type": "section", "text": mrkdwn(head + quoted_post(post.text, post.url, SECTION_LIMIT - len(head)))})
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text":
        f"Answer here like in the conversation's own thread: `!reply …`, notes; `/deescalate {message.number}` hands "
        "it back."}]})
    return f"#{message.number} escalated to {escape(message.group)}: {preview(message.reason)}", blocks


def held_blocks(text: str, number: int, args: str) -> list[dict]:
    """A held reply's explanation with a one-click "Publish anyway" (`args` already carry --anyway)."""
    blocks: list[dict] = [{"type": "section", "text": mrkdwn(cut(escape(text), SECTION_LIMIT))}]
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


def reply_modal(number: int, suggestion: str, max_length: ReplyLimit, channel: str,
                saved: list[tuple[str, str]] = (), text_block: str = "reply", cut_before: int = 0) -> dict:
    """The Reply… modal: the text (pre-filled), the saved replies that fit (picking one fills the text in, through a
    views.update that renames the text block, as Slack keeps typed state per block id), and the guard override.
    Slack tells us when it is closed (notify_on_close), so the parent message can say who is writing. A suggestion
    longer than the box holds is cut, and the hint says by how much (`cut_before`: characters a button's value left
    out already)."""
    initial = cut(suggestion, INPUT_VALUE_LIMIT, marker="")
    left_out = cut_before + len(suggestion) - len(initial)
    hint = f"Your initials are added. Limit with them: {max_length}." if max_length else "Your initials are added."
    if left_out:
        hint = f"The suggestion was too long for this box: its last {left_out:,} characters were left out. {hint}"
    element = {"type": "plain_text_input", "action_id": "text", "multiline": True, "max_length": INPUT_VALUE_LIMIT}
    if initial:
        element["initial_value"] = initial
    blocks: list[dict] = [
        {"type": "input", "block_id": text_block, "label": {"type": "plain_text", "text": "Your reply"},
         "hint": {"type": "plain_text", "text": hint}, "element": element},
    ]
    if saved:
        options = [{"text": {"type": "plain_text", "text": cut(f":{name} — {title}", OPTION_TEXT_LIMIT)}, "value": name}
                   for name, title in saved[:OPTIONS_LIMIT]]
        blocks.append({"type": "section", "block_id": "saved", "text": {"type": "mrkdwn", "text": "Or start from a saved reply:"},
                       "accessory": {"type": "static_select", "action_id": "sd_pick_saved", "options": options,
                                     "placeholder": {"type": "plain_text", "text": "Saved replies"}}})
    blocks.append(
        {"type": "input", "block_id": "anyway", "optional": True,
         "label": {"type": "plain_text", "text": "Guards"},
         "element": {"type": "checkboxes", "action_id": "checked", "options": [{
             "text": {"type": "plain_text", "text": "Publish anyway"},
             # an option's description holds 75 characters (Block Kit reference)
             "description": {"type": "plain_text", "text": "Only for a reply you are sure about: the audit log records it."},
             "value": "anyway"}]}})
    return {
        "type": "modal",
        "callback_id": "sd_reply_modal",
        "private_metadata": json.dumps({"number": number, "channel": channel}),
        "title": {"type": "plain_text", "text": cut(f"Reply to #{number}", VIEW_TITLE_LIMIT)},
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


def approval_edit_modal(number: int, reply_id: int, text: str, max_length: ReplyLimit, channel: str) -> dict:
    """A lead's Edit… of a reply waiting for approval: submitting it approves the edited text."""
    return {
        "type": "modal",
        "callback_id": "sd_approval_edit_modal",
        "private_metadata": json.dumps({"number": number, "reply": reply_id, "channel": channel}),
        "title": {"type": "plain_text", "text": cut(f"Edit reply to #{number}", VIEW_TITLE_LIMIT)},
        "submit": {"type": "plain_text", "text": "Approve"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [{"type": "input", "block_id": "reply", "label": {"type": "plain_text", "text": "The reply"},
                    "hint": {"type": "plain_text", "text": f"The author's initials stay. Limit: {max_length}."},
                    "element": {"type": "plain_text_input", "action_id": "text", "multiline": True,
                                "initial_value": cut(text, INPUT_VALUE_LIMIT, marker="")}}],
    }


def _button(text: str, action_id: str, value: str, style: str | None = None) -> dict:
    button = {"type": "button", "text": {"type": "plain_text", "text": text}, "action_id": action_id, "value": value}
    if style:
        button["style"] = style
    return button
