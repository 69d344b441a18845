"""How long the offline enrichment takes on huge and hostile posts: every inbound post goes through it.

    python bench/huge_text.py

Prints milliseconds per call of each detector on inputs built to make regular expressions
backtrack (long runs of one token, separators without a word, invisible characters). A figure
that grows to seconds points at a pattern that is not linear. Then the cost per ordinary post
(the held-out sets in bench/data) of language detection, of the lite model's share of it, and of
the whole enrichment: ingest's throughput target (2,000 posts/s) leaves 500 µs a post for everything.
Last, language detection on the language tests' posts (tests/bot/enrich/data: languages without word
lists, where the word lists' second opinion runs more often).
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.enrich import enrich  # noqa: E402
from bot.enrich.intent import detect_intent  # noqa: E402
from bot.enrich.language import CANDIDATES, _detector, detect_language  # noqa: E402
from bot.enrich.pii import find_pii  # noqa: E402
from bot.enrich.sentiment import detect_sentiment  # noqa: E402

HOSTILE = {
    "! x 100,000": "!" * 100_000,
    "@ x 100,000": "@" * 100_000,
    "'how ' x 25,000": "how " * 25_000,
    "'not ' x 25,000": "not " * 25_000,
    "'very ' x 20,000 + bad": "very " * 20_000 + "bad",
    "'love hate ' x 10,000": "love hate " * 10_000,
    "'order never ' x 10,000": "order never " * 10_000,
    "'follow ' x 15,000": "follow " * 15_000,
    ". x 50,000 + ?": ". " * 50_000 + "?",
    "😡 x 50,000": "😡" * 50_000,
    "a x 100,000 + digits": "a" * 100_000 + " 1234" * 10_000,
    "'user ' x 30,000": "user " * 30_000,
    "x. x 50,000 + @": "x." * 50_000 + "@",
    "'Calle ' x 20,000": "Calle " * 20_000,
    "ab x 50,000 + straße 5": "ab" * 50_000 + "straße 5",
    "zero-width x 50,000 + email": "\u200b" * 50_000 + "jane@example.com",
    "Arabic word x 20,000": "مرحبا " * 20_000,
    "Japanese x 8,000": "注文した商品がまだ届きません" * 8000,
}
DETECTORS = {
    "language": detect_language,
    "sentiment": detect_sentiment,
    "intent": detect_intent,
    "personal data": find_pii,
    "enrich (all)": enrich,
}


def main() -> None:
    print(f"{'input':<30} {'chars':>7}  " + "  ".join(f"{name:>13}" for name in DETECTORS) + "   (ms)")
    worst = 0.0
    for label, text in HOSTILE.items():
        figures = []
        for detector in DETECTORS.values():
            started = time.perf_counter()
            detector(text)
            elapsed = (time.perf_counter() - started) * 1000
            worst = max(worst, elapsed)
            figures.append(f"{elapsed:13.1f}")
        print(f"{label:<30} {len(text):>7}  " + "  ".join(figures))
    print(f"slowest call: {worst:.0f} ms")
    per_post()


def per_post(rounds: int = 20) -> None:
    texts = posts(Path(__file__).parent / "data")
    detect_language(texts[0])  # load the model first: a one-off ~50 ms at start-up
    model = _detector()
    for name, call in (("language detection", detect_language),
                       ("... of which the lite model", lambda text: model.detect(text, model="lite", k=CANDIDATES)),
                       ("enrich (all)", enrich)):
        timed(name + " per ordinary post", call, texts, rounds)
    timed("language detection, languages without lists", detect_language,
          posts(Path(__file__).resolve().parents[1] / "tests/bot/enrich/data"), rounds)


def posts(folder: Path) -> list[str]:
    return [json.loads(line)["text"] for path in sorted(folder.glob("*.jsonl"))
            for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def timed(name: str, call, texts: list[str], rounds: int) -> None:
    started = time.perf_counter()
    for _ in range(rounds):
        for text in texts:
            call(text)
    micros = (time.perf_counter() - started) / (rounds * len(texts)) * 1e6
    print(f"{name:<45} {micros:8.0f} µs  ({len(texts)} posts x {rounds})")


if __name__ == "__main__":
    main()
