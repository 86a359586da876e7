"""The server's garbage-collection policy: long-lived objects frozen out of the collector's way once a
second, a periodic full collection that still frees reference cycles, and everything given back at stop."""

from __future__ import annotations

import asyncio
import gc
import weakref

import pytest

from quiz import gcpolicy


class Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cyclic collector frees it


async def test_objects_are_frozen_then_collected_by_the_periodic_full_collection() -> None:
    gc.unfreeze()
    before = gc.get_threshold()
    task = asyncio.get_running_loop().create_task(gcpolicy.run(freeze_every_s=0.01, full_every_s=3600))
    try:
        await asyncio.sleep(0.05)
        assert gc.get_threshold()[:2] == before[:2] and gc.get_threshold()[2] >= gcpolicy.OLDEST_AFTER
        node = Node()
        ref = weakref.ref(node)
        await asyncio.sleep(0.05)  # frozen while alive
        assert gc.get_freeze_count() > 0
        del node
        gc.collect()
        assert ref() is not None  # a frozen cycle is out of the collector's sight
        assert gcpolicy.full_collection() >= 0
        assert ref() is None  # the full collection gave it back and freed it
        assert gc.get_freeze_count() > 0  # and froze the survivors again
    finally:
        await gcpolicy.stop(task)
    assert gc.get_freeze_count() == 0  # stopping hands everything back
    assert gc.get_threshold() == before  # and the collector's thresholds


async def test_the_full_collection_waits_while_something_is_busy(monkeypatch: pytest.MonkeyPatch) -> None:
    gc.unfreeze()
    busy, collected = [True], []
    real = gcpolicy.full_collection
    monkeypatch.setattr(gcpolicy, "_busy", [])
    monkeypatch.setattr(gcpolicy, "full_collection", lambda: collected.append(1) or real())
    gcpolicy.defer_full_collection_while(lambda: busy[0])
    task = asyncio.get_running_loop().create_task(gcpolicy.run(freeze_every_s=0.01, full_every_s=0.0))
    try:
        await asyncio.sleep(0.08)
        assert not collected  # due at every tick, but deferred while busy
        busy[0] = False
        await asyncio.sleep(0.08)
        assert collected
    finally:
        await gcpolicy.stop(task)


def test_off_when_the_interval_is_zero() -> None:
    assert gcpolicy.start(0) is None
