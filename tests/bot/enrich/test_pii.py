"""Personal-data detection: recall first, then precision, always verbatim spans."""
import itertools

import pytest

from bot.enrich import enrich
from bot.enrich.pii import find_pii, iban_ok, luhn_ok


def found(text: str) -> set[tuple[str, str]]:
    return {(match.type, match.text) for match in find_pii(text)}


@pytest.mark.parametrize("text,kind,value", [
    ("write me at jane.doe+acme@mail.example.co.uk please", "email", "jane.doe+acme@mail.example.co.uk"),
    ("mail: JOHN_SMITH@Example.COM", "email", "JOHN_SMITH@Example.COM"),
    ("reach me at jane [at] example [dot] com", "email", "jane [at] example [dot] com"),
    ("mi correo es marta.gil@correo.es, gracias", "email", "marta.gil@correo.es"),
    ("call me on +44 20 7946 0958", "phone", "+44 20 7946 0958"),
    ("(415) 555-0134 is my cell", "phone", "(415) 555-0134"),
    ("ring 415-555-0134 pls", "phone", "415-555-0134"),
    ("my number: 4155550134", "phone", "4155550134"),
    ("text me 07700 900456 when it's in", "phone", "07700 900456"),
    ("+33 6 12 34 56 78", "phone", "+33 6 12 34 56 78"),
    ("06 98 76 54 32", "phone", "06 98 76 54 32"),
    ("+49 (0)30 1234567", "phone", "+49 (0)30 1234567"),
    ("0049 30 1234567", "phone", "0049 30 1234567"),
    ("+91 98765 43210", "phone", "+91 98765 43210"),
    ("tel:+15555550134", "phone", "+15555550134"),
    ("mi número es 612 345 678", "phone", "612 345 678"),
    ("제 번호는 010-9876-5432 예요", "phone", "010-9876-5432"),
    ("電話は090-1234-5678です", "phone", "090-1234-5678"),
    ("card 4012 8888 8888 1881 was charged", "payment_card", "4012 8888 8888 1881"),
    ("my amex 378282246310005", "payment_card", "378282246310005"),
    ("5555-5555-5555-4444", "payment_card", "5555-5555-5555-4444"),
    ("IBAN ES91 2100 0418 4502 0005 1332", "iban", "ES91 2100 0418 4502 0005 1332"),
    ("iban: gb82west12345698765432", "iban", "gb82west12345698765432"),
    ("FR1420041010050500013M02606 is mine", "iban", "FR1420041010050500013M02606"),
    ("my password is hunter2!x", "password", "hunter2!x"),
    ("pw: abc123", "password", "abc123"),
    ("password: correcthorsebattery", "password", "correcthorsebattery"),
    ("my password tulip77 doesn't work", "password", "tulip77"),
    ("mi contraseña es Gato1234.", "password", "Gato1234"),
    ("mein Passwort ist Sommer2024", "password", "Sommer2024"),
    ("username: carla_d can't log in", "username", "carla_d"),
    ("my username is nightowl_5 and I can't sign in", "username", "nightowl_5"),
    ("user: bob.smith", "username", "bob.smith"),
    ("mi usuario es pepito_23", "username", "pepito_23"),
    ("order #B-40217 still says pending", "order_number", "B-40217"),
    ("my order 123456 hasn't arrived", "order_number", "123456"),
    ("order number: 1002003", "order_number", "1002003"),
    ("order ID: ACM-2026-000123", "order_number", "ACM-2026-000123"),
    ("tracking number 1Z999AA10123456784", "order_number", "1Z999AA10123456784"),
    ("Bestellung Nr. 40012345 fehlt", "order_number", "40012345"),
    ("número de pedido: 98765", "order_number", "98765"),
    ("pedido 12345 no llegó", "order_number", "12345"),
    ("toujours pas reçu ma commande n°48213", "order_number", "48213"),
    ("ordine n. 334455 in ritardo", "order_number", "334455"),
    ("bestelling 778899 is kwijt", "order_number", "778899"),
    ("siparişim 123456 gelmedi", "order_number", "123456"),
    ("注文番号12345678が届きません", "order_number", "12345678"),
    ("account number 00987654321 is frozen", "account_number", "00987654321"),
    ("my account 12345678 is locked", "account_number", "12345678"),
    ("customer ID: 445566", "account_number", "445566"),
    ("Kundennummer 4711001", "account_number", "4711001"),
    ("send it to 17 Maple Avenue, Columbus OH 43215 please", "address", "17 Maple Avenue, Columbus OH 43215"),
    ("10 Downing St, London SW1A 2AA", "address", "10 Downing St, London SW1A 2AA"),
    ("350 5th Avenue, New York, NY 10118", "address", "350 5th Avenue, New York, NY 10118"),
    ("742 Evergreen Terrace apt 3", "address", "742 Evergreen Terrace apt 3"),
    ("i live at 9 cherry lane", "address", "9 cherry lane"),
    ("1600 Pennsylvania Ave NW, Washington, DC 20500", "address", "1600 Pennsylvania Ave NW, Washington, DC 20500"),
    ("PO Box 1234", "address", "PO Box 1234"),
    ("ich wohne in der Hauptstraße 12", "address", "Hauptstraße 12"),
    ("Berliner Straße 5, 10115 Berlin", "address", "Berliner Straße 5, 10115 Berlin"),
    ("12 rue de la Paix, 75002 Paris", "address", "12 rue de la Paix, 75002 Paris"),
    ("vivo en Calle Mayor 5, 28013 Madrid", "address", "Calle Mayor 5, 28013 Madrid"),
    ("moro na Rua Augusta, 1000", "address", "Rua Augusta, 1000"),
    ("abito in Via Roma 10", "address", "Via Roma 10"),
    ("Kalverstraat 12, 1012 AB Amsterdam", "address", "Kalverstraat 12, 1012 AB Amsterdam"),
    ("Storgatan 3", "address", "Storgatan 3"),
    ("東京都渋谷区神南1-2-3", "address", "東京都渋谷区神南1-2-3"),
    ("서울시 강남구 테헤란로 123", "address", "서울시 강남구 테헤란로 123"),
])
def test_personal_data_is_found(text, kind, value):
    assert (kind, value) in found(text)


@pytest.mark.parametrize("text", [
    "hi @acme@mastodon.social, ship to Norway?",  # a fediverse handle is not an email address
    "the 2026-11-02 update broke login today",
    "on 22/11/2026 at 10:30 it failed",
    "card 4111 1111 1111 1112 is not a valid number",  # fails the Luhn check
    "trouble with acme login today?",
    "got an email asking for my password from a weird site",
    "my password is wrong",
    "password reset link expired",
    "the user experience is bad",
    "version 5.2.1 on Android 14, build 1234567",
    "iOS 18.1.1 build 22B91",
    "I paid $1,299.00 for this",
    "costs 3 400 000 rupiah",
    "server at 192.168.100.200 is down",
    "between 2019-2024 I ordered 3 times",
    "1000-2000 units",
    "I have 12345 points",
    "our team of 40 people",
    "my order 2 weeks ago",
    "I waited 2 hours on the road",
    "5 minutes drive from here",
    "3 times in a row",
    "spring 2026 collection",
])
def test_look_alikes_are_not_personal_data(text):
    assert find_pii(text) == ()


def test_matches_are_verbatim_ordered_and_disjoint():
    text = ("@acme order #A-1234 never came. Email jane@example.com or call +1 415 555 0134; "
            "card 4012 8888 8888 1881, 17 Maple Avenue")
    matches = find_pii(text)
    assert [m.type for m in matches] == ["order_number", "email", "phone", "payment_card", "address"]
    for match in matches:
        assert text[match.start:match.end] == match.text
    assert all(a.end <= b.start for a, b in itertools.pairwise(matches))


def test_zero_width_and_bidi_characters_do_not_hide_data():
    text = "mail jane.doe@exa\u200bmple.com or call \u202e+1 415\u200b 555 0134\u202c"
    matches = find_pii(text)
    assert {m.type for m in matches} == {"email", "phone"}
    for match in matches:
        assert text[match.start:match.end] == match.text  # offsets point into the original text
    assert "jane.doe@exa\u200bmple.com" in {m.text for m in matches}


def test_right_to_left_text_around_data():
    assert ("phone", "+971 50 123 4567") in found("رقمي هو +971 50 123 4567 شكرا")
    assert ("email", "ahmad@example.ae") in found("بريدي ahmad@example.ae من فضلك")


def test_two_numbers_in_a_row_are_two_phones():
    assert found("0612345678 0698765432") == {("phone", "0612345678"), ("phone", "0698765432")}


def test_enrich_reports_the_personal_data():
    assert [m.type for m in enrich("my email is a.b@example.com").pii] == ["email"]


def test_an_iban_must_pass_its_check_digits():
    assert "iban" not in {kind for kind, _ in found("IBAN GB82 WEST 1234 5698 7654 33")}


def test_checksums():
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")
    assert not luhn_ok("0000") and not luhn_ok("41111111111111a1")
    assert iban_ok("GB82 WEST 1234 5698 7654 32") and not iban_ok("GB82 WEST 1234 5698 7654 33")
    assert iban_ok("de89370400440532013000") and not iban_ok("DE89")


@pytest.mark.parametrize("text", [
    "a" * 100_000 + " 1234" * 10_000,
    "1 " * 50_000,
    "1-" * 50_000,
    "4" * 100_000,
    "+1 " * 30_000,
    "(+" * 50_000,
    "x." * 50_000 + "@",
    "a@" * 50_000,
    "user " * 30_000,
    "password is " * 10_000,
    "order #" * 20_000,
    "12 " * 30_000 + "Street",
    "Aa " * 30_000 + "Street",
    "Calle " * 20_000,
    "ab" * 50_000 + "straße 5",
    "東京都" * 30_000,
    "\u200b" * 50_000 + "jane@example.com",
    "مرحبا " * 20_000,
])
def test_a_huge_post_keeps_verbatim_spans(text):  # bench/huge_text.py measures how long it takes
    assert all(text[match.start:match.end] == match.text for match in find_pii(text))


@pytest.mark.parametrize("text,value", [
    ("meu CPF é 390.533.447-05, podem verificar?", "390.533.447-05"),  # Brazil, written with its dots and dash
    ("cpf 39053344705 pra nota fiscal", "39053344705"),  # bare: only after the keyword
    ("a empresa é CNPJ 11.222.333/0001-81", "11.222.333/0001-81"),
    ("my SSN is 536-90-4399, why do you need it", "536-90-4399"),  # US
    ("social security number 536904399", "536904399"),
    ("mi DNI es 12345678Z y no me deja registrarme", "12345678Z"),  # Spain
    ("NIE X1234567L, ya lo envié dos veces", "X1234567L"),
    ("mijn BSN is 111222333, klopt dat?", "111222333"),  # the Netherlands: digits alone, after the keyword
    ("il mio codice fiscale è RSSMRA85T10A562S", "RSSMRA85T10A562S"),  # Italy
    ("PESEL 44051401359 - czy to potrzebne?", "44051401359"),  # Poland
    ("meine Steuer-ID: 36574261809", "36574261809"),  # Germany
    ("numéro de sécu 2 95 10 99 126 111 93", "2 95 10 99 126 111 93"),  # France
])
def test_national_identity_and_tax_numbers_are_found_and_typed(text, value):
    assert ("national_id", value) in found(text)
    assert not any(kind == "phone" for kind, _ in found(text))  # no longer typed as a phone number


@pytest.mark.parametrize("text", [
    "meu CPF é 390.533.447-06",  # the check digits are wrong
    "SSN 078-05-1120",  # the Woolworth wallet number: never issued
    "DNI 12345678A",  # wrong control letter
    "mijn BSN is 111222334",  # fails the eleven test
    "codice fiscale RSSMRA85T10A562T",
    "order 111222333 arrived broken",  # a valid BSN shape without its keyword is an order, not an identity number
])
def test_a_number_that_fails_its_checksum_or_has_no_keyword_is_no_identity_number(text):
    assert not any(kind == "national_id" for kind, _ in found(text))


def test_a_keyword_names_the_number_it_checks():
    assert ("national_id", "811228-9874") in found("mitt personnummer är 811228-9874")  # Sweden, with its Luhn digit
    assert not any(kind == "national_id" for kind, _ in found("mijn BSN is 536904399"))  # a valid SSN, not a BSN


@pytest.mark.parametrize("spaces", [" ", "   ", " \t "])
def test_a_value_after_runs_of_spaces_is_still_found(spaces):
    """The runs of spaces around "is" and ":" are possessive (issue 13): values are found as before."""
    found = {(m.type, m.text) for m in find_pii(f"my password{spaces}is{spaces}hunter22 and order number:{spaces}A12345")}
    assert ("password", "hunter22") in found
    assert ("order_number", "A12345") in found


def test_no_value_in_a_long_run_of_spaces():
    assert find_pii("password is" + " " * 50_000 + "\x01") == ()
