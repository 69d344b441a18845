"""Saved replies: answers the team wrote once, kept as files in prompts/replies/ (one file per reply).

    # prompts/replies/refund-delay.toml      -> `/reply 42 :refund-delay`
    title = "Refund on its way"
    intents = ["complaint", "question"]       # where the Reply… modal offers it (none: everywhere)
    [text]
    en = "Hi {name}, refunds reach the card 5-10 working days after approval: {link:refunds} – {agent}"
    es = "Hola {name}, …"

Placeholders: {name} (the customer's first name, or nothing), {agent} (the agent's first name),
{brand}, and {link:NAME}, a link from the "## Links" section of the knowledge file
(`- refunds: https://…`), so a link lives in one place. A reply is written in the conversation's
language when it has a variant for it, else in English. Files are read at every use, so an edit
applies at once; a broken file is named in the error and the others still work.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from bot.suggest.templates import FALLBACK_LANGUAGE, address_name

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_LINK_LINE = re.compile(r"^\s*[-*]\s*([a-z0-9_-]+)\s*:\s*(https?://\S+)\s*$", re.I)
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class SavedReplyError(ValueError):
    """A saved reply that cannot be used; the message names the file and what to fix."""


@dataclass(frozen=True)
class SavedReply:
    name: str
    title: str
    intents: tuple[str, ...]
    texts: dict[str, str]  # language -> text with placeholders

    def fits(self, intent: str, language: str) -> bool:
        """Whether the modal should offer it for a conversation of this intent and language."""
        return (not self.intents or intent in self.intents) and (language in self.texts or FALLBACK_LANGUAGE in self.texts)

    def language_for(self, language: str) -> str:
        return language if language in self.texts else FALLBACK_LANGUAGE if FALLBACK_LANGUAGE in self.texts \
            else next(iter(self.texts))


def load_all(folder: Path) -> tuple[list[SavedReply], list[str]]:
    """Every saved reply in `folder`, by name, and the problems of the files that could not be read."""
    found, problems = [], []
    for path in sorted(folder.glob("*.toml")) if folder.is_dir() else []:
        try:
            found.append(_load(path))
        except SavedReplyError as error:
            problems.append(str(error))
    return found, problems


def find(folder: Path, name: str) -> SavedReply:
    name = name.lower()
    if not NAME.match(name):
        raise SavedReplyError(f"`{name[:40]}` is not a saved reply's name; `/replies` lists them.")
    path = folder / f"{name}.toml"
    if not path.is_file():
        raise SavedReplyError(f"There is no saved reply `{name}`; `/replies` lists them.")
    return _load(path)


def render(reply: SavedReply, language: str, *, customer_name: str, agent_name: str, brand: str, links: dict[str, str]) -> str:
    """The reply's text in `language` (or English) with its placeholders filled in."""
    values = {"name": address_name(customer_name), "agent": agent_name.split()[0] if agent_name.strip() else "",
              "brand": brand}

    def fill(match: re.Match) -> str:
        key = match.group(1)
        if key.startswith("link:"):
            link = links.get(key[5:])
            if link is None:
                raise SavedReplyError(f"Saved reply `{reply.name}` uses {{{key}}}, but the knowledge file has no link "
                                      f"`{key[5:]}` under “## Links” (`- {key[5:]}: https://…`).")
            return link
        return values[key]

    text = _PLACEHOLDER.sub(fill, reply.texts[reply.language_for(language)])
    return re.sub(r"(?<!\s)\s+([,.!?])", r"\1", re.sub(r"[ \t]{2,}", " ", text)).strip()  # an empty {name} leaves no gap


def links(knowledge: str) -> dict[str, str]:
    """The links of the knowledge file's "## Links" section: `- refunds: https://…` lines."""
    found, inside = {}, False
    for line in knowledge.splitlines():
        if line.startswith("#"):
            inside = line.lstrip("#").strip().lower() == "links"
        elif inside and (match := _LINK_LINE.match(line)):
            found[match.group(1).lower()] = match.group(2)
    return found


def _load(path: Path) -> SavedReply:
    where = f"{path.parent.name}/{path.name}"
    name = path.stem.lower()
    if not NAME.match(name):
        raise SavedReplyError(f"{where}: the file name must be lower-case letters, digits, - or _ (it is the reply's "
                              "name in `/reply 42 :name`).")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise SavedReplyError(f"{where} is not valid TOML: {error}") from None
    texts = data.get("text")
    if not isinstance(texts, dict) or not texts or not all(isinstance(t, str) and t.strip() for t in texts.values()):
        raise SavedReplyError(f"{where}: needs a [text] table with at least one language, like `en = \"Hi {{name}}…\"`.")
    for language, text in texts.items():
        for key in _PLACEHOLDER.findall(text):
            if key not in ("name", "agent", "brand") and not re.match(r"^link:[a-z0-9_-]+$", key):
                raise SavedReplyError(f"{where}: [text] {language} has an unknown placeholder {{{key}}}; use {{name}}, "
                                      "{agent}, {brand} or {link:NAME}.")
    intents = data.get("intents", [])
    if not isinstance(intents, list) or not all(isinstance(i, str) for i in intents):
        raise SavedReplyError(f"{where}: `intents` must be a list of intents, like [\"complaint\", \"question\"].")
    return SavedReply(name, str(data.get("title") or name), tuple(intents), {k.lower(): v for k, v in texts.items()})
