"""The offline suggester: the customer's language and name, the network's length, never personal data in public."""
import re
import tomllib

import pytest

from bot.desk.guards import check_reply
from bot.enrich.language import detect_language
from bot.suggest.templates import Suggestion, SuggestionRequest, TemplateSuggester, address_name
from prompts import PROMPTS_DIR

INTENTS = ("complaint", "bug_report", "question", "praise", "sales_lead", "other")
LANGUAGES = ("en", "es", "fr", "de", "pt", "it", "nl")
TEMPLATE_FILES = sorted((PROMPTS_DIR / "suggestions").glob("*.toml"))
PRIVATE_CHANNEL = re.compile(
    r"(?<![A-Za-z])DMs?(?![A-Za-z])|direct message|private message|mensaje (?:directo|privado)|message privé|\bMP\b|"
    r"Direktnachricht|private Nachricht|mensagem (?:direta|privada)|messaggio privato|in privato|privébericht", re.IGNORECASE)


def request(**overrides) -> SuggestionRequest:
    values = {"text": "@acme my order never arrived", "language": "en", "intent": "complaint", "sentiment": "negative",
              "customer_name": "Carla Díaz", "brand": "Acme", "signature": "JD", "max_length": 280}
    return SuggestionRequest(**{**values, **overrides})


@pytest.fixture(scope="module")
def suggester() -> TemplateSuggester:
    return TemplateSuggester()


def x_length(text: str) -> int:
    """Like X: characters outside Latin-1 count twice."""
    return sum(2 if ord(char) > 0xFF else 1 for char in text)


@pytest.mark.asyncio
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("intent", INTENTS)
async def test_two_or_three_replies_in_different_tones_and_the_post_language(suggester, language, intent):
    found = await suggester.suggest(request(language=language, intent=intent, sentiment="neutral"))
    assert 2 <= len(found) <= 3
    assert len({s.tone for s in found}) == len(found) and {s.tone for s in found} <= {"short", "warm", "private"}
    assert all(s.source == "offline" for s in found)
    # All replies together: a one-line reply can be too short to tell Portuguese from Galician (the detector says "und")
    assert detect_language(" ".join(s.text for s in found)) == language


@pytest.mark.asyncio
async def test_spam_gets_no_reply(suggester):
    assert await suggester.suggest(request(intent="spam")) == []


@pytest.mark.asyncio
async def test_praise_gets_a_thank_you(suggester):
    found = await suggester.suggest(request(intent="praise", sentiment="positive", text="@acme love it"))
    assert all(re.search(r"\bthank", s.text, re.IGNORECASE) for s in found)


@pytest.mark.asyncio
async def test_an_annoyed_question_gets_an_apology_first(suggester):
    found = await suggester.suggest(request(intent="question", sentiment="negative", text="why is it STILL broken?"))
    assert any("sorry" in s.text.lower() for s in found)


@pytest.mark.asyncio
async def test_unknown_languages_fall_back_to_english_and_regions_are_ignored(suggester):
    korean = await suggester.suggest(request(language="ko"))
    assert detect_language(korean[0].text) == "en"
    brazilian = await suggester.suggest(request(language="pt-BR"))
    assert detect_language(brazilian[0].text) == "pt"
    assert detect_language((await suggester.suggest(request(language="und")))[0].text) == "en"


@pytest.mark.asyncio
async def test_japanese_templates_use_an_honorific(suggester):
    found = await suggester.suggest(request(language="ja", customer_name="田中 太郎"))
    assert found and all(s.text.startswith("田中様、") for s in found)


@pytest.mark.parametrize("name,address", [
    ("Carla Díaz", "Carla"),
    ("@carla_d", "carla_d"),
    ("nils@fosstodon.org", "nils"),
    ("maya.bsky.social", "maya"),
    ("u/kenji_t", "kenji_t"),
    ("Dr. Jane Smith", "Jane"),
    ("✨Maya✨ | she/her", "Maya"),
    ("not a bot", ""),
    ("<!channel>", ""),
    ("", ""),
])
def test_the_customer_is_addressed_by_first_name_or_handle(name, address):
    assert address_name(name) == address


@pytest.mark.asyncio
async def test_the_name_is_used_naturally(suggester):
    found = await suggester.suggest(request(customer_name="Carla Díaz"))
    assert all("Carla" in s.text and "Díaz" not in s.text for s in found)
    nameless = await suggester.suggest(request(customer_name=""))
    for s in nameless:
        assert not re.search(r"\s[,!.?]|,[!.?]|^[,\s]|\{", s.text), s.text


@pytest.mark.asyncio
async def test_the_signature_ends_every_reply(suggester):
    assert all(s.text.endswith(" ^JD") for s in await suggester.suggest(request(signature="JD")))
    assert all(s.text.endswith(" ^JD") and "^^" not in s.text
               for s in await suggester.suggest(request(signature="^JD")))
    assert all("^" not in s.text for s in await suggester.suggest(request(signature="")))


@pytest.mark.asyncio
@pytest.mark.parametrize("max_length", [280, 120, 60, 40, 30])
async def test_every_reply_fits_the_network_and_no_word_is_cut(suggester, max_length):
    whole = _every_rendering()
    for language in LANGUAGES + ("ja",):
        for intent in INTENTS:
            found = await suggester.suggest(request(language=language, intent=intent, max_length=max_length,
                                                    count_length=x_length))
            for s in found:
                assert x_length(s.text) <= max_length
                assert s.text.removesuffix(" ^JD") in whole, f"not a whole template: {s.text!r}"


@pytest.mark.asyncio
async def test_a_long_name_gives_way_before_the_reply_does(suggester):
    found = await suggester.suggest(request(customer_name="Bartholomew" + "x" * 12, max_length=24))
    assert found and all(len(s.text) <= 24 for s in found)


@pytest.mark.asyncio
async def test_nothing_fits_means_no_suggestion(suggester):
    assert await suggester.suggest(request(max_length=5)) == []


@pytest.mark.asyncio
@pytest.mark.parametrize("language", LANGUAGES + ("ja",))
@pytest.mark.parametrize("intent", INTENTS)
async def test_personal_data_moves_every_reply_to_a_private_channel(suggester, language, intent):
    text = "@acme my email is rosa.k@example.com and my phone +1 415 555 0134"
    found = await suggester.suggest(request(text=text, language=language, intent=intent, has_pii=True))
    assert len(found) >= 2
    for s in found:
        assert PRIVATE_CHANNEL.search(s.text), s.text
        assert "rosa" not in s.text.lower() and "555" not in s.text


@pytest.mark.asyncio
async def test_a_handle_that_appears_in_personal_data_is_not_repeated(suggester):
    text = "@acme my username is coolcat88 and my password is hunter22"
    found = await suggester.suggest(request(text=text, customer_name="coolcat88", has_pii=True))
    assert found and all("coolcat88" not in s.text for s in found)


@pytest.mark.asyncio
@pytest.mark.parametrize("has_pii", [False, True])
async def test_no_reply_asks_for_personal_data_in_public(suggester, has_pii):
    for language in LANGUAGES + ("ja",):
        for intent in INTENTS:
            for max_length in (280, 60, 30):
                found = await suggester.suggest(request(language=language, intent=intent, has_pii=has_pii,
                                                        max_length=max_length))
                for s in found:
                    assert check_reply(s.text, max_length=max_length) == [], s.text


def test_template_files_share_one_shape():
    english = tomllib.loads((PROMPTS_DIR / "suggestions/en.toml").read_text(encoding="utf-8"))
    assert {f.stem for f in TEMPLATE_FILES} >= set(LANGUAGES)
    for path in TEMPLATE_FILES:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        for section, tones in english.items():
            assert set(data[section]) == set(tones), f"{path.name} [{section}]"
            for variants in data[section].values():
                assert variants == sorted(variants, key=len, reverse=True), f"{path.name} [{section}]: longest first"
                assert "{brand}" not in variants[-1], f"{path.name} [{section}]: the last resort needs no brand"


@pytest.mark.asyncio
async def test_templates_from_another_directory(tmp_path):
    (tmp_path / "en.toml").write_text('[other]\nshort = "Hi {name}!"\nwarm = ["Hello there, {name}!", "Hey!"]\n',
                                      encoding="utf-8")
    found = await TemplateSuggester(tmp_path).suggest(request(intent="question", signature=""))
    assert found == [Suggestion("Hi Carla!", "short"), Suggestion("Hello there, Carla!", "warm")]


def test_a_broken_template_directory_fails_at_start_up(tmp_path):
    with pytest.raises(FileNotFoundError):
        TemplateSuggester(tmp_path)
    (tmp_path / "en.toml").write_text('[other]\nshort = 3\n', encoding="utf-8")
    with pytest.raises(ValueError, match="short"):
        TemplateSuggester(tmp_path)


@pytest.mark.asyncio
async def test_templates_with_the_brand_are_skipped_when_there_is_no_brand(suggester):
    found = await suggester.suggest(request(intent="other", sentiment="neutral", brand=""))
    assert found and all("{brand}" not in s.text and "  " not in s.text for s in found)


def _every_rendering() -> set[str]:
    """Every template rendered whole, with and without the name, for the no-cut check."""
    rendered = set()
    for path in TEMPLATE_FILES:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        address = data.get("address", "{name}")
        for section, tones in data.items():
            if section == "address":
                continue
            for variants in tones.values():
                for template in variants:
                    rendered.add(template.replace("{name}", address.replace("{name}", "Carla")).replace("{brand}", "Acme"))
                    nameless = re.sub(r",\s*\{name\}|\s*\{name\}", "", template)
                    nameless = re.sub(r"^[\s,、]+", "", nameless).replace("{brand}", "Acme")
                    rendered.add(nameless[:1].upper() + nameless[1:])
    return rendered
