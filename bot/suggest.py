"""Suggested replies. `TemplateSuggester` is the offline one; an LLM suggester fills the same interface.

Templates live in prompts/suggestions/<language>.toml, one table per intent with a `short`,
`warm` and `private` reply. None asks for personal data in public: the `private` one moves
the conversation to direct messages.
"""
from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from prompts import PROMPTS_DIR

TONES = ("short", "warm", "private")


@dataclass(frozen=True)
class SuggestionRequest:
    text: str
    language: str
    intent: str
    sentiment: str
    customer_name: str  # display name or handle; may be empty
    brand: str
    signature: str  # e.g. "JD"; "" when the agent signs later
    max_length: int  # the network's limit for the whole reply, signature included
    count_length: Callable[[str], int] = len
    has_pii: bool = False


@dataclass(frozen=True)
class Suggestion:
    text: str
    tone: str  # short | warm | private
    source: str = "offline"


class Suggester(Protocol):
    async def suggest(self, request: SuggestionRequest) -> list[Suggestion]: ...


class TemplateSuggester:
    def __init__(self, templates_dir: Path | None = None) -> None:
        self.templates_dir = templates_dir or PROMPTS_DIR / "suggestions"
        self._templates: dict[str, dict] = {}

    def templates(self, language: str) -> dict:
        if language not in self._templates:
            path = self.templates_dir / f"{language}.toml"
            if not path.exists():
                return self.templates("en")
            self._templates[language] = tomllib.loads(path.read_text(encoding="utf-8"))
        return self._templates[language]

    async def suggest(self, request: SuggestionRequest) -> list[Suggestion]:
        if request.intent == "spam":
            return []
        table = self.templates(request.language)
        by_intent = table.get(request.intent) or table["other"]
        tones = ("private", "warm", "short") if request.has_pii else TONES
        name = first_name(request.customer_name)
        suggestions = []
        for tone in tones:
            for template in _variants(by_intent.get(tone) or table["other"][tone]):
                text = template.format(name=name, brand=request.brand).replace("  ", " ").strip()
                text = text.replace(" ,", ",").replace(" !", "!") if not name else text
                signed = f"{text} ^{request.signature}" if request.signature else text
                if request.count_length(signed) <= request.max_length:
                    suggestions.append(Suggestion(text=text, tone=tone))
                    break
        return suggestions


def first_name(customer_name: str) -> str:
    """'Carla Diaz' -> 'Carla'; '@carla_d' -> 'carla_d'; '' -> ''."""
    name = customer_name.strip().lstrip("@")
    return name.split()[0] if name else ""


def _variants(value: str | list[str]) -> list[str]:
    """A tone may list several templates, longest first; the first that fits is used."""
    return [value] if isinstance(value, str) else list(value)
