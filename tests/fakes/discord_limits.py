"""Discord's documented limits on messages, embeds, components, modals and thread names, checked as Discord checks them.

Each function returns Discord's `errors` object for an "Invalid Form Body" (code 50035) answer, keyed by
the dotted path of the bad field ({} when Discord accepts it). Each limit cites its documentation page.
"""
from __future__ import annotations

import ipaddress
import re
from typing import Any
from urllib.parse import urlsplit

CONTENT = 2000  # message content: https://discord.com/developers/docs/resources/message#create-message
EMBEDS = 10  # embeds per message: https://discord.com/developers/docs/resources/message#create-message
# https://discord.com/developers/docs/resources/message#embed-object-embed-limits
EMBED_TITLE, EMBED_DESCRIPTION, EMBED_FIELDS, FIELD_NAME, FIELD_VALUE = 256, 4096, 25, 256, 1024
EMBED_FOOTER, EMBED_AUTHOR, EMBED_TOTAL = 2048, 256, 6000  # the total counts every embed of the message
URL_LENGTH = 2048  # embed url, author url: the URL type of https://discord.com/developers/docs/reference#api-reference
ACTION_ROWS, ROW_BUTTONS = 5, 5  # https://discord.com/developers/docs/components/reference#action-row
BUTTON_LABEL, CUSTOM_ID = 80, 100  # https://discord.com/developers/docs/components/reference#button
# https://discord.com/developers/docs/interactions/receiving-and-responding#interaction-response-object-modal
MODAL_TITLE, MODAL_COMPONENTS = 45, 5
LABEL, LABEL_DESCRIPTION = 45, 100  # https://discord.com/developers/docs/components/reference#label
TEXT_LABEL, TEXT_VALUE, PLACEHOLDER = 45, 4000, 100  # https://discord.com/developers/docs/components/reference#text-input
IN_LABEL = {3, 4, 5, 6, 7, 8, 19, 21, 22, 23}  # what a label may hold: the Label page above
THREAD_NAME = 100  # https://discord.com/developers/docs/resources/channel#start-thread-from-message-json-params
_HOST_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?", re.I)


def _error(code: str, message: str) -> dict:
    return {"_errors": [{"code": code, "message": message}]}


def _too_long(limit: int) -> dict:
    return _error("BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")


def url_error(url: Any) -> dict | None:
    """Discord's URL check: http(s), a host, no white space or controls, at most URL_LENGTH characters."""
    if not isinstance(url, str) or len(url) > URL_LENGTH:
        return _too_long(URL_LENGTH) if isinstance(url, str) else _error("URL_TYPE_INVALID_URL", "Not a well formed URL.")
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        return _error("URL_TYPE_INVALID_URL", "Not a well formed URL.")
    try:
        parts = urlsplit(url)
        host = parts.hostname
        _ = parts.port
    except ValueError:
        return _error("URL_TYPE_INVALID_URL", "Not a well formed URL.")
    if parts.scheme not in ("http", "https"):
        return _error("URL_TYPE_INVALID_SCHEME", "Scheme must be one of ('http', 'https').")
    if not host or not _valid_host(host):
        return _error("URL_TYPE_INVALID_URL", "Not a well formed URL.")
    return None


def _valid_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return False
    return all(_HOST_LABEL.fullmatch(label) for label in host.rstrip(".").split("."))


def message_errors(body: dict) -> dict:
    """What Discord finds wrong with a message body's content, embeds and components."""
    errors: dict[str, Any] = {}
    content = body.get("content")
    if content is not None and len(str(content)) > CONTENT:
        errors["content"] = _too_long(CONTENT)
    embeds = body.get("embeds") or []
    if len(embeds) > EMBEDS:
        errors["embeds"] = _too_long(EMBEDS)
    total = 0
    for index, embed in enumerate(embeds):
        total += _embed_errors(f"embeds.{index}", embed, errors)
    if total > EMBED_TOTAL:
        errors["embeds"] = _error("BASE_TYPE_MAX_LENGTH", f"Embed size exceeds maximum size of {EMBED_TOTAL}")
    rows = body.get("components") or []
    if len(rows) > ACTION_ROWS:
        errors["components"] = _too_long(ACTION_ROWS)
    custom_ids: set[str] = set()
    for index, row in enumerate(rows):
        buttons = row.get("components") or []
        if row.get("type") != 1 or not 1 <= len(buttons) <= ROW_BUTTONS:
            errors[f"components.{index}"] = _error("COMPONENT_LAYOUT_WIDTH_EXCEEDED", "The specified component exceeds "
                                                                                    "the maximum width")
        for position, button in enumerate(buttons):
            where = f"components.{index}.components.{position}"
            if len(button.get("label") or "") > BUTTON_LABEL:
                errors[f"{where}.label"] = _too_long(BUTTON_LABEL)
            custom_id = button.get("custom_id")
            if custom_id is not None and not 1 <= len(custom_id) <= CUSTOM_ID:
                errors[f"{where}.custom_id"] = _too_long(CUSTOM_ID)
            elif custom_id in custom_ids:
                errors[f"{where}.custom_id"] = _error("COMPONENT_CUSTOM_ID_DUPLICATED", "Component custom id cannot be "
                                                                                      "duplicated")
            custom_ids.add(custom_id)
            if button.get("url") is not None and (problem := url_error(button["url"])):
                errors[f"{where}.url"] = problem
    return errors


def _embed_errors(where: str, embed: dict, errors: dict) -> int:
    """Record the embed's errors; returns its size as Discord counts it towards EMBED_TOTAL."""
    title, description = str(embed.get("title") or ""), str(embed.get("description") or "")
    footer, author = (embed.get("footer") or {}).get("text", ""), (embed.get("author") or {}).get("name", "")
    fields = embed.get("fields") or []
    for key, value, limit in (("title", title, EMBED_TITLE), ("description", description, EMBED_DESCRIPTION),
                              ("footer.text", footer, EMBED_FOOTER), ("author.name", author, EMBED_AUTHOR)):
        if len(value) > limit:
            errors[f"{where}.{key}"] = _too_long(limit)
    if len(fields) > EMBED_FIELDS:
        errors[f"{where}.fields"] = _too_long(EMBED_FIELDS)
    for index, field in enumerate(fields):
        name, value = str(field.get("name") or ""), str(field.get("value") or "")
        if not name or len(name) > FIELD_NAME:
            errors[f"{where}.fields.{index}.name"] = _too_long(FIELD_NAME)
        if not value or len(value) > FIELD_VALUE:
            errors[f"{where}.fields.{index}.value"] = _too_long(FIELD_VALUE)
    for key, url in (("url", embed.get("url")), ("author.url", (embed.get("author") or {}).get("url"))):
        if url is not None and (problem := url_error(url)):
            errors[f"{where}.{key}"] = problem
    return (len(title) + len(description) + len(footer) + len(author)
            + sum(len(str(f.get("name") or "")) + len(str(f.get("value") or "")) for f in fields))


def modal_errors(data: dict) -> dict:
    """A modal as Discord checks it: a title, 1 to 5 labels (or legacy action rows of one text input), and within
    them text inputs and checkboxes of the documented sizes."""
    errors: dict[str, Any] = {}
    components = data.get("components") or []
    if not 1 <= len(str(data.get("title") or "")) <= MODAL_TITLE:
        errors["title"] = _error("BASE_TYPE_BAD_LENGTH", f"Must be between 1 and {MODAL_TITLE} in length.")
    if not 1 <= len(components) <= MODAL_COMPONENTS:
        errors["components"] = _error("BASE_TYPE_BAD_LENGTH", f"Must be between 1 and {MODAL_COMPONENTS} in length.")
    for index, component in enumerate(components):
        where = f"components.{index}"
        if component.get("type") == 18:
            label, inner = component.get("label") or "", component.get("component") or {}
            if not 1 <= len(label) <= LABEL or len(component.get("description") or "") > LABEL_DESCRIPTION:
                errors[where] = _error("INVALID", f"A label's text is 1 to {LABEL} characters, its description at "
                                                  f"most {LABEL_DESCRIPTION}.")
            elif inner.get("type") not in IN_LABEL or inner.get("type") == 4 and not _text_input_fits(inner):
                errors[f"{where}.component"] = _error("INVALID", "Invalid component in a label.")
        elif component.get("type") == 1:
            inputs = component.get("components") or []
            if (len(inputs) != 1 or inputs[0].get("type") != 4 or not _text_input_fits(inputs[0])
                    or not 1 <= len(inputs[0].get("label") or "") <= TEXT_LABEL):
                errors[where] = _error("INVALID", "An action row in a modal holds one labelled text input.")
        else:
            errors[where] = _error("INVALID", "Modals hold labels (or action rows of one text input).")
    return errors


def _text_input_fits(component: dict) -> bool:
    maximum = component.get("max_length", TEXT_VALUE)
    return (1 <= len(component.get("custom_id") or "") <= CUSTOM_ID and len(component.get("value") or "") <= maximum
            and len(component.get("placeholder") or "") <= PLACEHOLDER and 1 <= maximum <= TEXT_VALUE
            and 0 <= component.get("min_length", 0) <= TEXT_VALUE)


def thread_name_errors(name: str) -> dict:
    if not 1 <= len(name) <= THREAD_NAME:
        return {"name": _error("BASE_TYPE_BAD_LENGTH", f"Must be between 1 and {THREAD_NAME} in length.")}
    return {}
