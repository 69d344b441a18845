"""Enrichment made faster says what it said: the shipped sample posts (bench/data, tests/bot/enrich/data) are
enriched as they were before (data/enriched.jsonl), and the intent rules, which read folded text without
re.IGNORECASE, match exactly where the flag matched."""
from __future__ import annotations

import json
import re
from dataclasses import asdict
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.enrich import enrich, intent

ENRICHED = [json.loads(line) for line in
            (Path(__file__).parent / "data" / "enriched.jsonl").read_text(encoding="utf-8").splitlines()]
RULES = [pattern for rules in (intent.SPAM, intent.BUG, intent.COMPLAINT, intent.SUBJECTS, intent.SALES,
                               intent.QUESTION, intent.PRAISE) for _, pattern in rules] + [intent._POLITENESS]
EVERY_CHARACTER = "".join(chr(code) for code in range(0x110000) if not 0xD800 <= code < 0xE000)


@pytest.mark.parametrize("expected", ENRICHED, ids=lambda e: e["text"][:30])
def test_the_sample_posts_are_enriched_as_before(expected):
    assert json.loads(json.dumps(asdict(enrich(expected["text"])))) == {k: v for k, v in expected.items() if k != "text"}


def test_folding_changes_no_length_and_no_character_class():
    folded = intent._folded(EVERY_CHARACTER)
    assert len(folded) == len(EVERY_CHARACTER)
    for kind in (r"\w", r"\d", r"\s", "."):
        assert [m.start() for m in re.finditer(kind, folded)] == [m.start() for m in re.finditer(kind, EVERY_CHARACTER)]


def test_each_character_of_the_rules_matches_folded_text_where_ignorecase_matched():
    folded = intent._folded(EVERY_CHARACTER)
    for character in sorted({c for pattern in RULES for c in pattern.pattern}):
        expected = [m.start() for m in re.finditer(re.escape(character), EVERY_CHARACTER, re.IGNORECASE)]
        found = [m.start() for m in re.finditer(re.escape(intent._folded(character)), folded)]
        assert found == expected, character


CASED = st.text(st.sampled_from("İIıiSsſKkéÉçÇşŞöÖüÜ ?!.'-\nabcdefghlmnoprtuwyзвдосткОСТВДЯЖ"), max_size=40)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(CASED, st.sampled_from(["Çalışmıyor", "İADE", "NEVER ARRIVED", "Where's My Order?",
                                                    "ſtill waiting", "НЕ РАБОТАЕТ", "Thank You", "FREE MONEY"])),
                max_size=6))
def test_the_rules_match_folded_text_as_the_flag_matched_the_text(parts):
    text = " ".join(parts)
    for pattern in RULES:
        assert bool(pattern.search(intent._folded(text))) == bool(re.compile(pattern.pattern, re.IGNORECASE).search(text))
