"""Discord rendering: embeds, buttons, the reply modal, the held-reply prompts, and the allowed mentions of every message.

Text from the internet goes through `escape`: every markdown character is escaped with a backslash
(masked links, headings, lists and bare links included: `discord.utils.escape_markdown` misses the
second masked link on a line), mentions are broken with a zero-width space and bidi controls are
stripped, so a post can neither ping nor restyle nor smuggle a link. Every field is cut to Discord's
limit by construction (bot/chat/text.py), and post URLs are rebuilt or dropped. Besides,
every message states its `allowed_mentions`: nobody by default, only the owner or the on-call
role where a notice means to reach them. Every message of the bot carries its outbox key's
digest in the embed footer (`ref …`), which is how `find_message` recognises it after a crash.
"""
from __future__ import annotations

import hashlib
import re
from datetime import datetime

import discord
import regex

from bot.chat.text import fit as text_fit
from bot.chat.text import how_much, one_line, web_url
from bot.views import (
    ApprovalRequest,
    ConversationView,
    CustomerPost,
    EscalationSummary,
    HomeRow,
    HomeView,
    IncidentView,
    Notice,
    ReplyLimit,
    Suggestions,
    ThreadMessage,
)
from bot.vocabulary import network_name, status_name
from bot.wording import clean, cut

SENTIMENT = {"positive": "🙂", "neutral": "😐", "negative": "😠"}
PRIORITY = {"urgent": "🔴", "high": "🟠", "normal": "🔵", "low": "⚪"}
COLOUR = {"urgent": 0xE03E3E, "high": 0xF08C00, "normal": 0x3B82F6, "low": 0x9CA3AF}
# https://discord.com/developers/docs/resources/message#embed-object-embed-limits
DESCRIPTION_LIMIT = 4000  # of 4096, leaving room in the 6000 of the whole embed
FIELD_LIMIT = 1024
TITLE_LIMIT = 256
AUTHOR_LIMIT = 256
THREAD_NAME_LIMIT = 100  # https://discord.com/developers/docs/resources/channel#start-thread-from-message
CONTENT_LIMIT = 2000  # https://discord.com/developers/docs/resources/message#create-message
MODAL_TEXT_LIMIT = 4000  # https://discord.com/developers/docs/components/reference#text-input
NAME_LIMIT = 80  # graphemes of a handle or display name shown
SHOWN_SUGGESTIONS = 5  # a "Use…" button each, in one row; "New suggestions" has its own row
MODAL_TIMEOUT = 900  # seconds discord.py keeps an open modal in memory; a later submit is still handled
ZWSP = "\u200b"
_REF = re.compile(r"ref ([0-9a-f]{16})$")
_MARKUP = re.compile(r"<(?=[@#/:ta])")  # <@user>, <@&role>, <#channel>, </command:id>, <t:…>, <a:emoji:id>
_EVERYONE = re.compile(r"@(?=everyone|here)", re.I)  # discord.py escapes the lower-case forms only
_BROKEN_MARKUP = re.compile(f"(?<=[<@]){ZWSP}")
_ESCAPED = re.compile(r"\\(.)", re.S)
# What Discord's markdown reads (a backslash before any punctuation makes it the character itself): inline marks and
# masked links anywhere, bare links at "://", headings, quotes and lists at the start of a line.
_MARKDOWN = regex.compile(r"[\\*_~`|\[\]<]|:(?=//)|^[ \t]*\K[#>+-]|^[ \t]*\d+\K\.", regex.M)
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
    """Untrusted text made inert: bidi controls out, mentions and Discord markup broken, every markdown character
    escaped (links, masked or bare, cannot form). `unescape` undoes it."""
    return _MARKDOWN.sub(lambda mark: "\\" + mark.group(0), inert_mentions(clean(text)))


def unescape(text: str) -> str:
    """The text `escape` was given (to put a rendered suggestion back into the reply modal)."""
    return _BROKEN_MARKUP.sub("", _ESCAPED.sub(r"\1", text))


def fit(text: str, limit: int, transform=escape, tail: str = "…") -> str:
    """`transform(text)` within `limit` characters, cut between graphemes (at a space where there is one near the end)
    with `tail` where it was cut. The limit is met on the transformed text, escapes included."""
    return text_fit(text, limit, lambda head, left_out: transform(head) + (tail if left_out else ""))


def post_text(text: str, url: str | None, limit: int = DESCRIPTION_LIMIT) -> str:
    """A post escaped in at most `limit` characters; a long one shows its head and says how much is cut, with a link."""
    web = _web_url(url)
    where = f"[open the post]({web})" if web else "open the post on the network"

    def render(head: str, left_out: int) -> str:
        shown = escape(head) or "*(no text)*"
        return shown + (f" …\n*({how_much(left_out)} cut: {where} for the rest)*" if left_out else "")

    return text_fit(text, limit, render)


def allowed_mentions(users: tuple[str, ...] = (), roles: tuple[str, ...] = ()) -> dict:
    """Nobody may be pinged except the `users` and `roles` named here (never @everyone or @here)."""
    return discord.AllowedMentions(
        everyone=False, users=[discord.Object(int(u)) for u in users] or False,
        roles=[discord.Object(int(r)) for r in roles] or False, replied_user=False,
    ).to_dict()


def thread_name(view: ConversationView) -> str:
    """'#42 · X · @handle: first words' in at most 100 characters (thread names are plain text)."""
    head = cut(f"#{view.number} · {one_line(network_name(view.network))} · @{one_line(view.author_handle)}", 60)
    words = one_line(view.text)
    return cut(f"{head}: {words}", THREAD_NAME_LIMIT) if words else head


def conversation_message(view: ConversationView, key: str | None) -> dict:
    """The first message of a conversation's thread: an embed with the facts and the Claim / Reply… / Resolve buttons.

    `key` is None for an edit: only the first delivery needs finding again after a crash."""
    network = escape(cut(one_line(network_name(view.network)), 30))
    shown = f" ({_name(view.author_name)})" if view.author_name and view.author_name != view.author_handle else ""
    head = f"#{view.number} · {network} · "
    embed = discord.Embed(
        title=head + fit(f"@{_name(view.author_handle)}{shown}", TITLE_LIMIT - len(head), transform=escape),
        url=_web_url(view.url), description=post_text(view.text, view.url),
        colour=COLOUR.get(view.priority, COLOUR["normal"]),
    )
    owner = f"<@{view.owner_chat_id}>" if view.owner_chat_id else (escape(_name(view.owner_name or "")) or "nobody yet")
    for label, value in (
        ("Sentiment", f"{SENTIMENT.get(view.sentiment, '')} {escape(view.sentiment)}"),
        ("Intent", escape(view.intent.replace("_", " "))),
        ("Priority", f"{PRIORITY.get(view.priority, '')} {escape(view.priority)}"),
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
    if view.status != "resolved":  # folded in here while the channel was backlogged
        _suggested(embed, view.suggestion)
    embed.set_footer(text=f"{PARENT_FOOTER}{view.number} · lang {cut(one_line(view.language), 16)}"
                          + (f" · ref {ref(key)}" if key else ""))
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
        text = " ".join(f"`{one_line(t)}`" for t in text.split()) if kind == "tags" else escape(text)
        return f"{TEAM_ICONS[kind]} {text}".strip()

    return "\n".join(shown(kind, text) for kind, text in view.team_facts())


def _suggested(embed: discord.Embed, suggestion: str | None) -> None:
    """The first suggested reply, folded into a parent or incident message; none when nothing of it is printable
    (Discord refuses an empty field)."""
    shown = fit(suggestion or "", FIELD_LIMIT, tail="…")
    if shown.strip():
        embed.add_field(name="💡 Suggested", value=shown, inline=False)


def approval_message(message: ApprovalRequest, key: str) -> dict:
    """A reply waiting for a lead, with Approve / Reject (a lead edits with `/approve N the edited text`)."""
    embed = discord.Embed(title=fit(f"⏳ {message.author}'s reply waits for a lead", TITLE_LIMIT, one_line, "…"),
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
    embed = discord.Embed(title=fit(f"🚨 #{message.number} escalated to {message.group}", TITLE_LIMIT, one_line, "…"),
                          description=fit(f"{message.by}: {message.reason}", DESCRIPTION_LIMIT))
    embed.add_field(name="Customer", value=fit(message.customer, FIELD_LIMIT, tail="…"), inline=False)
    embed.add_field(name="History", value=fit(message.history, FIELD_LIMIT, tail="…"), inline=False)
    if message.notes:
        embed.add_field(name="Notes", value=fit("\n".join(message.notes), FIELD_LIMIT, tail="…"), inline=False)
    for post in message.posts:
        embed.add_field(name=fit(f"@{post.author_handle}", TITLE_LIMIT, one_line, "…"),
                        value=fit(post.text, FIELD_LIMIT, tail="…") or "*(no text)*", inline=False)
    embed.set_footer(text=f"ref {ref(key)}")
    roles = (message.mention_group_id,) if message.mention_group_id else ()
    return _message(content=" ".join(f"<@&{r}>" for r in roles) or None, embeds=[embed],
                    mentions=allowed_mentions((), roles))


def incident_message(view: IncidentView, key: str | None) -> dict:
    """A surge in one message: how many customers, what they say, where, a few samples, and what to type.
    `key` is None for an edit."""
    name = f"I{view.number}"
    if view.merged_into:
        embed = discord.Embed(title=f"🔗 Incident {name} was merged into I{view.merged_into}",
                              description=f"Its customers are counted and answered there (`/incident I{view.merged_into}`).")
        embed.set_footer(text=f"incident {name}" + (f" · ref {ref(key)}" if key else ""))
        return _message(embeds=[embed])
    state = "resolved" if view.status == "resolved" else f"{view.open_conversations:,} open"
    said = "\n".join(f"> {fit(one_line(text), 280)} *(×{count:,})*" for text, count in view.phrasings)
    embed = discord.Embed(
        title=f"🚨 Incident {name} · {view.conversations:,} customers ({state}, {view.answered:,} answered)"[:TITLE_LIMIT],
        description=cut(f"**What they say**\n{said}", DESCRIPTION_LIMIT) if said else "*(no text)*",
        colour=COLOUR["urgent"],
    )
    networks = " · ".join(f"{fit(one_line(network_name(network)), 30)} {count:,}" for network, count in view.networks)
    embed.add_field(name="Networks", value=cut(networks, FIELD_LIMIT) or "—", inline=True)
    embed.add_field(name="Since", value=f"{stamp(view.first_at, 'f')}, latest {stamp(view.last_at, 'R')}", inline=True)
    if view.open_conversations and view.due_at:
        embed.add_field(name="Due", value=due_text(view.due_at), inline=True)
    for sample in view.samples:
        head = f"#{sample.number} · {fit(one_line(network_name(sample.network)), 30)} · "
        embed.add_field(name=head + fit(one_line(f"@{sample.author_handle}"), NAME_LIMIT),
                        value=post_text(sample.text, sample.url, 300), inline=False)
    if view.status != "resolved":
        _suggested(embed, view.suggestion)
    embed.add_field(name="What to do", inline=False, value=(
        f"Answer everyone: `/reply-all {name} text` ({{name}} becomes each customer's name) · close all: "
        f"`/resolve-all {name}` · take one out: `/incident {name} remove 42` · merge another in: "
        f"`/incident {name} merge I8` · each one: `/queue`"))
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
        embed = discord.Embed(description=post_text(message.text, message.url))
        embed.set_author(name=f"@{inert_mentions(_name(message.author_handle))} wrote", url=_web_url(message.url))
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
    embed = discord.Embed(title=f"{head} ({fit(where, TITLE_LIMIT - len(head) - 3, lambda t: escape(one_line(t)))})",
                          description=hint)
    for index, text in enumerate(texts):
        embed.add_field(name=str(index + 1), value=fit(text, FIELD_LIMIT) or "-", inline=False)
    embed.set_footer(text=f"ref {ref(key)}")
    use = [_button(f"Use {i + 1}…", f"sd:use:{message.number}:{i}", discord.ButtonStyle.secondary) for i in range(len(texts))]
    again = _button("New suggestions", f"sd:suggest:{message.number}", discord.ButtonStyle.secondary)
    return _message(embeds=[embed], components=_rows(use) + _rows([again]))


def notice_message(notice: Notice, key: str) -> dict:
    """A notice of the bot's own; it pings only the owner and the on-call role it names, in the message text."""
    view_link = f" [View]({_web_url(notice.link)})" if _web_url(notice.link) else ""
    embed = discord.Embed(description=cut(inert_mentions(clean(notice.text)), DESCRIPTION_LIMIT - len(view_link)) + view_link)
    embed.set_footer(text=f"ref {ref(key)}")
    users = (notice.mention_chat_id,) if notice.mention_chat_id else ()
    roles = (notice.mention_group_id,) if notice.mention_group_id else ()
    pings = " ".join([*(f"<@{u}>" for u in users), *(f"<@&{r}>" for r in roles)])
    return _message(content=pings or None, embeds=[embed], mentions=allowed_mentions(users, roles))


def answer_chunks(text: str, prefix: str = "") -> list[str]:
    """A handler's answer as message texts of at most 2000 characters, split between lines (or graphemes), pinging
    nobody; the first starts with `prefix` (the mention of whom it answers), counted in its 2000."""
    chunks: list[str] = []
    current = prefix
    for line in inert_mentions(clean(text)).split("\n"):
        while True:
            joined = f"{current}\n{line}" if current and current != prefix else current + line
            if len(joined) <= CONTENT_LIMIT:
                current = joined
                break
            if current and current != prefix:
                chunks.append(current)
                current = ""
                continue
            head = cut(line, CONTENT_LIMIT - len(current), marker="")
            chunks.append(current + head)
            current, line = "", line[len(head):]
    if current.strip() and current != prefix:
        chunks.append(current)
    return chunks or [f"{prefix}(no answer)"]


def reply_modal(number: int, suggestion: str, max_length: ReplyLimit) -> discord.ui.Modal:
    """The reply, pre-filled, and a "Publish anyway" box for a reply the personal-data guard would hold.

    Discord's modal must be the immediate answer to the button: nothing slow may happen before it."""
    modal = discord.ui.Modal(title=f"Reply to #{number}", custom_id=f"sd:reply_modal:{number}", timeout=MODAL_TIMEOUT)
    hint = f"Your initials are added. Limit with them: {max_length}." if max_length else "Your initials are added."
    default = cut(suggestion, MODAL_TEXT_LIMIT, marker="")
    if len(default) < len(suggestion):  # a label's description holds 100 characters
        left_out = len(suggestion) - len(default)
        hint = f"Too long for this box: its last {left_out:,} characters were left out." + (
            f" Limit with initials: {max_length.length}." if max_length else "")
    modal.add_item(discord.ui.Label(text="Your reply", description=hint, component=discord.ui.TextInput(
        custom_id="text", style=discord.TextStyle.paragraph, default=default or None, max_length=MODAL_TEXT_LIMIT,
    )))
    modal.add_item(discord.ui.Label(
        text="Publish anyway if the guard holds it", component=discord.ui.Checkbox(custom_id="anyway"),
        description="Only for a reply you are sure about: the audit log records it. Length is always checked.",
    ))
    return modal


HOME_CLAIMS = 5  # Claim buttons under /desk me: one row


def home_message(view: HomeView, guild_id: int) -> tuple[discord.Embed, discord.ui.View | None]:
    """`/desk me` on Discord, the equivalent of Slack's App Home tab: the agent's open conversations, the unowned ones
    by SLA urgency, what waits for their approval (leads), today's figures; each row opens its thread, and the most
    urgent unowned ones have a Claim button."""
    embed = discord.Embed(title=fit(f"{view.agent_name}'s desk", TITLE_LIMIT, one_line), description=escape(view.today))
    sections = [("Yours", view.mine, view.more_mine, "Nothing open."),
                ("Unowned, the most urgent first", view.unowned, view.more_unowned, "None.")]
    if view.is_lead:
        sections.append(("Waiting for your approval", view.approvals, 0, "None."))
    for title, rows, more, empty in sections:
        lines = [_home_line(row, guild_id) for row in rows] + ([f"…and {more} more: `/queue`"] if more else [])
        shown: list[str] = []
        for line in lines:  # whole lines only: a link cut in half would show its markdown
            if len("\n".join([*shown, line])) > FIELD_LIMIT:
                break
            shown.append(line)
        embed.add_field(name=title, value="\n".join(shown) or empty, inline=False)
    claims = [discord.ui.Button(label=f"Claim #{row.number}", custom_id=f"sd:claim:{row.number}",
                                style=discord.ButtonStyle.primary) for row in view.unowned[:HOME_CLAIMS]]
    return embed, _Buttons(*claims) if claims else None


def _home_line(row: HomeRow, guild_id: int) -> str:
    number = f"[#{row.number}](https://discord.com/channels/{guild_id}/{row.thread.thread_id})" if row.thread \
        else f"#{row.number}"
    waiting = f" · {escape(row.waiting)}" if row.waiting else ""
    return (f"{number} {row.priority} · {due_text(row.due_at)} · {network_name(row.network)} "
            f"@{escape(_name(row.author_handle))}{waiting}")


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


def _name(text: str) -> str:
    """A handle or display name: one line, at most NAME_LIMIT graphemes (escaped where it is shown)."""
    return cut(one_line(text), NAME_LIMIT)


def _web_url(url: str | None) -> str | None:
    """A web URL Discord accepts (parsed and rebuilt: parentheses encoded, so a masked link cannot close early), else None."""
    return web_url(url)
