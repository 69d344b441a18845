"""Language detection on short social posts, written for these tests (not taken from the team's sample)."""

import pytest

from bot.enrich import enrich
from bot.enrich.language import detect_language


@pytest.mark.parametrize("text,language", [
    ("@acme my package still hasn't arrived, what is going on?", "en"),
    ("the search box does nothing on my phone", "en"),
    ("honestly the best blender I've owned 🔥", "en"),
    ("@acme hola, ¿dónde está mi pedido? Ya pasaron dos semanas", "es"),
    ("la aplicación se cierra sola cada vez que intento pagar", "es"),
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
