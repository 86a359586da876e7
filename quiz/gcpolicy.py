"""Garbage collection for a server that keeps a lot in memory.

CPython's cyclic collector now and then runs a full collection, which looks at every object the
process has: the app's own code and libraries (~130,000 objects), the caches (a login and a
paper per candidate), the live games. With 10,000 candidates in a test window that is a pause of
100-200 ms on this machine about every ten seconds, and every request in flight waits for it:
it was the whole of the autosave p99 (docs/benchmarks.md, "Discipline test window").

`gc.freeze()` moves every object that exists now into a permanent generation that collections
skip (it is O(1)). Done once a second, full collections only look at what is younger than a
second. What it costs: a reference cycle that was alive at a freeze and dies later is not
collected until the next `gc.unfreeze()` (plain garbage is freed by reference counting as
always). So every ``FULL_EVERY_S`` the frozen objects are handed back and collected once, unless
a registered `busy` check says a pause would hurt now (a live game in progress), and at shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
from collections.abc import Callable

log = logging.getLogger("quiz.gc")

FREEZE_EVERY_S = 1.0
FULL_EVERY_S = 600.0
# CPython starts a collection of the oldest generation after 10 of the middle one. With everything
# older than a second frozen it only looks at what was promoted since, but while 10,000 phones join
# or answer that is hundreds of thousands of objects twice a second: pauses of 25-90 ms. Ten times
# fewer of them, each no larger (the freeze bounds what they look at).
OLDEST_AFTER = 100

_busy: list[Callable[[], bool]] = []


def defer_full_collection_while(check: Callable[[], bool]) -> None:
    """Register ``check``: while it returns True the periodic full collection waits."""
    _busy.append(check)


def _busy_now() -> bool:
    return any(check() for check in _busy)


def full_collection() -> float:
    """Give the frozen objects back, collect everything once, freeze again; returns the pause in ms."""
    began = time.perf_counter()
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    return (time.perf_counter() - began) * 1000


async def run(freeze_every_s: float = FREEZE_EVERY_S, full_every_s: float = FULL_EVERY_S) -> None:
    """Freeze once a second and collect fully now and then (a task of the app's lifetime)."""
    gc.collect()
    gc.freeze()  # the code and libraries loaded at start-up: never garbage
    thresholds = gc.get_threshold()
    gc.set_threshold(thresholds[0], thresholds[1], max(thresholds[2], OLDEST_AFTER))
    last_full = time.monotonic()
    try:
        while True:
            await asyncio.sleep(freeze_every_s)
            if time.monotonic() - last_full >= full_every_s and not _busy_now():
                log.info("full garbage collection: %.0f ms", full_collection())
                last_full = time.monotonic()
            else:
                gc.freeze()
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def start(freeze_every_s: float) -> asyncio.Task[None] | None:
    """The policy's task, or None when ``freeze_every_s`` is 0 (off)."""
    if freeze_every_s <= 0:
        return None
    return asyncio.get_running_loop().create_task(run(freeze_every_s))


async def stop(task: asyncio.Task[None] | None) -> None:
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
