"""The terminal as a chat platform (like errbot's Text backend): the offline demo's face.

Conversations print as panels, thread messages indented under their number, and the same
commands are typed at the prompt. Text from the internet is printed as plain text (rich
markup escaped), so a post cannot restyle or fake the screen.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

from rich.console import Console
from rich.markup import escape as escape_markup
from rich.panel import Panel

from bot.chat.text import fit, how_much
from bot.clock import Clock, SystemClock
from bot.views import (
    ApprovalRequest,
    Attachment,
    ChatRef,
    ConversationView,
    CustomerPost,
    EscalationSummary,
    IncidentView,
    Notice,
    Suggestions,
    ThreadMessage,
)
from bot.wording import clean, day_time, due_when

STYLE = {"urgent": "bold red", "high": "yellow", "normal": "cyan", "low": "dim"}
POST_LIMIT = 1500  # characters of a post shown in the terminal; the rest is a click away


def escape(text: str) -> str:
    """Untrusted text as plain terminal text: rich markup escaped, bidi and control characters out."""
    return escape_markup(clean(text))


def post(text: str, url: str) -> str:
    """A post's readable head in at most POST_LIMIT characters, saying how much was cut and where the rest is."""
    return fit(text, POST_LIMIT, lambda head, left_out: escape(head) + (
        f" … [dim]({how_much(left_out)} cut: {escape(url)})[/]" if left_out else ""))


class ConsoleChat:
    platform = "console"

    def __init__(self, console: Console | None = None, clock: Clock | None = None, zone: str = "UTC",
                 files_dir: Path | None = None) -> None:
        self.console = console or Console(highlight=False)
        self.clock = clock or SystemClock()
        self.zone = zone  # the team's ([sla] timezone), for due times
        self.files_dir = files_dir or Path(tempfile.gettempdir())  # where shared files (charts, exports) are written
        self._sent: dict[str, str] = {}  # key -> message id, to answer find_message within one run
        self._counter = 0

    def _new_id(self, key: str) -> str:
        self._counter += 1
        self._sent[key] = f"m{self._counter}"
        return self._sent[key]

    async def post_conversation(self, channel: str, view: ConversationView, key: str) -> ChatRef:
        self.console.print(self._panel(view, "new conversation"))
        self._new_id(key)
        return ChatRef(channel=channel, thread_id=f"conversation-{view.number}")

    async def update_conversation(self, ref: ChatRef, view: ConversationView) -> None:
        owner = view.owner_name or "nobody"
        extra = [f"tags {', '.join(view.tags)}" if view.tags else "", view.awaiting_approval or "",
                 f"escalated to {view.escalated_to}" if view.escalated_to else ""]
        more = "".join(f" · {escape(e)}" for e in extra if e)
        self.console.print(f"[bold]#{view.number}[/] is now [bold]{view.status.replace('_', ' ')}[/] · owner: {escape(owner)}"
                           f"{more}")

    async def post_incident(self, channel: str, view: IncidentView, key: str) -> ChatRef:
        said = "\n".join(f"  “{escape(text[:200])}” ×{count}" for text, count in view.phrasings)
        networks = " · ".join(f"{network} {count}" for network, count in view.networks)
        body = (f"{view.conversations} customers ({view.open_conversations} open, {view.answered} answered) · "
                f"{escape(networks)}\n{said}\n[dim]/reply-all I{view.number} text · /resolve-all I{view.number} · "
                f"/incident I{view.number} remove N · /incident I{view.number} merge I8[/]")
        self.console.print(Panel(body, title=f"Incident I{view.number}", title_align="left", border_style="bold red"))
        return ChatRef(channel=channel, thread_id=self._new_id(key))

    async def update_incident(self, ref: ChatRef, view: IncidentView) -> None:
        if view.merged_into:
            self.console.print(f"[bold red]Incident I{view.number}[/] was merged into I{view.merged_into}")
            return
        self.console.print(f"[bold red]Incident I{view.number}[/] now {view.conversations} customers "
                           f"({view.open_conversations} open, {view.answered} answered)"
                           + (" · resolved" if view.status == "resolved" else ""))

    async def post_in_thread(self, ref: ChatRef, message: ThreadMessage, key: str) -> str:
        number = ref.thread_id.removeprefix("conversation-")
        prefix = f"  [dim]#{number} ↳[/]"
        if isinstance(message, CustomerPost):
            pii = " [yellow](personal data: move to private)[/]" if message.has_pii else ""
            self.console.print(f"{prefix} [bold]@{escape(message.author_handle)}[/]: {post(message.text, message.url)}{pii}")
        elif isinstance(message, Suggestions):
            where = f"offline: {message.offline_reason}" if message.offline_reason else message.source
            self.console.print(f"{prefix} [green]suggested replies ({escape(where)}):[/]"
                               + ("" if message.texts else " none this time"))
            for index, text in enumerate(message.texts, 1):
                self.console.print(f"      {index}. {escape(text)}")
        elif isinstance(message, Notice):
            self.console.print(f"{prefix} {self._notice(message)}")
        elif isinstance(message, ApprovalRequest):
            self.console.print(f"{prefix} [yellow]{escape(message.author)}'s reply waits for a lead "
                               f"({escape(message.reasons)}):[/] {escape(message.text)}\n"
                               f"      [dim]/approve {message.number} · /approve {message.number} edited text · "
                               f"/reject {message.number} why[/]")
        elif isinstance(message, EscalationSummary):
            self._summary(prefix, message)
        return self._new_id(key)

    async def update_in_thread(self, ref: ChatRef, message_id: str, message: ThreadMessage, key: str) -> None:
        if isinstance(message, ApprovalRequest) and message.decided:
            number = ref.thread_id.removeprefix("conversation-")
            self.console.print(f"  [dim]#{number} ↳[/] {escape(message.author)}'s reply: {escape(message.decided)}")

    async def post_to_channel(self, channel: str, message: Notice | EscalationSummary, key: str) -> str:
        if isinstance(message, EscalationSummary):
            self._summary(f"[bold]{escape(channel)}[/]", message)
        else:
            self.console.print(f"[bold]{escape(channel)}[/] {self._notice(message)}")
        return self._new_id(key)

    def _summary(self, prefix: str, message: EscalationSummary) -> None:
        ping = f"@{escape(message.mention_group_id)} " if message.mention_group_id else ""
        self.console.print(f"{prefix} [red]{ping}#{message.number} escalated to {escape(message.group)} by "
                           f"{escape(message.by)}:[/] {escape(message.reason)}\n      customer: {escape(message.customer)}"
                           f" · {escape(message.history)}")
        for note in message.notes:
            self.console.print(f"      note: {escape(note)}")
        for post in message.posts:
            self.console.print(f"      @{escape(post.author_handle)}: {escape(post.text)}")

    @staticmethod
    def _notice(message: Notice) -> str:
        mentions = [f"@{escape(who)} " for who in (message.mention_group_id, message.mention_chat_id) if who]
        link = f" [dim]{escape(message.link)}[/]" if message.link else ""
        return f"[magenta]{''.join(mentions)}{escape(message.text)}[/]{link}"

    async def find_message(self, channel: str, thread_id: str | None, key: str) -> str | None:
        return self._sent.get(key)

    async def tell(self, channel: str, user_id: str, text: str, thread_id: str | None = None) -> None:
        self.console.print(f"[dim italic](only you) {escape(text)}[/]")

    async def upload(self, channel: str, thread_id: str | None, files: tuple[Attachment, ...], comment: str) -> str:
        """A terminal cannot show a picture: the files are written to `files_dir` and their paths printed."""
        self.files_dir.mkdir(parents=True, exist_ok=True)
        paths = []
        for file in files:
            path = self.files_dir / file.name
            path.write_bytes(file.content)
            paths.append(path)
            self._sent[f"file:{file.name}"] = str(path)
        self.console.print(f"[magenta]{escape(comment)}[/]")
        for path in paths:
            self.console.print(f"  [bold]{escape(str(path))}[/]")
        return ",".join(map(str, paths))

    async def find_upload(self, channel: str, thread_id: str | None, name: str) -> str | None:
        return self._sent.get(f"file:{name}")

    def _panel(self, view: ConversationView, title: str) -> Panel:
        now = self.clock.now()
        if view.snoozed_until:
            due = f"snoozed until {day_time(view.snoozed_until, self.zone, now)}"
        else:
            due = due_when(view.due_at, self.zone, now)
        facts = (f"{view.sentiment} · {view.intent.replace('_', ' ')} · [{STYLE.get(view.priority, '')}]"
                 f"{view.priority}[/] · {due} · {view.status} · lang {view.language}")
        pii = "\n[yellow]⚠ contains personal data: don't repeat it; move to a private channel[/]" if view.has_pii else ""
        team = view.team_facts()
        if team:
            pii += "\n[cyan]" + escape(" · ".join(f"tags {text}" if kind == "tags" else text for kind, text in team)) + "[/]"
        who = f"@{escape(view.author_handle)}" + (f" ({escape(view.author_name)})" if view.author_name else "")
        body = (f"[bold]{who}[/] on {escape(view.network)} [dim]{escape(view.url)}[/]\n{post(view.text, view.url)}\n"
                f"[dim]{facts}[/]{pii}")
        return Panel(body, title=f"#{view.number} · {title}", title_align="left", border_style=STYLE.get(view.priority, ""))
