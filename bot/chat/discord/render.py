"""Discord rendering: embeds, buttons, the reply modal, the held-reply prompts, and the allowed mentions of every message.

Text from the internet goes through `escape`: markdown is escaped and mentions are broken with a
zero-width space, so a post can neither ping nor restyle nor smuggle a masked link. Besides,
every message states its `allowed_mentions`: nobody by default, only the owner or the on-call
role where a notice means to reach them. Every message of the bot carries its outbox key's
digest in the embed footer (`ref …`), which is how `find_message` recognises it after a crash.
"""
from __future__ import annotations

import hashlib
import re
from datetime import datetime

import discord

from bot.views import (
    ApprovalRequest,
    ConversationView,
    CustomerPost,
    EscalationSummary,
    IncidentView,
    Notice,
    Suggestions,
    ThreadMessage,
)
from bot.vocabulary import network_name, status_name

SENTIMENT = {"positive": "🙂", "neutral": "😐", "negative": "😠"}
PRIORITY = {"urgent": "🔴", "high": "🟠", "normal": "🔵", "low": "⚪"}
COLOUR = {"urgent": 0xE03E3E, "high": 0xF08C00, "normal": 0x3B82F6, "low": 0x9CA3AF}
DESCRIPTION_LIMIT = 4000  # Discord allows 4096 characters in an embed description
FIELD_LIMIT = 1024
TITLE_LIMIT = 256
THREAD_NAME_LIMIT = 100
CONTENT_LIMIT = 2000
MODAL_TEXT_LIMIT = 4000
SHOWN_SUGGESTIONS = 5  # a "Use…" button each, in one row; "New suggestions" has its own row
MODAL_TIMEOUT = 900  # seconds discord.py keeps an open modal in memory; a later submit is still handled
ZWSP = "\u200b"
_REF = re.compile(r"ref ([0-9a-f]{16})$")
_MARKUP = re.compile(r"<(?=[@#/:ta])")  # <@user>, <@&role>, <#channel>, </command:id>, <t:…>, <a:emoji:id>
_EVERYONE = re.compile(r"@(?=(?:everyone|here)\b)", re.I)  # discord.py escapes the lower-case forms only
_BROKEN_MARKUP = re.compile(f"(?<=[<@]){ZWSP}")
_ESCAPED = re.compile(r"\\(.)", re.S)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
PARENT_FOOTER = "socialdesk #"


def ref(key: str) -> str:
    """A short, stable digest of an outbox key: shown in the footer, sent as the message nonce."""
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def ref_of(message: dict) -> str | None:
    """The digest in a message's embed footer (a message payload as the REST API returns it)."""
    for embed in message.get("embeds") or []:
        match = _REF.search((embed.get("footer") or {}).get("text", ""))
        if match:
            return match.group(1)
    return None


def is_conversation_parent(message: dict) -> bool:
    return any((e.get("footer") or {}).get("text", "").startswith(PARENT_FOOTER) for e in message.get("embeds") or [])


def inert_mentions(text: str) -> str:
    """No @everyone, @here, <@user>, <@&role>, <#channel>, </command:…> in `text`; markdown is left alone."""
    return _EVERYONE.sub("@" + ZWSP, _MARKUP.sub("<" + ZWSP, discord.utils.escape_mentions(text)))


def escape(text: str) -> str:
    """Untrusted text made inert: markdown escaped, mentions and Discord markup broken. `unescape` undoes it."""
    return discord.utils.escape_markdown(inert_mentions(text))


def unescape(text: str) -> str:
    """The text `escape` was given (to put a rendered suggestion back into the reply modal)."""
    return _BROKEN_MARKUP.sub("", _ESCAPED.sub(r"\1", text))


def fit(text: str, limit: int, transform=escape, tail: str = " … *(cut; open the post for the rest)*") -> str:
    """`transform(text)` within `limit` characters, cut at a word boundary *before* escaping (escapes stay whole)."""
    rendered = transform(text)
    while len(rendered) > limit:
        keep = max(0, len(text) * (limit - len(tail)) // len(rendered) - 1)
        text = text[:keep].rsplit(" ", 1)[0] if " " in text[:keep] else text[:keep]
        rendered = transform(text) + tail
    return rendered


def allowed_mentions(users: tuple[str, ...] = (), roles: tuple[str, ...] = ()) -> dict:
    """Nobody may be pinged except the `users` and `roles` named here (never @everyone or @here)."""
    return discord.AllowedMentions(
        everyone=False, users=[discord.Object(int(u)) for u in users] or False,
        roles=[discord.Object(int(r)) for r in roles] or False, replied_user=False,
    ).to_dict()


def thread_name(view: ConversationView) -> str:
    """'#42 · X · @handle: first words' in at most 100 characters (thread names are plain text)."""
    network = network_name(view.network)
    head = f"#{view.number} · {network} · @{_plain(view.author_handle)}"[:THREAD_NAME_LIMIT]
    words = _plain(view.text)
    room = THREAD_NAME_LIMIT - len(head) - 2
    if not words or room < 8:
        return head
    if len(words) > room:
        words = words[:room - 1].rsplit(" ", 1)[0] + "…"
    return f"{head}: {words}"


def conversation_message(view: ConversationView, key: str | None) -> dict:
    """The first message of a conversation's thread: an embed with the facts and the Claim / Reply… / Resolve buttons.

    `key` is None for an edit: only the first delivery needs finding again after a crash."""
    network = network_name(view.network)
    name = f" ({view.author_name})" if view.author_name and view.author_name != view.author_handle else ""
    head = f"#{view.number} · {network} · "
    embed = discord.Embed(
        title=head + fit(f"@{view.author_handle}{name}", TITLE_LIMIT - len(head), tail="…"),
        url=_web_url(view.url), description=fit(view.text, DESCRIPTION_LIMIT) or "*(no text)*",
        colour=COLOUR.get(view.priority, COLOUR["normal"]),
    )
    owner = f"<@{view.owner_chat_id}>" if view.owner_chat_id else (escape(view.owner_name) if view.owner_name else "nobody yet")
    for label, value in (
        ("Sentiment", f"{SENTIMENT.get(view.sentiment, '')} {view.sentiment}"),
        ("Intent", view.intent.replace("_", " ")),
        ("Priority", f"{PRIORITY.get(view.priority, '')} {view.priority}"),
        ("Due", f"snoozed until {stamp(view.snoozed_until, 'f')}" if view.snoozed_until else due_text(view.due_at)),
        ("Status", f"**{status_name(view.status)}**"),
        ("Owner", owner),
    ):
        embed.add_field(name=label, value=value, inline=True)
    if view.has_pii:
        embed.add_field(name="⚠️ Personal data", value="Don't repeat it in public; move to a private channel.", inline=False)
    team = team_facts(view)
    if team:
        embed.add_field(name="Team", value=fit(team, FIELD_LIMIT, transform=lambda t: t, tail="…"), inline=False)
    if view.suggestion and view.status != "resolved":  # folded in here while the channel was backlogged
        embed.add_field(name="💡 Suggested", value=fit(view.suggestion, FIELD_LIMIT, tail="…"), inline=False)
    embed.set_footer(text=f"{PARENT_FOOTER}{view.number} · lang {view.language}" + (f" · ref {ref(key)}" if key else ""))
    buttons = [] if view.status == "resolved" else [
        _button("Claim", f"sd:claim:{view.number}", discord.ButtonStyle.secondary),
        _button("Reply…", f"sd:reply:{view.number}", discord.ButtonStyle.primary),
        _button("Resolve", f"sd:resolve:{view.number}", discord.ButtonStyle.success),
    ]
    return _message(embeds=[embed], components=_rows(buttons))


TEAM_ICONS = {"history": "👤", "tags": "🏷️", "suggested_tags": "", "composing": "✏️", "approval": "⏳", "escalated": "🚨"}


def team_facts(view: ConversationView) -> str:
    """The customer's history, tags, who is writing, what waits for whom: one line each."""
    def shown(kind: str, text: str) -> str:
        text = " ".join(f"`{_plain(t)}`" for t in text.split()) if kind == "tags" else escape(text)
        return f"{TEAM_ICONS[kind]} {text}".strip()

    return "\n".join(shown(kind, text) for kind, text in view.team_facts())


def approval_message(message: ApprovalRequest, key: str) -> dict:
    """A reply waiting for a lead, with Approve / Reject (a lead edits with `/approve N the edited text`)."""
    embed = discord.Embed(title=fit(f"⏳ {message.author}'s reply waits for a lead", TITLE_LIMIT, _plain, "…"),
                          description=fit(message.text, DESCRIPTION_LIMIT))
    embed.add_field(name="Why", value=fit(message.reasons or "policy", FIELD_LIMIT, tail="…"), inline=False)
    if message.decided:
        embed.add_field(name="Decided", value=escape(message.decided), inline=False)
    else:
        embed.add_field(name="Edit", value=f"`/approve {message.number} the edited text`", inline=False)
    embed.set_footer(text=f"ref {ref(key)}")
    buttons = [] if message.decided else [
        _button("Approve", f"sd:approve:{message.number}:{message.reply_id}", discord.ButtonStyle.success),
        _button("Reject", f"sd:reject:{message.number}:{message.reply_id}", discord.ButtonStyle.danger),
    ]
    return _message(embeds=[embed], components=_rows(buttons))


def escalation_message(message: EscalationSummary, key: str) -> dict:
    """The summary an expert group gets; it pings the group's role."""
    embed = discord.Embed(title=fit(f"🚨 #{message.number} escalated to {message.group}", TITLE_LIMIT, _plain, "…"),
                          description=fit(f"{message.by}: {message.reason}", DESCRIPTION_LIMIT))
    embed.add_field(name="Customer", value=fit(message.customer, FIELD_LIMIT, tail="…"), inline=False)
    embed.add_field(name="History", value=fit(message.history, FIELD_LIMIT, tail="…"), inline=False)
    if message.notes:
        embed.add_field(name="Notes", value=fit("\n".join(message.notes), FIELD_LIMIT, tail="…"), inline=False)
    for post in message.posts:
        embed.add_field(name=fit(f"@{post.author_handle}", TITLE_LIMIT, _plain, "…"),
                        value=fit(post.text, FIELD_LIMIT, tail="…") or "*(no text)*", inline=False)
    embed.set_footer(text=f"ref {ref(key)}")
    roles = (message.mention_group_id,) if message.mention_group_id else ()
    return _message(content=" ".join(f"<@&{r}>" for r in roles) or None, embeds=[embed],
                    mentions=allowed_mentions((), roles))


def incident_message(view: IncidentView, key: str | None) -> dict:
    """A surge in one message: how many customers, what they say, where, a few samples, and what to type.
    `key` is None for an edit."""
    name = f"I{view.number}"
    state = "resolved" if view.status == "resolved" else f"{view.open_conversations:,} open"
    said = "\n".join(f"> {fit(' '.join(text.split()), 280, tail='…')} *(×{count:,})*" for text, count in view.phrasings)
    embed = discord.Embed(
        title=f"🚨 Incident {name} · {view.conversations:,} customers ({state}, {view.answered:,} answered)"[:TITLE_LIMIT],
        description=(f"**What they say**\n{said}" if said else "*(no text)*")[:DESCRIPTION_LIMIT],
        colour=COLOUR["urgent"],
    )
    networks = " · ".join(f"{network_name(network)} {count:,}" for network, count in view.networks)
    embed.add_field(name="Networks", value=networks or "—", inline=True)
    embed.add_field(name="Since", value=f"{stamp(view.first_at, 'f')}, latest {stamp(view.last_at, 'R')}", inline=True)
    if view.open_conversations and view.due_at:
        embed.add_field(name="Due", value=due_text(view.due_at), inline=True)
    for sample in view.samples:
        head = f"#{sample.number} · {network_name(sample.network)} · "
        embed.add_field(name=head + fit(f"@{_plain(sample.author_handle)}", TITLE_LIMIT - len(head), tail="…"),
                        value=fit(sample.text, 300, tail="…") or "*(no text)*", inline=False)
    if view.suggestion and view.status != "resolved":
        embed.add_field(name="💡 Suggested", value=fit(view.suggestion, FIELD_LIMIT, tail="…"), inline=False)
    embed.add_field(name="What to do", inline=False, value=(
        f"Answer everyone: `/reply-all {name} text` ({{name}} becomes each customer's name) · close all: "
        f"`/resolve-all {name}` · take one out: `/incident {name} remove 42` · each one: `/queue`"))
    embed.set_footer(text=f"incident {name}" + (f" · ref {ref(key)}" if key else ""))
    return _message(embeds=[embed])


def stamp(moment: datetime, style: str) -> str:
    """A Discord timestamp, shown in each reader's own time zone: style R 'in 2 hours' (it counts down by itself),
    t '09:22', f '2 November 2026 09:22'."""
    return f"<t:{int(moment.timestamp())}:{style}>"


def due_text(due: datetime | None) -> str:
    return f"{stamp(due, 'R')} ({stamp(due, 't')})" if due else "answered"


def thread_message(message: ThreadMessage, key: str) -> dict:
    if isinstance(message, CustomerPost):
        embed = discord.Embed(description=fit(message.text, DESCRIPTION_LIMIT) or "*(no text)*")
        embed.set_author(name=f"@{_plain(message.author_handle)} wrote"[:TITLE_LIMIT], url=_web_url(message.url))
        if message.has_pii:
            embed.add_field(name="⚠️ Personal data", value="Don't repeat it in public.", inline=False)
        embed.set_footer(text=f"ref {ref(key)}")
        return _message(embeds=[embed])
    if isinstance(message, Suggestions):
        return suggestions_message(message, key)
    if isinstance(message, ApprovalRequest):
        return approval_message(message, key)
    if isinstance(message, EscalationSummary):
        return escalation_message(message, key)
    return notice_message(message, key)


def suggestions_message(message: Suggestions, key: str) -> dict:
    """Each suggestion with a Use… button, and a button for new ones. Says when they are offline, and why."""
    where = f"offline: {message.offline_reason}" if message.offline_reason else message.source
    texts = message.texts[:SHOWN_SUGGESTIONS]
    head, hint = (("💡 Suggested replies", "Pick one to edit and send.") if texts
                  else ("💡 No suggested reply this time", "Write your own, or ask for new ones."))
    embed = discord.Embed(title=f"{head} ({fit(where, TITLE_LIMIT - len(head) - 3, _plain, '…')})", description=hint)
    for index, text in enumerate(texts):
        embed.add_field(name=str(index + 1), value=fit(text, FIELD_LIMIT, tail="…"), inline=False)
    embed.set_footer(text=f"ref {ref(key)}")
    use = [_button(f"Use {i + 1}…", f"sd:use:{message.number}:{i}", discord.ButtonStyle.secondary) for i in range(len(texts))]
    again = _button("New suggestions", f"sd:suggest:{message.number}", discord.ButtonStyle.secondary)
    return _message(embeds=[embed], components=_rows(use) + _rows([again]))


def notice_message(notice: Notice, key: str) -> dict:
    """A notice of the bot's own; it pings only the owner and the on-call role it names, in the message text."""
    text = inert_mentions(notice.text)
    if notice.link and _web_url(notice.link):
        text += f" [View]({_web_url(notice.link)})"
    embed = discord.Embed(description=text[:DESCRIPTION_LIMIT])
    embed.set_footer(text=f"ref {ref(key)}")
    users = (notice.mention_chat_id,) if notice.mention_chat_id else ()
    roles = (notice.mention_group_id,) if notice.mention_group_id else ()
    pings = " ".join([*(f"<@{u}>" for u in users), *(f"<@&{r}>" for r in roles)])
    return _message(content=pings or None, embeds=[embed], mentions=allowed_mentions(users, roles))


def answer_chunks(text: str) -> list[str]:
    """A handler's answer as message texts of at most 2000 characters, split between lines, pinging nobody."""
    chunks: list[str] = []
    for line in inert_mentions(text).split("\n"):
        while len(line) > CONTENT_LIMIT:
            chunks.append(line[:CONTENT_LIMIT])
            line = line[CONTENT_LIMIT:]
        if chunks and len(chunks[-1]) + 1 + len(line) <= CONTENT_LIMIT:
            chunks[-1] += "\n" + line
        else:
            chunks.append(line)
    return [chunk for chunk in chunks if chunk.strip()] or ["(no answer)"]


def reply_modal(number: int, suggestion: str, max_length: int) -> discord.ui.Modal:
    """The reply, pre-filled, and a "Publish anyway" box for a reply the personal-data guard would hold.

    Discord's modal must be the immediate answer to the button: nothing slow may happen before it."""
    modal = discord.ui.Modal(title=f"Reply to #{number}", custom_id=f"sd:reply_modal:{number}", timeout=MODAL_TIMEOUT)
    hint = f"Your initials are added. Limit with them: {max_length} characters." if max_length else "Your initials are added."
    modal.add_item(discord.ui.Label(text="Your reply", description=hint, component=discord.ui.TextInput(
        custom_id="text", style=discord.TextStyle.paragraph, default=suggestion[:MODAL_TEXT_LIMIT] or None,
        max_length=MODAL_TEXT_LIMIT,
    )))
    modal.add_item(discord.ui.Label(
        text="Publish anyway if the guard holds it", component=discord.ui.Checkbox(custom_id="anyway"),
        description="Only for a reply you are sure about: the audit log records it. Length is always checked.",
    ))
    return modal


def held_buttons(number: int, token: str) -> discord.ui.View:
    """The button under a held reply. Discord has no confirmation dialogs, so it leads to socialdesk's own."""
    return _Buttons(discord.ui.Button(label="Publish anyway…", custom_id=f"sd:anyway:{number}:{token}",
                                      style=discord.ButtonStyle.danger))


def anyway_confirmation(number: int, token: str, text: str) -> dict:
    """The confirmation step: what goes out, what the override means, and the buttons to publish or not."""
    embed = discord.Embed(description=fit(text, DESCRIPTION_LIMIT, tail=" …"))
    return {
        "content": f"**Publish your reply to #{number} anyway?** It goes out as written below, signed with your initials, "
                   "and the audit log records that you overrode the personal-data guard.",
        "embed": embed,
        "view": _Buttons(
            discord.ui.Button(label="Publish it", custom_id=f"sd:publish:{number}:{token}", style=discord.ButtonStyle.danger),
            discord.ui.Button(label="Cancel", custom_id=f"sd:cancel:{number}:{token}", style=discord.ButtonStyle.secondary),
        ),
    }


class _Buttons(discord.ui.View):
    """Buttons on an answer to a teammate. DeskBot routes every press by its custom_id, so discord.py need not keep
    the view in memory waiting for presses: it counts as finished from the start."""

    def __init__(self, *buttons: discord.ui.Button) -> None:
        super().__init__(timeout=None)
        for button in buttons:
            self.add_item(button)

    def is_finished(self) -> bool:
        return True


def _message(*, content: str | None = None, embeds: list[discord.Embed], components: list[dict] | None = None,
             mentions: dict | None = None) -> dict:
    return {"content": content, "embeds": [e.to_dict() for e in embeds], "components": components or [],
            "allowed_mentions": mentions or allowed_mentions()}


def _button(label: str, custom_id: str, style: discord.ButtonStyle) -> dict:
    return discord.ui.Button(label=label, custom_id=custom_id, style=style).to_component_dict()


def _rows(buttons: list[dict]) -> list[dict]:
    return [{"type": 1, "components": buttons[i:i + 5]} for i in range(0, len(buttons), 5)]


def _plain(text: str) -> str:
    """One line of plain text (thread names, embed author names): no control characters, no runs of spaces."""
    return " ".join(_CONTROL.sub(" ", text).split())


def _web_url(url: str | None) -> str | None:
    """Only http(s) links are linked; parentheses are encoded so a masked link cannot be closed early."""
    if not url or not url.startswith(("https://", "http://")):
        return None
    return url.replace("(", "%28").replace(")", "%29").replace(" ", "%20")
