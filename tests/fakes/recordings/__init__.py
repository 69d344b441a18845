"""Real answers of X and Reddit, recorded by their SDKs' test suites (sources and licences: README.md here).

`recording("reddit", "inbox_unread")` loads one; `Replay` serves recordings on 127.0.0.1, so a source reads
the very bytes the server sent. `drift(fake, recorded, required)` says where a fake's answer
strays from a recorded one: a key the recording never has, a value of another JSON type, or a key socialdesk
reads (`required`) that the recording has and the fake leaves out. Lists are compared item by item against all
the recorded items merged, since a Listing mixes comments and messages.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from aiohttp import web

from tests.fakes.network_server import FakeNetwork

HERE = Path(__file__).parent


@cache
def _load(network: str, name: str) -> str:
    return (HERE / network / f"{name}.json").read_text(encoding="utf-8")


def recording(network: str, name: str) -> dict[str, Any]:
    """A fresh copy of one recorded exchange: `request`, `status`, `headers`, `body`, `source`."""
    return json.loads(_load(network, name))


def names(network: str) -> list[str]:
    return sorted(path.stem for path in (HERE / network).glob("*.json"))


class Replay(FakeNetwork):
    """Answers each (method, path) with its recording: the recorded status, rate-limit headers and body."""

    def __init__(self, answers: dict[tuple[str, str], dict[str, Any]]) -> None:
        super().__init__()
        for (method, path), recorded in answers.items():
            self.app.router.add_route(method, path, self._answer_with(recorded))

    @staticmethod
    def _answer_with(recorded: dict[str, Any]):
        headers = {k: v for k, v in recorded["headers"].items() if k not in ("content-type", "location")}

        async def answer(request: web.Request) -> web.Response:
            return web.json_response(recorded["body"], status=recorded["status"], headers=headers)
        return answer


@dataclass
class Schema:
    """What the recorded values at one place looked like: their JSON types, their keys, their items."""

    types: set[str] = field(default_factory=set)
    keys: dict[str, Schema] | None = None
    always: set[str] = field(default_factory=set)  # keys every recorded object here has
    items: Schema | None = None


def _type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return {str: "string", list: "list", dict: "object"}[type(value)]


def schema(values: list[Any]) -> Schema:
    found = Schema(types={_type(v) for v in values})
    objects = [v for v in values if isinstance(v, dict)]
    if objects:
        every = set.intersection(*(set(o) for o in objects))
        found.keys = {key: schema([o[key] for o in objects if key in o]) for key in {k for o in objects for k in o}}
        found.always = every
    items = [item for v in values if isinstance(v, list) for item in v]
    if items:
        found.items = schema(items)
    return found


def drift(fake: Any, recorded: Any, required: set[str] = frozenset(), unrecorded: set[str] = frozenset()) -> list[str]:
    """Every way `fake` differs in shape from `recorded` (empty when it answers as the recording does).

    `unrecorded` names keys the recording cannot show: fields socialdesk asks for that the recorded request did not,
    or fields newer than the recording."""
    return _compare(fake, schema([recorded]), set(required), set(unrecorded), "body")


def _compare(value: Any, expected: Schema, required: set[str], unrecorded: set[str], where: str) -> list[str]:
    kind = _type(value)
    known = expected.types - {"null"}
    if kind != "null" and known and kind not in known:
        return [f"{where}: the fake sends {kind}, the recording {'/'.join(sorted(known))}"]
    problems = []
    if isinstance(value, dict) and expected.keys is not None:
        for key in sorted(set(value) - set(expected.keys) - unrecorded):
            problems.append(f"{where}.{key}: the fake sends it, the recording never has it")
        for key in sorted((expected.always & required) - set(value)):
            problems.append(f"{where}.{key}: the recording always has it (socialdesk reads it), the fake leaves it out")
        for key in sorted(set(value) & set(expected.keys)):
            problems += _compare(value[key], expected.keys[key], required, unrecorded, f"{where}.{key}")
    if isinstance(value, list) and expected.items is not None:
        for index, item in enumerate(value):
            problems += _compare(item, expected.items, required, unrecorded, f"{where}[{index}]")
    return problems
