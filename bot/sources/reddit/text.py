"""Reddit text: an agent's plain text made safe as Reddit markdown, and Reddit's length rule.

Reddit renders comments and private messages as markdown, so a reply typed in chat could
turn into something the agent did not mean: the signature `^JD` into superscript, `#1` at
the start of a line into a heading, `1.` into a list, `> ` into a quote, `>!…!<` into a
spoiler, `*` and `_` into emphasis, `[text](url)` into a link, `|` into a table. By default
every such character is escaped with a backslash so the reply shows exactly what was typed.
Links (`https://…`) and Reddit mentions (`u/name`, `r/name`) stay as they are: Reddit links
them by itself, and escaping inside them would break them. Leading spaces are dropped (four
of them would make a code block) and a single line break is kept as a markdown hard break.
With `markdown = true` in the source's config the text is sent unchanged, for teams who
write Reddit markdown on purpose.

Reddit refuses a comment or message body over 10,000 characters of this markdown source,
so `count_length` counts the text as it will be sent, escapes included.
"""
from __future__ import annotations

import re

MAX_LENGTH = 10_000
LENGTH_UNIT = "characters of markdown"  # code points of the text as sent, its escapes included

_LITERAL = re.compile(r"https?://\S+|(?<![\w/])/?[ur]/[A-Za-z0-9_-]+")  # left exactly as typed
_INLINE = re.compile(r"([\\`*_~^\[\]|<>&])")  # markup anywhere in a line
_LINE_START = re.compile(r"^(#|[-+](?=\s)|\d+(?=\.\s)|---)")  # markup only at the start of a line


def to_markdown(text: str) -> str:
    """Plain text -> Reddit markdown that renders as the same text."""
    lines = [_escape_line(line.strip(" \t")) for line in text.replace("\r\n", "\n").replace("\r", "\n").strip().split("\n")]
    out: list[str] = []
    for index, line in enumerate(lines):
        following = lines[index + 1] if index + 1 < len(lines) else None
        hard_break = line and following  # two lines in a row: keep the break (a blank line is a paragraph)
        out.append(line + ("  " if hard_break else ""))
    return "\n".join(out)


def _escape_line(line: str) -> str:
    pieces, last = [], 0
    for literal in _LITERAL.finditer(line):
        pieces.append(_INLINE.sub(r"\\\1", line[last:literal.start()]))
        pieces.append(literal.group(0))
        last = literal.end()
    pieces.append(_INLINE.sub(r"\\\1", line[last:]))
    escaped = "".join(pieces)
    start = _LINE_START.match(escaped)
    if start is None:
        return escaped
    if start.group(0)[0].isdigit():  # "1. " -> "1\. ": the list marker is the dot
        return start.group(0) + "\\" + escaped[start.end():]
    return "\\" + escaped


def count_length(text: str, *, markdown: bool) -> int:
    """Characters (code points) Reddit counts: the body as sent."""
    return len(text if markdown else to_markdown(text))
