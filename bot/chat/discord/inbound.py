"""Discord inbound: application commands, buttons, the reply modal and thread messages, via discord.py.

The application commands are built from the handlers' registry (handlers.COMMANDS): each gets an
integer `number` option when it needs a conversation (optional inside that conversation's thread)
and a string `text` option for the rest, so a command added to handlers/ appears on Discord with
no code here; its description is the command's declared summary. They are synced to the one server in [discord] (a guild
sync takes effect at once). Every interaction is deferred (ephemeral) first and answered with a
followup when the handler is done, well within Discord's 3-second limit. The exceptions answer at
once with no slow work: the Reply… and Use… buttons (a modal must be the immediate answer; its
suggestion is a stored or offline one) and the steps of "Publish anyway".

Discord sends every event to every replica connected as the bot, so each listener first claims
the interaction or message (bot/desk/events.py) and a replica that loses the claim does nothing:
one answer, one reply published, whatever the number of replicas.

A reply a personal-data guard holds comes back with a **Publish anyway…** button. Discord has no
confirmation dialogs, so the button answers with socialdesk's own (the text, what the override
means, Publish it / Cancel); Publish it sends the same reply again with --anyway, which the audit
log records. The held reply waits in `HeldReplies` (in the database, for any replica) under a
short token (a custom_id holds 100 characters), and only its author can publish it.

Inside a conversation's thread, `!reply text` and the other `!` commands work as on Slack and any
other message is an internal note (confirmed with a 📝 reaction). Discord has no ephemeral
messages outside interactions, so an answer to a thread message is a reply to it in the thread
that pings only its author. Reading thread messages needs the Message Content intent.
"""
from __future__ import annotations

import asyncio
import dataclasses
import logging
import re

import discord
from discord import app_commands

from bot.chat.discord.held import KEEP, HeldReplies, HeldReply
from bot.chat.discord.outbound import DiscordChat
from bot.chat.discord.render import (
    answer_chunks,
    anyway_confirmation,
    held_buttons,
    home_message,
    reply_modal,
    unescape,
)
from bot.desk import Desk
from bot.ports import ChatError
from handlers import TYPED, Command, dispatch
from handlers.approve import button_args
from handlers.context import Actor, Outcome, Request, parse_flags, request_from_dict, request_to_dict
from handlers.parsing import (
    CommandError,
    not_in_a_conversation,
    parse_slash,
    parse_thread_message,
    typed_command,
    with_reply_text,
)

log = logging.getLogger(__name__)
NOTE_SAVED = "📝"
_MENTION = re.compile(r"<@!?(\d{15,21})>")
_CUSTOM_ID = re.compile(r"^sd:([a-z_]{1,20}):(\d{1,12})(?::([A-Za-z0-9_-]{1,32}))?$")  # sd:action:number[:more]
PRESSED = {"claim", "resolve", "suggest"}  # buttons that run the command of their name on their conversation
DECIDED = {"approve", "reject"}  # buttons under a reply waiting for approval: the command, for that reply


def intents() -> discord.Intents:
    """Guilds (channels, threads and roles, for role names), guild messages, and their text (privileged)."""
    wanted = discord.Intents.none()
    wanted.guilds = True
    wanted.guild_messages = True
    wanted.message_content = True
    return wanted


class DeskBot(discord.Client):
    """The gateway connection: commands, buttons, modals and thread messages in the configured server."""

    def __init__(self, desk: Desk) -> None:
        config = desk.config
        discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False  # socialdesk has no use for voice
        super().__init__(intents=intents(), allowed_mentions=discord.AllowedMentions.none(),
                         max_ratelimit_timeout=30.0, chunk_guilds_at_startup=False)
        self.guild_id = int(config.discord.guild_id)
        styles = {r.channel: r.style for r in config.routes if r.platform == "discord" and r.style}
        self.chat = DiscordChat(self, config.discord, styles)
        self.listeners = DiscordListeners(desk, self.chat, self.guild_id)
        self.tree = build_tree(self, self.listeners)

    async def setup_hook(self) -> None:
        """After login, before the gateway: register the commands in the server (a guild sync applies at once)."""
        guild = discord.Object(self.guild_id)
        self.tree.copy_global_to(guild=guild)
        try:
            synced = await self.tree.sync(guild=guild)
            log.info("Discord: %d commands registered in server %s", len(synced), self.guild_id)
        except discord.HTTPException as error:
            log.error("Discord: could not register the commands in server %s (%s). Invite the bot with the "
                      "applications.commands scope (README, Discord setup); buttons and threads still work.",
                      self.guild_id, error)

    async def on_ready(self) -> None:
        log.info("connected to Discord as %s", self.user)

    async def on_message(self, message: discord.Message) -> None:
        await self.listeners.thread_message(message)

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Buttons and modal submits (application commands are the tree's)."""
        if interaction.type in (discord.InteractionType.component, discord.InteractionType.modal_submit):
            await self.listeners.component(interaction)


def build_tree(client: discord.Client, listeners: DiscordListeners) -> app_commands.CommandTree:
    tree = app_commands.CommandTree(client)
    for command in TYPED.values():
        tree.add_command(_command(command, listeners.command))
    return tree


def _command(command: Command, run) -> app_commands.Command:
    async def with_number(interaction: discord.Interaction, number: app_commands.Range[int, 1] | None = None,
                          text: str | None = None) -> None:
        await run(interaction, number, text)

    async def without_number(interaction: discord.Interaction, text: str | None = None) -> None:
        await run(interaction, None, text)

    example = " ".join(command.usage.split()[2 if command.needs_number else 1:])  # "/reply 42 Thanks…" -> "Thanks…"
    described = {"text": f"e.g. {example}"[:100] if example else "Anything more (optional)"}
    if command.needs_number:
        described["number"] = "The conversation's number (#42); leave it out inside the conversation's thread"
    callback = app_commands.describe(**described)(with_number if command.needs_number else without_number)
    return app_commands.Command(name=command.name, description=command.summary[:100], callback=callback)


_CHANNEL_OR_ROLE = re.compile(r"<(#|@&)(\d{15,21})>|<a?(:\w+:)\d{15,21}>")


def as_typed(text: str, guild: discord.Guild | None) -> str:
    """Discord's mention syntax as the member typed it: `<#id>` -> #channel, `<@&id>` -> @role, `<:name:id>` -> :name:.
    User mentions stay `<@id>`: that is who they name (the handlers turn them into names or refuse them)."""
    def typed(match: re.Match) -> str:
        if match.group(3):
            return match.group(3)
        found = (guild.get_channel_or_thread(int(match.group(2))) if match.group(1) == "#"
                 else guild.get_role(int(match.group(2)))) if guild else None
        prefix = "#" if match.group(1) == "#" else "@"
        return f"{prefix}{found.name}" if found else f"{prefix}{'channel' if prefix == '#' else 'role'}"

    return _CHANNEL_OR_ROLE.sub(typed, text)


def actor_of(user: discord.abc.User) -> Actor:
    """The neutral actor behind a Discord user: their role ids and names (for the role mapping), their display name."""
    roles = [role for role in getattr(user, "roles", []) if not role.is_default()]
    names = tuple(str(role.id) for role in roles) + tuple(role.name for role in roles)
    return Actor("discord", str(user.id), roles=names, display_name=user.display_name)


class DiscordListeners:
    """Translate Discord interactions and messages into handler requests, and outcomes back into answers."""

    def __init__(self, desk: Desk, chat: DiscordChat, guild_id: int) -> None:
        self.desk = desk
        self.chat = chat
        self.guild_id = guild_id
        self.held = HeldReplies(desk.engine, desk.clock)

    async def first_to(self, event_id: int, command: dict | None = None) -> bool:
        """Claim an interaction or message for this replica: False when another one has it (then say nothing). A
        `command` is recorded with the claim, to be run after a crash (bot/desk/events.py)."""
        if command is not None:
            return await self.desk.record_command("discord", str(event_id), command)
        return await self.desk.first_to_act("discord", str(event_id))

    # --- application commands --------------------------------------------------------------------

    async def command(self, interaction: discord.Interaction, number: int | None, text: str | None) -> None:
        try:
            request = await self.command_request(interaction, number, text)
        except CommandError as error:
            if await self.first_to(interaction.id):
                await interaction.response.defer(ephemeral=True, thinking=True)
                await self._followup(interaction, str(error))
            return
        await self._recorded(interaction, request)

    async def _recorded(self, interaction: discord.Interaction, request: Request) -> None:
        """Record the command, then defer (the ack), run it once and answer: a command acknowledged before a crash is run
        on restart (`recover`). The record is also the claim: only one replica gets it."""
        key = str(interaction.id)
        payload = {"request": request_to_dict(request), "application_id": str(interaction.application_id),
                   "token": interaction.token}
        if not await self.first_to(interaction.id, payload):
            return  # another replica's
        await interaction.response.defer(ephemeral=True, thinking=True)
        if not await self.desk.start_command("discord", key):
            return
        try:
            outcome = await dispatch(self.desk, request)
            if outcome.home:
                embed, buttons = home_message(outcome.home, self.guild_id)
                await interaction.followup.send(embed=embed, view=buttons or discord.utils.MISSING, ephemeral=True,
                                                allowed_mentions=discord.AllowedMentions.none())
            else:
                await self._followup(interaction, with_reply_text(outcome, request),
                                     await self._held_view(outcome, request))
            if outcome.files:
                try:
                    await self.chat.upload(str(interaction.channel_id), None, outcome.files, outcome.files_note)
                except ChatError as error:
                    await self._followup(interaction, f"The files could not be shared here: {error}")
        finally:
            await self.desk.finish_command("discord", key)

    async def recover(self) -> int:
        """Run the commands acknowledged (deferred) before a crash and never run or finished; each is answered in its
        interaction (Discord keeps an interaction's token 15 minutes), saying it comes late. One never acknowledged is
        dropped: its teammate was told it failed. Returns how many were run."""
        ran = 0
        for key, payload in await self.desk.unfinished_commands("discord"):
            if not await self.desk.start_command("discord", key):
                continue
            try:
                if await self.chat.interaction_answered(payload["application_id"], payload["token"]):
                    request = request_from_dict(payload["request"])
                    outcome = await dispatch(self.desk, request)
                    await self.chat.late_answer(payload["application_id"], payload["token"],
                                                "(Answered late: socialdesk restarted after you sent this.) "
                                                + with_reply_text(outcome, request))
                    ran += 1
            except ChatError as error:
                log.error("Discord: could not answer command %s after a restart: %s", key, error)
            finally:
                await self.desk.finish_command("discord", key)
        return ran

    async def command_request(self, interaction: discord.Interaction, number: int | None, text: str | None) -> Request:
        """`/claim 42`, or `/claim` inside #42's thread, as a handler request; mentioned users come with their roles.
        A command whose number is optional (`/customer`, `/replies`) is about the thread's conversation too."""
        name = interaction.command.name
        in_thread = self.conversation_for_thread(interaction.channel) if number is None else None
        if TYPED[name].needs_number:
            number, in_thread = number or in_thread, None
        typed = " ".join(part for part in (str(number) if number else "", as_typed(text or "", interaction.guild).strip())
                         if part)
        request = parse_slash(name, typed, actor_of(interaction.user))
        return dataclasses.replace(request, number=request.number or in_thread,
                                   mentioned=await self.mentioned(interaction.guild, request.args))

    # --- buttons and the reply modal -----------------------------------------------------------------

    async def component(self, interaction: discord.Interaction) -> None:
        match = _CUSTOM_ID.match((interaction.data or {}).get("custom_id", ""))
        if match is None:
            return  # not ours
        action, number, more = match.group(1), int(match.group(2)), match.group(3) or ""
        if action in PRESSED or (action in DECIDED and more.isdigit()):
            args = button_args(int(more)) if action in DECIDED else ""
            await self._recorded(interaction, Request(command=action, actor=actor_of(interaction.user), number=number,
                                                      args=args))
            return
        if not await self.first_to(interaction.id):
            return  # another replica's
        if action == "reply":
            suggestion = await self.desk.first_suggestion(number)
            await interaction.response.send_modal(reply_modal(number, suggestion, self.desk.reply_limit(number)))
        elif action == "use" and more.isdigit():
            await interaction.response.send_modal(reply_modal(
                number, suggestion_on(interaction.message, int(more)), self.desk.reply_limit(number)))
        elif action == "reply_modal":
            await self.submit_reply(interaction, number)
        elif action == "anyway":
            await self.confirm_anyway(interaction, number, more)
        elif action == "publish":
            await self.publish_anyway(interaction, number, more)
        elif action == "cancel":
            await interaction.response.edit_message(content=f"Not published. Fix your reply to #{number} and send it "
                                                    "again, or press Publish anyway… under it again.", embed=None, view=None)

    async def submit_reply(self, interaction: discord.Interaction, number: int) -> None:
        """Discord cannot show an error inside a submitted modal: a refusal comes back with the text, so nothing is lost."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        text = modal_value(interaction.data, "text").strip()
        anyway = modal_checked(interaction.data, "anyway")
        request = Request(command="reply", actor=actor_of(interaction.user), number=number,
                          args=f"--anyway {text}" if anyway else text)
        outcome = await dispatch(self.desk, request)
        await self._followup(interaction, with_reply_text(outcome, request), await self._held_view(outcome, request))

    async def confirm_anyway(self, interaction: discord.Interaction, number: int, token: str) -> None:
        """Publish anyway…, step one: what would go out, with Publish it / Cancel (Discord has no confirm dialog)."""
        held = await asyncio.to_thread(self.held.get, token)
        refusal = _refusal(held, str(interaction.user.id), number)
        if refusal:
            await interaction.response.send_message(refusal, ephemeral=True, allowed_mentions=discord.AllowedMentions.none())
            return
        _, text = parse_flags(held.args)
        await interaction.response.send_message(**anyway_confirmation(number, token, text), ephemeral=True,
                                                allowed_mentions=discord.AllowedMentions.none())

    async def publish_anyway(self, interaction: discord.Interaction, number: int, token: str) -> None:
        """Step two: the same reply again with --anyway, once. The confirmation loses its buttons at once (the ack),
        then says what happened."""
        held = await asyncio.to_thread(self.held.get, token)
        refusal = _refusal(held, str(interaction.user.id), number)
        if refusal is None:
            held = await asyncio.to_thread(self.held.take, token)
            refusal = _refusal(held, str(interaction.user.id), number)  # taken meanwhile by another press
        if refusal:
            await interaction.response.edit_message(content=refusal, embed=None, view=None)
            return
        await interaction.response.edit_message(content=f"Publishing your reply to #{number}…", view=None)
        outcome = await dispatch(self.desk, Request(command="reply", actor=actor_of(interaction.user),
                                                            number=held.conversation_id, args=held.args))
        await interaction.edit_original_response(content=answer_chunks(outcome.text)[0])

    async def _held_view(self, outcome: Outcome, request: Request) -> discord.ui.View | None:
        """A held reply gets a "Publish anyway…" button; everything else is plain text."""
        if not outcome.override:
            return None
        token = await asyncio.to_thread(self.held.hold, request.number, request.actor.user_id, outcome.override)
        return held_buttons(request.number, token)

    # --- messages in a conversation's thread -----------------------------------------------------

    async def thread_message(self, message: discord.Message) -> None:
        if message.author.bot or message.webhook_id or message.guild is None or message.guild.id != self.guild_id:
            return
        if message.type not in (discord.MessageType.default, discord.MessageType.reply):
            return
        number = self.conversation_for_thread(message.channel)
        text = "\n".join([as_typed(message.content, message.guild), *(a.url for a in message.attachments)]).strip()
        if number is None:
            if typed_command(text) and await self.first_to(message.id):
                await self._answer(message, not_in_a_conversation(text))
            return  # not a socialdesk conversation
        if not await self.first_to(message.id):
            return  # another replica's
        where = str(message.channel.id)
        if not text:
            await self._answer(message, "I found no text in this message (a sticker?), so nothing was saved. If every "
                               "message gets this answer, the bot's Message Content intent is off: see README, Discord setup.")
            return
        try:
            request = parse_thread_message(text, number, actor_of(message.author), message_id=f"{where}:{message.id}")
        except CommandError as error:
            await self._answer(message, str(error))
            return
        mentioned = tuple(actor_of(m) for m in message.mentions)
        outcome = await dispatch(self.desk, dataclasses.replace(request, mentioned=mentioned))
        if request.command != "note" or not outcome.ok:
            await self._answer(message, outcome.text, await self._held_view(outcome, request))
            return
        try:
            await self.chat.react(where, str(message.id), NOTE_SAVED)
        except ChatError as error:
            log.error("Discord: note saved, but the %s reaction on message %s failed: %s", NOTE_SAVED, message.id, error)

    # --- helpers ---------------------------------------------------------------------------------

    def conversation_for_thread(self, channel) -> int | None:
        """The conversation whose thread `channel` is (a discord.Thread, or any channel-like object with an id)."""
        if channel is None:
            return None
        parent_id = getattr(channel, "parent_id", None)
        return self.desk.conversation_in_thread("discord", str(channel.id), str(parent_id) if parent_id else None)

    async def mentioned(self, guild: discord.Guild | None, text: str) -> tuple[Actor, ...]:
        """The members mentioned in a command's text, with their roles (fetched when not cached)."""
        found = []
        for user_id in dict.fromkeys(_MENTION.findall(text)):
            member = guild.get_member(int(user_id)) if guild else None
            if member is None and guild is not None:
                try:
                    member = await guild.fetch_member(int(user_id))
                except discord.HTTPException:
                    continue  # not in the server: the handler says so
            if member is not None:
                found.append(actor_of(member))
        return tuple(found)

    async def _answer(self, message: discord.Message, text: str, view: discord.ui.View | None = None) -> None:
        """Reply to a thread message, pinging only its author (Discord has no private messages outside interactions)."""
        try:
            await self.chat.answer(str(message.channel.id), str(message.author.id), text, reply_to=str(message.id),
                                   components=view.to_components() if view else None)
        except ChatError as error:
            log.error("Discord: could not answer %s in %s: %s", message.author.id, message.channel.id, error)
            log.debug("Discord: the answer that failed", extra={"customer_text": text})

    @staticmethod
    async def _followup(interaction: discord.Interaction, text: str, view: discord.ui.View | None = None) -> None:
        """The answer, ephemeral, in messages of 2,000 characters; `view` (buttons) goes under the last one."""
        chunks = answer_chunks(text)
        for index, chunk in enumerate(chunks, 1):
            buttons = view if view and index == len(chunks) else discord.utils.MISSING
            await interaction.followup.send(chunk, ephemeral=True, allowed_mentions=discord.AllowedMentions.none(),
                                            view=buttons)


def _refusal(held: HeldReply | None, user_id: str, number: int) -> str | None:
    """What to tell whoever pressed a Publish anyway button when the held reply is gone or is not theirs."""
    if held is None:
        return (f"That held reply is no longer waiting: it was published, or "
                f"{KEEP.total_seconds() / 60:.0f} minutes passed. To publish it anyway, send it again as "
                f"`/reply {number} --anyway …`.")
    if held.user_id != user_id:
        return f"Only the teammate who wrote this reply can publish it anyway. To answer yourself, use `/reply {number} …`."
    return None


def suggestion_on(message: discord.Message | None, index: int) -> str:
    """The text of suggestion `index` on a suggestions message, as it was before rendering escaped it."""
    fields = message.embeds[0].fields if message and message.embeds else []
    return unescape(fields[index].value) if index < len(fields) else ""


def modal_value(data: dict | None, custom_id: str) -> str:
    """A text input's value in a modal submit (in an action row, or in a label as newer modals send it)."""
    component = _modal_component(data, custom_id)
    return (component.get("value") or "") if component else ""


def modal_checked(data: dict | None, custom_id: str) -> bool:
    """Whether a checkbox in a modal submit was ticked."""
    component = _modal_component(data, custom_id)
    return bool(component and component.get("value") is True)


def _modal_component(data: dict | None, custom_id: str) -> dict | None:
    stack = list((data or {}).get("components", []))
    while stack:
        component = stack.pop()
        if component.get("custom_id") == custom_id and "value" in component:
            return component
        stack.extend(component.get("components", []))
        if component.get("component"):
            stack.append(component["component"])
    return None


