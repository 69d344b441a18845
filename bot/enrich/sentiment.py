"""Lexicon sentiment with negation, intensifiers and emoji. Tuned for English; a few words of others."""
from __future__ import annotations

import re

POSITIVE = set("""love loved loving great awesome amazing excellent fantastic good nice thanks thank thx ty
helpful quick fast fixed perfect happy glad best wonderful brilliant rock rocks kudos appreciate appreciated
impressed smooth easy recommend superb cool sweet lovely beautiful works solved resolved
gracias genial excelente encanta merci génial parfait super danke toll prima obrigado obrigada ótimo adoro
grazie fantastico bedankt""".split())
NEGATIVE = set("""bad terrible awful horrible worst hate hated broken broke crash crashes crashed fail failed
failing fails error bug bugs slow useless ridiculous disappointed disappointing annoyed angry furious scam
never late missing lost wrong refund charged overcharged cancel cancelled canceled stuck unacceptable
waiting waited nobody ignored rude poor problem problems issue issues down outage frustrating frustrated
garbage joke pathetic worse sucks sucked damaged dead freezes frozen leak leaked
nunca malo terrible roto problema estafa peor mauvais nul toujours jamais panne arnaque schlecht kaputt
nie immer noch problem nunca ruim péssimo pessimo quebrado problema""".split())
NEGATIONS = set("not no never dont don't doesn't didn't isn't wasn't can't cannot won't aren't hardly ni pas nicht kein".split())
INTENSIFIERS = set("very really so extremely super totally absolutely completely".split())
POSITIVE_EMOJI = set("😀😃😄😁😊🙂😍🥰😘👍🙌👏🎉❤💕💖💯✨🤩😻🙏✅🥳")
NEGATIVE_EMOJI = set("😠😡🤬😤😞😟😢😭😩😫👎💔🙄😒😑😣😖🤦")
EMOTICONS = {":)": 1, ":-)": 1, ":D": 1, "<3": 1, ":(": -1, ":-(": -1, ":/": -0.5, ">:(": -1}
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
_PHRASES = {"not working": -2, "doesn't work": -2, "does not work": -2, "no response": -1.5, "still waiting": -1.5,
            "never arrived": -2, "charged twice": -2, "for nothing": -1, "well done": 1.5, "thank you": 1}


def sentiment_score(text: str) -> float:
    lowered = text.lower()
    score = sum(weight for phrase, weight in _PHRASES.items() if phrase in lowered)
    words = _WORD.findall(lowered)
    for index, word in enumerate(words):
        polarity = 1 if word in POSITIVE else -1 if word in NEGATIVE else 0
        if not polarity:
            continue
        window = words[max(0, index - 3):index]
        if any(w in NEGATIONS for w in window) and word != "never":
            polarity = -polarity
        if window and window[-1] in INTENSIFIERS:
            polarity *= 1.5
        score += polarity
    score += sum(1 for ch in text if ch in POSITIVE_EMOJI) - sum(1 for ch in text if ch in NEGATIVE_EMOJI)
    score += sum(weight for emoticon, weight in EMOTICONS.items() if emoticon in text)
    if "!!" in text and score < 0:
        score -= 0.5
    return score


def detect_sentiment(text: str) -> str:
    score = sentiment_score(text[:5000])
    if score >= 1:
        return "positive"
    if score <= -1:
        return "negative"
    return "neutral"
