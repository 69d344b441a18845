"""The C allocator setting a long-running socialdesk runs with: at most two glibc malloc arenas.

Why: socialdesk does its database and enrichment work in worker threads (`asyncio.to_thread`),
and glibc gives each thread that allocates its own arena, up to eight per core. Freed memory in
one arena is not reused by another, so over hours the resident size creeps up with no growth in
live Python objects (measured by bench/soak.py). Two arenas is what long-running Python services
use (MALLOC_ARENA_MAX=2, as Heroku's and Gunicorn's guides advise): the growth levels off for a few
percent of allocator speed. The Procfile sets the variable; `limit_arenas` applies the same limit
from inside the process when it was not set (the variable is read only when the process starts).
"""
from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os

log = logging.getLogger(__name__)
ARENAS = 2
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
