"""Enriching the next page in a worker process while this one is stored.

Enrichment (bot/enrich) is Python CPU work, about a third of a post's cost, and storing a page is mostly Python too:
in one process they take turns on one core. During a backlog (a poll with more than one page: a surge, a restart)
the poller hands each fetched page's texts to one worker process and stores the page before it meanwhile
(bot/ingest/poller.py); the pipeline looks the results up (bot/ingest/pipeline.py). The results are those of
enriching inline, which is what happens with one core, with `[ingest] enrich_ahead = false`, for a single page
(nothing to overlap), and should the worker fail (logged; the next backlog starts a new one).
"""
from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from bot.enrich import Enrichment, enrich
from bot.ingest.normalise import enrichment_input
from bot.sources.base import InboundPost

log = logging.getLogger(__name__)
Enriched = Mapping[tuple[str, int | None], Enrichment]  # (text, followers) as normalised -> what enrich found
EMPTY: Enriched = {}


def cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def enrich_all(inputs: list[tuple[str, int | None]]) -> list[Enrichment]:
    """In the worker: each (text, followers) enriched."""
    return [enrich(text, followers=followers) for text, followers in inputs]


@dataclass(frozen=True)
class Job:
    inputs: list[tuple[str, int | None]]
    found: asyncio.Future


class Ahead:
    """One worker process, started at the first backlog, for as long as the bot runs (`close` ends it)."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled and cores() > 1
        self._pool: ProcessPoolExecutor | None = None

    def start(self, posts: list[InboundPost]) -> Job | None:
        """The worker enriching `posts`; None when there is no worker (they are enriched inline)."""
        if not self.enabled or not posts:
            return None
        inputs = [enrichment_input(post) for post in posts]
        if self._pool is None:  # spawned, not forked: this process has threads
            self._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
        return Job(inputs, asyncio.get_running_loop().run_in_executor(self._pool, enrich_all, inputs))

    async def results(self, job: Job | None) -> Enriched:
        """What the worker found for the posts `job` was started with; empty when it failed (logged)."""
        if job is None:
            return {}
        try:
            return dict(zip(job.inputs, await job.found, strict=True))
        except Exception as error:
            log.warning("enriching in the worker process failed (%r); enriching in this process", error)
            self.close()
            return {}

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
