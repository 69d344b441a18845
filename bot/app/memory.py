"""The memory settings a long-running socialdesk runs with: at most two glibc malloc arenas, and a garbage collector
that looks for cycles less often.

Arenas. socialdesk does its database and enrichment work in worker threads (`asyncio.to_thread`), and glibc
gives each thread that allocates an arena of its own, up to eight per core; memory freed in one
arena is not reused by another, the usual cause of resident memory that creeps up in threaded
Python services. Two arenas is the setting such services use (MALLOC_ARENA_MAX=2, as Heroku's and
Gunicorn's guides advise), for a few percent of allocator speed. The Procfile sets the variable;
`limit_arenas` applies the same limit from inside the process when it was not set (glibc reads the
variable only when the process starts). bench/soak.py measures RSS with and without it (README
"Memory over hours" has the figures: in 30-minute runs it made no measurable difference).

Tried and not kept: malloc_trim(0) every minute from a scheduled job (what some long-running services
do to hand glibc's free pages back). In 10-minute soaks it changed nothing (+25.4 MB/h with it, +24.0
without). In the 30-minute soak half of what still grows is CPython's own small-object arenas
(`pymalloc` in bench/soak.py: +4.7 of +9.3 MB an hour), which glibc's trim cannot touch, and a fifth
is SQLite's page caches, which stop at 2 MB per pooled connection.

The collector. CPython looks for reference cycles after every 700 new container objects, and a page of posts makes
tens of thousands (ORM rows and their state): storing a backlog spent about a quarter of its time there
(bench/ingest.py). `tune_collector` raises that to 10,000 (a few MB of cycles at most wait longer to be freed; the
older generations' thresholds as they are) and freezes what start-up made, which lives as long as the process and
need not be looked through again (`gc.freeze`, as long-running services do).
"""
from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
import os

log = logging.getLogger(__name__)
ARENAS = 2
YOUNG_THRESHOLD = 10_000  # new container objects between looks for cycles (CPython's default: 700)
M_ARENA_MAX = -8  # mallopt's parameter number for the arena limit (glibc malloc.h)


def limit_arenas(arenas: int = ARENAS) -> bool:
    """Cap glibc's malloc arenas unless MALLOC_ARENA_MAX says otherwise; False where there is no glibc (musl, macOS)."""
    if os.environ.get("MALLOC_ARENA_MAX"):
        return True  # the operator chose; glibc read it at start-up
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        return bool(libc.mallopt(M_ARENA_MAX, arenas))
    except (OSError, AttributeError, TypeError):
        log.info("allocator: no glibc mallopt here; memory arenas left as they are")
        return False


def tune_collector() -> None:
    """Look for cycles after every `YOUNG_THRESHOLD` new objects, and leave what start-up made out of the looks."""
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
    gc.freeze()
