"""Response times kept as a histogram: log-spaced buckets 5 % wide, so a time read back is within 2.5 % of it.

Bucket 0 holds times under a second (read back as half a second); bucket b >= 1 holds [1.05^(b-1), 1.05^b) seconds,
read back as the middle 1.05^(b-0.5). A histogram is one integer with bucket b's count in bits 32b to 32b+31:
adding two histograms is adding two integers, which Python does at once however many buckets they hold (so a week of
hourly histograms adds up in microseconds). It is stored as the integer's bytes, little end first.

A rank (a median, a percentile) taken over times read back from their buckets is within 2.5 % of the same rank
over the exact times, or half a second below a second: each time moves by at most that, and moving every value by
at most a share moves each rank by at most that share.
"""
from __future__ import annotations

import math
from collections import Counter
from datetime import timedelta

BASE = 1.05
BITS = 32  # a bucket's count: up to 4 billion times in one window
BUCKETS = 500  # 1.05^499 s is 10^10 years: the last bucket takes anything longer
MASK = (1 << BITS) - 1


def bucket(seconds: float) -> int:
    if seconds < 1:
        return 0
    return min(1 + int(math.log(seconds) / math.log(BASE)), BUCKETS - 1)


def middle(index: int) -> float:
    return 0.5 if index == 0 else BASE ** (index - 0.5)


def of(seconds: float) -> int:
    """The histogram of one time."""
    return 1 << (BITS * bucket(seconds))


def encode(histogram: int) -> bytes | None:
    return histogram.to_bytes((histogram.bit_length() + 7) // 8, "little") if histogram else None


def decode(data: bytes | None) -> int:
    return int.from_bytes(data, "little") if data else 0


def times(histogram: int) -> Counter[float]:
    """Each bucket's middle time -> how many times it holds."""
    found: Counter[float] = Counter()
    index = 0
    while histogram:
        if histogram & MASK:
            found[middle(index)] += histogram & MASK
        histogram >>= BITS
        index += 1
    return found


def ranked(counted: Counter[float]) -> tuple[timedelta, timedelta] | None:
    """The median (the middle time, or the mean of the two middle ones) and the 90th percentile (nearest rank: the
    ⌈0.9 n⌉-th) of times given as time -> how many."""
    n = sum(counted.values())
    if not n:
        return None
    wanted = {(n + 1) // 2, (n + 2) // 2, (9 * n + 9) // 10}  # 1-based ranks; ⌈0.9 n⌉ in integers
    at: dict[int, float] = {}
    seen = 0
    for value in sorted(counted):
        for rank in [r for r in wanted if seen < r <= seen + counted[value]]:
            at[rank] = value
        seen += counted[value]
    return (timedelta(seconds=(at[(n + 1) // 2] + at[(n + 2) // 2]) / 2), timedelta(seconds=at[(9 * n + 9) // 10]))
