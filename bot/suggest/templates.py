"""Suggested replies. `TemplateSuggester` is the offline one, the floor that always works; the language
model's suggester (bot/suggest/model.py) takes the same request and falls back to it (bot/suggest/maker.py).

Templates live in prompts/suggestions/<language>.toml: one table per intent, one entry per tone
(`short`, `warm`, `private`), each a list of variants, longest first. The first variant that
fits the network's limit (signature included) is used; none is ever cut mid-word. A post with
personal data in it gets the `[personal_data]` table instead: every reply there moves to a
private channel and none repeats the data. No template asks for personal data in public.
"""
from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from prompts import PROMPTS_DIR

FALLBACK_LANGUAGE = "en"
PERSONAL_DATA = "personal_data"


@dataclass(frozen=True)
class SuggestionRequest:
    text: str
    language: str
    intent: str
    sentiment: str
    customer_name: str  # display name or handle; may be empty
    brand: str
    signature: str  # e.g. "JD" -> replies end with " ^JD"; "" when the agent signs later (room is kept for it)
    max_length: int  # the network's limit for the whole reply, signature included
    count_length: Callable[[str], int] = len
    has_pii: bool = False
    # Context for the language model; the templates do without.
    network: str = ""
    customer_data: tuple[str, ...] = ()  # personal data the customer posted in this conversation: never repeated
    thread: tuple[str, ...] = ()  # the conversation so far, oldest first: "customer: …", "Acme (JD): …"
    history: tuple[str, ...] = ()  # the customer's earlier conversations, one line each
    notes: tuple[str, ...] = ()  # the team's internal notes on the customer


@dataclass(frozen=True)
class Suggestion:
    text: str
    tone: str  # short | warm | private
    source: str = "offline"  # "offline" or the model's name


# Room kept for the signature an agent adds when a suggestion has none yet: " ^" and the longest
# initials the settings allow (8).
SIGNATURE_PLACEHOLDER = " ^" + "W" * 8


def as_published(text: str, request: SuggestionRequest) -> str:
    """`text` as long as it will be once published: signed, or with room kept for the signature."""
    return text if request.signature else text + SIGNATURE_PLACEHOLDER


class Suggester(Protocol):
    async def suggest(self, request: SuggestionRequest) -> list[Suggestion]: ...


class TemplateSuggester:
    """Replies from human-written templates, in the post's language when there are templates for it."""

    def __init__(self, templates_dir: Path | None = None) -> None:
        self.templates_dir = templates_dir or PROMPTS_DIR / "suggestions"
        # Read them all now: a broken file should stop the bot at start-up, not fail a reply later.
        self._templates = {path.stem: _load(path) for path in sorted(self.templates_dir.glob("*.toml"))}
        if FALLBACK_LANGUAGE not in self._templates:
            raise FileNotFoundError(f"{self.templates_dir / FALLBACK_LANGUAGE}.toml is missing")
        if "other" not in self._templates[FALLBACK_LANGUAGE]:
            raise ValueError(f"{self.templates_dir / FALLBACK_LANGUAGE}.toml needs an [other] table, the last resort")

    async def suggest(self, request: SuggestionRequest) -> list[Suggestion]:
        if request.intent == "spam":
            return []
        language = request.language.lower().replace("_", "-").split("-")[0]
        templates = self._templates.get(language, self._templates[FALLBACK_LANGUAGE])
        tones = self._tones(templates, _section(request))
        name = address_name(request.customer_name)
        if request.has_pii and name.lower() in request.text.lower():
            name = ""  # the handle may be the very username they posted
        signature = request.signature.strip().lstrip("^")
        suffix = f" ^{signature}" if signature else ""
        address = templates.get("address", "{name}").replace("{name}", name) if name else ""
        suggestions: list[Suggestion] = []
        for tone, variants in tones.items():
            text = _first_fitting(variants, address, suffix, request)
            if text and all(text != s.text for s in suggestions):
                suggestions.append(Suggestion(text=text, tone=tone))
        return suggestions

    def _tones(self, templates: dict, section: str) -> dict[str, list[str]]:
        """The section in the post's language, else in English, else the [other] table."""
        english = self._templates[FALLBACK_LANGUAGE]
        return templates.get(section) or english.get(section) or templates.get("other") or english["other"]


def address_name(customer_name: str) -> str:
    """How to address the customer: 'Carla Díaz' -> 'Carla', '@carla_d' -> 'carla_d',
    'nils@fosstodon.org' -> 'nils', 'maya.bsky.social' -> 'maya', 'not a bot' -> ''."""
    name = customer_name.strip()
    if re.search(r"[<>{}\[\]\\`]", name):
        return ""  # markup or worse; safer to use no name at all
    name = re.sub(r"^(?:@|/?u/)", "", name)
    if " " not in name:
        name = re.sub(r"^([\w-]+)[.@].*$", r"\1", name)  # fediverse and domain handles
    words = [word for word in re.findall(r"[\w'’-]+", name) if word.lower().strip(".") not in _TITLES]
    if not words:
        return ""
    first = words[0]
    if first.lower() in _NOT_A_NAME or len(first) > 24 or sum(char.isdigit() for char in first) >= 5:
        return ""
    return first


_TITLES = frozenset({"dr", "mr", "mrs", "ms", "miss", "mx", "prof", "sir", "sr", "sra", "herr", "frau", "mme", "m"})
# Display names that start like a sentence rather than a name ("not a bot", "the real deal").
_NOT_A_NAME = frozenset([
    "a", "an", "the", "not", "no", "just", "i", "im", "i'm", "your", "my", "our", "this", "that", "official", "real", "team",
    "support", "admin", "bot", "anonymous", "unknown", "user", "guest"])


def _section(request: SuggestionRequest) -> str:
    if request.has_pii:
        return PERSONAL_DATA
    if request.sentiment == "negative" and request.intent in ("question", "other"):
        return "complaint"  # an annoyed question wants an apology before an answer
    return request.intent


def _first_fitting(variants: list[str], address: str, suffix: str, request: SuggestionRequest) -> str | None:
    """The longest variant that fits with the customer's name; failing that, without it."""
    for name in dict.fromkeys((address, "")):
        for template in variants:
            if "{brand}" in template and not request.brand:
                continue
            text = _render(template, name, request.brand) + suffix
            if request.count_length(as_published(text, request)) <= request.max_length:
                return text
    return None


def _render(template: str, name: str, brand: str) -> str:
    if not name:  # "Thanks, {name}!" -> "Thanks!"; "Hi {name}, sorry" -> "Hi, sorry"; "{name}、…" -> "…"
        template = re.sub(r",\s*\{name\}|(?<!\s)\s*\{name\}", "", template)
        template = re.sub(r"^[\s,、]+", "", template)
        template = template[:1].upper() + template[1:]
    text = template.replace("{name}", name).replace("{brand}", brand)
    return re.sub(r"\s{2,}", " ", text).strip()


def _load(path: Path) -> dict:
    """A template file, checked: every tone is a non-empty list of strings (a single string is allowed)."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    for section, tones in data.items():
        if section == "address":
            continue
        if not isinstance(tones, dict):
            raise ValueError(f"{path}: [{section}] must be a table of tones")
        for tone, variants in tones.items():
            variants = [variants] if isinstance(variants, str) else variants
            if not (isinstance(variants, list) and variants and all(isinstance(v, str) and v.strip() for v in variants)):
                raise ValueError(f"{path}: [{section}] {tone} must be a string or a list of strings")
            tones[tone] = variants
    return data
