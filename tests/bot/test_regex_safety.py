"""No regular expression in the product backtracks super-linearly (issue 13, "Every regex safe").

Every pattern is found automatically (module globals, the functions that build patterns, literal
patterns in calls) and checked structurally by tests/auxil/regexes.py; bench/regex_worst.py times
each one on hostile 200 kB inputs.
"""
from __future__ import annotations

import re

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.enrich import intent, sentiment
from bot.sources import filters
from bot.sources.x import text as x_text
from tests.auxil.regexes import adversarial, module_patterns, problems, source_calls

# Patterns built inside a function, from something other than a literal: how to get them.
BUILDERS = {
    "bot/sources/filters.py:_phrase": lambda: [filters._phrase("acme"), filters._phrase("#acme")],
    "bot/enrich/intent.py:_rules": lambda: [p for rules in (intent.SPAM, intent.BUG, intent.SALES) for _, p in rules],
    "bot/enrich/sentiment.py:_reader": lambda: [sentiment._reader(lang)[1] for lang in ("en", "es", "fr", "de", "it")],
    "bot/sources/x/text.py:__init__": lambda: list(vars(x_text._patterns()).values()),
    "bot/settings.py:_on_call_ids": lambda: _on_call(),
    "bot/settings.py:_mention_id": lambda: _on_call(),
    "bot/chat/slack/manifest.py:manifest": lambda: [re.compile(__import__("bot.settings").settings.COMMAND_PREFIX)],
}
# Patterns that read only the project's own files, never text from the internet.
TRUSTED_INPUT = {
    "bot/enrich/lexicon.py:23": "parses the weights in the lexicon files shipped with the code",
}
# Not fixed yet: twitter-text's URL pattern, linear but about 35 µs a character (7 s on 200 kB of ".a"), and its
# domain pattern, quadratic on raw text (54 s on 20 kB) though it only ever reads the domain the URL pattern found.
KNOWN_SUPER_LINEAR = {x_text._patterns().url.pattern, x_text._patterns().ascii_domain.pattern}  # their sources
# Where the structural check is coarser than the pattern, with the reason it is linear (and the bench's word for it).
LINEAR_ANYWAY = {
    "bot.enrich.pii.PHONE": "each attempt starts at a digit after a non-digit, and the look-ahead that ends it fails "
                            "only at a letter, so giving back one digit group ends the match",
}


def _on_call() -> list[re.Pattern]:
    from bot.settings import _ON_CALL
    return [re.compile(pattern) for pattern, _ in _ON_CALL.values()]


def _all_patterns() -> list[tuple[str, re.Pattern | regex.Pattern]]:
    found, BUILT = [(f.where, f.pattern) for f in module_patterns()], dict(BUILDERS)
    for call in source_calls():
        if call.function is None:
            continue  # module level: among module_patterns
        if call.pattern is not None:
            found.append((call.where, call.compiled()))
        elif (where := f"{call.where.split(':')[0]}:{call.function}") in BUILT:
            found += [(where, p) for p in BUILT.pop(where)()]  # once for all the calls in that function
    return found


PATTERNS = _all_patterns()


def test_every_pattern_built_in_a_function_is_known():
    unknown = [f"{c.where} in {c.function}()" for c in source_calls()
               if c.function and c.pattern is None and f"{c.where.split(':')[0]}:{c.function}" not in BUILDERS]
    assert not unknown, f"add these to BUILDERS so their patterns are checked: {unknown}"


def test_the_products_patterns_are_all_found():
    wheres = {where for where, _ in PATTERNS}
    for expected in ("bot.desk.guards._LINK", "bot.enrich.pii.EMAIL", "bot.sources.mastodon.text._URL",
                     "handlers.reply._CHAT_MENTION", "bot/sources/filters.py:_phrase", "bot/sources/x/text.py:__init__"):
        assert expected in wheres
    assert len(PATTERNS) > 150


def _case(where: str, pattern) -> object:
    if pattern.pattern in KNOWN_SUPER_LINEAR:
        return pytest.param(where, pattern, marks=pytest.mark.xfail(strict=True, reason="twitter-text's URL patterns"))
    return pytest.param(where, pattern)


@pytest.mark.parametrize(("where", "pattern"), [_case(w, p) for w, p in PATTERNS],
                         ids=[f"{w}#{i}" for i, (w, _) in enumerate(PATTERNS)])
def test_no_pattern_backtracks_super_linearly(where, pattern):
    found = problems(pattern)
    if where in LINEAR_ANYWAY or where in TRUSTED_INPUT:
        return
    assert not found, f"{where} {pattern.pattern[:80]!r}: {found}"


@pytest.mark.parametrize("source", [
    r"\b[\w-]+\.(?:ly|com)/",  # the unknown-link check that took 30 s on 200 kB of "a-a-a-…"
    r"<!--.*?-->",  # rescans from every "<!--" when none is closed
    r"password\s+is\s*[:=]?\s+(\S+)",  # spaces handed back and forth between three runs
    r"(a+)+b",  # the textbook exponential
    r"\S+@\S+\.\S+",
    r"(\d+)\s*(second|minute)",
])
def test_the_check_finds_what_backtracks(source):
    assert problems(re.compile(source))


@pytest.mark.parametrize("source", [
    r"(?<![\w-])[\w-]+\.(?:ly|com)/", r"https?://\S+", r"<([^<>]*)>", r"^\s*(\d+)\s*(s|m)\s*$",
    r"password\s++is(?:\s*+[:=])?\s++(\S+)", r"(?<!\S)[^\s@]+@[^\s@.]+\.\S+", r"(?<!\d)(\d+)\s*(second|minute)",
])
def test_the_check_passes_what_is_linear(source):
    assert problems(re.compile(source)) == []


def test_adversarial_inputs_use_the_patterns_own_pieces():
    inputs = adversarial(re.compile(r"\b[\w-]+\.(?:ly|com)/"), 1000)
    assert "a-" * 500 in inputs.values()
    assert any(text.startswith("com") and len(text) > 1000 for text in inputs.values())
    assert all(len(text) >= 900 for text in inputs.values())


# --- the rewritten patterns keep their promises on any text ------------------------------------------------------

_PIECES = st.sampled_from(["a", "-", ".", "/", " ", "bit.ly/", "x.co/", "https://", "www.", "é", "<!--", "-->", "\n"])


@settings(max_examples=200, deadline=None)
@given(st.lists(_PIECES, max_size=40).map("".join), st.lists(_PIECES, max_size=10).map("".join))
def test_unknown_links_are_pieces_of_the_text_the_team_never_wrote(text, known):
    from bot.desk.guards import unknown_links
    for link in unknown_links(text, known):
        assert link in text and link not in known and link.strip() == link


@settings(max_examples=200, deadline=None)
@given(st.lists(_PIECES, max_size=40).map("".join))
def test_without_comments_keeps_everything_outside_them(text):
    from bot.suggest.model import without_comments
    kept = without_comments(text)
    assert len(kept) <= len(text)
    if "<!--" not in text:
        assert kept == text
    closed = text.find("<!--") != -1 and text.find("-->", text.find("<!--") + 4) != -1
    assert (kept != text) == closed
