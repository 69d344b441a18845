"""Posts in languages the word lists were never written for (data/unseen_languages.jsonl, committed before the
detector changed, never edited since): the detector names most of them; "und" is allowed, a wrong name is not.

The first run (the word lists could then confirm any of the model's first three candidates) was 15 right, 2 "und",
3 wrong (Swahili read as Indonesian, Afrikaans as Dutch, Uzbek as Turkish). One rule changed after it, so the
figures below are no longer blind: the word lists now confirm only the model's first answer, which made Swahili
"und". Afrikaans (the lite model says Dutch at 0.79) and Uzbek (Turkish at 0.57, and the word lists agree) remain.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.enrich import enrich
from bot.enrich.language import VOCABULARY, detect_language

POSTS = [json.loads(line) for line in (Path(__file__).parent / "data/unseen_languages.jsonl").read_text().splitlines()]


def test_the_posts_are_in_sixteen_or_more_languages_the_word_lists_do_not_cover():
    languages = {post["lang"] for post in POSTS}
    assert len(languages) >= 16 and not languages & set(VOCABULARY)


def answers() -> dict[str, str]:
    return {post["lang"]: detect_language(post["text"]) for post in POSTS}


def test_right_on_twelve_or_more():
    right = [gold for gold, answer in answers().items() if answer == gold]
    assert len(right) >= 12, answers()


@pytest.mark.xfail(strict=True, reason="target not reached: Afrikaans is read as Dutch (the lite model, 0.79) and "
                                       "Uzbek as Turkish (the model at 0.57, confirmed by the Turkish word list)")
def test_never_confidently_wrong():
    assert {gold: answer for gold, answer in answers().items() if answer not in (gold, "und")} == {}


def test_und_picks_no_lexicon_and_no_template():
    """A post the detector cannot name is read with the English lexicon alone and answered from the English templates."""
    import asyncio
    import dataclasses

    from bot.enrich.lexicon import ENGLISH, lexicon_for
    from bot.suggest.templates import SuggestionRequest, TemplateSuggester

    unknown = [post for post in POSTS if detect_language(post["text"]) == "und"]
    assert unknown and lexicon_for("und") is ENGLISH
    for post in unknown:
        found = enrich(post["text"])
        request = SuggestionRequest(text=post["text"], language=found.language, intent=found.intent,
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
