"""Signed Slack requests, shaped like the ones Slack sends (slash commands, actions, views, events)."""
from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from urllib.parse import urlencode

SIGNING_SECRET = "test-signing-secret"
_triggers = itertools.count(1)


def trigger_id() -> str:
    """A new trigger_id, as Slack gives each invocation its own (it is the command's idempotency key)."""
    return f"13345224609.738474920.{next(_triggers):032x}"
TEAM = {"id": "T0TEAM", "domain": "acme"}


def sign(body: str, secret: str = SIGNING_SECRET, timestamp: int | None = None) -> dict[str, str]:
    timestamp = int(time.time()) if timestamp is None else timestamp
    base = f"v0:{timestamp}:{body}".encode()
    signature = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(timestamp), "X-Slack-Signature": signature}


def slash_command(command: str, text: str, user: str, channel: str, response_url: str) -> tuple[str, str]:
    return urlencode(slash_command_payload(command, text, user, channel, response_url)), "application/x-www-form-urlencoded"


def slash_command_payload(command: str, text: str, user: str, channel: str, response_url: str) -> dict[str, str]:
    """The fields of a slash command (form-encoded over HTTP, a JSON payload over Socket Mode)."""
    return {
        "token": "legacy", "team_id": TEAM["id"], "team_domain": TEAM["domain"], "channel_id": channel,
        "channel_name": "social-desk", "user_id": user, "user_name": user.lower(), "command": command, "text": text,
        "api_app_id": "A0APP", "is_enterprise_install": "false", "response_url": response_url,
        "trigger_id": trigger_id(),
    }


def block_action(action_id: str, value: str, user: str, channel: str, message_ts: str, response_url: str) -> tuple[str, str]:
    payload = {
        "type": "block_actions", "team": TEAM, "user": {"id": user, "username": user.lower(), "team_id": TEAM["id"]},
        "api_app_id": "A0APP", "token": "legacy", "trigger_id": trigger_id(), "response_url": response_url,
        "container": {"type": "message", "message_ts": message_ts, "channel_id": channel, "is_ephemeral": False},
        "channel": {"id": channel, "name": "social-desk"}, "message": {"ts": message_ts, "type": "message"},
        "actions": [{"type": "button", "action_id": action_id, "block_id": "b1", "value": value,
                     "text": {"type": "plain_text", "text": "x"}, "action_ts": "1700000000.1"}],
    }
    return urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"


def view_submission(view: dict, text: str, user: str, *, anyway: bool = False) -> tuple[str, str]:
    """The reply modal submitted with `text`; `anyway` ticks its "Publish anyway" box."""
    values = {"reply": {"text": {"type": "plain_text_input", "value": text}},
              "anyway": {"checked": {"type": "checkboxes", "selected_options": [
                  {"text": {"type": "plain_text", "text": "Publish anyway"}, "value": "anyway"}] if anyway else []}}}
    payload = {
        "type": "view_submission", "team": TEAM, "user": {"id": user, "username": user.lower(), "team_id": TEAM["id"]},
        "api_app_id": "A0APP", "token": "legacy", "trigger_id": "12345.98765.abcd",
        "view": {**view, "id": "V0VIEW", "team_id": TEAM["id"], "state": {"values": values}},
    }
    return urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"


def message_event(text: str, user: str, channel: str, ts: str, thread_ts: str | None) -> tuple[str, str]:
    event = {"type": "message", "channel": channel, "user": user, "text": text, "ts": ts, "event_ts": ts,
             "channel_type": "channel"}
    if thread_ts:
        event["thread_ts"] = thread_ts
    body = {"token": "legacy", "team_id": TEAM["id"], "api_app_id": "A0APP", "event": event, "type": "event_callback",
            "event_id": f"Ev{ts.replace('.', '')}", "event_time": int(float(ts)),
            "authorizations": [{"team_id": TEAM["id"], "user_id": "U0BOT", "is_bot": True}]}
    return json.dumps(body), "application/json"


def app_home_opened(user: str, tab: str = "home") -> tuple[str, str]:
    """The event Slack sends when someone opens the app's Home (or Messages) tab."""
    event = {"type": "app_home_opened", "user": user, "channel": "D0HOME", "tab": tab, "event_ts": "1700000500.000100"}
    body = {"token": "legacy", "team_id": TEAM["id"], "api_app_id": "A0APP", "event": event, "type": "event_callback",
            "event_id": f"EvHome{user}", "event_time": 1700000500,
            "authorizations": [{"team_id": TEAM["id"], "user_id": "U0BOT", "is_bot": True}]}
    return json.dumps(body), "application/json"


def view_closed(view: dict, user: str) -> tuple[str, str]:
    """A modal closed with Cancel or ×, sent because it asked for notify_on_close."""
    payload = {"type": "view_closed", "team": TEAM, "user": {"id": user, "username": user.lower(), "team_id": TEAM["id"]},
               "api_app_id": "A0APP", "token": "legacy", "view": {**view, "state": {"values": {}}}, "is_cleared": False}
    return urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"


def view_action(view: dict, action: dict, user: str) -> tuple[str, str]:
    """An action in a view (a modal's static_select, a Home tab's button): block_actions with no response_url."""
    payload = {
        "type": "block_actions", "team": TEAM, "user": {"id": user, "username": user.lower(), "team_id": TEAM["id"]},
        "api_app_id": "A0APP", "token": "legacy", "trigger_id": "12466734323.1395872399",
        "container": {"type": "view", "view_id": view["id"]}, "view": view,
        "actions": [{"block_id": "b1", "action_ts": "1700000000.2", **action}],
    }
    return urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"


def selected(action_id: str, value: str) -> dict:
    """A static_select's pick, for `view_action`."""
    return {"type": "static_select", "action_id": action_id,
            "selected_option": {"text": {"type": "plain_text", "text": value}, "value": value}}


def pressed(action_id: str, value: str) -> dict:
    """A button's press, for `view_action`."""
    return {"type": "button", "action_id": action_id, "value": value, "text": {"type": "plain_text", "text": "x"}}
