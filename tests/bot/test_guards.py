import pytest

from bot.guards import check_reply


def codes(text, **kwargs):
    return [issue.code for issue in check_reply(text, max_length=280, **kwargs)]


@pytest.mark.parametrize("text", [
    "Sorry! Can you send us your email address so we can check?",
    "Please share your order number and we'll look into it.",
    "What's your phone number? We'll call you.",
    "Reply with your username and password please",
    "Hola, ¿nos envías tu número de pedido?",
    "Bonjour, pouvez-vous nous donner votre adresse ?",
    "Hallo, schick uns bitte deine Bestellnummer.",
    "Olá, informe o seu endereço por favor.",
])
def test_public_requests_for_personal_data_are_caught(text):
    assert codes(text) == ["asks_for_personal_data"]


@pytest.mark.parametrize("text", [
    "Sorry! Please DM us your order number and we'll sort it out.",
    "Could you send us a direct message with your email? Thanks!",
    "Hola, envíanos tu número de pedido por mensaje directo.",
    "Thanks for the kind words about our new address book feature!",
    "We've updated the password reset page, it should work now.",
])
def test_private_channels_and_mere_mentions_are_fine(text):
    assert codes(text) == []


def test_a_private_reply_may_ask():
    assert codes("What's your order number?", private=True) == []


def test_repeating_the_customers_data_is_caught():
    issues = codes("Hi! We sent the refund to Rosa.K@example.com", customer_data=["rosa.k@example.com"])
    assert issues == ["repeats_personal_data"]


def test_length_uses_the_networks_rule():
    (issue,) = check_reply("x" * 30, max_length=25, count_length=lambda text: len(text) + 2)
    assert issue.code == "too_long" and "32 characters" in issue.message and "shorten it by 7" in issue.message
