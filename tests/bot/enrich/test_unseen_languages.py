"""Posts in languages the word lists do not cover (no lexicon, no reply template): the detector names them or
answers "und", never a wrong language.

Development posts: the rule in bot/enrich/language.py was designed while looking at them, so they are regression
tests here, not a measure of it.
- data/languages_dev.jsonl: 20 posts in 20 languages, committed before the lite model came in (commit 6702ed1,
  then data/unseen_languages.jsonl). The first rule got 15 right, 2 "und", 3 wrong on them; after one rule was
  tightened on them, 15 / 3 / 2; the rule designed on them gets 14 / 6 / 0.
- data/languages_dev_2.jsonl: 30 posts written while designing the rule: close relatives of the covered languages
  (Afrikaans, Malay, Galician, Asturian, Luxembourgish, Nynorsk, Bosnian…) and languages the lite model barely knows
  (Hausa, Yoruba, Zulu…). 7 right, 23 "und", 0 wrong.

The measure: data/languages_blind.jsonl, 24 posts in 24 languages, written after the rule was designed and committed
before the detector was first run on them (commit 9f3cafd); never to be tuned on. They must be right on at least 60 %
(at least 12) and never wrong. First run: 15 right, 9 "und" (Uzbek, Catalan, Galician, Bosnian, Malay, Swahili,
Maltese, Croatian, Luxembourgish), 0 wrong: exactly the 60 %. The rule before (commit 975b916) on the same posts:
15 right, 4 "und", 5 wrong (Galician read as Portuguese, Bosnian as Croatian, Croatian as Serbian, Malay as
Indonesian, Swahili as Polish).
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.enrich import enrich
from bot.enrich.language import VOCABULARY, detect_language

DATA = Path(__file__).parent / "data"
DEVELOPMENT = ["languages_dev.jsonl", "languages_dev_2.jsonl"]
BLIND = "languages_blind.jsonl"


def posts(name: str) -> list[dict]:
    return [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def wrong_answers(rows: list[dict]) -> list[tuple[str, str, str]]:
    """(language, answer, text) of every post named as another language ("und" is not wrong)."""
    answers = [(row, detect_language(row["text"])) for row in rows]
    return [(row["lang"], answer, row["text"]) for row, answer in answers if answer not in (row["lang"], "und")]


@pytest.mark.parametrize("name", DEVELOPMENT)
def test_the_development_posts_are_in_languages_the_word_lists_do_not_cover(name):
    assert not {row["lang"] for row in posts(name)} & set(VOCABULARY)


@pytest.mark.parametrize("name", DEVELOPMENT)
def test_never_wrong_on_the_development_posts(name):
    assert wrong_answers(posts(name)) == []


def test_right_on_twelve_or_more_of_the_first_development_posts():
    right = [row["lang"] for row in posts("languages_dev.jsonl") if detect_language(row["text"]) == row["lang"]]
    assert len(right) >= 12, right


def test_the_blind_posts_are_each_in_a_different_language_the_word_lists_do_not_cover():
    languages = [row["lang"] for row in posts(BLIND)]
    assert len(languages) >= 20 and len(set(languages)) == len(languages) and not set(languages) & set(VOCABULARY)


def test_right_on_sixty_percent_and_at_least_twelve_of_the_blind_posts():
    rows = posts(BLIND)
    answers = {row["lang"]: detect_language(row["text"]) for row in rows}
    right = [language for language, answer in answers.items() if answer == language]
    assert len(right) >= max(12, math.ceil(0.6 * len(rows))), answers


def test_never_wrong_on_the_blind_posts():
    assert wrong_answers(posts(BLIND)) == []


def test_und_picks_no_lexicon_and_no_template():
    """A post the detector cannot name is read with the English lexicon alone and answered from the English templates."""
    import asyncio
    import dataclasses

    from bot.enrich.lexicon import ENGLISH, lexicon_for
    from bot.suggest.templates import SuggestionRequest, TemplateSuggester

    unknown = [row for name in DEVELOPMENT for row in posts(name) if detect_language(row["text"]) == "und"]
    assert unknown and lexicon_for("und") is ENGLISH
    for row in unknown:
        found = enrich(row["text"])
        request = SuggestionRequest(text=row["text"], language=found.language, intent=found.intent,
                                    sentiment=found.sentiment, customer_name="Ana", brand="Acme", signature="JD",
                                    max_length=280, has_pii=False, network="x", customer_data=())
        english = dataclasses.replace(request, language="en")
        suggester = TemplateSuggester()
        assert asyncio.run(suggester.suggest(request)) == asyncio.run(suggester.suggest(english))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_text_gets_a_language_code_or_und(text):
    language = detect_language(text)
    assert language == "und" or (language.isalpha() and language.islower() and 2 <= len(language) <= 3)
