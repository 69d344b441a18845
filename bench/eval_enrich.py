"""Evaluate enrichment and suggestions on labelled posts; prints one figure a line.

    python bench/eval_enrich.py [--data FILE]

FILE has one JSON object a line: text, lang, sentiment, intent, pii [{type, text}] (the format
of shared/data/posts-labelled.jsonl, the default). Offline mode: the rules in bot/enrich and the
template suggester. Suggestions are checked by the same guards as agents' replies, against the
strictest network limit (X's 280) with a signature added.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.enrich import enrich  # noqa: E402
from bot.guards import check_reply  # noqa: E402
from bot.suggest import SuggestionRequest, TemplateSuggester  # noqa: E402

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared/data/posts-labelled.jsonl"
LIMIT, SIGNATURE = 280, "JD"  # suggestions come signed " ^JD"


def macro_f1(pairs: list[tuple[str, str]], labels: list[str]) -> float:
    scores = []
    for label in labels:
        tp = sum(g == p == label for g, p in pairs)
        fp = sum(p == label != g for g, p in pairs)
        fn = sum(g == label != p for g, p in pairs)
        scores.append(2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0)
    return sum(scores) / len(scores)


async def evaluate(rows: list[dict]) -> list[str]:
    found = [enrich(row["text"]) for row in rows]
    sentiments = ["positive", "neutral", "negative"]
    intents = sorted({row["intent"] for row in rows})
    english = [(row["sentiment"], f.sentiment) for row, f in zip(rows, found, strict=True) if row["lang"] == "en"]
    gold = {(i, p["text"]) for i, row in enumerate(rows) for p in row["pii"]}
    got = {(i, m.text) for i, f in enumerate(found) for m in f.pii}
    typed_gold = {(i, p["type"], p["text"]) for i, row in enumerate(rows) for p in row["pii"]}
    typed_got = {(i, m.type, m.text) for i, f in enumerate(found) for m in f.pii}

    suggester = TemplateSuggester()
    checked = within = clean = 0
    for row, f in zip(rows, found, strict=True):
        request = SuggestionRequest(text=row["text"], language=f.language, intent=f.intent, sentiment=f.sentiment,
                                    customer_name="Alex", brand="Acme", signature=SIGNATURE, max_length=LIMIT,
                                    has_pii=bool(f.pii))
        for suggestion in await suggester.suggest(request):
            issues = {i.code for i in check_reply(suggestion.text, max_length=LIMIT, customer_data=[m.text for m in f.pii])}
            checked += 1
            within += "too_long" not in issues
            clean += not issues & {"asks_for_personal_data", "repeats_personal_data"}

    languages = Counter(row["lang"] for row in rows)
    return [
        "mode: offline (rules and templates)",
        f"posts: {len(rows)} in {len(languages)} languages ({languages.get('en', 0)} English)",
        f"language accuracy: {sum(r['lang'] == f.language for r, f in zip(rows, found, strict=True)) / len(rows):.2f}",
        f"sentiment macro-F1 (en): {macro_f1(english, sentiments):.2f}",
        f"sentiment macro-F1 (all): {macro_f1([(r['sentiment'], f.sentiment) for r, f in zip(rows, found, strict=True)], sentiments):.2f}",
        f"intent macro-F1: {macro_f1([(r['intent'], f.intent) for r, f in zip(rows, found, strict=True)], intents):.2f}",
        f"PII recall: {len(gold & got) / len(gold):.2f}" if gold else "PII recall: n/a (no labelled personal data)",
        f"PII precision: {len(gold & got) / len(got):.2f}" if got else "PII precision: n/a (nothing found)",
        f"PII recall with the right type: {len(typed_gold & typed_got) / len(typed_gold):.2f}" if typed_gold else "",
        f"suggestions checked: {checked}",
        f"suggestions within length ({LIMIT} with signature): {100 * within / checked:.1f} %" if checked else "",
        f"suggestions without a public request for or repeat of personal data: {100 * clean / checked:.1f} %"
        if checked else "",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help=f"labelled JSONL (default {DEFAULT_DATA})")
    args = parser.parse_args()
    if not args.data.exists():
        sys.exit(f"{args.data} not found; give a labelled JSONL file with --data")
    rows = [json.loads(line) for line in args.data.read_text(encoding="utf-8").splitlines() if line.strip()]
    for line in asyncio.run(evaluate(rows)):
        if line:
            print(line)


if __name__ == "__main__":
    main()
