"""Language detection on short social posts, written for these tests (not taken from the team's sample)."""

import pytest

from bot.enrich import enrich
from bot.enrich.language import RELATIVES, _challengers, _word_lists_confirm, detect_language


@pytest.mark.parametrize("text,language", [
    ("@acme my package still hasn't arrived, what is going on?", "en"),
    ("the search box does nothing on my phone", "en"),
    ("honestly the best blender I've owned 🔥", "en"),
    ("@acme hola, ¿dónde está mi pedido? Ya pasaron dos semanas", "es"),
    ("@acme bonjour, ma commande n'est toujours pas arrivée", "fr"),
    ("comment modifier mon mot de passe ?", "fr"),
    ("@acme meine Rücksendung ist immer noch nicht bearbeitet", "de"),
    ("die App stürzt ständig ab, seit dem letzten Update", "de"),
    ("@acme meu pedido ainda não chegou, o que aconteceu?", "pt"),
    ("o aplicativo trava toda hora depois da atualização", "pt"),
    ("@acme il mio ordine non è ancora arrivato, grazie", "it"),
    ("l'app si blocca quando apro il carrello", "it"),
    ("@acme mijn bestelling is nog niet binnen, waarom?", "nl"),
    ("hej, min beställning har inte kommit än, varför?", "sv"),
    ("hej, min pakke er stadig ikke kommet, hvad sker der?", "da"),
    ("hei, pakken min har fortsatt ikke kommet, hva skjer?", "no"),
    ("hei, tilaukseni ei ole vieläkään saapunut, miksi?", "fi"),
    ("moje zamówienie jeszcze nie dotarło, dlaczego?", "pl"),
    ("moje objednávka ještě nepřišla, proč?", "cs"),
    ("uygulama sürekli çöküyor, ne zaman düzelecek?", "tr"),
    ("comanda mea nu a ajuns încă, de ce?", "ro"),
    ("pesanan saya belum sampai, kenapa ya?", "id"),
    ("đơn hàng của tôi vẫn chưa được giao, tại sao vậy?", "vi"),
    ("@acme 返品の手続きはどうすればいいですか", "ja"),
    ("丁寧な説明ありがとうございました！", "ja"),
    ("@acme 我的订单还没到", "zh"),
    ("應用程式一打開就閃退", "zh"),
    ("@acme 주문한 상품이 아직 안 왔어요", "ko"),
    ("@acme لم يصل الطرد حتى الآن", "ar"),
    ("سفارش من هنوز نرسیده است چرا؟", "fa"),
    ("@acme мой заказ до сих пор не пришёл", "ru"),
    ("моє замовлення досі не прийшло, чому?", "uk"),
    ("मेरा ऑर्डर अभी तक नहीं आया", "hi"),
    ("ยังไม่ได้รับสินค้าเลยครับ", "th"),
    ("ההזמנה שלי עדיין לא הגיעה", "he"),
    ("η παραγγελία μου δεν έχει φτάσει ακόμα", "el"),
])
def test_languages(text, language):
    assert detect_language(text) == language


@pytest.mark.parametrize("text,language", [
    ("@acme @support_team https://acme.example/help?id=42 #fail 😡😡 mi pedido no ha llegado", "es"),
    ("@acme@mastodon.social u/helper r/acme merci pour votre aide, c'est parfait 👍", "fr"),
    ("<!channel> @here where is my refund???", "en"),
    ("this is broken again ¯\\_(ツ)_/¯ seriously", "en"),  # a kaomoji's katakana does not make it Japanese
    ("iPhone 15のアプリが起動しません", "ja"),  # product names in Latin letters inside Japanese
    ("Acme Support Team, mi pedido sigue sin llegar", "es"),  # an English brand name inside Spanish
    ("@acme \u200fلم يصل الطرد حتى الآن\u200f order #A-123", "ar"),  # right-to-left text with marks and a Latin order number
])
def test_noise_is_ignored(text, language):
    assert detect_language(text) == language


@pytest.mark.parametrize("text", ["", "   ", "https://x.com/a/1 #acme 🙌🙌", "@acme 🙄🙄🙄", "12345 !!!", "@acme ok"])
def test_unknown_when_there_is_nothing_to_go_on(text):
    assert detect_language(text) == "und"


def test_invisible_and_compatibility_characters_are_read_through():
    assert enrich("whe\u200bre is my or\u200bder? it\u200bs been two weeks").language == "en"
    assert enrich("\u202eredro ym\u202c where is my order?").language == "en"  # a right-to-left override
    assert enrich("ｍｙ ｏｒｄｅｒ ｉｓ ｓｔｉｌｌ ｎｏｔ ｈｅｒｅ").language == "en"  # full-width letters


def test_a_huge_post_is_read():  # bench/huge_text.py measures how long it takes
    assert detect_language("where is my order " * 6000) == "en"
    assert detect_language("注文した商品がまだ届きません" * 8000) == "ja"


@pytest.mark.parametrize("text", [
    "la aplicación se cierra sola cada vez que intento pagar",  # Spanish 0.89, Galician 0.075: no word list for Galician
    "@acme adorei o atendimento, obrigado!",  # Portuguese 0.29, Galician and Catalan over a twentieth of it
])
def test_a_relative_without_a_word_list_in_contention_makes_it_und(text):
    assert detect_language(text) == "und"


def test_a_relative_challenges_with_a_twentieth_of_the_share():
    assert _challengers("nl", 0.91, {"nl": 0.91, "af": 0.08, "fr": 0.004}) == {"af"}  # an Afrikaans post
    assert _challengers("nl", 0.93, {"nl": 0.93, "af": 0.03, "en": 0.02}) == set()  # a Dutch one
    assert _challengers("nl", 0.79, {"nl": 0.79, "pl": 0.06, "en": 0.03}) == set()  # Polish is no relative
    assert _challengers("es", 0.79, {"es": 0.79, "pt": 0.19}) == {"pt"}  # the word lists settle this one


def test_a_small_language_is_challenged_only_by_relatives_outside_the_word_lists():
    assert _challengers("sk", 0.85, {"sk": 0.85, "cs": 0.09}) == set()
    assert _challengers("hr", 0.68, {"hr": 0.68, "sh": 0.16, "sr": 0.06, "cs": 0.05}) == {"sh", "sr"}
    assert RELATIVES["gl"] >= {"es", "pt"} and "gl" in RELATIVES["pt"]


def test_the_word_lists_confirm_only_what_most_fits_them_and_covers_a_fifth_of_the_words():
    spanish = ["mi", "pedido", "todavía", "no", "ha", "llegado", "y", "nadie", "me", "responde"]
    assert _word_lists_confirm("es", spanish, []) and not _word_lists_confirm("pt", spanish, [])
    uzbek = ["assalomu", "alaykum", "buyurtmam", "bir", "haftadan", "beri", "kelmayapti", "va", "hech", "kim", "javob",
             "bermayapti"]
    assert not _word_lists_confirm("tr", uzbek, [])  # only "bir" and "kim" are in the Turkish list


def test_a_listed_language_the_model_is_unsure_of_needs_the_word_lists():
    assert detect_language("Assalomu alaykum, buyurtmam bir haftadan beri kelmayapti va hech kim javob bermayapti.") == "und"
    assert detect_language("hei, pakken min har fortsatt ikke kommet, hva skjer?") == "no"  # model: no 0.54, da 0.43
