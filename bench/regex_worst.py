"""The worst time of every regular expression in the product on hostile input (issue 13: under 50 ms at 200 kB).

    python bench/regex_worst.py [size]

Finds every pattern as tests/bot/test_regex_safety.py does, runs each over the inputs built to make it
backtrack (tests/auxil/regexes.py: its own pieces repeated, long runs after its words, URLs without an
end) and prints its worst time and input, slowest first; then the guards and the enrichment, the
functions that take whole posts and suggestions. A time that grows faster than the size (compare two
sizes) points at a pattern that is not linear.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.desk.guards import asks_for_personal_data, check_reply, leaks_prompt, unknown_links  # noqa: E402
from bot.enrich import enrich  # noqa: E402
from tests.auxil.regexes import adversarial  # noqa: E402
from tests.bot.test_regex_safety import KNOWN_SUPER_LINEAR, PATTERNS, TRUSTED_INPUT  # noqa: E402

TARGET_MS = 50
FUNCTIONS = {
    "guards.unknown_links": lambda text: unknown_links(text, ""),
    "guards.asks_for_personal_data": asks_for_personal_data,
    "guards.check_reply (Reddit's 10,000)": lambda text: check_reply(text, max_length=10_000),
    "guards.leaks_prompt": lambda text: leaks_prompt(text, "You write replies for the brand."),
    "enrich": enrich,
}
HOSTILE = ["a-", "a.", "-a", " ", "@", "@a", "1 ", "http://a", "a.co/", "send your ", "password is ", "<!--", "\u200b"]


def _worst(run, inputs: dict[str, str]) -> tuple[float, str]:
    worst = (0.0, "")
    for name, text in inputs.items():
        start = time.perf_counter()
        run(text)
        worst = max(worst, ((time.perf_counter() - start) * 1000, name))
    return worst


def main(size: int) -> None:
    print(f"{size:,} characters each input; each pattern's worst as measured, then the slowest 25", flush=True)
    rows = []
    for where, pattern in PATTERNS:
        if pattern.pattern in KNOWN_SUPER_LINEAR or where in TRUSTED_INPUT:
            continue
        rows.append((*_worst(lambda text, p=pattern: sum(1 for _ in p.finditer(text)), adversarial(pattern, size)), where))
        print(f"{rows[-1][0]:9.1f} ms  {where:48.48} {rows[-1][1]}", flush=True)
    rows.sort(reverse=True)
    print(f"\n{len(rows)} patterns; worst first")
    for ms, name, where in rows[:25]:
        print(f"{ms:9.1f} ms  {where:48.48} {name}")
    print(f"over {TARGET_MS} ms: {sum(ms > TARGET_MS for ms, _, _ in rows)} of {len(rows)}; not run: twitter-text's URL "
          f"and domain patterns (bot/sources/x/text.py), seconds to minutes at this size; nor the lexicon parser (reads only "
          f"the project's own files)")
    inputs = {f"{b!r} x {size // len(b)}": b * (size // len(b)) for b in HOSTILE}
    for name, function in FUNCTIONS.items():
        ms, worst = _worst(function, inputs)
        print(f"{ms:9.1f} ms  {name:48.48} {worst}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200_000)
