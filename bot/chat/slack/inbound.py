"""Slack inbound: slash commands, buttons, the reply modal and thread messages, via slack-bolt.

Every listener acknowledges first and works after (Bolt lazy listeners), so Slack's
3-second limit is met however slow the database or network is. The only exception is the
reply modal (and a lead's Edit… of a reply waiting for approval), whose short database check
runs before the ack so that a too-long reply is shown as an error in the modal itself instead of
closing it.

Opening the Reply… modal tells the desk who is writing (the parent message shows it) until the
modal is submitted or closed. The App Home tab is drawn when an agent opens it and redrawn after
every change (bot/reports/home.py); its Claim buttons answer in the app's direct messages, as a
home tab has nowhere else to answer.

Slack sends an event again when it thinks it was not acknowledged (X-Slack-Retry-Num), maybe to
another replica, so a thread message is claimed (bot/desk/events.py) before it is acted on: a
redelivered `!reply` is not published twice.
"""
from __future__ import annotations

import asyncio
import json
import logging
import re

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.chat.slack.home import not_an_agent_tab
from bot.chat.slack.outbound import SlackChat
from bot.chat.slack.render import approval_edit_modal, held_blocks, modal_text, reply_modal
from bot.desk import Desk
from bot.ports import ChatError
from bot.reports.home import opened_home
from handlers import TYPED, dispatch
from handlers.approve import button_args, waiting_text
from handlers.context import Actor, Outcome, Refusal, Request
from handlers.parsing import CommandError, parse_slash, parse_thread_message, with_reply_text
from handlers.replies import fitting, rendered

log = logging.getLogger(__name__)
_COMMAND_NAME = re.compile(r"(?<![\w/<])/(" + "|".join(TYPED) + r")\b")


def build_app(desk: Desk, client: AsyncWebClient, signing_secret: str | None, *, socket_mode: bool = False) -> AsyncApp:
    app = AsyncApp(
        client=client,
        signing_secret=signing_secret,
        request_verification_enabled=not socket_mode,
        process_before_response=False,
    )
    listeners = SlackListeners(desk, SlackChat(client))
    for name in TYPED:
        app.command(f"/{desk.config.slack.command_prefix}{name}")(ack=_ack, lazy=[listeners.slash_command])
    app.action("sd_claim")(ack=_ack, lazy=[listeners.button("claim")])
    app.action("sd_resolve")(ack=_ack, lazy=[listeners.button("resolve")])
    app.action("sd_suggest")(ack=_ack, lazy=[listeners.button("suggest")])
    app.action("sd_publish_anyway")(ack=_ack, lazy=[listeners.publish_anyway])
    app.action(re.compile(r"^sd_reply(_suggestion_\d+)?$"))(ack=_ack, lazy=[listeners.open_reply_modal])
    app.view("sd_reply_modal")(listeners.submit_reply_modal)
    app.view_closed("sd_reply_modal")(ack=_ack, lazy=[listeners.reply_modal_closed])
    app.action("sd_pick_saved")(ack=_ack, lazy=[listeners.pick_saved_reply])
    app.action("sd_approve")(ack=_ack, lazy=[listeners.decide("approve")])
    app.action("sd_reject")(ack=_ack, lazy=[listeners.decide("reject")])
    app.action("sd_approval_edit")(ack=_ack, lazy=[listeners.open_approval_edit])
    app.view("sd_approval_edit_modal")(listeners.submit_approval_edit)
    app.action("sd_home_claim")(ack=_ack, lazy=[listeners.claim_from_home])
    app.action(re.compile(r"^sd_home_open_\d+$"))(_ack)  # a link button: Slack opens the thread, we only ack
    app.event("app_home_opened")(ack=_ack, lazy=[listeners.home_opened])
    app.event("message")(listeners.thread_message)
    return app


async def _ack(ack) -> None:
    await ack()


class SlackListeners:
    """Translate Slack payloads into handler requests, and outcomes back into ephemeral messages."""

    def __init__(self, desk: Desk, chat: SlackChat) -> None:
        self.desk = desk
        self.chat = chat

    async def slash_command(self, body: dict, respond) -> None:
        actor = Actor("slack", body["user_id"])
        try:
            request = parse_slash(body["command"], body.get("text", ""), actor, self.desk.config.slack.command_prefix)
        except CommandError as error:
            await respond(text=str(error), response_type="ephemeral")
            return
        outcome = await dispatch(self.desk, request)
        text = self.prefixed(with_reply_text(outcome, request))  # a slash command keeps no copy of what was typed
        await respond(text=text, blocks=_blocks(outcome, request, text), response_type="ephemeral")
        if outcome.files:
            await self._share(body["channel_id"], actor.user_id, outcome)

    async def _share(self, channel: str, user: str, outcome: Outcome) -> None:
        """The outcome's files (a chart, an export) in the channel where the command was typed."""
        try:
            await self.chat.upload(channel, None, outcome.files, outcome.files_note)
        except ChatError as error:
            await self._tell(channel, user, f"The files could not be shared here: {error}. Invite the bot to this "
                                            "channel (/invite @socialdesk), or ask again in one it is in.")

    def prefixed(self, text: str) -> str:
        """The answer with its command names as this workspace types them (`/reply` -> `/sd-reply`)."""
        prefix = self.desk.config.slack.command_prefix
        return _COMMAND_NAME.sub(lambda match: f"/{prefix}{match[1]}", text) if prefix else text

    def button(self, command: str):
        async def pressed(body: dict, respond) -> None:
            action = body["actions"][0]
            request = Request(command=command, actor=Actor("slack", body["user"]["id"]), number=int(action["value"]))
            outcome = await dispatch(self.desk, request)
            await respond(text=self.prefixed(outcome.text), response_type="ephemeral", replace_original=False)

        pressed.__name__ = f"pressed_{command}"
        return pressed

    async def publish_anyway(self, body: dict, respond) -> None:
        """The button on a held reply: the same reply again, with --anyway (the audit log records it)."""
        value = json.loads(body["actions"][0]["value"])
        request = Request(command="reply", actor=Actor("slack", body["user"]["id"]), number=number_in(value),
                          args=value["args"])
        outcome = await dispatch(self.desk, request)
        text = self.prefixed(outcome.text)
        await respond(text=text, blocks=_blocks(outcome, request, text), response_type="ephemeral",
                      replace_original=outcome.ok)

    async def open_reply_modal(self, body: dict, client: AsyncWebClient) -> None:
        value = json.loads(body["actions"][0]["value"])
        number = number_in(value)
        suggestion = value.get("text") or await self.desk.first_suggestion(number)
        channel = channel_of(body)
        saved = [(r.name, r.title) for r in await asyncio.to_thread(fitting, self.desk, number)]
        modal = reply_modal(number, suggestion, self.desk.reply_limit(number), channel, saved)
        await client.views_open(trigger_id=body["trigger_id"], view=modal)
        await asyncio.to_thread(self.desk.composing, number, "slack", body["user"]["id"], True)

    async def reply_modal_closed(self, body: dict, view: dict) -> None:
        meta = json.loads(view.get("private_metadata") or "{}")
        await asyncio.to_thread(self.desk.composing, number_in(meta), "slack", body["user"]["id"], False)

    async def pick_saved_reply(self, body: dict, client: AsyncWebClient) -> None:
        """A saved reply picked in the Reply… modal: its text (for this conversation) replaces the reply's."""
        view = body["view"]
        meta = json.loads(view.get("private_metadata") or "{}")
        name = body["actions"][0]["selected_option"]["value"]
        number = number_in(meta)
        try:
            text = await asyncio.to_thread(rendered, self.desk, number, name, Actor("slack", body["user"]["id"]))
        except Refusal as refusal:
            text = f"({refusal})"
        saved = [(r.name, r.title) for r in await asyncio.to_thread(fitting, self.desk, number)]
        modal = reply_modal(number, text, self.desk.reply_limit(number), meta.get("channel", ""), saved,
                            text_block=f"reply:{name}")
        await client.views_update(view_id=view["id"], hash=view.get("hash"), view=modal)

    async def submit_reply_modal(self, ack, body: dict, view: dict) -> None:
        meta = json.loads(view.get("private_metadata") or "{}")
        values = view["state"]["values"]
        text = modal_text(view)
        if (values.get("anyway", {}).get("checked") or {}).get("selected_options"):
            text = f"--anyway {text}"
        actor = Actor("slack", body["user"]["id"])
        if await self._submitted(ack, meta, Request(command="reply", actor=actor, number=number_in(meta), args=text)):
            await asyncio.to_thread(self.desk.composing, number_in(meta), "slack", actor.user_id, False)

    async def _submitted(self, ack, meta: dict, request: Request) -> bool:
        """Run a modal's command: a refusal is shown in the modal (it stays open), success closes it and is told in
        the channel it was opened from. Returns whether it succeeded."""
        outcome = await dispatch(self.desk, request)
        if not outcome.ok:
            await ack(response_action="errors", errors={"reply": outcome.text[:500]})
            return False
        await ack()
        if meta.get("channel"):
            await self._tell(meta["channel"], request.actor.user_id, outcome.text)
        return True

    def decide(self, command: str):
        """Approve or Reject under a reply waiting for approval."""
        async def pressed(body: dict, respond) -> None:
            value = json.loads(body["actions"][0]["value"])
            request = Request(command=command, actor=Actor("slack", body["user"]["id"]), number=number_in(value),
                              args=button_args(value["reply"]))
            outcome = await dispatch(self.desk, request)
            await respond(text=outcome.text, response_type="ephemeral", replace_original=False)

        pressed.__name__ = f"pressed_{command}"
        return pressed

    async def open_approval_edit(self, body: dict, client: AsyncWebClient, respond) -> None:
        value = json.loads(body["actions"][0]["value"])
        number, reply_id = number_in(value), int(value["reply"])
        text = await asyncio.to_thread(waiting_text, self.desk, reply_id)
        if text is None:
            await respond(text=f"That reply to #{number} no longer waits for approval.", response_type="ephemeral",
                          replace_original=False)
            return
        await client.views_open(trigger_id=body["trigger_id"], view=approval_edit_modal(
            number, reply_id, text, self.desk.reply_limit(number), channel_of(body)))

    async def submit_approval_edit(self, ack, body: dict, view: dict) -> None:
        meta = json.loads(view.get("private_metadata") or "{}")
        await self._submitted(ack, meta, Request(command="approve", actor=Actor("slack", body["user"]["id"]),
                                                 number=number_in(meta),
                                                 args=button_args(int(meta["reply"]), modal_text(view))))

    async def claim_from_home(self, body: dict) -> None:
        value = json.loads(body["actions"][0]["value"])
        user = body["user"]["id"]
        outcome = await dispatch(self.desk, Request(command="claim", actor=Actor("slack", user), number=number_in(value)))
        try:
            await self.chat.direct_message(user, outcome.text)
        except ChatError as error:
            log.error("could not tell %s about claiming from the home tab %r: %s", user, outcome.text, error)

    async def home_opened(self, event: dict) -> None:
        if event.get("tab", "home") != "home":
            return  # the Messages tab
        user = event["user"]
        view = await asyncio.to_thread(opened_home, self.desk.engine, self.desk.config, user, self.desk.clock.now())
        try:
            if view is None:
                await self.chat.publish_home_view(user, not_an_agent_tab())
            else:
                await self.chat.publish_home(user, view)
        except ChatError as error:
            log.error("could not draw the home tab of %s: %s", user, error)

    async def thread_message(self, event: dict) -> None:
        if event.get("subtype") not in (None, "file_share", "thread_broadcast") or event.get("bot_id"):
            return
        thread_ts, channel = event.get("thread_ts"), event.get("channel")
        if not thread_ts or thread_ts == event.get("ts") or "user" not in event:
            return
        number = self.desk.conversation_in_thread("slack", thread_ts, channel)
        message_id = f"{channel}:{event['ts']}"
        if number is None or not await self.desk.first_to_act("slack", message_id):
            return  # a thread that is not a socialdesk conversation, or a redelivered message already acted on
        actor = Actor("slack", event["user"])
        try:
            request = parse_thread_message(event.get("text") or "", number, actor, message_id=message_id)
        except CommandError as error:
            await self._tell(channel, actor.user_id, str(error), thread_ts)
            return
        outcome = await dispatch(self.desk, request)
        if request.command != "note" or not outcome.ok:
            await self._tell(channel, actor.user_id, outcome.text, thread_ts, blocks=_blocks(outcome, request))

    async def _tell(self, channel: str, user: str, text: str, thread_ts: str | None = None,
                    blocks: list[dict] | None = None) -> None:
        try:
            await self.chat.tell(channel, user, self.prefixed(text), thread_ts, blocks=blocks)
        except ChatError as error:
            log.error("could not tell %s in %s %r: %s", user, channel, text, error)


def channel_of(body: dict) -> str:
    """The channel a button was pressed in (where to tell the presser what happened)."""
    return (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id", "")


def number_in(value: dict) -> int:
    """The conversation number a button's value or a modal's metadata carries (`n` on messages posted before 0.2)."""
    return int(value["number"] if "number" in value else value["n"])


def _blocks(outcome: Outcome, request: Request, text: str | None = None) -> list[dict] | None:
    """A held reply gets a "Publish anyway" button under `text` (default the outcome's); everything else is plain text."""
    return held_blocks(text or outcome.text, request.number, outcome.override) if outcome.override else None


def http_app(bolt: AsyncApp, path: str = "/slack/events", routes: list[web.RouteDef] = ()) -> web.Application:
    """The HTTP-mode server: Slack posts signed requests to `path`; `routes` are the process's own (/healthz,
    /readyz, /metrics: bot/app/health.py)."""

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    app = web.Application(client_max_size=1024 * 1024)
    app.router.add_post(path, events)
    app.add_routes(routes)
    return app
