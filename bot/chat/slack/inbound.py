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
redelivered `!reply` is not published twice. A slash command or a button is recorded, under its
trigger_id, before the ack, and run once by whoever starts it; what a crash interrupted is run on
restart (`recover`) and answered through its response_url.

Text in is text as typed: Slack escapes `&`, `<` and `>` and sends links, channels and users as
`<https://…|label>`, `<#C…|name>`, `<@U…|name>` (with `should_escape`, as in the manifest). `as_typed`
decodes that exactly once, before anything reads the text; a user mention stays `<@U…>` (that is
who it names) and its name comes with the request.
"""
from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import logging
import re
from collections.abc import Awaitable, Callable

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.chat.recovery import keep_recovering
from bot.chat.slack.home import not_an_agent_tab
from bot.chat.slack.outbound import SlackChat
from bot.chat.slack.render import approval_edit_modal, held_blocks, modal_text, reply_modal
from bot.desk import Desk
from bot.ports import ChatError
from bot.reports.home import opened_home
from bot.wording import cut
from handlers import TYPED, dispatch
from handlers.approve import button_args, waiting_text
from handlers.context import Actor, Outcome, Refusal, Request
from handlers.parsing import (
    CommandError,
    not_in_a_conversation,
    parse_slash,
    parse_thread_message,
    typed_command,
    with_reply_text,
)
from handlers.replies import fitting, rendered

log = logging.getLogger(__name__)
_COMMAND_NAME = re.compile(r"(?<![\w/<])/(" + "|".join(TYPED) + r")\b")
_TOKEN = re.compile(r"<([^<>]*)>|&(amp|lt|gt);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">"}
_BROADCASTS = {"here": "@here", "channel": "@channel", "everyone": "@everyone"}
BUTTONS = {"sd_claim": "claim", "sd_resolve": "resolve", "sd_suggest": "suggest"}
DECISIONS = {"sd_approve": "approve", "sd_reject": "reject"}  # under a reply waiting for a lead
MODAL_ERROR_LIMIT = 500
# Commands run at once per process. Their database work runs on the event loop; more at once would only queue it
# ahead of the acks of the commands arriving meanwhile (bench/ack.py).
RUNNING_AT_ONCE = 2
STORE_WAIT = 10.0  # seconds a lazy listener waits for its ack function to store the command


def as_typed(text: str) -> tuple[str, tuple[Actor, ...]]:
    """Slack's escaped message or command text as the teammate typed it, and the users it mentions (with their
    names where Slack gave them). Links, mailto, channels, user groups and broadcasts become their text."""
    mentioned: list[Actor] = []

    def token(match: re.Match) -> str:
        if match.group(2):
            return _ENTITIES[match.group(2)]
        target, _, label = match.group(1).partition("|")
        label = _TOKEN.sub(lambda m: _ENTITIES.get(m.group(2) or "", m.group(0)), label)
        if target.startswith("@"):
            mentioned.append(Actor("slack", target[1:], display_name=label))
            return f"<{target}>"
        if target.startswith("#"):
            return f"#{label or target[1:]}"
        if target.startswith("!"):
            name = target[1:].split("^")[0]
            return _BROADCASTS.get(name) or label or f"@{name}"
        return label or target.removeprefix("mailto:")

    return _TOKEN.sub(token, text), tuple(mentioned)


def command_key(body: dict) -> str:
    """A command's or button's idempotency key: Slack's trigger_id, unique to one invocation (a digest of the body
    when there is none)."""
    return body.get("trigger_id") or "body:" + hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:32]


def build_app(desk: Desk, client: AsyncWebClient, signing_secret: str | None, *, socket_mode: bool = False) -> AsyncApp:
    app = AsyncApp(
        client=client,
        signing_secret=signing_secret,
        request_verification_enabled=not socket_mode,
        process_before_response=False,
    )
    listeners = SlackListeners(desk, SlackChat(client))
    for name in TYPED:
        app.command(f"/{desk.config.slack.command_prefix}{name}")(ack=listeners.record,
                                                                    lazy=[listeners.once(listeners.slash_command)])
    for action_id in BUTTONS:
        app.action(action_id)(ack=listeners.record, lazy=[listeners.once(listeners.pressed)])
    app.action("sd_publish_anyway")(ack=listeners.record, lazy=[listeners.once(listeners.publish_anyway)])
    app.action(re.compile(r"^sd_reply(_suggestion_\d+)?$"))(ack=_ack, lazy=[listeners.open_reply_modal])
    app.view("sd_reply_modal")(listeners.submit_reply_modal)
    app.view_closed("sd_reply_modal")(ack=_ack, lazy=[listeners.reply_modal_closed])
    app.action("sd_pick_saved")(ack=_ack, lazy=[listeners.pick_saved_reply])
    for action_id, command in DECISIONS.items():
        app.action(action_id)(ack=listeners.record, lazy=[listeners.once(listeners.decide(command))])
    app.action("sd_approval_edit")(ack=_ack, lazy=[listeners.open_approval_edit])
    app.view("sd_approval_edit_modal")(listeners.submit_approval_edit)
    app.action("sd_home_claim")(ack=_ack, lazy=[listeners.claim_from_home])
    app.action(re.compile(r"^sd_home_open_\d+$"))(_ack)  # a link button: Slack opens the thread, we only ack
    app.event("app_home_opened")(ack=_ack, lazy=[listeners.home_opened])
    app.event("message")(listeners.thread_message)
    return app


async def _ack(ack) -> None:
    await ack()


Run = Callable[[dict, Callable[..., Awaitable]], Awaitable[None]]


class SlackListeners:
    """Translate Slack payloads into handler requests, and outcomes back into ephemeral messages."""

    def __init__(self, desk: Desk, chat: SlackChat) -> None:
        self.desk = desk
        self.chat = chat
        self._running = asyncio.Semaphore(RUNNING_AT_ONCE)
        self._stored: dict[str, asyncio.Future[bool]] = {}  # key -> whether the ack function stored the command

    # --- acting once -------------------------------------------------------------------------------

    async def record(self, body: dict, ack) -> None:
        """Store the command before acknowledging it; if it cannot be stored, say so instead of a silent ack."""
        stored = self._storing(command_key(body))
        try:
            await self.desk.record_command("slack", command_key(body), body)  # False: stored already (a redelivery)
        except Exception:
            log.exception("could not record a Slack command")
            _settle(stored, False)
            await ack(text="socialdesk could not record this (its database did not answer), so nothing was done. "
                           "Try again in a minute.")
            return
        _settle(stored, True)
        await ack()

    def once(self, run: Run):
        """The lazy listener that runs a recorded command, unless it runs or ran elsewhere. Bolt starts it alongside
        the ack function: it waits until that one has stored the command, and runs nothing if it could not."""
        async def lazy(body: dict, respond) -> None:
            key = command_key(body)
            try:
                stored = await asyncio.wait_for(asyncio.shield(self._storing(key)), STORE_WAIT)
            except TimeoutError:
                stored = False
            finally:
                self._stored.pop(key, None)
            if stored:
                await self._run_once(key, body, respond, run)

        lazy.__name__ = f"once_{run.__name__}"
        return lazy

    def _storing(self, key: str) -> asyncio.Future[bool]:
        return self._stored.setdefault(key, asyncio.get_running_loop().create_future())

    async def _run_once(self, key: str, body: dict, respond, run: Run) -> None:
        async with self._running:
            if not await self.desk.start_command("slack", key):
                return  # a redelivery of a command already running or done
            try:
                await run(body, respond)
            finally:
                await self.desk.finish_command("slack", key)

    async def recover(self) -> int:
        """Run the commands acknowledged before a crash and never run (or never finished); answers go to their
        response_url, saying they come late. Returns how many were run."""
        ran = 0
        for key, body in await self.desk.unfinished_commands("slack"):
            run = self._run_for(body)
            if run is None or not body.get("response_url"):
                await self.desk.finish_command("slack", key)
                continue
            respond = AsyncRespond(response_url=body["response_url"])

            async def late(respond=respond, **message) -> None:
                message["text"] = f"(Answered late: socialdesk restarted after you sent this.) {message.get('text', '')}"
                message.pop("blocks", None)
                await respond(**message)

            await self._run_once(key, body, late, run)
            ran += 1
        return ran

    def _run_for(self, body: dict) -> Run | None:
        if body.get("command"):
            return self.slash_command
        action_id = ((body.get("actions") or [{}])[0]).get("action_id")
        if action_id in DECISIONS:
            return self.decide(DECISIONS[action_id])
        return self.publish_anyway if action_id == "sd_publish_anyway" else (self.pressed if action_id in BUTTONS else None)

    # --- what they do ------------------------------------------------------------------------------

    async def slash_command(self, body: dict, respond) -> None:
        text, mentioned = as_typed(body.get("text", ""))
        actor = Actor("slack", body["user_id"])
        try:
            request = parse_slash(body["command"], text, actor, self.desk.config.slack.command_prefix)
        except CommandError as error:
            await respond(text=str(error), response_type="ephemeral")
            return
        request = dataclasses.replace(request, mentioned=mentioned, message_id=f"command:{command_key(body)}")
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

    async def pressed(self, body: dict, respond) -> None:
        """Claim, Resolve, New suggestions: the button's value is the conversation number."""
        action = body["actions"][0]
        try:
            number = int(str(action.get("value", "")).strip())
        except ValueError:
            await respond(text=_bad_value(action), response_type="ephemeral", replace_original=False)
            return
        request = Request(command=BUTTONS[action["action_id"]], actor=Actor("slack", body["user"]["id"]), number=number)
        outcome = await dispatch(self.desk, request)
        await respond(text=self.prefixed(outcome.text), response_type="ephemeral", replace_original=False)

    async def publish_anyway(self, body: dict, respond) -> None:
        """The button on a held reply: the same reply again, with --anyway (the audit log records it)."""
        action = body["actions"][0]
        try:
            value = json.loads(action["value"])
            request = Request(command="reply", actor=Actor("slack", body["user"]["id"]), number=number_in(value),
                              args=str(value["args"]))
        except (ValueError, KeyError, TypeError):
            await respond(text=_bad_value(action), response_type="ephemeral", replace_original=False)
            return
        outcome = await dispatch(self.desk, request)
        text = self.prefixed(outcome.text)
        await respond(text=text, blocks=_blocks(outcome, request, text), response_type="ephemeral",
                      replace_original=outcome.ok)

    async def open_reply_modal(self, body: dict, client: AsyncWebClient, respond) -> None:
        action = body["actions"][0]
        try:
            value = json.loads(action["value"])
            number = number_in(value)
        except (ValueError, KeyError, TypeError):
            await respond(text=_bad_value(action), response_type="ephemeral", replace_original=False)
            return
        suggestion = value.get("text") or await self.desk.first_suggestion(number)
        channel = channel_of(body)
        saved = [(r.name, r.title) for r in await asyncio.to_thread(fitting, self.desk, number)]
        modal = reply_modal(number, str(suggestion), self.desk.reply_limit(number), channel, saved,
                            cut_before=int(value.get("cut") or 0))
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
        try:
            meta = json.loads(view.get("private_metadata") or "{}")
            number = number_in(meta)
            text = modal_text(view)
        except (ValueError, KeyError, TypeError, AttributeError):
            await ack(response_action="errors", errors={"reply": "This form lost track of its conversation, so nothing "
                                                                 "was sent. Close it and press Reply… again."})
            return
        if ((view["state"]["values"].get("anyway") or {}).get("checked") or {}).get("selected_options"):
            text = f"--anyway {text}"
        actor = Actor("slack", body["user"]["id"])
        if await self._submitted(ack, meta, Request(command="reply", actor=actor, number=number, args=text)):
            await asyncio.to_thread(self.desk.composing, number, "slack", actor.user_id, False)

    async def _submitted(self, ack, meta: dict, request: Request) -> bool:
        """Run a modal's command: a refusal is shown in the modal (it stays open), success closes it and is told in
        the channel it was opened from. Returns whether it succeeded."""
        outcome = await dispatch(self.desk, request)
        if not outcome.ok:
            await ack(response_action="errors", errors={"reply": cut(outcome.text, MODAL_ERROR_LIMIT)})
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
            log.error("could not tell %s about claiming from the home tab: %s", user, error)
            log.debug("the message that failed", extra={"customer_text": outcome.text})

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
        if "user" not in event:
            return
        text, mentioned = as_typed(event.get("text") or "")
        in_thread = bool(thread_ts) and thread_ts != event.get("ts")
        number = self.desk.conversation_in_thread("slack", thread_ts, channel) if in_thread else None
        message_id = f"{channel}:{event['ts']}"
        if number is None:
            where = thread_ts if in_thread else None
            if typed_command(text) and await self.desk.first_to_act("slack", message_id):
                await self._tell(channel, event["user"], not_in_a_conversation(text), where)
            return  # a thread that is not a socialdesk conversation, or a message at the channel's top
        if not await self.desk.first_to_act("slack", message_id):
            return  # a redelivered message already acted on
        actor = Actor("slack", event["user"])
        try:
            request = parse_thread_message(text, number, actor, message_id=message_id)
        except CommandError as error:
            await self._tell(channel, actor.user_id, str(error), thread_ts)
            return
        outcome = await dispatch(self.desk, dataclasses.replace(request, mentioned=mentioned))
        if request.command != "note" or not outcome.ok:
            await self._tell(channel, actor.user_id, outcome.text, thread_ts, blocks=_blocks(outcome, request))

    async def _tell(self, channel: str, user: str, text: str, thread_ts: str | None = None,
                    blocks: list[dict] | None = None) -> None:
        try:
            await self.chat.tell(channel, user, self.prefixed(text), thread_ts, blocks=blocks)
        except ChatError as error:
            log.error("could not tell %s in %s: %s", user, channel, error)
            log.debug("the message that failed", extra={"customer_text": text})


async def recover_commands(desk: Desk, client: AsyncWebClient) -> None:
    """Run the Slack commands a crash left acknowledged and not run, now and every half minute (bot/chat/recovery.py)."""
    await keep_recovering("Slack", SlackListeners(desk, SlackChat(client)).recover)


def _settle(future: asyncio.Future[bool], stored: bool) -> None:
    if not future.done():  # a redelivery may find the first delivery's answer still there
        future.set_result(stored)


def _bad_value(action: dict) -> str:
    return (f"socialdesk could not read this button ({action.get('action_id', '?')}): it may come from an older "
            "version. Nothing was done. Use the slash command instead, e.g. `/claim 42`.")


def channel_of(body: dict) -> str:
    """The channel a button was pressed in (where to tell the presser what happened)."""
    return (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id", "")


def number_in(value: dict) -> int:
    """The conversation number a button's value or a modal's metadata carries (`n` on messages posted before 0.2)."""
    return int(value["number"] if "number" in value else value["n"])


def _blocks(outcome: Outcome, request: Request, text: str | None = None) -> list[dict] | None:
    """A held reply gets a "Publish anyway" button under `text` (default the outcome's); everything else is plain text."""
    return held_blocks(text or outcome.text, request.number, outcome.override) if outcome.override else None


async def _is_event(request: web.Request) -> bool:
    """Whether a JSON body is an Events API envelope (the only JSON Slack posts here)."""
    try:
        body = json.loads(await request.text())
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("type") in ("url_verification", "event_callback", "app_rate_limited")


def _unreadable() -> web.Response:
    return web.json_response({"ok": False, "error": "socialdesk could not read this request: Slack sends commands and "
                              "actions form-encoded and events as JSON envelopes."}, status=400)


def http_app(bolt: AsyncApp, path: str = "/slack/events", routes: list[web.RouteDef] = ()) -> web.Application:
    """The HTTP-mode server: Slack posts signed requests to `path`; `routes` are the process's own (/healthz,
    /readyz, /metrics: bot/app/health.py)."""

    async def events(request: web.Request) -> web.Response:
        if request.content_type == "application/json" and not await _is_event(request):
            return _unreadable()
        try:
            return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))
        except Exception as error:  # a body Bolt cannot read (JSON where Slack sends a form, or no payload)
            log.warning("Slack endpoint: unreadable request (%s): %s", request.content_type, error)
            return _unreadable()

    app = web.Application(client_max_size=1024 * 1024)
    app.router.add_post(path, events)
    app.add_routes(routes)
    return app
