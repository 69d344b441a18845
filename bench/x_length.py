"""How long counting a reply the X way takes (bot/sources/x/text.py): guards run it on every reply and suggestion.

    python bench/x_length.py [--repeat 2000]

Prints microseconds per call for typical replies and milliseconds for hostile text (long runs that look
like domains, which made twitter-text's unbounded patterns backtrack for minutes).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.sources.x.text import weighted_length  # noqa: E402

TYPICAL = {
    "plain reply": "So sorry about the delay, Carla! We're checking with the courier now ^JD",
    "reply with link": "Here's how to reset it: https://help.acme.example/articles/reset-password?src=x ^SL",
    "emoji and CJK": "ご不便をおかけして申し訳ありません 🙇‍♀️ 確認します ^KP",
    "RTL and zero-width": "\u2067نعتذر عن التأخير\u2069 \u200bسنتابع الأمر ^JD",
}
HOSTILE = {
    "a. x 5,000": "a." * 5000,
    "ab. x 3,000": "ab." * 3000 + "c",
    "a- x 5,000 + .com": "a-" * 5000 + ".com",
    "mixed x 1,000": "see https://acme.com/help?x=1 🧑\u200d🧑\u200d🧒 مرحبا \u200b " * 1000,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2000)
    args = parser.parse_args()
    started = time.perf_counter()
    weighted_length("warm up https://acme.com")
    print(f"first call (builds the URL patterns): {(time.perf_counter() - started) * 1000:.0f} ms")
    for name, text in TYPICAL.items():
        started = time.perf_counter()
        for _ in range(args.repeat):
            length = weighted_length(text)
        per_call = (time.perf_counter() - started) / args.repeat * 1e6
        print(f"{name:<20} weighs {length:>4}: {per_call:7.1f} µs per call")
    for name, text in HOSTILE.items():
        started = time.perf_counter()
        length = weighted_length(text)
        print(f"{name:<20} ({len(text):>6} chars) weighs {length:>6}: {(time.perf_counter() - started) * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
