"""Slack's documented Block Kit, message and view limits, checked as Slack checks them.

`message_problems` and `view_problems` return what Slack would say is wrong, as Slack's own
`response_metadata.messages` do ("[ERROR] must be at most 3000 characters [json-pointer:/blocks/1/text/text]");
an empty list means Slack accepts it. The fake answers `invalid_blocks` (messages) or
`invalid_arguments` (views) when there is any. Each limit cites its documentation page.
"""
from __future__ import annotations

import json
from typing import Any

MESSAGE_BLOCKS = 50  # blocks in a message: https://docs.slack.dev/reference/block-kit/blocks
VIEW_BLOCKS = 100  # blocks in a modal or Home tab: https://docs.slack.dev/reference/block-kit/blocks (modals and Home tabs)
MESSAGE_TEXT = 40_000  # chat.postMessage `text`: https://docs.slack.dev/reference/methods/chat.postMessage (msg_too_long)
METADATA_BYTES = 8_000  # event_payload: https://docs.slack.dev/messaging/message-metadata (metadata_too_large)
BLOCK_ID = 255  # every block's block_id: https://docs.slack.dev/reference/block-kit/blocks
SECTION_TEXT = 3000  # section block text: https://docs.slack.dev/reference/block-kit/blocks/section-block
SECTION_FIELDS, FIELD_TEXT = 10, 2000  # section fields, each text: https://docs.slack.dev/reference/block-kit/blocks/section-block
HEADER_TEXT = 150  # header block text: https://docs.slack.dev/reference/block-kit/blocks/header-block
CONTEXT_ELEMENTS = 10  # context block elements: https://docs.slack.dev/reference/block-kit/blocks/context-block
ACTIONS_ELEMENTS = 25  # actions block elements: https://docs.slack.dev/reference/block-kit/blocks/actions-block
INPUT_LABEL, INPUT_HINT = 2000, 2000  # input block label and hint: https://docs.slack.dev/reference/block-kit/blocks/input-block
IMAGE_URL, ALT_TEXT = 3000, 2000  # image block: https://docs.slack.dev/reference/block-kit/blocks/image-block
TEXT_OBJECT = 3000  # any text object: https://docs.slack.dev/reference/block-kit/composition-objects/text-object
BUTTON_TEXT, BUTTON_VALUE, BUTTON_URL = 75, 2000, 3000  # https://docs.slack.dev/reference/block-kit/block-elements/button-element
ACTION_ID = 255  # every interactive element's action_id: https://docs.slack.dev/reference/block-kit/block-elements
OPTION_TEXT, OPTION_VALUE, OPTION_DESCRIPTION = 75, 150, 75  # https://docs.slack.dev/reference/block-kit/composition-objects/option-object
CHECKBOX_OPTIONS = 10  # https://docs.slack.dev/reference/block-kit/block-elements/checkboxes-element
SELECT_OPTIONS, PLACEHOLDER = 100, 150  # https://docs.slack.dev/reference/block-kit/block-elements/select-menu-element
INPUT_VALUE = 3000  # plain_text_input initial_value, min_length, max_length: https://docs.slack.dev/reference/block-kit/block-elements/plain-text-input-element
CONFIRM_TITLE, CONFIRM_TEXT, CONFIRM_BUTTON = 100, 300, 30  # https://docs.slack.dev/reference/block-kit/composition-objects/confirmation-dialog-object
VIEW_TITLE, VIEW_SUBMIT, VIEW_CLOSE = 24, 24, 24  # https://docs.slack.dev/reference/views/modal-views
PRIVATE_METADATA, CALLBACK_ID, EXTERNAL_ID = 3000, 255, 255  # the same page


class _Checker:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def bad(self, where: str, what: str) -> None:
        self.problems.append(f"[ERROR] {what} [json-pointer:{where}]")

    def length(self, where: str, value: Any, limit: int, *, required: bool = True) -> None:
        if value is None:
            if required:
                self.bad(where, "missing required field")
            return
        if not isinstance(value, str):
            self.bad(where, "must be a string")
        elif required and not value:
            self.bad(where, "must be at least 1 character")
        elif len(value) > limit:
            self.bad(where, f"must be at most {limit} characters")

    def text(self, where: str, obj: Any, limit: int = TEXT_OBJECT, *, plain: bool = False, required: bool = True) -> None:
        if obj is None and not required:
            return
        if not isinstance(obj, dict) or obj.get("type") not in (("plain_text",) if plain else ("plain_text", "mrkdwn")):
            self.bad(where, "must be a plain_text object" if plain else "must be a text object")
            return
        self.length(f"{where}/text", obj.get("text"), min(limit, TEXT_OBJECT))

    def items(self, where: str, value: Any, limit: int, minimum: int = 1) -> list:
        if not isinstance(value, list) or not minimum <= len(value) <= limit:
            self.bad(where, f"must hold {minimum} to {limit} items")
            return []
        return value

    def blocks(self, where: str, blocks: Any, limit: int) -> None:
        ids = set()
        for index, block in enumerate(self.items(where, blocks, limit, minimum=0)):
            at = f"{where}/{index}"
            if not isinstance(block, dict):
                self.bad(at, "must be an object")
                continue
            if "block_id" in block:
                self.length(f"{at}/block_id", block["block_id"], BLOCK_ID)
                if block["block_id"] in ids:
                    self.bad(f"{at}/block_id", "must be unique")
                ids.add(block["block_id"])
            check = _BLOCKS.get(block.get("type"))
            if check is None:
                self.bad(f"{at}/type", "unknown block type")
            else:
                check(self, at, block)

    def section(self, at: str, block: dict) -> None:
        if "text" not in block and "fields" not in block:
            self.bad(at, "must have text or fields")
        if "text" in block:
            self.text(f"{at}/text", block["text"], SECTION_TEXT)
        if "fields" in block:
            for index, field in enumerate(self.items(f"{at}/fields", block["fields"], SECTION_FIELDS)):
                self.text(f"{at}/fields/{index}", field, FIELD_TEXT)
        if "accessory" in block:
            self.element(f"{at}/accessory", block["accessory"])

    def header(self, at: str, block: dict) -> None:
        self.text(f"{at}/text", block.get("text"), HEADER_TEXT, plain=True)

    def context(self, at: str, block: dict) -> None:
        for index, element in enumerate(self.items(f"{at}/elements", block.get("elements"), CONTEXT_ELEMENTS)):
            if isinstance(element, dict) and element.get("type") == "image":
                self.image(f"{at}/elements/{index}", element, key="image_url")
            else:
                self.text(f"{at}/elements/{index}", element)

    def actions(self, at: str, block: dict) -> None:
        for index, element in enumerate(self.items(f"{at}/elements", block.get("elements"), ACTIONS_ELEMENTS)):
            self.element(f"{at}/elements/{index}", element)

    def input(self, at: str, block: dict) -> None:
        self.text(f"{at}/label", block.get("label"), INPUT_LABEL, plain=True)
        self.text(f"{at}/hint", block.get("hint"), INPUT_HINT, plain=True, required=False)
        self.element(f"{at}/element", block.get("element"))

    def image(self, at: str, block: dict, key: str = "image_url") -> None:
        self.length(f"{at}/{key}", block.get(key), IMAGE_URL)
        self.length(f"{at}/alt_text", block.get("alt_text"), ALT_TEXT)

    def nothing(self, at: str, block: dict) -> None:
        """Blocks with no documented text limit of their own (divider, rich_text)."""

    def element(self, at: str, element: Any) -> None:
        if not isinstance(element, dict):
            self.bad(at, "must be an element object")
            return
        kind = element.get("type")
        if "action_id" in element:
            self.length(f"{at}/action_id", element["action_id"], ACTION_ID)
        if kind == "button":
            self.text(f"{at}/text", element.get("text"), BUTTON_TEXT, plain=True)
            self.length(f"{at}/value", element.get("value"), BUTTON_VALUE, required=False)
            self.length(f"{at}/url", element.get("url"), BUTTON_URL, required=False)
            if element.get("style") not in (None, "primary", "danger"):
                self.bad(f"{at}/style", "must be primary or danger")
            if "confirm" in element:
                self.confirm(f"{at}/confirm", element["confirm"])
        elif kind in ("checkboxes", "radio_buttons"):
            for index, option in enumerate(self.items(f"{at}/options", element.get("options"), CHECKBOX_OPTIONS)):
                self.option(f"{at}/options/{index}", option)
        elif kind == "static_select":
            self.text(f"{at}/placeholder", element.get("placeholder"), PLACEHOLDER, plain=True, required=False)
            for index, option in enumerate(self.items(f"{at}/options", element.get("options"), SELECT_OPTIONS)):
                self.option(f"{at}/options/{index}", option)
        elif kind == "plain_text_input":
            self.plain_text_input(at, element)
        elif kind == "image":
            self.image(at, element)
        elif kind not in ("users_select", "conversations_select", "channels_select", "datepicker", "timepicker",
                          "overflow", "multi_static_select", "multi_users_select", "email_text_input", "number_input",
                          "url_text_input", "rich_text_input"):
            self.bad(f"{at}/type", "unknown element type")

    def plain_text_input(self, at: str, element: dict) -> None:
        self.text(f"{at}/placeholder", element.get("placeholder"), PLACEHOLDER, plain=True, required=False)
        self.length(f"{at}/initial_value", element.get("initial_value"), INPUT_VALUE, required=False)
        maximum = element.get("max_length", INPUT_VALUE)
        if not isinstance(maximum, int) or not 1 <= maximum <= INPUT_VALUE:
            self.bad(f"{at}/max_length", f"must be 1 to {INPUT_VALUE}")
        elif len(element.get("initial_value") or "") > maximum:
            self.bad(f"{at}/initial_value", "must not be longer than max_length")

    def option(self, at: str, option: Any) -> None:
        if not isinstance(option, dict):
            self.bad(at, "must be an option object")
            return
        self.text(f"{at}/text", option.get("text"), OPTION_TEXT)
        self.length(f"{at}/value", option.get("value"), OPTION_VALUE)
        self.text(f"{at}/description", option.get("description"), OPTION_DESCRIPTION, plain=True, required=False)

    def confirm(self, at: str, confirm: Any) -> None:
        if not isinstance(confirm, dict):
            self.bad(at, "must be a confirmation object")
            return
        self.text(f"{at}/title", confirm.get("title"), CONFIRM_TITLE, plain=True)
        self.text(f"{at}/text", confirm.get("text"), CONFIRM_TEXT)
        self.text(f"{at}/confirm", confirm.get("confirm"), CONFIRM_BUTTON, plain=True)
        self.text(f"{at}/deny", confirm.get("deny"), CONFIRM_BUTTON, plain=True)


_BLOCKS = {"section": _Checker.section, "header": _Checker.header, "context": _Checker.context,
           "actions": _Checker.actions, "input": _Checker.input, "image": _Checker.image,
           "divider": _Checker.nothing, "rich_text": _Checker.nothing}


def blocks_problems(blocks: Any, limit: int = MESSAGE_BLOCKS) -> list[str]:
    checker = _Checker()
    checker.blocks("/blocks", blocks, limit)
    return checker.problems


def metadata_too_large(metadata: dict) -> bool:
    return len(json.dumps(metadata.get("event_payload"), separators=(",", ":")).encode()) > METADATA_BYTES


def view_problems(view: Any) -> list[str]:
    """What Slack finds wrong with a view (views.open, views.update, views.push, views.publish)."""
    checker = _Checker()
    if not isinstance(view, dict) or view.get("type") not in ("modal", "home"):
        checker.bad("/view/type", "must be modal or home")
        return checker.problems
    checker.blocks("/view/blocks", view.get("blocks"), VIEW_BLOCKS)
    checker.length("/view/private_metadata", view.get("private_metadata"), PRIVATE_METADATA, required=False)
    checker.length("/view/callback_id", view.get("callback_id"), CALLBACK_ID, required=False)
    checker.length("/view/external_id", view.get("external_id"), EXTERNAL_ID, required=False)
    if view["type"] == "modal":
        checker.text("/view/title", view.get("title"), VIEW_TITLE, plain=True)
        checker.text("/view/submit", view.get("submit"), VIEW_SUBMIT, plain=True, required=False)
        checker.text("/view/close", view.get("close"), VIEW_CLOSE, plain=True, required=False)
        if any(isinstance(b, dict) and b.get("type") == "input" for b in view.get("blocks") or []) and not view.get("submit"):
            checker.bad("/view/submit", "a modal with input blocks needs a submit button")
    else:
        for key in ("title", "submit", "close"):  # https://docs.slack.dev/surfaces/app-home: a home tab has no chrome
            if key in view:
                checker.bad(f"/view/{key}", "a home tab has no title, submit or close")
    return checker.problems
