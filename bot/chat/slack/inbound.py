"""Slack inbound: slash commands, buttons, the reply modal and thread messages, via slack-bolt.

Every listener acknowledges first and works after (Bolt lazy listeners), so Slack's
3-second limit is met however slow the database or network is. The only exception is the
reply modal, whose short database check runs before the ack so that a too-long reply is
shown as an error in the modal itself instead of closing it.

Slack sends an event again when it thinks it was not acknowledged (X-Slack-Retry-Num), maybe to
another replica, so a thread message is claimed (bot/desk/events.py) before it is acted on: a
redelivered `!reply` is not published twice.
"""
from __future__ import annotations

import json
import logging
import re

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.chat.slack.outbound import SlackChat
from bot.chat.slack.render import held_blocks, reply_modal
from bot.desk import Desk
from bot.ports import ChatError
from handlers import TYPED, dispatch
from handlers.context import Actor, Outcome, Request
from handlers.parsing import CommandError, parse_slash, parse_thread_message, with_reply_text

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
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id", "")
        modal = reply_modal(number, suggestion, self.desk.reply_limit(number), channel)
        await client.views_open(trigger_id=body["trigger_id"], view=modal)

    async def submit_reply_modal(self, ack, body: dict, view: dict) -> None:
        meta = json.loads(view.get("private_metadata") or "{}")
        values = view["state"]["values"]
        text = (values["reply"]["text"].get("value") or "").strip()
        if (values.get("anyway", {}).get("checked") or {}).get("selected_options"):
            text = f"--anyway {text}"
        actor = Actor("slack", body["user"]["id"])
        outcome = await dispatch(self.desk, Request(command="reply", actor=actor, number=number_in(meta), args=text))
        if not outcome.ok:
            await ack(response_action="errors", errors={"reply": outcome.text[:500]})
            return
        await ack()
        if meta.get("channel"):
            await self._tell(meta["channel"], actor.user_id, outcome.text)

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
