"""Offline language detection for short social posts: script first, then stopword scores."""
from __future__ import annotations

import re
import unicodedata

_NOISE = re.compile(r"https?://\S+|[@#][\w.]+|\d+")
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")

# Distinctive, frequent words. Short posts need only two or three hits.
STOPWORDS: dict[str, set[str]] = {
    "en": set("the and is it my you your to of for not was this that have with are can why what how please "
              "thanks thank i me we our just still never been love great any does do anyone help".split()),
    "es": set("el la los las que de y en es mi no por para con una un pero muy gracias hola ya está esta "
              "tengo pedido cuando dónde donde porque también nada todavía sigue hace".split()),
    "fr": set("le la les est et je mon ma mes pas pour avec une un des ne que qui sur bonjour merci "
              "toujours rien depuis votre vous commande très".split()),
    "de": set("der die das und ist ich mein meine nicht mit für ein eine auf seit noch kein keine bitte "
              "danke hallo warum wann bestellung immer ihr euer wurde".split()),
    "pt": set("o a os as que de e em é meu minha não por para com um uma mas muito obrigado obrigada olá "
              "ainda pedido quando vocês está nada chegou".split()),
    "it": set("il lo la gli le che di e è mio mia non per con un una ma molto grazie ciao ancora ordine "
              "quando perché sono niente".split()),
    "nl": set("de het een en is ik mijn niet met voor op nog geen al dank bedankt hallo waarom wanneer "
              "bestelling jullie heb".split()),
    "sv": set("och är jag min mitt inte med för en ett på har tack hej varför när beställning ni ingen".split()),
    "pl": set("i w jest nie na się że mój moja to z do jak dziękuję cześć zamówienie dlaczego kiedy".split()),
    "tr": set("ve bir bu da de için ile ne çok değil ben benim siparişim merhaba teşekkürler neden hala".split()),
    "id": set("dan yang di ke saya tidak ini itu dengan untuk sudah belum terima kasih pesanan kenapa".split()),
}
# Letters that only some Latin-script languages use.
HINTS = {"ñ": "es", "¿": "es", "¡": "es", "ß": "de", "ã": "pt", "õ": "pt", "ç": "pt", "ł": "pl", "ś": "pl",
         "ğ": "tr", "ı": "tr", "ş": "tr", "å": "sv", "ø": "no", "ä": "de", "ö": "de", "ü": "de", "è": "fr",
         "ê": "fr", "à": "fr", "œ": "fr"}


def _script_language(text: str) -> str | None:
    counts: dict[str, int] = {}
    for char in text:
        if not char.isalpha():
            continue
        name = unicodedata.name(char, "")
        for script, language in (("HIRAGANA", "ja"), ("KATAKANA", "ja"), ("HANGUL", "ko"), ("CJK", "zh"),
                                 ("ARABIC", "ar"), ("HEBREW", "he"), ("CYRILLIC", "ru"), ("DEVANAGARI", "hi"),
                                 ("THAI", "th"), ("GREEK", "el")):
            if name.startswith(script):
                counts[language] = counts.get(language, 0) + 1
                break
        else:
            counts["latin"] = counts.get("latin", 0) + 1
    if not counts:
        return None
    if counts.get("ja"):
        return "ja"  # Japanese mixes kana with CJK ideographs
    best = max(counts, key=counts.get)
    return None if best == "latin" else best


def detect_language(text: str) -> str:
    """ISO 639-1 code of `text`, or "und" when it cannot be told."""
    text = _NOISE.sub(" ", text[:2000])
    by_script = _script_language(text)
    if by_script:
        return "uk" if by_script == "ru" and re.search(r"[іїєґ]", text.lower()) else by_script
    lowered = text.lower()
    words = _WORD.findall(lowered)
    if not words:
        return "und"
    scores = {lang: sum(word in stops for word in words) for lang, stops in STOPWORDS.items()}
    for char, lang in HINTS.items():
        if char in lowered and lang in scores:
            scores[lang] += 1.5
    best = max(scores, key=scores.get)
    return best if scores[best] >= 1 else "und"
