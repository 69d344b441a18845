"""Lexicon sentiment on general cases written for these tests, plus the issue's targets on every labelled set."""
import json
from pathlib import Path

import pytest

from bot.enrich import enrich
from bot.enrich.sentiment import detect_sentiment, sentiment_score

REPO = Path(__file__).resolve().parents[3]
# The held-out sets in bench/data, and the team's sample when shared/ is beside the checkout.
LABELLED_SETS = sorted((REPO / "bench/data").glob("*.jsonl")) + [
    folder / "shared/data/posts-labelled.jsonl" for folder in REPO.parents[:2]
    if (folder / "shared/data/posts-labelled.jsonl").exists()][:1]


@pytest.mark.parametrize("text,expected", [
    ("@acme thanks so much, you folks rock 🙌", "positive"),
    ("@acme worst service ever, still waiting for my refund 😡", "negative"),
    ("@acme do you ship to Canada?", "neutral"),
    ("@acme what time does the Leeds store close on Saturday?", "neutral"),
    ("I have a question about billing", "neutral"),
    ("LOVE the new design", "positive"),
    ("the app keeps crashing", "negative"),
    ("so disappointed :(", "negative"),
    ("great :)", "positive"),
    ("@acme 🙄", "negative"),
    ("@acme ❤️❤️", "positive"),
    ("WHY IS MY ORDER LATE AGAIN", "negative"),
    ("I expected it to be good but it's awful", "negative"),
    ("it was slow at first but support was amazing", "positive"),
    ("the courier was rude and the box was dented", "negative"),
    ("I'd like to change my delivery slot, kind regards", "neutral"),  # "like" and "kind" are not feelings here
    ("quick question: do you sell gift cards?", "neutral"),
])
def test_everyday_posts(text, expected):
    assert detect_sentiment(text) == expected


@pytest.mark.parametrize("text,expected", [
    ("@acme I am not happy at all with this", "negative"),
    ("I'm not impressed", "negative"),
    ("this is NOT ok", "negative"),
    ("@acme not bad at all, really good update", "positive"),
    ("not great, not awful either", "neutral"),
    ("thanks for nothing", "negative"),
    ("never had a problem with them", "neutral"),  # a negated problem is mildly good, not praise
    ("I can't believe how good the new speaker sounds", "positive"),  # surprise, not negation
    ("can't believe how rude the driver was", "negative"),
    ("no explanation, no refund :(", "negative"),  # a negator does not flip an emoticon
])
def test_negation(text, expected):
    assert detect_sentiment(text) == expected


@pytest.mark.parametrize("text,language", [
    ("my package hasn't arrived yet", "en"),
    ("the app won't load since yesterday", "en"),
    ("I can't sign in on the website", "en"),
    ("nothing works", "en"),
    ("my order never came", "en"),
    ("nobody answers the phone", "en"),
    ("la app no carga desde ayer", "es"),
    ("le colis n'est jamais arrivé", "fr"),  # "n'" elided onto the verb
    ("ça marche pas depuis la mise à jour", "fr"),  # the negator after the verb
    ("die App funktioniert seit gestern nicht", "de"),
    ("het pakket is niet bezorgd", "nl"),
    ("appen fungerar inte", "sv"),
])
def test_a_negated_expectation_is_a_complaint(text, language):
    assert detect_sentiment(text, language) == "negative"


def test_a_negator_after_a_verb_counts_only_where_the_language_puts_it_there():
    assert detect_sentiment("it arrived, no box though", "en") != "negative"


def test_intensifiers_exclamation_marks_and_capitals_strengthen():
    assert sentiment_score("this is very bad") < sentiment_score("this is bad") < 0
    assert sentiment_score("sooo good") > sentiment_score("good") > 0
    assert sentiment_score("this is bad!!!") < sentiment_score("this is bad")
    assert sentiment_score("this is BAD") < sentiment_score("this is bad")
    assert sentiment_score("slightly annoying") > sentiment_score("annoying")
    assert detect_sentiment("super annoying") == "negative" and detect_sentiment("super!") == "positive"
    assert sentiment_score("la entrega fue muy lenta", "es") < sentiment_score("la entrega fue lenta", "es") < 0


def test_politeness_is_not_delight():
    assert detect_sentiment("can you help me change my address? thanks") == "neutral"
    assert detect_sentiment("how do I cancel my subscription? thanks in advance") == "neutral"
    assert detect_sentiment("podéis enviarme la factura, por favor? gracias", "es") == "neutral"
    assert detect_sentiment("thanks, that fixed it!") == "positive"


def test_a_word_is_read_in_the_language_of_the_post():
    assert detect_sentiment("el servicio funciona mal", "es") == "negative"  # Spanish "mal" is bad
    assert detect_sentiment("ich versuche es noch mal", "de") == "neutral"  # German "mal" is once
    assert detect_sentiment("buenas tardes, una consulta sobre mi factura", "es") == "neutral"  # a greeting
    # A superlative of a known word. Given the language: on its own this post is "und" (the model gives Catalan,
    # which has no word list, more than a twentieth of Spanish's share).
    assert detect_sentiment("buenísimo el servicio", "es") == "positive"


@pytest.mark.parametrize("text,expected", [
    ("la lavadora llegó rota y nadie responde", "negative"),
    ("muchas gracias, el técnico fue encantador", "positive"),
    ("merci beaucoup, c'est parfait", "positive"),
    ("colis abîmé et aucune réponse du service client, c'est honteux", "negative"),
    ("vielen Dank, das ging wirklich schnell!", "positive"),
    ("der Fahrer war total unfreundlich", "negative"),
    ("o suporte foi ótimo, muito obrigada!", "positive"),
    ("o carregador parou de funcionar depois de uma semana", "negative"),
    ("il pacco è arrivato danneggiato, che delusione", "negative"),
    ("bellissima esperienza, grazie", "positive"),
    ("top service, heel erg bedankt", "positive"),
    ("het pakket is nog steeds niet bezorgd", "negative"),
    ("対応が早くて助かりました", "positive"),
    ("质量太差了", "negative"),
    ("배송이 너무 늦어요", "negative"),
    ("ужасный сервис, больше не закажу", "negative"),
])
def test_other_languages(text, expected):
    assert detect_sentiment(text) == expected


def test_mentions_and_links_carry_no_feeling():
    assert detect_sentiment("@lovely_brand @best_shop https://great.example/love") == "neutral"


def test_invisible_characters_do_not_hide_words():
    assert enrich("ter\u200brible ser\u200bvice").sentiment == "negative"


@pytest.mark.parametrize("text", ["not " * 25_000, "very " * 20_000 + "bad", "!" * 100_000, "😡" * 50_000,
                                  "love hate " * 10_000])
def test_a_huge_post_gets_a_sentiment(text):  # bench/huge_text.py measures how long it takes
    assert detect_sentiment(text) in ("positive", "neutral", "negative")


def macro_f1(pairs: list[tuple[str, str]], labels: tuple[str, ...]) -> float:
    scores = []
    for label in labels:
        tp = sum(gold == got == label for gold, got in pairs)
        fp = sum(got == label != gold for gold, got in pairs)
        fn = sum(gold == label != got for gold, got in pairs)
        scores.append(2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0)
    return sum(scores) / len(scores)


@pytest.mark.parametrize("path", LABELLED_SETS, ids=lambda path: path.name)
def test_figures_on_every_labelled_set_meet_the_issue_targets(path):
    """The issue's floor (sentiment macro-F1 on English >= 0.60, personal-data recall >= 0.95) on each set."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    found = [enrich(row["text"]) for row in rows]
    english = [(row["sentiment"], f.sentiment) for row, f in zip(rows, found, strict=True) if row["lang"] == "en"]
    assert macro_f1(english, ("positive", "neutral", "negative")) >= 0.60
    gold = {(row["id"], item["text"]) for row in rows for item in row["pii"]}
    got = {(row["id"], match.text) for row, f in zip(rows, found, strict=True) for match in f.pii}
    assert len(gold & got) / len(gold) >= 0.95
