"""Commands acknowledged before a crash and never run: each platform's `recover` runs them, now and every half minute.

The records are bot/desk/events.py's; what running one again means (a Slack response_url, a Discord
interaction follow-up) is the platform's inbound code.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)
EVERY = 30.0  # seconds between two looks; a command is taken up once it has waited events.UNSTARTED


async def keep_recovering(platform: str, recover: Callable[[], Awaitable[int]], every: float = EVERY) -> None:
    """Call `recover` (it returns how many commands it ran) until cancelled; a failure is logged and tried again."""
    while True:
        try:
            ran = await recover()
            if ran:
                log.info("ran %d %s command(s) acknowledged before a restart", ran, platform)
        except Exception:
            log.exception("could not run the %s commands left from before a restart; trying again later", platform)
        await asyncio.sleep(every)
