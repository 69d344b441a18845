"""Offline enrichment on general cases written here, plus the figures on the team's labelled sample."""

import pytest

from bot.enrich import enrich
from bot.enrich.language import detect_language
from bot.enrich.pii import find_pii, iban_ok, luhn_ok
from bot.enrich.sentiment import detect_sentiment


@pytest.mark.parametrize("text,lang", [
    ("@acme my package still hasn't arrived, what is going on?", "en"),
    ("@acme hola, ¿dónde está mi pedido? Ya pasaron dos semanas", "es"),
    ("@acme bonjour, ma commande n'est toujours pas arrivée", "fr"),
    ("@acme meine Rücksendung ist immer noch nicht bearbeitet", "de"),
    ("@acme meu pedido ainda não chegou, o que aconteceu?", "pt"),
    ("@acme il mio ordine non è ancora arrivato, grazie", "it"),
    ("@acme mijn bestelling is nog niet binnen, waarom?", "nl"),
    ("@acme 返品の手続きはどうすればいいですか", "ja"),
    ("@acme 我的订单还没到", "zh"),
    ("@acme 주문한 상품이 아직 안 왔어요", "ko"),
    ("@acme لم يصل الطرد حتى الآن", "ar"),
    ("@acme мой заказ до сих пор не пришёл", "ru"),
    ("https://x.com/a/1 #acme 🙌🙌", "und"),
])
def test_language(text, lang):
    assert detect_language(text) == lang


@pytest.mark.parametrize("text,expected", [
    ("@acme thanks so much, you folks rock 🙌", "positive"),
    ("@acme I am not happy at all with this", "negative"),
    ("@acme worst service ever, still waiting for my refund 😡", "negative"),
    ("@acme do you ship to Canada?", "neutral"),
    ("@acme not bad at all, really good update", "positive"),
])
def test_sentiment(text, expected):
    assert detect_sentiment(text) == expected


@pytest.mark.parametrize("text,intent,priority", [
    ("@acme I was charged twice this month, fix it ASAP", "complaint", "urgent"),
    ("@acme the app crashes when I open settings, so annoying", "bug_report", "high"),
    ("@acme how do I export my data?", "question", "normal"),
    ("@acme love the new update!", "praise", "low"),
    ("@acme do you have enterprise pricing for a team of 200?", "sales_lead", "normal"),
    ("@acme FREE crypto giveaway click here bit.ly/x", "spam", "low"),
    ("@acme thanks for nothing, my order never arrived", "complaint", "high"),
])
def test_intent_and_priority(text, intent, priority):
    found = enrich(text)
    assert (found.intent, found.priority) == (intent, priority)


@pytest.mark.parametrize("text,intent,sentiment", [
    ("@acme my parcel came without the charger", "complaint", "negative"),  # a problem, told without feeling words
    ("@acme the monthly report downloads as a blank PDF", "bug_report", "negative"),
    ("@acme parcel came today, thank you", "praise", "positive"),
    ("WIN a FREE iPhone!!! amazing giveaway, claim now bit.ly/x", "spam", "neutral"),  # spam's hype is no one's feeling
    ("@acme do you ship to Canada?", "question", "neutral"),
])
def test_the_sentiment_agrees_with_what_the_post_is(text, intent, sentiment):
    found = enrich(text)
    assert (found.intent, found.sentiment) == (intent, sentiment)


def test_a_calm_complaint_is_negative_but_not_pressing():
    found = enrich("@acme my refund is still pending")
    assert (found.intent, found.sentiment, found.priority) == ("complaint", "negative", "normal")
    assert enrich("@acme my refund is still pending, this is ridiculous").priority == "high"


def test_followers_nudge_a_problem_but_never_decide():
    calm_problem = "@acme my refund is still pending"
    assert enrich(calm_problem).priority == "normal"
    assert enrich(calm_problem, followers=1_000_000).priority == "high"
    assert enrich("@acme how do I export my data?", followers=1_000_000).priority == "normal"
    assert enrich("@acme love it", followers=1_000_000).priority == "low"


@pytest.mark.parametrize("text,kind,value", [
    ("write me at jane.doe+acme@mail.example.co.uk please", "email", "jane.doe+acme@mail.example.co.uk"),
    ("call me on +44 20 7946 0958", "phone", "+44 20 7946 0958"),
    ("mi número es 612 345 678", "phone", "612 345 678"),
    ("card 4012 8888 8888 1881 was charged", "payment_card", "4012 8888 8888 1881"),
    ("IBAN ES91 2100 0418 4502 0005 1332", "iban", "ES91 2100 0418 4502 0005 1332"),
    ("my password is hunter2!x", "password", "hunter2!x"),
    ("username: carla_d can't log in", "username", "carla_d"),
    ("order #A-1234567 never came", "order_number", "A-1234567"),
    ("Bestellung Nr. 40012345 fehlt", "order_number", "40012345"),
    ("account number 99887766 is locked", "account_number", "99887766"),
    ("send it to 17 Maple Avenue, Columbus OH 43215 please", "address", "17 Maple Avenue, Columbus OH 43215"),
    ("ich wohne in der Hauptstraße 12", "address", "Hauptstraße 12"),
])
def test_personal_data(text, kind, value):
    assert (kind, value) in {(m.type, m.text) for m in find_pii(text)}


@pytest.mark.parametrize("text", [
    "hi @acme@mastodon.social, ship to Norway?",
    "the 2026-11-02 update broke login today",
    "card 4111 1111 1111 1112 is not a valid number",
    "trouble with acme login today?",
    "got an email asking for my password from a weird site",
    "version 5.2.1 on Android 14",
])
def test_no_false_personal_data(text):
    assert find_pii(text) == ()


def test_checksums():
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")
    assert iban_ok("GB82 WEST 1234 5698 7654 32") and not iban_ok("GB82 WEST 1234 5698 7654 33")


@pytest.mark.parametrize("text", ["a" * 100_000 + " 1234" * 10_000, "user " * 30_000, "x." * 50_000 + "@",
                                  "\u200b" * 50_000 + "@acme", "مرحبا " * 20_000])
def test_huge_and_odd_text_is_enriched(text):  # bench/huge_text.py measures how long it takes
    found = enrich(text)
    assert found.sentiment in ("positive", "neutral", "negative")
    assert all(text[match.start:match.end] == match.text for match in found.pii)
