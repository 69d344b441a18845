"""Evaluate enrichment and suggestions on labelled posts; prints one figure a line.

    python bench/eval_enrich.py [--data FILE ...] [--model NAME] [--base-url URL] [--config socialdesk.toml]

FILE has one JSON object a line: text, lang, sentiment, intent, pii [{type, text}] (the format
of shared/data/posts-labelled.jsonl, the default). Several files are read one after the other and
each gets its own figures, after a `data: FILE` line (`--data bench/data/*.jsonl` gives the held-out
sets; `--data` may also be repeated). Offline mode: the rules in bot/enrich and the
template suggester. Suggestions are checked by the same guards as agents' replies, against the
strictest network limit (X's 280) with a signature added.

With a model configured (a key in the environment or .env: OPENAI_API_KEY, or Azure's; the model
and base URL from --model / --base-url or the [llm] table of --config), the same figures follow
for the model, plus how many of its replies the output guard dropped, and what it cost.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.clock import SystemClock  # noqa: E402
from bot.desk.guards import check_reply  # noqa: E402
from bot.enrich import enrich  # noqa: E402
from bot.settings import LlmConfig, load_config, load_secrets  # noqa: E402
from bot.suggest.model import ModelSuggester, ModelUnavailable, build_client, describe_provider  # noqa: E402
from bot.suggest.templates import SuggestionRequest, TemplateSuggester  # noqa: E402

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared/data/posts-labelled.jsonl"
LIMIT, SIGNATURE = 280, "JD"  # suggestions come signed " ^JD"
SENTIMENTS = ["positive", "neutral", "negative"]


@dataclass
class Reading:
    """What one mode made of one post."""

    language: str
    sentiment: str
    intent: str
    pii: set[str]
    replies: list[str]  # signed, as they would be published


def macro_f1(pairs: list[tuple[str, str]], labels: list[str]) -> float:
    scores = []
    for label in labels:
        tp = sum(g == p == label for g, p in pairs)
        fp = sum(p == label != g for g, p in pairs)
        fn = sum(g == label != p for g, p in pairs)
        scores.append(2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0)
    return sum(scores) / len(scores)


def request_for(row: dict, signature: str) -> SuggestionRequest:
    found = enrich(row["text"])
    return SuggestionRequest(text=row["text"], language=found.language, intent=found.intent, sentiment=found.sentiment,
                             customer_name="Alex", brand="Acme", signature=signature, max_length=LIMIT,
                             has_pii=bool(found.pii), network="x", customer_data=tuple(m.text for m in found.pii))


async def offline(rows: list[dict]) -> list[Reading]:
    suggester = TemplateSuggester()
    readings = []
    for row in rows:
        found = enrich(row["text"])
        replies = [s.text for s in await suggester.suggest(request_for(row, SIGNATURE))]
        readings.append(Reading(found.language, found.sentiment, found.intent, {m.text for m in found.pii}, replies))
    return readings


async def online(rows: list[dict], model: ModelSuggester) -> tuple[list[Reading | None], list[str]]:
    """The model's readings (None where it failed) and lines about failures, drops and cost."""
    async def read(row: dict):
        try:
            return await model.suggest(request_for(row, ""))
        except ModelUnavailable as unavailable:
            return unavailable

    answers = await asyncio.gather(*(read(row) for row in rows))
    readings: list[Reading | None] = []
    failures: Counter[str] = Counter()
    usage = []
    dropped: Counter[str] = Counter()
    for answer in answers:
        usage += answer.usage
        if isinstance(answer, ModelUnavailable):
            failures[answer.reason] += 1
            readings.append(None)
            continue
        dropped.update(d["reason"] for d in answer.dropped)
        a = answer.analysis
        readings.append(Reading(a["language"], a["sentiment"], a["intent"], {p["text"] for p in a["personal_data"]},
                                [f"{s.text} ^{SIGNATURE}" for s in answer.suggestions]))
    tokens_in, tokens_out = sum(u.input_tokens for u in usage), sum(u.output_tokens for u in usage)
    lines = [f"posts the model could not read: {sum(failures.values())}"]
    lines += [f"  {reason}: {count}" for reason, count in failures.most_common()]
    lines.append(f"replies dropped by the output guard: {sum(dropped.values())}"
                 + (f" ({', '.join(f'{r} {n}' for r, n in dropped.most_common())})" if dropped else ""))
    lines.append(f"tokens: {tokens_in} in, {tokens_out} out ({len(usage)} calls)")
    return readings, lines


def figures(rows: list[dict], readings: list[Reading | None]) -> list[str]:
    pairs = [(row, r) for row, r in zip(rows, readings, strict=True) if r is not None]
    if not pairs:
        return ["no post was read"]
    intents = sorted({row["intent"] for row in rows})
    english = [(row["sentiment"], r.sentiment) for row, r in pairs if row["lang"] == "en"]
    gold = {(i, p["text"]) for i, (row, _) in enumerate(pairs) for p in row["pii"]}
    got = {(i, text) for i, (_, r) in enumerate(pairs) for text in r.pii}
    checked = within = clean = 0
    for row, reading in pairs:
        for reply in reading.replies:
            issues = {i.code for i in check_reply(reply, max_length=LIMIT, customer_data=[p["text"] for p in row["pii"]])}
            checked += 1
            within += "too_long" not in issues
            clean += not issues & {"asks_for_personal_data", "repeats_personal_data"}
    return [
        f"posts read: {len(pairs)}",
        f"language accuracy: {sum(row['lang'] == r.language for row, r in pairs) / len(pairs):.2f}",
        f"sentiment macro-F1 (en): {macro_f1(english, SENTIMENTS):.2f}" if english else "sentiment macro-F1 (en): n/a",
        f"sentiment macro-F1 (all): {macro_f1([(row['sentiment'], r.sentiment) for row, r in pairs], SENTIMENTS):.2f}",
        f"intent macro-F1: {macro_f1([(row['intent'], r.intent) for row, r in pairs], intents):.2f}",
        f"PII recall: {len(gold & got) / len(gold):.2f}" if gold else "PII recall: n/a (no labelled personal data)",
        f"PII precision: {len(gold & got) / len(got):.2f}" if got else "PII precision: n/a (nothing found)",
        f"suggestions checked: {checked}",
        f"suggestions within length ({LIMIT} with signature): {100 * within / checked:.1f} %" if checked else "",
        f"suggestions without a public request for or repeat of personal data: {100 * clean / checked:.1f} %"
        if checked else "",
    ]


async def evaluate(rows: list[dict], model: ModelSuggester | None = None, provider: str = "") -> list[str]:
    languages = Counter(row["lang"] for row in rows)
    readings = await offline(rows)
    found = [enrich(row["text"]) for row in rows]
    typed_gold = {(i, p["type"], p["text"]) for i, row in enumerate(rows) for p in row["pii"]}
    typed_got = {(i, m.type, m.text) for i, f in enumerate(found) for m in f.pii}
    lines = [
        f"posts: {len(rows)} in {len(languages)} languages ({languages.get('en', 0)} English)",
        "mode: offline (rules and templates)",
        *figures(rows, readings),
        f"PII recall with the right type: {len(typed_gold & typed_got) / len(typed_gold):.2f}" if typed_gold else "",
    ]
    if model is not None:
        model_readings, notes = await online(rows, model)
        lines += [f"mode: {provider}", *figures(rows, model_readings), *notes]
    return lines


async def evaluate_files(datasets: list[tuple[Path, list[dict]]], model: ModelSuggester | None, provider: str) -> list[str]:
    """The figures of each file; a `data:` line names the file when there are several."""
    lines = []
    try:
        for path, rows in datasets:
            lines += [f"data: {path}"] if len(datasets) > 1 else []
            lines += await evaluate(rows, model, provider)
    finally:
        if model is not None:
            await model.client.close()
    return lines


def model_from_args(args: argparse.Namespace) -> tuple[ModelSuggester | None, str]:
    config = load_config(args.config).llm if args.config else LlmConfig()
    overrides = {key: value for key, value in (("model", args.model), ("base_url", args.base_url)) if value}
    config = config.model_copy(update=overrides)
    secrets = load_secrets()
    client = build_client(config, secrets)
    base_dir = args.config.parent if args.config else Path(".")
    return (ModelSuggester(client, config, SystemClock(), base_dir) if client else None), describe_provider(config, secrets)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, nargs="+", action="extend",
                        help=f"labelled JSONL files, figures for each (default {DEFAULT_DATA})")
    parser.add_argument("--model", help="the model to evaluate too (needs a key in the environment or .env)")
    parser.add_argument("--base-url", help="an OpenAI-compatible server (default OpenAI, or [llm] base_url)")
    parser.add_argument("--config", type=Path, help="take [llm] from this socialdesk.toml")
    args = parser.parse_args()
    paths = args.data or [DEFAULT_DATA]
    if missing := [str(path) for path in paths if not path.exists()]:
        sys.exit(f"{', '.join(missing)} not found; give labelled JSONL files with --data")
    datasets = [(path, [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()])
                for path in paths]
    model, provider = model_from_args(args)
    if model is None and (args.model or args.base_url or args.config):
        print(f"no model: {provider}", file=sys.stderr)
    for line in asyncio.run(evaluate_files(datasets, model, provider)):
        if line:
            print(line)


if __name__ == "__main__":
    main()
