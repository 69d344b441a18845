"""Lexicon sentiment for short posts: English first, a few words of other languages.

Each word, phrase, emoji or emoticon has a valence. A negation ("not", "n't", "never", "pas",
"nicht"...) flips the next three words; an intensifier ("very", "so") strengthens the next one;
after "but" the clause counts more than before it; "!" and ALL CAPS amplify. Support posts have
one more pattern: a negated expectation ("hasn't arrived", "won't load", "can't log in") is a
complaint even though "arrived" or "load" carry no feeling on their own.
"""
from __future__ import annotations

import re

POSITIVE_AT, NEGATIVE_AT = 0.75, -0.75  # between the two is neutral


def _lexicon(spec: str) -> dict[str, float]:
    """'3: love amazing  2: great' -> {"love": 3.0, "amazing": 3.0, "great": 2.0}."""
    words: dict[str, float] = {}
    for weight, group in re.findall(r"(-?[\d.]+):\s*([^:]+?)(?=\s+-?[\d.]+:|\s*$)", spec.strip()):
        words.update(dict.fromkeys(group.split(), float(weight)))
    return words


WORDS = _lexicon("""
    3: love loved loving amazing awesome excellent fantastic incredible outstanding perfect brilliant wonderful
       superb phenomenal best thrilled delighted stellar lifesaver
       excelente encanta increíble génial excellent parfait großartig fantastisch ótimo adorei adoro maravilhoso
       fantastico ottimo geweldig harika mükemmel
    2.5: seamless
    2: great lovely happy glad appreciate appreciated helpful impressed impressive recommend recommended
       beautiful enjoy enjoyed enjoying pleased satisfied kudos rocks legend hero hilarious yay woohoo stoked
       excited exciting favourite favorite gorgeous intuitive proud bravo
       genial perfecto perfecta bravo top toll klasse prima perfekt perfeito gentilissimi bravi perfetto
       güzel
    1.5: good nice solved thanks thank thx ty tysm friendly reliable kind fun smooth
         buen bueno buena gracias merci danke obrigado obrigada grazie bedankt dank tack takk tak
         teşekkürler teşekkür super gentile gentil
    1: cool sweet easy quick fast resolved haha wow worth rock props win
    0.5: fine decent ok okay lol lmao clean fixed
    -0.5: meh issue issues expired invalid concerned deleted gone asap
    -0.3: cancel refund
    -1: problem problems trouble wrong lost missing late delayed declined error errors bug bugs lag confused
        confusing expensive complaint complain frozen blocked locked unable impossible worried nobody
        ugh lento lent langsam ritardo nadie
    -1.5: slow crash crashed glitch mad sad poor ignored ignoring stuck freezes freezing laggy mess messed
          overpriced dead shame inadequate ripped torn smh bloqué bloquée bloqueado joke
          stürzt abgestürzt absturz drains soaked crushed dented smashed
    -2: bad broken broke crashes crashing fail failed failing fails failure buggy glitchy disappointed
        disappointing disappointment annoyed annoying upset frustrated frustrating frustration sucks suck sucked
        damaged defective faulty overcharged rude unreliable worse waste wasted hack hacked stolen unprofessional
        misleading trash outage wtf
        malo mala roto rota peor decepcionado decepcionada mauvais nul cassé cassée déçu déçue décevant
        schlecht kaputt enttäuscht enttäuschend ärgerlich ruim quebrado quebrada decepcionada rotto deluso
        delusa slecht kapot teleurgesteld kötü bozuk
    -2.5: useless garbage angry unusable furious outrageous incompetent ripoff honteux vergogna
    -3: worst terrible horrible awful hate hated disgusting pathetic unacceptable scam fraud disgrace
        nightmare appalling atrocious ridiculous pésimo pésima estafa inaceptable vergüenza inadmissible
        arnaque unverschämt frechheit katastrophe katastrophal péssimo péssima pessimo pessima schifo
        waardeloos berbat rezalet
""")
# Verbs a customer expects to happen: no feeling on their own, a complaint when negated.
EXPECTED = frozenset(["arrive", "arrived", "arriving", "come", "came", "received", "receive", "get", "got", "work", "works", "working", "worked", "load", "loads", "loading", "open", "opens", "opening", "respond", "responded", "responding", "reply", "replied", "answer", "answered", "help", "helped", "deliver", "delivered", "show", "showed", "sync", "syncing", "connect", "connecting", "start", "starts", "started", "log", "login", "sign", "access", "refunded", "fix", "fixed", "charge", "ship", "shipped", "update", "updating", "updated", "upload", "uploading", "download", "downloading", "install", "save", "saving", "send", "sending", "sent", "play", "pay", "print", "let"])
NEGATORS = frozenset(["not", "no", "never", "none", "neither", "nor", "without", "hardly", "barely", "cannot", "cant", "dont", "doesnt", "didnt", "isnt", "wasnt", "wont", "arent", "havent", "hasnt", "shouldnt", "wouldnt", "couldnt", "aint", "nothing", "pas", "jamais", "nicht", "kein", "keine", "keinen", "nie", "niemals", "niet", "geen", "nooit", "inte", "ikke", "não", "non", "nunca"])
INTENSIFIERS = {"very": 1.5, "really": 1.5, "so": 1.5, "extremely": 1.8, "super": 1.5, "totally": 1.5,
                "absolutely": 1.8, "completely": 1.5, "incredibly": 1.8, "insanely": 1.8, "ridiculously": 1.5,
                "too": 1.3, "such": 1.3, "most": 1.3, "truly": 1.5, "seriously": 1.3, "muy": 1.5, "très": 1.5,
                "sehr": 1.5, "muito": 1.5, "molto": 1.5, "heel": 1.5, "erg": 1.5, "çok": 1.5,
                "slightly": 0.5, "somewhat": 0.5, "kinda": 0.5, "bit": 0.6, "little": 0.6, "fairly": 0.7}
# Phrases are read as one token, before single words, so their words are not counted twice.
PHRASES = {
    "thank you": 1.5, "thanks a lot": 2, "thanks so much": 2.5, "thank you so much": 2.5, "well done": 2,
    "made my day": 3, "you rock": 2, "you guys rock": 2, "shout out": 1.5, "shoutout": 1.5, "great job": 2.5,
    "can't wait": 1.5, "cannot wait": 1.5, "can't believe how": 0, "couldn't be happier": 3, "no problem": 0.5,
    "no worries": 0.5, "not bad": 1, "not too bad": 1, "how it's done": 2, "above and beyond": 3,
    "thanks for nothing": -3, "thanks in advance": 0, "thank you in advance": 0, "for nothing": -1.5,
    "never again": -3, "waste of time": -3, "waste of money": -3, "still waiting": -2, "still nothing": -2,
    "still no": -1.5, "charged twice": -2.5, "double charged": -2.5, "does nothing": -2, "is down": -1.5,
    "are down": -1.5, "went down": -1.5, "down again": -1.5, "no response": -2, "no reply": -2,
    "no answer": -2, "no one": -1, "rip off": -2.5, "fed up": -2.5, "sick of": -2.5, "what a joke": -3,
    "not happy": -2, "not ok": -1.5, "taking forever": -2, "takes forever": -2,
    "stopped working": -2, "no longer works": -2, "won't let me": -1.5, "doesn't let me": -1.5,
    "blank screen": -1.5, "white screen": -1.5, "on hold": -1, "never heard back": -2, "would recommend": 2,
    "would order again": 2.5, "would buy again": 2.5, "10/10": 2.5, "5/5": 2.5, "five stars": 2.5, "5 stars": 2,
    "top notch": 2.5, "not acceptable": -2.5, "got charged": -1.5, "still charged": -2, "in circles": -2,
    "need a human": -1.5, "sigo esperando": -2, "todavía espero": -2, "j'attends toujours": -2, "warte immer noch": -2,
    "ainda estou esperando": -2, "continuo esperando": -2, "sto ancora aspettando": -2, "wacht nog steeds": -2, "not okay": -1.5, "what gives": -1, "let down": -2,
    # a few of other languages' complaints whose negation comes after the verb
    "no funciona": -2, "no ha llegado": -1.5, "no llegó": -1.5, "ne marche pas": -2, "ne fonctionne pas": -2,
    "toujours pas": -1.5, "funktioniert nicht": -2, "immer noch nicht": -1.5, "não funciona": -2,
    "ainda não": -1.5, "non funziona": -2, "werkt niet": -2, "nog steeds niet": -1.5,
}
# Scripts without spaces between words (and some with rich inflection) are matched as substrings.
SUBSTRINGS = {
    "ありがとう": 2, "感謝": 2, "最高": 3, "素晴らしい": 3, "助かり": 2, "嬉しい": 2, "最悪": -3, "ひどい": -2.5,
    "遅い": -1.5, "届きません": -1.5, "届かない": -1.5, "壊れ": -2, "不具合": -1.5, "起動しません": -2,
    "できません": -1.5, "がっかり": -2, "困って": -1.5,
    "谢谢": 2, "感谢": 2, "很好": 2, "太好了": 2.5, "喜欢": 2, "满意": 2, "失望": -2, "太差": -3, "垃圾": -3,
    "还没到": -1.5, "没收到": -1.5, "闪退": -2, "崩溃": -2, "骗子": -3,
    "감사": 2, "고맙": 2, "최고": 3, "좋아요": 2, "좋네요": 2, "만족": 2, "최악": -3, "늦": -1.5, "안 왔": -1.5,
    "실망": -2, "짜증": -2, "오류": -1.5,
    "ขอบคุณ": 2, "ดีมาก": 2.5, "ประทับใจ": 2, "แย่": -2.5, "ช้า": -1.5, "ยังไม่ได้รับ": -1.5, "ผิดหวัง": -2,
    "شكرا": 2, "ممتاز": 3, "رائع": 3, "سيء": -2.5, "لم يصل": -1.5,
    "спасибо": 2, "отлично": 3, "ужасно": -3, "плохо": -2, "не работает": -2, "не пришёл": -1.5, "не пришел": -1.5,
    "धन्यवाद": 2, "बहुत अच्छा": 2.5, "बेकार": -2.5,
}
EMOJI = {
    **dict.fromkeys("😀😃😄😁😆😊☺🙂😇🤗😋😎👌", 1.5), **dict.fromkeys("😍🥰😘😻🤩🥳🎉🎊🏆🥇🫶💯", 2.5),
    **dict.fromkeys("👍🙌👏💪✨🔥⭐🌟❤♥🧡💛💚💙💜🤍💕💖💗💓💞💐", 2), **dict.fromkeys("😂🤣", 1),
    **dict.fromkeys("🙏✅", 0.5), **dict.fromkeys("😐😬🤷⚠", -0.5), **dict.fromkeys("😕🙁☹😓😱😧😨❌", -1),
    **dict.fromkeys("😞😟😔😢😭😩😫😖😣😰😒🙄😑🤦💔🤡🛑", -1.5), **dict.fromkeys("😤👎🤮🤢💩", -2),
    **dict.fromkeys("😠😡🤬", -2.5),
}
EMOTICONS = {":)": 1.5, ":-)": 1.5, ":]": 1.5, "=)": 1.5, ":D": 2, ":-D": 2, "xD": 1, "XD": 1, ";)": 1,
             ";-)": 1, "<3": 2, ":(": -1.5, ":-(": -1.5, ":'(": -2, ":/": -1, ":-/": -1, ":|": -0.5,
             ">:(": -2.5, "D:": -1.5, "-_-": -1, "</3": -2}

_SKIP = re.compile(r"https?://\S+|www\.\S+|\S+@\S+\.\S+|@[\w.@-]+|<[^<>\s]{1,100}>")
_TOKEN = re.compile(
    r"(?<!\w)(?P<phrase>" + "|".join(re.escape(p) for p in sorted(PHRASES, key=len, reverse=True)) + r")(?!\w)"
    r"|(?:(?<=\s)|^)(?P<emoticon>" + "|".join(re.escape(e) for e in sorted(EMOTICONS, key=len, reverse=True))
    + r")(?=\s|$)"
    r"|(?P<word>[^\W\d_]+(?:'[^\W\d_]+)?)"
    r"|(?P<break>[.!?;,]+|\n)",
    re.IGNORECASE,
)
_EMOTICONS = {emoticon.lower(): valence for emoticon, valence in EMOTICONS.items()}
_SUBSTRING = re.compile("|".join(re.escape(s) for s in sorted(SUBSTRINGS, key=len, reverse=True)))
_ELONGATED = re.compile(r"(\w)\1{2,}")  # "sooo", "loooove"
_CONTRAST = frozenset({"but", "however", "though", "pero", "mais", "aber", "mas", "ma", "maar"})
_POLITE = re.compile(r"\?|\b(?:please|pls|plz|in advance)\b")
_THANKS = frozenset({"thanks", "thank you", "thx", "ty", "gracias", "merci", "danke", "obrigado", "obrigada",
                     "grazie", "bedankt", "tack", "takk", "tak"})
SAMPLE = 5000  # characters read; the opening of a long post carries its tone
NEGATION_SCOPE = 3  # words after a negator that it flips


def detect_sentiment(text: str) -> str:
    """positive, neutral or negative."""
    score = sentiment_score(text)
    if score >= POSITIVE_AT:
        return "positive"
    if score <= NEGATIVE_AT:
        return "negative"
    return "neutral"


def sentiment_score(text: str) -> float:
    """Sum of valences, roughly -3 (one strong negative) to +3 per strong word; 0 is neutral."""
    sample = text[:SAMPLE]
    raw = _SKIP.sub(" ", sample).replace("’", "'").replace("\ufe0f", "")
    mostly_caps = sum(c.isupper() for c in raw) > sum(c.islower() for c in raw)
    polite = bool(_POLITE.search(raw.lower()))
    tokens = [_token(match) for match in _TOKEN.finditer(raw.lower() if mostly_caps else raw)]
    clauses: list[float] = [0.0]  # a new clause starts after "but"
    negated = 0  # words still flipped by the last negator
    boost = 1.0
    for index, (kind, token, valence, shouted) in enumerate(tokens):
        if kind == "break" or token in _CONTRAST:
            negated, boost = 0, 1.0
            if token in _CONTRAST:
                clauses.append(0.0)
            continue
        if token in INTENSIFIERS and index + 1 < len(tokens) and tokens[index + 1][2]:
            boost *= INTENSIFIERS[token]  # "so slow"; "super fast" (but "super!" is praise)
            continue
        if token in _THANKS and polite:
            valence *= 0.3  # "can you help? thanks" is politeness, not delight
        if negated and token in EXPECTED:
            valence = -1.5  # "hasn't arrived", "won't load"
        elif negated and valence:
            valence = -0.75 * valence if valence > 0 else 0.5 * -valence  # "not good" < 0 < "not bad"
        if shouted and not mostly_caps:
            valence *= 1.5
        clauses[-1] += valence * boost
        if valence:
            boost = 1.0
        negated = NEGATION_SCOPE if token in NEGATORS or token.endswith("n't") else max(negated - 1, 0)
    score = sum(clauses[:-1]) * 0.5 + clauses[-1] * (1.5 if len(clauses) > 1 else 1.0)
    score += _symbols(sample)
    if abs(score) >= 0.5:
        score += min(sample.count("!"), 3) * 0.3 * (1 if score > 0 else -1)
    return score


def _token(match: re.Match[str]) -> tuple[str, str, float, bool]:
    """(kind, normalised token, valence, written in capitals) of one token."""
    kind, original = match.lastgroup or "", match.group()
    token = original.lower()
    if kind == "emoticon":
        return kind, token, _EMOTICONS[token], False
    if kind == "phrase":
        return kind, token, PHRASES[token], False
    if kind == "word":
        token = _known_form(token)
    return kind, token, WORDS.get(token, 0.0), original.isupper() and len(original) > 2


def _known_form(word: str) -> str:
    """The lexicon's form of a word: 'sooo' -> 'so', 'goooood' -> 'good', 'crashing' -> 'crash'."""
    if word in WORDS:
        return word
    for candidate in (_ELONGATED.sub(r"\1\1", word), _ELONGATED.sub(r"\1", word)):
        if candidate in WORDS or candidate in INTENSIFIERS:
            return candidate
    for suffix in ("ing", "ed", "es", "s", "ly"):
        if word.endswith(suffix) and len(word) > len(suffix) + 2:
            stem = word[: -len(suffix)]
            for candidate in (stem, stem + "e"):
                if candidate in WORDS or candidate in EXPECTED:
                    return candidate
    return word


def _symbols(text: str) -> float:
    """Emoji, and words of scripts matched as substrings."""
    score = sum(EMOJI.get(char, 0.0) for char in text)
    return score + sum(SUBSTRINGS[match.group()] for match in _SUBSTRING.finditer(text))
