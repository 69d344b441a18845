"""A surge on demand: many customers posting about one outage within a minute, in several languages, in bursts,
with unrelated posts mixed in. Used by the incident tests and bench/surge.py, fed to the fake networks.

Outage posts are near-duplicates the way real ones are: a handful of phrasings per language, each
varied (a prefix, a suffix, a dropped letter, an emoji). Unrelated posts are built from independent
parts, so they are not alike to each other either. Arrival is bursty: most posts come in the first
third of the window, as when an outage is first noticed.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

OUTAGE = {
    "en": ["{brand} app is down again, I can't log in at all", "is {brand} down? the login keeps failing for me",
           "{brand} login not working, anyone else getting errors?", "can't log into the {brand} app, keeps saying error 503"],
    "de": ["{brand} App ist schon wieder down, ich kann mich nicht einloggen",
           "ist {brand} down? der Login klappt bei mir einfach nicht"],
    "es": ["la app de {brand} no funciona otra vez, no puedo iniciar sesión",
           "¿{brand} está caído? no puedo entrar en la app"],
    "fr": ["l'appli {brand} est encore en panne, impossible de me connecter",
           "{brand} en panne ? je n'arrive pas à me connecter à l'appli"],
}
PREFIXES = ["", "", "ugh, ", "seriously ", "hey ", "again?! ", "@{brand} "]
SUFFIXES = ["", "", "!!", " 😡", " #fail", " please fix", "?", " right now"]
TOPICS = ["my parcel", "the invoice", "a refund", "my delivery address", "the gift card", "the loyalty points",
          "the new colours", "my subscription", "the warranty", "the store opening hours", "the size chart",
          "your newsletter", "the return label", "my wishlist", "the student discount", "the click and collect",
          "the product manual", "my account email", "the spare parts", "the price match"]
DETAILS = ["arrived broken and the box was open", "shows the wrong amount twice", "for order {n} still not processed",
           "needs changing before Friday", "was not accepted at checkout", "disappeared from my profile overnight",
           "look great, well done team", "renews next week, how do I pause it", "covers water damage or not",
           "on Sundays, are you open", "is confusing between EU and UK sizes", "comes three times a week now",
           "printer says the barcode is too small", "lost half its items after the update", "does it work online too",
           "said ready but the shop had nothing", "is only in Dutch, any English copy", "typo in it, can you fix",
           "for the old model, still sold anywhere", "competitor is 20 cheaper, do you match", "thank you for the quick help",
           "took 40 minutes on hold yesterday", "is the courier coming today or tomorrow", "why was I charged a fee",
           "can I give it to my sister"]


WORDS = ["order", "refund", "parcel", "invoice", "login", "password", "delivery", "voucher", "warranty", "size",
         "colour", "store", "app", "website", "checkout", "basket", "coupon", "newsletter", "courier", "address",
         "account", "email", "phone", "subscription", "loyalty", "points", "receipt", "return", "label", "exchange",
         "damaged", "missing", "late", "early", "cancel", "change", "update", "upgrade", "broken", "cracked",
         "wrong", "twice", "charged", "card", "bank", "transfer", "paypal", "shipping", "tracking", "number",
         "weekend", "monday", "friday", "tomorrow", "yesterday", "morning", "evening", "manager", "team", "support",
         "chat", "hotline", "queue", "minutes", "hours", "days", "weeks", "price", "discount", "sale", "stock",
         "restock", "shoes", "jacket", "lamp", "chair", "table", "sofa", "kettle", "blender", "headphones",
         "charger", "cable", "battery", "screen", "keyboard", "gift", "sister", "brother", "mother", "father",
         "neighbour", "office", "school", "holiday", "birthday", "wedding", "christmas"]


@dataclass(frozen=True)
class SurgePost:
    at: float  # seconds after the surge starts
    handle: str
    text: str
    language: str
    outage: bool  # about the outage (False: unrelated)


def outage_text(rng: random.Random, brand: str, language: str) -> str:
    text = rng.choice(OUTAGE[language]).format(brand=brand)
    if rng.random() < 0.3:  # a typo
        at = rng.randrange(len(text))
        text = text[:at] + text[at + 1:]
    return (rng.choice(PREFIXES) + text + rng.choice(SUFFIXES)).format(brand=brand)


def unrelated_text(rng: random.Random, brand: str, index: int) -> str:
    # 7 is prime to 25: each detail comes once in 25 posts, with another topic the second time
    topic, detail = TOPICS[index % len(TOPICS)], DETAILS[index * 7 % len(DETAILS)]
    return f"@{brand} {topic} {detail.format(n=rng.randrange(10_000, 99_999))}"


def chatter(rng: random.Random, brand: str) -> str:
    """An everyday question unlike any other (nine words drawn from a wide vocabulary): steady traffic that never
    forms an incident."""
    return f"@{brand} " + " ".join(rng.sample(WORDS, 9)) + "?"


def surge(seed: int = 7, *, brand: str = "acme", outage: int = 1000, unrelated: int = 50, seconds: float = 60.0,
          languages: tuple[str, ...] = ("en", "en", "en", "de", "es", "fr")) -> list[SurgePost]:
    """`outage` posts about the outage and `unrelated` others within `seconds`, each by its own customer, in time order."""
    rng = random.Random(seed)
    posts = [SurgePost(at=rng.betavariate(1.3, 3.0) * seconds, handle=f"customer{i}",
                       text=outage_text(rng, brand, language := rng.choice(languages)), language=language, outage=True)
             for i in range(outage)]
    posts += [SurgePost(at=rng.uniform(0, seconds), handle=f"other{i}", text=unrelated_text(rng, brand, i),
                        language="en", outage=False) for i in range(unrelated)]
    return sorted(posts, key=lambda p: p.at)
