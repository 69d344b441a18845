"""The C allocator settings a long-running socialdesk runs with: two glibc malloc arenas, trimmed every minute.

socialdesk does its database and enrichment work in worker threads (`asyncio.to_thread`), and glibc
gives each thread that allocates an arena of its own, up to eight per core; memory freed in one
arena is not reused by another, the usual cause of resident memory that creeps up in threaded
Python services. Two arenas is the setting such services use (MALLOC_ARENA_MAX=2, as Heroku's and
Gunicorn's guides advise), for a few percent of allocator speed. The Procfile sets the variable;
`limit_arenas` applies the same limit from inside the process when it was not set (glibc reads the
variable only when the process starts).

glibc also keeps freed memory inside its heaps instead of handing it back: only the free space at
the very top of the main heap goes back on its own (M_TRIM_THRESHOLD), and the worker threads' arenas
and the holes left in the middle of a heap stay resident. `trim` calls malloc_trim(0), which returns
every free page of every arena with madvise; the scheduled jobs run it every `TRIM_EVERY` seconds in
each process (bot/app/jobs.py), as long-running services on glibc do. bench/soak.py measures RSS with
and without each setting (`--arenas`, `--malloc-trim`); README "Memory over hours" has the figures.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import time
from functools import cache

log = logging.getLogger(__name__)
ARENAS = 2
M_ARENA_MAX = -8  # mallopt's parameter number for the arena limit (glibc malloc.h)
TRIM_EVERY = 60.0  # seconds; a trim takes about a millisecond per 100 MB of heap


@cache
def _glibc() -> ctypes.CDLL | None:
    """The C library if it is glibc (it has mallopt and malloc_trim); None elsewhere (musl, macOS)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        libc.mallopt, libc.malloc_trim  # noqa: B018 (glibc's own functions: AttributeError elsewhere)
    except (OSError, AttributeError, TypeError):
        log.info("allocator: no glibc here; memory arenas and trimming left as they are")
        return None
    return libc


def limit_arenas(arenas: int = ARENAS) -> bool:
    """Cap glibc's malloc arenas unless MALLOC_ARENA_MAX says otherwise; False where there is no glibc."""
    if os.environ.get("MALLOC_ARENA_MAX"):
        return True  # the operator chose; glibc read it at start-up
    libc = _glibc()
    return bool(libc and libc.mallopt(M_ARENA_MAX, arenas))


def trim() -> bool:
    """Give glibc's free pages back to the system (malloc_trim(0)); True if any were. False where there is no glibc."""
    libc = _glibc()
    if libc is None:
        return False
    started = time.perf_counter()
    released = bool(libc.malloc_trim(0))
    log.debug("allocator: malloc_trim took %.1f ms, %s", (time.perf_counter() - started) * 1000,
              "memory released" if released else "nothing to release")
    return released
